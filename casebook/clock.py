"""The time as the casebook reads it: the wall clock, or a fixed time a test has set.

Timers, presence and culling of open sessions all read ``clock.now()``, so a test moves time
forward with ``clock.set()`` / ``clock.advance()`` instead of sleeping.
"""

from __future__ import annotations

import time


class Clock:
    def __init__(self):
        self._fixed: float | None = None

    def now(self) -> float:
        return time.time() if self._fixed is None else self._fixed

    def set(self, when: float) -> None:
        self._fixed = float(when)

    def advance(self, seconds: float) -> None:
        self.set(self.now() + seconds)

    def reset(self) -> None:
        self._fixed = None


clock = Clock()
