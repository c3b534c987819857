"""WCAG 2.1 AA on every page of the casebook: axe-core, injected into real Chromium pages served
by ``casebook serve``, finds no violation. Each page is checked in the states a user sees it in
(a case opened, feedback shown, a vote open, a finding marked), and left as a screenshot
``a11y-<page>.png`` in the screenshots' folder (``$CASEBOOK_ARTIFACTS``, by default
``/tmp/casebook-artifacts``).

axe-core comes from npm (package.json, installed by ``scripts/install --test``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.servers import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.server]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: what public bodies require. axe's best-practice rules
# (such as `region`) carry none of these tags and are not part of the standard.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE}); run `npm ci` or scripts/install --test"
        if os.environ.get("CI"):
            pytest.fail(message + "; on CI this test must run")
        pytest.skip(message)
    return str(AXE)


@pytest.fixture
def open_page(browser):
    """Open pages in browser contexts of their own (a participant and a facilitator are two
    browsers); every context is closed at the end of the test."""
    contexts = []

    def open_(url: str, ready: str | None = ".cb-app", width: int = 1300, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        if ready:
            page.wait_for_selector(ready, timeout=90_000)
        return page

    yield open_
    for context in contexts:
        context.close()


def violations(page, axe_source: str, artifacts, name: str) -> list[str]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now; leave a screenshot; return
    one readable line per violation."""
    settle(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=axe_source)
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", WCAG_TAGS)
    screenshot(page, artifacts / f"a11y-{name}.png")
    lines = []
    for violation in found:
        targets = [", ".join(" ".join(part) if isinstance(part, list) else part for part in node["target"])
                   for node in violation["nodes"][:3]]
        detail = violation["nodes"][0].get("failureSummary", "").replace("\n", " ") if violation["nodes"] else ""
        lines.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']}; "
                     f"{len(violation['nodes'])} node(s), first: {targets}; {detail}")
    return lines


def settle(page) -> None:
    """Wait until what a user sees is in place: Voila's loading spinner gone, fonts loaded,
    and no widget still being drawn."""
    page.wait_for_function("""() => {
        const cells = document.getElementById('rendered_cells');
        return (!cells || cells.style.display !== 'none') && document.fonts.status === 'loaded';
    }""")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_timeout(300)  # widget messages that arrived with the last frame


def screenshot(page, path) -> None:
    """The whole page: Voila's content scrolls inside #rendered_cells, so grow the window to
    its height for the picture, then give the page its size back."""
    size = page.viewport_size
    height = page.evaluate("""() => {
        const cells = document.getElementById('rendered_cells');
        if (cells) { cells.scrollTop = 0; }
        return cells ? cells.scrollHeight : document.documentElement.scrollHeight;
    }""")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 6000)})
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def assert_none(found: list[str]) -> None:
    assert not found, "WCAG 2.1 AA violations (axe-core):\n" + "\n".join(found)


def new_session(server, *cases: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "casebook.cli", "session", "new", "--cases", ",".join(cases), "--format", "json"],
        env={**server.env, "CASEBOOK_PUBLIC_URL": server.url}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


# ------------------------------------------------------------------------------ plain pages


@pytest.mark.parametrize("query", ["", "?lang=en", "?token={token}"], ids=["nl", "en", "trainer"])
def test_the_landing_page(voila_server, open_page, axe_source, artifacts, query):
    page = open_page(voila_server.url + "/" + query.format(token=voila_server.token), ready="h1")
    name = "landing" + {"": "", "?lang=en": "-en"}.get(query, "-trainer")
    assert page.locator("html").get_attribute("lang") == ("en" if "lang=en" in query else "nl")
    assert_none(violations(page, axe_source, artifacts, name))


def test_the_refused_page(voila_server, open_page, axe_source, artifacts):
    page = open_page(voila_server.app_url("author"), ready="h1")
    assert "Alleen voor trainers" in page.locator("h1").inner_text()
    assert_none(violations(page, axe_source, artifacts, "refused"))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_first_answer_for_a_client_without_script(voila_server, browser, axe_source, artifacts, language):
    """What a link preview or a browser without JavaScript gets instead of a page with a kernel."""
    import httpx

    answer = httpx.get(voila_server.app_url("participant", "lang=en" if language == "en" else ""), timeout=60)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.route("**/*", lambda route: route.fulfill(status=200, content_type="text/html", body=answer.text))
    page.goto(voila_server.url + "/preview")
    assert page.locator("html").get_attribute("lang") == language
    found = axe_on_a_page_without_script(page, browser, answer.text, axe_source)
    screenshot(page, artifacts / f"a11y-preview-{language}.png")
    context.close()
    assert_none([f"preview-{language}: {line}" for line in found])


def axe_on_a_page_without_script(page, browser, html: str, axe_source: str) -> list[str]:
    """axe needs script: the same markup as the page shows it without script (its noscript
    text shown, its own script left out), in a context that runs axe."""
    import re

    shown = re.sub(r"<script>.*?</script>", "", html, flags=re.S).replace("<noscript>", "").replace("</noscript>", "")
    context = browser.new_context()
    checked = context.new_page()
    checked.set_content(shown)
    checked.add_script_tag(path=axe_source)
    found = checked.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", WCAG_TAGS)
    context.close()
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in found]


def test_the_server_full_page(tmp_path_factory, test_cache, open_page, axe_source, artifacts):
    from tests.servers import VoilaServer

    full = VoilaServer(tmp_path_factory.mktemp("full-a11y"), env={"CASEBOOK_CACHE": str(test_cache)}, pool=0,
                       args=["--max-pages", "1"]).start()
    try:
        open_page(full.app_url("solo"))  # takes the one place
        for language, query in (("nl", ""), ("en", "lang=en")):
            page = open_page(full.app_url("casebook", query), ready="h1")
            assert page.locator(".cb-server-full").count() == 1
            assert page.locator("html").get_attribute("lang") == language
            assert_none(violations(page, axe_source, artifacts, f"server-full-{language}"))
    finally:
        full.stop()


# ------------------------------------------------------------------------------ apps alone


def test_browse_the_list_and_an_open_case(voila_server, open_page, axe_source, artifacts):
    page = open_page(voila_server.app_url("casebook"), ready=".cb-case-card")
    assert page.locator("html").get_attribute("lang") == "nl"
    found = violations(page, axe_source, artifacts, "browse")
    page.locator(".cb-open").first.click()
    page.wait_for_selector(".cb-case-title")
    page.locator(".cb-show-key button, button.cb-show-key").first.click()
    page.wait_for_selector(".cb-key-item")
    found += violations(page, axe_source, artifacts, "browse-case")
    assert_none(found)


def test_browse_in_english(voila_server, open_page, axe_source, artifacts):
    page = open_page(voila_server.app_url("casebook", "lang=en"), ready=".cb-case-card")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_none(violations(page, axe_source, artifacts, "browse-en"))


def test_solo_a_case_its_feedback_and_the_progress(voila_server, open_page, axe_source, artifacts):
    page = open_page(voila_server.app_url("solo", "case=vp-003"), ready=".cb-case-title")
    found = violations(page, axe_source, artifacts, "solo")
    page.click(".cb-item-beloftes-doen")
    page.click(".cb-check")
    page.wait_for_selector(".cb-feedback .cb-score")
    found += violations(page, axe_source, artifacts, "solo-feedback")
    page.click(".cb-solo-sections button:has-text('Mijn voortgang')")
    page.wait_for_selector(".cb-progress-chart-box")
    found += violations(page, axe_source, artifacts, "solo-progress")
    assert_none(found)


def test_author_with_a_finding(voila_server, open_page, axe_source, artifacts):
    page = open_page(voila_server.trainer_url("author"), ready=".cb-author-body textarea")
    found = violations(page, axe_source, artifacts, "author")
    body = page.locator(".cb-author-body textarea")
    body.fill("De melder werkt op de afdeling inkoop. Haar teamleider Kees de Boer appt haar elke avond.")
    body.press("Tab")  # the textarea sends its value when it loses focus
    page.locator("button.cb-author-check").click()
    # the first check loads deduce's lookup data in the server's check worker
    page.wait_for_selector(".cb-author-marked mark.cb-finding-naam", timeout=180_000)
    found += violations(page, axe_source, artifacts, "author-finding")
    assert_none(found)
    # the page's language follows the app's own language switch
    assert page.locator("html").get_attribute("lang") == "nl"
    page.locator(".cb-language button:has-text('EN')").click()
    page.wait_for_selector("html[lang='en']")


# ------------------------------------------------------------------------------ a live session


def test_a_live_session_for_every_role(voila_server, open_page, axe_source, artifacts):
    session = new_session(voila_server, "vp-003")
    participant = open_page(session["participant_url"], ready=".cb-join", width=430)
    found = violations(participant, axe_source, artifacts, "participant-join")
    participant.fill(".cb-pseudonym input", "Uil")
    participant.click(".cb-join")
    participant.wait_for_selector(".cb-phase")

    facilitator = open_page(session["facilitator_url"], ready=".cb-next-phase")
    projector = open_page(session["projector_url"], ready=".cb-start", width=1600, height=1000)
    projector.click(".cb-start")
    found += violations(projector, axe_source, artifacts, "projector")
    facilitator.click(".cb-start")
    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    participant.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')", timeout=15_000)
    participant.wait_for_selector(".cb-submit:visible")
    participant.click(".cb-item-beloftes-doen")
    # a screen reader hears which items are ticked, not only a sighted user who sees the colour
    participant.wait_for_selector(".cb-item-beloftes-doen[aria-pressed='true']")
    assert participant.locator(".cb-item-oordelen").get_attribute("aria-pressed") == "false"
    # a new phase and a saved vote are read out when they change
    assert participant.locator(".cb-phase").first.get_attribute("role") == "status"
    assert participant.locator(".cb-vote-status").first.get_attribute("role") == "status"
    found += violations(participant, axe_source, artifacts, "participant-vote")
    facilitator.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')")
    found += violations(facilitator, axe_source, artifacts, "facilitator")
    participant.click(".cb-submit")
    participant.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")
    facilitator.click(".cb-reveal")
    for page, name in ((participant, "participant-reveal"), (projector, "projector-reveal")):
        page.wait_for_selector(".cb-phase:has-text('Onthulling')", timeout=15_000)
        found += violations(page, axe_source, artifacts, name)
    assert_none(found)


def test_the_reveal_with_discuss_first_and_the_facilitator_end(voila_server, open_page, axe_source, artifacts):
    session = new_session(voila_server, "vp-003")
    facilitator = open_page(session["facilitator_url"], ready=".cb-next-phase")
    projector = open_page(session["projector_url"], ready=".cb-start", width=1920, height=1080)
    projector.click(".cb-start")
    people = []
    for index in range(3):  # results, and so Bespreek eerst, need three voters
        page = open_page(session["participant_url"], ready=".cb-join", width=430)
        page.fill(".cb-pseudonym input", f"Uil {index}")
        page.click(".cb-join")
        page.wait_for_selector(".cb-phase")
        people.append(page)
    facilitator.click(".cb-start")
    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    for page, items in zip(people, (["beloftes-doen", "oordelen"], ["beloftes-doen"], [])):
        page.wait_for_selector(".cb-submit:visible")
        for item in items:
            page.click(f".cb-item-{item}")
        page.click(".cb-submit")
        page.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")
    facilitator.wait_for_selector(".cb-vote-count [data-voters='3']")
    facilitator.click(".cb-reveal")
    found = []
    for page, name in ((facilitator, "facilitator-discuss-first"), (projector, "projector-discuss-first")):
        page.wait_for_selector(".cb-discuss-first .cb-discuss-item", timeout=15_000)
        found += violations(page, axe_source, artifacts, name)
    for _ in range(2):
        facilitator.click(".cb-next-phase")
    facilitator.wait_for_selector(".cb-reveal:visible")
    facilitator.click(".cb-reveal")  # round 2 closes empty: the key phase
    facilitator.click(".cb-next-phase")  # the last phase
    facilitator.wait_for_selector(".cb-record-form:visible")
    facilitator.fill(".cb-record-chair input", "Anouk")
    facilitator.fill(".cb-record-attendance textarea", "Anouk; LVV-1")
    facilitator.click(".cb-record-save")
    facilitator.wait_for_selector(".cb-record-status:has-text('1 namen')")
    facilitator.wait_for_selector(".cb-download-report a.cb-download")
    found += violations(facilitator, axe_source, artifacts, "facilitator-record")
    assert_none(found)


# ------------------------------------------------------------------------------ the trainer app


def test_the_trainer_app_in_every_state(voila_server, open_page, axe_source, artifacts):
    page = open_page(voila_server.trainer_url("trainer"), ready=".cb-trainer .cb-case-card")
    assert page.locator("html").get_attribute("lang") == "nl"
    found = violations(page, axe_source, artifacts, "trainer")
    for case_id in ("vp-003", "vp-014"):
        page.click(f".cb-open-{case_id}")
        page.wait_for_selector(f".cb-preview .cb-key-item")
        page.click(".cb-add-case")
        page.wait_for_selector(f".cb-chosen-{case_id}")
    found += violations(page, axe_source, artifacts, "trainer-chosen")
    page.click(".cb-create-session")
    page.wait_for_selector(".cb-new-code", timeout=120_000)
    found += violations(page, axe_source, artifacts, "trainer-ready")
    page.click(".cb-trainer-sections button:has-text('Mijn sessies')")
    page.wait_for_selector(".cb-session-row .cb-downloads")
    page.locator(".cb-session-row .cb-downloads").first.click()
    page.wait_for_selector(".cb-download-report-csv")
    page.locator(".cb-session-row .cb-purge-session").first.click()
    page.wait_for_selector(".cb-confirm-box:visible")
    found += violations(page, axe_source, artifacts, "trainer-sessions")
    page.locator(".cb-language button:has-text('EN')").click()
    page.wait_for_selector("html[lang='en']")
    page.wait_for_selector(".cb-trainer-sections button:has-text('My sessions')")
    found += violations(page, axe_source, artifacts, "trainer-sessions-en")
    assert_none(found)
