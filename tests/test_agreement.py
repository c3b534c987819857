"""Agreement statistics against published worked examples, and the edge cases of a small group."""

import krippendorff
import numpy as np
import pytest

from casebook.agreement import (
    ADDED, EENSGEZIND, HIT, MEERDERHEID, MISSED, VERDEELD, RoundTally, against_key, agreement, describe,
    gwet_ac1, item_splits, krippendorff_nominal, label_for, live_picture, shift,
)
from casebook.catalogue import load_catalogue

nan = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers
# (rows) x twelve units (columns), values 1-5, missing values; nominal alpha = 0.743.
# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., p. 120, uses the same ratings
# (unit 12's single rating under another rater, which no coefficient can use) and reports
# p_a = 0.818, p_e = 0.190, AC1 = 0.775 (also in Gwet's irrCAC package as cac.raw4raters).
KRIPPENDORFF_4x12 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]

ITEMS = ["a", "b", "c", "d", "e"]


def value_counts(data, values):
    data = np.asarray(data, dtype=float)
    return np.stack([(data == v).sum(axis=0) for v in values], axis=1)


def test_krippendorff_package_gives_the_canonical_nominal_example():
    assert round(krippendorff.alpha(reliability_data=KRIPPENDORFF_4x12, level_of_measurement="nominal"), 3) == 0.743
    assert round(krippendorff_nominal(KRIPPENDORFF_4x12), 3) == 0.743


def test_gwet_ac1_reproduces_the_handbook_example():
    p_a, p_e, ac1 = gwet_ac1(value_counts(KRIPPENDORFF_4x12, [1, 2, 3, 4, 5]))
    assert (round(p_a, 3), round(p_e, 3), round(ac1, 3)) == (0.818, 0.190, 0.775)


def test_ac1_for_two_raters_on_a_two_by_two_table():
    """Two raters, 100 subjects, the 2x2 table of Feinstein & Cicchetti (1990, J Clin Epidemiol
    43:543, "High agreement but low kappa"): both yes 80, only A yes 10, only B yes 5, both no 5.
    Cohen's kappa is 0.32 there although the raters agree on 85 %; AC1 was made for this.

    By hand with Gwet (2008, Br J Math Stat Psychol 61:29, two raters, two categories):
      p_a = (80 + 5) / 100 = 0.85
      pi_yes = (P(A yes) + P(B yes)) / 2 = (0.90 + 0.85) / 2 = 0.875
      p_e = 2 * pi_yes * (1 - pi_yes) = 2 * 0.875 * 0.125 = 0.21875
      AC1 = (0.85 - 0.21875) / (1 - 0.21875) = 0.63125 / 0.78125 = 0.808
    Here the subjects are items and "yes" is "ticked".
    """
    cells = [({"A", "B"}, 80), ({"A"}, 10), ({"B"}, 5), (set(), 5)]
    items = [f"item-{i}" for i in range(100)]
    ballots = {"A": set(), "B": set()}
    subjects = iter(items)
    for raters, count in cells:
        for _ in range(count):
            item = next(subjects)
            for rater in raters:
                ballots[rater].add(item)
    result = agreement(RoundTally.from_ballots(ballots.values(), items), items)
    assert result.raw == pytest.approx(0.85)
    assert result.ac1 == pytest.approx(0.808)


def test_alpha_wrapper_passes_the_ballots_through_unchanged():
    ballots = [{"a", "b"}, {"a"}, {"a", "c"}, {"b", "c", "d"}, {"a", "b"}]
    direct = krippendorff.alpha(
        reliability_data=[[int(item in ballot) for item in ITEMS] for ballot in ballots],
        level_of_measurement="nominal",
    )
    result = agreement(RoundTally.from_ballots(ballots, ITEMS), ITEMS)
    assert result.alpha == pytest.approx(direct)
    assert 0 < result.alpha < 1  # a real number, not a guard value


def test_ac1_of_complete_binary_data_matches_the_general_formula():
    ballots = [{"a", "b"}, {"a"}, {"a", "c"}, {"b", "c", "d"}, {"a", "b"}]
    matrix = [[int(item in ballot) for item in ITEMS] for ballot in ballots]
    p_a, _, ac1 = gwet_ac1(value_counts(matrix, [0, 1]))
    result = agreement(RoundTally.from_ballots(ballots, ITEMS), ITEMS)
    assert (result.raw, result.ac1) == (pytest.approx(p_a), pytest.approx(ac1))


def test_bootstrap_interval_is_deterministic_and_brackets_ac1():
    ballots = [{"a", "b"}, {"a"}, {"a", "c"}, {"b", "c", "d"}, {"a", "b"}, {"e"}]
    tally = RoundTally.from_ballots(ballots, ITEMS)
    first, again = agreement(tally, ITEMS), agreement(tally, ITEMS)
    assert (first.ac1_low, first.ac1_high) == (again.ac1_low, again.ac1_high)
    assert first.ac1_low <= first.ac1 <= first.ac1_high
    assert first.ac1_low < first.ac1_high
    assert agreement(tally, ITEMS, resamples=0).ac1_low is None


# ------------------------------------------------------------------ labels and order


@pytest.mark.parametrize("ticked, voters, label", [
    (4, 5, EENSGEZIND), (1, 5, EENSGEZIND), (5, 5, EENSGEZIND), (0, 5, EENSGEZIND),
    (3, 5, MEERDERHEID), (2, 5, MEERDERHEID), (3, 4, MEERDERHEID), (7, 9, MEERDERHEID),
    (2, 4, VERDEELD), (5, 9, VERDEELD), (4, 7, VERDEELD),
])
def test_item_labels_follow_the_80_and_60_percent_lines(ticked, voters, label):
    assert label_for(ticked, voters) == label


def test_split_items_come_first_ties_in_catalogue_order():
    ballots = [{"a", "b", "c"}, {"a", "c"}, {"a", "e"}, {"a", "d", "e"}]  # a 4/4, b 1/4, c 2/4, d 1/4, e 2/4
    splits = item_splits(RoundTally.from_ballots(ballots, ITEMS), ITEMS)
    assert [(s.item, s.ticked, s.label) for s in splits] == [
        ("c", 2, VERDEELD), ("e", 2, VERDEELD), ("b", 1, MEERDERHEID), ("d", 1, MEERDERHEID), ("a", 4, EENSGEZIND),
    ]


# ------------------------------------------------------------------ edge cases


def test_one_voter_gives_counts_but_no_agreement_numbers():
    tally = RoundTally.from_ballots([{"a"}], ITEMS)
    result = agreement(tally, ITEMS)
    assert (result.raw, result.ac1, result.alpha, result.ac1_low) == (None, None, None, None)
    assert item_splits(tally, ITEMS)[0].voters == 1
    assert describe(result, item_splits(tally, ITEMS), "nl") == "Nog te weinig stemmen om iets over de groep te zeggen."


def test_everyone_identical_says_fully_agreed_without_an_alpha():
    tally = RoundTally.from_ballots([{"a", "c"}] * 4, ITEMS)
    result = agreement(tally, ITEMS)
    assert result.unanimous and result.alpha is None
    assert result.raw == 1.0 and result.ac1 == 1.0
    assert describe(result, item_splits(tally, ITEMS), "nl") == "De groep is het volledig eens."
    assert describe(result, item_splits(tally, ITEMS), "en") == "The group fully agrees."


def test_nobody_ticking_anything_is_full_agreement_too():
    tally = RoundTally.from_ballots([set()] * 5, ITEMS)
    result = agreement(tally, ITEMS)
    assert result.unanimous and result.alpha is None and result.ac1 == 1.0
    assert {s.label for s in item_splits(tally, ITEMS)} == {EENSGEZIND}
    assert against_key(tally, {"beloftes-doen"}).count(MISSED) == 1


def test_words_name_the_divided_items():
    # 6 voters; "a" and "b" split 3/3, the rest nobody ticks: mostly agreed, divided on 2
    ballots = [{"a"}, {"a"}, {"a", "b"}, {"b"}, {"b"}, set()]
    tally = RoundTally.from_ballots(ballots, ITEMS + list("fghijklmnop"))
    result = agreement(tally)
    words = describe(result, item_splits(tally), "nl")
    assert result.ac1 >= 0.8
    assert words == "De groep is het grotendeels eens. Verdeeld over 2 punten."
    split_tally = RoundTally.from_ballots([{"a", "b"}, {"c", "d"}, {"a", "c", "e"}, {"b", "d"}], ITEMS)
    assert describe(agreement(split_tally), item_splits(split_tally), "en").startswith("The group is divided.")


# ------------------------------------------------------------------ shift


def test_shift_counts_switches_toward_and_away_from_the_key():
    key = {"a"}
    round_1 = {"p1": set(), "p2": {"b"}, "p3": {"a"}, "p4": {"a", "b"}}
    round_2 = {"p1": {"a"}, "p2": set(), "p3": set(), "p4": {"a", "b"}, "late": {"c", "d", "e"}}
    moved = shift(round_1, round_2, ITEMS, key)
    assert moved.paired == 4  # "late" voted only in round 2
    a, b, c = moved.item("a"), moved.item("b"), moved.item("c")
    assert (a.switched_on, a.switched_off, a.toward_key, a.away_from_key) == (1, 1, 1, 1)
    assert (b.switched_on, b.switched_off, b.toward_key, b.away_from_key) == (0, 1, 1, 0)
    assert (c.switched_on, c.switched_off) == (0, 0)
    assert (moved.toward_key, moved.away_from_key) == (2, 1)
    # 4 participants x 5 items = 20 decisions agreeing with the key (a ticked, others not):
    # round 1: p1 4 (misses a), p2 3, p3 5, p4 4 = 16; round 2: p1 5, p2 4, p3 4, p4 4 = 17
    assert (moved.agreeing_before, moved.agreeing_after, moved.decisions) == (16, 17, 20)
    assert moved.normalised_gain == pytest.approx((17 / 20 - 16 / 20) / (1 - 16 / 20))  # 0.25


def test_shift_without_round_2_has_no_pairs_and_no_gain():
    moved = shift({"p1": {"a"}, "p2": set()}, {}, ITEMS, {"a"})
    assert moved.paired == 0 and moved.normalised_gain is None and moved.key_share_before is None
    assert moved.toward_key == 0


def test_gain_is_undefined_when_round_1_already_matched_the_key():
    moved = shift({"p1": {"a"}, "p2": {"a"}}, {"p1": {"a"}, "p2": {"a", "b"}}, ITEMS, {"a"})
    assert moved.key_share_before == 1.0 and moved.normalised_gain is None
    assert moved.away_from_key == 1


def test_shift_survives_a_round_trip_through_plain_data():
    moved = shift({"p1": set(), "p2": {"b"}}, {"p1": {"a"}, "p2": {"b"}}, ITEMS, {"a"})
    from casebook.agreement import Shift

    assert Shift.from_dict(moved.as_dict()) == moved


# ------------------------------------------------------------------ against the key


def test_group_against_the_key_with_dos_and_donts_apart():
    catalogue = load_catalogue()
    key = {"zelf-keuze-laten-maken", "serieus-nemen", "beloftes-doen"}
    ballots = [  # 4 voters; chosen = ticked by more than half
        {"zelf-keuze-laten-maken", "oordelen", "tijd-nemen"},
        {"zelf-keuze-laten-maken", "oordelen", "serieus-nemen"},
        {"zelf-keuze-laten-maken", "oordelen"},
        {"beloftes-doen", "tijd-nemen"},
    ]
    comparison = against_key(RoundTally.from_ballots(ballots, catalogue.item_ids), key)
    verdicts = {row.item: row.verdict for row in comparison.dos + comparison.donts}
    assert verdicts["zelf-keuze-laten-maken"] == HIT
    assert verdicts["serieus-nemen"] == MISSED  # 1 of 4
    assert verdicts["beloftes-doen"] == MISSED
    assert verdicts["oordelen"] == ADDED
    assert verdicts["tijd-nemen"] is None  # 2 of 4 is a tie, not a choice, and not in the key
    assert (comparison.count(HIT, "do"), comparison.count(MISSED, "do"), comparison.count(ADDED, "do")) == (1, 1, 0)
    assert (comparison.count(HIT, "dont"), comparison.count(MISSED, "dont"), comparison.count(ADDED, "dont")) == (0, 1, 1)
    assert {row.kind for row in comparison.dos} == {"do"} and len(comparison.donts) == len(catalogue.donts)
    assert comparison.as_dict()["donts"]["added"] == 1


def test_live_picture_combines_labels_words_and_shift():
    round_1 = {"p1": {"a"}, "p2": {"a"}, "p3": set(), "p4": {"b"}}
    round_2 = {"p1": {"a"}, "p2": {"a"}, "p3": {"a"}, "p4": set()}
    picture = live_picture(round_2, ITEMS, key={"a"}, earlier=round_1, language="en")
    assert picture.splits[0].item == "a" and picture.splits[0].label == MEERDERHEID  # 3 of 4
    assert picture.agreement.alpha is None and picture.agreement.ac1_low is None  # report-only numbers
    assert picture.shift.toward_key == 2 and picture.words.startswith("The group")
