"""The page's request, as a preheated Voila kernel learns it.

A preheated kernel runs the notebook before anyone asks for the page and learns the request
(query string, host) only when Voila sends it. ``voila.utils.wait_for_request`` does exactly
this, but importing it imports Voila's whole server (jupyter_server, about 2.8 s of CPU per
kernel measured here), which made a pool of 30 kernels take a minute to warm on 2 cores. This
module speaks the same small protocol (voila/utils.py, voila 0.5.13) with only ``websockets``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
import warnings
from urllib.parse import parse_qs


def _query_url() -> str:
    protocol = os.getenv("VOILA_WS_PROTOCOL", "ws")
    server_ip = os.getenv("VOILA_APP_IP", "127.0.0.1")
    server_port = os.getenv("VOILA_APP_PORT", "8866")
    server_url = os.getenv("VOILA_SERVER_URL", "/")
    ws_base_url = os.getenv("VOILA_WS_BASE_URL", server_url)
    return f"{protocol}://{server_ip}:{server_port}{ws_base_url}voila/query/{os.getenv('VOILA_KERNEL_ID')}"


# A preheated kernel asks as soon as it reaches this point; on a busy server (a pool filling
# while every page of a group reloads after a restart) the first tries may not get through
# in time. The server keeps every request for a kernel's next ask, so asking again is safe:
# giving up would serve the page without its browser, code and language (a stranger's page).
# Only failures count towards giving up: a pool kernel may wait for its page for hours.
REQUEST_WAIT_SECONDS = 300
# A connected kernel still asks again this often: a request written to a connection that died
# unnoticed (or a socket the server forgot) is then picked up from the server's store, instead
# of the page never finishing to load.
ASK_AGAIN_SECONDS = 20


async def _receive(url: str) -> str | None:
    import websockets

    loop = asyncio.get_running_loop()
    last_answer = loop.time()
    while True:
        try:
            async with websockets.connect(url, open_timeout=30) as websocket:
                last_answer = loop.time()
                try:
                    return await asyncio.wait_for(websocket.recv(), ASK_AGAIN_SECONDS)
                except asyncio.TimeoutError:
                    continue
        except (TimeoutError, ConnectionRefusedError, OSError, websockets.ConnectionClosed,
                websockets.InvalidHandshake) as exc:
            if loop.time() - last_answer > REQUEST_WAIT_SECONDS:
                warnings.warn(f"could not learn the request from {url}: {exc}")
                return None
            await asyncio.sleep(1)


@functools.cache
def wait_for_request() -> None:
    """Block until Voila hands over the request (once per kernel); return at once when not
    preheated."""
    if os.getenv("VOILA_PREHEAT", "False") == "False":
        return
    info: list[str | None] = [None]

    def receive():
        info[0] = asyncio.new_event_loop().run_until_complete(_receive(_query_url()))

    # a thread of its own: the kernel's event loop is already running in this one
    thread = threading.Thread(target=receive)
    thread.start()
    thread.join()
    from casebook.kernel_pool import serve_at_full_priority

    serve_at_full_priority()  # warmed at the lowest priority; now a page is waiting
    if info[0] is not None:
        for name, value in json.loads(info[0]).items():
            os.environ[name] = value


def query_params() -> dict[str, str]:
    """The page's query string (empty outside Voila)."""
    parsed = parse_qs(os.environ.get("QUERY_STRING", ""))
    return {name: values[-1] for name, values in parsed.items() if values}


# Set by casebook serve's page handler from its own HttpOnly cookie, on every page request; a
# header of that name sent by a client is overwritten, so only the server decides these.
BROWSER_HEADER = "X-Casebook-Browser"
TRAINER_HEADER = "X-Casebook-Trainer"


def _request_header(name: str) -> str:
    return os.environ.get("HTTP_" + name.upper().replace("-", "_"), "")


def browser_id() -> str:
    """The id of the browser that opened this page (the same in every tab and after a reload),
    as ``casebook serve`` derived it from its cookie; "" outside such a server."""
    wait_for_request()
    return _request_header(BROWSER_HEADER) if served_by_voila() else ""


def trainer_verified() -> bool:
    """Did the server see a valid trainer token (in the link or its cookie) for this page?"""
    wait_for_request()
    return served_by_voila() and _request_header(TRAINER_HEADER) == "1"


def served_by_voila() -> bool:
    """Is this kernel a Voila page's? Voila itself writes ``SERVER_SOFTWARE`` (its own name and
    version) into the kernel's environment; nothing a client sends can set it. Papermill and
    JupyterLab kernels lack it."""
    return os.environ.get("SERVER_SOFTWARE", "").startswith("voila/")


def page_base_url() -> str:
    """The address for links shown on this page: the configured public address, else the
    host and port the page was opened with (for display only: it never grants anything)."""
    from casebook.config import public_url
    from casebook.links import DEFAULT_BASE_URL

    configured = public_url()
    if configured:
        return configured
    host, port = os.environ.get("SERVER_NAME"), os.environ.get("SERVER_PORT")
    if host and all(ch.isalnum() or ch in ".-:[]" for ch in host):
        return f"http://{host}:{port}" if port and port not in ("80", "443") else f"http://{host}"
    return DEFAULT_BASE_URL


def request_params() -> dict[str, str]:
    """The query string of the page; call it after the slow imports, so they are preheated."""
    wait_for_request()
    return query_params()
