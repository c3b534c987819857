"""Live sessions on a real network (issue 10): a real ``casebook serve``, real Chromium, and the
requests a curious or hostile person on the same network would send."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from casebook import sessions
from casebook.store import Store
from tests.servers import VoilaServer, cookie_header, page_cookies, run_in_a_loop_of_its_own
from tests.test_browser_session import new_session

pytestmark = [pytest.mark.browser, pytest.mark.server]

CULL_AFTER = 8  # seconds: the cull timeout, shortened so a test can outlast it


@pytest.fixture(scope="module")
def server(tmp_path_factory, test_cache):
    server = VoilaServer(tmp_path_factory.mktemp("network"), env={"CASEBOOK_CACHE": str(test_cache)},
                         args=["--cull-after", str(CULL_AFTER)]).start()
    yield server
    server.stop()


def store_of(server) -> Store:
    return Store(f"sqlite:///{server.env['CASEBOOK_DATA']}/casebook.db")


def counts(server, code: str) -> tuple[int, int]:
    """(participants, voters in round 1 of the first case) as the store has them."""
    store = store_of(server)
    try:
        state = sessions.state(store, code)
        return state.participants, sessions.results(store, code, 0, 1).voters
    finally:
        store.dispose()


def raw_get(server, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """A GET with exactly these headers (an empty Host is sent as an empty header)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    answer = connection.getresponse()
    body = answer.read().decode(errors="replace")
    connection.close()
    return answer.status, body


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def person(browser, url: str):
    """One person: a browser context of their own (their own cookie), with one page."""
    context = browser.new_context(viewport={"width": 430, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)
    page.goto(url)
    page.wait_for_selector(".cb-app")
    return page


def join(page, pseudonym: str) -> None:
    page.fill(".cb-pseudonym input", pseudonym)
    page.click(".cb-join")
    page.wait_for_selector(".cb-phase")


def to_first_vote(browser, session) -> object:
    facilitator = person(browser, session["facilitator_url"])
    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    facilitator.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')")
    return facilitator


def vote(page, *items: str) -> None:
    page.wait_for_selector(".cb-submit:visible", timeout=20_000)
    for item in items:
        page.click(f".cb-item-{item}")
    page.click(".cb-submit")
    page.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")


def alive(page, timeout: float = 90_000) -> None:
    """The page's kernel answers: its heartbeat moves (after a reload, once the page is back)."""
    page.wait_for_function("""() => {
        const beat = document.querySelector('.cb-heartbeat');
        if (!beat || !beat.textContent) { return false; }
        if (window.cbFirstBeat === undefined) { window.cbFirstBeat = beat.textContent; }
        return beat.textContent !== window.cbFirstBeat;
    }""", timeout=timeout, polling=200)


def continues_as(page, pseudonym: str, timeout: float = 90_000) -> None:
    """The page shows the session as this participant again, without any click."""
    page.wait_for_selector(f".cb-header-bar:has-text('{pseudonym}')", timeout=timeout)
    page.wait_for_selector(".cb-phase", timeout=timeout)
    assert page.locator(".cb-join-panel:visible").count() == 0


# ------------------------------------------------------------------ the front door


def test_the_front_door_lists_no_session_and_trainer_links_need_the_token(server, browser):
    session = new_session(server, "vp-001")
    for path in ("/voila/tree", "/voila/tree/sessions", "/voila/api/contents/sessions", "/api/contents/sessions",
                 "/voila/render/sessions/", "/voila/render/does-not-exist.ipynb", "/voila/render/../conftest.py"):
        status, body = raw_get(server, path, {"Host": f"localhost:{server.port}"})
        assert status in (403, 404), path
        assert session["code"] not in body
    page = browser.new_context().new_page()
    page.set_default_timeout(45_000)
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("input.cb-landing-code").count() == 1
    assert session["code"] not in page.content()
    assert page.locator(".cb-trainer-links").count() == 0
    page.fill("input.cb-landing-code", session["code"].lower())
    page.click(".cb-landing-join")
    page.wait_for_selector(".cb-pseudonym")
    assert page.locator(".cb-code input").input_value() == session["code"]  # the code carried over
    page.goto(f"{server.url}/?token={server.token}")
    assert page.locator(".cb-trainer-links").count() == 1
    page.goto(server.url + "/?lang=en")
    assert "Join a session" in page.locator("body").inner_text()


def test_an_empty_host_header_or_a_forged_one_gives_no_control(server, browser):
    session = new_session(server, "vp-001")
    plan_path = path_of(session["plan_url"])
    for headers in ({"Host": ""}, {"Host": "", "X-Casebook-Trainer": "1"}, {"Host": "localhost"}):
        status, body = raw_get(server, plan_path, headers)
        assert status == 403 and "Alleen voor trainers" in body
        assert "kernelId" not in body  # refused before a kernel was started
    key = session["facilitator_url"].split("key=")[1]
    status, body = raw_get(server, plan_path + f"?token={server.token}", {"Host": ""})
    assert key not in body  # the plan's page never carries the key
    # the facilitator page without the key: a plain refusal, and a crafted click changes nothing
    page = person(browser, server.app_url("facilitator", f"code={session['code']}"))
    page.wait_for_selector(".cb-error:visible")
    assert page.locator(".cb-next-phase:visible").count() == 0
    page.evaluate("document.querySelectorAll('.cb-next-phase').forEach(b => b.click())")
    page.wait_for_timeout(1500)
    store = store_of(server)
    assert sessions.state(store, session["code"]).step.index == 0
    store.dispose()
    # the trainer token (from the link, then its cookie) does grant control of the plan
    trainer = person(browser, f"{server.url}{plan_path}?token={server.token}")
    assert "token=" not in trainer.url  # taken out of the address bar
    trainer.click(".cb-next-phase")
    trainer.wait_for_selector(".cb-phase:has-text('Verhelderende vragen')")


def test_a_page_that_joined_never_joins_again_and_a_new_tab_is_the_same_person(server, browser):
    session = new_session(server, "vp-001")
    page = person(browser, session["participant_url"])
    join(page, "Uil")
    # crafted: another pseudonym and a click on the hidden join button
    page.evaluate("""() => { const field = document.querySelector('.cb-pseudonym input');
                             field.value = 'Tweede uil'; field.dispatchEvent(new Event('change'));
                             document.querySelector('.cb-join').click(); }""")
    page.wait_for_selector(".cb-error:has-text('Je doet al mee')")
    tab = page.context.new_page()
    tab.goto(session["participant_url"])
    continues_as(tab, "Uil")
    other = person(browser, session["participant_url"])  # someone else
    join(other, "Vos")
    assert counts(server, session["code"])[0] == 2


def test_forty_wrong_codes_then_the_right_one_is_refused(server, browser):
    session = new_session(server, "vp-001")
    page = person(browser, server.app_url("participant"))
    page.fill(".cb-pseudonym input", "Raders")
    for attempt in range(40):
        page.fill(".cb-code input", f"QQQ{attempt:03d}"[:6])
        page.click(".cb-join")
    page.fill(".cb-code input", session["code"])
    page.click(".cb-join")
    refused = page.wait_for_selector(".cb-error:has-text('Te veel verkeerde codes')")
    assert "seconden" in refused.inner_text()
    assert page.locator(".cb-join-panel:visible").count() == 1
    assert counts(server, session["code"])[0] == 0
    assert "burst" not in server.log_path.read_text()  # 40 from one page is no server-wide burst


def test_a_reload_and_a_new_tab_continue_with_the_same_vote(server, browser):
    session = new_session(server, "vp-001")
    facilitator = to_first_vote(browser, session)
    page = person(browser, session["participant_url"])
    join(page, "Das")
    vote(page, "serieus-nemen")
    old_kernel = page_kernel_id(page)
    page.reload()
    continues_as(page, "Das")
    page.wait_for_selector(".cb-vote-status:has-text('(1 items)')")  # the vote is still there
    # the page shut its old kernel down as it left (Voila's beacon, with the _xsrf cookie)
    deadline = time.monotonic() + 20
    while f"Kernel shutdown: {old_kernel}" not in server.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert f"Kernel shutdown: {old_kernel}" in server.log_path.read_text()
    assert "'_xsrf' argument missing" not in server.log_path.read_text()
    tab = page.context.new_page()
    tab.goto(session["participant_url"])
    continues_as(tab, "Das")
    assert counts(server, session["code"]) == (1, 1)
    facilitator.close()


def page_kernel_id(page) -> str:
    return json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]


def test_a_page_offline_longer_than_the_cull_timeout_comes_back_as_the_same_person(server, browser):
    session = new_session(server, "vp-001")
    to_first_vote(browser, session)
    page = person(browser, session["participant_url"])
    join(page, "Egel")
    vote(page, "serieus-nemen")
    page.context.set_offline(True)
    page.wait_for_selector("#cb-reconnect[data-shown='true']", timeout=30_000)  # it says so plainly
    time.sleep(CULL_AFTER + 6)  # the kernel is culled meanwhile
    page.context.set_offline(False)
    continues_as(page, "Egel")
    page.wait_for_selector("#cb-reconnect[data-shown='false']", state="attached", timeout=30_000)
    vote(page, "beloftes-doen")  # the page is alive: a changed vote is stored
    assert counts(server, session["code"]) == (1, 1)


def test_a_malformed_widget_message_gets_no_traceback(server):
    """Over the page's own kernel websocket: garbage, unknown comms, wrong types."""
    cookies = page_cookies(server.app_url("participant"))
    status, html = raw_get(server, path_of(server.app_url("participant")),
                           {"Host": f"localhost:{server.port}", "Cookie": cookie_header(cookies)})
    assert status == 200
    kernel_id = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">\s*(.*?)\s*</script>',
                                     html, re.S).group(1))["kernelId"]
    model_ids = sorted(set(re.findall(r'"model_id": "([0-9a-f]{32})"', html)))
    received = run_in_a_loop_of_its_own(_send_malformed(server.port, kernel_id, model_ids))
    texts = json.dumps(received)
    assert any(m["msg_type"] == "kernel_info_reply" for m in received), "the kernel did not get to the end"
    assert not [m for m in received if m["msg_type"] == "error"]
    for leak in ("Traceback", "site-packages", ".venv", "ipykernel", "ipywidgets/"):
        assert leak not in texts, leak
    assert not re.search(r"/[\w.-]+(?:/[\w.-]+)+\.py", texts), "a server path reached the client"
    time.sleep(1)
    assert "[casebook kernel] ERROR" in server.log_path.read_text()  # logged on the server instead


async def _send_malformed(port: int, kernel_id: str, model_ids: list[str]) -> list[dict]:
    import websockets

    url = f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
    received: list[dict] = []

    def message(msg_type: str, content: dict) -> str:
        return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "username": "x", "session": uuid.uuid4().hex,
                                      "msg_type": msg_type, "version": "5.3", "date": ""},
                           "parent_header": {}, "metadata": {}, "content": content, "buffers": [],
                           "channel": "shell"})

    crafted = [message("comm_msg", {"comm_id": "no-such-comm", "data": {"method": "update", "state": {}}})]
    for model_id in model_ids[:40]:
        crafted += [
            message("comm_msg", {"comm_id": model_id, "data": {"method": "update", "state": {"value": {"x": 1}}}}),
            message("comm_msg", {"comm_id": model_id, "data": {"method": "update", "state": {"layout": 5}}}),
            message("comm_msg", {"comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}}}),
            message("comm_msg", {"comm_id": model_id, "data": {"method": "nonsense"}}),
            message("comm_msg", {"comm_id": model_id, "data": "not a dict"}),
            message("comm_msg", {"comm_id": model_id}),
        ]
    # the shell channel answers in order: once the kernel replies to this, it handled all the rest
    last = message("kernel_info_request", {})
    last_id = json.loads(last)["header"]["msg_id"]
    crafted.append(last)
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}", max_size=None) as socket:
        try:
            for text in crafted:
                await socket.send(text)
            deadline, answered = time.monotonic() + 90, None
            while time.monotonic() < deadline and (answered is None or time.monotonic() < answered + 2):
                try:
                    raw = await asyncio.wait_for(socket.recv(), timeout=1)
                except asyncio.TimeoutError:
                    continue
                if isinstance(raw, bytes):
                    continue
                received.append(json.loads(raw))
                if received[-1].get("parent_header", {}).get("msg_id") == last_id and answered is None:
                    answered = time.monotonic()
            await socket.send(json.dumps({"not": "a message"}))  # garbage last: it may end the connection
            for _ in range(3):
                raw = await asyncio.wait_for(socket.recv(), timeout=1)
                if not isinstance(raw, bytes):
                    received.append(json.loads(raw))
        except (websockets.exceptions.ConnectionClosed, asyncio.TimeoutError):
            pass  # the server may close on garbage; what it sent before is what counts
    return received


def page_store_pids(server) -> list[int]:
    """The server's page store processes (casebook.page_store), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"casebook.page_store" in command and parent == server.process.pid:
            found.append(int(entry.name))
    return found


def test_a_page_store_that_crashes_is_started_again_and_its_pages_carry_on(server, browser):
    """The participant pages ask the server's page store (casebook.page_store); when it dies,
    the server starts it again and every page carries on as itself: no vote lost or doubled,
    following the session again, no traceback on screen."""
    session = new_session(server, "vp-001")
    facilitator = to_first_vote(browser, session)
    page = person(browser, session["participant_url"])
    join(page, "Vos")
    vote(page, "serieus-nemen")
    [old] = page_store_pids(server)
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not [pid for pid in page_store_pids(server) if pid != old] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in page_store_pids(server) if pid != old], "the page store was not started again"
    page.click(".cb-item-serieus-nemen")  # a changed vote, sent after the crash
    page.click(".cb-item-beloftes-doen")
    page.click(".cb-submit")
    try:
        page.wait_for_selector(".cb-vote-status:has-text('(1 items)')", timeout=30_000)
    except Exception:
        raise AssertionError(f"not saved; the page says {page.locator('.cb-app').inner_text()[:1500]!r}")
    assert counts(server, session["code"]) == (1, 1)
    facilitator.click(".cb-reveal")  # and the page follows the session again
    page.wait_for_selector(".cb-phase:has-text('Onthulling')", timeout=30_000)
    assert "Traceback" not in page.content()
    assert page.locator(".cb-error-box").count() == 0 or not page.locator(".cb-error-box").inner_text()
    assert "the page store stopped" in server.log_path.read_text()
    facilitator.close()
