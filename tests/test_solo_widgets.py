"""The solo review app driven without a browser: open, tick, tag, check, progress, export, delete."""

import base64
import json
import re

import pytest

from casebook import progress as P
from casebook.cases import load_cases
from casebook.config import data_dir
from casebook.store import Store
from widgets.solo import PROGRESS, SoloModel, SoloView, solo_app


@pytest.fixture(scope="module")
def book():
    return load_cases()


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'solo.db'}")
    yield store
    store.dispose()


@pytest.fixture
def view(book, store):
    return SoloView(SoloModel(book, store))


def shown(widget) -> bool:
    return widget.layout.display != "none"


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&quot;", '"')


def check(view, case_id, *items, tags=None):
    view.open_case(case_id)
    view.answer(*items)
    for index, tagged in (tags or {}).items():
        for item in tagged:
            view._tagger.tag(index, item).value = True
    view._check.click()
    assert view._error.value == ""


def test_a_link_opens_one_case_without_key_or_questions(book, store, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "case=vp-003")
    view = solo_app(book, store)
    assert repr(view) == f"SoloView({len(book)} cases, case='vp-003', language='nl')"
    assert "Morgen neem ik iets mee" in view._case_view._header.value
    assert "Gesprek" in view._case_view._dialogue.value
    assert view._case_view._questions.value == "" and view._case_view._key.value == ""
    assert shown(view._answer_panel) and not shown(view._feedback)
    assert "cb-selected" in view._cards["vp-003"]._dom_classes
    assert P.local_profile(create=False) is None  # just looking creates no profile


def test_an_unknown_case_in_the_link_is_told_plainly(book, store, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "case=vp-999")
    view = solo_app(book, store)
    assert shown(view._error) and "vp-999" in view._error.value
    assert view.model.selected == "" and not shown(view._answer_panel)


def test_checking_names_missed_items_with_the_keys_reasons(view, book):
    case = book.get("vp-003")
    check(view, "vp-003", "soms-doortastend-optreden", "geheimhouding-benadrukken", "beloftes-doen")
    feedback = view._feedback
    assert "cb-feedback" in feedback._dom_classes and shown(feedback)
    text = plain(feedback.value)
    assert "2 van de 6 sleutelitems gevonden" in text and "4 gemist" in text
    assert "1 extra gekozen die niet in de sleutel staan" in text
    missed_section = text.split("Gemist (4)")[1].split("Gevonden (2)")[0]
    for item in ("zelf-keuze-laten-maken", "altijd-registreren", "luisteren-samenvatten-doorvragen",
                 "actie-ondernemen-zonder-toestemming"):
        assert view._catalogue.item(item).label["nl"] in missed_section
        assert plain(case.reason(item)) in missed_section
        assert f"cb-fb-missed cb-fb-{item}" in feedback.value
    assert plain(case.reason("geheimhouding-benadrukken")) in text.split("Gevonden (2)")[1]
    assert 'cb-fb-added cb-fb-beloftes-doen' in feedback.value
    assert "Terecht niet gekozen (14)" in text
    # then the questions and what happened
    assert case.questions[0] in text and case.what_happened[:40] in text
    assert text.index("Vragen voor de bespreking") > text.index("Gevonden (2)")
    # the answer is final: no second check of the same answer; the dialogue now shows the case's tags
    assert view._picker.disabled and not shown(view._check)
    assert view._case_view.show_turn_items and "cb-turn-items" in view._case_view._dialogue.value
    view._check.click()
    assert len(view.model.progress.answers) == 1


def feedback_card(html: str, item: str) -> str:
    """The text of one item's card in the feedback."""
    start = html.index(f"cb-fb-{item}\"") if f"cb-fb-{item}\"" in html else html.index(f"cb-fb-{item} ")
    return plain(html[start:html.index("</details></div>", start)])


def test_feedback_says_how_the_vp_did_each_key_item_and_scores_what_is_at_stake(store):
    from pathlib import Path

    data = Path(__file__).parent / "data"
    view = SoloView(SoloModel(load_cases([data / "cases", data / "first-edition"]), store))
    check(view, "tst-goed", "beloftes-doen")
    html = view._feedback.value
    text = plain(html)
    assert "1 van de 2 sleutelitems gevonden" in text and "1 gemist" in text  # scoring: at stake, as before
    found = feedback_card(html, "beloftes-doen")
    assert "Hier ging het mis" in found and "kern" in found
    assert "cb-fb-found cb-fb-beloftes-doen cb-how-fout cb-central" in html
    missed = feedback_card(html, "zelf-keuze-laten-maken")
    assert "Open: wat zou jij doen?" in missed and "kern" not in missed
    check(view, "tst-tweede", "geheimhouding-benadrukken")
    assert "De VP deed dit goed" in feedback_card(view._feedback.value, "geheimhouding-benadrukken")
    check(view, "tst-eerste-editie", "beloftes-doen")  # a first-edition case: feedback as before
    html = view._feedback.value
    assert "cb-fb-how" not in html and "cb-central" not in html
    assert "De vertrouwenspersoon belooft dat het pesten stopt." in feedback_card(html, "beloftes-doen")
    view.language = "en"
    check(view, "tst-goed", "beloftes-doen")
    assert "This is where it went wrong" in plain(view._feedback.value)
    assert "Open: what would you do?" in plain(view._feedback.value)


def test_nothing_ticked_is_not_checked(view):
    view.open_case("vp-001")
    view._check.click()
    assert "Kies eerst" in view._hint.value
    assert not shown(view._feedback) and P.local_profile(create=False) is None


def test_turn_tags_offer_the_ticked_items_and_feedback_shows_turns_read_differently(view):
    view.open_case("vp-003")
    assert "Kies eerst" in view._tagger._intro.value  # nothing ticked, nothing to tag yet
    view.answer("geheimhouding-benadrukken", "soms-doortastend-optreden")
    assert view._tagger.choices == ["geheimhouding-benadrukken", "soms-doortastend-optreden"]
    view._tagger.tag(1, "geheimhouding-benadrukken").value = True
    view._tagger.tag(3, "soms-doortastend-optreden").value = True
    view._tagger.tag(9, "geheimhouding-benadrukken").value = True
    view._picker.toggle("geheimhouding-benadrukken").value = False  # unticked: its tags go too
    assert view._tagger.value == {3: ["soms-doortastend-optreden"]}
    view._picker.toggle("geheimhouding-benadrukken").value = True
    view._tagger.tag(1, "geheimhouding-benadrukken").value = True
    assert "cb-tag-1-geheimhouding-benadrukken" in view._tagger.tag(1, "geheimhouding-benadrukken")._dom_classes
    view._check.click()
    html = view._feedback.value
    text = plain(html)
    assert "1 van de 5 beurten las je zoals de casus" in text
    turn_3 = re.search(r'data-turn="3">(.*?)</div></div>', html, re.S).group(1)
    assert "Luisteren, samenvatten en doorvragen" in turn_3 and "Soms doortastend optreden" in turn_3
    assert 'cb-fb-turn-same" data-turn="1"' in html
    assert view._tagger.tag(1, "geheimhouding-benadrukken").disabled


def test_progress_after_several_cases_shows_weak_items_and_a_next_case(view, book):
    assert "Nog geen antwoorden" in view._summary.value
    check(view, "vp-003", "soms-doortastend-optreden")
    check(view, "vp-001", "beloftes-doen")
    check(view, "vp-020", *book.get("vp-020").key_items)
    view.show_section(PROGRESS)
    assert shown(view._progress_panel) and not shown(view._practise_panel)
    progress = view.model.progress
    assert 'data-answers="3"' in view._summary.value
    chart = view._chart.value
    for item, stats in progress.stats.items():
        row = re.search(rf'cb-progress-row cb-progress-{item}[^"]*" data-found="(\d+)" data-missed="(\d+)"', chart)
        assert row and (int(row.group(1)), int(row.group(2))) == (stats.found, stats.missed)
    weak = progress.weak_items
    assert weak and all(f"cb-progress-{item} cb-weak" in chart for item in weak)
    assert chart.index("Do's") < chart.index("Don'ts")
    suggestion = view.model.next_case()
    assert suggestion.case.id not in ("vp-003", "vp-001", "vp-020")
    assert set(suggestion.practises) <= set(weak) and suggestion.practises
    assert suggestion.case.title in view._weak.value
    assert "Morgen neem ik iets mee" in view._history.value
    view._practise_weak.click()
    assert view.model.selected == suggestion.case.id and shown(view._practise_panel)
    assert "vorige keer" in view._cards["vp-003"].children[0].value


def test_filters_by_theme_language_item_and_my_weak_items(view, book):
    view._filters.theme.value = "integriteit"
    shown_ids = [c for c in view._cards if shown(view._cards[c])]
    assert shown_ids and all("integriteit" in book.get(c).themes for c in shown_ids)
    view._filters.theme.value = ""
    view._filters.case_language.value = "en"
    assert all(book.get(c).language == "en" for c in view._cards if shown(view._cards[c]))
    view._filters.case_language.value = ""
    view._filters.weak_only.value = True
    assert not any(shown(card) for card in view._cards.values())
    assert "Nog geen zwakke punten" in view._filters.count.value
    view._filters.weak_only.value = False
    check(view, "vp-003", "oordelen")
    view._filters.weak_only.value = True
    weak = set(view.model.progress.weak_items)
    listed = [c for c in view._cards if shown(view._cards[c])]
    assert listed and all(weak & set(book.get(c).key_items) for c in listed)
    view._filters.item.value = "altijd-registreren"
    assert all(book.get(c).mentions_item("altijd-registreren") for c in view._cards if shown(view._cards[c]))


def downloaded(view) -> tuple[str, dict]:
    """The export link's file name and content, as the browser would save them."""
    html = view._export_result.value
    encoded = re.search(r'href="data:application/json;base64,([^"]+)"', html).group(1)
    return re.search(r'download="([^"]+)"', html).group(1), json.loads(base64.b64decode(encoded))


def test_export_is_a_download_only_nothing_kept_or_shown_of_the_server(view):
    assert view._export.disabled  # nothing to export before the first answer
    check(view, "vp-003", "soms-doortastend-optreden")
    view.show_section(PROGRESS)
    view._export.click()
    name, data = downloaded(view)
    assert name.startswith("solo-voortgang-") and name.endswith(".json")
    assert data["answers"][0]["case_id"] == "vp-003" and data["profile"] == P.local_profile(create=False)
    assert not (data_dir() / name).exists() and not list(data_dir().glob("solo-voortgang-*"))
    assert str(data_dir()) not in view._export_result.value and "/" not in plain(view._export_result.value)


def test_delete_asks_first_then_removes_everything(view, store):
    check(view, "vp-003", "soms-doortastend-optreden")
    check(view, "vp-001", "beloftes-doen")
    profile = P.local_profile(create=False)
    view.show_section(PROGRESS)
    view._delete.click()
    assert shown(view._confirm_box) and "2 antwoorden" in view._delete_question.value
    view._delete_cancel.click()
    assert not shown(view._confirm_box) and len(P.answers(store, profile)) == 2
    view._delete.click()
    view._delete_confirm.click()
    assert P.answers(store, profile) == [] and P.local_profile(create=False) is None
    assert "verwijderd" in view._export_result.value
    assert "Nog geen antwoorden" in view._summary.value and view._chart.value == ""
    assert "vorige keer" not in view._cards["vp-003"].children[0].value


def test_two_pages_share_progress_and_a_deleted_profile_is_never_written_again(book, store):
    first, second = SoloView(SoloModel(book, store)), SoloView(SoloModel(book, store))
    check(first, "vp-003", "soms-doortastend-optreden")
    second.model.refresh_progress()
    assert [a.case_id for a in second.model.progress.answers] == ["vp-003"]
    old = P.local_profile(create=False)
    first.model.delete()
    check(second, "vp-001", "beloftes-doen")  # the other tab answers after the delete
    new = P.local_profile(create=False)
    assert new and new != old
    assert P.answers(store, old) == [] and [a.case_id for a in P.answers(store, new)] == ["vp-001"]


def test_english_on_request(book, store, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "case=vp-009&lang=en")
    view = solo_app(book, store)
    assert view.language == "en" and view._check.description == "Check"
    view.answer(view.model.casebook.get(view.model.selected).key_items[0])
    view._check.click()
    assert "key items found" in view._feedback.value and "Questions for discussion" in view._feedback.value
    view._header.switch.value = "nl"
    assert "sleutelitems gevonden" in view._feedback.value


def test_a_failing_check_shows_a_plain_message_not_a_traceback(view, monkeypatch, caplog):
    def explode(*args):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(view.model, "check", explode)
    view.open_case("vp-003")
    view.answer("beloftes-doen")
    view._check.click()
    assert shown(view._error) and "Er ging iets mis" in view._error.value
    assert "database on fire" not in view._error.value and "database on fire" in caplog.text
    assert not shown(view._feedback)


# ------------------------------------------------------------------ on a server: one profile per browser

BROWSER_1, BROWSER_2 = "browser-one-" + "1" * 24, "browser-two-" + "2" * 24


def browser_view(book, store, browser):
    return SoloView(SoloModel(book, store, browser=browser))


def test_each_browser_sees_exports_and_deletes_only_its_own_progress(book, store):
    mine, theirs = browser_view(book, store, BROWSER_1), browser_view(book, store, BROWSER_2)
    assert "cookie" in mine._profile_note.value and "deze browser" in mine._profile_note.value
    check(mine, "vp-003", "soms-doortastend-optreden")
    check(theirs, "vp-001", "beloftes-doen")
    check(theirs, "vp-020", "oordelen")
    for view in (mine, theirs):
        view.model.refresh_progress()  # as a page does when it shows progress
    assert [a.case_id for a in mine.model.progress.answers] == ["vp-003"]
    assert [a.case_id for a in theirs.model.progress.answers] == ["vp-001", "vp-020"]
    mine.show_section(PROGRESS)
    assert 'data-answers="1"' in mine._summary.value and 'data-case="vp-001"' not in mine._history.value

    mine._export.click()
    name, data = downloaded(mine)
    assert [a["case_id"] for a in data["answers"]] == ["vp-003"]
    assert data["profile"] == P.browser_profile(BROWSER_1) and BROWSER_1 not in json.dumps(data)
    assert not list(data_dir().glob("*.json"))  # no export and no profile.json on the server
    assert str(data_dir()) not in mine._export_result.value

    mine._delete.click()
    assert "1 antwoorden" in mine._delete_question.value
    mine._delete_confirm.click()
    assert mine.model.progress.answers == () and "Nog geen antwoorden" in mine._summary.value
    theirs.model.refresh_progress()
    assert [a.case_id for a in theirs.model.progress.answers] == ["vp-001", "vp-020"]
    assert len(P.answers(store, P.browser_profile(BROWSER_2))) == 2


def test_tabs_of_one_browser_share_its_profile_and_a_new_page_finds_it(book, store):
    first = browser_view(book, store, BROWSER_1)
    check(first, "vp-003", "soms-doortastend-optreden")
    again = browser_view(book, store, BROWSER_1)  # a reload or a second tab
    assert [a.case_id for a in again.model.progress.answers] == ["vp-003"]
    check(again, "vp-001", "beloftes-doen")
    first.show_section(PROGRESS)  # the first tab, looking at its progress, sees the other's answer
    assert 'data-answers="2"' in first._summary.value
    assert browser_view(book, store, BROWSER_2).model.progress.answers == ()
    local = SoloView(SoloModel(book, store))  # one's own machine: the local profile, not a browser's
    assert local.model.progress.answers == () and "deze computer" in local._profile_note.value


def test_the_server_decides_the_profile_not_the_page(book, store, monkeypatch):
    """The profile comes from the browser id the server set; nothing in the page's widget state
    names it, so a page cannot ask for another profile."""
    monkeypatch.setattr("widgets.solo.browser_id", lambda: BROWSER_2)
    monkeypatch.setenv("QUERY_STRING", f"case=vp-003&profile={P.browser_profile(BROWSER_1)}&browser={BROWSER_1}")
    other = browser_view(book, store, BROWSER_1)
    check(other, "vp-001", "beloftes-doen")
    view = solo_app(book, store)
    assert view.model.profile() == P.browser_profile(BROWSER_2)
    assert view.model.progress.answers == ()
    check(view, "vp-003", "soms-doortastend-optreden")
    assert [a.case_id for a in P.answers(store, P.browser_profile(BROWSER_1))] == ["vp-001"]
    states = json.dumps([w.get_state() for w in _widgets_of(view)], default=str)
    assert P.browser_profile(BROWSER_2) not in states and BROWSER_2 not in states


def _widgets_of(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _widgets_of(child)
