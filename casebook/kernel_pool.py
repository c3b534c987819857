"""Refilling the pools of preheated kernels one kernel at a time.

Voila refills a notebook's pool by starting every missing kernel at once. When a group of
twelve joins, twelve kernels then warm up together (start Python, run the notebook), and for
several seconds the sessions already running wait for the CPU. On 2 cores, the first phase
change after a group joined took 1.2 to 1.7 s to reach the screens instead of about 0.2 s
(``benchmarks/scale.py``).

Here a pool is refilled one kernel after another. The next kernel starts when the previous
one is warm, that is when it asks the server for its page's request (``kernel_is_warm``,
called by ``casebook.web.RequestHandoverSocket``). A kernel that never asks (its notebook
failed, or it was shut down) holds up the next for ``WARM_PATIENCE_SECONDS`` at most.

The fill at start-up stays as Voila does it: all at once, since no page is live yet.

A pool kernel also warms up at the lowest CPU priority (``warm_quietly``, in the kernel as it
starts) and takes its normal priority back when its page arrives (``serve_at_full_priority``),
so the pages already live come first. Only where it may take it back: as root, or with a
``RLIMIT_NICE`` that allows it (``LimitNICE=20`` in ``deploy/systemd``); a page left at the
lowest priority would starve on a busy machine, so elsewhere the kernel keeps its priority.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Callable

log = logging.getLogger("casebook")

WARM_PATIENCE_SECONDS = 60.0
WARM_NICE = 19  # the lowest priority: a warming kernel gets what the live pages leave

_priority_to_restore: int | None = None  # this kernel's priority before it warmed quietly
_manager = None  # in the server: the kernel manager whose pools are refilled here

# kernel id -> what to do once that kernel is warm (start the next one of its pool)
_when_warm: dict[str, Callable[[], None]] = {}


def page_took(kernel_id: str) -> None:
    """In the server, when a page takes a pool kernel: that kernel runs at the server's own
    priority from now on, even if it is still warming up (a page is waiting for it)."""
    if _manager is None:
        return
    try:
        pid = _manager.get_kernel(kernel_id).provisioner.pid
    except (KeyError, AttributeError):
        return
    own = os.getpriority(os.PRIO_PROCESS, 0)
    if _may_return_to(own):
        _set_priority_of_threads(str(pid), own)  # the kernel does it again when its page arrives


def kernel_is_warm(kernel_id: str) -> None:
    """The kernel reached the point where it waits for its page: the next may start."""
    then = _when_warm.pop(kernel_id, None)
    if then is not None:
        then()


def refill_one_at_a_time(manager, may_start: Callable[[], bool] = lambda: True) -> None:
    """Make ``manager`` (Voila's kernel manager with preheated pools) refill each pool one
    kernel at a time, and only while ``may_start()`` (the server's room, casebook.kernel_budget).
    Uses its ``fill_if_needed``, ``kernel_pools_config``, ``_pools`` and ``fill_delay`` (voila 0.5)."""
    global _manager
    _manager = manager
    fill_all = manager.fill_if_needed
    warming: dict[str, asyncio.Future] = {}  # notebook -> the pool entry warming now

    def fill_if_needed(delay: float | None = None, notebook_name: str | None = None, **kwargs) -> None:
        if notebook_name in warming:
            return  # the kernel warming now starts the next one when it is warm
        pool = manager._pools.get(notebook_name, [])
        pools = manager.kernel_pools_config
        own = pools.get(notebook_name, pools.get("default", {}))
        if len(pool) >= own.get("pool_size", 1) or not may_start():
            return  # full, or no room: the server's sweep asks again (casebook.web.FrontDoor)
        # Voila starts as many kernels as the pool lacks: for this call, it lacks one
        manager.kernel_pools_config = {**pools, notebook_name: {**own, "pool_size": len(pool) + 1}}
        try:
            fill_all(delay=delay, notebook_name=notebook_name, **kwargs)
        finally:
            manager.kernel_pools_config = pools
        pool = manager._pools.get(notebook_name, [])
        if not pool:
            return
        started = pool[-1]
        warming[notebook_name] = started
        loop = asyncio.get_event_loop()

        def next_one() -> None:
            if warming.get(notebook_name) is started:
                del warming[notebook_name]
                fill_if_needed(0, notebook_name, **kwargs)

        def on_started(task: asyncio.Future) -> None:
            try:
                kernel_id = task.result()["kernel_id"]
            except BaseException:  # noqa: BLE001 - Voila logs the failed start; try again a little later
                loop.call_later(manager.fill_delay, next_one)
                return
            _when_warm[kernel_id] = next_one

            def patience_ran_out() -> None:
                if _when_warm.pop(kernel_id, None) is not None:
                    log.info("kernel %s did not ask for its page within %.0f s; warming the next",
                             kernel_id, WARM_PATIENCE_SECONDS)
                    next_one()

            loop.call_later(WARM_PATIENCE_SECONDS, patience_ran_out)

        started.add_done_callback(on_started)

    manager.fill_if_needed = fill_if_needed


def _may_return_to(priority: int) -> bool:
    """Whether this process may lower its nice value to ``priority`` again (Linux)."""
    import resource

    if os.geteuid() == 0:
        return True
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return soft == resource.RLIM_INFINITY or soft >= 20 - priority


def warm_quietly() -> None:
    """In a kernel Voila starts for a pool, before it starts any thread: the lowest priority,
    where the priority can be taken back when the page arrives."""
    global _priority_to_restore
    if os.environ.get("VOILA_PREHEAT") != "True" or not hasattr(os, "setpriority"):
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current >= WARM_NICE or not _may_return_to(current):
            return
        os.setpriority(os.PRIO_PROCESS, 0, WARM_NICE)  # this thread; the kernel's threads inherit it
    except OSError as exc:
        log.info("a pool kernel warms at its normal priority (%s)", exc)
        return
    _priority_to_restore = current


def serve_at_full_priority() -> None:
    """The page arrived: every thread of this kernel back to the priority it started with."""
    global _priority_to_restore
    if _priority_to_restore is not None:
        _set_priority_of_threads("self", _priority_to_restore)
        _priority_to_restore = None


def _set_priority_of_threads(process: str, priority: int) -> None:
    """Every thread of ``process`` (a pid, or "self") at ``priority``: on Linux a nice value
    belongs to each thread."""
    try:
        threads = os.listdir(f"/proc/{process}/task")
    except OSError:
        return  # not Linux, or the process is gone
    for thread in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, int(thread), priority)
        except OSError as exc:  # a thread that just ended, or a limit that changed: said, not fatal
            log.info("thread %s of kernel process %s kept its priority (%s)", thread, process, exc)
