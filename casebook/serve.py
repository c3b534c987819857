"""``casebook serve``: Voila on the notebooks folder, configured for live sessions.

Participant pages come from a pool of preheated kernels (a page arrives in milliseconds
instead of waiting for a kernel); a closed page's kernel is culled once its ticks stop.
Pools are sized per notebook, since ``--pool_size`` alone would preheat every notebook in
the folder (DESIGN.md §8).
"""

from __future__ import annotations

import sys

from casebook.config import notebooks_dir, settings
from casebook.exceptions import CasebookError

DEFAULT_PORT = 8866
# Seconds a kernel may be idle (no ticks, no clicks) before it is shut down. Browsers slow
# the ticker of a background tab to about one a minute, so stay well above 60 s.
CULL_IDLE_SECONDS = 180
CULL_INTERVAL_SECONDS = 30


def pool_sizes(participants: int) -> dict[str, dict]:
    """Preheated kernels per notebook: many for participants, one for each other app."""
    return {
        "default": {"pool_size": 0},
        "participant.ipynb": {"pool_size": participants},
        "facilitator.ipynb": {"pool_size": 1},
        "projector.ipynb": {"pool_size": 1},
        "casebook.ipynb": {"pool_size": 1},
        "solo.ipynb": {"pool_size": 1},
    }


def voila_config(participant_pool: int):
    from traitlets.config import Config

    config = Config()
    config.VoilaConfiguration.show_tracebacks = False
    config.VoilaConfiguration.preheat_kernel = participant_pool > 0
    config.VoilaKernelManager.kernel_pools_config = pool_sizes(participant_pool)
    # the papermill template and generated session notebooks are never preheated
    config.VoilaKernelManager.preheat_denylist = ["session*", "sessions/*"]
    config.MappingKernelManager.cull_idle_timeout = CULL_IDLE_SECONDS
    config.MappingKernelManager.cull_interval = CULL_INTERVAL_SECONDS
    config.MappingKernelManager.cull_connected = False
    return config


def voila_argv(port: int, ip: str, open_browser: bool) -> list[str]:
    argv = [str(notebooks_dir()), f"--port={port}", f"--Voila.ip={ip}", "--theme=light"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def serve(port: int = DEFAULT_PORT, ip: str = "localhost", open_browser: bool = False,
          participant_pool: int = 12, public_url: str | None = None) -> None:
    """Run Voila in this process until interrupted."""
    # the kernels Voila starts inherit this process's environment: that is how they learn the
    # store, the public address and the rest of the configuration
    settings(public_url=public_url).export()
    from casebook.store import open_store

    open_store()  # create or migrate the schema once here, not in every kernel
    clear_cases()  # the anonymisation gate, once here: the apps serve only cleared cases
    start_check_worker()
    from voila.app import Voila

    quiet_voila_logs()
    Voila.launch_instance(argv=voila_argv(port, ip, open_browser), config=voila_config(participant_pool))


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

    def stop() -> None:
        worker.terminate()
        try:
            worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
        for leftover in (socket_path, folder):
            try:
                os.rmdir(leftover) if leftover == folder else os.unlink(leftover)
            except OSError:
                pass

    atexit.register(stop)


def quiet_voila_logs() -> None:
    """A log a trainer can read: one line per meaningful event. Voila warns that every page's
    notebook is "not trusted" (trust is about showing stored outputs, and every app page runs
    its notebook afresh), which would fill the log with a line per visitor."""
    import logging

    class NotTrusted(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "is not trusted" not in record.getMessage()

    for name in ("NotebookApp", "ServerApp", "Voila", "traitlets", "nbformat"):
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
