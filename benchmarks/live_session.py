"""Live-session benchmark: prints numbers beside its targets in docs/benchmarks.md (not a test).

    .venv/bin/python benchmarks/live_session.py [--participants 30] [--close-wait 300]

Starts ``casebook serve`` as a user would (preheated pool sized for the group), then measures:
1. the server: the participant page requested N times at once over HTTP, time until it arrived;
2. one browser: page opened -> join usable, and join -> item toggles usable (median of 5);
3. a vote stored -> shown on the facilitator's page, and on a participant's page (p95 of 20 each);
4. RSS of the kernels that served participant pages;
5. kernels of closed pages still alive after --close-wait seconds (Voila culls idle kernels);
6. the light first answer, and 100 loads by clients that run no script and keep no cookie (link
   previewers, crawlers, scripts; 8 at a time): extra kernels at the peak and 60 s later, and a
   real participant's page in the middle of it;
7. two fresh starts: a group of 12 opening the page at once as the server answers, and
   ``--arrive-after`` seconds later, while the pools still warm (``--no-warm-up`` skips them).
Then plain ``voila notebooks/participant.ipynb`` on the same store, same machine, same run: 1, 2,
the participant's page of 3, 4, a group of 12 at once and the flood of 6 (plain Voila cannot serve the facilitator's page from that
notebook), printed side by side with the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casebook.serve import pool_sizes  # noqa: E402
from _browsers import machine_busy_seconds  # noqa: E402  (benchmarks/, the script's folder)
from tests.servers import CHROMIUM, CHROMIUM_ARGS, PAGE_COOKIE_SCRIPT, VoilaServer, free_port  # noqa: E402

CASE = "vp-003"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def kernel_pids_of(server_pid: int) -> list[int]:
    # casebook serve starts its pages' kernels as casebook.kernel (casebook/jupyter/kernels)
    found = subprocess.run(["pgrep", "-P", str(server_pid), "-f", "ipykernel|casebook[.]kernel"],
                           capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def pids_of_kernels(server_pid: int, kernel_ids: list[str]) -> list[int]:
    """The processes of these kernels (their id is in the connection file's name)."""
    pids = []
    for pid in kernel_pids_of(server_pid):
        try:
            if any(kernel_id in Path(f"/proc/{pid}/cmdline").read_text() for kernel_id in kernel_ids):
                pids.append(pid)
        except OSError:
            pass
    return pids


def kernel_pid(server_pid: int, kernel_id: str) -> int | None:
    return next(iter(pids_of_kernels(server_pid, [kernel_id])), None)


def kernel_pids(server: VoilaServer) -> list[int]:
    return kernel_pids_of(server.process.pid)


def load_averages() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def wait_until_idle(server: VoilaServer, quiet: float = 0.05, timeout: float = 600) -> float:
    """Pools count as filled once their kernels started; wait until they also ran the notebooks.
    The kernels' CPU says so; the server's does not (it keeps a heartbeat with every kernel)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pids = kernel_pids(server)
        before = cpu_seconds(pids)
        time.sleep(2)
        if cpu_seconds(pids) - before < quiet * 2:
            break
    return time.monotonic() - started


def wait_for_refill(server: VoilaServer, kernels_before: int, used: int) -> None:
    """Wait until the pool replaced the ``used`` kernels that pages took (Voila refills
    a second after a page took one) and the new kernels ran the notebook."""
    deadline = time.monotonic() + 60
    while len(kernel_pids(server)) < kernels_before + used and time.monotonic() < deadline:
        time.sleep(1)
    wait_until_idle(server)


def fetch_as_a_browser(url: str, timeout: float = 300) -> str:
    """A first visit: the casebook's light first answer, what its script does (the page cookie),
    then the page itself; plain Voila answers the page at once."""
    answer = urllib.request.urlopen(url, timeout=timeout)
    page = answer.read().decode()
    script = PAGE_COOKIE_SCRIPT.search(page)
    if script is None:
        return page
    browser = re.search(r"casebook_browser=([0-9a-f]+)", " ".join(answer.headers.get_all("Set-Cookie") or [])).group(1)
    request = urllib.request.Request(url, headers={"Cookie": f"casebook_browser={browser}; {script.group(1)}={script.group(2)}"})
    return urllib.request.urlopen(request, timeout=timeout).read().decode()


def burst(url: str, n: int, kernel_ids: list[str] | None = None) -> list[float]:
    """``n`` simultaneous requests of ``url``: the seconds until each page arrived (and each
    page's kernel in ``kernel_ids``)."""
    times: list[float] = []

    def fetch():
        t0 = time.monotonic()
        page = fetch_as_a_browser(url)
        times.append(time.monotonic() - t0)
        if kernel_ids is not None:
            kernel_ids.append(re.search(r'"kernelId": "([^"]+)"', page).group(1))

    threads = [threading.Thread(target=fetch) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def wait_until_warm(server: VoilaServer, kernels: int, timeout: float = 600) -> float:
    """Until the server runs ``kernels`` kernels and all of them ran their notebook (their CPU is
    quiet): a truly warm pool. Seconds waited."""
    started = time.monotonic()
    while len(kernel_pids(server)) < kernels and time.monotonic() - started < timeout:
        time.sleep(0.5)
    wait_until_idle(server)
    return time.monotonic() - started


def arrivals_while_warming(tmp: Path, n: int, group: int, after: float, results: dict, key: str) -> None:
    """A fresh ``casebook serve`` (pool ``n``): ``after`` seconds after it answers, while its pools
    still warm, a group of ``group`` opens the participant page at once (each a new browser)."""
    tmp.mkdir(parents=True, exist_ok=True)
    server = VoilaServer(tmp, pool=n).start(timeout=600)
    try:
        time.sleep(after)
        warming = len(kernel_pids(server))
        busy_before, t0 = machine_busy_seconds(), time.monotonic()
        times = burst(server.app_url("participant"), group)
        busy, span = machine_busy_seconds() - busy_before, time.monotonic() - t0
        results[key] = times
        results[f"{key}_cpu"] = busy
        print(f"   a group of {group} arriving {after:.0f} s after the server answered ({warming} of "
              f"{sum(pool_sizes(n).values())} kernels started): median {statistics.median(times):.2f} s, "
              f"p95 {p95(times):.2f} s (load {load_averages()}); the machine was busy {busy:.1f} CPU-s in "
              f"those {span:.1f} s ({busy / group:.2f} per page: {busy / os.cpu_count():.1f} s at the least "
              f"on {os.cpu_count()} cores)", flush=True)
    finally:
        server.stop()


FLOOD_CLIENT_PATIENCE = 20  # seconds a previewer or crawler waits for an answer
USER_AGENTS = ["WhatsApp/2.24.6.77 A", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
               "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               "TelegramBot (like TwitterBot)", "curl/8.5.0", "python-requests/2.32.3"]


def flood(url: str, server_pid: int, results: dict, key: str, real_page: str | None = None,
          loads: int = 100, at_once: int = 8) -> None:
    """``loads`` GETs of ``url`` by clients that run no script and keep no cookie (link
    previewers, crawlers, scripts), ``at_once`` at a time: the extra kernels at the peak and 60 s
    later, and how long a real participant's page takes in the middle of it."""
    import concurrent.futures

    before = len(kernel_pids_of(server_pid))
    peak = [before]
    done = threading.Event()

    def count() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], len(kernel_pids_of(server_pid)))

    def fetch(number: int) -> int | str:
        # a previewer or crawler gives up after some seconds; what it started goes on without it
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENTS[number % len(USER_AGENTS)]})
        try:
            return urllib.request.urlopen(request, timeout=FLOOD_CLIENT_PATIENCE).status
        except urllib.error.HTTPError as refused:
            return refused.code
        except (TimeoutError, urllib.error.URLError):
            return "gave up"

    counter = threading.Thread(target=count)
    counter.start()
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(at_once) as clients:
        statuses = list(clients.map(fetch, range(loads)))
        if real_page:  # a participant opening the page in the middle of it
            time.sleep(0.5)
            t1 = time.monotonic()
            fetch_as_a_browser(real_page)
            results[f"{key}_participant"] = time.monotonic() - t1
    took = time.monotonic() - t0
    time.sleep(2)
    done.set()
    counter.join()
    time.sleep(max(0.0, 60 - (time.monotonic() - t0)))
    results[f"{key}_peak"] = peak[0] - before
    results[f"{key}_after_60s"] = max(0, len(kernel_pids_of(server_pid)) - before)
    print(f"   {loads} loads by clients without script or cookie ({at_once} at a time, {took:.1f} s, answers "
          f"{sorted(set(map(str, statuses)))}): extra kernels at the peak {results[f'{key}_peak']}, after 60 s "
          f"{results[f'{key}_after_60s']}"
          + (f"; a participant's page meanwhile {results[f'{key}_participant']:.2f} s" if real_page else ""),
          flush=True)


def one_browser(browser, url: str, refilled=lambda: None) -> tuple[list[float], list[float]]:
    """Five new participants in one browser (cache warm): page opened -> join usable, and
    join -> item toggles usable."""
    warm = browser.new_context()
    page = warm.new_page()
    page.goto(url, timeout=300_000)
    page.wait_for_selector(".cb-join", timeout=300_000)  # the browser's cache is warm now
    refilled()
    usable, toggles = [], []
    for index in range(5):
        warm.clear_cookies()  # one browser is one participant: a new person each time
        t0 = time.monotonic()
        page.goto(url, timeout=300_000)
        page.wait_for_selector(".cb-join:not([disabled])", state="visible", timeout=300_000)
        usable.append(time.monotonic() - t0)
        page.fill(".cb-pseudonym input", f"bench {index}")
        t1 = time.monotonic()
        page.click(".cb-join")
        page.wait_for_selector(".cb-item-beloftes-doen:not([disabled])", state="visible", timeout=60_000)
        toggles.append(time.monotonic() - t1)
        refilled()
    warm.close()
    return usable, toggles


def votes_shown(store, code: str, page, voters: int = 20) -> list[float]:
    """Votes stored one at a time (at random moments of the tick) until ``page`` shows each."""
    from casebook import sessions

    people = [sessions.join(store, code, f"v{i}-{uuid.uuid4().hex[:6]}") for i in range(voters)]
    base = sessions.state(store, code).voters[1]
    latencies = []
    for index, person in enumerate(people, start=1):
        t0 = time.monotonic()
        sessions.cast_vote(store, code, person, 0, 1, ["beloftes-doen"])
        page.wait_for_selector(f".cb-vote-count [data-voters='{base + index}']", timeout=30_000)
        latencies.append(time.monotonic() - t0)
        time.sleep(0.37)
    return latencies


def participant_page(browser, url: str, pseudonym: str):
    page = browser.new_context().new_page()
    page.goto(url, timeout=300_000)
    page.fill(".cb-pseudonym input", pseudonym)
    page.click(".cb-join:not([disabled])", timeout=300_000)
    page.wait_for_selector(".cb-item-beloftes-doen", state="visible", timeout=60_000)
    return page


def measure_casebook(n: int, close_wait: float, tmp: Path, results: dict) -> str:
    """``casebook serve``; returns its data folder (plain Voila serves the same store after)."""
    from playwright.sync_api import sync_playwright

    from casebook import sessions
    from casebook.store import Store

    print(f"casebook serve with a participant pool of {n} (load {load_averages()}) ...", flush=True)
    started = time.monotonic()
    server = VoilaServer(tmp, pool=n).start(timeout=600)
    results["answering"] = time.monotonic() - started
    print(f"  answering after {results['answering']:.1f} s", flush=True)
    results["warm"] = wait_until_warm(server, sum(pool_sizes(n).values())) + results["answering"]
    print(f"  every preheated kernel warm and idle after {results['warm']:.1f} s", flush=True)
    env = {**server.env, "CASEBOOK_PUBLIC_URL": server.url}
    session = json.loads(subprocess.run(
        [sys.executable, "-m", "casebook.cli", "session", "new", "--cases", CASE, "--format", "json"],
        env=env, capture_output=True, text=True, check=True).stdout)
    code = session["code"]
    store = Store(f"sqlite:///{server.env['CASEBOOK_DATA']}/casebook.db")
    control = sessions.FacilitatorControl(store, code, session["facilitator_url"].split("key=")[1])
    try:
        before = set(kernel_pids(server))
        served: list[str] = []
        times = burst(session["participant_url"], n, served)
        results["http"] = times
        print(f"1. {n} simultaneous participant page requests: median {statistics.median(times):.2f} s, "
              f"p95 {p95(times):.2f} s (load {load_averages()})", flush=True)
        time.sleep(3)
        page_kernels = pids_of_kernels(server.process.pid, served)
        # now: pages that never connect (as these) give their kernel back within 20 s
        results["rss"] = [rss_mb(pid) for pid in page_kernels if Path(f"/proc/{pid}").exists()]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            control.go_to(2)  # voting, so that joining shows the toggles
            wait_for_refill(server, len(before), n)  # let the pool refill after the burst
            kernels = [len(kernel_pids(server))]

            def refilled():
                wait_for_refill(server, kernels[0], 1)
                kernels[0] = len(kernel_pids(server))

            results["usable"], results["toggles"] = one_browser(browser, session["participant_url"], refilled)
            print(f"2. one browser, median of 5: page opened -> join usable {statistics.median(results['usable']):.2f} s; "
                  f"join -> item toggles usable {statistics.median(results['toggles']):.2f} s", flush=True)
            facilitator = browser.new_context().new_page()
            facilitator.goto(session["facilitator_url"])
            facilitator.wait_for_selector(".cb-start")
            facilitator.click(".cb-start")  # the first click starts the page's ticker
            results["vote_facilitator"] = votes_shown(store, code, facilitator)
            print(f"3. vote -> facilitator page: median {statistics.median(results['vote_facilitator']):.2f} s, "
                  f"p95 {p95(results['vote_facilitator']):.2f} s", flush=True)
            person = participant_page(browser, session["participant_url"], "volger")
            results["vote_participant"] = votes_shown(store, code, person)
            print(f"   vote -> a participant's page: median {statistics.median(results['vote_participant']):.2f} s, "
                  f"p95 {p95(results['vote_participant']):.2f} s", flush=True)
            sizes = results["rss"]
            print(f"4. RSS of {len(sizes)} participant kernels: median {statistics.median(sizes):.0f} MB, "
                  f"max {max(sizes):.0f} MB", flush=True)
            for role in ("facilitator", "projector"):  # one more page of each, opened over HTTP
                served = []
                burst(session[f"{role}_url"], 1, served)
                time.sleep(3)
                results[f"rss_{role}"] = [rss_mb(pid) for pid in pids_of_kernels(server.process.pid, served)]
                print(f"   RSS of a {role}'s kernel: {results[f'rss_{role}'][0]:.0f} MB", flush=True)
            browser.close()
        print("6. link previews, crawlers and scripts:", flush=True)
        wait_until_idle(server)
        light = []
        for _ in range(20):  # what a first visit costs before the page itself: the light answer
            t0 = time.monotonic()
            urllib.request.urlopen(session["participant_url"], timeout=60).read()
            light.append(time.monotonic() - t0)
        results["light_answer"] = light
        print(f"   the light first answer (no kernel), one at a time: median {statistics.median(light) * 1000:.0f} ms, "
              f"p95 {p95(light) * 1000:.0f} ms", flush=True)
        flood(session["participant_url"], server.process.pid, results, "flood", real_page=session["participant_url"])
        print(f"5. all pages closed; waiting {close_wait:.0f} s ...", flush=True)
        time.sleep(close_wait)
        # what may stay: the preheated kernels waiting for the next page (pools refill after use)
        standby = sum(pool_sizes(n).values())
        now = len(kernel_pids(server))
        results["kernels_alive"] = max(0, now - standby)
        print(f"   kernels now: {now}, of which {standby} preheated and waiting for a page; "
              f"kernels of closed pages still alive: {results['kernels_alive']}", flush=True)
    finally:
        server.stop()
        store.dispose()
    return server.env["CASEBOOK_DATA"]


def start_plain_voila(data: str, tmp: Path) -> tuple[subprocess.Popen, str, object]:
    """``voila notebooks/participant.ipynb`` on the store in ``data``, answering: (its process,
    its address, its log file). At the normal CPU priority whatever this benchmark's own is."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "plain-voila.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "voila", str(ROOT / "notebooks" / "participant.ipynb"),
                                f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1"],
                               cwd=ROOT / "notebooks", env={**os.environ, "CASEBOOK_DATA": data},
                               stdout=log, stderr=subprocess.STDOUT, preexec_fn=normal_priority)
    deadline = time.monotonic() + 300
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return process, base, log
        except urllib.error.HTTPError:
            return process, base, log  # it answers
        except OSError:
            if time.monotonic() > deadline:
                process.terminate()
                log.close()
                raise TimeoutError("plain Voila did not start") from None
            time.sleep(0.5)


def normal_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    except PermissionError:  # not root: plain Voila runs at this benchmark's priority
        pass


def measure_plain_voila(n: int, data: str, tmp: Path, results: dict) -> None:
    """Plain ``voila notebooks/participant.ipynb`` on the same store: the same page measurements."""
    from playwright.sync_api import sync_playwright

    from casebook import sessions
    from casebook.store import Store

    process, base, log = start_plain_voila(data, tmp)
    store = Store(f"sqlite:///{data}/casebook.db")
    try:
        created = sessions.create_session(store, [CASE])
        sessions.FacilitatorControl(store, created.code, created.facilitator_key).go_to(2)
        url = f"{base}/?code={created.code}"
        time.sleep(5)
        print(f"plain Voila, the same participant notebook and store (load {load_averages()})", flush=True)
        served: list[str] = []
        times = burst(url, n, served)
        results["plain_http"] = times
        print(f"1. {n} simultaneous participant page requests: median {statistics.median(times):.2f} s, "
              f"p95 {p95(times):.2f} s", flush=True)
        time.sleep(5)
        sizes = [rss_mb(pid) for pid in pids_of_kernels(process.pid, served)]
        results["plain_rss"] = sizes
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            results["plain_usable"], results["plain_toggles"] = one_browser(browser, url)
            print(f"2. one browser, median of 5: page opened -> join usable "
                  f"{statistics.median(results['plain_usable']):.2f} s; join -> item toggles usable "
                  f"{statistics.median(results['plain_toggles']):.2f} s", flush=True)
            person = participant_page(browser, url, "volger")
            results["plain_vote_participant"] = votes_shown(store, created.code, person)
            print(f"3. vote -> a participant's page: median "
                  f"{statistics.median(results['plain_vote_participant']):.2f} s, "
                  f"p95 {p95(results['plain_vote_participant']):.2f} s", flush=True)
            browser.close()
        print(f"4. RSS of {len(sizes)} participant kernels: median {statistics.median(sizes):.0f} MB", flush=True)
        results["plain_group"] = burst(url, 12)
        print(f"   a group of 12 at once: p95 {p95(results['plain_group']):.2f} s", flush=True)
        flood(url, process.pid, results, "plain_flood", real_page=url)
    finally:
        process.terminate()
        process.wait(30)
        log.close()
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--close-wait", type=float, default=300, help="seconds to wait after closing pages")
    parser.add_argument("--no-plain-voila", action="store_true")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the two fresh starts with arrivals while warming")
    parser.add_argument("--only-warm-up", action="store_true", help="only the two fresh starts with arrivals while warming")
    parser.add_argument("--arrive-after", type=float, default=10,
                        help="seconds after the server answers that the second group arrives")
    args = parser.parse_args()
    n = args.participants
    tmp = Path(tempfile.mkdtemp(prefix="casebook-bench-"))
    results: dict = {}
    print(f"load averages at the start: {load_averages()} ({os.cpu_count()} cores)", flush=True)
    if args.only_warm_up:
        for after, key in ((0, "group_at_start"), (args.arrive_after, "group_later")):
            arrivals_while_warming(tmp / key, n, 12, after, results, key)
        return
    data = measure_casebook(n, args.close_wait, tmp, results)
    if not args.no_warm_up:
        print(f"7. arrivals while the pools warm (fresh starts, participant pool {n}):", flush=True)
        arrivals_while_warming(tmp / "warm-0", n, 12, 0, results, "group_at_start")
        arrivals_while_warming(tmp / "warm-later", n, 12, args.arrive_after, results, "group_later")
    if not args.no_plain_voila:
        measure_plain_voila(n, data, tmp, results)
    (tmp / "results.json").write_text(json.dumps(results, indent=1))
    print(f"raw figures: {tmp / 'results.json'}")

    def both(key: str, figure, unit: str = "s", digits: int = 2) -> str:
        mine = results.get(key)
        plain = results.get(f"plain_{key}")
        shown = f"{figure(mine):.{digits}f} {unit}" if mine else "n/a"
        if not plain:
            return f"{shown} | — |"
        ratio = figure(plain) / figure(mine) if figure(mine) else float("nan")
        return f"{shown} | {figure(plain):.{digits}f} {unit} ({ratio:.1f}x) |"

    median = statistics.median
    rows: list[list[str]] = []

    def row(line: str) -> None:
        print(line)
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])

    print()
    print("| what | target | casebook serve | plain Voila, same notebook (ratio) |")
    print("|---|---|---|---|")
    row(f"| {n} simultaneous requests of the participant page: p95 until it arrived | <= 0.5 s | "
          f"{both('http', p95)}")
    row(f"| one browser: page opened -> join usable, median of 5 | | {both('usable', median)}")
    row(f"| one browser: join -> item toggles usable, median of 5 | | {both('toggles', median)}")
    row(f"| a vote cast -> shown on the facilitator view, p95 of 20 | <= 0.3 s | {both('vote_facilitator', p95)}")
    row(f"| a vote cast -> shown on a participant's page, p95 of 20 | <= 0.3 s | {both('vote_participant', p95)}")
    row(f"| memory per participant kernel, median RSS | <= 60 MB | {both('rss', median, 'MB', 0)}")
    for role in ("facilitator", "projector"):
        if results.get(f"rss_{role}"):
            row(f"| memory of a {role}'s kernel, RSS | | {results[f'rss_{role}'][0]:.0f} MB | |")
    row(f"| kernels of closed pages alive {args.close_wait / 60:.0f} min after every page closed | 0 | "
          f"{results.get('kernels_alive', 'n/a')} | |")
    row(f"| after a start: every preheated kernel warm ({sum(pool_sizes(n).values())} kernels) | | "
          f"{results['warm']:.1f} s (answering after {results['answering']:.1f} s) | — |")
    for key, when in (("group_at_start", "as the server answers"),
                      ("group_later", f"{args.arrive_after:.0f} s after the server answers")):
        if results.get(key):
            plain = results.get("plain_group")
            row(f"| a group of 12 arriving {when}, pools still warming: p95 | <= 1 s | {p95(results[key]):.2f} s | "
                  + (f"{p95(plain):.2f} s, a group of 12 at once on a running plain Voila ({p95(plain) / p95(results[key]):.1f}x) |"
                     if plain else "— |"))

    def flood_row(what: str, suffix: str, target: str, unit: str = "") -> None:
        mine, plain = results.get(f"flood_{suffix}"), results.get(f"plain_flood_{suffix}")
        shown = (lambda v: f"{v:.2f} s" if unit == "s" else f"{v}")
        row(f"| 100 loads without script or cookie (8 at a time): {what} | {target} | "
              f"{shown(mine) if mine is not None else 'n/a'} | {shown(plain) if plain is not None else '—'} |")

    if results.get("light_answer"):
        row(f"| the light first answer to a client without the page cookie (no kernel), median of 20 | | "
              f"{statistics.median(results['light_answer']) * 1000:.0f} ms | — |")
    flood_row("extra kernels at the peak", "peak", "<= 20")
    flood_row("extra kernels 60 s later", "after_60s", "<= 5")
    flood_row("a real participant's page meanwhile", "participant", "<= 3 s", "s")

    from _report import record  # benchmarks/, the script's own folder

    written = record("live_session", ["what", "target", "casebook serve", "plain Voila, same notebook (ratio)"], rows,
                     title="A live session (benchmarks/live_session.py)",
                     command="benchmarks/live_session.py " + " ".join(sys.argv[1:]))
    print(f"written to {written}")


if __name__ == "__main__":
    main()
