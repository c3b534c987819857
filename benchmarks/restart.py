"""Restart benchmark: open participant pages after a server restart, until usable (not a test).

    .venv/bin/python benchmarks/restart.py [--participants 30] [--timeout 300]

Prints numbers beside the target in docs/benchmarks.md, "after a server restart: 30 open participant pages
usable again, same participants: <= 30 s, 0 counted twice". It starts ``casebook serve`` as a
user would (a preheated pool sized for the group), makes a session with the CLI, and opens N
participant pages in one headless Chromium, one browser context (one person, one cookie) each.
Each joins under its own pseudonym and votes in round 1 (a facilitator page moves the session
to the vote). Then the server is stopped and started again on the same port and data folder,
and nobody touches the pages: each page is *usable again* once its heartbeat (``.cb-heartbeat``,
echoed by its kernel once a second) changes again after the old server was gone, while its
session panel (``.cb-phase``) shows. Seconds are counted from the restart command.

Each page records its own events (heartbeat changes, the reconnect message, page loads) with
the browser's wall clock in ``sessionStorage``, which survives the page's own reload, so the
times do not depend on how quickly this script gets round to asking 30 pages.

Plain Voila is not run for comparison: a plain ``voila`` page whose server restarted stays dead
(its kernel is gone; nothing reloads it, and a reload would join anew). The comparison printed
instead is the lower bound of any recovery: one participant page reloaded by hand once the
server is back and quiet, until usable by the same rule.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _browsers import (BROWSER_NICE, browser_cpu_seconds, browsers_in_the_background,  # noqa: E402
                       machine_busy_seconds)
from live_session import kernel_pids, p95, wait_until_idle  # noqa: E402  (benchmarks/, the script's folder)
from tests.servers import CHROMIUM, CHROMIUM_ARGS, VoilaServer  # noqa: E402

VOTE_ITEMS = ["beloftes-doen", "soms-doortastend-optreden", "zelf-keuze-laten-maken", "oordelen"]

# Runs in every document of every page (also after the page reloads itself) and logs, with the
# wall clock, each change of the heartbeat (and whether the session panel showed then), the
# first showing of the reconnect message, and each page load.
RECORDER = """
(() => {
  const KEY = "cb-bench-events";
  const log = (kind, extra) => {
    let events = [];
    try { events = JSON.parse(sessionStorage.getItem(KEY) || "[]"); } catch (e) {}
    events.push(Object.assign({kind, t: Date.now()}, extra || {}));
    const beats = events.filter(e => e.kind === "beat");
    if (beats.length > 60) { events.splice(events.indexOf(beats[0]), 1); }
    sessionStorage.setItem(KEY, JSON.stringify(events));
  };
  log("load", {origin: Math.round(performance.timeOrigin)});
  let lastBeat = null, reconnectShown = false;
  setInterval(() => {
    const heart = document.querySelector(".cb-heartbeat");
    if (heart) {
      const beat = heart.textContent;
      if (lastBeat !== null && beat !== lastBeat) {
        const phase = document.querySelector(".cb-phase");
        log("beat", {phase: !!phase && phase.getClientRects().length > 0 && phase.textContent.trim() !== ""});
      }
      lastBeat = beat;
    }
    const box = document.getElementById("cb-reconnect");
    const shown = !!box && box.getAttribute("data-shown") === "true";
    if (shown && !reconnectShown) { log("reconnect"); }
    reconnectShown = shown;
  }, 100);
})();
"""

EVENTS = "() => JSON.parse(sessionStorage.getItem('cb-bench-events') || '[]')"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def first_usable(events: list[dict], after_ms: float) -> float | None:
    """The wall-clock ms of the first heartbeat change after ``after_ms`` with the session panel shown."""
    for event in events:
        if event["kind"] == "beat" and event["phase"] and event["t"] > after_ms:
            return event["t"]
    return None


def events_of(page) -> list[dict]:
    """The page's event log; an empty list while the page is between documents."""
    try:
        return page.evaluate(EVENTS)
    except Exception:  # noqa: BLE001 - a navigation in progress destroys the context; ask again later
        return []


def describe(page) -> str:
    """What a page that did not come back shows: heartbeat, ticker button, reconnect message, text."""
    try:
        return json.dumps(page.evaluate("""() => ({
          app: !!document.querySelector(".cb-app"),
          heartbeat: (document.querySelector(".cb-heartbeat") || {}).textContent,
          ticker_button: ((document.querySelector(".cb-ticker button i") || {}).className),
          reconnect_message: document.getElementById("cb-reconnect")?.getAttribute("data-shown") === "true"
            ? document.getElementById("cb-reconnect-text").textContent : null,
          ready_state: document.readyState,
          text: document.body ? document.body.innerText.replace(/\\s+/g, " ").slice(0, 120) : null})"""),
          ensure_ascii=False)
    except Exception as error:  # noqa: BLE001 - between documents
        return f"({type(error).__name__})"


def new_session(server: VoilaServer, *cases: str) -> dict:
    """A session made with the CLI, as a trainer does (see tests/test_browser_session.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "casebook.cli", "session", "new", "--cases", ",".join(cases), "--format", "json"],
        env={**server.env, "CASEBOOK_PUBLIC_URL": server.url}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def open_page(browser, url: str, width: int = 430, height: int = 900):
    """A page in a browser context of its own: one person with their own cookie."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(RECORDER)
    page = context.new_page()
    page.problems = []  # the browser's own errors, shown for a page that does not come back
    page.on("pageerror", lambda error: page.problems.append(f"{time.time():.0f} pageerror: {error}"[:300]))
    page.on("console", lambda message: message.type == "error" and page.problems.append(
        f"{time.time():.0f} console: {message.text}"[:300]))
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_selector(".cb-app")
    return page


def store_counts(server: VoilaServer, code: str) -> tuple[int, int]:
    """Participants of the session and ballots of round 1 of its first case, as the store has them."""
    from casebook import sessions
    from casebook.store import Store

    store = Store(f"sqlite:///{server.env['CASEBOOK_DATA']}/casebook.db")
    try:
        state = sessions.state(store, code)
        return state.participants, sessions.results(store, code, 0, 1).voters
    finally:
        store.dispose()


def wait_for_pool(server: VoilaServer, wanted: int, timeout: float = 180) -> int:
    """Wait until the server runs ``wanted`` kernels (open pages plus a refilled pool) or stops growing."""
    deadline, last, stable_since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(kernel_pids(server))
        if count >= wanted:
            return count
        if count != last:
            last, stable_since = count, time.monotonic()
        elif time.monotonic() - stable_since > 20:
            return count
        time.sleep(1)
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the pages after the restart")
    parser.add_argument("--browsers-first", action="store_true",
                        help="leave Chromium's own priority (nice -8) instead of the devices' stand-in (_browsers.py)")
    args = parser.parse_args()
    n = args.participants
    tmp = Path(tempfile.mkdtemp(prefix="casebook-restart-"))
    loads = {"at start": load_average()}
    print(f"starting casebook serve with a participant pool of {n} (load average {loads['at start']}) ...",
          flush=True)
    started = time.monotonic()
    server = VoilaServer(tmp, pool=n).start(timeout=600)
    wait_until_idle(server)
    print(f"  pools filled and idle after {time.monotonic() - started:.1f} s", flush=True)
    session = new_session(server, "vp-003")
    from playwright.sync_api import sync_playwright

    results: dict = {}
    # stopped from outside (timeout, Ctrl-C): still stop the server and its kernels
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    try:
        with browsers_in_the_background(enabled=not args.browsers_first), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            facilitator = open_page(browser, session["facilitator_url"], 1300, 900)
            facilitator.click(".cb-next-phase")
            facilitator.click(".cb-next-phase")
            facilitator.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')")
            print(f"opening {n} participant pages, joining and voting ...", flush=True)
            pages, pseudonyms = [], []
            t_open = time.monotonic()
            for index in range(n):
                pseudonym = f"Deelnemer {index + 1:02d}"
                page = open_page(browser, session["participant_url"])
                page.fill(".cb-pseudonym input", pseudonym)
                page.click(".cb-join")
                page.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')")
                page.click(f".cb-item-{VOTE_ITEMS[index % len(VOTE_ITEMS)]}")
                page.click(".cb-submit")
                page.wait_for_selector(".cb-vote-status:has-text('opgeslagen')")
                pages.append(page)
                pseudonyms.append(pseudonym)
            print(f"  {n} pages joined and voted in {time.monotonic() - t_open:.0f} s", flush=True)
            participants, votes = store_counts(server, session["code"])
            print(f"  the store before the restart: {participants} participants, {votes} votes in round 1",
                  flush=True)
            if (participants, votes) != (n, n):
                raise SystemExit(f"expected {n} participants and {n} votes before the restart")
            time.sleep(10)  # every page ticking steadily
            hidden = sum(page.evaluate("document.visibilityState") != "visible" for page in pages)
            loads["before the restart"] = load_average()
            print(f"  pages not visible (their timers slowed): {hidden}; load average {loads['before the restart']}",
                  flush=True)

            # the restart: VoilaServer.restart() is stop() then start(); called apart to note when the
            # old server was gone (a heartbeat change after that is the new kernel's)
            print("restarting the server ...", flush=True)
            t_restart = time.time()
            busy_at_restart, browsers_at_restart = machine_busy_seconds(), browser_cpu_seconds()
            server.stop()
            t_down = time.time()
            server.start(timeout=600)
            t_up = time.time()
            results["server_down"] = t_down - t_restart
            results["server_up"] = t_up - t_restart
            print(f"  old server gone after {results['server_down']:.1f} s, new one answering after "
                  f"{results['server_up']:.1f} s", flush=True)

            usable: dict[int, float] = {}
            peak_load, said = 0.0, time.time()
            deadline = time.time() + args.timeout
            while len(usable) < n and time.time() < deadline:
                for index, page in enumerate(pages):
                    if index not in usable:
                        found = first_usable(events_of(page), t_down * 1000)
                        if found is not None:
                            usable[index] = found / 1000 - t_restart
                peak_load = max(peak_load, float(load_average().split()[0]))
                if time.time() - said > 10:
                    said = time.time()
                    print(f"  {time.time() - t_restart:.0f} s after the restart: {len(usable)} of {n} pages usable "
                          f"(load {load_average()})", flush=True)
                time.sleep(2)  # the pages time themselves; asking less often leaves them the cores
            loads["peak 1-min during the recovery"] = f"{peak_load:.2f}"
            # where the CPU went between the restart and the last page back (or the time-out)
            busy = machine_busy_seconds() - busy_at_restart
            browsers = browser_cpu_seconds() - browsers_at_restart
            results["cpu"] = (busy, browsers, busy - browsers, time.time() - t_restart)
            times = sorted(usable.values())
            print(f"\nafter a restart, {len(times)} of {n} open participant pages usable again "
                  f"(heartbeat ticking and session panel shown, no click), seconds from the restart command:")
            if times:
                print(f"  median {statistics.median(times):.1f} s, p95 {p95(times):.1f} s, max {max(times):.1f} s "
                      f"(target <= 30 s)")
                results["usable"] = times
            print(f"  server: old one gone after {results['server_down']:.1f} s, new one answering after "
                  f"{results['server_up']:.1f} s", flush=True)
            logs = [events_of(page) for page in pages]
            reloads = [sum(1 for e in log if e["kind"] == "load" and e["t"] > t_restart * 1000) for log in logs]
            noticed = [min((e["t"] / 1000 - t_restart for e in log
                            if e["kind"] == "reconnect" and e["t"] > t_restart * 1000), default=None) for log in logs]
            # where the time goes: the server's start, the page's reload, then its kernel and drawing
            reloaded = [min((e["t"] / 1000 - t_restart for e in log
                             if e["kind"] == "load" and e["t"] > t_down * 1000),
                            default=None) for log in logs]
            phases = [(r, usable[i]) for i, r in enumerate(reloaded) if r is not None and i in usable]
            if phases:
                results["reloaded"] = statistics.median(r for r, _ in phases)
                results["reload_to_usable"] = statistics.median(u - r for r, u in phases)
                print(f"  where the time goes (medians, s from the restart command): new server answering "
                      f"{results['server_up']:.1f}; page reloaded {statistics.median(r for r, _ in phases):.1f}; "
                      f"usable {statistics.median(u for _, u in phases):.1f}; from its reload to usable "
                      f"{statistics.median(u - r for r, u in phases):.1f} (p95 {p95([u - r for r, u in phases]):.1f})",
                      flush=True)
            busy, browsers, server_side, span = results["cpu"]
            print(f"  CPU in those {span:.0f} s: {busy:.0f} CPU-s in all ({busy / span:.2f} of {os.cpu_count()} "
                  f"cores busy), Chromium {browsers:.0f}, the rest (server, kernels, this script) {server_side:.0f}: "
                  f"{server_side / n:.1f} CPU-s per page, so {server_side / os.cpu_count():.0f} s at the least for "
                  f"{n} pages on {os.cpu_count()} cores even with the browsers elsewhere", flush=True)
            shown = [s for s in noticed if s is not None]
            if shown:
                print(f"  pages showed the reconnect message after median {statistics.median(shown):.1f} s "
                      f"({len(shown)} pages); reloads per page: {min(reloads)}-{max(reloads)}", flush=True)
            for index in sorted(set(range(n)) - set(usable)):
                print(f"  page {index + 1} did not come back: reloaded itself {reloads[index]} times; now "
                      f"{describe(pages[index])}", flush=True)
                for problem in [p for p in pages[index].problems if float(p.split()[0]) > t_restart][-4:]:
                    print(f"    {problem}", flush=True)
            facilitator_back = None
            while facilitator_back is None and time.time() < deadline + 30:
                facilitator_back = first_usable(events_of(facilitator), t_down * 1000)
                time.sleep(0.5)
            print("  facilitator page usable again after "
                  + (f"{facilitator_back / 1000 - t_restart:.1f} s" if facilitator_back else "— (did not come back)"))
            who = []
            for index in sorted(usable):
                try:
                    who.append((pseudonyms[index], pages[index].locator(".cb-who").inner_text(timeout=10_000),
                                pages[index].locator(".cb-vote-status").inner_text(timeout=10_000)))
                except Exception as error:  # noqa: BLE001 - counted as not shown
                    who.append((pseudonyms[index], f"({type(error).__name__})", ""))
            same_person = sum(pseudonym in text for pseudonym, text, _ in who)
            vote_shown = sum("opgeslagen" in status for _, _, status in who)
            print(f"  of the pages that came back: own pseudonym shown on {same_person}, own vote shown as saved "
                  f"on {vote_shown}")
            participants_after, votes_after = store_counts(server, session["code"])
            results["twice"], results["lost"] = participants_after - n, n - votes_after
            print(f"  the store after the restart: {participants_after} participants "
                  f"({participants_after - n} counted twice), {votes_after} votes in round 1 "
                  f"({n - votes_after} lost)", flush=True)

            # the comparison: one page reloaded by hand once the server is back and its pools refilled
            wait_for_pool(server, n + n + 4 + 1)
            time.sleep(5)
            loads["before the plain reloads"] = load_average()
            plain = []
            for _ in range(3):
                t0 = time.time()
                try:
                    pages[0].reload(timeout=60_000)
                except Exception as error:  # noqa: BLE001 - counted as not usable, the run's figures kept
                    print(f"  the reload by hand did not finish: {type(error).__name__}", flush=True)
                found = None
                while found is None and time.time() < t0 + 60:
                    found = first_usable(events_of(pages[0]), t0 * 1000)
                    time.sleep(0.1)
                plain.append(found / 1000 - t0 if found else None)
                time.sleep(5)
            done = [s for s in plain if s is not None]
            results["by_hand"] = statistics.median(done) if done else None
            print("  comparison (plain Voila's pages stay dead): one participant page reloaded by hand with the "
                  "server back, until usable by the same rule: "
                  + ", ".join(f"{s:.1f} s" if s is not None else "not usable within 60 s" for s in plain)
                  + (f" (median {statistics.median(done):.1f} s)" if done else ""))
            browser.close()
    finally:
        server.stop()
    print("  load average (1, 5, 15 min; 2 cores): " + "; ".join(f"{k}: {v}" for k, v in loads.items()))
    print(f"  server log: {server.log_path}")
    times = results.get("usable") or []
    rows = [
        [f"{n} open participant pages usable again after a restart: median / p95 / max", "<= 30 s",
         f"{statistics.median(times):.1f} / {p95(times):.1f} / {max(times):.1f} s ({len(times)} of {n})" if times else f"0 of {n}"],
        ["the new server answering", "", f"{results['server_up']:.1f} s" if "server_up" in results else "n/a"],
        ["a page reloaded itself, median", "", f"{results['reloaded']:.1f} s" if "reloaded" in results else "n/a"],
        ["from its reload to usable, median", "", f"{results['reload_to_usable']:.1f} s" if "reload_to_usable" in results else "n/a"],
        ["CPU in the recovery: all / Chromium / server and kernels (per page)", "",
         "{:.0f} / {:.0f} / {:.0f} CPU-s ({:.1f})".format(*results["cpu"][:3], results["cpu"][2] / n)
         if "cpu" in results else "n/a"],
        ["participants counted twice / votes lost", "0 / 0", f"{results.get('twice', 'n/a')} / {results.get('lost', 'n/a')}"],
        ["one page reloaded by hand with the server back (plain Voila's pages stay dead)", "",
         f"{results['by_hand']:.1f} s" if results.get("by_hand") else "n/a"],
    ]
    from _report import record  # benchmarks/, the script's own folder

    written = record("restart", ["what", "target", "casebook serve"], rows,
                     title="After a server restart (benchmarks/restart.py)",
                     notes="Seconds from the restart command. "
                           + ("Chromium at its own priority (--browsers-first). " if args.browsers_first else
                              f"The 30 pages' Chromium at nice {BROWSER_NICE}, standing in for the participants' own "
                              "devices (benchmarks/_browsers.py). ")
                           + "Load averages: "
                           + "; ".join(f"{k}: {v}" for k, v in loads.items()),
                     command="benchmarks/restart.py " + " ".join(sys.argv[1:]))
    print(f"written to {written}")


if __name__ == "__main__":
    main()
