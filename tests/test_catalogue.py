from pathlib import Path

import pytest
import yaml

from casebook.catalogue import load_catalogue

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "catalogue-ids.yml"
# a copy of shared/reference/catalogue-ids.yml, so the check runs wherever the project is cloned
REFERENCE = Path(__file__).resolve().parent / "data" / "catalogue-ids.yml"


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
        theirs = [(r["id"], r["nl"], r["en"]) for r in reference[section]]
        assert mine == theirs
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
