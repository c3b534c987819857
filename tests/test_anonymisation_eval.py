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


@pytest.fixture(scope="module")
def evaluations(benchmark):
    """Each part evaluated once per module, when a test first asks for it."""
    done = {}

    def of_part(part: int) -> dict:
        if part not in done:
            done[part] = benchmark.evaluate(part=part)
        return done[part]

    return of_part


@pytest.fixture(scope="module", params=[1, 2, 3], ids=["part1", "part2", "part3"])
def evaluation(request, evaluations):
    return evaluations(request.param)


def test_the_set_is_big_enough_and_covers_every_kind_the_gate_names(evaluations):
    first, second = evaluations(1), evaluations(2)
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
    third = evaluations(3)
    assert third["clean_texts"] >= 30
    assert set(third["traps"]) >= {"word-name", "title-case", "job-title", "particle", "group"}
    assert third["counts"]["naam"][2] >= 15 and third["indirect"][1] >= 3


def test_direct_identifiers_are_found(evaluation):
    found, total = evaluation["direct"]
    missed = [m for m in evaluation["missed"] if m[1] != "indirect"]
    assert found / total >= DIRECT_FLOOR, f"part {evaluation['part']}: {found}/{total}, missed: {missed}"


@pytest.mark.parametrize("part", [2, 3])
def test_indirect_identifiers_are_found(evaluations, part):
    # parts 2 and 3 hold indirect identifiers (part 1 none; the test above checks how many)
    evaluation = evaluations(part)
    found, total = evaluation["indirect"]
    missed = [m for m in evaluation["missed"] if m[1] == "indirect"]
    assert found / total >= INDIRECT_FLOOR, f"part {evaluation['part']}: {found}/{total}, missed: {missed}"


def test_no_false_findings_on_clean_vignette_language(evaluation):
    assert evaluation["false_findings"] == []
