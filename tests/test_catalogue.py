from pathlib import Path

import pytest
import yaml

from casebook.catalogue import load_catalogue

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "catalogue-ids.yml"
# a copy of shared/reference/catalogue-ids.yml, so the check runs wherever the project is cloned
REFERENCE = Path(__file__).resolve().parent / "data" / "catalogue-ids.yml"
# English labels the third edition made idiomatic (issue 24); ids and Dutch labels never change
EN_LABEL_REVISIONS = {
    "luisteren-samenvatten-doorvragen": ("Listen, summarise and ask further (LSD)",
                                         "Listen, summarise and ask follow-up questions"),
    "doorvertellen": ("Pass on what was told", "Share what was told in confidence"),
}


def test_twelve_dos_and_nine_donts():
    catalogue = load_catalogue()
    assert len(catalogue.dos) == 12
    assert len(catalogue.donts) == 9
    assert len(catalogue.themes) == 6


def test_the_reference_copy_is_the_shared_one():
    if not SHARED_REFERENCE.exists():
        pytest.skip("shared/ is not beside the project; tests/data/catalogue-ids.yml is used")
    assert REFERENCE.read_text("utf-8") == SHARED_REFERENCE.read_text("utf-8")


def test_ids_and_labels_match_the_shared_reference():
    reference = yaml.safe_load(REFERENCE.read_text("utf-8"))
    catalogue = load_catalogue()
    for kind, section in (("do", "dos"), ("dont", "donts")):
        mine = [(i.id, i.label["nl"], i.label["en"]) for i in catalogue.items if i.kind == kind]
        theirs = [(r["id"], r["nl"], EN_LABEL_REVISIONS.get(r["id"], (None, r["en"]))[1]) for r in reference[section]]
        assert mine == theirs
    for item_id, (old, _new) in EN_LABEL_REVISIONS.items():  # the revisions replace what the reference says
        assert next(r["en"] for r in reference["dos"] + reference["donts"] if r["id"] == item_id) == old
    assert [(t.id, t.label["nl"], t.label["en"]) for t in catalogue.themes] == [
        (r["id"], r["nl"], r["en"]) for r in reference["themes"]
    ]


def test_every_item_is_explained_in_both_languages():
    for item in load_catalogue().items:
        for language in ("nl", "en"):
            text = item.explanation_in(language)
            sentences = [s for s in text.replace("?", ".").split(". ") if s.strip()]
            assert 2 <= len(sentences) <= 5, (item.id, language, text)


def test_catalogue_cli_json(cli):
    result = cli("catalogue", "--format", "json")
    assert result.exit_code == 0
    import json

    data = json.loads(result.output)
    assert {i["id"] for i in data["items"]} >= {"beloftes-doen", "altijd-registreren"}
    assert data["items"][0]["explanation"]["en"]


def test_the_legal_status_date_and_the_one_standard_wording_of_the_limits():
    catalogue = load_catalogue()
    assert catalogue.legal_status == "2026-12-01"
    assert catalogue.legal_status_note("nl") == "Stand van de wetgeving: 1 december 2026"
    assert catalogue.legal_status_note("en") == "Legal status as of 1 December 2026"
    item = catalogue.item("geheimhouding-benadrukken")
    for language in ("nl", "en"):
        wording = catalogue.confidentiality_limits_in(language)
        assert wording and wording in item.explanation_in(language)  # the explanation quotes it


def test_the_legal_frame_of_confidentiality_names_its_statutory_limits():
    catalogue = load_catalogue()
    told = catalogue.item("doorvertellen").explanation_in("nl")
    for source in ("artikel 160 Sv", "artikel 162 Sv", "artikel 4a WPO", "artikel 3a WVO", "artikel 5.2.6 Wmo 2015",
                   "Centrum Seksueel Geweld", "112"):
        assert source in told, source
    stress = catalogue.item("geheimhouding-benadrukken").explanation_in("nl")
    assert "verschoningsrecht" in stress and "beslist de rechter" in stress
    record = catalogue.item("altijd-registreren").explanation_in("nl")
    assert "artikel 9 AVG" in record and "kort na het afsluiten" not in record
