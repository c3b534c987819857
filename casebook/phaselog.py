"""Which phases a session actually ran, and for how long: the intervision record's net contact
hours. Only step numbers and times are logged; nothing about any person."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from casebook.store import PhaseRunRow, SessionRow

MIN_SECONDS_RUN = 60  # a phase left within a minute was clicked past, not run
TYPED_TIME_REACH = 12 * 3600  # a typed start or end further from the log is about another day


def note_phase(db, row: SessionRow, new_step: int, now: float) -> None:
    """Log entering ``new_step`` (called inside the facilitator's write transaction). The first
    call also logs the phase the session was in: from its running timer's start if there is one."""
    logged = db.execute(select(PhaseRunRow.id).where(PhaseRunRow.session_id == row.id).limit(1)).first()
    if logged is None:
        db.add(PhaseRunRow(session_id=row.id, step=row.step, entered_at=row.timer_started_at or now))
    if new_step != row.step:
        db.add(PhaseRunRow(session_id=row.id, step=new_step, entered_at=now))


@dataclass(frozen=True)
class PhaseRun:
    step: int
    entered_at: float  # epoch s


def phase_runs(db, session_id: int) -> list[PhaseRun]:
    rows = db.execute(select(PhaseRunRow.step, PhaseRunRow.entered_at)
                      .where(PhaseRunRow.session_id == session_id).order_by(PhaseRunRow.entered_at, PhaseRunRow.id))
    return [PhaseRun(step, entered_at) for step, entered_at in rows]


def net_minutes(runs: list[PhaseRun], planned_minutes: dict[int, float], started_at: float | None = None,
                ended_at: float | None = None) -> float:
    """Minutes spent in phases that were actually run (at least a minute each).

    Each phase lasts from entering it to entering the next. The first phase starts at the
    record's start time when that is earlier than the log knows (the timer was never started);
    the last phase ends at the record's end time, or else counts its planned minutes. Typed
    times more than 12 hours from the log are ignored, and the total never exceeds the typed
    start to end."""
    if not runs:
        return 0.0
    runs = list(runs)
    # typed times count only when they belong to the logged meeting (same half day)
    if started_at is not None and 0 < runs[0].entered_at - started_at <= TYPED_TIME_REACH:
        runs[0] = PhaseRun(runs[0].step, started_at)
    if ended_at is not None and not 0 < ended_at - runs[-1].entered_at <= TYPED_TIME_REACH:
        ended_at = None
    seconds = 0.0
    for run, following in zip(runs, runs[1:]):
        spent = following.entered_at - run.entered_at
        seconds += spent if spent >= MIN_SECONDS_RUN else 0.0
    last = runs[-1]
    spent = ended_at - last.entered_at if ended_at is not None else planned_minutes.get(last.step, 0) * 60
    seconds += spent if spent >= MIN_SECONDS_RUN else 0.0
    if started_at is not None and ended_at is not None and ended_at > started_at:
        seconds = min(seconds, ended_at - started_at)  # never more than the meeting the chair typed
    return seconds / 60
