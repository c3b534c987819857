"""``casebook serve``: Voila on the notebooks folder, configured for live sessions.

Participant pages come from a pool of preheated kernels (a page arrives in milliseconds
instead of waiting for a kernel); a closed page's kernel is culled once its ticks stop.
Pools are sized per notebook, since ``--pool_size`` alone would preheat every notebook in
the folder. The server is ``casebook.web.CasebookVoila``: Voila with the
casebook's front door, the trainer token and a cookie per browser.
"""

from __future__ import annotations

import logging
import secrets
import sys

from casebook.config import settings
from casebook.exceptions import CasebookError

log = logging.getLogger("casebook")

DEFAULT_PORT = 8866
# Seconds a kernel may be idle (no ticks, no clicks) before it is shut down. Browsers slow
# the ticker of a background tab to about one a minute, so stay well above 60 s.
CULL_IDLE_SECONDS = 180
CULL_INTERVAL_SECONDS = 30


def pool_sizes(participants: int) -> dict[str, int]:
    """Preheated kernels per notebook: many for participants, one for each other app; when
    pools are equally empty, the first here warms first."""
    return {"participant.ipynb": participants, "facilitator.ipynb": 1, "projector.ipynb": 1,
            "solo.ipynb": 1, "casebook.ipynb": 1}


def voila_config(participant_pool: int, cull_idle_seconds: int = CULL_IDLE_SECONDS, max_pages: int = 0,
                 pages_per_browser: int = 0):
    from traitlets.config import Config

    from casebook.web import BROWSER_HEADER, TRAINER_HEADER

    config = Config()
    # every page in the casebook's template: no icon font from a CDN, and a page that brings
    # itself back when its kernel is gone
    config.VoilaConfiguration.template = "casebook"
    config.VoilaConfiguration.allow_template_override = "NO"
    config.VoilaConfiguration.allow_theme_override = "NO"
    # what the page handler decided about the request, handed to the page's kernel
    config.VoilaConfiguration.http_header_envs = [BROWSER_HEADER, TRAINER_HEADER]
    # on a busy machine a page's outputs may come late: wait for them rather than serve it empty
    config.VoilaExecutor.iopub_timeout = 120
    # ... and never lose one of them (see casebook.web.CasebookKernelClient)
    config.AsyncKernelManager.client_class = "casebook.web.CasebookKernelClient"
    # kernels talk to the server over Unix sockets, not TCP ports any local user could open
    config.KernelManager.transport = "ipc"
    # books every page's kernel against its browser and the server's room (casebook.kernel_budget)
    config.VoilaConfiguration.multi_kernel_manager_class = "casebook.web.CasebookKernelManager"
    if max_pages:
        config.CasebookVoila.max_pages = max_pages
    if pages_per_browser:
        config.CasebookVoila.pages_per_browser = pages_per_browser
    config.VoilaConfiguration.show_tracebacks = False
    config.VoilaConfiguration.preheat_kernel = participant_pool > 0
    # Voila would start every pool's kernels at once; the casebook's warmer fills them a few at a
    # time, most needed first (casebook.kernel_pool.PoolWarmer)
    config.VoilaKernelManager.kernel_pools_config = {"default": {"pool_size": 0}}
    config.CasebookVoila.pool_sizes = pool_sizes(participant_pool)
    # the papermill template and generated session notebooks are never preheated
    config.VoilaKernelManager.preheat_denylist = ["session*", "sessions/*"]
    config.MappingKernelManager.cull_idle_timeout = cull_idle_seconds
    config.MappingKernelManager.cull_interval = min(CULL_INTERVAL_SECONDS, max(1, cull_idle_seconds // 3))
    config.MappingKernelManager.cull_connected = False
    # a time on every line: when a page was slow, the log says where the time went
    config.Voila.log_format = "%(asctime)s [%(name)s] %(message)s"
    config.Voila.log_datefmt = "%H:%M:%S"
    return config


def voila_argv(port: int, ip: str, open_browser: bool) -> list[str]:
    from casebook.served import link_app_notebooks

    # Voila's root: links to the packaged app notebooks beside the executed plans (data folder)
    argv = [str(link_app_notebooks()), f"--port={port}", f"--Voila.ip={ip}", "--theme=light"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def serve(port: int = DEFAULT_PORT, ip: str = "localhost", open_browser: bool = False,
          participant_pool: int = 12, public_url: str | None = None, trainer_token: str | None = None,
          cull_idle_seconds: int = CULL_IDLE_SECONDS, close_after_days: int | None = None, max_pages: int = 0,
          pages_per_browser: int = 0) -> None:
    """Run the casebook's Voila in this process until interrupted."""
    import os
    from pathlib import Path

    current = settings(public_url=public_url, trainer_token=trainer_token, close_after_days=close_after_days)
    if not current.trainer_token:  # like `jupyter lab`: a token of its own, printed below
        current.trainer_token = secrets.token_urlsafe(24)
    # the kernels Voila starts inherit this process's environment: that is how they learn the
    # store, the public address and the rest of the configuration
    current.export()
    from casebook.web import casebook_secret

    casebook_secret()  # made, or a configured one checked, before anything starts
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    from casebook.store import open_store

    open_store()  # create or migrate the schema once here, not in every kernel
    close_forgotten_sessions(current.close_after_days)
    keep_closing_forgotten_sessions(current.close_after_days)
    clear_cases()  # the anonymisation gate, once here: the apps serve only cleared cases
    start_check_worker()
    start_page_store()
    from casebook.web import CasebookVoila

    quiet_voila_logs()
    say_trainer_links(current, ip, port)
    CasebookVoila.casebook_trainer_token = current.trainer_token
    CasebookVoila.casebook_language = current.language or "nl"
    CasebookVoila.launch_instance(argv=voila_argv(port, ip, open_browser),
                                  config=voila_config(participant_pool, cull_idle_seconds, max_pages, pages_per_browser))


def say_trainer_links(current, ip: str, port: int) -> None:
    """Print the trainer's links with the token, as `jupyter lab` prints its URL."""
    from casebook.messages import t

    host = "localhost" if ip in ("localhost", "127.0.0.1", "0.0.0.0", "") else ip
    base = (current.public_url or f"http://{host}:{port}").rstrip("/")
    print(t("cli.trainer_links", None, url=f"{base}/?token={current.trainer_token}",
            trainer=f"{base}/voila/render/trainer.ipynb?token={current.trainer_token}",
            author=f"{base}/voila/render/author.ipynb?token={current.trainer_token}"), file=sys.stderr, flush=True)


# While the server runs, forgotten sessions are looked for again this often (a hosted server
# may run for months without a restart).
RECHECK_SECONDS = 6 * 3600


def keep_closing_forgotten_sessions(days: int, every_seconds: float = RECHECK_SECONDS):
    """Close forgotten sessions again every ``every_seconds`` while this process runs, in a
    thread of its own; returns the event that stops it (None when ``days`` is 0)."""
    import threading

    if days <= 0:
        return None
    stop = threading.Event()

    def recheck() -> None:
        while not stop.wait(every_seconds):
            close_forgotten_sessions(days, say_none=False)

    threading.Thread(target=recheck, name="casebook-retention", daemon=True).start()
    return stop


def close_forgotten_sessions(days: int, say_none: bool = True) -> list[str]:
    """Retention (AVG): close the open sessions without activity for ``days`` days, keeping
    their aggregates and record and deleting votes and pseudonyms; say how many."""
    import logging

    from casebook.messages import t
    from casebook.retention import close_stale_sessions
    from casebook.store import open_store

    from casebook.sessions import forget_old_join_failures

    try:
        forget_old_join_failures(open_store())  # a minute's use only; a burst before a stop is kept no longer
        closed = close_stale_sessions(open_store(), days)
    except Exception:  # never keep the server from starting; the next start tries again
        logging.getLogger("casebook").exception("closing sessions older than %d days failed", days)
        return []
    if days > 0 and (closed or say_none):  # a line at every start: the log shows the retention at work
        key = "autoclose.closed" if closed else "autoclose.none"
        print(t(key, None, count=len(closed), days=days, codes=", ".join(closed)), file=sys.stderr, flush=True)
    return closed


def start_check_worker() -> None:
    """One check worker for the whole server (deduce loads once, on the first check), reached by
    the author pages' kernels on a Unix socket that only this user may open."""
    import atexit
    import os
    import subprocess
    import tempfile

    folder = tempfile.mkdtemp(prefix="casebook-checker-")
    socket_path = os.path.join(folder, "checker.sock")
    worker = subprocess.Popen([sys.executable, "-m", "casebook.worker", "--socket", socket_path])
    os.environ["CASEBOOK_CHECKER"] = socket_path

    atexit.register(stop_helper, worker, socket_path, folder)


def stop_helper(process, socket_path: str, folder: str) -> None:
    """Stop one of the server's helper processes and remove its socket and folder."""
    import os
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    for leftover in (socket_path, folder):
        try:
            os.rmdir(leftover) if leftover == folder else os.unlink(leftover)
        except OSError:
            pass


PAGE_STORE_RESTART_SECONDS = 0.2


def start_page_store() -> None:
    """The participant pages' page store (``casebook.page_store``): a process of its own, on a
    Unix socket in a folder only this user may open, with a key made for this start. It is
    started again when it stops while the server runs (its pages reconnect by themselves)."""
    import atexit
    import os
    import subprocess
    import tempfile
    import threading
    import time

    from casebook.page_store import ADDRESS_VARIABLE, KEY_VARIABLE

    folder = tempfile.mkdtemp(prefix="casebook-pages-")
    socket_path = os.path.join(folder, "pages.sock")
    os.environ[KEY_VARIABLE] = secrets.token_hex(32)
    command = [sys.executable, "-m", "casebook.page_store", "--socket", socket_path]
    running = {"process": subprocess.Popen(command), "stopping": False}

    def keep_running() -> None:
        while not running["stopping"]:
            code = running["process"].wait()
            if running["stopping"]:
                return
            log.error("the page store stopped (exit code %s); starting it again", code)
            time.sleep(PAGE_STORE_RESTART_SECONDS)
            running["process"] = subprocess.Popen(command)

    threading.Thread(target=keep_running, name="page-store-keeper", daemon=True).start()
    # the kernels Voila starts inherit it; a page's first question waits for the page store
    # to answer (page_store.RESTART_PATIENCE_SECONDS), so the server need not wait here
    os.environ[ADDRESS_VARIABLE] = socket_path

    def stop() -> None:
        running["stopping"] = True
        stop_helper(running["process"], socket_path, folder)

    atexit.register(stop)


def quiet_voila_logs() -> None:
    """A log a trainer can read: one line per meaningful event. Voila warns that every page's
    notebook is "not trusted" (trust is about showing stored outputs, and every app page runs
    its notebook afresh), which would fill the log with a line per visitor."""
    import logging

    class NotTrusted(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "is not trusted" not in record.getMessage()

    for name in ("NotebookApp", "ServerApp", "Voila", "CasebookVoila", "traitlets", "nbformat"):
        logging.getLogger(name).addFilter(NotTrusted())


def clear_cases() -> None:
    """Check every case not judged before (in the check worker) and record the verdicts."""
    from casebook.clearance import clear

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        clear(say=say)
    except CasebookError as exc:  # nothing new is cleared; cases judged before still are
        say(exc.message())
