"""A page's notebook sends its widgets to the server in one burst (a solo page with a case: about
1,250 messages). ZeroMQ drops messages beyond a socket's high-water mark while the server is slow
to read; a dropped "idle" left the page loading until Voila's IOPub timeout (the accessibility and
solo browser tests on CI). The server's kernel client reads every message."""

from __future__ import annotations

import asyncio

from pathlib import Path

import casebook
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

from casebook.serve import voila_config
from casebook.web import CasebookKernelClient
from tests.servers import run_in_a_loop_of_its_own

KERNELS = Path(casebook.__file__).parent / "jupyter" / "kernels"
BURST = 3000  # messages of 2 kB: more than the queues and socket buffers hold by default


async def messages_after_a_busy_moment(client_class: type, folder, page_kernel: bool = False) -> tuple[int, bool]:
    """Run a cell that sends a burst while nobody reads (a busy server); then read: how many
    of the cell's messages arrive, and does its "idle" arrive?"""
    manager = AsyncKernelManager(kernel_name="python3", transport="ipc",
                                 connection_file=str(folder / "kernel.json"))
    if page_kernel:  # the kernel casebook serve starts for its pages (casebook/jupyter/kernels)
        manager.kernel_spec_manager.kernel_dirs.insert(0, str(KERNELS))
    manager.client_class = f"{client_class.__module__}.{client_class.__name__}"
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        msg_id = client.execute(f"for i in range({BURST}): display({{'text/plain': 'x' * 2000}}, raw=True)")
        # nobody reads the IOPub channel until the cell has run to its end (its reply comes on
        # the shell channel): every message was sent meanwhile, however slow the machine is
        while True:
            reply = await client.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        await asyncio.sleep(0.5)
        seen = 0
        while True:
            try:
                msg = await client.get_iopub_msg(timeout=10)
            except Exception:  # queue.Empty: nothing more comes
                return seen, False
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            seen += 1
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return seen, True
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


def run(client_class, folder, page_kernel=False):
    return run_in_a_loop_of_its_own(messages_after_a_busy_moment(client_class, folder, page_kernel))


def test_the_servers_kernel_client_reads_every_message_of_a_burst(tmp_path):
    seen, idle = run(CasebookKernelClient, tmp_path)
    assert idle and seen == BURST + 3  # busy, execute_input, the burst, idle


def test_the_page_kernel_keeps_every_message_for_a_slow_reader(tmp_path):
    """When the server's reading falls behind altogether (a machine short of CPU), the page's
    kernel keeps what it sends until the server reads it."""
    seen, idle = run(AsyncKernelClient, tmp_path, page_kernel=True)
    assert idle and seen == BURST + 3


def test_a_default_client_loses_the_end_of_a_burst(tmp_path):
    """What the server's client guards against (if this starts to pass, ZeroMQ's defaults changed)."""
    seen, idle = run(AsyncKernelClient, tmp_path)
    assert seen < BURST and not idle


def test_voila_runs_page_notebooks_with_the_casebook_client():
    from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

    manager = ServerKernelManager(config=voila_config(1), kernel_name="python3")
    assert isinstance(manager.client(), CasebookKernelClient)
