"""Scoring one solo answer against a case's key and its dialogue (casebook/solo.py)."""

import pytest

from casebook.cases import load_cases
from casebook.solo import ADDED, FOUND, LEFT_OUT, MISSED, SoloError, score_answer, vp_turns


@pytest.fixture(scope="module")
def vp003():
    return load_cases().get("vp-003")  # a dialogue case: six key items, five VP turns


def test_every_item_is_judged_ticked_and_in_key_with_the_keys_reason(test_cases):
    case = test_cases.get("tst-goed")  # key: beloftes-doen, zelf-keuze-laten-maken
    feedback = score_answer(case, ["beloftes-doen", "oordelen"])
    assert len(feedback.items) == 21
    assert feedback.found == ("beloftes-doen",)
    assert feedback.missed == ("zelf-keuze-laten-maken",)
    assert feedback.added == ("oordelen",)
    assert len(feedback.left_out) == 18
    missed = feedback.verdict("zelf-keuze-laten-maken")
    assert (missed.ticked, missed.in_key, missed.status) == (False, True, MISSED)
    assert missed.reason == "De melder wil zelf beslissen wat er gebeurt."
    found = feedback.verdict("beloftes-doen")
    assert (found.status, found.reason) == (FOUND, "De vertrouwenspersoon belooft dat het pesten stopt.")
    added = feedback.verdict("oordelen")
    assert (added.ticked, added.in_key, added.status, added.reason) == (True, False, ADDED, None)
    assert feedback.verdict("tijd-nemen").status == LEFT_OUT


def test_each_key_verdict_carries_how_the_vp_did_and_whether_it_is_central(test_cases):
    feedback = score_answer(test_cases.get("tst-goed"), ["beloftes-doen", "oordelen"])
    assert (feedback.verdict("beloftes-doen").how, feedback.verdict("beloftes-doen").central) == ("fout", True)
    assert (feedback.verdict("zelf-keuze-laten-maken").how, feedback.verdict("zelf-keuze-laten-maken").central) == (
        "open", False)
    assert (feedback.verdict("oordelen").how, feedback.verdict("oordelen").central) == ("", False)  # not in the key


def test_the_score_explains_itself_in_counts_not_a_bare_percentage(test_cases):
    feedback = score_answer(test_cases.get("tst-goed"), ["beloftes-doen", "oordelen"])
    assert feedback.score_parts("nl") == [
        "1 van de 2 sleutelitems gevonden", "1 gemist", "1 extra gekozen die niet in de sleutel staan",
    ]
    assert feedback.score_parts("en")[0] == "1 of the 2 key items found"
    assert "%" not in feedback.summary("nl")


@pytest.mark.parametrize("ticked, headline", [
    (["beloftes-doen", "zelf-keuze-laten-maken"], "Precies de sleutel"),
    (["beloftes-doen", "zelf-keuze-laten-maken", "oordelen"], "Alles uit de sleutel gevonden"),
    (["oordelen"], "Geen van de sleutelitems gevonden"),
    (["beloftes-doen"], "Een deel van de sleutel"),
])
def test_the_headline_matches_the_answer(test_cases, ticked, headline):
    assert score_answer(test_cases.get("tst-goed"), ticked).headline("nl").startswith(headline)


def test_ticking_twice_or_in_any_order_counts_once(test_cases):
    case = test_cases.get("tst-goed")
    once = score_answer(case, ["zelf-keuze-laten-maken", "beloftes-doen"])
    twice = score_answer(case, ["beloftes-doen", "beloftes-doen", "zelf-keuze-laten-maken"])
    assert once == twice and once.ticked == ("zelf-keuze-laten-maken", "beloftes-doen")


def test_unknown_items_are_refused_with_the_case_and_the_item(test_cases):
    with pytest.raises(SoloError) as caught:
        score_answer(test_cases.get("tst-goed"), ["beloftes-doen", "vriendelijk-zijn"])
    assert "vriendelijk-zijn" in caught.value.message("nl") and "tst-goed" in caught.value.message("nl")


def test_turn_tags_are_compared_with_the_turns_of_the_case_file(vp003):
    turns = dict(vp_turns(vp003))
    assert sorted(turns) == [1, 3, 5, 7, 9]
    tags = {
        1: ["geheimhouding-benadrukken"],  # as the case
        5: ["soms-doortastend-optreden"],  # the case also sees zelf-keuze-laten-maken here
        9: ["soms-doortastend-optreden", "altijd-registreren", "beloftes-doen"],  # one too many
    }
    feedback = score_answer(vp003, ["geheimhouding-benadrukken", "soms-doortastend-optreden"], tags)
    assert feedback.turns_tagged
    by_index = {turn.index: turn for turn in feedback.turns}
    assert [turn.number for turn in feedback.turns] == [1, 2, 3, 4, 5]
    assert by_index[1].agrees
    assert by_index[3].untagged == ("luisteren-samenvatten-doorvragen",) and by_index[3].tagged == ()
    in_case = [item for item in vp003.dialogue[5].items if item not in tags[5]]
    assert in_case and by_index[5].untagged == tuple(in_case) and not by_index[5].extra
    assert by_index[9].extra == ("beloftes-doen",) and not by_index[9].untagged
    assert [turn.index for turn in feedback.turns_differing] == [3, 5, 7, 9]
    assert feedback.turn_summary("nl") == "1 van de 5 beurten las je zoals de casus."


def test_turns_read_differently_from_the_key_not_the_items(vp003):
    """The case file gives turn 7 two items only, although the key has more items."""
    as_the_case = list(vp003.dialogue[7].items)
    assert len(as_the_case) < len(vp003.key)
    feedback = score_answer(vp003, ["zelf-keuze-laten-maken"], {7: as_the_case})
    turn = next(t for t in feedback.turns if t.index == 7)
    assert turn.agrees and turn.key_items == tuple(as_the_case)


def test_turn_tagging_is_optional(vp003, test_cases):
    feedback = score_answer(vp003, ["soms-doortastend-optreden"])
    assert not feedback.turns_tagged and feedback.turns_differing == ()
    assert len(feedback.turns) == 5
    assert "optioneel" in feedback.turn_summary("nl")
    no_dialogue = score_answer(test_cases.get("tst-tweede"), ["altijd-registreren"])
    assert no_dialogue.turns == () and no_dialogue.turn_summary("nl") == ""


def test_tags_on_a_turn_that_is_not_the_vps_are_refused(vp003):
    with pytest.raises(SoloError) as caught:
        score_answer(vp003, ["beloftes-doen"], {0: ["beloftes-doen"]})  # turn 0 is the reporter's
    assert caught.value.problem == "unknown_turn"
    with pytest.raises(SoloError):
        score_answer(vp003, ["beloftes-doen"], {1: ["geen-item"]})
