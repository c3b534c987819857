"""Warming the pools of preheated kernels a few at a time, most needed first.

Voila fills a notebook's pool by starting every missing kernel at once: at start-up the whole
participant pool and one kernel for each other app (34 kernels for a pool of 30), and after a
group joined, twelve at once. On 2 cores they all warm together for a minute, and no page gets a
warm kernel before all of them are (a group arriving 20 s after a start waited 8.5-12.5 s p95);
the sessions already running wait for the CPU meanwhile.

Here one ``PoolWarmer`` warms at most ``at_once`` kernels at a time for all pools together (one
per core): first where pages wait, else one kernel for each app (in the order of ``sizes``:
participants, facilitator, projector, ...), then the participants' pool up to a group of
``FIRST_GROUP``, then every pool full. Every kernel is ready for a page as soon as it is warm. A kernel is
warm when it asks the server for its page's request (``kernel_is_warm``, called by
``casebook.web.RequestHandoverSocket``); one that never asks (its notebook failed, or it was shut
down) holds its place for ``WARM_PATIENCE_SECONDS`` at most. The warmer starts a kernel only
while ``may_start()`` (the server's room, ``casebook.kernel_budget``).

A page that finds its pool empty while kernels warm waits for the next one (``wait_for_kernel``)
instead of starting a kernel of its own beside them: queued, the first pages of a burst are
served first instead of all of them at the end.

A pool kernel also warms up at the lowest CPU priority (``warm_quietly``, in the kernel as it
starts) and takes its normal priority back when its page arrives (``serve_at_full_priority``),
so the pages already live come first: both the kernel's threads and its session's autogroup
(Linux shares the CPU between sessions first, and every kernel has a session of its own). Only
where it may take it back: as root, or with a ``RLIMIT_NICE`` that allows it (``LimitNICE=20`` in ``deploy/systemd``); a page left at the
lowest priority would starve on a busy machine, so elsewhere the kernel keeps its priority.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Callable

log = logging.getLogger("casebook")

WARM_PATIENCE_SECONDS = 60.0
WARM_NICE = 19  # the lowest priority: a warming kernel gets what the live pages leave
QUIET_VARIABLE = "CASEBOOK_WARM_QUIETLY"  # "0": a page waits for this kernel; warm at full priority
# The participants' pool warms this far before the apps' second kernels: a group arriving while
# the pools warm finds its kernels first.
FIRST_GROUP = 12
# How long a page waits for its pool's next kernel before starting one of its own. Long: after a
# restart 30 pages wait in turn for about a minute on 2 cores, and a page that gives up starts a
# kernel beside the warming ones (at 60 s, twelve pages did so at once: load 25, nothing usable).
WAIT_FOR_KERNEL_SECONDS = 300.0

_priority_to_restore: int | None = None  # this kernel's priority before it warmed quietly
_group_to_restore: int | None = None  # its session's autogroup priority before that
_manager = None  # in the server: the kernel manager whose pools are warmed here

# kernel id -> what to do once that kernel is warm (the warmer starts the next one)
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
        server_group = autogroup_nice()
        if server_group is not None and own_autogroup(pid):
            set_autogroup_nice(pid, server_group)


def kernel_is_warm(kernel_id: str) -> None:
    """The kernel reached the point where it waits for its page: the next may start."""
    then = _when_warm.pop(kernel_id, None)
    if then is not None:
        then()


class PoolWarmer:
    """Fills Voila's pools (``manager._pools``, via its own ``fill_if_needed``) ``at_once``
    kernels at a time; takes over the manager's ``fill_if_needed`` (voila 0.5)."""

    def __init__(self, manager, sizes: dict[str, int], at_once: int = 2,
                 may_start: Callable[[], bool] = lambda: True):
        global _manager
        _manager = manager
        self.manager = manager
        self.sizes = dict(sizes)  # notebook -> pool size, most needed first when equally empty
        self.at_once = max(1, at_once)
        self.may_start = may_start
        self.warming: set[asyncio.Future] = set()
        self._fill_all = manager.fill_if_needed  # Voila's: starts as many kernels as a pool lacks
        self._more = asyncio.Event()  # set whenever a pool got a kernel, for pages waiting
        self.waiting: dict[str, int] = {}  # notebook -> pages waiting for a kernel of its pool
        manager.fill_if_needed = self.fill_if_needed

    def pool(self, notebook: str) -> list:
        return self.manager._pools.get(notebook, [])

    def fill_if_needed(self, delay: float | None = None, notebook_name: str | None = None, **kwargs) -> None:
        """What Voila calls after a page took a kernel: warm what is missing, as the rules say."""
        self.fill()

    def next_pool(self) -> str | None:
        """Where pages wait for more kernels than their pool holds, there. Else, in this order:
        one kernel for every app; the first app's pool (the participants') up to a group of
        ``FIRST_GROUP``; every pool full."""
        lacking = [name for name, size in self.sizes.items() if len(self.pool(name)) < size]
        awaited = [name for name in lacking if self.waiting.get(name, 0) > len(self.pool(name))]
        if awaited:
            return min(awaited, key=lambda name: len(self.pool(name)))
        first = next(iter(self.sizes), None)
        for name, up_to in [*((name, 1) for name in self.sizes), (first, FIRST_GROUP), *self.sizes.items()]:
            if name in lacking and len(self.pool(name)) < up_to:
                return name
        return None

    def fill(self) -> None:
        while len(self.warming) < self.at_once:
            notebook = self.next_pool()
            if notebook is None or not self.may_start():
                return  # full, or no room: the server's sweep calls again (casebook.web.FrontDoor)
            self._start_one(notebook)

    def _start_one(self, notebook: str) -> None:
        pools = self.manager.kernel_pools_config
        own = pools.get(notebook, pools.get("default", {}))
        # Voila starts as many kernels as the pool lacks: for this call, it lacks one
        self.manager.kernel_pools_config = {**pools, notebook: {**own, "pool_size": len(self.pool(notebook)) + 1}}
        # pages already waiting for this pool: the kernel is theirs, so it warms at the server's
        # priority (at the lowest, 30 busy browsers on the same cores starved it past Voila's
        # 120 s output time-out after a restart)
        awaited = {QUIET_VARIABLE: "0"} if self.waiting.get(notebook, 0) > 0 else {}
        try:
            self._fill_all(delay=0, notebook_name=notebook, extra_kernel_env_variables=awaited)
        finally:
            self.manager.kernel_pools_config = pools
        if not self.pool(notebook):
            return
        started = self.pool(notebook)[-1]
        self.warming.add(started)
        self._more.set()
        loop = asyncio.get_event_loop()

        def warm() -> None:
            if started in self.warming:
                self.warming.discard(started)
                self.fill()

        def on_started(task: asyncio.Future) -> None:
            try:
                kernel_id = task.result()["kernel_id"]
            except BaseException:  # noqa: BLE001 - Voila logs the failed start; try again a little later
                self.warming.discard(started)
                loop.call_later(self.manager.fill_delay, self.fill)
                return
            _when_warm[kernel_id] = warm

            def patience_ran_out() -> None:
                if _when_warm.pop(kernel_id, None) is not None:
                    log.info("kernel %s did not ask for its page within %.0f s; warming the next",
                             kernel_id, WARM_PATIENCE_SECONDS)
                    warm()

            loop.call_later(WARM_PATIENCE_SECONDS, patience_ran_out)

        started.add_done_callback(on_started)

    def ready_for(self, notebook: str) -> bool:
        """Voila serves the page from its pool: the pool has a kernel, and Voila has read the
        notebook (``notebook_data``, filled as the pool's first kernel starts)."""
        return bool(self.pool(notebook)) and notebook in getattr(self.manager, "notebook_data", {notebook: None})

    async def wait_for_kernel(self, notebook: str, timeout: float = WAIT_FOR_KERNEL_SECONDS) -> bool:
        """For a page whose pool is empty: wait until the pool has a kernel (warm or warming)
        for it. False when the pool has no size, no room, or none came within ``timeout``."""
        self.waiting[notebook] = self.waiting.get(notebook, 0) + 1
        try:
            return await self._wait_for_kernel(notebook, timeout)
        finally:
            self.waiting[notebook] -= 1

    async def _wait_for_kernel(self, notebook: str, timeout: float) -> bool:
        loop = asyncio.get_event_loop()
        deadline = loop.time() + timeout
        while not self.ready_for(notebook):
            if not self.sizes.get(notebook):
                return False
            self.fill()
            if not self.warming and not self.pool(notebook):
                return False  # nothing warms: no room, or nothing lacking
            left = deadline - loop.time()
            if left <= 0:
                return False
            self._more.clear()
            try:  # woken when a kernel is added; Voila's notebook_data is looked at every 0.2 s
                await asyncio.wait_for(self._more.wait(), min(0.2, left))
            except asyncio.TimeoutError:
                pass
        return True


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
    global _priority_to_restore, _group_to_restore
    if (os.environ.get("VOILA_PREHEAT") != "True" or os.environ.get(QUIET_VARIABLE) == "0"
            or not hasattr(os, "setpriority")):
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
    if own_autogroup():
        _group_to_restore = autogroup_nice()
        set_autogroup_nice("self", WARM_NICE)


def serve_at_full_priority() -> None:
    """The page arrived: every thread of this kernel back to the priority it started with."""
    global _priority_to_restore, _group_to_restore
    if _priority_to_restore is not None:
        _set_priority_of_threads("self", _priority_to_restore)
        _priority_to_restore = None
    if _group_to_restore is not None:
        set_autogroup_nice("self", _group_to_restore)
        _group_to_restore = None


# Linux with autogrouping (CONFIG_SCHED_AUTOGROUP, on in Debian's kernels) shares the CPU between
# sessions first and applies a thread's nice value only within its session. jupyter_client
# starts every kernel in a session of its own, so a kernel's nice value alone changes nothing
# against the server or other kernels: a warming kernel got as much CPU as the server itself.
# The session's own nice value (/proc/<pid>/autogroup) is what counts between sessions.


def own_autogroup(pid: int | None = None) -> bool:
    """Whether ``pid`` (this process) leads a session of its own, so that its autogroup holds
    nothing else (never renice the server's session from a kernel started some other way)."""
    pid = os.getpid() if pid is None else pid
    try:
        return os.getsid(pid) == pid and Path(f"/proc/{pid}/autogroup").exists()
    except OSError:
        return False


def autogroup_nice(process: str | int = "self") -> int | None:
    """The nice value of ``process``'s autogroup, or None without autogrouping."""
    try:
        return int(Path(f"/proc/{process}/autogroup").read_text().split("nice")[1])
    except (OSError, IndexError, ValueError):
        return None


def set_autogroup_nice(process: str | int, nice: int) -> None:
    try:
        Path(f"/proc/{process}/autogroup").write_text(str(nice))
    except OSError as exc:  # no autogrouping, or a limit: said, not fatal
        log.info("the session of kernel process %s kept its priority (%s)", process, exc)


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
