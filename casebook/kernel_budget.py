"""Kernels are a budget: every page's kernel holds 50-75 MB and a share of two cores.

The server keeps one ``KernelBudget``. It decides, before a page's kernel starts:

* **per server**: at most ``max_pages`` kernels run (pages and preheated pool alike). The default
  follows from the machine's memory and the measured size of a page's kernel
  (``default_max_pages``). Participants, browse and solo pages may use all but the room reserved
  for the facilitator and projector pages of running sessions; those two may use the reserve.
  A refused page gets a plain "full, try again in a minute" answer (``casebook.web``).
* **per browser**: one browser (its cookie) holds at most ``pages_per_browser`` kernels (a
  trainer's, with the trainer token, ``pages_per_trainer_browser``); the page it opens beyond that
  releases its oldest (a tab left open long ago, a script re-using one cookie).
* **pages that never connected**: a page whose kernel no browser connected to within
  ``unconnected_seconds`` of being served (a client that fetched the page but ran none of its
  script) releases its kernel then, instead of at the idle cull timeout minutes later. A page
  whose script did run (it asked ``/casebook/alive`` for its kernel, the first thing it does)
  is a browser still loading the app (a slow phone, a busy machine after a restart) and gets
  ``loading_seconds``. Culling of pages that did connect stays Voila's
  (``MappingKernelManager.cull_idle_timeout``).

It only keeps the books and says which kernel to release; the server's kernel manager does the
releasing (``casebook.web``), so this module runs without Voila.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

# Measured RSS of a page's kernel (benchmarks/live_session.py, 2026-12-07): participant 53-55 MB,
# projector 54 MB, facilitator 74 MB. The budget counts every kernel at a little above the mix.
KERNEL_MB = 60
# What the server needs beside its pages' kernels: the server itself (~150 MB), the page store
# (~100 MB) and the check worker once deduce is loaded (~1.1 GB), with some room for the system.
SERVER_MB = 1536
# Share of the rest the pages may take: the system's page cache and a burst of output need room.
PAGES_SHARE = 0.75
MIN_PAGES = 8

PAGES_PER_BROWSER = 4
# A trainer's browser (the trainer token) runs a session on several screens at once: the trainer
# app, the facilitator's page, the projector, a plan, the author app.
PAGES_PER_TRAINER_BROWSER = 8
UNCONNECTED_SECONDS = 20.0
# A page whose script ran but whose app has not connected yet: after a restart, 30 pages reloading
# at once on a busy 2-core machine took 20-60 s to connect (their kernels released at 20 s, the
# pages reloaded again, and nothing was usable after 5 minutes); a phone on a slow network
# downloads the app's scripts for as long.
LOADING_SECONDS = 120.0
# Room kept for each running session's facilitator and projector pages, at most a quarter of all.
RESERVED_PER_SESSION = 2

# Which pages may use the reserved room (when their session is running).
SESSION_SCREENS = frozenset({"facilitator.ipynb", "projector.ipynb"})


def memory_mb() -> int:
    """The machine's memory in MB (cgroup limit where one is set, as in a container)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = open(limit_file).read().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text) // (1024 * 1024))
    return total


def default_max_pages(total_mb: int | None = None) -> int:
    """How many kernels this machine's memory holds with room for the server beside them."""
    total_mb = memory_mb() if total_mb is None else total_mb
    return max(MIN_PAGES, int((total_mb - SERVER_MB) * PAGES_SHARE) // KERNEL_MB)


@dataclass
class Page:
    """A kernel a page was served with."""

    kernel_id: str
    browser: str
    notebook: str
    served_at: float
    sent: bool = False  # the whole page reached the client (its time runs from then)
    loading: bool = False  # its script ran: a browser that loads the app
    connected: bool = False


@dataclass
class KernelBudget:
    max_pages: int
    pages_per_browser: int = PAGES_PER_BROWSER
    pages_per_trainer_browser: int = PAGES_PER_TRAINER_BROWSER
    unconnected_seconds: float = UNCONNECTED_SECONDS
    loading_seconds: float = LOADING_SECONDS
    pages: dict[str, Page] = field(default_factory=dict)  # kernel id -> page, oldest first

    def reserved(self, running_sessions: int) -> int:
        """Room kept for the facilitator and projector pages of the sessions that run."""
        return min(RESERVED_PER_SESSION * running_sessions, self.max_pages // 4)

    def clear_of_any_reserve(self, running_kernels: int) -> bool:
        """Room however many sessions run: no need to ask which do."""
        return running_kernels < self.max_pages - self.max_pages // 4

    def room_for(self, notebook: str, running_kernels: int, running_sessions: int, screen_of_a_session: bool) -> bool:
        """Whether a page of ``notebook`` that needs a new kernel may have one now.
        ``screen_of_a_session``: a facilitator or projector page whose session runs."""
        if notebook in SESSION_SCREENS and screen_of_a_session:
            return running_kernels < self.max_pages
        return running_kernels < self.max_pages - self.reserved(running_sessions)

    def may_preheat(self, running_kernels: int, running_sessions: int) -> bool:
        """A pool may warm one more kernel: never into the reserved room."""
        return running_kernels < self.max_pages - self.reserved(running_sessions)

    def served(self, kernel_id: str, browser: str, notebook: str, now: float | None = None,
               trainer: bool = False) -> list[str]:
        """A page was served with ``kernel_id`` to ``browser`` (a trainer's: ``trainer``).
        Returns the kernels to release: that browser's oldest beyond its budget."""
        now = time.monotonic() if now is None else now
        self.pages.pop(kernel_id, None)
        self.pages[kernel_id] = Page(kernel_id, browser, notebook, now)
        held = [page.kernel_id for page in self.pages.values() if page.browser == browser]
        budget = self.pages_per_trainer_browser if trainer else self.pages_per_browser
        return held[: max(0, len(held) - budget)]

    def sent(self, kernel_id: str, now: float | None = None) -> None:
        page = self.pages.get(kernel_id)
        if page is not None:
            page.sent, page.served_at = True, time.monotonic() if now is None else now

    def loading(self, kernel_id: str) -> None:
        """The page's script ran (it asked for its kernel): it gets ``loading_seconds``."""
        page = self.pages.get(kernel_id)
        if page is not None:
            page.loading = True

    def connected(self, kernel_id: str) -> None:
        page = self.pages.get(kernel_id)
        if page is not None:
            page.connected = True

    def patience(self, page: Page) -> float:
        """Seconds a sent page has to connect: more once its script showed it runs."""
        return self.loading_seconds if page.loading else self.unconnected_seconds

    def never_connected(self, now: float | None = None) -> list[str]:
        """Kernels whose page was sent longer ago than its ``patience`` and never connected."""
        now = time.monotonic() if now is None else now
        return [page.kernel_id for page in self.pages.values()
                if page.sent and not page.connected and now - page.served_at >= self.patience(page)]

    def forget(self, kernel_id: str) -> None:
        """The kernel is gone (released, culled, shut down by its page)."""
        self.pages.pop(kernel_id, None)

    def held_by(self, browser: str) -> int:
        return sum(1 for page in self.pages.values() if page.browser == browser)
