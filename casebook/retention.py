"""Closing a session (AVG): keep what the report needs, delete individual votes and pseudonyms.

Every statistic of a round needs only its counts per item (``agreement.RoundTally``); the shift
from round 1 to round 2 needs the paired ballots, so it is computed here, before they go. After
closing, ``casebook session report`` gives the same report from the kept aggregates and record.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, select

from casebook.agreement import RoundTally, shift
from casebook.cases import Casebook, load_cases
from casebook.changes import notify_change
from casebook.catalogue import load_catalogue
from casebook.phases import rounds_of
from casebook.sessions import UnknownSession, _case_ids, normalise_code
from casebook.store import ParticipantRow, RoundAggregateRow, SessionRow, Store, VoteRow, utcnow


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


def close_session(store: Store, code: str, casebook: Casebook | None = None) -> dict:
    """Store every round's aggregates, then delete the votes and participants (pseudonyms) and
    mark the session closed. Closing a closed session changes nothing."""
    book = casebook if casebook is not None else load_cases()
    with store.writing() as db:
        row = store.lock_session(db, normalise_code(code))
        if row is None:
            raise UnknownSession(code)
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
