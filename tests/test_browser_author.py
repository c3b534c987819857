"""The anonymisation gate and the author app against a real ``casebook serve``.

The server gets an extra case folder holding one case with identifying details: it says so
at start-up and its pages do not offer that case, while the others are offered. The author
page flags a name typed into the vignette.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import VoilaServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

DATA = Path(__file__).resolve().parent / "data"


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
    assert page.locator(".cb-case-card").count() == 28
    assert page.locator(".cb-card-tst-vuil").count() == 0
    assert "1 casusbestand(en)" in page.locator(".cb-load-problems").inner_text()
    page.screenshot(path=str(artifacts / "gate-browse.png"))


def test_typing_a_name_into_the_author_view_gets_it_flagged(gated_server, page, artifacts):
    page.goto(gated_server.app_url("author"))
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
