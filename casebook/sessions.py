"""Live sessions: creating, joining, voting and moving through phases, with every rule
enforced here on the server: a widget's ``disabled`` is only a browser hint, and a crafted
widget message still fires its handler.
"""

from __future__ import annotations

import hashlib
import logging
import hmac
import secrets
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from casebook.cases import Casebook, load_cases
from casebook.changes import notify_change
from casebook.clock import clock
from casebook.config import settings
from casebook.catalogue import load_catalogue
from casebook.exceptions import (  # noqa: F401 - part of this module's API
    BadParameter, CasebookError, NotAllowed, SessionError, UnknownSession, VoteRefused,
)
from casebook.parameters import SessionParameters
from casebook.phaselog import note_phase
from casebook.phases import Step, programme, rounds_of
from casebook.session_state import (  # noqa: F401 - part of this module's API
    JOIN_WINDOW_SECONDS, WRONG_CODES_PER_PAGE, WRONG_CODES_PER_SERVER, JoinLimiter, RoundResult, SessionState, _wait, normalise_code,
)
from casebook.store import (
    JoinFailureRow, ParticipantRow, RoundAggregateRow, SessionCaseRow, SessionRow, Store, VoteRow,
)

log = logging.getLogger("casebook")

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: codes are read off a projector and typed on phones.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
PRESENCE_SECONDS = 90  # a participant whose page ticked within this time counts as present
PSEUDONYM_MAX = 40


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class CreatedSession:
    code: str
    facilitator_key: str


def refuse_unclean(cases) -> None:
    """The anonymisation gate: a case with identifying details never reaches a session.

    Reads the verdicts recorded by ``clear()`` (which ``casebook serve`` and ``casebook session
    new`` run); a case never judged is refused too, so nothing unchecked slips through.
    """
    from casebook.clearance import load_record, recorded_verdict

    record = load_record()
    for case in cases:
        found = recorded_verdict(case, record)
        if found is None:
            raise BadParameter("cases", case.id, "case_not_checked")
        if found:
            raise BadParameter("cases", case.id, "case_refused", count=len(found), first=found[0].get("text"))


def create_session(
    store: Store,
    cases: list[str] | SessionParameters,
    casebook: Casebook | None = None,
    code: str | None = None,
    facilitator_key: str | None = None,
    **options,
) -> CreatedSession:
    """Validate every parameter, then register the session; nothing is written on a bad one.

    ``cases`` is a list of case ids (with the other SessionParameters as ``options``) or a whole
    SessionParameters. ``code`` and ``facilitator_key`` may be chosen beforehand (a session plan
    is prepared with them, so that re-running the plan finds its session); by default they are
    drawn here."""
    parameters = cases if isinstance(cases, SessionParameters) else SessionParameters(cases=cases, **options)
    book = casebook if casebook is not None else load_cases()
    parameters = parameters.checked(book)
    refuse_unclean([book.get(case_id) for case_id in parameters.cases])
    if code is not None and (len(code) != CODE_LENGTH or not set(code) <= set(CODE_ALPHABET)):
        raise BadParameter("session_code", code, "code_shape")
    if facilitator_key is not None and len(facilitator_key) < 24:
        raise BadParameter("facilitator_key", "…", "key_shape")
    key = facilitator_key or secrets.token_urlsafe(24)
    with store.writing() as db:
        def taken(candidate):
            return db.execute(select(SessionRow.id).where(SessionRow.code == candidate)).first()

        if code is not None and taken(code):
            raise BadParameter("session_code", code, "code_taken")
        code = code or new_code()
        while taken(code):
            code = new_code()
        row = SessionRow(
            code=code, facilitator_key_hash=_hash_key(key), title=parameters.title, method=parameters.method,
            language=parameters.language, reveal_key=parameters.reveal_key, minutes=parameters.minutes, step=0,
            timer_started_at=None, timer_elapsed=0.0, version=0,
        )
        db.add(row)
        db.flush()
        for position, case_id in enumerate(parameters.cases):
            db.add(SessionCaseRow(session_id=row.id, position=position, case_id=case_id))
    return CreatedSession(code, key)


# ------------------------------------------------------------------ reading


def _session(db, code: str) -> SessionRow:
    row = db.execute(select(SessionRow).where(SessionRow.code == normalise_code(code))).scalar_one_or_none()
    if row is None:
        raise UnknownSession(code)
    return row


def _locked(store: Store, db, code: str) -> SessionRow:
    """The session's row, locked for a change (one writer at a time per session)."""
    row = store.lock_session(db, normalise_code(code))
    if row is None:
        raise UnknownSession(code)
    return row


def _require_key(row: SessionRow, key: str) -> None:
    """The session's facilitator key, or the server's trainer token (a trainer may run any
    session), grants facilitator actions; nothing else does."""
    if hmac.compare_digest(row.facilitator_key_hash, _hash_key(key or "")):
        return
    trainer_token = settings().trainer_token
    if trainer_token and key and hmac.compare_digest(key.encode(), trainer_token.encode()):
        return
    raise NotAllowed("not_facilitator")


def _case_ids(db, row: SessionRow) -> tuple[str, ...]:
    return tuple(db.execute(
        select(SessionCaseRow.case_id).where(SessionCaseRow.session_id == row.id).order_by(SessionCaseRow.position)
    ).scalars())


def session_parameters(store: Store, code: str) -> SessionParameters:
    """What the trainer chose for session ``code`` (to prepare it again for another group)."""
    with store.reading() as db:
        row = _session(db, code)
        return SessionParameters(cases=list(_case_ids(db, row)), method=row.method, language=row.language,
                                 title=row.title, minutes=dict(row.minutes or {}), reveal_key=row.reveal_key)


def _changed(store: Store, db, row: SessionRow) -> None:
    """Every change a view follows: a new version, and a signal to listening pages on commit."""
    row.version += 1
    notify_change(db, store.is_sqlite, row.code)


def session_exists(store: Store, code: str) -> bool:
    with store.reading() as db:
        return db.execute(select(SessionRow.id).where(SessionRow.code == normalise_code(code))).first() is not None


# A session counts as running for the server's room (casebook.kernel_budget) while it is open
# and was made, or had a participant's page open, within this time.
RUNNING_SECONDS = 12 * 3600


def running_sessions(store: Store, now: float | None = None) -> set[str]:
    """Codes of the open sessions in use lately: their facilitator and projector pages get the
    server's reserved room."""
    from datetime import datetime, timezone

    now = clock.now() if now is None else now
    since = now - RUNNING_SECONDS
    with store.reading() as db:
        recent = select(SessionRow.code).where(
            SessionRow.closed_at.is_(None),
            SessionRow.created_at >= datetime.fromtimestamp(since, timezone.utc))
        attended = (select(SessionRow.code).join(ParticipantRow, ParticipantRow.session_id == SessionRow.id)
                    .where(SessionRow.closed_at.is_(None), ParticipantRow.last_seen >= since))
        return set(db.execute(recent).scalars()) | set(db.execute(attended).scalars())


def version(store: Store, code: str) -> int:
    """A number that changes whenever anything a view shows changes: cheap to poll."""
    with store.reading() as db:
        value = db.execute(select(SessionRow.version).where(SessionRow.code == normalise_code(code))).scalar()
    if value is None:
        raise UnknownSession(code)
    return value


def _remaining(row: SessionRow, minutes: int, now: float) -> float | None:
    if not minutes:
        return None
    # a reading whose moment was taken just before the timer started counts no negative time
    elapsed = row.timer_elapsed + (max(0.0, now - row.timer_started_at) if row.timer_started_at else 0.0)
    return minutes * 60 - elapsed


def state(store: Store, code: str, now: float | None = None) -> SessionState:
    now = clock.now() if now is None else now
    with store.reading() as db:
        row = _session(db, code)
        case_ids = _case_ids(db, row)
        steps = programme(row.method, len(case_ids))
        step = steps[min(row.step, len(steps) - 1)]
        minutes = row.minutes.get(step.phase.id, step.phase.minutes) if row.minutes else step.phase.minutes
        voters = dict(db.execute(
            select(VoteRow.round, func.count()).where(VoteRow.session_id == row.id, VoteRow.position == step.position)
            .group_by(VoteRow.round)
        ).all())
        participants = db.execute(select(func.count()).where(ParticipantRow.session_id == row.id)).scalar()
        present = db.execute(select(func.count()).where(
            ParticipantRow.session_id == row.id, ParticipantRow.last_seen >= now - PRESENCE_SECONDS
        )).scalar()
        return SessionState(
            code=row.code, title=row.title, method=row.method, language=row.language, reveal_key=row.reveal_key,
            case_ids=case_ids, step=step, steps_total=len(steps), minutes=minutes,
            remaining=_remaining(row, minutes, now), running=row.timer_started_at is not None,
            version=row.version, voters={r: voters.get(r, 0) for r in rounds_of(row.method)},
            participants=participants, present=present,
        )


def results(store: Store, code: str, position: int, round_number: int) -> RoundResult:
    """Aggregated counts per item for one round of one case; never who voted what. Once the
    session is closed its votes are gone, and the counts are those closing kept
    (``retention.close_session``), so they read the same before and after."""
    counts = {item.id: 0 for item in load_catalogue().items}
    with store.reading() as db:
        row = _session(db, code)
        if row.closed_at is not None:
            kept = db.execute(select(RoundAggregateRow).where(
                RoundAggregateRow.session_id == row.id, RoundAggregateRow.position == position,
                RoundAggregateRow.round == round_number)).scalar_one_or_none()
            if kept is None:
                return RoundResult(round_number, 0, counts)
            return RoundResult(round_number, kept.voters,
                               {item: int((kept.counts or {}).get(item, 0)) for item in counts})
        ballots = db.execute(select(VoteRow.items).where(
            VoteRow.session_id == row.id, VoteRow.position == position, VoteRow.round == round_number
        )).scalars().all()
    for items in ballots:
        for item in items:
            if item in counts:
                counts[item] += 1
    return RoundResult(round_number, len(ballots), counts)


def is_closed(store: Store, code: str) -> bool:
    """Whether session ``code`` was closed (its votes deleted, its aggregates kept)."""
    with store.reading() as db:
        return _session(db, code).closed_at is not None


def all_results(store: Store, code: str) -> list[dict]:
    """Every case and round of a session, for ``casebook session results``; after closing, from
    the aggregates closing kept."""
    current = state(store, code)
    report = []
    for position, case_id in enumerate(current.case_ids):
        for round_number in current.rounds:
            result = results(store, code, position, round_number)
            report.append({"case": case_id, "position": position, "round": round_number,
                           "voters": result.voters, "counts": result.counts})
    return report


# ------------------------------------------------------------------ participants


def join(store: Store, code: str, pseudonym: str, browser: str = "") -> str:
    """Register a participant under a pseudonym; returns their random id.

    ``browser`` (the keyed hash of the browser's cookie, from the server) makes one browser one
    participant: when this browser joined the session before, its participant is returned and
    nobody new is registered, whatever pseudonym is typed now."""
    pseudonym = " ".join((pseudonym or "").split())
    if not pseudonym:
        raise SessionError("pseudonym_missing")
    if len(pseudonym) > PSEUDONYM_MAX:
        raise SessionError("pseudonym_too_long", max=PSEUDONYM_MAX)
    with store.writing() as db:
        row = _locked(store, db, code)
        if row.closed_at is not None:  # closing deleted the pseudonyms; nothing personal comes back
            raise SessionError("session_closed")
        if browser:
            known = _browser_participant(db, row, browser)
            if known is not None:
                return known.id
        participant_id = secrets.token_hex(16)
        db.add(ParticipantRow(id=participant_id, session_id=row.id, pseudonym=pseudonym, last_seen=clock.now(),
                              browser=browser or None))
        _changed(store, db, row)
    return participant_id


def _browser_participant(db, row: SessionRow, browser: str) -> ParticipantRow | None:
    return db.execute(select(ParticipantRow).where(
        ParticipantRow.session_id == row.id, ParticipantRow.browser == browser)).scalars().first()


def browser_participant(store: Store, code: str, browser: str) -> tuple[str, str] | None:
    """(participant id, pseudonym) of the participant this browser is in session ``code``."""
    if not browser:
        return None
    with store.reading() as db:
        row = db.execute(select(SessionRow).where(SessionRow.code == normalise_code(code))).scalar_one_or_none()
        known = _browser_participant(db, row, browser) if row is not None else None
        return (known.id, known.pseudonym) if known is not None else None


# ------------------------------------------------------------------ wrong join codes

# Codes are 6 characters from 25 (244 million); one page or browser may try 10 wrong codes a
# minute, after which it is refused for a minute, even with a right code. Across the whole
# server 120 wrong codes a minute are let through (a room of 30 people each mistyping twice
# stays far below); beyond that, every page that typed a wrong code in the last minute is
# refused too. Guessing one of ten open sessions' codes then takes months, not minutes.
def check_join_allowed(store: Store, browser: str, now: float | None = None) -> None:
    """Refuse a join attempt from a browser that tried too many wrong codes, or while the server
    as a whole sees a burst of them (then from any browser that tried a wrong one)."""
    now = clock.now() if now is None else now
    since = now - JOIN_WINDOW_SECONDS
    with store.reading() as db:
        total = db.execute(select(func.count()).where(JoinFailureRow.at > since)).scalar()
        mine = db.execute(select(JoinFailureRow.at).where(
            JoinFailureRow.at > since, JoinFailureRow.browser == browser).order_by(JoinFailureRow.at)
        ).scalars().all() if browser else []
    if len(mine) >= WRONG_CODES_PER_PAGE:
        raise SessionError("too_many_codes", seconds=_wait(mine[-WRONG_CODES_PER_PAGE], now))
    if total >= WRONG_CODES_PER_SERVER and (mine or not browser):
        raise SessionError("too_many_codes_server")


def note_wrong_code(store: Store, browser: str, now: float | None = None) -> None:
    now = clock.now() if now is None else now
    with store.writing() as db:
        db.execute(delete(JoinFailureRow).where(JoinFailureRow.at <= now - JOIN_WINDOW_SECONDS))
        db.add(JoinFailureRow(at=now, browser=browser or None))
        db.flush()
        total = db.execute(select(func.count()).select_from(JoinFailureRow)).scalar()
    if total == WRONG_CODES_PER_SERVER or (total > WRONG_CODES_PER_SERVER and total % 100 == 0):
        log.warning("burst of wrong join codes: %d within a minute across the server", total)


def forget_old_join_failures(store: Store, now: float | None = None) -> int:
    """Delete the wrong codes older than the window (``note_wrong_code`` does this only when the
    next wrong code comes; ``casebook serve`` calls this at start). Returns how many."""
    now = clock.now() if now is None else now
    with store.writing() as db:
        return db.execute(delete(JoinFailureRow).where(JoinFailureRow.at <= now - JOIN_WINDOW_SECONDS)).rowcount


def enter(store: Store, code: str, pseudonym: str, browser: str = "", limiter: JoinLimiter | None = None) -> str:
    """A join attempt as a page makes it: refused while this page or browser is over the limit
    of wrong codes; a wrong code is counted; a right one joins (or finds this browser's
    participant). Returns the participant id."""
    now = clock.now()
    with limiter.counting(now) if limiter is not None else nullcontext():
        check_join_allowed(store, browser, now)
        if not session_exists(store, code):
            note_wrong_code(store, browser, now)
            raise UnknownSession(normalise_code(code) or "—")
        return join(store, code, pseudonym, browser)


def participant_pseudonym(store: Store, code: str, participant_id: str) -> str | None:
    """The pseudonym of ``participant_id`` if it joined session ``code`` (to continue after a
    reload with one's personal link, instead of joining again and voting twice)."""
    with store.reading() as db:
        row = db.execute(select(SessionRow.id).where(SessionRow.code == normalise_code(code))).scalar()
        participant = db.get(ParticipantRow, participant_id or "")
        if row is None or participant is None or participant.session_id != row:
            return None
        return participant.pseudonym


def touch(store: Store, participant_id: str, now: float | None = None) -> None:
    """Presence: the participant's page is still open."""
    with store.writing() as db:
        participant = db.get(ParticipantRow, participant_id)
        if participant is not None:
            participant.last_seen = clock.now() if now is None else now


def cast_vote(store: Store, code: str, participant_id: str, position: int, round_number: int, items) -> None:
    """Store a participant's vote, replacing their earlier one in the same round.

    Refused (``VoteRefused``, nothing stored) when the round is not open at this moment, the
    participant is not in this session, or an item is unknown.
    """
    known = set(load_catalogue().item_ids)
    items = sorted(set(items or []))
    unknown = [i for i in items if i not in known]
    if unknown:
        raise VoteRefused("unknown_items", items=", ".join(unknown))
    with store.writing() as db:
        row = _locked(store, db, code)
        if row.closed_at is not None:
            raise VoteRefused("session_closed")
        participant = db.get(ParticipantRow, participant_id or "")
        if participant is None or participant.session_id != row.id:
            raise VoteRefused("not_a_participant")
        steps = programme(row.method, len(_case_ids(db, row)))
        step = steps[min(row.step, len(steps) - 1)]
        if step.position != position or step.phase.vote_round != round_number:
            raise VoteRefused("round_closed", round=round_number)
        vote = db.execute(select(VoteRow).where(
            VoteRow.session_id == row.id, VoteRow.position == position, VoteRow.round == round_number,
            VoteRow.participant_id == participant_id,
        )).scalar_one_or_none()
        if vote is None:
            db.add(VoteRow(session_id=row.id, position=position, round=round_number,
                           participant_id=participant_id, items=items))
        else:
            vote.items = items
        participant.last_seen = clock.now()
        _changed(store, db, row)


def my_votes(store: Store, code: str, participant_id: str, position: int, rounds) -> dict[int, list[str] | None]:
    """A participant's own current votes in ``rounds`` of case ``position`` (None where none):
    one question where a page shows them all."""
    with store.reading() as db:
        row = _session(db, code)
        found = dict(db.execute(select(VoteRow.round, VoteRow.items).where(
            VoteRow.session_id == row.id, VoteRow.position == position, VoteRow.round.in_(list(rounds)),
            VoteRow.participant_id == participant_id,
        )).all())
    return {number: found.get(number) for number in rounds}


def votes_of_case(store: Store, code: str, position: int, rounds) -> dict[str, dict[int, list[str]]]:
    """Every participant's current votes in ``rounds`` of case ``position``, by participant id.
    For the page store only, which answers each page with its own participant's part
    (``my_votes``): one question when a change wakes a whole group, not one per page."""
    with store.reading() as db:
        row = _session(db, code)
        found: dict[str, dict[int, list[str]]] = {}
        for participant_id, number, items in db.execute(select(VoteRow.participant_id, VoteRow.round, VoteRow.items).where(
            VoteRow.session_id == row.id, VoteRow.position == position, VoteRow.round.in_(list(rounds)),
        )):
            found.setdefault(participant_id, {})[number] = items
    return found


def my_vote(store: Store, code: str, participant_id: str, position: int, round_number: int) -> list[str] | None:
    """A participant's own current vote (only ever shown to that participant)."""
    with store.reading() as db:
        row = _session(db, code)
        return db.execute(select(VoteRow.items).where(
            VoteRow.session_id == row.id, VoteRow.position == position, VoteRow.round == round_number,
            VoteRow.participant_id == participant_id,
        )).scalar_one_or_none()


# ------------------------------------------------------------------ facilitator


class FacilitatorControl:
    """Phase and timer actions; every call checks the facilitator key again."""

    def __init__(self, store: Store, code: str, key: str):
        self.store, self.code, self._key = store, normalise_code(code), key or ""
        self.check_key()

    def check_key(self) -> None:
        with self.store.reading() as db:
            _require_key(_session(db, self.code), self._key)

    def _change(self, apply) -> None:
        with self.store.writing() as db:
            row = _locked(self.store, db, self.code)
            _require_key(row, self._key)
            apply(db, row, clock.now())
            _changed(self.store, db, row)

    def go_to(self, step_index: int) -> None:
        def apply(db, row, now):
            total = len(programme(row.method, len(_case_ids(db, row))))
            new_step = max(0, min(step_index, total - 1))
            note_phase(db, row, new_step, now)  # for the intervision record's net contact hours
            row.step = new_step
            running = row.timer_started_at is not None
            row.timer_elapsed = 0.0
            row.timer_started_at = now if running else None

        self._change(apply)

    def next(self) -> None:
        self.go_to(state(self.store, self.code).step.index + 1)

    def back(self) -> None:
        self.go_to(state(self.store, self.code).step.index - 1)

    def start_timer(self) -> None:
        def apply(db, row, now):
            if row.timer_started_at is None:
                row.timer_started_at = now
            note_phase(db, row, row.step, now)

        self._change(apply)

    def pause_timer(self) -> None:
        def apply(db, row, now):
            if row.timer_started_at is not None:
                row.timer_elapsed += now - row.timer_started_at
                row.timer_started_at = None

        self._change(apply)


def discard(store: Store, code: str) -> None:
    """Remove a session entirely (one whose preparation failed, so nothing is left behind)."""
    with store.writing() as db:
        db.execute(delete(SessionRow).where(SessionRow.code == normalise_code(code)))


def purge(store: Store, code: str) -> dict[str, int]:
    """Remove a session's participants and votes (on request); the session shell stays."""
    with store.writing() as db:
        row = _locked(store, db, code)
        votes = db.execute(delete(VoteRow).where(VoteRow.session_id == row.id)).rowcount
        participants = db.execute(delete(ParticipantRow).where(ParticipantRow.session_id == row.id)).rowcount
        _changed(store, db, row)
    return {"participants": participants, "votes": votes}
