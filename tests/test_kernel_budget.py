"""The books of the server's kernels (casebook.kernel_budget) and the sessions that get room kept
for their screens (casebook.sessions.running_sessions). The server side is tested with a real
``casebook serve`` in tests/test_front_door.py."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from casebook import sessions
from casebook.kernel_budget import KernelBudget, default_max_pages
from casebook.retention import close_session
from casebook.store import ParticipantRow, SessionRow


def test_the_default_room_follows_the_machines_memory():
    assert default_max_pages(4096) == 32  # the README's smallest machine: a group of 12 and its pools
    assert default_max_pages(24 * 1024) == 288
    assert default_max_pages(1024) == 8  # never none at all


def test_a_browser_beyond_its_budget_releases_its_oldest_page_and_no_one_elses():
    budget = KernelBudget(max_pages=100, pages_per_browser=4)
    for number in range(4):
        assert budget.served(f"a{number}", "browser-a", "solo.ipynb", now=number) == []
    assert budget.served("b0", "browser-b", "participant.ipynb", now=5) == []
    assert budget.served("a4", "browser-a", "participant.ipynb", now=6) == ["a0"]
    budget.forget("a0")
    assert budget.served("a5", "browser-a", "casebook.ipynb", now=7) == ["a1"]
    budget.forget("a1")
    assert budget.held_by("browser-a") == 4 and budget.held_by("browser-b") == 1
    # the same kernel served again (a reload taking it back) is not counted twice
    assert budget.served("a5", "browser-a", "casebook.ipynb", now=8) == []
    # a trainer's browser runs a session on several screens: twice the room
    for number in range(8):
        assert budget.served(f"t{number}", "trainer", "facilitator.ipynb", now=10 + number, trainer=True) == []
    assert budget.served("t8", "trainer", "projector.ipynb", now=20, trainer=True) == ["t0"]


def test_only_pages_that_reached_the_client_and_never_connected_are_given_up():
    budget = KernelBudget(max_pages=100, unconnected_seconds=20)
    budget.served("sent", "x", "participant.ipynb", now=0)
    budget.served("connected", "y", "participant.ipynb", now=0)
    budget.served("still-sending", "z", "participant.ipynb", now=0)
    budget.sent("sent", now=1)
    budget.sent("connected", now=1)
    budget.connected("connected")
    assert budget.never_connected(now=20) == []  # 19 s after it was sent
    assert budget.never_connected(now=21.5) == ["sent"]  # a slow page still being sent is never cut off


def test_a_page_whose_script_runs_gets_time_to_load_the_app():
    # after a restart on a busy machine, or on a slow phone, the app's scripts take longer than 20 s
    budget = KernelBudget(max_pages=100, unconnected_seconds=20, loading_seconds=120)
    budget.served("loading", "x", "participant.ipynb", now=0)
    budget.served("script", "y", "participant.ipynb", now=0)
    budget.sent("loading", now=1)
    budget.sent("script", now=1)
    budget.loading("loading")
    assert budget.never_connected(now=60) == ["script"]
    assert sorted(budget.never_connected(now=121.5)) == ["loading", "script"]  # asked, but never connected


def test_the_room_kept_for_running_sessions_is_only_for_their_screens():
    budget = KernelBudget(max_pages=20)
    assert budget.reserved(running_sessions=3) == 5  # two per session, at most a quarter of all
    assert budget.reserved(running_sessions=1) == 2
    assert budget.room_for("participant.ipynb", 17, 1, screen_of_a_session=False)
    assert not budget.room_for("participant.ipynb", 18, 1, screen_of_a_session=False)
    assert budget.room_for("projector.ipynb", 18, 1, screen_of_a_session=True)
    assert budget.room_for("facilitator.ipynb", 19, 1, screen_of_a_session=True)
    assert not budget.room_for("facilitator.ipynb", 20, 1, screen_of_a_session=True)
    assert not budget.room_for("projector.ipynb", 18, 1, screen_of_a_session=False)  # not a running session's
    assert not budget.room_for("solo.ipynb", 18, 1, screen_of_a_session=True)  # a screen only
    assert budget.may_preheat(17, 1) and not budget.may_preheat(18, 1)  # pools never take the kept room


@pytest.fixture
def now(fixed_clock):
    fixed_clock.set(time.time())  # the store stamps creation with the wall clock
    return fixed_clock


def test_running_sessions_are_the_open_ones_in_use_lately(store, test_cases, now):
    fresh = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    closed = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    close_session(store, closed.code, casebook=test_cases)
    attended = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    someone = sessions.join(store, attended.code, "Uil")
    forgotten = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    assert sessions.running_sessions(store) == {fresh.code, attended.code, forgotten.code}
    now.advance(sessions.RUNNING_SECONDS + 60)  # half a day later: only the one whose page still ticks
    sessions.touch(store, someone)
    assert sessions.running_sessions(store) == {attended.code}
    with store.writing() as db:  # its participant's page went quiet long ago
        db.execute(update(ParticipantRow).values(last_seen=0.0))
        db.execute(update(SessionRow).where(SessionRow.code == attended.code).values(step=1))
    assert sessions.running_sessions(store) == set()
