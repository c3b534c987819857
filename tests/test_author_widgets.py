"""The author app without a browser: check, findings in place, allow-list, save only when clean."""

from __future__ import annotations

import pytest

from casebook.cases import parse_case_file
from casebook.clearance import served_cases
from casebook.authoring import AuthorModel, local_checker, parse_turns
from widgets.author import AuthorView


@pytest.fixture
def view(tmp_path):
    return AuthorView(AuthorModel(tmp_path / "nieuw", checker=local_checker), warm_up=False)


def fill(view, body="De melder werkt op de afdeling. Haar teamleider appt haar 's avonds.",
         dialogue="melder: Ik weet het niet.\nvp: Ik beloof dat het stopt. [beloftes-doen]"):
    view._id.value = "tst-nieuw"
    view._case_title.value = "Een nieuwe casus"
    view._themes.value = ("pesten",)
    view._key_items.value = ("beloftes-doen",)
    view._reason_boxes["beloftes-doen"].value = "De VP belooft dat het stopt."
    view._body.value = body
    view._dialogue.value = dialogue


def test_dialogue_lines_become_turns_with_items():
    assert parse_turns("melder: Hallo.\n\nvp: Vertel. [luisteren-samenvatten-doorvragen, beloftes-doen]") == [
        {"speaker": "melder", "text": "Hallo."},
        {"speaker": "vp", "text": "Vertel.", "items": ["luisteren-samenvatten-doorvragen", "beloftes-doen"]},
    ]


def test_findings_are_listed_with_line_and_marked_in_place_and_saving_stays_off(view):
    fill(view, body="De melder werkt op de afdeling. Haar teamleider Kees de Boer appt haar.",
         dialogue="melder: Ik weet het niet.\nvp: Bel me op 06-48213957. [beloftes-doen]")
    view._check.click()
    html = view._result.value
    assert '<mark class="cb-finding cb-finding-naam" title="naam">Kees de Boer' in html
    assert "cb-finding-telefoonnummer" in html and "06-48213957" in html
    assert "2 herkenbaar gegeven(s)" in html
    lines = view.model.case_text().splitlines()
    for finding in view.model.findings:
        assert finding.text in lines[finding.line - 1]
        assert f"regel {finding.line}" in html
    assert view._save.disabled
    view._save.click()  # a crafted click is refused too
    assert not (view.model.folder / "tst-nieuw.md").exists()
    assert "cb-error-box" in view._error.value


def test_allowed_tokens_pass_but_stay_visible(view):
    fill(view, body="Anouk werkt op de afdeling. Haar teamleider appt haar 's avonds.")
    view._allow.value = "Anouk"
    view._check.click()
    assert view.model.findings == []
    assert "toegestaan via allow" in view._result.value
    assert "cb-finding-allowed" in view._result.value and "Anouk" in view._result.value
    assert not view._save.disabled


def test_findings_show_while_the_case_is_not_complete_and_structure_errors_are_named(view):
    view._body.value = "Gisteren belde Kees de Boer de melder weer op."
    view._check.click()
    html = view._result.value
    assert "Kees de Boer" in html and "cb-finding-naam" in html
    assert "cb-author-invalid" in html and "verplicht veld &#x27;id&#x27;" in html
    assert view._save.disabled


def test_any_change_after_the_check_needs_a_new_check(view):
    fill(view)
    view._check.click()
    assert not view._save.disabled
    view._body.value += " Bel 06-48213957."
    assert view._save.disabled


def test_a_clean_valid_case_is_saved_loads_and_is_served(view, monkeypatch):
    fill(view)
    view._check.click()
    assert "Geen herkenbare gegevens gevonden" in view._result.value
    view._save.click()
    path = view.model.folder / "tst-nieuw.md"
    assert path.exists() and "Opgeslagen als" in view._status.value
    case = parse_case_file(path)
    assert (case.id, case.themes, case.key_items) == ("tst-nieuw", ("pesten",), ("beloftes-doen",))
    assert [turn.items for turn in case.dialogue] == [(), ("beloftes-doen",)]
    monkeypatch.setenv("CASEBOOK_CASES", str(view.model.folder))
    assert "tst-nieuw" in served_cases().cases  # saved clean: the apps offer it at once


def test_an_id_that_exists_already_is_refused(view):
    fill(view)
    view._id.value = "vp-001"
    view._check.click()
    assert "vp-001" in view._result.value and "bestaat al" in view._result.value
    assert view._save.disabled


def test_english_labels(view):
    view.language = "en"
    fill(view, body="Her manager Tom Richards keeps commenting on her clothes.")
    view._check.click()
    assert "identifying detail(s) found" in view._result.value
    assert view._check.description == "Check" and view._save.description == "Save"


def test_each_key_item_gets_how_and_central_and_the_case_a_legal_frame(view):
    fill(view)
    view._context.value = "Arbowet art. 3 lid 2 en de klachtenregeling."
    view._check.click()
    assert "geen &#x27;how&#x27;" in view._result.value  # a key item without how: warned, not refused
    assert not view._save.disabled
    view._how_boxes["beloftes-doen"].value = "fout"
    view._central_boxes["beloftes-doen"].value = True
    assert view._save.disabled  # changed since the check
    view._check.click()
    assert "waarschuwing" not in view._result.value
    view._save.click()
    case = parse_case_file(view.saved_path)
    assert [(k.item, k.how, k.central) for k in case.key] == [("beloftes-doen", "fout", True)]
    assert case.context == "Arbowet art. 3 lid 2 en de klachtenregeling." and case.warnings == ()
    view._language.value = "en"
    assert view._how_boxes["beloftes-doen"].description == "How did the VP do?"
    assert view._how_boxes["beloftes-doen"].value == "fout"
