"""The anonymisation check on our labelled evaluation set holds its floors, on both parts.

Part 1 (planted.yml, clean.yml) was written by the developer of the first rules; part 2
(planted-2.yml, clean-2.yml) was written before the second round of rules by a helper who had
not read them: indirect identifiers, ages, years of birth, hard names, English title case;
part 3 (planted-3.yml, clean-3.yml) before the third round (issue 26): clean texts with the
traps of a held-out set, each labelled with its kind, names in lower case and capitals without
the old cue words, yearly events. Floors (issue 15): direct recall >= 0.95 and indirect recall
>= 0.8 on each part, and not one false finding on the clean texts. benchmarks/anonymisation.py
prints the figures per kind, and per kind of trap.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIRECT_FLOOR = 0.95
INDIRECT_FLOOR = 0.8


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("anonymisation_benchmark", ROOT / "benchmarks" / "anonymisation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=[1, 2, 3], ids=["part1", "part2", "part3"])
def evaluation(request, benchmark):
    return benchmark.evaluate(part=request.param)


def test_the_set_is_big_enough_and_covers_every_kind_of_design_section_6(benchmark):
    first, second = benchmark.evaluate(part=1), benchmark.evaluate(part=2)
    assert first["texts"] >= 40 and first["clean_texts"] >= 20
    assert set(first["recall"]) >= {
        "naam", "telefoonnummer", "e-mail", "url", "social-media", "bsn", "iban", "postcode", "adres",
        "datum", "geboortedatum", "kenteken", "personeelsnummer", "organisatie", "zorginstelling",
        "school", "gemeente",
    }
    # the second part as issue 15 asks: at least 60 identifiers, 15 of them indirect, 20 clean texts
    assert sum(second["direct"]) and second["direct"][1] + second["indirect"][1] >= 60
    assert second["indirect"][1] >= 15 and second["clean_texts"] >= 20
    assert {"indirect", "geboortejaar", "leeftijd"} <= set(second["recall"])
    # the third part as issue 26 asks: at least 30 clean texts with the kinds of trap a held-out
    # set showed, and names in lower case and capitals
    third = benchmark.evaluate(part=3)
    assert third["clean_texts"] >= 30
    assert set(third["traps"]) >= {"word-name", "title-case", "job-title", "particle", "group"}
    assert third["counts"]["naam"][2] >= 15 and third["indirect"][1] >= 3


def test_direct_identifiers_are_found(evaluation):
    found, total = evaluation["direct"]
    missed = [m for m in evaluation["missed"] if m[1] != "indirect"]
    assert found / total >= DIRECT_FLOOR, f"part {evaluation['part']}: {found}/{total}, missed: {missed}"


def test_indirect_identifiers_are_found(evaluation):
    found, total = evaluation["indirect"]
    if total == 0:
        pytest.skip(f"part {evaluation['part']} has no indirect identifiers")
    missed = [m for m in evaluation["missed"] if m[1] == "indirect"]
    assert found / total >= INDIRECT_FLOOR, f"part {evaluation['part']}: {found}/{total}, missed: {missed}"


def test_no_false_findings_on_clean_vignette_language(evaluation):
    assert evaluation["false_findings"] == []
