"""Session rules, enforced in casebook/ on the server, on SQLite and PostgreSQL."""

import threading

import pytest
from sqlalchemy import func, select

from casebook import sessions
from casebook.phases import FACILITATOR, PARTICIPANT, PROJECTOR
from casebook.store import ParticipantRow, SessionRow, VoteRow

VOTE_STEP = 2  # incidentmethode: introductie, verhelderende-vragen, stemmen-1


@pytest.fixture
def live(store, test_cases):
    return _live(store, test_cases)


def _live(store, test_cases):
    created = sessions.create_session(store, ["tst-goed", "tst-tweede"], casebook=test_cases, title="Proef")
    control = sessions.FacilitatorControl(store, created.code, created.facilitator_key)
    return store, created, control


@pytest.fixture
def sqlite_live(tmp_path, test_cases):
    """``live`` on SQLite only, for what only SQLite's writers do (no PostgreSQL started for it)."""
    from casebook.store import Store

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield _live(store, test_cases)
    store.dispose()


def test_codes_are_short_unambiguous_and_keys_long(store, test_cases):
    codes = {sessions.create_session(store, ["tst-goed"], casebook=test_cases).code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == 6 and set(code) <= set(sessions.CODE_ALPHABET)
    assert not set("0O1IL5S2Z8B") & set(sessions.CODE_ALPHABET)
    key = sessions.create_session(store, ["tst-goed"], casebook=test_cases).facilitator_key
    assert len(key) >= 32


@pytest.mark.parametrize("kwargs, name", [
    ({"cases": ["tst-goed", "vp-999"]}, "cases"),
    ({"cases": []}, "cases"),
    ({"cases": "tst-goed"}, "cases"),
    ({"cases": ["tst-goed"], "method": "balint"}, "method"),
    ({"cases": ["tst-goed"], "minutes": {"bespreking": -1}}, "minutes"),
    ({"cases": ["tst-goed"], "minutes": {"koffie": 5}}, "minutes"),
    ({"cases": ["tst-goed"], "language": "de"}, "language"),
])
def test_bad_parameters_are_named_and_nothing_is_written(store, test_cases, kwargs, name):
    with pytest.raises(sessions.BadParameter) as caught:
        sessions.create_session(store, casebook=test_cases, **kwargs)
    assert caught.value.name == name
    assert f"'{name}'" in caught.value.message("nl")
    with store.reading() as db:
        assert db.execute(select(func.count()).select_from(SessionRow)).scalar() == 0


def test_unknown_code_is_told_plainly(store):
    with pytest.raises(sessions.UnknownSession) as caught:
        sessions.join(store, "QQQQQQ", "Uil")
    assert "QQQQQQ" in caught.value.message("nl")


def test_join_needs_a_pseudonym_and_stores_nothing_else(live):
    store, created, _ = live
    with pytest.raises(sessions.SessionError):
        sessions.join(store, created.code, "   ")
    with pytest.raises(sessions.SessionError):
        sessions.join(store, created.code, "x" * 41)
    participant = sessions.join(store, created.code.lower(), "  Grijze   uil ")
    with store.reading() as db:
        row = db.get(ParticipantRow, participant)
        assert row.pseudonym == "Grijze uil"
        columns = {c.name for c in ParticipantRow.__table__.columns}
    # nothing identifying: "browser" is the server's keyed hash of a random cookie
    assert columns == {"id", "session_id", "pseudonym", "last_seen", "browser"}


def test_votes_only_while_the_round_is_open_and_one_per_participant(live):
    store, created, control = live
    code = created.code
    voter = sessions.join(store, code, "Uil")
    with pytest.raises(sessions.VoteRefused) as early:
        sessions.cast_vote(store, code, voter, 0, 1, ["beloftes-doen"])
    assert early.value.reason == "round_closed"
    control.go_to(VOTE_STEP)
    sessions.cast_vote(store, code, voter, 0, 1, ["beloftes-doen"])
    sessions.cast_vote(store, code, voter, 0, 1, ["beloftes-doen", "oordelen"])  # replaces, not adds
    assert sessions.my_vote(store, code, voter, 0, 1) == ["beloftes-doen", "oordelen"]
    with store.reading() as db:
        assert db.execute(select(func.count()).select_from(VoteRow)).scalar() == 1
    with pytest.raises(sessions.VoteRefused):  # round 2 is not open
        sessions.cast_vote(store, code, voter, 0, 2, ["oordelen"])
    control.next()  # the reveal closes round 1
    with pytest.raises(sessions.VoteRefused) as late:
        sessions.cast_vote(store, code, voter, 0, 1, ["serieus-nemen"])
    assert "niet opgeslagen" in late.value.message("nl")
    assert sessions.my_vote(store, code, voter, 0, 1) == ["beloftes-doen", "oordelen"]  # untouched


def test_strangers_and_unknown_items_are_refused(live, test_cases):
    store, created, control = live
    other = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    outsider = sessions.join(store, other.code, "Vos")
    control.go_to(VOTE_STEP)
    for participant in (outsider, "not-an-id", ""):
        with pytest.raises(sessions.VoteRefused) as caught:
            sessions.cast_vote(store, created.code, participant, 0, 1, ["oordelen"])
        assert caught.value.reason == "not_a_participant"
    voter = sessions.join(store, created.code, "Uil")
    with pytest.raises(sessions.VoteRefused) as caught:
        sessions.cast_vote(store, created.code, voter, 0, 1, ["koffie-zetten"])
    assert caught.value.reason == "unknown_items"


def test_facilitator_actions_need_the_key(live):
    store, created, _ = live
    with pytest.raises(sessions.NotAllowed):
        sessions.FacilitatorControl(store, created.code, "guess")
    with pytest.raises(sessions.NotAllowed):
        sessions.FacilitatorControl(store, created.code, "")
    assert sessions.state(store, created.code).step.index == 0


def test_phases_move_forward_and_back_across_cases(live):
    store, created, control = live
    control.go_to(100)
    last = sessions.state(store, created.code)
    assert last.is_last_step and last.case_id == "tst-tweede" and last.step.phase.id == "evaluatie"
    control.back()
    assert sessions.state(store, created.code).step.phase.id == "sleutel"
    control.go_to(-5)
    assert sessions.state(store, created.code).step.index == 0


def test_timer_runs_pauses_and_resets_on_a_new_phase(live, fixed_clock):
    store, created, control = live
    assert sessions.state(store, created.code).remaining == 5 * 60
    control.start_timer()
    fixed_clock.advance(30)
    running = sessions.state(store, created.code)
    assert running.running and running.remaining == 5 * 60 - 30
    control.pause_timer()
    paused = sessions.state(store, created.code)
    fixed_clock.advance(20)
    assert not paused.running and sessions.state(store, created.code).remaining == paused.remaining == 270
    control.next()
    assert sessions.state(store, created.code).remaining == 10 * 60


def test_results_are_aggregated_and_hidden_below_three_voters(live):
    store, created, control = live
    code = created.code
    control.go_to(VOTE_STEP)
    voters = [sessions.join(store, code, f"p{i}") for i in range(3)]
    sessions.cast_vote(store, code, voters[0], 0, 1, ["beloftes-doen"])
    sessions.cast_vote(store, code, voters[1], 0, 1, ["beloftes-doen", "oordelen"])
    current = sessions.state(store, code)
    assert current.voters[1] == 2
    from casebook.phases import may_see_results

    for role in (FACILITATOR, PARTICIPANT, PROJECTOR):
        assert not may_see_results(role, current.method, current.step, 1, current.voters[1])
    sessions.cast_vote(store, code, voters[2], 0, 1, [])
    current = sessions.state(store, code)
    assert may_see_results(FACILITATOR, current.method, current.step, 1, 3)
    assert not may_see_results(PARTICIPANT, current.method, current.step, 1, 3)  # before the reveal
    result = sessions.results(store, code, 0, 1)
    assert result.voters == 3 and result.counts["beloftes-doen"] == 2 and result.counts["oordelen"] == 1
    control.next()
    revealed = sessions.state(store, code)
    assert may_see_results(PARTICIPANT, revealed.method, revealed.step, 1, 3)
    assert may_see_results(PROJECTOR, revealed.method, revealed.step, 1, 3)


def test_thirty_participants_voting_at_once_lose_nothing(live):
    store, created, control = live
    code = created.code
    control.go_to(VOTE_STEP)
    voters = [sessions.join(store, code, f"p{i}") for i in range(30)]
    errors = []
    start = threading.Barrier(30)

    def vote(index, participant):
        try:
            start.wait()
            sessions.cast_vote(store, code, participant, 0, 1, ["beloftes-doen"] + (["oordelen"] if index % 2 else []))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=vote, args=(i, p)) for i, p in enumerate(voters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    result = sessions.results(store, code, 0, 1)
    assert result.voters == 30
    assert result.counts["beloftes-doen"] == 30 and result.counts["oordelen"] == 15


def test_a_vote_racing_the_close_is_either_stored_or_refused_never_lost(live):
    store, created, control = live
    code = created.code
    control.go_to(VOTE_STEP)
    voters = [sessions.join(store, code, f"p{i}") for i in range(20)]
    outcomes = {}

    def vote(participant):
        try:
            sessions.cast_vote(store, code, participant, 0, 1, ["oordelen"])
            outcomes[participant] = "stored"
        except sessions.VoteRefused:
            outcomes[participant] = "refused"

    threads = [threading.Thread(target=vote, args=(p,)) for p in voters]
    for index, thread in enumerate(threads):
        thread.start()
        if index == 10:
            control.next()
    for thread in threads:
        thread.join(60)
    stored = {p for p, outcome in outcomes.items() if outcome == "stored"}
    assert len(outcomes) == 20
    assert sessions.results(store, code, 0, 1).voters == len(stored)
    for participant in voters:
        assert (sessions.my_vote(store, code, participant, 0, 1) is not None) == (participant in stored)


def test_purge_removes_participants_and_votes(live):
    store, created, control = live
    control.go_to(VOTE_STEP)
    for i in range(3):
        sessions.cast_vote(store, created.code, sessions.join(store, created.code, f"p{i}"), 0, 1, ["oordelen"])
    assert sessions.purge(store, created.code) == {"participants": 3, "votes": 3}
    assert sessions.results(store, created.code, 0, 1).voters == 0
    assert sessions.state(store, created.code).participants == 0


def test_the_schema_revision_constant_is_the_newest_migration(store):
    from casebook.store import SCHEMA_REVISION

    assert SCHEMA_REVISION == store.head_revision(), "update casebook.store.SCHEMA_REVISION with each migration"


def test_schema_is_migrated_not_created(store):
    assert store.current_revision() == store.head_revision()
    store.upgrade()  # a second time is a no-op
    assert store.current_revision() == store.head_revision()


def test_one_browser_is_one_participant_whatever_it_types(live):
    store, created, _ = live
    first = sessions.join(store, created.code, "Uil", browser="b" * 64)
    again = sessions.join(store, created.code, "Andere naam", browser="b" * 64)
    other = sessions.join(store, created.code, "Vos", browser="c" * 64)
    assert again == first and other != first
    assert sessions.browser_participant(store, created.code, "b" * 64) == (first, "Uil")
    assert sessions.browser_participant(store, created.code, "d" * 64) is None
    assert sessions.state(store, created.code).participants == 2


def test_wrong_codes_are_limited_per_page_and_per_browser(live, fixed_clock):
    store, created, _ = live
    limiter = sessions.JoinLimiter()
    for _ in range(sessions.WRONG_CODES_PER_PAGE):
        with pytest.raises(sessions.UnknownSession):
            sessions.enter(store, "QQQQQQ", "Uil", browser="e" * 64, limiter=limiter)
    # the right code is refused too, from this page and from another tab of the same browser
    with pytest.raises(sessions.SessionError) as caught:
        sessions.enter(store, created.code, "Uil", browser="e" * 64, limiter=limiter)
    assert caught.value.code == "too_many_codes" and "60" in caught.value.message("nl")
    with pytest.raises(sessions.SessionError):
        sessions.enter(store, created.code, "Uil", browser="e" * 64, limiter=sessions.JoinLimiter())
    assert sessions.state(store, created.code).participants == 0
    # another browser is not held back; a minute later this one may try again
    assert sessions.enter(store, created.code, "Vos", browser="f" * 64)
    fixed_clock.advance(61)
    assert sessions.enter(store, created.code, "Uil", browser="e" * 64, limiter=limiter)


def test_a_burst_across_the_server_holds_back_every_guessing_page(live, fixed_clock, caplog):
    store, created, _ = live
    for number in range(sessions.WRONG_CODES_PER_SERVER):
        sessions.note_wrong_code(store, f"{number:064d}")
    assert "burst of wrong join codes" in caplog.text
    with pytest.raises(sessions.SessionError) as caught:
        sessions.enter(store, created.code, "Uil", browser=f"{1:064d}")  # a guesser, now with the right code
    assert caught.value.code == "too_many_codes_server"
    assert sessions.enter(store, created.code, "Vos", browser="a" * 64)  # someone who typed it right
    fixed_clock.advance(61)
    assert sessions.enter(store, created.code, "Uil", browser=f"{1:064d}")


def test_the_trainer_token_grants_facilitator_control(live, monkeypatch):
    store, created, _ = live
    with pytest.raises(sessions.NotAllowed):
        sessions.FacilitatorControl(store, created.code, "trainer-token-of-this-server")
    monkeypatch.setenv("CASEBOOK_TRAINER_TOKEN", "trainer-token-of-this-server")
    sessions.FacilitatorControl(store, created.code, "trainer-token-of-this-server").next()
    assert sessions.state(store, created.code).step.index == 1
    with pytest.raises(sessions.NotAllowed):
        sessions.FacilitatorControl(store, created.code, "")


def test_sqlite_writers_of_all_processes_take_turns_and_the_next_goes_at_once(sqlite_live, tmp_path):
    """SQLite's writers (the page store, the facilitators' kernels) queue on a file lock beside the
    database: a writer in another process that holds its turn keeps a vote waiting, and the vote
    is stored as soon as that turn ends, not after SQLite's next retry."""
    import subprocess
    import sys
    import time

    store, created, control = sqlite_live
    control.go_to(VOTE_STEP)
    voter = sessions.join(store, created.code, "Uil")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         f"fd = os.open({store._writer_turn.path!r}, os.O_RDWR)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True)\n"
         "sys.stdin.readline(); fcntl.flock(fd, fcntl.LOCK_UN); print('released', time.time(), flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        stored = []
        vote = threading.Thread(target=lambda: stored.append(
            sessions.cast_vote(store, created.code, voter, 0, 1, ["oordelen"]) or time.time()))
        vote.start()
        vote.join(0.5)
        assert vote.is_alive() and sessions.my_vote(store, created.code, voter, 0, 1) is None  # waits its turn
        holder.stdin.write("go\n")
        holder.stdin.flush()
        released = float(holder.stdout.readline().split()[1])
        vote.join(10)
        assert stored and stored[0] - released < 0.5
        assert sessions.my_vote(store, created.code, voter, 0, 1) == ["oordelen"]
    finally:
        holder.kill()
        holder.wait()


def test_a_writer_stuck_in_its_turn_holds_the_others_up_only_for_a_while(sqlite_live, monkeypatch):
    """A process that takes the writers' turn and never gives it back (stopped mid-write) keeps
    the others waiting only ``WRITER_PATIENCE_SECONDS``: then SQLite's own lock decides."""
    import fcntl
    import os

    from casebook import store as store_module

    store, created, control = sqlite_live
    monkeypatch.setattr(store_module, "WRITER_PATIENCE_SECONDS", 0.3)
    control.go_to(VOTE_STEP)
    voter = sessions.join(store, created.code, "Uil")
    stuck = os.open(store._writer_turn.path, os.O_RDWR)  # another open file: as another process
    fcntl.flock(stuck, fcntl.LOCK_EX)
    try:
        sessions.cast_vote(store, created.code, voter, 0, 1, ["oordelen"])  # waits 0.3 s, then writes
        assert sessions.my_vote(store, created.code, voter, 0, 1) == ["oordelen"]
    finally:
        os.close(stuck)
