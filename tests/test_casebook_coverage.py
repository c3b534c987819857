"""The casebook's second edition holds its floors: what a trainer needs from a set of cases to
run a year of intervision with it (issue 11). Counted from the case files, never hard-coded."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from casebook.cases import load_cases
from casebook.catalogue import load_catalogue

# how items may sensibly play out: a don't is "open" where the case ends before the VP could
# commit it; every item can be done well and done wrong. Items a VP cannot leave "open" in any
# meaningful way (one either stays silent or not, is reachable or not) are listed apart.
NEVER_OPEN = {"stiltes-laten-vallen", "toegankelijk-zijn"}


@pytest.fixture(scope="module")
def book():
    from casebook.cases import builtin_cases_dir

    loaded = load_cases([builtin_cases_dir()])
    assert not loaded.problems, [p.describe("en") for p in loaded.problems]
    return loaded


def test_there_are_at_least_forty_cases_eight_in_english(book):
    assert len(book) >= 40
    assert sum(case.language == "en" for case in book) >= 8


def test_every_key_entry_says_how_and_every_case_has_one_or_two_central_items(book):
    for case in book:
        assert all(entry.how in ("goed", "fout", "open") for entry in case.key), case.id
        assert 1 <= len(case.central_items) <= 2, case.id


def test_every_item_is_keyed_in_four_cases_and_tagged_in_three_turns(book):
    catalogue = load_catalogue()
    keyed = Counter(item for case in book for item in set(case.key_items))
    tagged = Counter(item for case in book for turn in case.dialogue for item in turn.items)
    assert {item: keyed[item] for item in catalogue.item_ids if keyed[item] < 4} == {}
    assert {item: tagged[item] for item in catalogue.item_ids if tagged[item] < 3} == {}


def test_each_how_is_used_for_every_item_where_it_makes_sense(book):
    seen = defaultdict(set)
    for case in book:
        for entry in case.key:
            seen[entry.item].add(entry.how)
    missing = {}
    for item in load_catalogue().item_ids:
        wanted = {"goed", "fout"} | (set() if item in NEVER_OPEN else {"open"})
        if wanted - seen[item]:
            missing[item] = sorted(wanted - seen[item])
    assert missing == {}


def test_every_case_has_a_dialogue_with_three_vp_turns_whose_tags_are_keyed(book):
    for case in book:
        vp_turns = [turn for turn in case.dialogue if turn.speaker == "vp"]
        assert len(vp_turns) >= 3, case.id
        tagged = {item for turn in case.dialogue for item in turn.items}
        assert tagged <= set(case.key_items), (case.id, tagged - set(case.key_items))


def test_every_theme_is_in_five_cases_and_no_two_cases_repeat_themes_and_central_items(book):
    themes = Counter(theme for case in book for theme in case.themes)
    assert {theme.id: themes[theme.id] for theme in load_catalogue().themes if themes[theme.id] < 5} == {}
    shapes = Counter((tuple(sorted(case.themes)), tuple(sorted(case.central_items))) for case in book)
    assert [shape for shape, count in shapes.items() if count > 1] == []


def test_enough_cases_end_at_the_decision_point(book):
    """Open-ended: a central item left to the group ("open"); the arcs vary."""
    open_ended = [case for case in book if any(e.how == "open" for e in case.key if e.central)]
    assert len(open_ended) >= 12
    central_done_well = [case for case in book if case.central_items
                             and all(e.how == "goed" for e in case.key if e.central)]
    assert len(central_done_well) >= 4  # among them the cases where it still went badly


def test_every_case_names_its_legal_frame_or_context(book):
    assert [case.id for case in book if not case.context.strip()] == []
