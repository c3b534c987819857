"""A preheated kernel learns its page's request (browser, code, language) from the server over
a websocket. On a busy server the first try may fail; neither side may then lose the request,
or the page is served as nobody's (issue 10: after a restart, pages came back as strangers)."""

import asyncio
import threading
import time

from casebook import web
from tests.servers import free_port, run_in_a_loop_of_its_own
from widgets import request


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
    received = run_in_a_loop_of_its_own(request._receive(f"ws://127.0.0.1:{port}/voila/query/k1"))
    thread.join()
    assert started.is_set() and received == '{"HTTP_X_CASEBOOK_BROWSER": "b1"}'
    assert time.monotonic() - t0 >= 2.5


async def handover_server():
    """The casebook's request handover socket on a real tornado server, as Voila routes it."""
    from tornado.web import Application

    web.keep_requests_for_kernels_that_ask_again()
    port = free_port()
    app = Application([(r"/voila/query/(?P<kernel_id>[\w-]+)", web.RequestHandoverSocket)])
    server = app.listen(port, address="127.0.0.1")
    return server, f"ws://127.0.0.1:{port}/voila/query/"


def send_request(kernel_id: str, payload: str) -> None:
    # what Voila's page handler calls when a page takes a preheated kernel
    from voila.request_info_handler import RequestInfoSocketHandler

    RequestInfoSocketHandler.send_updates({"kernel_id": kernel_id, "payload": payload})


def test_a_kernel_asking_again_never_takes_another_kernels_request():
    import websockets

    async def scenario():
        server, base = await handover_server()
        try:
            other = await websockets.connect(base + "k-other")  # a pool kernel waiting for its page
            first = await websockets.connect(base + "k-again")
            second = await websockets.connect(base + "k-again")  # the same kernel asks again
            await first.close()  # its old socket goes (Voila's own handler then dropped k-other)
            await asyncio.sleep(0.2)
            send_request("k-other", '{"QUERY_STRING": "code=OTHER1"}')
            send_request("k-again", '{"QUERY_STRING": "code=AGAIN1"}')
            received = (await asyncio.wait_for(other.recv(), 5), await asyncio.wait_for(second.recv(), 5))
            await other.close()
            await second.close()
            return received
        finally:
            server.stop()

    assert run_in_a_loop_of_its_own(scenario()) == ('{"QUERY_STRING": "code=OTHER1"}', '{"QUERY_STRING": "code=AGAIN1"}')


def test_a_request_sent_before_the_kernel_asks_or_to_a_failed_socket_is_kept():
    import websockets

    class GoneSocket:  # a kernel's socket that just failed: what is written to it is lost
        def write_message(self, payload):
            raise OSError("stream closed")

    async def scenario():
        from voila.request_info_handler import RequestInfoSocketHandler

        server, base = await handover_server()
        try:
            send_request("k-late", '{"QUERY_STRING": "code=LATE01"}')
            RequestInfoSocketHandler._waiters["k-gone"] = GoneSocket()
            send_request("k-gone", '{"QUERY_STRING": "code=GONE01"}')
            RequestInfoSocketHandler._waiters.pop("k-gone", None)
            received = []
            for kernel_id in ("k-late", "k-gone"):
                async with websockets.connect(base + kernel_id) as websocket:
                    received.append(await asyncio.wait_for(websocket.recv(), 5))
            return received
        finally:
            server.stop()

    assert run_in_a_loop_of_its_own(scenario()) == ['{"QUERY_STRING": "code=LATE01"}', '{"QUERY_STRING": "code=GONE01"}']


def test_nobody_from_outside_takes_a_pages_request_by_its_kernel_id():
    import websockets

    async def scenario():
        server, base = await handover_server()
        try:
            send_request("k-victim", '{"HTTP_X_CASEBOOK_BROWSER": "victim"}')
            # through the proxy (nginx adds these headers), i.e. from the network
            async with websockets.connect(base + "k-victim", additional_headers={"X-Forwarded-For": "10.0.0.9"}) as ws:
                try:
                    return await asyncio.wait_for(ws.recv(), 5)
                except websockets.ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd else None
        finally:
            server.stop()

    assert run_in_a_loop_of_its_own(scenario()) == 1008


def test_a_connected_kernel_asks_again_when_its_request_does_not_come(monkeypatch):
    """A request written to a connection that died unnoticed: the kernel asks again and gets it
    from the server's store instead of waiting forever (a page that never finished loading)."""
    import websockets

    monkeypatch.setattr(request, "ASK_AGAIN_SECONDS", 1)
    port = free_port()
    asks = []

    async def scenario():
        async def hand_over(websocket):
            asks.append(time.monotonic())
            if len(asks) == 1:
                await websocket.wait_closed()  # the first answer never arrives
            else:
                await websocket.send('{"QUERY_STRING": "code=LOST01"}')

        async with websockets.serve(hand_over, "127.0.0.1", port):
            return await request._receive(f"ws://127.0.0.1:{port}/voila/query/k1")

    assert run_in_a_loop_of_its_own(scenario()) == '{"QUERY_STRING": "code=LOST01"}'
    assert len(asks) == 2


def test_requests_kept_for_kernels_stay_bounded():
    kept = web._RecentRequests()
    kept.limit = 3
    for number in range(5):
        kept[f"k{number}"] = "{}"
    assert list(kept) == ["k2", "k3", "k4"]
