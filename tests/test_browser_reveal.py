"""After the vote, in real Chromium against ``casebook serve`` (issue 12): four participants (one
browser context each: one browser is one participant) vote with a designed split; the reveal
leads with *Bespreek eerst*; after round 2 the shift arrows appear; at the end the chair types
the intervision record and downloads the report, which holds what was typed."""

import json

import pytest

from tests.test_browser_session import new_session, open_app, phase_is, voters_are

pytestmark = [pytest.mark.browser, pytest.mark.server]

# vp-003's key holds soms-doortastend-optreden and zelf-keuze-laten-maken, not beloftes-doen
ROUND_1 = [  # soms-doortastend-optreden 4/4 (eensgezind); zelf-keuze-laten-maken and beloftes-doen 2/4 (verdeeld)
    ["soms-doortastend-optreden", "zelf-keuze-laten-maken", "beloftes-doen"],
    ["soms-doortastend-optreden", "zelf-keuze-laten-maken"],
    ["soms-doortastend-optreden", "beloftes-doen"],
    ["soms-doortastend-optreden"],
]
ROUND_2 = [["soms-doortastend-optreden", "zelf-keuze-laten-maken"]] * 4  # both splits move toward the key
RECORD = {"group": "Intervisiegroep Regio Oost", "chair": "Anouk Voorzitter", "facilitator": "Bram Begeleider",
          "inbrenger-1": "Chris Inbrenger"}
ATTENDANCE = "Anouk Voorzitter; LVV-1234\nDewi Deelnemer; LVV-5678"


def vote(people, ballots):
    for page, items in zip(people, ballots):
        page.wait_for_selector(".cb-submit:visible")
        for item in items:
            page.click(f".cb-item-{item}")
        page.click(".cb-submit")
    for page in people:
        page.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")


def discussed_first(page) -> list[str]:
    return page.eval_on_selector_all(
        ".cb-discuss-first .cb-discuss-item",
        "items => items.map(i => [...i.classList].find(c => c.startsWith('cb-discuss-') && c !== 'cb-discuss-item'))")


def picture_of_the_form(page, path):
    """The status line, the controls and the whole record form: Voila's content scrolls inside
    its own box, so the window grows to the page's height for the picture."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2400})
    page.evaluate("() => { const cells = document.getElementById('rendered_cells'); if (cells) cells.scrollTop = 0; }")
    form = page.locator(".cb-record-form").bounding_box()
    top = max(0, page.locator(".cb-header-bar").first.bounding_box()["y"] - 10)
    page.screenshot(path=str(path), clip={"x": 0, "y": top, "width": size["width"],
                                          "height": form["y"] + form["height"] + 14 - top})
    page.set_viewport_size(size)


def test_the_reveal_leads_with_the_splits_then_the_shift_then_the_report(voila_server, browser, artifacts):
    session = new_session(voila_server, "vp-003", title="Intervisie Regio Oost")
    facilitator = open_app(browser, session["facilitator_url"], 1280, 800)
    projector = open_app(browser, session["projector_url"], 1920, 1080)
    projector.click(".cb-start")
    people = []
    for index in range(4):
        page = open_app(browser, session["participant_url"], 430, 900)
        page.fill(".cb-pseudonym input", f"Uil {index}")
        page.click(".cb-join")
        page.wait_for_selector(".cb-phase")
        people.append(page)
    facilitator.click(".cb-start")
    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    for page in people:
        phase_is(page, "Stemmen, ronde 1")

    vote(people, ROUND_1)
    voters_are(facilitator, 4)
    facilitator.click(".cb-reveal")
    for page in (facilitator, projector, people[0]):
        phase_is(page, "Onthulling")
        page.wait_for_selector(".cb-discuss-first:has-text('Bespreek eerst')")
        # the two split items, with their k of n, and not the one everybody ticked
        assert sorted(discussed_first(page)) == ["cb-discuss-beloftes-doen", "cb-discuss-zelf-keuze-laten-maken"]
        assert page.locator(".cb-discuss-zelf-keuze-laten-maken .cb-discuss-count").inner_text() == "2/4"
        assert "verdeeld" in page.locator(".cb-agreement").inner_text().lower()
        # Bespreek eerst comes before the bars
        assert page.locator(".cb-discuss-first").bounding_box()["y"] < page.locator(".cb-results").bounding_box()["y"]
    assert facilitator.locator(".cb-ac1").count() == 1  # AC1: the facilitator only
    assert projector.locator(".cb-ac1").count() == 0 and people[0].locator(".cb-ac1").count() == 0
    for page in (facilitator, projector, *people[1:]):
        assert "Uil 0" not in page.locator("body").inner_text()  # nobody sees who voted what
    projector.screenshot(path=str(artifacts / "reveal-discuss-first-projector.png"))
    facilitator.locator(".cb-header-bar").first.scroll_into_view_if_needed()
    facilitator.screenshot(path=str(artifacts / "reveal-discuss-first-facilitator.png"))

    facilitator.click(".cb-next-phase")  # bespreking
    facilitator.click(".cb-next-phase")  # stemmen-2
    for page in people:
        phase_is(page, "ronde 2")
    vote(people, ROUND_2)
    voters_are(facilitator, 4)
    facilitator.click(".cb-reveal")  # sleutel: round 2 and the key for everyone
    for page in (facilitator, projector):
        phase_is(page, "Sleutel")
        moved = page.wait_for_selector(".cb-shift-zelf-keuze-laten-maken")
        assert "2/4 → 4/4" in moved.inner_text() and "naar de sleutel toe" in moved.inner_text()
        assert "2/4 → 0/4" in page.locator(".cb-shift-beloftes-doen").inner_text()
    projector.screenshot(path=str(artifacts / "reveal-shift-projector.png"))

    facilitator.click(".cb-next-phase")  # evaluatie: the last phase
    facilitator.wait_for_selector(".cb-record-form:visible")
    for field, value in RECORD.items():
        facilitator.fill(f".cb-record-{field} input", value)
    facilitator.locator(".cb-record-setting select").select_option("online")
    facilitator.fill(".cb-record-attendance textarea", ATTENDANCE)
    facilitator.click(".cb-record-save")
    facilitator.wait_for_selector(".cb-record-status:has-text('2 namen')")
    facilitator.wait_for_selector(".cb-download-report a.cb-download")
    picture_of_the_form(facilitator, artifacts / "facilitator-record-form.png")

    downloaded = {}
    for fmt in ("html", "json", "csv"):
        with facilitator.expect_download() as download:
            facilitator.click(f".cb-download-report a[download$='.{fmt}']")
        assert download.value.suggested_filename.startswith(f"intervisie-{session['code']}-")
        downloaded[fmt] = open(download.value.path(), encoding="utf-8").read()
    for typed in (*RECORD.values(), "LVV-1234", "Dewi Deelnemer", "online"):
        assert typed in downloaded["html"]
    record = json.loads(downloaded["json"])["record"]
    assert record["chair"] == RECORD["chair"] and record["number_present"] == 2
    assert record["cases"][0]["inbrenger"] == RECORD["inbrenger-1"]
    assert "zelf-keuze-laten-maken,do,1,goed" in downloaded["csv"]

    # the printed report, as a picture for the README: A4 at 96 dpi
    (artifacts / "report.html").write_text(downloaded["html"], "utf-8")
    report = browser.new_context(viewport={"width": 794, "height": 1123}).new_page()
    report.goto((artifacts / "report.html").as_uri())
    report.screenshot(path=str(artifacts / "report-page.png"), full_page=True)
    report.context.close()
    for page in (facilitator, projector, *people):
        page.context.close()
