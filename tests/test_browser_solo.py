"""Solo review in a real Chromium against ``casebook serve``: a case opened by link, answered,
checked; then several cases and the progress chart; two people on one server, each with only
their own progress."""

import json
import re
import sqlite3
from pathlib import Path

import pytest

from casebook.cases import load_cases

pytestmark = [pytest.mark.browser, pytest.mark.server]

MISSED = ("luisteren-samenvatten-doorvragen", "zelf-keuze-laten-maken", "actie-ondernemen-zonder-toestemming",
          "altijd-registreren")


def tall(page, height=4200):
    """Everything rendered at once, so an element screenshot is complete."""
    page.set_viewport_size({"width": 1400, "height": height})


def test_a_case_opened_by_link_is_answered_and_the_feedback_gives_the_missed_reasons(voila_server, page, artifacts):
    case = load_cases().get("vp-003")
    page.goto(voila_server.app_url("solo", "case=vp-003"))
    page.wait_for_selector(".cb-case-title:has-text('Morgen neem ik iets mee')", timeout=60_000)
    assert page.locator(".cb-key-item").count() == 0 and page.locator(".cb-questions").count() == 0
    assert page.locator(".cb-feedback:visible").count() == 0

    for item in ("soms-doortastend-optreden", "geheimhouding-benadrukken", "beloftes-doen"):
        page.click(f".cb-item-{item}")
    page.click(".cb-tag-1-geheimhouding-benadrukken")  # as the case file
    page.click(".cb-tag-5-soms-doortastend-optreden")  # the case also sees zelf-keuze-laten-maken here
    page.click(".cb-tag-9-beloftes-doen")  # the case sees other items here
    page.click(".cb-check")

    page.wait_for_selector(".cb-feedback .cb-score")
    score = page.locator(".cb-score")
    assert "2 van de 6 sleutelitems gevonden" in score.inner_text() and "4 gemist" in score.inner_text()
    for item in MISSED:
        card = page.locator(f".cb-fb-missed.cb-fb-{item}")
        text = re.sub(r"\s+", " ", card.inner_text())
        assert page.locator(f".cb-fb-{item} .cb-chip").first.inner_text().split(" ", 1)[1] in text
        assert re.sub(r"\s+", " ", case.reason(item)) in text
    assert page.locator(".cb-fb-added.cb-fb-beloftes-doen").count() == 1
    assert page.locator(".cb-fb-turn-differs").count() == 4  # turns 2 to 5 read differently
    feedback = page.locator(".cb-feedback").inner_text()
    assert case.questions[0] in feedback and "Wat er gebeurde" in feedback
    assert page.locator(".cb-check:visible").count() == 0
    assert page.locator(".cb-error:visible").count() == 0

    tall(page)
    page.locator(".cb-feedback").screenshot(path=str(artifacts / "solo-feedback.png"))


def test_progress_after_several_cases_shows_strong_and_weak_items(voila_server, page, artifacts):
    """A reviewer who tends to miss registering and letting the reporter choose."""
    book = load_cases()
    tends_to_miss = {"altijd-registreren", "zelf-keuze-laten-maken"}
    page.goto(voila_server.app_url("solo", "case=vp-001"))
    page.wait_for_selector(".cb-case-title", timeout=60_000)
    for round_number in range(5):
        case_id = page.locator(".cb-case-card.cb-selected").get_attribute("class")
        case_id = re.search(r"cb-card-(vp-\d+)", case_id).group(1)
        case = book.get(case_id)
        ticked = [item for item in case.key_items if item not in tends_to_miss] or ["oordelen"]
        if round_number % 2:
            ticked.append("eigen-mening-ventileren" if "eigen-mening-ventileren" not in case.key_items else "oordelen")
        for item in ticked:
            page.click(f".cb-item-{item}")
        page.click(".cb-check")
        page.wait_for_selector(".cb-feedback .cb-score")
        if round_number < 4:
            page.click(".cb-next-case")
            page.wait_for_selector(".cb-check:visible")

    page.click(".cb-solo-sections button:has-text('Mijn voortgang')")
    page.wait_for_selector(".cb-progress-chart-box")
    answers = int(page.locator(".cb-progress-figures").get_attribute("data-answers"))
    assert answers >= 5
    for item in tends_to_miss:
        row = page.locator(f".cb-progress-{item}")
        if int(row.get_attribute("data-missed")) > 0:
            assert "cb-weak" in row.get_attribute("class") and "zwak punt" in row.inner_text().lower()
    assert page.locator(".cb-progress-row.cb-weak").count() >= 1
    assert page.locator(".cb-progress-row.cb-strong").count() >= 3
    assert page.locator(".cb-weak-panel .cb-next-title").inner_text().strip()
    assert page.locator(".cb-history-row").count() == min(answers, 12)

    page.click(".cb-export")
    link = page.wait_for_selector(".cb-download")
    assert link.get_attribute("href").startswith("data:application/json;base64,")
    assert page.locator(".cb-error:visible").count() == 0

    tall(page, 2000)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".cb-solo").screenshot(path=str(artifacts / "solo-progress.png"))


# ------------------------------------------------------------------ two people, one server

def answer_one_case(page, url, case_id, item):
    page.goto(url)
    page.wait_for_selector(f".cb-card-{case_id}.cb-selected", timeout=60_000)
    page.click(f".cb-item-{item}")
    page.click(".cb-check")
    page.wait_for_selector(".cb-feedback .cb-score")


def my_progress(page) -> tuple[int, list[str]]:
    """What *Mijn voortgang* shows: the number of checked answers and the cases answered."""
    page.click(".cb-solo-sections button:has-text('Mijn voortgang')")
    page.wait_for_selector(".cb-progress-figures, .cb-progress-empty")
    if page.locator(".cb-progress-empty").count():
        return 0, []
    answers = int(page.locator(".cb-progress-figures").get_attribute("data-answers"))
    cases = [row.get_attribute("data-case") for row in page.locator(".cb-history-row").all()]
    return answers, cases


def stored_profiles(server_data: Path) -> set[str]:
    with sqlite3.connect(server_data / "casebook.db") as db:
        return {row[0] for row in db.execute("SELECT id FROM solo_profiles")}


def test_two_people_each_see_export_and_delete_only_their_own_progress(voila_server, browser, tmp_path):
    """Two browser contexts are two people on the same server: each browser its own profile."""
    server_data = Path(voila_server.env["CASEBOOK_DATA"])
    earlier_profiles = stored_profiles(server_data)
    people = [browser.new_context(viewport={"width": 1400, "height": 1200}) for _ in range(2)]
    try:
        anna, bram = (person.new_page() for person in people)
        for page in (anna, bram):
            page.set_default_timeout(45_000)
        answer_one_case(anna, voila_server.app_url("solo", "case=vp-003"), "vp-003", "soms-doortastend-optreden")
        answer_one_case(bram, voila_server.app_url("solo", "case=vp-001"), "vp-001", "beloftes-doen")
        assert my_progress(anna) == (1, ["vp-003"])
        assert my_progress(bram) == (1, ["vp-001"])

        # two new profiles in the store, neither holding a browser's cookie
        profiles = stored_profiles(server_data) - earlier_profiles
        cookies = [c["value"] for person in people for c in person.cookies() if c["name"] == "casebook_browser"]
        assert len(profiles) == 2 and len(cookies) == 2
        assert not [c for c in cookies if any(c in p or p in c for p in profiles)]

        # a second tab of the same browser is the same person
        second_tab = people[0].new_page()
        second_tab.goto(voila_server.app_url("solo"))
        second_tab.wait_for_selector(".cb-solo-sections", timeout=60_000)
        assert my_progress(second_tab) == (1, ["vp-003"])
        second_tab.close()

        # the export downloads to the browser and holds only one's own answers
        anna.click(".cb-export")
        with anna.expect_download() as download:
            anna.click(".cb-download")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        exported = json.loads(saved.read_text("utf-8"))
        assert [a["case_id"] for a in exported["answers"]] == ["vp-003"]
        assert "/" not in anna.locator(".cb-export-result").inner_text()
        assert not list(server_data.glob("solo-voortgang-*")) and not (server_data / "profile.json").exists()

        # deleting removes one's own progress and leaves the other's
        anna.click(".cb-delete-profile")
        anna.click(".cb-delete-confirm")
        anna.wait_for_selector(".cb-progress-empty")
        for page in (anna, bram):
            page.reload()
            page.wait_for_selector(".cb-solo-sections", timeout=60_000)
        assert my_progress(anna) == (0, [])
        assert my_progress(bram) == (1, ["vp-001"])
        assert anna.locator(".cb-error:visible").count() == 0 and bram.locator(".cb-error:visible").count() == 0
    finally:
        for person in people:
            person.close()
