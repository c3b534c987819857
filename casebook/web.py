"""The web server around Voila: who may open which page, and the casebook's own front door.

``CasebookVoila`` is Voila with its routes adjusted for a server that anyone on the network can
reach (the public contracts in docs/development.md):

* ``/`` is the casebook's landing page (join with a code; browse and solo; trainer links only
  for a trainer), not Voila's file tree; ``/voila/tree`` and ``/voila/api/contents`` are gone,
  so no response lists session files or codes.
* Every page goes through ``CasebookPageHandler``: only the casebook's own notebooks are
  served; trainer pages (the author app, the session template, executed session plans)
  open only with the trainer token, given once as ``?token=`` and kept in a signed cookie, and
  are refused before any kernel starts.
* Each browser gets an HttpOnly cookie with a random id. The page's kernel learns a keyed hash
  of it (never the cookie itself) through Voila's own request channel, as a header the handler
  always sets itself: a header of that name sent by a client is overwritten. That is how one
  browser stays one participant across reloads, tabs, sleep and server restarts, and how solo
  progress stays per person. The key lives in the data folder, so ids survive a restart.
* ``/casebook/alive`` answers with this server process's start id: the page script asks it when
  its ticks stop. No answer: the server is down, say so plainly. Another id than when the page
  was loaded: the server restarted, so the page's kernel is gone: reload at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Dict, Float, Integer
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from casebook.config import data_dir, settings
from casebook.exceptions import CasebookError
from casebook.kernel_budget import (LOADING_SECONDS, PAGES_PER_BROWSER, UNCONNECTED_SECONDS, KernelBudget,
                                    default_max_pages)
from casebook.kernel_pool import PoolWarmer, kernel_is_warm, page_took
from casebook.messages import normalise_language, t
from casebook.session_state import normalise_code

log = logging.getLogger("casebook")

BROWSER_COOKIE = "casebook_browser"
# Set by the page's own script (templates/preview.html.j2): a client that has it runs scripts and
# keeps cookies, as a browser does; a link previewer, crawler or curl has not, and starts no kernel.
PAGE_COOKIE = "casebook_page"
TRAINER_COOKIE = "casebook_trainer"
BROWSER_HEADER = "X-Casebook-Browser"
TRAINER_HEADER = "X-Casebook-Trainer"
COOKIE_DAYS = 365

# Pages anyone may open (the facilitator page then needs its session key).
PUBLIC_PAGES = {"participant.ipynb", "facilitator.ipynb", "projector.ipynb", "casebook.ipynb", "solo.ipynb"}
# Pages for trainers only: the author app, the papermill template, the trainer's workspace and
# every executed session plan (they hold the cases' keys and control of a session).
TRAINER_PAGES = {"author.ipynb", "session.ipynb", "trainer.ipynb"}
SESSION_PLAN = re.compile(r"^sessions/[A-Z0-9]{6}-[0-9a-f]{8}\.ipynb$")


def page_kind(path: str) -> str | None:
    """"public", "trainer", or None for anything the casebook does not serve."""
    path = (path or "").lstrip("/")
    if path in PUBLIC_PAGES:
        return "public"
    if path in TRAINER_PAGES or SESSION_PLAN.match(path):
        return "trainer"
    return None


SECRET_NAME = "server-secret"


@lru_cache(maxsize=4)
def server_secret(path: str, create: bool = True) -> bytes:
    """The server's own key, 32 bytes kept as 64 hex digits in a file readable by its user only:
    signs the trainer cookie and keys the browser ids, so both survive a restart, and every
    process that reads the same key treats a browser as the same participant (deploy/README.md).

    ``create``: make the file when it is missing or unusable (the data folder's own key). Made
    atomically, so processes that start at once on one data folder all end up with one key.
    A configured key (``CASEBOOK_SECRET_FILE``) is never made or replaced here: a missing or
    unusable one is an error, since a key of its own would split each browser in two."""
    file = Path(path)
    existing = _read_secret(file)
    if existing is not None:
        return existing
    if not create:
        raise CasebookError("secret_file", path=path)
    file.parent.mkdir(parents=True, exist_ok=True)
    # One process at a time decides: without the lock, one that found no file could replace the
    # key another had just made, and the two would treat each browser as two participants.
    folder = os.open(file.parent, os.O_RDONLY)  # the folder is the lock: nothing left behind
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        existing = _read_secret(file)
        if existing is not None:
            return existing
        secret = secrets.token_bytes(32)
        draft = file.with_name(f".{file.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secret.hex())
            os.replace(draft, file)  # readers see the old file or the whole new one
        finally:
            draft.unlink(missing_ok=True)
    finally:
        os.close(folder)  # closing releases the lock
    return secret


def _read_secret(file: Path) -> bytes | None:
    try:
        secret = bytes.fromhex(file.read_text().strip())
    except (OSError, ValueError):
        return None
    return secret if len(secret) >= 32 else None


def casebook_secret() -> bytes:
    """The key this server uses: the configured file (CASEBOOK_SECRET_FILE, shared by every
    process of a casebook on several machines), else the data folder's own."""
    configured = settings().secret_file
    if configured:
        return server_secret(str(Path(configured).expanduser().resolve()), create=False)
    return server_secret(str(data_dir() / SECRET_NAME))


def _keyed(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


class CasebookRequests:
    """What every casebook handler knows about its request: language, browser, trainer."""

    def casebook_secret(self) -> bytes:
        return self.settings["casebook_secret"]

    def page_language(self) -> str:
        return normalise_language(self.get_query_argument("lang", None) or self.settings.get("casebook_language"))

    def is_https(self) -> bool:
        # behind the documented proxy, which sets X-Forwarded-Proto; only decides cookie flags
        return self.request.protocol == "https" or self.request.headers.get("X-Forwarded-Proto") == "https"

    def browser_cookie(self) -> str | None:
        value = self.get_cookie(BROWSER_COOKIE) or ""
        return value if re.fullmatch(r"[0-9a-f]{32}", value) else None

    def browser_id(self) -> str:
        """This browser's id: from its cookie, or new (and the cookie set) on a first visit."""
        value = getattr(self, "_casebook_browser", None) or self.browser_cookie() or secrets.token_hex(16)
        self._casebook_browser = value
        # Set on every page, not only the first: in front of several processes the proxy chooses
        # the id of a browser's first request (deploy/nginx/casebook-multi.conf) and routes by it,
        # and the browser keeps it from this answer on. It also keeps a regular's year running.
        self.set_cookie(BROWSER_COOKIE, value, expires_days=COOKIE_DAYS, httponly=True, samesite="Lax",
                        secure=self.is_https(), path="/")
        return _keyed(self.casebook_secret(), "browser", value)

    def page_cookie(self) -> str:
        """``name=value`` of the page cookie that goes with this browser's cookie."""
        self.browser_id()
        return f"{PAGE_COOKIE}={_keyed(self.casebook_secret(), 'page', self._casebook_browser)[:32]}"

    def ran_the_page_script(self) -> bool:
        """The client keeps cookies and ran the script that set the page cookie for its browser
        cookie (see PAGE_COOKIE)."""
        browser, given = self.browser_cookie(), self.get_cookie(PAGE_COOKIE)
        if browser is None or not given:
            return False
        expected = _keyed(self.casebook_secret(), "page", browser)[:32]
        return hmac.compare_digest(given.encode(), expected.encode())

    def trainer_token(self) -> str:
        return self.settings.get("casebook_trainer_token") or ""

    def token_cookie_value(self) -> str:
        return _keyed(self.casebook_secret(), "trainer", self.trainer_token())

    def is_trainer(self) -> bool:
        """The trainer token in the link (then kept in a signed cookie), or that cookie."""
        token = self.trainer_token()
        if not token:
            return False
        given = self.get_query_argument("token", None)
        if given is not None and hmac.compare_digest(given.encode(), token.encode()):
            self.set_signed_cookie(TRAINER_COOKIE, self.token_cookie_value(), expires_days=30, httponly=True,
                                   samesite="Strict", secure=self.is_https(), path="/")
            return True
        cookie = self.get_signed_cookie(TRAINER_COOKIE, max_age_days=30)
        return cookie is not None and hmac.compare_digest(cookie.decode(), self.token_cookie_value())

    def render_casebook(self, template: str, status: int = 200, **values) -> None:
        language = self.page_language()
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        page = _pages().get_template(template).render(
            language=language, t=lambda key, **params: t(key, language, **params), **values)
        self.finish(page)


@lru_cache(maxsize=1)
def _pages():
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("casebook", "templates"), autoescape=select_autoescape(["j2", "html"]))


class CasebookPageHandler(CasebookRequests, TornadoVoilaHandler):
    """A Voila page, with the casebook's rules on who may open it."""

    @web.authenticated
    async def get(self, path=None):
        kind = page_kind(path)
        if kind is None:
            raise web.HTTPError(404)
        trainer = self.is_trainer()
        if kind == "trainer" and not trainer:
            log.info("trainer page %s refused without a valid token", path)
            self.render_casebook("refused.html.j2", status=403)
            return
        if kind == "trainer" and self.get_query_argument("token", None) is not None:
            # the token is in the cookie now: take it out of the address bar and the history
            query = [(k, v) for k, v in self.request.query_arguments.items() if k != "token"]
            rest = urlencode([(k, value.decode()) for k, values in query for value in values])
            self.redirect(self.request.path + (f"?{rest}" if rest else ""))
            return
        if not self.ran_the_page_script():
            # a link preview, a crawler, a script, or a browser's very first visit: a light
            # answer and no kernel; a browser's script sets the page cookie and comes back
            self.render_casebook("preview.html.j2", page_cookie=self.page_cookie(), secure=self.is_https())
            return
        door: FrontDoor = self.settings["casebook_door"]
        if not door.admit(path, self.get_query_argument("code", "")):
            self.set_header("Retry-After", "60")
            self.render_casebook("full.html.j2", status=503, retry=self.request.uri)
            return
        # decided here, whatever the client sent under these names
        browser = self.request.headers[BROWSER_HEADER] = self.browser_id()
        self.request.headers[TRAINER_HEADER] = "1" if trainer else "0"
        self.set_header("Referrer-Policy", "no-referrer")
        # sets the _xsrf cookie that Voila's page sends with its kernel's shutdown when it is
        # closed or reloaded; without it the server refuses that (403) and the kernel of every
        # reloaded page lingers until culled
        self.xsrf_token
        await door.wait_for_kernel(path)
        self.casebook_page = (browser, path, trainer)
        self.casebook_kernel_id = None
        serving = _serving_page.set(self)
        try:
            async for html in self.get_generator(path=path):
                self.write(html)
                self.flush()
        finally:
            _serving_page.reset(serving)
            if self.casebook_kernel_id is not None:  # counted from here: the page is in the browser
                door.sent(self.casebook_kernel_id)


# The page handler serving the current request, for the places where Voila learns its kernel
# (a pool kernel handed over, or a kernel started for the page): see FrontDoor.served.
_serving_page: contextvars.ContextVar[CasebookPageHandler | None] = contextvars.ContextVar("casebook_page", default=None)


def page_got_kernel(kernel_id: str) -> None:
    """Voila gave the page being served ``kernel_id``: book it against its browser."""
    handler = _serving_page.get()
    if handler is None or getattr(handler, "casebook_page", None) is None:
        return
    handler.casebook_kernel_id = kernel_id
    browser, notebook, trainer = handler.casebook_page
    handler.settings["casebook_door"].served(kernel_id, browser, notebook, trainer)


class FrontDoor:
    """The server's side of ``casebook.kernel_budget``: what runs in Voila's kernel manager, the
    sessions that run, and the releasing of kernels the budget gives up."""

    SWEEP_SECONDS = 2.0
    SESSIONS_FRESH_SECONDS = 10.0
    FULL_LOG_SECONDS = 10.0

    def __init__(self, manager, budget: KernelBudget):
        self.manager = manager
        self.budget = budget
        self._sessions: tuple[float, set[str]] = (-1e9, set())
        self._refused_since_log = 0
        self._full_logged_at = -1e9
        self.warmer: PoolWarmer | None = None
        self._released_tabs: dict[str, None] = {}  # oldest first

    def running_kernels(self) -> int:
        """Kernels running or starting: pages and preheated pools alike."""
        starting = sum(1 for pool in getattr(self.manager, "_pools", {}).values() for task in pool if not task.done())
        return len(self.manager.list_kernel_ids()) + starting

    def running_sessions(self) -> set[str]:
        at, codes = self._sessions
        if time.monotonic() - at > self.SESSIONS_FRESH_SECONDS:
            from casebook.sessions import running_sessions
            from casebook.store import open_store

            try:
                codes = running_sessions(open_store())
            except Exception:  # noqa: BLE001 - no reserve rather than no page
                log.exception("the running sessions could not be read; no room reserved for them")
                codes = set()
            self._sessions = (time.monotonic(), codes)
        return codes

    def admit(self, notebook: str, code: str) -> bool:
        if getattr(self.manager, "_pools", {}).get(notebook):
            return True  # a preheated kernel waits for it: nothing new starts now
        running = self.running_kernels()
        if self.budget.clear_of_any_reserve(running):
            return True  # far from full: no store to ask
        sessions = self.running_sessions()
        screen = normalise_code(code or "") in sessions
        if self.budget.room_for(notebook, running, len(sessions), screen):
            return True
        self._refused_since_log += 1
        if time.monotonic() - self._full_logged_at >= self.FULL_LOG_SECONDS:
            log.warning("server full: %d of %d pages open (%d kept for the screens of %d running sessions); "
                        "%d page(s) refused since the last line", running, self.budget.max_pages,
                        self.budget.reserved(len(sessions)), len(sessions), self._refused_since_log)
            self._full_logged_at, self._refused_since_log = time.monotonic(), 0
        return False

    def may_preheat(self) -> bool:
        running = self.running_kernels()
        if self.budget.clear_of_any_reserve(running):
            return True
        return self.budget.may_preheat(running, len(self.running_sessions()))

    RELEASED_KEPT = 1000  # kernel ids of released tabs kept, for their pages' asking

    def served(self, kernel_id: str, browser: str, notebook: str, trainer: bool = False) -> None:
        for oldest in self.budget.served(kernel_id, browser, notebook, trainer=trainer):
            self._released_tabs[oldest] = None
            while len(self._released_tabs) > self.RELEASED_KEPT:
                del self._released_tabs[next(iter(self._released_tabs))]
            limit = self.budget.pages_per_trainer_browser if trainer else self.budget.pages_per_browser
            self.release(oldest, f"its browser opened more than {limit} pages")

    def was_released_for_a_newer_tab(self, kernel_id: str) -> bool:
        return kernel_id in self._released_tabs

    def sent(self, kernel_id: str) -> None:
        self.budget.sent(kernel_id)

    def release(self, kernel_id: str, why: str) -> None:
        self.budget.forget(kernel_id)
        if kernel_id not in self.manager:
            return
        log.info("kernel %s released: %s", kernel_id, why)

        async def shut_down() -> None:
            try:
                await self.manager.shutdown_kernel(kernel_id)
            except Exception:  # noqa: BLE001 - gone already, or its process died: nothing to free
                log.info("kernel %s was gone before its release", kernel_id)

        asyncio.ensure_future(shut_down())

    def sweep(self) -> None:
        """Every few seconds: note which pages connected, release those that never did, and
        refill the pools that a full server held back."""
        connections = getattr(self.manager, "_kernel_connections", {})
        for kernel_id in list(self.budget.pages):
            if kernel_id not in self.manager:
                self.budget.forget(kernel_id)
            elif connections.get(kernel_id, 0) > 0:
                self.budget.connected(kernel_id)
        for kernel_id in self.budget.never_connected():
            waited = self.budget.patience(self.budget.pages[kernel_id])
            self.release(kernel_id, f"its page did not connect within {waited:.0f} s")
        if self.warmer is not None:
            self.warmer.fill()

    async def wait_for_kernel(self, notebook: str) -> None:
        """A page whose pool is empty while it warms waits for its next kernel, in turn."""
        if self.warmer is not None and not self.warmer.ready_for(notebook):
            await self.warmer.wait_for_kernel(notebook)

    def start(self) -> None:
        from tornado.ioloop import PeriodicCallback

        PeriodicCallback(self.sweep, self.SWEEP_SECONDS * 1000).start()


class LandingHandler(CasebookRequests, web.RequestHandler):
    """``/``: join a session with its code, browse, practise alone; trainer links for trainers."""

    def get(self):
        trainer = self.is_trainer()
        self.browser_id()  # the cookie from the first visit on, so a join keeps it
        self.render_casebook("landing.html.j2", trainer=trainer, lang_param=self.get_query_argument("lang", ""))


# Random per server process: tells a page that the server it was loaded from has restarted (or,
# behind a proxy with several processes, that its process is gone). Says nothing else.
START_ID = secrets.token_hex(8)


class AliveHandler(web.RequestHandler):
    """``/casebook/alive``: the server is up, and which start of it this is. With ``?kernel=``
    (the asking page's own kernel): whether the server released that kernel for a newer tab of
    the same browser, so the page says so instead of reloading itself; a page asks as soon as it
    is drawn, so its kernel is known to belong to a browser that loads the app."""

    def get(self):
        self.set_header("Cache-Control", "no-store")
        answer = {"start": START_ID}
        kernel_id = self.get_query_argument("kernel", "")
        door = self.settings["casebook_door"]
        if kernel_id and door.was_released_for_a_newer_tab(kernel_id):
            answer["released"] = True
        elif kernel_id:
            door.budget.loading(kernel_id)  # its script runs: a browser loading the app
        self.finish(answer)


class NotFoundHandler(web.RequestHandler):
    def get(self, *args):
        raise web.HTTPError(404)


def log_request(handler) -> None:
    """Tornado's request log, without the query string: it carries join codes, facilitator keys
    and trainer tokens, and tornado's own log writes the whole address of every refused request
    to stderr. Same levels as tornado: refused (4xx) and failed (5xx) requests are the lines seen."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    request = handler.request
    logging.getLogger("tornado.access").log(
        level, "%d %s %s (%s) %.2fms", status, request.method, request.path, request.remote_ip,
        1000.0 * request.request_time())


# Voila's handlers that would list the served folder: the file tree and the contents API.
LISTING_HANDLERS = (TornadoVoilaTreeHandler, VoilaContentsHandler)


class _RecentRequests(dict):
    """Voila's store of requests for preheated kernels, keeping the newest ``limit``."""

    limit = 2000

    def __setitem__(self, key, value):
        super().pop(key, None)
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]


def _from_this_machine(request) -> bool:
    """A kernel of this server asks from the loopback interface, never through a proxy."""
    proxied = any(name in request.headers for name in ("X-Forwarded-For", "X-Real-Ip", "Forwarded"))
    return request.remote_ip in ("127.0.0.1", "::1") and not proxied


class RequestHandoverSocket(RequestInfoSocketHandler):
    """``/voila/query/<kernel id>``: where a preheated kernel learns its page's request.

    Voila's own handler loses requests in two ways that a busy server or a kernel asking again
    makes likely: a request written to a socket that just failed is gone, and when a replaced
    socket closes, ``on_close`` removes another kernel's socket (the last one in its list),
    whose page then never gets its request and never finishes loading. Here every request is
    kept for the kernel's next ask, and a socket only ever removes itself. Kernels ask from this
    machine; anyone else is refused, so nobody can take a page's request by its kernel id."""

    def open(self, kernel_id: str) -> None:
        if not _from_this_machine(self.request):
            log.warning("request socket refused from %s", self.request.remote_ip)
            self.close(code=1008)
            return
        self.kernel_id = kernel_id
        RequestInfoSocketHandler._waiters[kernel_id] = self
        kernel_is_warm(kernel_id)  # its pool may warm the next kernel (casebook.kernel_pool)
        payload = RequestInfoSocketHandler._cache.get(kernel_id)
        if payload is not None:
            self.write_message(payload)

    def on_close(self) -> None:
        kernel_id = getattr(self, "kernel_id", None)
        if RequestInfoSocketHandler._waiters.get(kernel_id) is self:
            del RequestInfoSocketHandler._waiters[kernel_id]
        elif kernel_id is not None:
            log.info("kernel %s asked again before its old request socket closed", kernel_id)

    @classmethod
    def send_updates(cls, msg: dict) -> None:
        """Called by Voila's page handler when a page takes a preheated kernel."""
        kernel_id, payload = msg["kernel_id"], msg["payload"]
        page_got_kernel(kernel_id)
        page_took(kernel_id)  # a page waits for it: no longer at the warm-up priority
        RequestInfoSocketHandler._cache[kernel_id] = payload
        waiter = RequestInfoSocketHandler._waiters.get(kernel_id)
        if waiter is not None:
            try:
                waiter.write_message(payload)
            except Exception:  # the kernel asks again and gets it from the cache
                log.info("request for kernel %s kept for its next ask", kernel_id)


def keep_requests_for_kernels_that_ask_again() -> None:
    """Voila's page handler hands requests over through ``RequestInfoSocketHandler``'s class
    method and dictionaries; make them ``RequestHandoverSocket``'s."""
    if getattr(RequestInfoSocketHandler, "_casebook_keeps", False):
        return
    RequestInfoSocketHandler._cache = _RecentRequests(RequestInfoSocketHandler._cache)
    RequestInfoSocketHandler.send_updates = RequestHandoverSocket.send_updates
    RequestInfoSocketHandler._casebook_keeps = True


# A page's notebook sends its widgets to the server in one burst: a solo page with a case is
# about 1,250 messages on the kernel's IOPub channel. ZeroMQ silently drops what is beyond a
# socket's high-water mark (1,000 by default) while the server is slow to read; when the
# dropped messages include the kernel's "idle", the page stays loading until Voila's IOPub
# timeout and is served with widgets missing. Unbounded queues: the server reads them all.
UNBOUNDED = 0


class CasebookKernelClient(AsyncKernelClient):
    """The client Voila's executor runs a page's notebook with, reading every message."""

    def _context_default(self):
        context = super()._context_default()
        context.setsockopt(zmq.RCVHWM, UNBOUNDED)
        return context


class CasebookKernelManager(AsyncMappingKernelManager):
    """The base of Voila's kernel manager: books a kernel started for the page being served
    (no preheated kernel was left) against its browser, as a pool kernel is in send_updates."""

    async def start_kernel(self, *args, **kwargs):
        kernel_id = await super().start_kernel(*args, **kwargs)
        if (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "False":  # not a pool's own start
            page_got_kernel(kernel_id)
        return kernel_id


class CasebookVoila(Voila):
    """Voila with the casebook's front door and page rules (see the module's docstring)."""

    casebook_trainer_token = ""
    casebook_language = "nl"

    max_pages = Integer(0, config=True, help=(
        "Most kernels (open pages and preheated ones) this server runs at once; a page beyond that "
        "gets a plain 'full, try again in a minute'. 0: computed from the machine's memory "
        "(casebook.kernel_budget.default_max_pages)."))
    pages_per_browser = Integer(PAGES_PER_BROWSER, config=True, help=(
        "Most pages (kernels) one browser holds; opening one more releases its oldest."))
    pool_sizes = Dict(value_trait=Integer(), default_value={}, config=True, help=(
        "Preheated kernels per notebook (name -> count), warmed a few at a time, the first "
        "notebook first when pools are equally empty. Voila's own kernel_pools_config stays empty: "
        "it would start them all at once."))
    warm_at_once = Integer(0, config=True, help="Kernels warmed at the same time (0: one per core).")
    unconnected_seconds = Float(UNCONNECTED_SECONDS, config=True, help=(
        "Seconds after which the kernel of a page that no browser connected to is shut down."))
    loading_seconds = Float(LOADING_SECONDS, config=True, help=(
        "The same for a page whose script asked for its kernel (a browser still loading the app)."))

    def init_settings(self):
        # the casebook's own server lines in Voila's log, with its format and times
        casebook_log = logging.getLogger("casebook")
        casebook_log.setLevel(logging.INFO)
        casebook_log.handlers = list(self.log.handlers)
        casebook_log.propagate = False
        keep_requests_for_kernels_that_ask_again()
        settings = super().init_settings()
        budget = KernelBudget(max_pages=self.max_pages or default_max_pages(),
                              pages_per_browser=self.pages_per_browser, unconnected_seconds=self.unconnected_seconds,
                              loading_seconds=self.loading_seconds)
        door = FrontDoor(self.kernel_manager, budget)
        if hasattr(self.kernel_manager, "fill_if_needed"):  # preheating pools
            # Voila's manager filled nothing as it was made (its pools are configured empty):
            # the warmer fills them, a few kernels at a time (casebook.kernel_pool)
            self.kernel_manager.kernel_pools_config = {
                "default": {"pool_size": 0}, **{name: {"pool_size": size} for name, size in self.pool_sizes.items()}}
            door.warmer = PoolWarmer(self.kernel_manager, self.pool_sizes, at_once=self.warm_at_once or os.cpu_count() or 2,
                                     may_start=door.may_preheat)
            door.warmer.fill()
        door.start()
        self.log.info("at most %d pages at once (%d per browser)", budget.max_pages, budget.pages_per_browser)
        # the kernels' shared context: the browsers' websocket connections to the kernels
        self.kernel_manager.context.setsockopt(zmq.RCVHWM, UNBOUNDED)
        secret = casebook_secret()
        # signed cookies (the trainer's) stay valid across a restart: the same key each time
        settings.update(cookie_secret=secret, casebook_secret=secret, log_function=log_request, casebook_door=door,
                        casebook_trainer_token=self.casebook_trainer_token, casebook_language=self.casebook_language)
        return settings

    def init_handlers(self):
        handlers = []
        for route in super().init_handlers():
            pattern, handler = route[0], route[1]
            if handler in LISTING_HANDLERS:
                continue
            if handler is TornadoVoilaHandler:
                route = (pattern, CasebookPageHandler, *route[2:])
            elif handler is RequestInfoSocketHandler:
                route = (pattern, RequestHandoverSocket, *route[2:])
            handlers.append(route)
        base = self.server_url or "/"
        return [
            (base, LandingHandler),
            (base.rstrip("/") + "/casebook/alive", AliveHandler),
            (base.rstrip("/") + "/voila/tree(.*)", NotFoundHandler),
            (base.rstrip("/") + "/voila/api/contents(.*)", NotFoundHandler),
            (base.rstrip("/") + "/api/contents(.*)", NotFoundHandler),
            *handlers,
        ]
