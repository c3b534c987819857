"""The group picture the live views show at the reveal (issue 12): where the group is split
(*Bespreek eerst*), its agreement in words, and after round 2 how it moved. Reads a round's
ballots from the store and hands them, keyed by opaque participant ids, to ``agreement``;
what leaves this module are counts only, never who voted what. No widgets.
"""

from __future__ import annotations

from sqlalchemy import select

from casebook.agreement import RevealPicture, live_picture  # noqa: F401 - RevealPicture is part of this module's API
from casebook.catalogue import load_catalogue
from casebook.phases import MIN_VOTERS_FOR_RESULTS, rounds_of
from casebook.sessions import _session, results
from casebook.store import Store, VoteRow


def _ballots(db, session_id: int, position: int, round_number: int) -> dict[str, list[str]]:
    return {participant: list(items or []) for participant, items in db.execute(
        select(VoteRow.participant_id, VoteRow.items).where(
            VoteRow.session_id == session_id, VoteRow.position == position, VoteRow.round == round_number)
    )}


def reveal_picture(store: Store, code: str, position: int, round_number: int, key_items=(),
                   language: str = "nl") -> RevealPicture | None:
    """The picture of ``round_number`` of case ``position``; None below three voters. For a
    later round the shift since the first round comes with it. The caller decides whether the
    viewer may see this round at all (``phases.may_see_results``) and the key (``may_see_key``)."""
    item_ids = load_catalogue().item_ids
    with store.reading() as db:
        row = _session(db, code)
        ballots = _ballots(db, row.id, position, round_number)
        first = rounds_of(row.method)[0]
        earlier = _ballots(db, row.id, position, first) if round_number != first else None
    if len(ballots) < MIN_VOTERS_FOR_RESULTS:
        return None
    return RevealPicture(round_number, live_picture(ballots, item_ids, key_items, earlier, language))


def results_shown(store: Store, code: str, position: int, rounds, key_items=(), language: str = "nl"):
    """What a live page shows of case ``position``: the results of ``rounds`` (those its viewer
    may see) and the picture of the latest of them, in one question instead of one per round
    and one for the picture (a reveal wakes a whole group at once)."""
    shown = {number: results(store, code, position, number) for number in rounds}
    picture = reveal_picture(store, code, position, max(rounds), key_items, language) if rounds else None
    return shown, picture
