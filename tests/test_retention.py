"""Closing forgotten sessions at server start (AVG retention), with the casebook's clock."""

import time

import pytest
from sqlalchemy import func, select

from casebook import sessions
from casebook.config import settings
from casebook.retention import DAY_SECONDS, close_stale_sessions, stale_sessions
from casebook.store import ParticipantRow, RoundAggregateRow, SessionRow, VoteRow

VOTE_STEP = 2  # incidentmethode: the first round's vote of the first case


@pytest.fixture
def now(fixed_clock):
    """The clock stopped at the wall clock's now (the store stamps creation with the wall clock)."""
    fixed_clock.set(time.time())
    return fixed_clock


def _voted_session(store, book, title):
    created = sessions.create_session(store, ["tst-goed"], casebook=book, title=title)
    control = sessions.FacilitatorControl(store, created.code, created.facilitator_key)
    people = [sessions.join(store, created.code, f"Uil-{i}") for i in range(3)]
    control.go_to(VOTE_STEP)
    for person in people:
        sessions.cast_vote(store, created.code, person, 0, 1, ["oordelen"])
    return created.code, people


def _count(store, table, code):
    with store.reading() as db:
        session_id = db.execute(select(SessionRow.id).where(SessionRow.code == code)).scalar()
        return db.execute(select(func.count()).select_from(table).where(table.session_id == session_id)).scalar()


def test_only_sessions_silent_for_the_set_days_are_closed(store, test_cases, now):
    forgotten, _ = _voted_session(store, test_cases, "Vergeten")
    still_used, people = _voted_session(store, test_cases, "Nog bezig")
    prepared = sessions.create_session(store, ["tst-goed"], casebook=test_cases, title="Voor later").code

    now.advance(29 * DAY_SECONDS)
    sessions.touch(store, people[0])  # a page of this session is still open four weeks on
    now.advance(2 * DAY_SECONDS)
    assert stale_sessions(store, 30) == [forgotten]
    assert stale_sessions(store, 0) == []  # 0: never

    assert close_stale_sessions(store, 30, casebook=test_cases) == [forgotten]
    with store.reading() as db:
        closed = {row.code: row.closed_at is not None for row in db.execute(select(SessionRow)).scalars()}
    assert closed == {forgotten: True, still_used: False, prepared: False}
    # the forgotten session keeps its counts, loses its votes and pseudonyms
    assert _count(store, VoteRow, forgotten) == 0 and _count(store, ParticipantRow, forgotten) == 0
    assert _count(store, RoundAggregateRow, forgotten) >= 1
    with store.reading() as db:
        kept = db.execute(select(RoundAggregateRow).where(RoundAggregateRow.round == 1)).scalars().first()
    assert kept.voters == 3 and kept.counts["oordelen"] == 3
    # the others are untouched and usable
    assert _count(store, VoteRow, still_used) == 3 and _count(store, ParticipantRow, still_used) == 3
    sessions.join(store, prepared, "Later")

    # a second start closes nothing more
    assert close_stale_sessions(store, 30, casebook=test_cases) == []


def test_a_session_is_not_stale_before_its_time(store, test_cases, now):
    code, _ = _voted_session(store, test_cases, "Vorige week")
    now.advance(29 * DAY_SECONDS + 23 * 3600)
    assert stale_sessions(store, 30) == []
    assert stale_sessions(store, 7) == [code]


def test_the_setting_defaults_to_30_days_and_reads_the_environment(monkeypatch):
    assert settings().close_after_days == 30
    monkeypatch.setenv("CASEBOOK_CLOSE_AFTER_DAYS", "7")
    assert settings().close_after_days == 7
    monkeypatch.setenv("CASEBOOK_CLOSE_AFTER_DAYS", "0")
    assert settings().close_after_days == 0
    monkeypatch.setenv("CASEBOOK_CLOSE_AFTER_DAYS", "een maand")  # a typo keeps the default
    assert settings().close_after_days == 30
    environ = {}
    settings(close_after_days=0).export(environ)
    assert environ["CASEBOOK_CLOSE_AFTER_DAYS"] == "0"


def test_server_start_closes_forgotten_sessions_and_says_how_many(test_cases, now, monkeypatch, capsys, tmp_path):
    from casebook.serve import close_forgotten_sessions
    from casebook.store import open_store

    monkeypatch.setenv("CASEBOOK_STORE", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setattr("casebook.retention.load_cases", lambda: test_cases)
    store = open_store()
    first, _ = _voted_session(store, test_cases, "Eén")
    second, _ = _voted_session(store, test_cases, "Twee")
    now.advance(31 * DAY_SECONDS)

    assert close_forgotten_sessions(settings().close_after_days) == [first, second]
    said = capsys.readouterr().err
    assert "2 sessie(s) gesloten" in said and "30 dagen" in said and first in said and second in said
    assert close_forgotten_sessions(30) == []
    assert "geen sessies om te sluiten" in capsys.readouterr().err
    assert close_forgotten_sessions(0) == []  # turned off: nothing closed, nothing said
    assert capsys.readouterr().err == ""


def test_server_start_forgets_wrong_join_codes_older_than_a_minute(now, monkeypatch, tmp_path):
    from casebook.serve import close_forgotten_sessions
    from casebook.store import JoinFailureRow, open_store

    monkeypatch.setenv("CASEBOOK_STORE", f"sqlite:///{tmp_path / 'serve.db'}")
    store = open_store()
    sessions.note_wrong_code(store, "browser-hash-1")
    now.advance(30)
    sessions.note_wrong_code(store, "browser-hash-2")
    now.advance(45)  # the first is 75 s old, the second 45 s
    close_forgotten_sessions(30)
    with store.reading() as db:
        assert db.execute(select(JoinFailureRow.browser)).scalars().all() == ["browser-hash-2"]


def test_the_request_log_keeps_no_codes_keys_or_tokens(caplog):
    from types import SimpleNamespace

    from casebook.web import log_request

    request = SimpleNamespace(method="GET", path="/voila/render/facilitator.ipynb", remote_ip="192.0.2.7",
                              uri="/voila/render/facilitator.ipynb?code=ABCDEF&key=SECRETKEY&token=TT",
                              request_time=lambda: 0.002)
    with caplog.at_level("INFO", logger="tornado.access"):
        log_request(SimpleNamespace(get_status=lambda: 403, request=request))
    [line] = caplog.records
    assert line.levelname == "WARNING" and "403 GET /voila/render/facilitator.ipynb" in line.getMessage()
    assert "?" not in line.getMessage() and "SECRETKEY" not in line.getMessage() and "ABCDEF" not in line.getMessage()


def test_a_running_server_keeps_closing_forgotten_sessions(test_cases, now, monkeypatch, tmp_path):
    from casebook.serve import keep_closing_forgotten_sessions
    from casebook.store import open_store

    monkeypatch.setenv("CASEBOOK_STORE", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setattr("casebook.retention.load_cases", lambda: test_cases)
    store = open_store()
    code, _ = _voted_session(store, test_cases, "Loopt al maanden")
    assert keep_closing_forgotten_sessions(0) is None  # turned off: no thread
    stop = keep_closing_forgotten_sessions(30, every_seconds=0.05)
    try:
        time.sleep(0.3)
        assert stale_sessions(store, 30) == [] and _count(store, ParticipantRow, code) == 3
        now.advance(31 * DAY_SECONDS)  # a month on, the server still running
        deadline = time.monotonic() + 10
        while _count(store, ParticipantRow, code) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _count(store, ParticipantRow, code) == 0 and _count(store, VoteRow, code) == 0
    finally:
        stop.set()
