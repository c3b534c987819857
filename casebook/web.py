"""The web server around Voila: who may open which page, and the casebook's own front door.

``CasebookVoila`` is Voila with its routes adjusted for a server that anyone on the network can
reach (DESIGN.md §7):

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

import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from tornado import web
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from casebook.config import data_dir, settings
from casebook.exceptions import CasebookError
from casebook.kernel_pool import kernel_is_warm, page_took, refill_one_at_a_time
from casebook.messages import normalise_language, t

log = logging.getLogger("casebook")

BROWSER_COOKIE = "casebook_browser"
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

    def browser_id(self) -> str:
        """This browser's id: from its cookie, or new (and the cookie set) on a first visit."""
        value = self.get_cookie(BROWSER_COOKIE) or ""
        if not re.fullmatch(r"[0-9a-f]{32}", value):
            value = secrets.token_hex(16)
        # Set on every page, not only the first: in front of several processes the proxy chooses
        # the id of a browser's first request (deploy/nginx/casebook-multi.conf) and routes by it,
        # and the browser keeps it from this answer on. It also keeps a regular's year running.
        self.set_cookie(BROWSER_COOKIE, value, expires_days=COOKIE_DAYS, httponly=True, samesite="Lax",
                        secure=self.is_https(), path="/")
        return _keyed(self.casebook_secret(), "browser", value)

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
        # decided here, whatever the client sent under these names
        self.request.headers[BROWSER_HEADER] = self.browser_id()
        self.request.headers[TRAINER_HEADER] = "1" if trainer else "0"
        self.set_header("Referrer-Policy", "no-referrer")
        # sets the _xsrf cookie that Voila's page sends with its kernel's shutdown when it is
        # closed or reloaded; without it the server refuses that (403) and the kernel of every
        # reloaded page lingers until culled
        self.xsrf_token
        async for html in self.get_generator(path=path):
            self.write(html)
            self.flush()


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
    """``/casebook/alive``: the server is up, and which start of it this is."""

    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.finish({"start": START_ID})


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


class CasebookVoila(Voila):
    """Voila with the casebook's front door and page rules (see the module's docstring)."""

    casebook_trainer_token = ""
    casebook_language = "nl"

    def init_settings(self):
        # the casebook's own server lines in Voila's log, with its format and times
        casebook_log = logging.getLogger("casebook")
        casebook_log.setLevel(logging.INFO)
        casebook_log.handlers = list(self.log.handlers)
        casebook_log.propagate = False
        keep_requests_for_kernels_that_ask_again()
        settings = super().init_settings()
        if hasattr(self.kernel_manager, "fill_if_needed"):  # preheating pools
            refill_one_at_a_time(self.kernel_manager)
        # the kernels' shared context: the browsers' websocket connections to the kernels
        self.kernel_manager.context.setsockopt(zmq.RCVHWM, UNBOUNDED)
        secret = casebook_secret()
        # signed cookies (the trainer's) stay valid across a restart: the same key each time
        settings.update(cookie_secret=secret, casebook_secret=secret, log_function=log_request,
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
