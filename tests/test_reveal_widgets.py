"""The reveal's summary in the live views (issue 12): *Bespreek eerst* with the split items,
the agreement in words, AC1 for the facilitator only, and after round 2 the shift; driven
with Button.click(), no browser."""

import pytest

from casebook import sessions
from casebook.record import RecordError, parse_attendance, parse_present, parse_time
from casebook.store import Store
from widgets.facilitator import FacilitatorView
from widgets.participant import ParticipantView
from widgets.projector import ProjectorView

# tst-goed's key: beloftes-doen, zelf-keuze-laten-maken
ROUND_1 = [  # oordelen 4/4 (eensgezind); beloftes-doen 2/4 and serieus-nemen 2/4 (verdeeld)
    ["oordelen", "beloftes-doen", "serieus-nemen"],
    ["oordelen", "beloftes-doen"],
    ["oordelen", "serieus-nemen"],
    ["oordelen"],
]
ROUND_2 = [  # beloftes-doen 2/4 -> 4/4 (toward the key), serieus-nemen 2/4 -> 0/4 (it is not in the key)
    ["oordelen", "beloftes-doen"],
    ["oordelen", "beloftes-doen"],
    ["oordelen", "beloftes-doen"],
    ["oordelen", "beloftes-doen"],
]


@pytest.fixture
def room(tmp_path, test_cases):
    store = Store(f"sqlite:///{tmp_path / 'room.db'}")
    created = sessions.create_session(store, ["tst-goed"], casebook=test_cases, title="Proef")
    facilitator = FacilitatorView(store, test_cases, created.code, created.facilitator_key)
    projector = ProjectorView(store, test_cases, created.code)
    people = [ParticipantView(store, test_cases, code=created.code) for _ in range(4)]
    for index, person in enumerate(people):
        person.join_as(f"Uil {index}")
    yield store, created, facilitator, projector, people
    store.dispose()


def tick(*views):
    for view in views:
        view.tick()


def vote(people, ballots):
    for person, items in zip(people, ballots):
        for item in items:
            person._picker.toggle(item).value = True
        person._submit.click()
        assert "opgeslagen" in person._vote_status.value


def to_round_1(facilitator):
    facilitator.click("start")
    facilitator.click("next")
    facilitator.click("next")


def test_nothing_below_three_voters_then_the_split_items_first(room):
    _, _, facilitator, projector, people = room
    to_round_1(facilitator)
    tick(*people)
    vote(people[:2], ROUND_1[:2])
    tick(facilitator, projector)
    assert facilitator._summary.value == "" and projector._summary.value == ""
    vote(people[2:], ROUND_1[2:])
    tick(facilitator, projector, *people)
    summary = facilitator._summary.value
    assert "Bespreek eerst" in summary  # live for the facilitator
    assert projector._summary.value == "" and people[0]._summary.value == ""  # others: after the reveal
    # the two split items, each with k of n, and not the unanimous one
    assert 'cb-discuss-beloftes-doen' in summary and 'cb-discuss-serieus-nemen' in summary
    assert 'cb-discuss-oordelen' not in summary
    assert 'data-ticked="2" data-voters="4"' in summary
    assert "cb-ac1" in summary and "AC1" in summary

    facilitator.click("reveal")
    tick(projector, *people)
    for view in (projector, people[0]):
        assert "Bespreek eerst" in view._summary.value
        assert "cb-discuss-beloftes-doen" in view._summary.value
        assert "De groep is het" in view._summary.value or "verdeeld" in view._summary.value
        assert "AC1" not in view._summary.value  # the number is for the facilitator only
        assert "Uil" not in view._summary.value


def test_after_round_2_the_shift_and_toward_the_key_only_where_the_key_shows(room):
    _, _, facilitator, projector, people = room
    to_round_1(facilitator)
    tick(*people)
    vote(people, ROUND_1)
    facilitator.click("reveal")  # onthulling
    facilitator.click("next")  # bespreking
    facilitator.click("next")  # stemmen-2
    tick(*people)
    vote(people, ROUND_2)
    tick(facilitator)
    live = facilitator._summary.value
    assert "Zo bewoog de groep" in live
    assert "2/4 → 4/4" in live and "2/4 → 0/4" in live
    assert "cb-shift-oordelen" not in live  # nobody moved on it
    assert "cb-shift-beloftes-doen cb-toward-key" in live  # the facilitator always has the key
    assert "cb-shift-serieus-nemen cb-toward-key" in live  # off an item outside the key: toward it too

    facilitator.click("reveal")  # sleutel: round 2 revealed, the key shown to everyone
    tick(projector, *people)
    assert "2/4 → 4/4" in projector._summary.value and "naar de sleutel toe" in projector._summary.value


def test_the_shift_hides_its_direction_when_the_session_keeps_the_key_back(tmp_path, test_cases):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    created = sessions.create_session(store, ["tst-goed"], casebook=test_cases, reveal_key=False)
    facilitator = FacilitatorView(store, test_cases, created.code, created.facilitator_key)
    projector = ProjectorView(store, test_cases, created.code)
    people = [ParticipantView(store, test_cases, code=created.code) for _ in range(4)]
    for index, person in enumerate(people):
        person.join_as(f"Uil {index}")
    to_round_1(facilitator)
    tick(*people)
    vote(people, ROUND_1)
    for _ in range(3):
        facilitator.click("next") if _ else facilitator.click("reveal")
    tick(*people)
    vote(people, ROUND_2)
    facilitator.click("reveal")
    tick(projector, *people)
    for view in (projector, people[0]):
        assert "2/4 → 4/4" in view._summary.value
        assert "sleutel" not in view._summary.value and "cb-toward-key" not in view._summary.value
    assert "cb-toward-key" in facilitator._summary.value
    store.dispose()


def test_english_on_request(room):
    _, _, facilitator, projector, people = room
    to_round_1(facilitator)
    tick(*people)
    vote(people, ROUND_1)
    tick(facilitator)
    assert "Bespreek eerst" in facilitator._summary.value
    facilitator.language = "en"
    assert "Discuss first" in facilitator._summary.value and "Bespreek" not in facilitator._summary.value


def test_what_the_chair_types_is_read_as_a_record():
    assert [(a.name, a.lvv_number) for a in parse_attendance("Anouk de Vries; 1234\n\nBram\tLVV-9\nChris, 77\n")] \
        == [("Anouk de Vries", "1234"), ("Bram", "LVV-9"), ("Chris", "77")]
    assert parse_time("start_time", "14.05").strftime("%H:%M") == "14:05"
    assert parse_time("start_time", " ") is None
    with pytest.raises(RecordError) as refused:
        parse_time("end_time", "vijf uur")
    assert refused.value.field == "end_time"
    assert parse_present("") is None and parse_present("7") == 7
    with pytest.raises(RecordError):
        parse_present("zeven")


# ------------------------------------------------------------------ the end: record and report


def downloads(facilitator) -> dict[str, str]:
    """File name -> content of each download link (data: URLs) the facilitator page offers."""
    import base64
    import re

    found = re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', facilitator._record_form._downloads.value)
    return {name: base64.b64decode(data).decode("utf-8") for name, data in found}


def test_the_record_form_and_the_downloads_appear_at_the_end(room):
    store, created, facilitator, projector, people = room
    to_round_1(facilitator)
    tick(*people)
    vote(people, ROUND_1)
    assert facilitator._record_form.layout.display == "none"  # not before the last phase
    for button in ("reveal", "next", "next", "reveal", "next"):  # onthulling … evaluatie
        facilitator.click(button)
    assert facilitator.model.state.is_last_step
    form = facilitator._record_form
    assert form.layout.display != "none"
    assert set(downloads(facilitator)) == {f"intervisie-{created.code}-{form._date.value.isoformat()}.{fmt}"
                                           for fmt in ("html", "csv", "json")}
    form.fill(group_name="Regio Oost", chair="Anouk de Vries", facilitator="Bram Jansen", start_time="14.00",
              end_time="16:30", setting="online", inbrenger_1="Chris",
              attendance="Anouk de Vries; LVV-1234\nEef Smit; LVV-77")
    form._save.click()
    assert "2 namen" in form._status.value
    files = downloads(facilitator)
    html = next(text for name, text in files.items() if name.endswith(".html"))
    for typed in ("Regio Oost", "Anouk de Vries", "Bram Jansen", "LVV-1234", "Eef Smit", "Chris", "14:00–16:30"):
        assert typed in html
    assert "hier ging het mis" in html  # the key column says how the VP did (tst-goed: beloftes-doen fout)
    import json

    record = json.loads(next(text for name, text in files.items() if name.endswith(".json")))["record"]
    assert record["setting"] == "online" and record["attendance"][1] == {"name": "Eef Smit", "lvv_number": "LVV-77"}
    csv_text = next(text for name, text in files.items() if name.endswith(".csv"))
    assert "beloftes-doen,dont,1,fout" in csv_text

    # a page opened later (a reload) shows what was saved
    again = FacilitatorView(store, facilitator.model.casebook, created.code, created.facilitator_key)
    assert again._record_form._chair.value == "Anouk de Vries"
    assert "Eef Smit; LVV-77" in again._record_form._attendance.value


def test_a_bad_time_is_a_plain_message_and_nothing_is_saved(room):
    store, created, facilitator, *_ = room
    facilitator._control.go_to(facilitator.model.state.steps_total - 1)
    facilitator.tick()
    form = facilitator._record_form
    form.fill(chair="Anouk", start_time="twee uur")
    form._save.click()
    assert form._error.layout.display != "none" and "start_time" in form._error.value
    from casebook.record import read_record

    assert read_record(store, created.code, created.facilitator_key) is None


def test_three_voters_never_divided_so_the_majority_items_lead(room):
    _, _, facilitator, projector, people = room
    to_round_1(facilitator)
    tick(*people)
    vote(people[:3], [["beloftes-doen", "oordelen"], ["beloftes-doen"], ["oordelen", "serieus-nemen"]])
    tick(facilitator)
    summary = facilitator._summary.value
    assert "alleen een meerderheid" in summary
    assert "cb-discuss-beloftes-doen" in summary and "cb-discuss-oordelen" in summary
    assert "cb-discuss-serieus-nemen" in summary  # 1 of 3: a majority did not tick it
    assert "cb-label-verdeeld" not in summary and "cb-discuss-stiltes-laten-vallen" not in summary
