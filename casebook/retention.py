"""Closing a session (AVG): keep what the report needs, delete individual votes and pseudonyms.

Every statistic of a round needs only its counts per item (``agreement.RoundTally``); the shift
from round 1 to round 2 needs the paired ballots, so it is computed here, before they go. After
closing, ``casebook session report`` gives the same report from the kept aggregates and record.
``casebook serve`` closes forgotten sessions at start-up (``close_stale_sessions``), after
``Settings.close_after_days`` without activity.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import delete, func, select

from casebook.agreement import RoundTally, shift
from casebook.cases import Casebook, load_cases
from casebook.changes import notify_change
from casebook.catalogue import load_catalogue
from casebook.clock import clock
from casebook.phases import rounds_of
from casebook.sessions import UnknownSession, _case_ids, _require_key, normalise_code
from casebook.store import (
    ParticipantRow, PhaseRunRow, RoundAggregateRow, SessionRow, Store, VoteRow, utcnow,
)


def case_key(book: Casebook, case_id: str) -> list[str]:
    """The items of a case's key; empty when the case file is gone (the report then says so)."""
    return list(book.cases[case_id].key_items) if case_id in book.cases else []


def ballots_by_round(db, session_id: int) -> dict[tuple[int, int], dict[str, list[str]]]:
    """(case position, round) -> participant id -> items. Only for computing aggregates."""
    grouped: dict[tuple[int, int], dict[str, list[str]]] = defaultdict(dict)
    for position, round_number, participant, items in db.execute(
        select(VoteRow.position, VoteRow.round, VoteRow.participant_id, VoteRow.items)
        .where(VoteRow.session_id == session_id)
    ):
        grouped[(position, round_number)][participant] = list(items or [])
    return grouped


def round_aggregates(row: SessionRow, case_ids, ballots, book: Casebook) -> list[RoundAggregateRow]:
    """What a closed session keeps of each round: counts, the key, and the shift since round 1."""
    item_ids = load_catalogue().item_ids
    rounds = rounds_of(row.method)
    kept = []
    for position, case_id in enumerate(case_ids):
        key = case_key(book, case_id)
        for round_number in rounds:
            votes = ballots.get((position, round_number), {})
            tally = RoundTally.from_ballots(votes.values(), item_ids)
            moved = None
            if round_number != rounds[0]:
                moved = shift(ballots.get((position, rounds[0]), {}), votes, item_ids, key).as_dict()
            kept.append(RoundAggregateRow(
                session_id=row.id, position=position, round=round_number, case_id=case_id,
                voters=tally.voters, counts=tally.counts, key_items=key, shift=moved,
            ))
    return kept


def close_session(store: Store, code: str, casebook: Casebook | None = None, key: str | None = None) -> dict:
    """Store every round's aggregates, then delete the votes and participants (pseudonyms) and
    mark the session closed. Closing a closed session changes nothing. From a page, ``key``
    (the facilitator key or the trainer token) is required; the CLI runs on the server itself."""
    book = casebook if casebook is not None else load_cases()
    with store.writing() as db:
        row = store.lock_session(db, normalise_code(code))
        if row is None:
            raise UnknownSession(code)
        if key is not None:
            _require_key(row, key)
        if row.closed_at is not None:
            return {"closed": False, "votes": 0, "participants": 0}
        for aggregate in round_aggregates(row, _case_ids(db, row), ballots_by_round(db, row.id), book):
            db.merge(aggregate)
        votes = db.execute(delete(VoteRow).where(VoteRow.session_id == row.id)).rowcount
        participants = db.execute(delete(ParticipantRow).where(ParticipantRow.session_id == row.id)).rowcount
        row.closed_at = utcnow()
        row.version += 1
        notify_change(db, store.is_sqlite, row.code)
    return {"closed": True, "votes": votes, "participants": participants}


# ------------------------------------------------------------------ closing forgotten sessions

DAY_SECONDS = 24 * 3600


def _epoch(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    # SQLite hands back naive datetimes; everything is stored in UTC
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def last_activity(db, row: SessionRow) -> float:
    """When anything last happened in a session (epoch s): created, a phase entered, a page of a
    participant seen, a vote cast. A session run weeks after it was prepared is not stale."""
    seen = db.execute(select(func.max(ParticipantRow.last_seen)).where(ParticipantRow.session_id == row.id)).scalar()
    entered = db.execute(select(func.max(PhaseRunRow.entered_at)).where(PhaseRunRow.session_id == row.id)).scalar()
    cast = db.execute(select(func.max(VoteRow.cast_at)).where(VoteRow.session_id == row.id)).scalar()
    return max(_epoch(row.created_at), seen or 0.0, entered or 0.0, _epoch(cast))


def stale_sessions(store: Store, days: int, now: float | None = None) -> list[str]:
    """Codes of the open sessions that hold participants (pseudonyms, maybe votes) and saw no
    activity for ``days`` days. Sessions nobody joined hold nothing personal and stay open, so a
    series prepared months ahead is still there when its day comes. ``days`` 0: none."""
    if days <= 0:
        return []
    cutoff = (clock.now() if now is None else now) - days * DAY_SECONDS
    with store.reading() as db:
        rows = db.execute(select(SessionRow).where(
            SessionRow.closed_at.is_(None),
            select(ParticipantRow.id).where(ParticipantRow.session_id == SessionRow.id).exists(),
        ).order_by(SessionRow.id)).scalars().all()
        return [row.code for row in rows if last_activity(db, row) < cutoff]


def close_stale_sessions(store: Store, days: int, now: float | None = None,
                         casebook: Casebook | None = None) -> list[str]:
    """Close (``close_session``) every session ``stale_sessions`` names; returns their codes."""
    codes = stale_sessions(store, days, now)
    if codes:
        book = casebook if casebook is not None else load_cases()
        for code in codes:
            close_session(store, code, casebook=book)
    return codes
