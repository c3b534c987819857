"""Benchmark browsers that stand in for the participants' own devices (not a test).

Thirty headless Chromium pages on the server's own two cores are not thirty phones: each phone
renders its page on its own processor, and the server's CPU is the server's. Worse, Chromium
raises its browser and GPU processes to nice -8 as root, so the 30 pages' compositing outranks the
server and its kernels (a restart run on 2026-12-07: Chromium took ~1.6 of the 2 cores, the
kernels the pages waited for got the rest, nothing usable after 5 minutes).

``browsers_in_the_background()`` keeps every thread of this script's Chromium processes, and
their sessions' autogroups, at ``BROWSER_NICE``: they get what the server leaves, as the
participants' devices would have it to themselves. The pages still render on the same two cores, so a page's own time is still
counted; only who goes first changes. ``--browsers-first`` (in the scripts that use this) leaves
Chromium as it is, to compare.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from casebook.kernel_pool import autogroup_nice, set_autogroup_nice

BROWSER_NICE = 10
BROWSER_NAMES = ("chromium", "chrome", "headless_shell")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _browser_processes() -> list[int]:
    """Chromium processes started (through Playwright's driver) by this script."""
    children, found, todo = _children(), [], [os.getpid()]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            todo.append(child)
            try:
                name = Path(f"/proc/{child}/comm").read_text().strip()
            except OSError:
                continue
            if name.startswith(BROWSER_NAMES):
                found.append(child)
    return found


def _lower(pid: int, nice: int) -> None:
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    # With autogrouping (Linux's default on Debian) a nice value only counts within a session;
    # Playwright starts Chromium in sessions of its own, so the session's nice value is the one
    # that puts the browsers behind the server (never this script's own session)
    try:
        foreign = os.getsid(pid) != os.getsid(0)
    except OSError:
        return  # the process ended
    group = autogroup_nice(pid) if foreign else None
    if group is not None and group < nice:
        set_autogroup_nice(pid, nice)
    for thread in threads:
        try:
            if os.getpriority(os.PRIO_PROCESS, int(thread)) < nice:
                os.setpriority(os.PRIO_PROCESS, int(thread), nice)  # a nice value is per thread on Linux
        except OSError:
            pass  # the thread ended, or we may not


@contextlib.contextmanager
def browsers_in_the_background(nice: int = BROWSER_NICE, every: float = 0.5, enabled: bool = True):
    """While inside: this script's Chromium threads run at ``nice`` (looked at every ``every`` s,
    as Chromium starts renderers and threads all the time)."""
    if not enabled:
        yield
        return
    stop = threading.Event()

    def keep_low() -> None:
        while not stop.wait(every):
            for pid in _browser_processes():
                _lower(pid, nice)

    watcher = threading.Thread(target=keep_low, name="browsers-in-the-background", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=5)


_TICKS = os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds() -> float:
    """CPU seconds this script's Chromium processes (those alive now) have used."""
    total = 0
    for pid in _browser_processes():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, since boot)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / _TICKS
