"""The session report (JSON, CSV, HTML), the intervision record, and closing a session, on
SQLite and PostgreSQL."""

import csv
import io
import json
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from casebook import sessions
from casebook.agreement import EENSGEZIND, VERDEELD
from casebook.catalogue import load_catalogue
from casebook.messages import t
from casebook.phaselog import PhaseRun, net_minutes
from casebook.record import Attendee, IntervisionRecord, RecordError, read_record, save_record
from casebook.report import build_report, to_csv, to_html, to_json
from casebook.retention import close_session
from casebook.store import Base, ParticipantRow, PhaseRunRow, RoundAggregateRow, SessionRecordRow, VoteRow

ROUND_1_STEP, ROUND_2_STEP = 2, 5  # incidentmethode: stemmen-1 and stemmen-2 of the first case
# tst-goed's key: beloftes-doen, zelf-keuze-laten-maken
ROUND_1 = [  # 4 voters: oordelen 4/4 (eensgezind), beloftes-doen 2/4 and serieus-nemen 2/4 (verdeeld)
    ["oordelen", "beloftes-doen", "serieus-nemen"],
    ["oordelen", "beloftes-doen"],
    ["oordelen", "serieus-nemen"],
    ["oordelen"],
]
ROUND_2 = [  # after the discussion: beloftes-doen 4/4, zelf-keuze-laten-maken 3/4 (toward the key)
    ["oordelen", "beloftes-doen", "zelf-keuze-laten-maken"],
    ["oordelen", "beloftes-doen", "zelf-keuze-laten-maken"],
    ["oordelen", "beloftes-doen", "zelf-keuze-laten-maken"],
    ["oordelen", "beloftes-doen"],
]
RECORD = IntervisionRecord(
    held_on=date(2026, 11, 27), start_time=time(14, 0), end_time=time(16, 30), group_name="Regio <Oost>",
    chair="Anouk de Vries", facilitator="Bram Jansen", setting="online", inbrengers={0: "Chris", 1: "Dewi"},
    attendance=(Attendee("Anouk de Vries", "LVV-1234"), Attendee("Eef <script>", "LVV-77")),
)


@pytest.fixture
def voted(store, test_cases):
    return vote_a_session(store, test_cases)


def vote_a_session(store, test_cases):
    """Two rounds of the first case voted, a late-comer in round 2, and the record saved."""
    created = sessions.create_session(store, ["tst-goed", "tst-tweede"], casebook=test_cases, title="Proef")
    control = sessions.FacilitatorControl(store, created.code, created.facilitator_key)
    people = [sessions.join(store, created.code, f"Uil-{i}") for i in range(4)]
    control.go_to(ROUND_1_STEP)
    for person, items in zip(people, ROUND_1):
        sessions.cast_vote(store, created.code, person, 0, 1, items)
    control.go_to(ROUND_2_STEP)
    for person, items in zip(people, ROUND_2):
        sessions.cast_vote(store, created.code, person, 0, 2, items)
    late = sessions.join(store, created.code, "Laatkomer")  # only in round 2: counted, but not in the shift
    sessions.cast_vote(store, created.code, late, 0, 2, ["oordelen"])
    save_record(store, created.code, created.facilitator_key, RECORD)
    return store, created, test_cases


def _round(report, position, number):
    case = report["cases"][position]
    return next(r for r in case["rounds"] if r["round"] == number)


def test_json_report_has_labels_split_first_agreement_shift_and_key(voted):
    store, created, book = voted
    report = json.loads(to_json(build_report(store, created.code, casebook=book)))
    first = _round(report, 0, 1)
    assert first["voters"] == 4 and first["shown"]
    assert [(i["item"], i["label"]) for i in first["items"][:2]] == [
        ("serieus-nemen", VERDEELD), ("beloftes-doen", VERDEELD)]  # split first, catalogue order on ties
    assert next(i for i in first["items"] if i["item"] == "oordelen")["label"] == EENSGEZIND
    assert first["agreement"]["ac1"] is not None and first["agreement"]["alpha"] is not None
    assert first["agreement"]["ac1_low"] <= first["agreement"]["ac1"] <= first["agreement"]["ac1_high"]
    assert first["against_key"]["dont"] == {"hit": 0, "missed": 1, "added": 1}  # beloftes-doen 2/4 is no choice
    assert first["shift"] is None

    second = _round(report, 0, 2)
    assert second["voters"] == 5
    assert second["against_key"]["do"]["hit"] == 1 and second["against_key"]["dont"]["hit"] == 1
    assert second["shift"]["paired"] == 4 and second["shift"]["toward_key"] == 2 + 3 + 2  # 2 serieus-nemen off
    assert second["shift"]["away_from_key"] == 0 and second["shift"]["normalised_gain"] > 0
    keuze = next(i for i in second["items"] if i["item"] == "zelf-keuze-laten-maken")
    assert keuze["shift"] == {"switched_on": 3, "switched_off": 0, "toward_key": 3, "away_from_key": 0}

    hidden = _round(report, 1, 1)  # nobody voted on the second case: only the count
    assert (hidden["voters"], hidden["shown"], hidden["items"], hidden["agreement"]) == (0, False, [], None)
    text = json.dumps(report, ensure_ascii=False)
    assert "dinsdagmiddag" not in text  # never the vignette
    assert "Uil-" not in text and "Laatkomer" not in text  # no pseudonym anywhere


def test_record_fields_are_in_the_report(voted):
    store, created, book = voted
    record = build_report(store, created.code, casebook=book)["record"]
    assert record["date"] == "2026-11-27" and (record["start_time"], record["end_time"]) == ("14:00", "16:30")
    assert (record["group_name"], record["chair"], record["facilitator"]) == ("Regio <Oost>", "Anouk de Vries", "Bram Jansen")
    assert record["setting"] == "online" and record["number_present"] == 2
    assert record["method"] == "Incidentmethode"
    assert [(c["case_id"], c["inbrenger"], c["themes"]) for c in record["cases"]] == [
        ("tst-goed", "Chris", ["Pesten"]), ("tst-tweede", "Dewi", record["cases"][1]["themes"])]
    assert record["attendance"][0] == {"name": "Anouk de Vries", "lvv_number": "LVV-1234"}
    assert record["net_contact_hours"] > 0


def test_csv_has_one_row_per_case_round_and_item(voted):
    store, created, book = voted
    rows = list(csv.DictReader(io.StringIO(to_csv(build_report(store, created.code, casebook=book)))))
    items = len(load_catalogue().items)
    assert len(rows) == 2 * 2 * items
    row = next(r for r in rows if r["case_id"] == "tst-goed" and r["round"] == "2" and r["item"] == "zelf-keuze-laten-maken")
    assert (row["ticked"], row["voters"], row["in_key"], row["verdict"], row["toward_key"]) == ("3", "5", "1", "hit", "3")
    assert float(row["ac1"]) == pytest.approx(float(next(
        r for r in rows if r["case_id"] == "tst-goed" and r["round"] == "2")["ac1"]))
    hidden = [r for r in rows if r["case_id"] == "tst-tweede"]
    assert {r["shown"] for r in hidden} == {"0"} and {r["ticked"] for r in hidden} == {""}


def test_html_is_printable_escaped_and_names_the_record(voted):
    store, created, book = voted
    page = to_html(build_report(store, created.code, casebook=book))
    assert "@page { size: A4" in page
    for typed in ("Anouk de Vries", "LVV-1234", "Bram Jansen", "Chris", "Dewi", "14:00", "16:30", "2026-11-27"):
        assert typed in page
    assert "Regio &lt;Oost&gt;" in page and "<script>" not in page
    assert "De groep" in page and "Verslag van de intervisie" in page
    assert "<b>Bespreek eerst:</b>" in page


def test_record_needs_the_facilitator_key_and_round_trips(voted):
    store, created, _ = voted
    assert read_record(store, created.code, created.facilitator_key) == RECORD
    with pytest.raises(sessions.NotAllowed):
        read_record(store, created.code, "wrong-key")
    with pytest.raises(sessions.NotAllowed):
        save_record(store, created.code, "wrong-key", IntervisionRecord(chair="X"))
    changed = IntervisionRecord(chair="  Anouk   de Vries ", setting="fysiek", present=7)
    assert save_record(store, created.code, created.facilitator_key, changed).chair == "Anouk de Vries"
    stored = read_record(store, created.code, created.facilitator_key)
    assert stored.number_present == 7 and stored.attendance == () and stored.setting == "fysiek"


@pytest.mark.parametrize("record, field", [
    (IntervisionRecord(setting="hybride"), "setting"),
    (IntervisionRecord(start_time=time(16), end_time=time(14)), "end_time"),
    (IntervisionRecord(inbrengers={5: "Iemand"}), "inbrengers"),
    (IntervisionRecord(chair="x" * 201), "chair"),
])
def test_an_unusable_record_field_is_named_and_nothing_stored(store, test_cases, record, field):
    created = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    with pytest.raises(RecordError) as caught:
        save_record(store, created.code, created.facilitator_key, record)
    assert caught.value.field == field and caught.value.message("nl")
    with store.reading() as db:
        assert db.execute(select(func.count()).select_from(SessionRecordRow)).scalar() == 0


def test_close_keeps_the_report_identical_and_deletes_votes_and_pseudonyms(voted):
    store, created, book = voted
    with store.reading() as db:
        participant_ids = db.execute(select(ParticipantRow.id)).scalars().all()
    assert len(participant_ids) == 5
    before = build_report(store, created.code, casebook=book)
    generated = datetime(2026, 11, 27, 17, 0)
    assert close_session(store, created.code, casebook=book) == {"closed": True, "votes": 9, "participants": 5}
    after = build_report(store, created.code, casebook=book)
    assert after["closed"] and not before["closed"]
    assert {**after, "closed": None} == {**before, "closed": None}
    assert to_csv(after) == to_csv(before)
    note = f'<p class="cb-report-note">{t("report.closed", "nl")}</p>'
    assert note in to_html(after, generated) and note not in to_html(before, generated)
    assert to_html(after, generated).replace(note, "") == to_html(before, generated)
    with store.reading() as db:
        assert db.execute(select(func.count()).select_from(VoteRow)).scalar() == 0
        assert db.execute(select(func.count()).select_from(ParticipantRow)).scalar() == 0
        assert db.execute(select(func.count()).select_from(RoundAggregateRow)).scalar() == 4
        assert db.execute(select(func.count()).select_from(SessionRecordRow)).scalar() == 1
        everything = json.dumps([[list(map(str, r)) for r in db.execute(table.select())]
                                 for table in Base.metadata.sorted_tables])
    for trace in ["Uil-", "Laatkomer", *participant_ids]:  # no pseudonym or participant id left anywhere
        assert trace not in everything
    assert close_session(store, created.code, casebook=book) == {"closed": False, "votes": 0, "participants": 0}
    with pytest.raises(sessions.SessionError) as refused:
        sessions.join(store, created.code, "nakomer")
    assert refused.value.reason == "session_closed"
    assert build_report(store, created.code, casebook=book)["cases"] == before["cases"]


def test_phases_entered_are_logged_without_anyone_in_them(voted):
    store, created, _ = voted
    with store.reading() as db:
        steps = db.execute(select(PhaseRunRow.step).order_by(PhaseRunRow.id)).scalars().all()
    assert steps == [0, ROUND_1_STEP, ROUND_2_STEP]


def test_net_minutes_count_only_phases_actually_run():
    runs = [PhaseRun(0, 0.0), PhaseRun(1, 600.0), PhaseRun(2, 620.0), PhaseRun(3, 1220.0)]
    planned = {0: 5, 1: 10, 2: 5, 3: 5}
    # 10 min in step 0, step 1 clicked past (20 s), 10 min in step 2, last step its planned 5 min
    assert net_minutes(runs, planned) == pytest.approx(25)
    # with the typed times: start 5 minutes earlier, end 15 minutes after entering the last step
    assert net_minutes(runs, planned, started_at=-300.0, ended_at=1220.0 + 900) == pytest.approx(40)
    assert net_minutes([], planned) == 0
    # a record typed for another day does not stretch the log; typed times cap the total
    assert net_minutes(runs, planned, started_at=-3 * 86400.0, ended_at=5 * 86400.0) == pytest.approx(25)
    # phases clicked through before the typed start (preparing) do not count beyond start to end
    assert net_minutes(runs, planned, started_at=600.0, ended_at=1220.0 + 300) == pytest.approx(920 / 60)


def test_cli_reports_and_closes(cli, test_cases, tmp_path):
    """The CLI on the default store (SQLite in the test's data folder): once is enough."""
    from casebook.store import open_store

    store = open_store()
    created = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    out = tmp_path / "verslag.csv"
    result = cli("session", "report", created.code, "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(out.open(newline="", encoding="utf-8")))) == 2 * len(load_catalogue().items)
    assert json.loads(cli("session", "report", created.code, "--format", "json").output)["session"] == created.code
    assert "<!DOCTYPE html>" in cli("session", "report", created.code).output
    closed = cli("session", "close", created.code)
    assert closed.exit_code == 0 and created.code in closed.output
    assert cli("session", "report", "QQQQQQ").exit_code == 1


def test_cli_results_are_the_same_before_and_after_close(cli, test_cases):
    """After closing, the votes are gone but `session results` shows the counts closing kept,
    and says the session is closed, in text and JSON."""
    from casebook.store import open_store

    _, created, _ = vote_a_session(open_store(), test_cases)
    before_json = json.loads(cli("session", "results", created.code, "--format", "json").output)
    before_text = cli("session", "results", created.code).output
    assert cli("session", "close", created.code).exit_code == 0
    after = cli("session", "results", created.code, "--format", "json")
    assert after.exit_code == 0, after.output
    after_json = json.loads(after.output)
    assert before_json["closed"] is False and after_json["closed"] is True
    assert after_json["results"] == before_json["results"]
    counts = {(r["position"], r["round"]): (r["voters"], r["counts"]) for r in after_json["results"]}
    assert counts[(0, 1)][0] == 4 and counts[(0, 1)][1]["oordelen"] == 4
    assert counts[(0, 2)][0] == 5 and counts[(0, 2)][1]["beloftes-doen"] == 4
    after_text = cli("session", "results", created.code).output
    said = t("cli.results_closed", "nl", code=created.code)
    assert after_text.startswith(said) and said not in before_text
    assert after_text[len(said) + 1:] == before_text
    english = cli("--language", "en", "session", "results", created.code).output
    assert english.startswith(t("cli.results_closed", "en", code=created.code))
