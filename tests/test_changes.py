"""Pages learn cheaply that the store changed (casebook.changes), and follow it from the kernel's
own event loop within a fraction of a second (widgets.live)."""

import asyncio
import logging
import subprocess
import sys
import time

import pytest

from casebook import sessions
from casebook.changes import ChangeWatch, SQLiteChangeWatch, watch_changes
from casebook.store import Store
from widgets import live
from widgets.facilitator import FacilitatorView
from widgets.participant import ParticipantView
from tests.servers import run_in_a_loop_of_its_own
from widgets.projector import ProjectorView


@pytest.fixture(autouse=True)
def following_as_in_a_kernel(monkeypatch):
    """The apps turn background following on in their kernel (live.follow_from_the_kernel);
    these tests run the views in an event loop of their own, as a kernel would."""
    monkeypatch.setattr(live.LiveView, "follow_in_background", True)


def settle(watch) -> None:
    """Forget what happened before: the next ``changed()`` speaks of what comes after
    (PostgreSQL may deliver an earlier commit's notification a moment late: wait for it)."""
    watch.changed()
    time.sleep(0.3)
    watch.changed()


def noticed(watch, within: float = 2.0) -> bool:
    """PostgreSQL delivers a notification just after the commit returns: allow it a moment."""
    deadline = time.monotonic() + within
    while not watch.changed():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def session_in(store, test_cases):
    return sessions.create_session(store, ["tst-goed"], casebook=test_cases)


def test_a_change_from_another_connection_is_noticed_once(store, session_in):
    other = Store(store.url)  # another page's kernel: its own engine and connections
    watch = watch_changes(store.url)
    try:
        settle(watch)
        assert not watch.changed()
        sessions.join(other, session_in.code, "Uil")
        assert noticed(watch)
        assert not watch.changed()
        sessions.FacilitatorControl(other, session_in.code, session_in.facilitator_key).next()
        assert noticed(watch)
    finally:
        watch.close()
        other.dispose()


def test_a_commit_elsewhere_wakes_a_waiting_page(store, session_in):
    """An idle page sleeps on the watch's file descriptor instead of asking again and again."""
    import select

    other = Store(store.url)
    watch = watch_changes(store.url)
    try:
        fd = watch.wakeup_fd()
        if fd is None:
            pytest.skip("no wake-up on this platform (the page polls instead)")
        settle(watch)
        assert select.select([fd], [], [], 0.3)[0] == []  # nothing happened: no wake-up
        sessions.join(other, session_in.code, "Uil")
        assert select.select([fd], [], [], 5)[0] == [fd]
        assert noticed(watch)
    finally:
        watch.close()
        other.dispose()


def test_a_change_from_another_process_is_noticed(tmp_path, test_cases):
    """Every participant's kernel is a process of its own."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(url)
    created = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    watch = watch_changes(url)
    assert isinstance(watch, SQLiteChangeWatch)
    try:
        settle(watch)
        subprocess.run([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                        "c.execute('UPDATE sessions SET version = version + 1'); c.commit()",
                        str(tmp_path / "store.db")], check=True)
        assert watch.changed()
        assert sessions.version(store, created.code) == 1
    finally:
        watch.close()
        store.dispose()


def test_an_in_memory_store_has_no_signal_so_pages_read_every_time():
    assert type(watch_changes("sqlite://")) is ChangeWatch
    assert watch_changes("sqlite://").changed()


def test_the_model_reads_the_session_only_after_a_change(store, session_in, test_cases, monkeypatch):
    # the model alone, asked directly: no following in this thread's loop (Playwright's, after
    # the browser tests), which would outlive the test and its store
    monkeypatch.setattr(live.LiveView, "follow_in_background", False)
    view = ProjectorView(store, test_cases, session_in.code)
    reads = []
    original = sessions.version
    monkeypatch.setattr(sessions, "version", lambda *a: reads.append(1) or original(*a))
    settle(view.model.watch)
    assert not view.model.refresh() and reads == []
    sessions.join(store, session_in.code, "Uil")
    # PostgreSQL delivers the notification just after the commit returns: allow it a moment
    deadline = time.monotonic() + 2.0
    while not view.model.refresh():
        assert time.monotonic() < deadline, "the join was not noticed"
        time.sleep(0.01)
    assert view.model.state.participants == 1
    view.model.watch.close()


@pytest.fixture
def room(tmp_path, test_cases):
    store = Store(f"sqlite:///{tmp_path / 'room.db'}")
    created = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    yield store, created
    store.dispose()


def count_shown(view) -> str:
    return view._status.count.value


def test_pages_follow_a_vote_without_a_tick(room, test_cases):
    """In a kernel (a running event loop), a vote elsewhere shows on every page within
    a few follow intervals, with no tick from the browser."""
    store, created = room

    async def scenario():
        facilitator = FacilitatorView(store, test_cases, created.code, created.facilitator_key)
        projector = ProjectorView(store, test_cases, created.code)
        person = ParticipantView(store, test_cases, code=created.code)
        person.join_as("Uil")
        assert person.participant_id
        sessions.FacilitatorControl(store, created.code, created.facilitator_key).go_to(2)  # round 1 voting
        voter = sessions.join(store, created.code, "Das")
        await asyncio.sleep(0.5)
        before = {view: count_shown(view) for view in (facilitator, projector, person)}
        sessions.cast_vote(store, created.code, voter, 0, 1, ["beloftes-doen"])
        await asyncio.sleep(live.FOLLOW_EVERY_SECONDS * 4)
        for view in (facilitator, projector, person):
            assert count_shown(view) != before[view]
            assert 'data-voters="1"' in count_shown(view)
            view._follower.cancel()

    run_in_a_loop_of_its_own(scenario())


def test_a_failing_store_is_logged_and_the_page_keeps_following(room, test_cases, caplog, monkeypatch):
    store, created = room
    monkeypatch.setattr(live, "FOLLOW_BACKOFF_MAX_SECONDS", 0.2)
    monkeypatch.setattr(live, "FOLLOW_SAFETY_SECONDS", 0.05)  # ask often even without a wake-up

    async def scenario():
        projector = ProjectorView(store, test_cases, created.code)
        broken = {"on": True}
        original = projector.model.watch.changed

        def changed():
            if broken["on"]:
                raise OSError("disk gone")
            return original()

        monkeypatch.setattr(projector.model.watch, "changed", changed)
        await asyncio.sleep(0.5)
        assert not projector._follower.done()
        broken["on"] = False
        sessions.join(store, created.code, "Uil")
        await asyncio.sleep(0.6)
        assert "data-voters" in count_shown(projector)
        assert projector.model.state.participants == 1
        projector._follower.cancel()

    with caplog.at_level(logging.INFO, logger="casebook"):
        run_in_a_loop_of_its_own(scenario())
    failures = [r for r in caplog.records if "failed; trying again" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert any("following session" in r.getMessage() and "again" in r.getMessage() and r.exc_info is None
               for r in caplog.records)


def test_a_store_that_is_gone_is_asked_again_only_after_a_wait(room, test_cases, monkeypatch):
    """The store's server stopped (PostgreSQL down, its connection refused at once): the page
    asks again after a growing wait instead of spinning its kernel's loop."""
    store, created = room
    monkeypatch.setattr(live, "FOLLOW_BACKOFF_MAX_SECONDS", 0.2)
    asks = []

    async def scenario():
        projector = ProjectorView(store, test_cases, created.code)

        def refused():
            asks.append(1)
            raise OSError("connection refused")

        monkeypatch.setattr(projector.model.watch, "wakeup_fd", refused)
        await asyncio.sleep(1.0)
        assert not projector._follower.done()
        projector.close()
        await asyncio.sleep(0)
        assert projector._follower.cancelled() or projector._follower.done()

    run_in_a_loop_of_its_own(scenario())
    assert 2 <= len(asks) <= 10  # about one per 0.2 s; a spinning loop asks thousands of times


def test_a_page_without_ticks_stops_following(room, test_cases, monkeypatch):
    """A closed tab sends no ticks: its kernel stops drawing, goes quiet and can be culled."""
    store, created = room

    async def scenario():
        projector = ProjectorView(store, test_cases, created.code)
        projector._last_sign_of_life -= live.FOLLOW_WITHOUT_TICKS_SECONDS + 1
        sessions.join(store, created.code, "Uil")
        await asyncio.sleep(live.FOLLOW_EVERY_SECONDS * 4)
        assert projector.model.state.participants == 0
        projector._ticker.value += 1  # a tick: the tab is open again
        await asyncio.sleep(live.FOLLOW_EVERY_SECONDS * 4)
        assert projector.model.state.participants == 1
        projector._follower.cancel()

    run_in_a_loop_of_its_own(scenario())


def test_an_idle_page_does_not_look_at_the_store(room, test_cases, monkeypatch):
    """Where the store can wake a page (inotify here), nothing happening costs nothing: the page
    does not look until something is written; then it looks once for the burst."""
    store, created = room
    if watch_changes(store.url).wakeup_fd() is None:
        pytest.skip("no wake-up on this platform (the page polls instead)")

    async def scenario():
        projector = ProjectorView(store, test_cases, created.code)
        looks = []
        original = projector.model.refresh
        monkeypatch.setattr(projector.model, "refresh", lambda *a, **k: looks.append(1) or original(*a, **k))
        await asyncio.sleep(0.3)
        looks.clear()
        await asyncio.sleep(1.0)
        assert looks == []
        sessions.join(store, created.code, "Uil")
        await asyncio.sleep(0.5)
        assert 1 <= len(looks) <= 3
        assert projector.model.state.participants == 1
        projector._follower.cancel()

    run_in_a_loop_of_its_own(scenario())


def test_without_a_wake_up_the_page_asks_often_and_still_follows(room, test_cases, monkeypatch):
    """Where inotify is missing (not Linux), a page asks ten times a second instead."""
    store, created = room
    monkeypatch.setitem(sys.modules, "inotify_simple", None)  # its import fails, as off Linux
    assert watch_changes(store.url).wakeup_fd() is None

    async def scenario():
        projector = ProjectorView(store, test_cases, created.code)
        await asyncio.sleep(0.2)
        sessions.join(store, created.code, "Uil")
        await asyncio.sleep(live.FOLLOW_EVERY_SECONDS * 4)
        assert projector.model.state.participants == 1
        projector._follower.cancel()

    run_in_a_loop_of_its_own(scenario())
