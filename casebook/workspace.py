"""The trainer's overview of the sessions on a store: what each is, where it stands, and the
actions on it (plan, report, close, purge) as the trainer app offers them. No widgets.

A session is *prepared* until anyone joins or the facilitator starts it, then *running*,
and *closed* once closing kept its aggregates and deleted the individual votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from casebook.sessions import _case_ids, _session
from casebook.store import ParticipantRow, PhaseRunRow, RoundAggregateRow, SessionRow, Store

PREPARED, RUNNING, CLOSED = "prepared", "running", "closed"
STATES = (PREPARED, RUNNING, CLOSED)


@dataclass(frozen=True)
class SessionSettings:
    """What a session was prepared with, as the store keeps it."""

    code: str
    title: str
    method: str
    language: str
    minutes: dict
    reveal_key: bool
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class SessionSummary:
    """One line of the trainer's session list (never a pseudonym or a vote)."""

    code: str
    title: str
    created_at: datetime | None
    state: str
    participants: int  # joined so far; for a closed session, the most who voted in one round
    case_ids: tuple[str, ...]
    method: str
    language: str


def session_settings(store: Store, code: str) -> SessionSettings:
    with store.reading() as db:
        row = _session(db, code)
        return SessionSettings(code=row.code, title=row.title, method=row.method, language=row.language,
                               minutes=dict(row.minutes or {}), reveal_key=row.reveal_key,
                               case_ids=_case_ids(db, row))


def _state(row: SessionRow, participants: int, started: bool) -> str:
    if row.closed_at is not None:
        return CLOSED
    if participants or started or row.step > 0 or row.timer_started_at is not None:
        return RUNNING
    return PREPARED


def list_sessions(store: Store) -> list[SessionSummary]:
    """Every session on the store, the newest first."""
    with store.reading() as db:
        rows = db.execute(select(SessionRow).order_by(SessionRow.created_at.desc(), SessionRow.id.desc())).scalars().all()
        participants = dict(db.execute(
            select(ParticipantRow.session_id, func.count()).group_by(ParticipantRow.session_id)).all())
        started = set(db.execute(select(PhaseRunRow.session_id).distinct()).scalars())
        # closing deleted the participants; their number lives on in the rounds' aggregates
        voted = dict(db.execute(select(RoundAggregateRow.session_id, func.max(RoundAggregateRow.voters))
                                .group_by(RoundAggregateRow.session_id)).all())
        return [
            SessionSummary(code=row.code, title=row.title, created_at=row.created_at,
                           state=_state(row, participants.get(row.id, 0), row.id in started),
                           participants=participants.get(row.id, voted.get(row.id, 0)), case_ids=_case_ids(db, row),
                           method=row.method, language=row.language)
            for row in rows
        ]
