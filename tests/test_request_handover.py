"""A preheated kernel learns its page's request (browser, code, language) from the server over
a websocket. On a busy server the first try may fail; neither side may then lose the request,
or the page is served as nobody's (issue 10: after a restart, pages came back as strangers)."""

import asyncio
import concurrent.futures
import socket
import threading
import time

from casebook import web
from widgets import request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_kernel_asks_again_until_the_server_answers(monkeypatch):
    import websockets

    port = free_port()
    started = threading.Event()

    def late_server():
        async def hand_over(websocket):
            await websocket.send('{"HTTP_X_CASEBOOK_BROWSER": "b1"}')

        async def main():
            await asyncio.sleep(2.5)  # the server is not listening yet: the first tries are refused
            async with websockets.serve(hand_over, "127.0.0.1", port):
                started.set()
                await asyncio.sleep(5)

        asyncio.run(main())

    thread = threading.Thread(target=late_server)
    thread.start()
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        received = pool.submit(asyncio.run, request._receive(f"ws://127.0.0.1:{port}/voila/query/k1")).result()
    thread.join()
    assert started.is_set() and received == '{"HTTP_X_CASEBOOK_BROWSER": "b1"}'
    assert time.monotonic() - t0 >= 2.5


def test_the_server_keeps_every_request_for_a_kernel_that_asks_again():
    from voila.request_info_handler import RequestInfoSocketHandler as Handler

    web.keep_requests_for_kernels_that_ask_again()

    class GoneSocket:  # a kernel's socket that just failed: what is written to it is lost
        def write_message(self, payload):
            raise OSError("stream closed")

    Handler._waiters["k-gone"] = GoneSocket()
    try:
        Handler.send_updates({"kernel_id": "k-gone", "payload": '{"QUERY_STRING": "code=ABC123"}'})
    finally:
        Handler._waiters.pop("k-gone", None)
    assert Handler._cache["k-gone"] == '{"QUERY_STRING": "code=ABC123"}'  # its next ask gets it


def test_requests_kept_for_kernels_stay_bounded():
    kept = web._RecentRequests()
    kept.limit = 3
    for number in range(5):
        kept[f"k{number}"] = "{}"
    assert list(kept) == ["k2", "k3", "k4"]
