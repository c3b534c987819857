"""The third edition (issue 24): contested key items (``betwist``), situation tags, and the key
consistency rules that ``casebook check`` reports (docs/case-format.md)."""

from pathlib import Path

import pytest

from casebook.cases import CaseFileErrors, builtin_cases_dir, load_cases, parse_case_file, parse_case_text
from casebook.catalogue import load_catalogue
from casebook.check import check_paths
from casebook.consistency import consistency_warnings

DATA = Path(__file__).parent / "data"
GOOD = DATA / "cases" / "tst-goed.md"
LIMITS_NL = load_catalogue().confidentiality_limits_in("nl")
NOTE = "Sommige vertrouwenspersonen vinden dit een belofte, anderen een eerlijke toezegging."


def contested(tmp_path, note=NOTE, name="betwist.md"):
    text = GOOD.read_text("utf-8").replace(
        "    how: fout\n    central: true\n", f"    how: fout\n    central: true\n    betwist: {note}\n")
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


# ---------------------------------------------------------------- betwist


def test_a_key_entry_can_be_marked_contested_with_a_one_line_note(tmp_path):
    case = parse_case_file(contested(tmp_path))
    assert case.key_entry("beloftes-doen").contested == NOTE
    assert case.key_entry("zelf-keuze-laten-maken").contested == ""


@pytest.mark.parametrize("note", ['""', "[a, b]", "|\n      twee\n      regels", "x" * 301])
def test_a_bad_betwist_names_file_line_and_item(tmp_path, note):
    with pytest.raises(CaseFileErrors) as caught:
        parse_case_file(contested(tmp_path, note))
    [error] = caught.value.errors
    assert error.code == "bad_betwist" and error.line in (14, 15)  # the line of "betwist:" (or its text)
    assert "beloftes-doen" in error.describe("nl") and "'betwist'" in error.message("en")


def test_the_facilitator_and_browse_key_show_the_contested_note(tmp_path):
    from widgets.case_view import key_html

    case = parse_case_file(contested(tmp_path))
    html = key_html(case, load_catalogue(), "nl")
    assert 'class="cb-contested"' in html and "betwist" in html and NOTE in html
    assert "Stand van de wetgeving: 1 december 2026" in html
    english = key_html(case, load_catalogue(), "en")
    assert "contested" in english and "Legal status as of 1 December 2026" in english


def test_solo_feedback_shows_the_contested_note_and_the_legal_status(tmp_path):
    from casebook.solo import score_answer
    from widgets.solo_html import feedback_html

    case = parse_case_file(contested(tmp_path))
    feedback = score_answer(case, ["beloftes-doen"])
    assert feedback.verdict("beloftes-doen").contested == NOTE
    html = feedback_html(feedback, case, load_catalogue(), "nl")
    assert NOTE in html and "cb-contested" in html and "Stand van de wetgeving" in html


def test_the_live_results_mark_a_contested_item(tmp_path):
    from casebook.session_state import RoundResult
    from widgets.results_chart import results_html

    case = parse_case_file(contested(tmp_path))
    catalogue = load_catalogue()
    result = RoundResult(round=1, voters=4, counts={item: 0 for item in catalogue.item_ids} | {"beloftes-doen": 3})
    html = results_html(catalogue, {1: result}, "nl", case.key)
    assert "cb-contested-mark" in html and NOTE.replace("'", "&#x27;") in html


def test_the_printed_plan_shows_the_note_and_the_legal_status(tmp_path):
    from casebook.plan import SessionPlan

    case = parse_case_file(contested(tmp_path))
    plan = SessionPlan(code="ABC123", facilitator_key="", title="Proef", method="vrij", language="nl",
                       minutes={}, reveal_key=True, cases=[case])
    html = plan.html(trainer_copy=True)
    assert NOTE.replace("'", "&#39;") in html and "Stand van de wetgeving: 1 december 2026" in html


def test_the_built_in_cases_mark_contested_items():
    book = load_cases([builtin_cases_dir()])
    marked = [case.id for case in book if any(entry.contested for entry in case.key)]
    assert len(marked) >= 8, marked


# ---------------------------------------------------------------- tags


def test_tags_name_catalogue_situations_and_an_unknown_one_is_an_error(tmp_path):
    text = GOOD.read_text("utf-8").replace("themes: [pesten]\n", "themes: [pesten]\ntags: [stage, nazorg]\n")
    assert parse_case_text(text).tags == ("stage", "nazorg")
    with pytest.raises(CaseFileErrors) as caught:
        parse_case_text(text.replace("nazorg]", "koffie]"))
    assert caught.value.errors[0].code == "unknown_tag" and "koffie" in caught.value.errors[0].describe("en")


def test_every_new_situation_has_a_case_and_the_filter_finds_it():
    from widgets.case_filter import CaseFilter

    book = load_cases([builtin_cases_dir()])
    catalogue = load_catalogue()
    tagged = {tag for case in book for tag in case.tags}
    assert set(catalogue.situation_ids) == tagged  # every situation a trainer can pick has cases
    for situation in catalogue.situations:
        assert situation.label_in("nl") and situation.label_in("en")
        found = CaseFilter(situation=situation.id).apply(book)
        assert found and all(situation.id in book.get(case_id).tags for case_id in found)


def test_the_filter_bar_offers_the_situations_in_both_languages():
    from widgets.case_filter import CaseFilter, FilterBar

    filters = CaseFilter()
    bar = FilterBar(filters, load_catalogue())
    assert "cb-filter-situation" in bar.situation._dom_classes
    assert ("Stagiair(e) en school", "stage") in bar.situation.options
    bar.situation.value = "stage"
    assert filters.situation == "stage"
    bar.language = "en"
    assert ("Intern and school", "stage") in bar.situation.options and bar.situation.value == "stage"


# ---------------------------------------------------------------- key consistency


def case_with(turns: str, key: str):
    return parse_case_text(f"""---
id: tst-regel
title: Regel
language: nl
themes: [pesten]
key:
{key}
dialogue:
{turns}
---
Tekst.
""", "regel.md")


def codes(case):
    return [w.code for w in consistency_warnings(case)]


def test_limits_stated_otherwise_than_in_the_standard_wording_are_warned_when_keyed_as_done_well():
    key = "  - item: geheimhouding-benadrukken\n    why: x\n    how: goed\n"
    own = "  - speaker: vp\n    text: Wat je me vertelt, blijft tussen ons. De enige uitzondering is ernstig gevaar.\n"
    assert codes(case_with(own, key)) == ["limits_not_standard"]
    standard = f"  - speaker: vp\n    text: 'Voordat je begint: {LIMITS_NL} Vertel maar.'\n"
    assert codes(case_with(standard, key)) == []


def test_a_promise_without_limits_must_be_keyed_wrong_or_open():
    turn = "  - speaker: vp\n    text: Wat je me vertelt, blijft tussen ons, wat er ook gebeurt.\n"
    assert codes(case_with(turn, "  - item: serieus-nemen\n    why: x\n    how: goed\n")) == [
        "confidentiality_not_keyed"]
    assert codes(case_with(turn, "  - item: geheimhouding-benadrukken\n    why: x\n    how: fout\n")) == []
    # a melder saying it, or a VP talking about what someone said, is not a promise
    other = "  - speaker: vp\n    text: Omdat wat je vertelt over die deur ernstig is.\n"
    assert codes(case_with(other, "  - item: serieus-nemen\n    why: x\n    how: goed\n")) == []


def test_a_broken_nothing_without_you_is_keyed_as_a_promise():
    turn = "  - speaker: vp\n    text: Ik doe niets zonder jouw toestemming.\n"
    breach = "  - item: doorvertellen\n    why: x\n    how: fout\n"
    assert codes(case_with(turn, breach)) == ["broken_promise_not_keyed"]
    assert codes(case_with(turn, breach + "  - item: beloftes-doen\n    why: x\n    how: fout\n")) == []
    assert codes(case_with(turn, breach.replace("fout", "goed"))) == []


def test_a_turn_tag_outside_the_key_is_warned():
    turn = "  - speaker: vp\n    text: Dat beloof ik.\n    items: [beloftes-doen]\n"
    [warning] = consistency_warnings(case_with(turn, "  - item: serieus-nemen\n    why: x\n    how: goed\n"))
    assert warning.code == "tag_not_in_key" and "beloftes-doen" in warning.message("nl") and warning.line


def test_the_built_in_cases_keep_every_consistency_rule():
    reports = check_paths([str(builtin_cases_dir())], anonymisation=False)
    warned = {r.file: [w.code for w in r.warnings] for r in reports if r.warnings}
    assert warned == {}
    assert all(r.ok for r in reports)


def test_every_vp_who_states_the_limits_uses_the_standard_wording():
    catalogue = load_catalogue()
    wordings = list(catalogue.confidentiality_limits.values())
    book = load_cases([builtin_cases_dir()])
    stating = [(case.id, turn.text) for case in book for turn in case.dialogue
               if turn.speaker == "vp" and ("blijft tussen ons" in turn.text or "stays between us" in turn.text)]
    assert len(stating) >= 10
    for case_id, text in stating:
        entry = book.get(case_id).key_entry("geheimhouding-benadrukken")
        assert any(w.lower() in text.lower() for w in wordings) or (entry and entry.how in ("fout", "open")), case_id


def test_the_author_app_check_reports_the_consistency_warnings_too():
    from casebook.check import check_case_text

    text = GOOD.read_text("utf-8").replace(
        "    text: Ik zorg ervoor dat het ophoudt, dat beloof ik.\n    items: [beloftes-doen]\n",
        "    text: Ik zorg ervoor dat het ophoudt, dat beloof ik.\n    items: [beloftes-doen, oordelen]\n")
    result = check_case_text(text, "concept.md")
    assert [w["code"] for w in result["warnings"]] == ["tag_not_in_key"]
    assert result["warnings"][0]["params"]["item"] == "oordelen"
