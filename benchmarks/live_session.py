"""Live-session benchmark: prints numbers beside the targets of DESIGN.md §9 (not a test).

    .venv/bin/python benchmarks/live_session.py [--participants 30] [--close-wait 300]

Starts ``casebook serve`` as a user would (preheated pool sized for the group), then measures:
1. the server: the participant page requested N times at once over HTTP, time until it arrived;
2. one browser: page opened -> join usable, and join -> item toggles usable (median of 5);
3. a vote stored -> shown on the facilitator's page (p95 of 20);
4. RSS of the kernels that served participant pages;
5. kernels of closed pages still alive after --close-wait seconds (Voila culls idle kernels).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casebook.serve import pool_sizes  # noqa: E402
from tests.servers import CHROMIUM, CHROMIUM_ARGS, VoilaServer  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def kernel_pids(server: VoilaServer) -> list[int]:
    # casebook serve starts its pages' kernels as casebook.kernel (casebook/jupyter/kernels)
    found = subprocess.run(["pgrep", "-P", str(server.process.pid), "-f", "ipykernel|casebook[.]kernel"],
                           capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--close-wait", type=float, default=300, help="seconds to wait after closing pages")
    args = parser.parse_args()
    n = args.participants
    tmp = Path(tempfile.mkdtemp(prefix="casebook-bench-"))
    print(f"starting casebook serve with a participant pool of {n} ...", flush=True)
    started = time.monotonic()
    server = VoilaServer(tmp, pool=n).start(timeout=600)
    print(f"  pools filled after {time.monotonic() - started:.1f} s", flush=True)
    wait_until_idle(server)
    print(f"  every preheated kernel idle (notebook run, waiting for its page) after "
          f"{time.monotonic() - started:.1f} s", flush=True)
    env = {**server.env, "CASEBOOK_PUBLIC_URL": server.url}
    session = json.loads(subprocess.run(
        [sys.executable, "-m", "casebook.cli", "session", "new", "--cases", "vp-003", "--format", "json"],
        env=env, capture_output=True, text=True, check=True).stdout)
    from casebook import sessions
    from casebook.store import Store

    store = Store(f"sqlite:///{server.env['CASEBOOK_DATA']}/casebook.db")
    control = sessions.FacilitatorControl(store, session["code"], session["facilitator_url"].split("key=")[1])
    results = {}
    try:
        # 1. the server: N simultaneous requests of the participant page
        before = set(kernel_pids(server))
        times: list[float] = []

        def fetch():
            t0 = time.monotonic()
            urllib.request.urlopen(session["participant_url"], timeout=120).read()
            times.append(time.monotonic() - t0)

        threads = [threading.Thread(target=fetch) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results["http_p50"], results["http_p95"] = statistics.median(times), p95(times)
        print(f"1. {n} simultaneous participant page requests: median {results['http_p50']:.2f} s, "
              f"p95 {results['http_p95']:.2f} s", flush=True)
        time.sleep(3)
        page_kernels = [pid for pid in kernel_pids(server) if pid in before]  # the pool's kernels were used
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            # 2. one browser, cache warm: page opened -> usable, join -> toggles usable
            control.go_to(2)  # voting, so that joining shows the toggles
            wait_for_refill(server, len(before), n)  # let the pool refill after the burst
            kernels_before = len(kernel_pids(server))
            warm = browser.new_context()
            warm_page = warm.new_page()
            warm_page.goto(session["participant_url"], timeout=180_000)
            warm_page.wait_for_selector(".cb-join", timeout=180_000)  # the browser's cache is warm now
            usable, toggles = [], []
            wait_for_refill(server, kernels_before, 1)
            for index in range(5):
                kernels_before = len(kernel_pids(server))
                # one browser is one participant: a new person each time, the HTTP cache stays warm
                warm.clear_cookies()
                t0 = time.monotonic()
                warm_page.goto(session["participant_url"])
                warm_page.wait_for_selector(".cb-join:not([disabled])", state="visible", timeout=120_000)
                usable.append(time.monotonic() - t0)
                warm_page.fill(".cb-pseudonym input", f"bench {index}")
                t1 = time.monotonic()
                warm_page.click(".cb-join")
                warm_page.wait_for_selector(".cb-item-beloftes-doen:not([disabled])", state="visible")
                toggles.append(time.monotonic() - t1)
                wait_for_refill(server, kernels_before, 1)
            results["page_usable"] = statistics.median(usable)
            results["join_to_toggles"] = statistics.median(toggles)
            print(f"2. one browser: page opened -> join usable, median of 5: {results['page_usable']:.2f} s; "
                  f"join -> item toggles usable: {results['join_to_toggles']:.2f} s; "
                  f"together {results['page_usable'] + results['join_to_toggles']:.2f} s", flush=True)
            # 3. vote stored -> facilitator's page shows it
            facilitator = browser.new_context().new_page()
            facilitator.goto(session["facilitator_url"])
            facilitator.wait_for_selector(".cb-start")
            facilitator.click(".cb-start")  # the first click starts the page's ticker
            voters = [sessions.join(store, session["code"], f"v{i}") for i in range(20)]
            latencies = []
            base = sessions.state(store, session["code"]).voters[1]
            for index, voter in enumerate(voters, start=1):
                t0 = time.monotonic()
                sessions.cast_vote(store, session["code"], voter, 0, 1, ["beloftes-doen"])
                facilitator.wait_for_selector(f".cb-vote-count [data-voters='{base + index}']", timeout=30_000)
                latencies.append(time.monotonic() - t0)
                time.sleep(0.37)  # votes arrive at random moments of the ticker's second
            results["vote_p50"], results["vote_p95"] = statistics.median(latencies), p95(latencies)
            print(f"3. vote -> facilitator page: median {results['vote_p50']:.2f} s, p95 {results['vote_p95']:.2f} s",
                  flush=True)
            # 4. memory of the kernels that served participant pages
            sizes = [rss_mb(pid) for pid in page_kernels if Path(f"/proc/{pid}").exists()]
            results["rss_median"] = statistics.median(sizes) if sizes else float("nan")
            results["rss_max"] = max(sizes) if sizes else float("nan")
            print(f"4. RSS of {len(sizes)} participant kernels: median {results['rss_median']:.0f} MB, "
                  f"max {results['rss_max']:.0f} MB", flush=True)
            browser.close()
        # 5. kernels of closed pages: every page is closed now
        print(f"5. all pages closed; waiting {args.close_wait:.0f} s ...", flush=True)
        time.sleep(args.close_wait)
        # what may stay: the preheated kernels waiting for the next page (pools refill after use)
        standby = sum(pool["pool_size"] for pool in pool_sizes(n).values())
        now = len(kernel_pids(server))
        results["kernels_alive"] = max(0, now - standby)
        print(f"   kernels now: {now}, of which {standby} preheated and waiting for a page; "
              f"kernels of closed pages still alive: {results['kernels_alive']}", flush=True)
    finally:
        server.stop()
        store.dispose()
    print()
    print("| what | target | measured |")
    print("|---|---|---|")
    print(f"| {n} simultaneous requests of the participant page: p95 until it arrived | <= 0.5 s | "
          f"{results.get('http_p95', float('nan')):.2f} s (median {results.get('http_p50', float('nan')):.2f} s) |")
    print(f"| one browser: page opened -> item toggles usable, median of 5 | <= 1.0 s | "
          f"{results.get('page_usable', float('nan')):.2f} s to a usable page, "
          f"+{results.get('join_to_toggles', float('nan')):.2f} s from join to toggles |")
    print(f"| a vote cast -> shown on the facilitator view, p95 | <= 0.3 s | {results.get('vote_p95', float('nan')):.2f} s |")
    print(f"| memory per participant kernel | <= 60 MB RSS | {results.get('rss_median', float('nan')):.0f} MB median, "
          f"{results.get('rss_max', float('nan')):.0f} MB max |")
    print(f"| kernels alive {args.close_wait / 60:.0f} min after every page closed | 0 | {results.get('kernels_alive', 'n/a')} |")


if __name__ == "__main__":
    main()
