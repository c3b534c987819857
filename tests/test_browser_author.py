"""The anonymisation gate and the author app against a real ``casebook serve``.

The server gets an extra case folder holding one case with identifying details: it says so
at start-up and its pages do not offer that case, while the others are offered. The author
page flags a name typed into the vignette.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import VoilaServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

DATA = Path(__file__).resolve().parent / "data"
ROOT = DATA.parent.parent


@pytest.fixture(scope="module")
def gated_server(tmp_path_factory, test_cache):
    tmp = tmp_path_factory.mktemp("gate")
    env = {"CASEBOOK_CASES": os.pathsep.join([str(DATA / "cases"), str(DATA / "dirty-cases")]),
           "CASEBOOK_AUTHOR_FOLDER": str(tmp / "authored"), "CASEBOOK_CACHE": str(test_cache)}
    server = VoilaServer(tmp, env=env, pool=0).start()
    yield server
    server.stop()


def test_serve_refuses_the_case_with_findings_and_serves_the_others(gated_server, page, artifacts):
    log = gated_server.log_path.read_text()
    assert "tst-vuil" in log and "casebook check" in log  # a clear message at start-up
    page.goto(gated_server.app_url("casebook"))
    page.wait_for_selector(".cb-card-tst-goed", timeout=90_000)
    assert page.locator(".cb-card-tst-tweede").count() == 1
    assert page.locator(".cb-card-vp-001").count() == 1
    builtin = len(list((Path(__file__).resolve().parent.parent / "casebook" / "cases").glob("*.md")))
    assert page.locator(".cb-case-card").count() == builtin + 2  # every clean case, the test's two
    assert page.locator(".cb-card-tst-vuil").count() == 0
    assert "1 casusbestand(en)" in page.locator(".cb-load-problems").inner_text()
    page.screenshot(path=str(artifacts / "gate-browse.png"))


def kernels_started(server) -> int:
    return server.log_path.read_text(errors="replace").count("Kernel started")


def test_the_author_app_is_refused_without_the_trainer_token_and_starts_nothing(gated_server, page):
    before = kernels_started(gated_server)
    for headers in ({}, {"Host": ""}, {"X-Casebook-Trainer": "1"}):
        request = urllib.request.Request(gated_server.app_url("author"), headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
        body = refused.value.read().decode()
        assert "Alleen voor trainers" in body and "kernelId" not in body
    page.goto(gated_server.app_url("author", "token=wrong"))
    assert "Alleen voor trainers" in page.locator("h1").inner_text()
    time.sleep(1)
    assert kernels_started(gated_server) == before  # no kernel, so no deduce either


def test_a_case_id_that_climbs_out_of_the_author_folder_writes_nothing(gated_server, page, tmp_path):
    page.goto(gated_server.trainer_url("author"))
    body = page.locator(".cb-author-body textarea")
    body.wait_for(timeout=90_000)
    target = tmp_path / "uitbraak"
    page.locator(".cb-author-id input").fill(f"../../../../../../..{target}")
    page.locator(".cb-author-title input").fill("Een titel")
    body.fill("De melder werkt op de afdeling inkoop. Haar teamleider appt haar elke avond.")
    body.press("Tab")
    page.locator("button.cb-author-check").click()
    page.wait_for_selector(".cb-author-invalid", timeout=180_000)
    page.evaluate("document.querySelector('.cb-author-save').disabled = false")
    page.locator("button.cb-author-save").click(force=True)  # a crafted click
    page.wait_for_selector(".cb-error:visible")
    assert not target.with_suffix(".md").exists() and not list(tmp_path.iterdir())
    authored = Path(gated_server.env["CASEBOOK_AUTHOR_FOLDER"])
    assert not authored.exists() or not list(authored.rglob("*.md"))
    assert str(ROOT) not in page.locator("body").inner_text()  # no server path shown


def test_an_indirect_identifier_is_marked_and_saving_needs_it_confirmed(gated_server, page, artifacts):
    page.goto(gated_server.trainer_url("author"))
    body = page.locator(".cb-author-body textarea")
    body.wait_for(timeout=90_000)
    page.locator(".cb-author-id input").fill("tst-indirect")
    page.locator(".cb-author-title input").fill("De lasser")
    page.locator(".cb-author-themes select").select_option(label="Pesten")
    page.locator(".cb-author-key select").select_option(label="Do: Serieus nemen")
    page.locator(".cb-author-why-serieus-nemen textarea").fill("De VP neemt het verhaal serieus.")
    phrase = "de enige vrouwelijke lasser van de werf"
    body.fill(f"De melder is {phrase}. Haar ploegleider maakt er elke dag grappen over.")
    body.press("Tab")
    page.locator("button.cb-author-check").click()
    mark = page.locator(".cb-author-marked mark.cb-finding-indirect")
    mark.wait_for(timeout=180_000)
    assert "één persoon" in page.locator(".cb-author-result").inner_text()  # the plain explanation
    assert page.locator("button.cb-author-save").is_disabled()
    page.set_viewport_size({"width": 1400, "height": 2000})
    mark.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "author-indirect.png"))
    found = page.locator(".cb-finding-list mark.cb-finding-indirect").first.inner_text()
    assert found == phrase
    page.locator(".cb-author-allow input").fill(found)
    page.locator(".cb-author-allow input").press("Tab")
    page.locator("button.cb-author-check").click()
    page.wait_for_selector(".cb-author-clean", timeout=60_000)
    page.locator("button.cb-author-save").click()
    page.wait_for_selector(".cb-author-saved")
    assert (Path(gated_server.env["CASEBOOK_AUTHOR_FOLDER"]) / "tst-indirect.md").exists()


def test_typing_a_name_into_the_author_view_gets_it_flagged(gated_server, page, artifacts):
    page.goto(gated_server.trainer_url("author"))
    body = page.locator(".cb-author-body textarea")
    body.wait_for(timeout=90_000)
    body.fill("De melder werkt op de afdeling inkoop. Haar teamleider Kees de Boer appt haar elke avond.")
    body.press("Tab")  # the textarea sends its value when it loses focus
    page.locator("button.cb-author-check").click()
    mark = page.locator(".cb-author-marked mark.cb-finding-naam", has_text="Kees de Boer")
    mark.wait_for(timeout=180_000)  # the first check loads deduce's lookup data in this kernel
    assert "naam" in mark.inner_text().lower()  # the kind is named beside the text
    assert page.locator("button.cb-author-save").is_disabled()
    page.set_viewport_size({"width": 1400, "height": 2000})  # the page scrolls inside Voila's container
    mark.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "author-finding.png"))
    assert page.locator(".cb-error:visible").count() == 0
