"""What a live page knows of a session: plain data, without the database.

``casebook.sessions`` computes these in the store; a participant's kernel receives them from
the server's page store (``casebook.page_store``) and must not import a database library to
read them, so they live here (``casebook.sessions`` re-exports them).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field

from casebook.exceptions import SessionError, UnknownSession
from casebook.phases import Step, rounds_of


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


@dataclass(frozen=True)
class SessionState:
    """What a view needs to draw a session at one moment (no votes of individuals)."""

    code: str
    title: str
    method: str
    language: str
    reveal_key: bool
    case_ids: tuple[str, ...]
    step: Step
    steps_total: int
    minutes: int
    remaining: float | None  # seconds left in this phase, None when untimed
    running: bool
    version: int
    voters: dict[int, int] = field(default_factory=dict)  # round -> voters, current case
    participants: int = 0
    present: int = 0

    @property
    def case_id(self) -> str:
        return self.case_ids[self.step.position]

    @property
    def rounds(self) -> tuple[int, ...]:
        return rounds_of(self.method)

    @property
    def is_last_step(self) -> bool:
        return self.step.index >= self.steps_total - 1


@dataclass(frozen=True)
class RoundResult:
    round: int
    voters: int
    counts: dict[str, int]  # item id -> how many ticked it; every catalogue item present

    def share(self, item_id: str) -> float:
        return self.counts.get(item_id, 0) / self.voters if self.voters else 0.0


# ------------------------------------------------------------------ wrong codes tried from one page


WRONG_CODES_PER_PAGE = 10
WRONG_CODES_PER_SERVER = 120
JOIN_WINDOW_SECONDS = 60.0


def _wait(oldest_counted: float, now: float) -> int:
    return max(1, math.ceil(oldest_counted + JOIN_WINDOW_SECONDS - now))


class JoinLimiter:
    """Wrong codes tried from one page (a kernel's own count, for pages without a cookie)."""

    def __init__(self):
        self.failures: list[float] = []

    def recent(self, now: float) -> list[float]:
        self.failures = [at for at in self.failures if at > now - JOIN_WINDOW_SECONDS]
        return self.failures

    def check(self, now: float) -> None:
        recent = self.recent(now)
        if len(recent) >= WRONG_CODES_PER_PAGE:
            raise SessionError("too_many_codes", seconds=_wait(recent[0], now))

    def note(self, now: float) -> None:
        self.failures.append(now)

    @contextmanager
    def counting(self, now: float):
        """Around one join attempt from this page: refused while it is over the limit, and a
        wrong code (``UnknownSession``) counted."""
        self.check(now)
        try:
            yield
        except UnknownSession:
            self.note(now)
            raise
