"""The front door bounds kernels (casebook.kernel_budget, casebook.web.FrontDoor): link previews,
crawlers and scripts start none, one browser holds a few, a page that never connects lets its
kernel go within seconds, a full server says so, and a page arriving while the pools warm is
served. Real ``casebook serve``, real Chromium, and clients that run no script."""

from __future__ import annotations

import concurrent.futures
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import VoilaServer, cookie_header, page_cookies
from tests.test_browser_session import new_session

pytestmark = [pytest.mark.browser, pytest.mark.server]

POOL = 2
APPS = 4  # one preheated kernel each for facilitator, projector, solo and browse
# What messengers, crawlers and scripts send when they fetch a link (none runs the page's script).
USER_AGENTS = [
    "WhatsApp/2.24.6.77 A",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) SkypeUriPreview Preview/0.5",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "",
]


def kernel_processes(server) -> set[int]:
    """The kernels this server runs (its child processes running casebook.kernel)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_text()
        except OSError:
            continue
        parent = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
        if parent == str(server.process.pid) and "casebook.kernel" in cmdline:
            found.add(int(entry.name))
    return found


def kernels_started(server) -> int:
    return server.log_path.read_text(errors="replace").count("Kernel started")


def wait_for_warm_pools(server, expected: int, timeout: float = 180) -> None:
    """Until every pool holds its kernels and no kernel starts any more for two seconds."""
    deadline = time.monotonic() + timeout
    stable_since, last = time.monotonic(), -1
    while time.monotonic() < deadline:
        started = kernels_started(server)
        if started != last:
            stable_since, last = time.monotonic(), started
        if len(kernel_processes(server)) >= expected and time.monotonic() - stable_since > 2:
            return
        time.sleep(0.3)
    raise AssertionError(f"the pools did not warm: {len(kernel_processes(server))} of {expected} kernels")


def kernel_exists(server, kernel_id: str) -> bool:
    return httpx.get(f"{server.url}/api/kernels/{kernel_id}", timeout=30).status_code == 200


def kernel_id_of(html: str) -> str:
    return re.search(r'"kernelId": "([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory, test_cache):
    server = VoilaServer(tmp_path_factory.mktemp("front-door"), env={"CASEBOOK_CACHE": str(test_cache)},
                         pool=POOL).start()
    wait_for_warm_pools(server, POOL + APPS)
    yield server
    server.stop()


def test_a_flood_of_link_previews_crawlers_and_scripts_starts_no_kernel(server):
    session = new_session(server, "vp-001")
    pages = [session["participant_url"], session["projector_url"], session["facilitator_url"],
             server.app_url("solo", "case=vp-001"), server.app_url("casebook"), server.app_url("participant"),
             server.app_url("participant", "code=ZZZZZZ&lang=en")]
    before_started, before_alive = kernels_started(server), kernel_processes(server)

    def fetch(number: int) -> httpx.Response:
        headers = {"User-Agent": USER_AGENTS[number % len(USER_AGENTS)]}
        return httpx.get(pages[number % len(pages)], headers=headers, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(8) as clients:
        answers = list(clients.map(fetch, range(120)))
    assert [answer.status_code for answer in answers] == [200] * 120
    for answer in answers:
        assert re.search(r'<meta property="og:title" content="Intervisi(e|on) Casebook">', answer.text)
        assert "kernelId" not in answer.text and session["code"] not in answer.text
    assert "open deze link in je browser" in answers[0].text.lower()
    english = next(a for a in answers if "lang=en" in str(a.request.url))
    assert "Open this link in your browser" in english.text and '<html lang="en">' in english.text
    time.sleep(3)  # anything started by the flood would show by now
    assert kernels_started(server) == before_started
    assert kernel_processes(server) == before_alive


def test_a_cookie_that_was_not_made_for_the_browser_gets_no_kernel(server):
    cookies = page_cookies(server.app_url("participant"))
    before = kernels_started(server)
    for forged in ({**cookies, "casebook_page": "0" * 32}, {"casebook_page": cookies["casebook_page"]},
                   {"casebook_browser": cookies["casebook_browser"]},
                   {**cookies, "casebook_browser": "f" * 32}):
        answer = httpx.get(server.app_url("participant"), headers={"Cookie": cookie_header(forged)}, timeout=60)
        assert answer.status_code == 200 and "kernelId" not in answer.text
    time.sleep(1)
    assert kernels_started(server) == before


def test_a_real_browser_goes_on_to_the_app_without_a_step_and_one_without_script_is_told(server, browser):
    context = browser.new_context()
    page = context.new_page()
    answers = []
    page.on("response", lambda response: answers.append(response.url) if "participant.ipynb" in response.url else None)
    page.goto(server.app_url("participant", "code=ABCDEF"))
    page.wait_for_selector(".cb-pseudonym", timeout=60_000)
    assert page.url.endswith("participant.ipynb?code=ABCDEF")  # the same address, no visible step
    assert len(answers) == 2  # the light answer, then the page
    page.goto(server.app_url("participant", "code=ABCDEF"))  # a second visit goes straight on
    page.wait_for_selector(".cb-pseudonym", timeout=60_000)
    assert len(answers) == 3
    context.close()
    without_script = browser.new_context(java_script_enabled=False)
    page = without_script.new_page()
    page.goto(server.app_url("participant"))
    assert "Open deze link in je browser" in page.locator("main").inner_text()
    assert "JavaScript" in page.locator("noscript").inner_text() or page.locator("noscript").count() == 1
    without_script.close()


def test_one_browser_holds_at_most_four_pages_and_a_released_tab_says_so(server, browser):
    context = browser.new_context()
    tabs, kernels = [], []
    for _ in range(6):
        tab = context.new_page()
        tab.set_default_timeout(90_000)
        tab.goto(server.app_url("solo"))
        tab.wait_for_selector(".cb-app")
        tabs.append(tab)
        kernels.append(tab.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"))
    time.sleep(2)
    alive = [kernel_exists(server, kernel_id) for kernel_id in kernels]
    assert alive == [False, False, True, True, True, True]  # opening the 5th and 6th released the oldest
    assert server.log_path.read_text().count("released: its browser opened more than 4 pages") >= 2
    # another browser is not affected by this one's tabs
    other = browser.new_context().new_page()
    other.goto(server.app_url("solo"))
    other.wait_for_selector(".cb-app", timeout=90_000)
    assert all(kernel_exists(server, kernel_id) for kernel_id in kernels[2:])
    other.context.close()
    context.close()


def test_a_released_live_page_says_why_and_does_not_reload_by_itself(server, browser):
    session = new_session(server, "vp-001")
    context = browser.new_context()
    first = context.new_page()
    first.goto(session["participant_url"])
    first.fill(".cb-pseudonym input", "Reiger")
    first.click(".cb-join")
    first.wait_for_selector(".cb-phase", timeout=60_000)
    for _ in range(4):  # four newer tabs of the same browser
        tab = context.new_page()
        tab.goto(server.app_url("casebook"))
        tab.wait_for_selector(".cb-app", timeout=90_000)
    first.bring_to_front()
    first.wait_for_selector("#cb-reconnect[data-shown='true']", timeout=40_000)
    assert "meer pagina's van het casebook open" in first.locator("#cb-reconnect-text").inner_text()
    loads = first.evaluate("performance.getEntriesByType('navigation').length")
    first.wait_for_timeout(5_000)
    assert first.evaluate("performance.getEntriesByType('navigation').length") == loads  # no reload by itself
    first.click("#cb-reconnect-retry")  # "Opnieuw openen": the page comes back as the same participant
    first.wait_for_selector(".cb-header-bar:has-text('Reiger')", timeout=90_000)
    context.close()


def test_the_kernel_of_a_page_that_never_connects_goes_within_seconds(server, browser):
    # a script that does what the light answer's script says, and then runs nothing of the page
    cookies = page_cookies(server.app_url("participant"))
    answer = httpx.get(server.app_url("participant"), headers={"Cookie": cookie_header(cookies)}, timeout=120)
    unconnected = kernel_id_of(answer.text)
    # one whose script ran as far as its first question (a browser still loading the app's scripts)
    cookies = page_cookies(server.app_url("participant"))
    answer = httpx.get(server.app_url("participant"), headers={"Cookie": cookie_header(cookies)}, timeout=120)
    loading = kernel_id_of(answer.text)
    httpx.get(f"{server.url}/casebook/alive", params={"kernel": loading}, timeout=30).raise_for_status()
    # a real page, opened at the same moment, that does connect
    page = browser.new_context().new_page()
    page.goto(server.app_url("participant"))
    page.wait_for_selector(".cb-pseudonym", timeout=60_000)
    connected = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    assert kernel_exists(server, unconnected)
    deadline = time.monotonic() + 40  # the budget says 20 s, the server looks every 2 s
    while kernel_exists(server, unconnected) and time.monotonic() < deadline:
        time.sleep(1)
    assert not kernel_exists(server, unconnected)
    assert "did not connect within 20 s" in server.log_path.read_text()
    assert kernel_exists(server, connected)  # the connected page keeps its kernel (culled only when idle)
    assert kernel_exists(server, loading)  # a loading page gets 2 minutes to connect
    page.context.close()


@pytest.fixture(scope="module")
def small_server(tmp_path_factory, test_cache):
    """A server with room for 9 kernels: 5 preheated (1 participant, 4 apps) and 4 more."""
    server = VoilaServer(tmp_path_factory.mktemp("full"), env={"CASEBOOK_CACHE": str(test_cache)}, pool=1,
                         args=["--max-pages", "9"]).start()
    wait_for_warm_pools(server, 1 + APPS)
    yield server
    server.stop()


def open_as_a_script(url: str) -> httpx.Response:
    """A new browser each time (its own cookies) that runs nothing of the page."""
    cookies = page_cookies(url)
    return httpx.get(url, headers={"Cookie": cookie_header(cookies)}, timeout=120)


def test_a_full_server_says_so_plainly_and_keeps_room_for_a_running_session(small_server, browser):
    session = new_session(small_server, "vp-001")  # a running session: its screens get kept room
    answers = [open_as_a_script(small_server.app_url("participant")) for _ in range(8)]
    served = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 503]
    assert served and refused and len(served) + len(refused) == 8
    assert len(kernel_processes(small_server)) <= 9
    for answer in refused:
        assert "Het casebook is even vol" in answer.text and "kernelId" not in answer.text
        assert answer.headers["Retry-After"] == "60"
    # the session's projector and facilitator still open, twice each: the room kept for them
    for screen in ("projector_url", "projector_url", "facilitator_url"):
        answer = open_as_a_script(session[screen])
        assert answer.status_code == 200 and "kernelId" in answer.text, screen
    assert open_as_a_script(small_server.app_url("participant")).status_code == 503  # still full for others
    assert len(kernel_processes(small_server)) <= 9
    assert "server full" in small_server.log_path.read_text()
    # what a participant sees in a real browser, in Dutch and in English
    page = browser.new_context().new_page()
    page.goto(small_server.app_url("participant", "code=" + session["code"]))
    assert page.locator("h1").inner_text() == "Het casebook is even vol"
    assert page.locator(".cb-server-full").count() == 1
    page.goto(small_server.app_url("participant", "lang=en"))
    assert page.locator("h1").inner_text() == "The casebook is full for now"
    page.context.close()


def test_a_participant_arriving_while_the_pools_warm_joins(tmp_path, test_cache, browser):
    """Right after a start, before the pools are warm: the page arrives, and works."""
    server = VoilaServer(tmp_path, env={"CASEBOOK_CACHE": str(test_cache)}, pool=12)
    session = new_session(server, "vp-001")  # made before the server starts: the store is the data folder's
    try:
        server.start()
        warming = len(kernel_processes(server))
        page = browser.new_context().new_page()
        page.goto(session["participant_url"])
        page.fill(".cb-pseudonym input", "Vroege vogel")
        page.click(".cb-join", timeout=60_000)
        page.wait_for_selector(".cb-phase", timeout=60_000)
        assert warming < 12 + APPS  # it arrived while the pools were still warming
        # the pools never started all their kernels at once (Voila would start 16 together)
        assert max_kernels_starting_together(server) <= 3
        page.context.close()
    finally:
        server.stop()


def max_kernels_starting_together(server) -> int:
    """The most 'Kernel started' lines in the log within one second."""
    seconds = re.findall(r"^(\d\d:\d\d:\d\d) \[CasebookVoila\] Kernel started", server.log_path.read_text(), re.M)
    return max((seconds.count(second) for second in set(seconds)), default=0)
