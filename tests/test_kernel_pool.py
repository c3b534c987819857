"""Pools of preheated kernels warm a few kernels at a time (casebook.kernel_pool), against a
kernel manager that fills the way Voila 0.5's does: every missing kernel at once."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from pathlib import Path

import pytest

from casebook import kernel_pool
from tests.servers import VoilaServer, get_page, run_in_a_loop_of_its_own


class VoilaLikeManager:
    """``fill_if_needed`` as in voila/voila_kernel_manager.py: one task per missing kernel."""

    fill_delay = 0.01

    def __init__(self, size: int, fail_first: int = 0):
        self.kernel_pools_config = {"default": {"pool_size": 0}, "participant.ipynb": {"pool_size": size}}
        self._pools: dict[str, list] = {}
        self.started: list[str] = []
        self._ids = itertools.count(1)
        self._fail = fail_first

    def fill_if_needed(self, delay=None, notebook_name=None, **kwargs):
        self.environments = [*getattr(self, "environments", []), kwargs.get("extra_kernel_env_variables") or {}]
        size = self.kernel_pools_config.get(notebook_name, self.kernel_pools_config["default"])["pool_size"]
        pool = self._pools.setdefault(notebook_name, [])
        for _ in range(size - len(pool)):
            pool.append(asyncio.get_event_loop().create_task(self._start()))

    async def _start(self):
        await asyncio.sleep(0)
        if self._fail:
            self._fail -= 1
            raise RuntimeError("kernel died while starting")
        kernel_id = f"k{next(self._ids)}"
        self.started.append(kernel_id)
        return {"kernel_id": kernel_id}

    def take(self, notebook_name="participant.ipynb"):
        """A page takes the oldest kernel, and Voila asks for a refill."""
        self._pools[notebook_name].pop(0)
        self.fill_if_needed(notebook_name=notebook_name)


async def settle():
    for _ in range(5):
        await asyncio.sleep(0.001)


def warmer_for(manager, at_once=2, **kwargs):
    sizes = {name: config["pool_size"] for name, config in manager.kernel_pools_config.items() if name != "default"}
    return kernel_pool.PoolWarmer(manager, sizes, at_once=at_once, **kwargs)


def test_pools_warm_a_few_kernels_at_a_time_one_for_each_app_first():
    async def scenario():
        manager = VoilaLikeManager(size=4)
        manager.kernel_pools_config["facilitator.ipynb"] = {"pool_size": 1}
        warmer = warmer_for(manager, at_once=2)
        warmer.fill()  # the start: two at once, the first kernel of each app before a second
        await settle()
        assert manager.started == ["k1", "k2"]
        assert [len(manager._pools.get(name, [])) for name in ("participant.ipynb", "facilitator.ipynb")] == [1, 1]
        kernel_pool.kernel_is_warm("k1")
        await settle()
        assert manager.started == ["k1", "k2", "k3"]  # one warm: one more, still two at a time
        for warm in ("k2", "k3", "k4"):
            kernel_pool.kernel_is_warm(warm)
            await settle()
        kernel_pool.kernel_is_warm("k5")
        await settle()
        assert len(manager._pools["participant.ipynb"]) == 4 and len(manager.started) == 5  # full, no more
        for _ in range(4):  # a group of four joins at once: Voila asks for a refill each time
            manager.take()
        await settle()
        assert manager.started[5:] == ["k6", "k7"]  # two warming, not four
        assert manager.kernel_pools_config["participant.ipynb"]["pool_size"] == 4  # its settings unchanged

    run_in_a_loop_of_its_own(scenario())


def test_the_participants_pool_warms_for_a_group_before_the_apps_second_kernels():
    async def scenario():
        manager = VoilaLikeManager(size=kernel_pool.FIRST_GROUP + 2)
        manager.kernel_pools_config["facilitator.ipynb"] = {"pool_size": 2}
        manager.kernel_pools_config["solo.ipynb"] = {"pool_size": 2}
        warmer = warmer_for(manager, at_once=1)
        order = []
        warmer.fill()
        for _ in range(kernel_pool.FIRST_GROUP + 6):
            await settle()
            owner = next(name for name, pool in manager._pools.items()
                         if any(task.done() and task.result()["kernel_id"] == manager.started[-1] for task in pool))
            order.append(owner.split(".")[0])
            kernel_pool.kernel_is_warm(manager.started[-1])
        group = kernel_pool.FIRST_GROUP - 1
        assert order == ["participant", "facilitator", "solo", *["participant"] * group,
                         "participant", "participant", "facilitator", "solo"]

    run_in_a_loop_of_its_own(scenario())


def test_a_kernel_that_never_asks_or_fails_to_start_does_not_stop_the_warming(monkeypatch):
    monkeypatch.setattr(kernel_pool, "WARM_PATIENCE_SECONDS", 0.05)

    async def scenario():
        manager = VoilaLikeManager(size=2)
        warmer_for(manager, at_once=1).fill()
        await settle()
        assert manager.started == ["k1"]
        await asyncio.sleep(0.2)  # k1 never asks for its page: after the patience, the next one
        assert manager.started == ["k1", "k2"]

        failing = VoilaLikeManager(size=2, fail_first=1)
        warmer_for(failing, at_once=1).fill()
        await asyncio.sleep(0.1)  # the first start failed; it is tried again after fill_delay
        assert failing.started == ["k1"]

    run_in_a_loop_of_its_own(scenario())


def test_no_kernel_warms_without_room_and_the_warming_resumes_with_room():
    async def scenario():
        room = {"free": False}
        manager = VoilaLikeManager(size=3)
        warmer = warmer_for(manager, may_start=lambda: room["free"])
        warmer.fill()
        await settle()
        assert manager.started == []
        room["free"] = True
        warmer.fill()  # what the server's sweep does every few seconds
        await settle()
        assert manager.started == ["k1", "k2"]

    run_in_a_loop_of_its_own(scenario())


def test_a_page_finding_its_pool_empty_waits_for_the_next_kernel_and_its_pool_comes_first():
    async def scenario():
        manager = VoilaLikeManager(size=2)
        manager.kernel_pools_config["solo.ipynb"] = {"pool_size": 2}
        warmer = warmer_for(manager, at_once=1)
        manager._pools["participant.ipynb"] = []
        manager._pools["solo.ipynb"] = []
        waiting = asyncio.ensure_future(warmer.wait_for_kernel("participant.ipynb", timeout=5))
        await settle()
        assert not waiting.done() or waiting.result() is True
        assert manager.started == ["k1"] and len(manager._pools["participant.ipynb"]) == 1
        assert await waiting is True
        # a page waits for solo while participant (first in order) is as empty: solo warms first
        other = VoilaLikeManager(size=2)
        other.kernel_pools_config["solo.ipynb"] = {"pool_size": 2}
        solo_page = asyncio.ensure_future(warmer_for(other, at_once=1).wait_for_kernel("solo.ipynb", timeout=5))
        await settle()
        assert len(other._pools.get("solo.ipynb", [])) == 1 and not other._pools.get("participant.ipynb")
        assert other.environments[-1] == {kernel_pool.QUIET_VARIABLE: "0"}  # awaited: warms at full priority
        assert await solo_page is True
        nothing = kernel_pool.PoolWarmer(VoilaLikeManager(size=0), {"participant.ipynb": 0})
        assert await nothing.wait_for_kernel("participant.ipynb", timeout=1) is False  # no pool: no wait

    run_in_a_loop_of_its_own(scenario())


def _nice_of_threads(pid: int) -> set[int]:
    """The nice value of each thread of process ``pid`` (field 19 of /proc/<pid>/task/<tid>/stat)."""
    values = set()
    for thread in Path(f"/proc/{pid}/task").iterdir():
        try:
            values.add(int((thread / "stat").read_text().rsplit(")", 1)[1].split()[16]))
        except (OSError, IndexError):
            pass  # a thread that just ended
    return values


def _kernels(server_pid: int) -> dict[int, str]:
    """pid -> command line of each kernel the server started."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if parent == server_pid and "casebook.kernel" in cmdline:
            found[int(entry.name)] = cmdline
    return found


@pytest.mark.server
def test_a_pool_kernel_warms_at_the_lowest_priority_and_serves_its_page_at_full(tmp_path, test_cache):
    """The pages already live come first: a kernel warming up for a pool runs at nice 19, and
    the one a page takes runs at the server's own priority again, every thread of it."""
    import re

    if not kernel_pool._may_return_to(os.getpriority(os.PRIO_PROCESS, 0)):
        pytest.skip("this user may not lower a nice value again (RLIMIT_NICE); kernels warm at normal priority")
    server = VoilaServer(tmp_path, env={"CASEBOOK_CACHE": str(test_cache)}, pool=2).start()
    try:
        deadline = time.monotonic() + 120  # 2 participants + 4 other pages; each sets its priority as it starts
        while time.monotonic() < deadline:
            kernels = _kernels(server.process.pid)
            if len(kernels) >= 6 and all(_nice_of_threads(pid) == {19} for pid in kernels):
                break
            time.sleep(0.5)
        assert kernels and all(_nice_of_threads(pid) == {19} for pid in kernels), \
            {pid: _nice_of_threads(pid) for pid in kernels}
        # with autogrouping a nice value counts only within a session, and each kernel has one
        # of its own: the session's priority must be the lowest too, or the warming kernels get
        # as much CPU as the server
        grouped = kernel_pool.autogroup_nice(server.process.pid) is not None
        if grouped:
            assert all(kernel_pool.autogroup_nice(pid) == 19 for pid in kernels), \
                {pid: kernel_pool.autogroup_nice(pid) for pid in kernels}

        page = get_page(server.app_url("participant"))
        assert page.status_code == 200
        kernel_id = re.search(r'"kernelId": "([^"]+)"', page.text).group(1)
        served = next(pid for pid, cmdline in _kernels(server.process.pid).items() if kernel_id in cmdline)
        assert _nice_of_threads(served) == {os.getpriority(os.PRIO_PROCESS, 0)}
        waiting = [pid for pid in _kernels(server.process.pid) if pid != served and pid in kernels]
        assert waiting and all(_nice_of_threads(pid) == {19} for pid in waiting)  # still waiting for a page
        if grouped:
            assert kernel_pool.autogroup_nice(served) == kernel_pool.autogroup_nice(server.process.pid)
            assert all(kernel_pool.autogroup_nice(pid) == 19 for pid in waiting)
    finally:
        server.stop()
