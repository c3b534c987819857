"""The page store (casebook.page_store) as ``casebook serve`` runs it: a process of its own on a
Unix socket that answers the participant pages, so their kernels carry no database library.

Each test starts ``python -m casebook.page_store`` on a fresh store (SQLite and PostgreSQL)
and drives real participant views through it; the facilitator and the checks ask the store
directly, as the facilitator's page does."""

from __future__ import annotations

import os
import secrets
import select
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from multiprocessing.connection import Client
from pathlib import Path

import pytest

from casebook import page_store, sessions
from casebook.page_store import PageStoreUnavailable, RemotePageStore
from widgets.participant import ParticipantView

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


class PageStoreProcess:
    def __init__(self, store_url: str, env: dict):
        self.folder = tempfile.mkdtemp(prefix="cb-pages-")  # short: a socket path has at most 107 bytes
        self.path = os.path.join(self.folder, "pages.sock")
        self.key = secrets.token_bytes(32)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "CASEBOOK_STORE": store_url,
                    "CASEBOOK_PAGE_STORE_KEY": self.key.hex(), **env}
        self.process = None

    def start(self) -> None:
        if os.path.exists(self.path):  # left by one that was killed: wait for the new one's
            os.unlink(self.path)
        self.process = subprocess.Popen([sys.executable, "-m", "casebook.page_store", "--socket", self.path],
                                        cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.path):
            assert self.process.poll() is None, "the page store stopped at start"
            assert time.monotonic() < deadline, "the page store's socket never appeared"
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=15)

    def client(self, key: bytes | None = None) -> RemotePageStore:
        return RemotePageStore(self.path, key or self.key, timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        if os.path.exists(self.path):
            os.unlink(self.path)
        os.rmdir(self.folder)


@contextmanager
def running_page_store(store_url: str, env: dict):
    page_store = PageStoreProcess(store_url, env)
    page_store.start()
    try:
        yield page_store
    finally:
        page_store.stop()


@pytest.fixture
def pages(store, test_cases, tmp_path, test_cache):
    env = {"CASEBOOK_DATA": os.environ["CASEBOOK_DATA"], "CASEBOOK_CACHE": str(test_cache),
           "CASEBOOK_CASES": str(DATA / "cases")}
    with running_page_store(store.url, env) as page_store:
        yield page_store


@pytest.fixture
def session_in(store, test_cases):
    return sessions.create_session(store, ["tst-goed"], casebook=test_cases)


def shown_error(view) -> str:
    return view._error.value


def same_state(shown, stored) -> bool:
    """Equal states; the time left on a running timer is computed once for the group and run
    down since, so it may differ from a fresh reading in the last bits."""
    import dataclasses

    if shown.remaining is None or stored.remaining is None:
        return shown == stored
    return (dataclasses.replace(shown, remaining=0.0) == dataclasses.replace(stored, remaining=0.0)
            and shown.remaining == pytest.approx(stored.remaining, abs=1e-6))


def tick_when_woken(view, within: float = 5.0, quiet: float = 0.3) -> None:
    """What a page's follower does: wait for the page store's wake-up, then look; and again for
    each wake-up that follows within ``quiet`` seconds (each brings the state of its change)."""
    assert select.select([view.model.watch.wakeup_fd()], [], [], within)[0], "the page was not woken"
    view.tick()
    for _ in range(20):
        if not select.select([view.model.watch.wakeup_fd()], [], [], quiet)[0]:
            return
        view.tick()


def voting(store, created) -> sessions.FacilitatorControl:
    control = sessions.FacilitatorControl(store, created.code, created.facilitator_key)
    control.go_to(2)  # the incidentmethode's first vote
    assert store and sessions.state(store, created.code).step.phase.vote_round == 1
    return control


def test_a_participant_joins_votes_and_follows_through_the_page_store(store, test_cases, pages, session_in):
    person = ParticipantView(pages.client(), test_cases, code=session_in.code)
    person.join_as("Uil")
    assert person.participant_id and not shown_error(person)
    assert sessions.browser_participant(store, session_in.code, "") is None  # no browser: a page of its own
    voting(store, session_in)
    tick_when_woken(person)
    assert person.model.state.step.phase.vote_round == 1  # the facilitator's step, seen through the page store
    person._picker.value = ["beloftes-doen", "stiltes-laten-vallen"]
    person._submit.click()
    assert not shown_error(person)
    assert sessions.my_vote(store, session_in.code, person.participant_id, 0, 1) == ["beloftes-doen", "stiltes-laten-vallen"]
    assert same_state(person.model.state, sessions.state(store, session_in.code, now=person.model.fetched_at))


def test_a_change_reaches_a_page_with_its_state_and_costs_it_no_question(store, test_cases, pages, session_in):
    """The page store sends a session's state with the wake-up (computed once for the group):
    a woken page draws it without asking. After its own action a page asks, since its change
    may be newer than what was sent."""
    person = ParticipantView(pages.client(), test_cases, code=session_in.code)
    person.join_as("Uil")
    asked = []
    ask = person.model.page_store.call
    person.model.page_store.call = lambda operation, *a, **k: asked.append(operation) or ask(operation, *a, **k)
    control = voting(store, session_in)
    tick_when_woken(person)
    assert person.model.state.step.phase.vote_round == 1 and "state" not in asked and "version" not in asked
    assert person._vote_panel.layout.display != "none"  # the new phase is drawn: the vote is open
    sessions.join(store, session_in.code, "Vos")  # someone else's change: told with the count
    tick_when_woken(person)
    assert person.model.state.participants == 2 and "state" not in asked
    assert 'data-participants="2"' in person._status.count.value
    person._picker.value = ["beloftes-doen"]
    person._submit.click()
    assert asked.count("state") == 1  # its own vote: asked, and shown at once
    assert person.model.state.voters[1] == 1
    control.pause_timer() if sessions.state(store, session_in.code).running else control.start_timer()
    tick_when_woken(person)
    assert same_state(person.model.state, sessions.state(store, session_in.code, now=person.model.fetched_at))
    assert asked.count("state") == 1


def test_a_participant_sees_the_reveal_and_own_votes_through_the_page_store(store, test_cases, pages, session_in):
    """At the reveal a participant's page asks for the rounds' results, the picture and its own
    votes in one question each; it shows what the store holds."""
    from casebook import reveal

    person = ParticipantView(pages.client(), test_cases, code=session_in.code)
    person.join_as("Uil")
    control = voting(store, session_in)
    others = [sessions.join(store, session_in.code, name) for name in ("Vos", "Das")]
    tick_when_woken(person)
    person._picker.value = ["beloftes-doen"]
    person._submit.click()
    for other in others:
        sessions.cast_vote(store, session_in.code, other, 0, 1, ["beloftes-doen", "oordelen"])
    sent = []
    ask = person.model.page_store._ask
    person.model.page_store._ask = lambda request: sent.append(request) or ask(request)
    control.next()  # the reveal of round 1
    tick_when_woken(person)
    assert not shown_error(person)
    assert 'data-voters="3"' in person._status.count.value
    assert "cb-own-vote-list" in person._own_votes.value  # its own vote, as stored
    assert "3/3" in person._results.value  # the round's results, as stored
    # the results and its own votes came in one request, and nothing else was asked (but the
    # page's sign of presence, which the tick sends)
    asked = [request for request in sent if request[0] != "touch"]
    assert [request[0] for request in asked] == ["together"]
    assert sorted(question[0] for question in asked[0][1]) == ["my_votes", "results_shown"]
    client = pages.client()
    shown, picture = client.results_shown(session_in.code, 0, (1,), ("beloftes-doen",), "nl")
    assert shown == {1: sessions.results(store, session_in.code, 0, 1)} and shown[1].counts["beloftes-doen"] == 3
    assert picture == reveal.reveal_picture(store, session_in.code, 0, 1, ("beloftes-doen",), "nl")
    assert client.my_votes(session_in.code, person.participant_id, 0, (1, 2)) == {1: ["beloftes-doen"], 2: None}


def test_only_questions_that_change_nothing_are_answered_together(store, pages, session_in):
    client = pages.client()
    voter = sessions.join(store, session_in.code, "Uil")
    voting(store, session_in)
    vote = ("cast_vote", (session_in.code, voter, 0, 1, ["beloftes-doen"]), {})
    assert client._ask(("together", (vote,), {})) == ("failed", None)
    assert client._ask(("together", (("state", (session_in.code,), {}),) * 9, {})) == ("failed", None)  # too many
    assert client._ask(("together", ("state",), {})) == ("failed", None)
    assert sessions.my_vote(store, session_in.code, voter, 0, 1) is None
    outcome, answers = client._ask(("together", (("state", (session_in.code,), {}),
                                                  ("my_vote", (session_in.code, voter, 0, 1), {}),
                                                  ("results_shown", ("QQQQQQ", 0, (1,), (), "nl"), {})), {}))
    assert outcome == "ok" and answers[0][0] == "ok" and answers[0][1].code == session_in.code
    assert answers[1] == ("ok", None) and answers[2][0] == "refused"  # each answered as on its own


def test_refusals_arrive_as_the_rules_made_them(store, test_cases, pages, session_in):
    stranger = ParticipantView(pages.client(), test_cases, code="QQQQQQ")
    stranger.join_as("Uil")
    assert not stranger.participant_id
    assert "QQQQQQ" in shown_error(stranger)  # UnknownSession, with its code, in Dutch

    person = ParticipantView(pages.client(), test_cases, code=session_in.code, language="en")
    person.join_as("Das")
    assert person.participant_id
    with pytest.raises(sessions.VoteRefused):  # the introduction: no round is open
        person.model.page_store.cast_vote(session_in.code, person.participant_id, 0, 1, ["beloftes-doen"])
    assert sessions.my_vote(store, session_in.code, person.participant_id, 0, 1) is None


def test_wrong_codes_are_counted_by_the_page_and_by_the_server(store, test_cases, pages, session_in):
    page = ParticipantView(pages.client(), test_cases)
    for attempt in range(sessions.WRONG_CODES_PER_PAGE):
        page.join_as("Uil", code=f"QQQQ{attempt:02d}")
    page.join_as("Uil", code=session_in.code)  # a right code, but this page tried too many
    assert not page.participant_id
    assert "Te veel verkeerde codes" in shown_error(page)  # the page's own count, kept in its kernel
    with store.reading() as db:
        from sqlalchemy import func, select

        from casebook.store import JoinFailureRow

        assert db.execute(select(func.count()).select_from(JoinFailureRow)).scalar() == sessions.WRONG_CODES_PER_PAGE


def test_a_change_wakes_the_pages_of_that_session_only(store, test_cases, pages, session_in):
    other = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    watch = pages.client().watch()
    watch.follow(session_in.code)
    try:
        assert watch.changed()  # the first look: whatever happened before it listened
        time.sleep(0.5)
        watch.changed()
        sessions.join(store, other.code, "Das")  # another group
        assert not select.select([watch.wakeup_fd()], [], [], 1.0)[0]
        assert not watch.changed()
        started = time.monotonic()
        sessions.join(store, session_in.code, "Uil")
        assert select.select([watch.wakeup_fd()], [], [], 5.0)[0], "no wake-up after a join"
        assert time.monotonic() - started < 1.0
        assert watch.changed()
        assert not watch.changed()
    finally:
        watch.close()


def test_a_wrong_key_or_a_malformed_request_is_refused_and_the_rest_keep_working(store, pages, session_in):
    with pytest.raises(PageStoreUnavailable):
        pages.client(key=b"not the key").version(session_in.code)
    with Client(pages.path, family="AF_UNIX", authkey=pages.key) as crafted:
        for request in ("junk", ("drop_tables", (), {}), ("version", "not a tuple", {}), ("_session", (), {})):
            crafted.send(request)
            assert crafted.recv() == ("failed", None)
        crafted.send(("version", (session_in.code,), {}))
        assert crafted.recv() == ("ok", sessions.version(store, session_in.code))
    assert pages.client().session_exists(session_in.code)


def test_a_page_store_that_restarts_loses_no_vote_and_counts_none_twice(store, test_cases, pages, session_in):
    voting(store, session_in)
    person = ParticipantView(pages.client(), test_cases, code=session_in.code)
    person.join_as("Uil")
    watch = person.model.watch
    assert watch.wakeup_fd() is not None
    watch.changed()

    pages.kill()  # as if it crashed; casebook serve starts it again a moment later
    os.unlink(pages.path)
    assert not watch.changed()  # while it is away: "no change", quietly
    restart = threading.Timer(1.0, pages.start)
    restart.start()
    person._picker.value = ["beloftes-doen"]
    person._submit.click()  # sent during the restart: it waits for the new page store, and is sent once
    restart.join()
    assert not shown_error(person)
    sessions.join(store, session_in.code, "Das")  # and the page follows its session again
    assert select.select([watch.wakeup_fd()], [], [], 5.0)[0] and watch.changed()
    assert sessions.results(store, session_in.code, 0, 1).voters == 1
    assert sessions.my_vote(store, session_in.code, person.participant_id, 0, 1) == ["beloftes-doen"]


def test_a_page_store_that_is_gone_gives_a_plain_message(store, test_cases, pages, session_in, monkeypatch):
    monkeypatch.setattr(page_store, "RESTART_PATIENCE_SECONDS", 1.0)
    person = ParticipantView(pages.client(), test_cases, code=session_in.code)
    pages.kill()
    person.join_as("Uil")
    assert not person.participant_id
    assert "Traceback" not in shown_error(person) and shown_error(person)


def test_a_participant_page_carries_no_database_library(store, test_cases, pages, session_in):
    """What a participant's kernel imports when ``casebook serve`` started it: the page joins
    and votes without SQLAlchemy, a database driver or numpy in the process."""
    voting(store, session_in)
    script = "\n".join([
        "import sys",
        "from casebook.cases import load_cases",
        "from widgets.participant import participant_app",
        f"view = participant_app(casebook=load_cases([{str(DATA / 'cases')!r}]))",
        f"view.join_as('Uil', code={session_in.code!r})",
        "view._picker.value = ['beloftes-doen']",
        "view._submit.click()",
        "assert not view._error.value, view._error.value",
        "heavy = sorted(m for m in ('sqlalchemy', 'psycopg', 'sqlite3', 'numpy', 'krippendorff', 'alembic') if m in sys.modules)",
        "print('heavy:', heavy)",
    ])
    env = {**pages.env, "CASEBOOK_PAGE_STORE": pages.path}
    finished = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "heavy: []" in finished.stdout
    assert sessions.results(store, session_in.code, 0, 1).voters == 1


def test_the_projector_page_reads_through_the_page_store_without_a_database_library(store, test_cases, pages,
                                                                                      session_in):
    """The projector only reads: started by ``casebook serve`` it asks the page store, shows the
    session and follows its changes, with no database library in its kernel."""
    script = "\n".join([
        "import select, sys",
        "from casebook.cases import load_cases",
        "from widgets.projector import projector_app",
        f"import os; os.environ['QUERY_STRING'] = 'code={session_in.code}'",
        f"view = projector_app(casebook=load_cases([{str(DATA / 'cases')!r}]))",
        "assert not view._error.value, view._error.value",
        "print('phase:', view._status.phase.value)",
        "print('ready', flush=True)",
        "sys.stdin.readline()",  # the test changes the session now
        "assert select.select([view.model.watch.wakeup_fd()], [], [], 10)[0], 'not woken'",
        "view.tick()",
        # each wake-up brings the state of its change (the first: as the page started following)
        "while select.select([view.model.watch.wakeup_fd()], [], [], 0.5)[0]: view.tick()",
        "print('then:', view._status.phase.value)",
        "heavy = sorted(m for m in ('sqlalchemy', 'psycopg', 'sqlite3', 'numpy', 'krippendorff', 'alembic') if m in sys.modules)",
        "print('heavy:', heavy)",
    ])
    env = {**pages.env, "CASEBOOK_PAGE_STORE": pages.path}
    projector = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or lines[-1] != "ready":
            line = projector.stdout.readline()
            assert line, projector.stderr.read()[-2000:]
            lines.append(line.strip())
        assert "Introductie" in lines[0]
        voting(store, session_in)
        out, err = projector.communicate("go\n", timeout=60)
    finally:
        if projector.poll() is None:
            projector.kill()
    assert projector.returncode == 0, err[-2000:]
    assert "Stemmen" in out.split("then:")[1].splitlines()[0]
    assert "heavy: []" in out


def test_the_facilitator_page_acts_on_the_store_and_reads_through_the_page_store(store, test_cases, pages,
                                                                                  session_in):
    """The facilitator's page of ``casebook serve`` moves the session in the store (with its key)
    and shows what the page store answers: its own step at once, a vote when woken."""
    from widgets.facilitator import FacilitatorView

    facilitator = FacilitatorView(store, test_cases, session_in.code, session_in.facilitator_key,
                                  reads=pages.client())
    assert not facilitator._error.value and facilitator.model.watch.one_session
    facilitator.click("start")
    facilitator.click("next")
    asked = []
    ask = facilitator.model.page_store.call
    facilitator.model.page_store.call = lambda operation, *a, **k: asked.append(operation) or ask(operation, *a, **k)
    facilitator.click("next")
    assert facilitator.model.state.step.phase.vote_round == 1  # its own action, seen at once
    assert asked[0] == "look" and "state" not in asked  # as its group was told it: one question
    assert same_state(facilitator.model.state, sessions.state(store, session_in.code, now=facilitator.model.fetched_at))
    voter = sessions.join(store, session_in.code, "Uil")
    sessions.cast_vote(store, session_in.code, voter, 0, 1, ["beloftes-doen"])
    tick_when_woken(facilitator)
    assert 'data-voters="1"' in facilitator._status.count.value
    intruder = FacilitatorView(store, test_cases, session_in.code, "guess", reads=pages.client())
    assert "begeleider" in intruder._error.value and intruder.model.state is None


def test_answers_shared_by_a_session_s_pages_are_never_older_than_the_session(store, test_cases, session_in, tmp_path):
    """The page store computes a session's state, results and picture once per version for all
    its pages: a vote is counted in the next answer, and the timer runs down between answers."""
    from casebook.page_store import PageStoreServer

    folder = tempfile.mkdtemp(prefix="cb-pages-")
    server = PageStoreServer(store, os.path.join(folder, "pages.sock"), b"key")
    try:
        control = voting(store, session_in)
        control.start_timer()
        now = time.time()
        first = server._run("state", (session_in.code,), {"now": now})[1]
        later = server._run("state", (session_in.code,), {"now": now + 10})[1]
        assert first.running and later.version == first.version
        assert later.remaining == pytest.approx(first.remaining - 10)
        assert later == sessions.state(store, session_in.code, now=now + 10)

        voter = sessions.join(store, session_in.code, "Uil")
        sessions.cast_vote(store, session_in.code, voter, 0, 1, ["beloftes-doen"])
        after = server._run("state", (session_in.code,), {"now": now + 11})[1]
        assert after.voters[1] == 1 and after == sessions.state(store, session_in.code, now=now + 11)
        counted = server._run("results", (session_in.code, 0, 1), {})[1]
        assert counted.voters == 1 and counted.counts["beloftes-doen"] == 1
        assert server._run("state", ("QQQQQQ",), {})[0] == "refused"
    finally:
        server.close()
        os.unlink(os.path.join(folder, "pages.sock")) if os.path.exists(os.path.join(folder, "pages.sock")) else None
        os.rmdir(folder)


def test_a_group_s_pages_asking_at_once_share_one_computation(store, test_cases, session_in):
    """A reveal wakes a group's pages together: the results are computed once, and every page
    gets the same, current answer."""
    import threading

    from casebook.page_store import PageStoreServer

    folder = tempfile.mkdtemp(prefix="cb-pages-")
    server = PageStoreServer(store, os.path.join(folder, "pages.sock"), b"key")
    computed = []
    counting = server._functions["results"]

    def results(*args, **kwargs):
        computed.append(args[1:])
        time.sleep(0.2)  # long enough for every page to be asking meanwhile
        return counting(*args, **kwargs)

    server._functions["results"] = results
    try:
        voting(store, session_in)
        voter = sessions.join(store, session_in.code, "Uil")
        sessions.cast_vote(store, session_in.code, voter, 0, 1, ["beloftes-doen"])
        answers = []
        pages = [threading.Thread(target=lambda: answers.append(server._run("results", (session_in.code, 0, 1), {})))
                 for _ in range(12)]
        for page in pages:
            page.start()
        for page in pages:
            page.join()
        assert len(computed) == 1
        assert len(answers) == 12 and all(kind == "ok" and answer.voters == 1 for kind, answer in answers)
        assert not server._computing  # nothing left waiting

        sessions.cast_vote(store, session_in.code, sessions.join(store, session_in.code, "Vos"), 0, 1, [])
        assert server._run("results", (session_in.code, 0, 1), {})[1].voters == 2  # a new version: computed again
        assert len(computed) == 2
    finally:
        server.close()
        os.unlink(os.path.join(folder, "pages.sock")) if os.path.exists(os.path.join(folder, "pages.sock")) else None
        os.rmdir(folder)


def test_each_page_gets_its_own_votes_read_once_for_the_whole_group(store, test_cases, session_in, monkeypatch):
    """A phase change makes every participant's page ask for its own votes: the page store reads
    the case's votes once per version of the session and gives each page its own part only; a
    changed vote is in the next answer."""
    from casebook.page_store import PageStoreServer

    folder = tempfile.mkdtemp(prefix="cb-pages-")
    server = PageStoreServer(store, os.path.join(folder, "pages.sock"), b"key")
    reads = []
    reading = sessions.votes_of_case
    monkeypatch.setattr(sessions, "votes_of_case", lambda *args: reads.append(args[1:]) or reading(*args))
    try:
        voting(store, session_in)
        people = [sessions.join(store, session_in.code, name) for name in ("Uil", "Vos", "Das")]
        sessions.cast_vote(store, session_in.code, people[0], 0, 1, ["beloftes-doen"])
        sessions.cast_vote(store, session_in.code, people[1], 0, 1, ["oordelen", "stiltes-laten-vallen"])
        code = session_in.code
        answers = [server._run("my_votes", (code, person, 0, (1, 2)), {}) for person in people]
        assert answers == [("ok", {1: ["beloftes-doen"], 2: None}),
                           ("ok", {1: ["oordelen", "stiltes-laten-vallen"], 2: None}),
                           ("ok", {1: None, 2: None})]
        assert server._run("my_vote", (code, people[1], 0, 1), {}) == ("ok", ["oordelen", "stiltes-laten-vallen"])
        assert len(reads) == 2  # one read for rounds (1, 2), one for round 1: not one per page

        sessions.cast_vote(store, session_in.code, people[0], 0, 1, ["oordelen"])  # changed: a new version
        assert server._run("my_vote", (code, people[0], 0, 1), {}) == ("ok", ["oordelen"])
        assert server._run("my_votes", (code, "someone-else", 0, (1,)), {}) == ("ok", {1: None})
        assert server._run("my_votes", (code, people[0], "0", (1,)), {})[0] == "failed"  # a malformed request
        assert server._run("my_votes", ("QQQQQQ", people[0], 0, (1,)), {})[0] == "refused"
    finally:
        server.close()
        os.unlink(os.path.join(folder, "pages.sock")) if os.path.exists(os.path.join(folder, "pages.sock")) else None
        os.rmdir(folder)


def test_a_page_that_changed_its_session_itself_has_the_others_told_at_once(store, test_cases, session_in):
    """The facilitator's page moves its session in the store itself and asks the page store to
    look: the session's followers are told then, without waiting for the store's signal (no
    watch runs here), and only when the session really moved."""
    from multiprocessing import Pipe

    from casebook.page_store import PageStoreServer

    folder = tempfile.mkdtemp(prefix="cb-pages-")
    server = PageStoreServer(store, os.path.join(folder, "pages.sock"), b"key")
    page, told = Pipe()
    try:
        server._add_follower(session_in.code, told)
        assert page.poll(1) and page.recv()[1].version == sessions.state(store, session_in.code).version  # as it follows
        control = sessions.FacilitatorControl(store, session_in.code, session_in.facilitator_key)
        outcome, (before, _) = server._run("look", (session_in.code,), {})
        assert outcome == "ok" and before.step.phase_index == 0
        assert not page.poll(0.2)  # nothing moved: nobody is told
        control.next()
        assert not page.poll(0.2)  # the page store has not looked yet
        outcome, (seen, seen_at) = server._run("look", (session_in.code,), {})
        assert page.poll(1)
        said, state, at = page.recv()  # told with the state the page would ask for next
        assert said == page_store.CHANGED and same_state(state, sessions.state(store, session_in.code, now=at))
        assert state.step.phase_index == 1
        # the page that looked gets the same state, its own change in it
        assert outcome == "ok" and same_state(seen, sessions.state(store, session_in.code, now=seen_at))
        assert seen.version == state.version
        assert server._run("look", ("QQQQQQ",), {})[0] == "refused"  # no such session: nobody to tell
        assert server._run("look", (1,), {})[0] == "failed"
    finally:
        page.close()
        server.close()
        os.unlink(os.path.join(folder, "pages.sock")) if os.path.exists(os.path.join(folder, "pages.sock")) else None
        os.rmdir(folder)


def test_a_page_that_stops_reading_is_dropped_and_the_others_are_still_told(store, session_in):
    """A page whose kernel hangs never reads its wake-ups: once its socket is full the page
    store drops it (the page reconnects and asks when it reads again) instead of waiting for it,
    and every other page of the session is still told."""
    import socket
    from multiprocessing import Pipe

    from casebook.page_store import PageStoreServer

    folder = tempfile.mkdtemp(prefix="cb-pages-")
    server = PageStoreServer(store, os.path.join(folder, "pages.sock"), b"key")
    stuck, stuck_end = Pipe()
    reading, reading_end = Pipe()
    try:
        small = socket.socket(fileno=os.dup(stuck_end.fileno()))
        small.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # full after a few states
        small.close()
        server._add_follower(session_in.code, stuck_end)
        server._add_follower(session_in.code, reading_end)
        control = sessions.FacilitatorControl(store, session_in.code, session_in.facilitator_key)
        told = []

        def changes() -> None:
            for _ in range(40):
                control.start_timer() if not sessions.state(store, session_in.code).running else control.pause_timer()
                told.append(server._run("look", (session_in.code,), {})[0])
                while reading.poll(0):
                    told.append(reading.recv())

        changing = threading.Thread(target=changes, daemon=True)
        changing.start()
        changing.join(30)
        assert not changing.is_alive(), "the page store waited for the page that stopped reading"
        assert told.count("ok") == 40
        state = [message for message in told if isinstance(message, tuple)][-1][1]
        assert state.version == sessions.state(store, session_in.code).version  # the reading page has the newest
        assert stuck_end not in server._followers[session_in.code] and reading_end in server._followers[session_in.code]
    finally:
        for end in (stuck, reading, reading_end):
            end.close()
        server.close()
        os.unlink(os.path.join(folder, "pages.sock")) if os.path.exists(os.path.join(folder, "pages.sock")) else None
        os.rmdir(folder)


def test_a_change_between_a_page_s_reading_and_its_following_still_reaches_it(store, session_in):
    """A page reads the state, then starts following (without waiting for the page store to
    register it). A join in between was told to the others only: the page is told the state
    as it starts following, so it never keeps the older count (a burst of joins left one page
    at 11 of 12 until the next change, half a minute later)."""
    from multiprocessing import Pipe

    from casebook.page_store import PageStoreServer

    folder = tempfile.mkdtemp(prefix="cb-pages-")
    server = PageStoreServer(store, os.path.join(folder, "pages.sock"), b"key")
    page, follower = Pipe()
    try:
        read = sessions.state(store, session_in.code)  # what the page shows
        sessions.join(store, session_in.code, "Vos")  # told to the pages following already
        server._add_follower(session_in.code, follower)
        assert page.poll(1), "the page was not told the state as it started following"
        said, state, _ = page.recv()
        assert said == page_store.CHANGED and state.participants == read.participants + 1
    finally:
        page.close()
        server.close()
        os.unlink(os.path.join(folder, "pages.sock")) if os.path.exists(os.path.join(folder, "pages.sock")) else None
        os.rmdir(folder)
