"""The browse app driven without a browser: filters, opening a case, language, key."""

import shutil
from pathlib import Path

import pytest

from casebook.cases import load_cases
from widgets.browse import BrowseModel, BrowseView, browse_app

DATA = Path(__file__).parent / "data"


@pytest.fixture
def view():
    return browse_app(load_cases())


def card_visible(view, case_id):
    return view._cards[case_id].layout.display != "none"


def test_every_case_has_a_card_and_all_are_shown(view):
    assert len(view._cards) == len(view.model.casebook) >= 24
    assert all(card_visible(view, case_id) for case_id in view._cards)


def test_filter_by_theme_shows_only_that_theme(view):
    view._filters.theme.value = "integriteit"
    shown = [c for c in view._cards if card_visible(view, c)]
    assert shown and len(shown) < len(view._cards)
    assert all("integriteit" in view.model.casebook.get(c).themes for c in shown)
    assert f"{len(shown)} van {len(view._cards)}" in view._filters.count.value


def test_filters_combine_and_say_when_nothing_matches(view):
    view._filters.case_language.value = "en"
    english = [c for c in view._cards if card_visible(view, c)]
    assert english and all(view.model.casebook.get(c).language == "en" for c in english)
    view._filters.search.value = "zzzz-no-such-word"
    assert not any(card_visible(view, c) for c in view._cards)
    assert "Geen casussen" in view._filters.count.value


def test_filter_by_item_finds_cases_whose_key_has_it(view):
    view._filters.item.value = "lid-van-klachtencommissie-zijn"
    shown = [c for c in view._cards if card_visible(view, c)]
    assert len(shown) >= 2
    assert all(view.model.casebook.get(c).mentions_item("lid-van-klachtencommissie-zijn") for c in shown)


def test_opening_a_case_shows_vignette_and_dialogue_but_not_the_key(view):
    case = next(c for c in view.model.casebook if c.dialogue)
    view._cards[case.id].children[1].click()
    assert view.model.selected == case.id
    assert case.title in view._case_view._header.value
    assert view._case_view._vignette.value
    assert "Gesprek" in view._case_view._dialogue.value
    assert view._case_view._key.value == ""
    view._show_key.value = True
    key_html = view._case_view._key.value
    assert "Sleutel van de trainer" in key_html
    assert all(view._catalogue.item(k.item).label["nl"] in key_html for k in case.key)
    assert "Uitleg" in key_html  # each key item carries its explanation


def test_english_on_request(view):
    case = next(iter(view.model.casebook))
    view._cards[case.id].children[1].click()
    view._header.switch.value = "en"
    assert view._filters.theme.description == "Theme"
    assert view._cards[case.id].children[1].description == "Open"
    assert "Bullying" in [label for label, _ in view._filters.theme.options]
    assert view._case_view.language == "en"


def test_language_from_the_page_query(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "lang=en")
    view = browse_app(load_cases([DATA / "cases"]))
    assert view.language == "en" and view._filters.item.description == "Do or don't"


def test_load_problems_are_shown_without_hiding_the_good_cases(tmp_path):
    shutil.copy(DATA / "cases" / "tst-goed.md", tmp_path)
    shutil.copy(DATA / "bad-cases" / "empty.md", tmp_path)
    view = BrowseView(BrowseModel(load_cases([tmp_path])))
    assert list(view._cards) == ["tst-goed"]
    assert "1 casusbestand(en)" in view._problems.value


def test_a_failing_callback_shows_a_plain_message_not_a_traceback(view, monkeypatch, caplog):
    def explode(case):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(view._case_view, "show_case", explode)
    first = next(iter(view._cards))
    view._cards[first].children[1].click()
    assert view._error.layout.display != "none"
    assert "Er ging iets mis" in view._error.value
    assert "database on fire" not in view._error.value and "Traceback" not in view._error.value
    assert "database on fire" in caplog.text


def key_entries_in_order(key_html: str) -> list[str]:
    import re

    return re.findall(r'class="cb-key-item[^"]*" data-item="([a-z-]+)"', key_html)


def test_the_key_marks_how_the_vp_did_with_the_central_items_first():
    view = browse_app(load_cases([DATA / "cases"]))
    view._cards["tst-tweede"].children[1].click()
    view._show_key.value = True
    key_html = view._case_view._key.value
    # doorvertellen is last in the file but the case is about it: shown first, marked "kern"
    assert key_entries_in_order(key_html) == ["doorvertellen", "altijd-registreren", "geheimhouding-benadrukken"]
    assert 'cb-how-fout cb-central" data-item="doorvertellen"' in key_html and "kern" in key_html
    assert key_html.count('class="cb-central"') == 1
    assert 'cb-how-goed" data-item="geheimhouding-benadrukken"' in key_html and "goed gedaan" in key_html
    assert key_html.count("hier ging het mis") == 2
    view._cards["tst-goed"].children[1].click()
    key_html = view._case_view._key.value
    assert "open: wat zou jij doen?" in key_html and "cb-how-open" in key_html
    assert "Juridisch kader" in key_html and "Arbowet art. 3 lid 2" in key_html  # the case's context
    view._header.switch.value = "en"
    key_html = view._case_view._key.value
    assert "open: what would you do?" in key_html and "this is where it went wrong" in key_html
    assert "core" in key_html and "Legal frame" in key_html


def test_a_first_edition_key_shows_as_before_without_marks():
    view = browse_app(load_cases([DATA / "first-edition"]))
    view._cards["tst-eerste-editie"].children[1].click()
    view._show_key.value = True
    key_html = view._case_view._key.value
    assert key_entries_in_order(key_html) == ["beloftes-doen", "zelf-keuze-laten-maken"]
    assert "De vertrouwenspersoon belooft dat het pesten stopt." in key_html
    assert "cb-how" not in key_html and "cb-central" not in key_html and "Juridisch kader" not in key_html
