"""A whole case in real Chromium: a facilitator, three participants and a projector, each in
its own browser context, against ``casebook serve`` and a session made with the CLI."""

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]


def new_session(server, *cases, **options) -> dict:
    args = [sys.executable, "-m", "casebook.cli", "session", "new", "--cases", ",".join(cases), "--format", "json"]
    for name, value in options.items():
        args += [f"--{name}", str(value)]
    done = subprocess.run(args, env={**server.env, "CASEBOOK_PUBLIC_URL": server.url},
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def open_app(browser, url, width=1300, height=900):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(45_000)
    page.goto(url)
    page.wait_for_selector(".cb-app")
    return page


def phase_is(page, words):
    page.wait_for_selector(f".cb-phase:has-text('{words}')", timeout=10_000)


def voters_are(page, count):
    page.wait_for_selector(f".cb-vote-count [data-voters='{count}']", timeout=10_000)


def test_a_whole_case_with_every_role(voila_server, browser, artifacts):
    session = new_session(voila_server, "vp-003", "vp-014", title="Intervisie in de test")
    for name in ("participant_url", "facilitator_url", "projector_url"):
        assert session[name].startswith(voila_server.url)
    facilitator = open_app(browser, session["facilitator_url"])
    projector = open_app(browser, session["projector_url"], 1600, 1000)
    projector.click(".cb-start")
    people = []
    for index in range(3):
        page = open_app(browser, session["participant_url"], 430, 900)
        assert page.locator(".cb-code input").input_value() == session["code"]  # the link fills it in
        page.fill(".cb-pseudonym input", f"Uil {index}")
        page.click(".cb-join")
        page.wait_for_selector(".cb-phase")
        people.append(page)
    facilitator.click(".cb-start")

    # the running timer counts down every second on the big screen, between the page's ticks
    # (every 3 s): the page's script runs it down from what the kernel last drew
    projector.wait_for_selector(".cb-timer-value[data-seconds]")
    shown = projector.evaluate("""() => new Promise(done => {
        const seen = [document.querySelector('.cb-timer-value').textContent];
        const timer = setInterval(() => {
            const text = document.querySelector('.cb-timer-value').textContent;
            if (text !== seen[seen.length - 1]) { seen.push(text); }
        }, 100);
        setTimeout(() => { clearInterval(timer); done(seen); }, 4200);
    })""")
    assert len(shown) >= 4, shown  # ticks alone would change it at most twice in 4.2 s
    assert all(text.count(":") == 1 and text.split(":")[1].isdigit() for text in shown), shown
    seconds = [int(text.split(":")[0]) * 60 + int(text.split(":")[1]) for text in shown]
    assert seconds == sorted(seconds, reverse=True) and seconds[0] - seconds[-1] <= 6, shown

    # introduction: everyone reads; nobody votes yet; only the facilitator has the key
    for page in people + [projector]:
        phase_is(page, "Introductie")
        assert page.locator(".cb-case-title").inner_text() == "Morgen neem ik iets mee"
        assert page.locator(".cb-key-item").count() == 0
        assert page.locator(".cb-submit:visible").count() == 0
    assert facilitator.locator(".cb-key-item").count() >= 3
    assert session["code"] in projector.locator(".cb-join-code").first.inner_text()
    assert projector.locator(".cb-qr svg").count() == 1

    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    for page in people:
        phase_is(page, "Stemmen, ronde 1")

    # round 1: three private votes; the count arrives everywhere, the distribution only live
    choices = [["beloftes-doen", "soms-doortastend-optreden"], ["soms-doortastend-optreden"],
               ["soms-doortastend-optreden", "zelf-keuze-laten-maken"]]
    for page, items in zip(people, choices):
        for item in items:
            page.click(f".cb-item-{item}")
        page.click(".cb-submit")
        page.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")
    # a participant changes their vote while the round is open: replaced, not added
    people[0].click(".cb-item-beloftes-doen")
    people[0].click(".cb-submit")
    people[0].wait_for_selector(".cb-vote-status:has-text('(1 items)')")
    for page in people + [facilitator, projector]:
        voters_are(page, 3)
    facilitator.wait_for_selector(".cb-result-soms-doortastend-optreden[data-round-1='3']")
    facilitator.wait_for_selector(".cb-result-beloftes-doen[data-round-1='0']")  # the changed vote
    for page in people + [projector]:
        assert page.locator(".cb-result-soms-doortastend-optreden").count() == 0  # not before the reveal

    # one participant ticks but does not send before the facilitator reveals
    people[1].click(".cb-item-oordelen")
    facilitator.click(".cb-reveal")
    for page in people + [projector]:
        phase_is(page, "Onthulling")
        page.wait_for_selector(".cb-result-soms-doortastend-optreden[data-round-1='3']")
        assert page.locator(".cb-result-zelf-keuze-laten-maken[data-round-1='1']").count() == 1
        assert page.locator(".cb-key-item").count() == 0  # the key waits for its phase
    people[1].wait_for_selector(".cb-vote-status:has-text('gesloten')")
    people[1].click(".cb-submit")
    refused = people[1].wait_for_selector(".cb-error:has-text('niet opgeslagen')")
    assert "Stemronde 1" in refused.inner_text()
    assert facilitator.locator(".cb-result-oordelen[data-round-1='0']").count() == 1  # not stored
    for page, name in ((projector, "projector"), (facilitator, "facilitator"), (people[0], "participant")):
        page.locator(".cb-header-bar").first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"session-reveal-{name}.png"))
    # nobody sees who voted what: pseudonyms appear on no one else's screen
    for page in [facilitator, projector] + people[1:]:
        assert "Uil 0" not in page.locator("body").inner_text()

    # discussion, then round 2
    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    for page in people:
        phase_is(page, "ronde 2")
        page.wait_for_selector(".cb-submit:visible")
    for page in people:
        page.click(".cb-item-zelf-keuze-laten-maken")
        page.click(".cb-submit")
        page.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")
    voters_are(facilitator, 3)
    facilitator.click(".cb-reveal")

    # key phase: round 1 beside round 2, the key and what happened for everyone
    for page in people + [projector]:
        phase_is(page, "Sleutel")
        page.wait_for_selector(".cb-result-zelf-keuze-laten-maken[data-round-2]")
        assert page.locator(".cb-key-item").count() >= 3
        assert "Wat er gebeurde" in page.locator(".cb-case-view").inner_text()
    projector.locator(".cb-header-bar").first.scroll_into_view_if_needed()
    projector.screenshot(path=str(artifacts / "session-key-projector.png"))
    for page in people + [facilitator, projector]:
        assert page.locator(".cb-error:visible").count() == 0 or page is people[1]

    from casebook import sessions
    from casebook.store import Store

    store = Store(f"sqlite:///{voila_server.env['CASEBOOK_DATA']}/casebook.db")
    assert sessions.results(store, session["code"], 0, 1).counts["soms-doortastend-optreden"] == 3
    assert sessions.results(store, session["code"], 0, 2).counts["zelf-keuze-laten-maken"] == 3
    store.dispose()


def test_a_wrong_facilitator_key_shows_a_plain_message(voila_server, browser):
    session = new_session(voila_server, "vp-001")
    page = open_app(browser, session["facilitator_url"].replace("key=", "key=x"))
    message = page.wait_for_selector(".cb-error:visible")
    assert "begeleider" in message.inner_text()
    assert "Traceback" not in page.locator("body").inner_text()
    assert page.locator(".cb-next-phase:visible").count() == 0
