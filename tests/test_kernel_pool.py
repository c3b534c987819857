"""Pools of preheated kernels refill one kernel at a time (casebook.kernel_pool), against a
kernel manager that fills the way Voila 0.5's does: every missing kernel at once."""

from __future__ import annotations

import asyncio
import itertools

from casebook import kernel_pool


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


def test_a_group_taking_the_pool_warms_one_kernel_at_a_time():
    async def scenario():
        manager = VoilaLikeManager(size=4)
        manager.fill_if_needed(delay=0, notebook_name="participant.ipynb")  # start-up: all at once
        await settle()
        assert len(manager.started) == 4
        kernel_pool.refill_one_at_a_time(manager)
        for _ in range(4):  # a group of four joins at once
            manager.take()
        await settle()
        assert manager.started[4:] == ["k5"]  # one warming, not four
        kernel_pool.kernel_is_warm("k1")  # an old kernel asking again changes nothing
        await settle()
        assert manager.started[4:] == ["k5"]
        for warm in ("k5", "k6", "k7"):
            kernel_pool.kernel_is_warm(warm)
            await settle()
        assert manager.started[4:] == ["k5", "k6", "k7", "k8"]
        kernel_pool.kernel_is_warm("k8")
        await settle()
        assert len(manager._pools["participant.ipynb"]) == 4 and len(manager.started) == 8  # full, no more
        assert manager.kernel_pools_config["participant.ipynb"]["pool_size"] == 4  # its settings unchanged

    asyncio.run(scenario())


def test_a_kernel_that_never_asks_or_fails_to_start_does_not_stop_the_refill(monkeypatch):
    monkeypatch.setattr(kernel_pool, "WARM_PATIENCE_SECONDS", 0.05)

    async def scenario():
        manager = VoilaLikeManager(size=2, fail_first=0)
        kernel_pool.refill_one_at_a_time(manager)
        manager.fill_if_needed(notebook_name="participant.ipynb")
        await settle()
        assert manager.started == ["k1"]
        await asyncio.sleep(0.2)  # k1 never asks for its page: after the patience, the next one
        assert manager.started == ["k1", "k2"]

        failing = VoilaLikeManager(size=2, fail_first=1)
        kernel_pool.refill_one_at_a_time(failing)
        failing.fill_if_needed(notebook_name="participant.ipynb")
        await asyncio.sleep(0.1)  # the first start failed; it is tried again after fill_delay
        assert failing.started == ["k1"]

    asyncio.run(scenario())
