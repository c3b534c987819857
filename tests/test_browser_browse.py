"""The browse app in a real Chromium against ``casebook serve``."""

import pytest

from casebook.cases import load_cases

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_filter_by_theme_and_open_a_case(voila_server, page, artifacts):
    page.goto(voila_server.app_url("casebook"))
    page.wait_for_selector(".cb-case-card", timeout=60_000)
    all_cards = page.locator(".cb-case-card:visible").count()
    assert all_cards >= 24

    expected = sum("seksuele-intimidatie" in case.themes for case in load_cases())
    page.select_option(".cb-filter-theme select", label="Seksuele intimidatie")
    page.wait_for_selector(f".cb-count:has-text('{expected} van {all_cards}')")
    # the count and the cards' visibility are separate widget messages: wait for both
    page.wait_for_function(
        "n => [...document.querySelectorAll('.cb-case-card')].filter(e => e.offsetParent !== null).length === n",
        arg=expected,
    )
    visible = page.locator(".cb-case-card:visible")
    assert visible.count() == expected >= 3
    for index in range(visible.count()):
        assert "Seksuele intimidatie" in visible.nth(index).inner_text()

    title = visible.first.locator(".cb-card-title").inner_text()
    visible.first.locator(".cb-open").click()
    page.wait_for_selector(".cb-case-title")
    assert page.locator(".cb-case-title").inner_text() == title
    assert page.locator(".cb-vignette").inner_text().strip()
    assert page.locator(".cb-key").count() == 0  # the key stays closed until asked for
    page.screenshot(path=str(artifacts / "browse-case.png"))

    page.locator(".cb-show-key button, button.cb-show-key").first.click()
    page.wait_for_selector(".cb-key-item")
    assert page.locator(".cb-key-item").count() >= 3
    assert "Uitleg" in page.locator(".cb-key").inner_text()
    assert page.locator(".cb-error:visible").count() == 0


def test_english_on_request(voila_server, page):
    page.goto(voila_server.app_url("casebook", "lang=en"))
    page.wait_for_selector(".cb-case-card", timeout=60_000)
    assert "Intervision Casebook" in page.locator(".cb-header").inner_text()
    assert page.locator(".cb-open").first.inner_text() == "Open"
