"""Solo progress: a profile per browser or the local profile, answers in the store (SQLite and PostgreSQL), strong and
weak items, the next case, export and delete, and the migration that adds the tables."""

import json
from datetime import timedelta
from importlib import resources

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from casebook import progress as P
from casebook.cases import load_cases
from casebook.config import data_dir
from casebook.solo import score_answer
from casebook.store import SCHEMA_REVISION, Base, SessionRow, SoloAnswerRow, SoloProfileRow, Store, utcnow

PROFILE_A = "a" * 32
PROFILE_B = "b" * 32


@pytest.fixture(scope="module")
def book():
    return load_cases()


def answer(store, profile, case, ticked, tags=None):
    feedback = score_answer(case, ticked, tags)
    P.record_answer(store, profile, feedback)
    return feedback


# ------------------------------------------------------------------ the profile file


def test_a_profile_is_a_random_id_in_the_data_folder_kept_across_pages():
    assert P.local_profile(create=False) is None  # opening the page creates nothing
    first = P.local_profile()
    assert len(first) == 32 and int(first, 16) >= 0
    assert json.loads((data_dir() / "profile.json").read_text())["profile"] == first
    assert P.local_profile() == first == P.local_profile(create=False)  # the next page finds it
    stored = (data_dir() / "profile.json").read_text()
    assert "name" not in stored and "user" not in stored


def test_a_broken_profile_file_is_replaced_not_fatal(caplog):
    (data_dir() / "profile.json").write_text("{not json")
    profile = P.local_profile()
    assert P.PROFILE_ID.match(profile)
    assert P.local_profile() == profile
    assert "profile.json" in caplog.text


def test_forgetting_only_removes_the_file_of_that_profile():
    profile = P.local_profile()
    P.forget_local_profile("c" * 32)
    assert P.local_profile(create=False) == profile
    P.forget_local_profile(profile)
    assert P.local_profile(create=False) is None


# ------------------------------------------------------------------ a profile per browser

BROWSER_1 = "3q2-7wEAAAB0aGlzIGlzIGJyb3dzZXIgb25l"
BROWSER_2 = "3q2-7wEAAAB0aGlzIGlzIGJyb3dzZXIgdHdv"


def test_a_browser_has_its_own_profile_derived_one_way_from_its_id():
    first = P.browser_profile(BROWSER_1)
    assert P.PROFILE_ID.match(first)
    assert P.browser_profile(BROWSER_1) == first  # every tab, every visit of that browser
    assert P.browser_profile(BROWSER_2) != first
    assert BROWSER_1 not in first and BROWSER_1.encode().hex() not in first
    assert not (data_dir() / "profile.json").exists()  # a server's data folder holds no one's profile
    for not_an_id in ("", "x" * (P.BROWSER_ID_MAX + 1)):
        with pytest.raises(ValueError):
            P.browser_profile(not_an_id)


def test_two_browsers_never_see_each_others_answers(store, test_cases):
    mine, theirs = P.browser_profile(BROWSER_1), P.browser_profile(BROWSER_2)
    answer(store, mine, test_cases.get("tst-goed"), ["beloftes-doen"])
    answer(store, theirs, test_cases.get("tst-tweede"), ["doorvertellen"])
    answer(store, theirs, test_cases.get("tst-goed"), ["oordelen"])
    assert [a.case_id for a in P.answers(store, mine)] == ["tst-goed"]
    assert [a.case_id for a in P.answers(store, theirs)] == ["tst-tweede", "tst-goed"]
    assert P.progress(store, mine).stats["beloftes-doen"].found == 1
    assert P.progress(store, theirs).stats["beloftes-doen"].found == 0
    exported = json.loads(P.export_json(store, mine))
    assert [a["case_id"] for a in exported["answers"]] == ["tst-goed"] and exported["answers"][0]["ticked"] == ["beloftes-doen"]


def test_deleting_a_browsers_profile_leaves_the_others(store, test_cases):
    mine, theirs = P.browser_profile(BROWSER_1), P.browser_profile(BROWSER_2)
    local = P.local_profile()
    for profile in (mine, theirs, local):
        answer(store, profile, test_cases.get("tst-goed"), ["beloftes-doen"])
    assert P.delete_profile(store, mine, forget_file=False) == 1
    assert P.answers(store, mine) == [] and P.progress(store, mine).answers == ()
    assert len(P.answers(store, theirs)) == 1 and len(P.answers(store, local)) == 1
    assert P.local_profile(create=False) == local  # the local file is untouched
    answer(store, mine, test_cases.get("tst-tweede"), ["doorvertellen"])  # the same browser starts again, empty
    assert [a.case_id for a in P.answers(store, mine)] == ["tst-tweede"]


# ------------------------------------------------------------------ answers and progress, both stores


def test_answers_are_kept_over_time_with_the_key_as_it_was(store, book):
    vp003 = book.get("vp-003")
    answer(store, PROFILE_A, vp003, ["soms-doortastend-optreden", "beloftes-doen"],
           {1: ["geheimhouding-benadrukken"], 5: ["soms-doortastend-optreden"]})
    answer(store, PROFILE_A, book.get("vp-001"), ["geheimhouding-benadrukken"])
    history = P.answers(store, PROFILE_A)
    assert [a.case_id for a in history] == ["vp-003", "vp-001"]
    first = history[0]
    assert first.items == ("soms-doortastend-optreden", "beloftes-doen")
    assert set(first.key_items) == set(vp003.key_items)
    assert first.found == ("soms-doortastend-optreden",) and first.added == ("beloftes-doen",)
    assert len(first.missed) == 5
    assert first.turn_tags == {1: ("geheimhouding-benadrukken",), 5: ("soms-doortastend-optreden",)}
    assert first.turns_differing == 4  # five VP turns, one read as the case file does
    assert history[1].turns_differing is None  # no turns tagged
    assert history[0].answered_at <= history[1].answered_at and history[0].answered_at.tzinfo
    assert P.answers(store, PROFILE_B) == []


def test_per_item_counts_strong_and_weak_items(store, book):
    cases = [c for c in book if "zelf-keuze-laten-maken" in c.key_items][:3]
    assert len(cases) == 3
    # zelf-keuze-laten-maken: found once, missed twice -> weak; every other key item always found
    answer(store, PROFILE_A, cases[0], list(cases[0].key_items))
    for case in cases[1:]:
        answer(store, PROFILE_A, case, [i for i in case.key_items if i != "zelf-keuze-laten-maken"] + ["oordelen"])
    progress = P.progress(store, PROFILE_A)
    stats = progress.stats["zelf-keuze-laten-maken"]
    assert (stats.found, stats.missed, stats.in_key) == (1, 2, 3)
    assert stats.weak and not stats.strong
    oordelen = progress.stats["oordelen"]
    assert oordelen.added == sum("oordelen" not in c.key_items for c in cases[1:])
    assert progress.weak_items == ("zelf-keuze-laten-maken",)
    seen = {i for c in cases for i in c.key_items}
    assert set(progress.strong_items) == seen - {"zelf-keuze-laten-maken"}
    never = next(i for i in progress.stats if i not in seen)
    assert progress.stats[never].in_key == 0 and not progress.stats[never].strong
    assert len(progress.stats) == 21


def test_weak_items_are_ordered_by_how_often_they_are_missed(store, test_cases):
    goed, tweede = test_cases.get("tst-goed"), test_cases.get("tst-tweede")
    answer(store, PROFILE_A, goed, ["beloftes-doen"])  # misses zelf-keuze-laten-maken
    answer(store, PROFILE_A, goed, ["beloftes-doen", "zelf-keuze-laten-maken"])  # 1 of 2 missed
    answer(store, PROFILE_A, tweede, ["geheimhouding-benadrukken"])  # misses the other two
    weak = P.progress(store, PROFILE_A).weak_items
    assert weak == ("altijd-registreren", "doorvertellen", "zelf-keuze-laten-maken")


def test_the_next_case_practises_the_weak_items(store, book):
    vp003 = book.get("vp-003")
    answer(store, PROFILE_A, vp003, ["soms-doortastend-optreden"])  # misses five items
    progress = P.progress(store, PROFILE_A)
    suggestion = P.next_case(progress, book, exclude=("vp-003",), language="nl")
    assert suggestion.case.id != "vp-003"
    assert suggestion.practises and set(suggestion.practises) <= set(progress.weak_items)
    assert set(suggestion.practises) <= set(suggestion.case.key_items)
    assert suggestion.case.language == "nl"
    # it does not send the reviewer back to a case already done while new ones practise the same
    answer(store, PROFILE_A, suggestion.case, [])
    again = P.next_case(P.progress(store, PROFILE_A), book, language="nl")
    assert again.case.id not in ("vp-003", suggestion.case.id)


def test_without_weak_items_the_next_case_is_one_not_done_yet(store, test_cases):
    empty = P.progress(store, PROFILE_A)
    assert P.next_case(empty, test_cases).practises == ()
    answer(store, PROFILE_A, test_cases.get("tst-goed"), ["beloftes-doen", "zelf-keuze-laten-maken"])
    suggestion = P.next_case(P.progress(store, PROFILE_A), test_cases)
    assert suggestion.case.id == "tst-tweede" and suggestion.practises == ()
    assert P.next_case(empty, test_cases, exclude=("tst-goed", "tst-tweede")) is None


def test_export_holds_every_answer_and_the_counts(store, test_cases):
    answer(store, PROFILE_A, test_cases.get("tst-goed"), ["beloftes-doen", "oordelen"])
    data = json.loads(P.export_json(store, PROFILE_A))
    assert data["format"] == P.EXPORT_FORMAT and data["profile"] == PROFILE_A
    assert data["answers"][0]["case_id"] == "tst-goed"
    assert data["answers"][0]["missed"] == ["zelf-keuze-laten-maken"]
    assert data["items"]["zelf-keuze-laten-maken"] == {"found": 0, "missed": 1, "added": 0, "weak": True}
    assert data["weak_items"] == ["zelf-keuze-laten-maken"]
    assert not list(data_dir().iterdir())  # exporting writes nothing on the server


def test_delete_removes_the_profiles_rows_and_file_and_nothing_else(store, test_cases):
    mine = P.local_profile()
    answer(store, mine, test_cases.get("tst-goed"), ["beloftes-doen"])
    answer(store, mine, test_cases.get("tst-tweede"), ["doorvertellen"])
    answer(store, PROFILE_B, test_cases.get("tst-goed"), ["oordelen"])
    assert P.delete_profile(store, mine) == 2
    with store.reading() as db:
        assert db.execute(select(func.count()).select_from(SoloAnswerRow)
                          .where(SoloAnswerRow.profile_id == mine)).scalar() == 0
        assert db.get(SoloProfileRow, mine) is None
        assert db.get(SoloProfileRow, PROFILE_B) is not None
    assert len(P.answers(store, PROFILE_B)) == 1
    assert P.local_profile(create=False) is None
    assert P.local_profile() != mine  # the next answer starts a new profile


def test_the_schema_stores_nothing_identifying(store):
    columns = {c.name for c in SoloProfileRow.__table__.columns}
    assert columns == {"id", "created_at"}


# ------------------------------------------------------------------ the migration


def alembic_config(url, engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("casebook").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def test_migration_0002_adds_the_solo_tables_and_keeps_sessions(store_url):
    from alembic import command

    engine = create_engine(store_url)
    config = alembic_config(store_url, engine)
    command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.execute(SessionRow.__table__.insert().values(
            id=1, code="QQQQQQ", facilitator_key_hash="x" * 64, title="voor de migratie", method="vrij",
            language="nl", reveal_key=True, minutes={}, step=0, timer_elapsed=0.0, version=0,
            created_at=utcnow(),
        ))
        assert not inspect(connection).has_table("solo_answers")
    engine.dispose()

    store = Store(store_url)  # a store opened at 0001 brings itself to the newest migration
    try:
        assert store.current_revision() == store.head_revision() == SCHEMA_REVISION
        with store.reading() as db:
            assert db.execute(select(SessionRow.title)).scalar() == "voor de migratie"
        P.record_answer(store, PROFILE_A, score_answer(load_cases().get("vp-001"), ["beloftes-doen"]))
        assert len(P.answers(store, PROFILE_A)) == 1
        with store.engine.connect() as connection:
            from alembic.autogenerate import compare_metadata
            from alembic.migration import MigrationContext

            # the hand-kept migrations describe exactly the models
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []

        command.downgrade(store.alembic_config(), "0001")  # undoes only 0002
        with store.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert {"sessions", "votes"} <= tables and not {"solo_answers", "solo_profiles"} & tables
            assert connection.execute(text("SELECT title FROM sessions")).scalar() == "voor de migratie"
    finally:
        store.dispose()


def test_answers_keep_their_order_when_answered_in_the_same_second(store, test_cases):
    for ticked in (["beloftes-doen"], ["zelf-keuze-laten-maken"], ["oordelen"]):
        answer(store, PROFILE_A, test_cases.get("tst-goed"), ticked)
    history = P.answers(store, PROFILE_A)
    assert [a.items for a in history] == [("beloftes-doen",), ("zelf-keuze-laten-maken",), ("oordelen",)]
    assert history[-1].answered_at - history[0].answered_at < timedelta(minutes=1)
