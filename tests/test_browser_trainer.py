"""The trainer app in real Chromium against ``casebook serve``: closed without the trainer
token, and a session prepared in it from nothing, run, and followed up under Mijn sessies."""

from __future__ import annotations

import csv
import io

import pytest

from tests.servers import VoilaServer
from tests.test_accessibility import screenshot, settle
from tests.test_browser_network import join, path_of, raw_get, vote

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def server(tmp_path_factory, test_cache):
    server = VoilaServer(tmp_path_factory.mktemp("trainer"), env={"CASEBOOK_CACHE": str(test_cache)}).start()
    yield server
    server.stop()


def open_in_own_browser(browser, url: str, ready: str, width: int = 1500, height: int = 1000):
    """A page in a browser context of its own (its own cookies: nobody else's token)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector(ready, timeout=120_000)
    return page


def test_nothing_of_the_trainer_app_without_the_token(server, browser):
    path = path_of(server.app_url("trainer"))
    host = {"Host": f"localhost:{server.port}"}
    for headers, query in (
        (host, ""),                                                   # no token
        (host, "?token=wrong-token"),                                 # a wrong one
        ({**host, "X-Casebook-Trainer": "1"}, ""),                    # a forged header
        ({"Host": "", "X-Casebook-Trainer": "1"}, ""),                # and an empty Host besides
        ({**host, "Cookie": "casebook_trainer=1|forged"}, ""),        # a forged cookie
    ):
        status, body = raw_get(server, path + query, headers)
        assert status == 403 and "Alleen voor trainers" in body, (headers, query)
        assert "kernelId" not in body and "cb-trainer" not in body  # refused before any kernel started
    # the start page shows the trainer app only to a trainer
    page = browser.new_context().new_page()
    page.goto(server.url + "/")
    assert page.locator("a[href*='trainer.ipynb']").count() == 0
    page.goto(f"{server.url}/?token={server.token}")
    page.click("a.cb-trainer-app")
    page.wait_for_selector(".cb-trainer", timeout=120_000)
    page.context.close()


def test_prepare_run_and_follow_up_a_session(server, browser, artifacts):
    trainer = open_in_own_browser(browser, server.trainer_url("trainer"), ".cb-trainer .cb-case-card")
    assert "token=" not in trainer.url  # taken out of the address bar
    # choose two cases with the filters, previewing each (vignette, key with how, questions)
    trainer.locator(".cb-filter-theme select").select_option(label="Agressie en geweld")
    trainer.wait_for_selector(".cb-card-vp-014", state="hidden")  # the filter lets only its theme through
    trainer.click(".cb-open-vp-003")
    trainer.wait_for_selector(".cb-preview .cb-case-title:has-text('Morgen neem ik iets mee')")
    assert trainer.locator(".cb-preview .cb-key-item[class*='cb-how-']").count() > 0
    assert trainer.locator(".cb-preview .cb-questions li").count() > 0
    trainer.click(".cb-add-case")
    trainer.wait_for_selector(".cb-chosen-vp-003")
    trainer.locator(".cb-filter-theme select").select_option(label="Discriminatie")
    trainer.click(".cb-open-vp-014")
    trainer.wait_for_selector(".cb-preview .cb-case-title:has-text('Grapjes bij de kassa')")
    trainer.click(".cb-add-case")
    trainer.wait_for_selector(".cb-chosen-vp-014")
    # order: Grapjes first
    trainer.click(".cb-chosen-vp-014 .cb-up")
    trainer.wait_for_selector(".cb-chosen-row:first-child.cb-chosen-vp-014")
    # the settings, with a live estimate
    trainer.fill(".cb-param-title input", "Intervisie met de werkplaats")
    for phase, minutes in (("introductie", "7"), ("bespreking", "25")):
        field = trainer.locator(f".cb-minutes-{phase} input")
        field.fill(minutes)
        field.press("Tab")
    trainer.wait_for_selector(".cb-estimate:has-text('2 casus(sen) × 72 min = 144 min')")
    settle(trainer)
    screenshot(trainer, artifacts / "trainer-new-session.png")
    trainer.click(".cb-create-session")
    trainer.wait_for_selector(".cb-new-code", timeout=120_000)
    code = trainer.locator(".cb-new-code").inner_text().strip()
    assert trainer.locator(".cb-ready-qr svg").count() == 1
    links = {role: trainer.locator(f".cb-link-{role} input").input_value()
             for role in ("participant", "facilitator", "projector")}
    assert links["participant"].startswith(server.url) and f"code={code}" in links["participant"]
    trainer.click(".cb-link-projector .cb-copy")
    trainer.wait_for_selector(".cb-link-projector .cb-copy:has-text('Gekopieerd')")
    with trainer.expect_download() as download:
        trainer.click(".cb-session-ready .cb-download")
    settle(trainer)
    screenshot(trainer, artifacts / "trainer-session-ready.png")
    plan_file = artifacts / download.value.suggested_filename
    download.value.save_as(plan_file)
    plan = plan_file.read_text("utf-8")
    assert code in plan and "Grapjes bij de kassa" in plan and "Morgen neem ik iets mee" in plan
    assert f"{server.url}/voila/render/participant.ipynb?code={code}" in plan  # the address it was opened at

    # the facilitator link it showed runs the same session: same cases, same order, same timings
    facilitator = open_in_own_browser(browser, links["facilitator"], ".cb-next-phase")
    programme = facilitator.locator(".cb-programme")
    titles = programme.locator(".cb-programme-title").all_inner_texts()
    assert titles == ["1. Grapjes bij de kassa", "2. Morgen neem ik iets mee"]
    assert "Introductie van de casus · 7 min" in programme.inner_text()
    facilitator.click(".cb-start")
    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    facilitator.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')")
    # a short vote
    participant = open_in_own_browser(browser, links["participant"], ".cb-join", width=430, height=900)
    join(participant, "Merel")
    vote(participant, "beloftes-doen", "serieus-nemen")
    facilitator.click(".cb-reveal")
    facilitator.wait_for_selector(".cb-phase:has-text('Onthulling')")

    # Mijn sessies: the session, running, with one participant and a report to download
    trainer.click(".cb-trainer-sections button:has-text('Mijn sessies')")
    row = trainer.wait_for_selector(f".cb-session-list .cb-session-{code}")
    assert "bezig" in row.inner_text() and "Intervisie met de werkplaats" in row.inner_text()
    assert trainer.locator(f".cb-session-{code} .cb-session-participants").inner_text() == "1"
    trainer.click(f".cb-session-{code} .cb-downloads")
    trainer.wait_for_selector(f".cb-session-{code} .cb-download-report-csv")
    with trainer.expect_download() as download:
        trainer.click(f".cb-session-{code} .cb-download-report-csv")
    report_file = artifacts / download.value.suggested_filename
    download.value.save_as(report_file)
    rows = list(csv.DictReader(io.StringIO(report_file.read_text("utf-8"))))
    assert {r["case_id"] for r in rows} == {"vp-003", "vp-014"}
    assert {r["voters"] for r in rows if r["case_id"] == "vp-014" and r["round"] == "1"} == {"1"}
    # the facilitator link of the list works with the trainer's own cookie (no key in it)
    with trainer.context.expect_page() as opened:
        trainer.click(f".cb-session-{code} .cb-open-facilitator")
    opened.value.wait_for_selector(".cb-next-phase:visible", timeout=120_000)
    opened.value.close()
    settle(trainer)
    screenshot(trainer, artifacts / "trainer-sessions.png")
    for page in (trainer, facilitator, participant):
        page.context.close()
