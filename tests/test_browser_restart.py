"""A server restart in the middle of a session (issue 10): every open page notices, says so
plainly while the server is away, and comes back by itself as the same participant, the same
facilitator (key from the link) and the same projector."""

from __future__ import annotations

import pytest

from tests.servers import VoilaServer
from tests.test_browser_network import alive, continues_as, counts, join, person, to_first_vote, vote
from tests.test_browser_session import new_session

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def server(tmp_path, test_cache):
    server = VoilaServer(tmp_path, env={"CASEBOOK_CACHE": str(test_cache)}, pool=2).start()
    yield server
    server.stop()


def test_after_a_restart_every_page_comes_back_as_itself(server, browser, artifacts):
    session = new_session(server, "vp-001")
    facilitator = to_first_vote(browser, session)
    projector = person(browser, session["projector_url"])
    people = []
    for pseudonym in ("Uil", "Vos"):
        page = person(browser, session["participant_url"])
        join(page, pseudonym)
        vote(page, "serieus-nemen")
        people.append(page)
    assert counts(server, session["code"]) == (2, 2)

    server.stop()
    people[0].wait_for_selector("#cb-reconnect[data-shown='true']", timeout=30_000)
    assert "niet bereikbaar" in people[0].locator("#cb-reconnect").inner_text()  # said plainly, in Dutch
    people[0].screenshot(path=str(artifacts / "restart-server-away.png"))
    server.start()

    for page, pseudonym in zip(people, ("Uil", "Vos")):
        continues_as(page, pseudonym)
        page.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")
    facilitator.wait_for_selector(".cb-reveal:visible", timeout=90_000)  # the key came with the link
    projector.wait_for_selector(".cb-join-code", timeout=90_000)
    vote(people[1], "beloftes-doen")  # alive: a changed vote is stored, not added
    for page in people + [facilitator, projector]:
        alive(page)
    facilitator.click(".cb-reveal")
    for page in people + [projector]:
        page.wait_for_selector(".cb-phase:has-text('Onthulling')", timeout=20_000)
    assert counts(server, session["code"]) == (2, 2)  # nobody counted twice, no vote lost
