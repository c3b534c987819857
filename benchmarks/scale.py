"""Scale benchmark: three groups at once on one ``casebook serve`` (not a test).

    .venv/bin/python benchmarks/scale.py [--groups 3] [--participants 12] [--browsers 3] [--idle 30]

Prints numbers beside its targets in docs/benchmarks.md (issue 14, "one machine, three groups"):

1. Each group in turn: its facilitator and projector pages, then a burst of N participants
   opening the page at once and joining: p95 until the page arrived (HTTP), and join -> the
   session shown.
2. All groups at once, two rounds: every participant votes (a few items each) at a random
   moment; per vote, the time until *every* page of its group (participants, facilitator,
   projector) shows the new count; per phase change (the facilitator's click), the time until
   every page shows the new phase. Then: every vote counted (the store's count per round).
3. Idle: all pages open and ticking as the browser does (widgets.ticker.TICK_SECONDS), nothing happening: CPU of the server and
   all kernels (percent of one core) and their RSS; then the same with the ticks stopped (only
   the kernels' own change checks run), which is what following the store costs by itself.
4. Plain Voila on the same participant notebook, same machine, same run: the same burst of N
   page requests and its kernels' RSS, for a ratio.

Most pages are headless clients that speak the widget protocol over the kernel's websocket as
the page's JavaScript does (request the widget states, send value updates and clicks, tick the
page's ticker as the browser does, read the kernel's updates). ``--browsers`` projector pages are real
Chromium pages, whose own clock records when the count changed on screen. The machine's load
averages are printed with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from live_session import (  # noqa: E402
    cpu_seconds, kernel_pid, kernel_pids, load_averages, p95, rss_mb, start_plain_voila, wait_until_idle,
)
from tests.servers import CHROMIUM, CHROMIUM_ARGS, PAGE_COOKIE_SCRIPT, VoilaServer  # noqa: E402
from widgets.ticker import TICK_SECONDS  # noqa: E402

CASE = "vp-003"
ITEMS = ["beloftes-doen", "zelf-keuze-laten-maken", "soms-doortastend-optreden", "oordelen",
         "geheimhouding-benadrukken"]
MSG_TYPE = re.compile(rb'"msg_type":\s*"([a-z_]+)"')
COMM_ID = re.compile(rb'"comm_id":\s*"([^"]+)"')
MEASURED_CLASSES = {"cb-vote-count", "cb-phase"}
VOTERS = re.compile(r'data-voters="(\d+)"')
JOINED = re.compile(r'data-participants="(\d+)"')
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"

# In every real browser page: the wall clock at which each vote count first showed on screen.
COUNT_RECORDER = """
(() => {
  window.cbCounts = [];
  window.cbJoined = [];
  window.cbPhases = [];
  const look = () => {
    const count = document.querySelector(".cb-vote-count [data-voters]");
    if (count) {
      const voters = Number(count.getAttribute("data-voters"));
      const last = window.cbCounts[window.cbCounts.length - 1];
      if (!last || last[0] !== voters) { window.cbCounts.push([voters, Date.now()]); }
      const joined = Number(count.getAttribute("data-participants"));
      const lastJoined = window.cbJoined[window.cbJoined.length - 1];
      if (!lastJoined || lastJoined[0] !== joined) { window.cbJoined.push([joined, Date.now()]); }
    }
    const phase = document.querySelector(".cb-phase");
    const text = phase ? phase.textContent : "";
    const last = window.cbPhases[window.cbPhases.length - 1];
    if (text && (!last || last[0] !== text)) { window.cbPhases.push([text, Date.now()]); }
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, characterData: true,
                                                attributes: true});
})();
"""


def descendants(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    pids = [int(p) for p in found]
    return pids + [grand for child in pids for grand in descendants(child)]


def cpu_by_part(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server, its page store, its kernels and this benchmark (with
    its Chromium): where a burst's time goes."""
    parts = {"server": [server_pid], "page store": [], "kernels": [], "other children": []}
    served = descendants(server_pid)
    for pid in served:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            continue
        part = ("page store" if "casebook.page_store" in command else
                "kernels" if "casebook.kernel" in command or "ipykernel" in command else "other children")
        parts[part].append(pid)
    theirs = {server_pid, *served}
    parts["benchmark"] = [pid for pid in [os.getpid(), *descendants(os.getpid())] if pid not in theirs]
    return {part: cpu_seconds(pids) for part, pids in parts.items()}


class Page:
    """One headless page: the HTTP page, then the widget protocol over the kernel's websocket."""

    def __init__(self, http, url: str, role: str):
        self.http, self.url, self.role = http, url, role
        self.models: dict[str, dict] = {}  # model id -> state
        self.counts: list[tuple[int, float]] = []  # vote count shown, wall clock it showed
        self.joined: list[tuple[int, float]] = []  # participants shown, wall clock it showed
        self.phases: list[tuple[str, float]] = []  # phase html, wall clock it showed
        self.phases_sent: dict[float, float] = {}  # wall clock it showed -> wall clock the kernel sent it
        self._measured: set[str] = set()  # the models whose values this page records
        self._sent = 0.0
        self.arrived = self.kernel_id = None
        self._ws = self._reader = self._ticker = None
        self._session = uuid.uuid4().hex
        self._states = asyncio.Event()
        self.ticks = 0

    async def open(self) -> "Page":
        started = time.monotonic()
        answer = await self.http.get(self.url)
        answer.raise_for_status()
        script = PAGE_COOKIE_SCRIPT.search(answer.text)
        if script:  # the casebook's light first answer: do what its script does, then ask again
            self.http.cookies.set(script.group(1), script.group(2))
            answer = await self.http.get(self.url)
            answer.raise_for_status()
        self.arrived = time.monotonic() - started
        self.kernel_id = re.search(r'"kernelId": "([^"]+)"', answer.text).group(1)
        return self

    async def connect(self) -> "Page":
        import websockets

        base = str(self.http.base_url).replace("http://", "ws://").rstrip("/")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        # the binary protocol Voila's page script asks for: the server passes the kernel's
        # messages on without decoding them (the JSON protocol would cost it more per message)
        self._ws = await websockets.connect(
            f"{base}/api/kernels/{self.kernel_id}/channels?session_id={self._session}",
            additional_headers={"Cookie": cookie}, max_size=None, ping_interval=None,
            subprotocols=[WS_PROTOCOL], open_timeout=300)  # a loaded server answers late; the page would wait too
        assert self._ws.subprotocol == WS_PROTOCOL, self._ws.subprotocol
        self._reader = asyncio.create_task(self._read())
        control = uuid.uuid4().hex
        await self._send("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
                         metadata={"version": "1.0.0"})
        await self._send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        await asyncio.wait_for(self._states.wait(), 300)
        return self

    async def _send(self, msg_type: str, content: dict, metadata: dict | None = None) -> None:
        from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self._session,
                  "username": "", "date": "", "version": "5.3"}
        parts = [json.dumps(part).encode() for part in (header, {}, metadata or {}, content)]
        await self._ws.send(serialize_msg_to_ws_v1(parts, "shell"))

    async def _read(self) -> None:
        from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

        async for raw in self._ws:
            now = time.time()
            _, parts = deserialize_msg_from_ws_v1(raw)
            # Only what this page measures is decoded: a phone decodes its own messages, while
            # these 39 pages share one process on the server's cores (``watch_loop_lag``).
            msg_type = MSG_TYPE.search(parts[0]).group(1).decode()
            if msg_type not in ("comm_open", "comm_msg"):
                continue
            if msg_type == "comm_msg" and b"_dom_classes" not in parts[3] and b"update_states" not in parts[3]:
                comm_id = COMM_ID.search(parts[3])
                if comm_id is None or comm_id.group(1).decode() not in self._measured:
                    continue  # another widget's new value: nothing this page measures
            header = json.loads(parts[0])
            content = json.loads(parts[3])
            # when the kernel sent it (its header's date): the rest of the time is the server's
            # and this benchmark's own loop
            self._sent = datetime.fromisoformat(header["date"]).timestamp() if header.get("date") else now
            if msg_type == "comm_open":
                self.models[content["comm_id"]] = dict(content["data"].get("state", {}))
                self._noticed(content["comm_id"], now)
            elif msg_type == "comm_msg":
                data = content["data"]
                if data.get("method") == "update_states":
                    for model_id, model in data["states"].items():
                        self.models[model_id] = dict(model["state"])
                        self._noticed(model_id, now)
                    self._states.set()
                elif data.get("method") == "update":
                    self.models.setdefault(content["comm_id"], {}).update(data["state"])
                    self._noticed(content["comm_id"], now)

    def _noticed(self, model_id: str, now: float) -> None:
        state = self.models[model_id]
        classes = state.get("_dom_classes", ())
        if MEASURED_CLASSES.intersection(classes):
            self._measured.add(model_id)
        if "cb-vote-count" in classes:
            match = VOTERS.search(state.get("value", ""))
            if match and (not self.counts or self.counts[-1][0] != int(match.group(1))):
                self.counts.append((int(match.group(1)), now))
            joined = JOINED.search(state.get("value", ""))
            if joined and (not self.joined or self.joined[-1][0] != int(joined.group(1))):
                self.joined.append((int(joined.group(1)), now))
        elif "cb-phase" in classes and state.get("value") and (not self.phases or self.phases[-1][0] != state["value"]):
            self.phases.append((state["value"], now))
            self.phases_sent[now] = self._sent

    def model(self, css_class: str) -> str:
        for model_id, state in self.models.items():
            if css_class in state.get("_dom_classes", ()):
                return model_id
        raise KeyError(f"{css_class} not on the {self.role} page")

    async def set_value(self, css_class: str, value) -> None:
        model_id = self.model(css_class)
        self.models[model_id]["value"] = value
        await self._send("comm_msg", {"comm_id": model_id,
                                      "data": {"method": "update", "state": {"value": value}, "buffer_paths": []}})

    async def click(self, css_class: str) -> float:
        clicked = time.time()
        await self._send("comm_msg", {"comm_id": self.model(css_class),
                                      "data": {"method": "custom", "content": {"event": "click"}}})
        return clicked

    def start_ticking(self) -> None:
        """Tick the page's ticker as the browser's Play does."""
        async def tick():
            await asyncio.sleep(random.random() * TICK_SECONDS)
            while True:
                self.ticks += 1
                await self.set_value("cb-ticker", self.ticks)
                await asyncio.sleep(TICK_SECONDS)

        if self._ticker is None:
            self._ticker = asyncio.create_task(tick())

    def stop_ticking(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def shows_session(self) -> bool:
        try:
            return bool(self.models[self.model("cb-phase")].get("value"))
        except KeyError:
            return False

    async def close(self) -> None:
        self.stop_ticking()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()


class BrowserPage:
    """A real Chromium page; its own clock records when counts and phases showed."""

    role = "chromium-projector"

    def __init__(self, context, url: str):
        self.context, self.url = context, url
        self.counts: list[tuple[int, float]] = []
        self.joined: list[tuple[int, float]] = []
        self.phases: list[tuple[str, float]] = []

    async def open(self) -> "BrowserPage":
        self.page = await self.context.new_page()
        await self.page.add_init_script(COUNT_RECORDER)
        await self.page.goto(self.url, timeout=600_000)
        await self.page.wait_for_selector(".cb-start", timeout=600_000)
        await self.page.click(".cb-start")  # the first click starts the page's ticker
        return self

    async def collect(self) -> None:
        self.counts = [(count, at / 1000) for count, at in await self.page.evaluate("window.cbCounts")]
        self.phases = [(text, at / 1000) for text, at in await self.page.evaluate("window.cbPhases")]
        self.joined = [(count, at / 1000) for count, at in await self.page.evaluate("window.cbJoined")]


async def until(condition, timeout: float = 120, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(every)


async def watch_loop_lag(lags: list, every: float = 0.02) -> None:
    """How late this benchmark's own event loop wakes (wall clock, lateness): the time a page's
    message waits here before it counts as shown, which a phone of its own would not add."""
    while True:
        before = time.time()
        await asyncio.sleep(every)
        lags.append((before, time.time() - before - every))


class Group:
    def __init__(self, index: int, session: dict):
        self.index, self.session = index, session
        self.facilitator: Page | None = None
        self.projector: Page | BrowserPage | None = None
        self.people: list[Page] = []
        self.votes: list[tuple[int, int, float]] = []  # round, count after it, clicked at (wall clock)
        self.phase_clicks: list[float] = []
        self.phase_buttons: list[str] = []
        self.last_join_click = 0.0  # wall clock of the burst's last join click
        self.late: list[Page] = []  # late-comers, who join one at a time

    @property
    def pages(self):
        return [self.facilitator, self.projector, *self.people]


async def open_group(group: Group, base_url: str, participants: int, browser, results: dict) -> None:
    import httpx

    def client():
        return httpx.AsyncClient(base_url=base_url, timeout=600)

    group.facilitator = await (await Page(client(), group.session["facilitator_url"], "facilitator").open()).connect()
    group.facilitator.start_ticking()
    if browser is not None:
        group.projector = await BrowserPage(await browser.new_context(), group.session["projector_url"]).open()
    else:
        group.projector = await (await Page(client(), group.session["projector_url"], "projector").open()).connect()
        group.projector.start_ticking()
    # the burst: N people open the page at once, each their own browser (cookie), and join
    people = [Page(client(), group.session["participant_url"], f"participant {i}") for i in range(participants)]
    await asyncio.gather(*(person.open() for person in people))
    results["arrival"].append([person.arrived for person in people])
    await asyncio.gather(*(person.connect() for person in people))

    async def join(index: int, person: Page) -> float:
        await person.set_value("cb-pseudonym", f"Groep{group.index} Deelnemer{index}")
        started = time.monotonic()
        group.last_join_click = max(group.last_join_click, await person.click("cb-join"))
        await until(person.shows_session, timeout=300)
        person.start_ticking()
        return time.monotonic() - started

    results["join"].extend(await asyncio.gather(*(join(i, p) for i, p in enumerate(people))))
    group.people = people


async def phase_change(group: Group, button: str) -> None:
    group.phase_buttons.append(button)
    group.phase_clicks.append(await group.facilitator.click(button))


async def phase_changes(groups: list[Group], button: str, server_pid: int, cpu: list[dict]) -> None:
    """Every group's facilitator clicks ``button`` at once; what the machine spent on it in the
    half second after (by part) goes to ``cpu``."""
    before = await asyncio.to_thread(cpu_by_part, server_pid)  # not on the loop: pages record meanwhile
    await asyncio.gather(*(phase_change(g, button) for g in groups))
    await asyncio.sleep(0.5)
    after = await asyncio.to_thread(cpu_by_part, server_pid)
    cpu.append({part: after[part] - before.get(part, 0.0) for part in after})


async def vote_round(group: Group, round_number: int, spread: float) -> None:
    """Everyone votes once, at a random moment within ``spread`` seconds; one at a time, so
    that each vote's count is known."""
    order = list(group.people)
    random.shuffle(order)
    for count, person in enumerate(order, start=1):
        await asyncio.sleep(random.uniform(0.5, 1.5) * spread / len(order))
        for item in random.sample(ITEMS, random.randint(1, 3)):
            await person.set_value(f"cb-item-{item}", True)
        group.votes.append((round_number, count, await person.click("cb-submit")))
        # the next voter after this vote showed on the voter's own page (people react to
        # each other's counts, and counts must be known to measure them)
        await until(lambda: bool(person.counts) and person.counts[-1][0] >= count, timeout=120)


def vote_latencies(group: Group, by_role: dict | None = None) -> list[float]:
    """Per vote: until every page of the group showed the count it made (or a later one);
    ``by_role`` collects each page's own time, by the kind of page."""
    found = []
    for _, count, clicked in group.votes:
        per_page = []
        for page in group.pages:
            times = [at for shown, at in page.counts if shown >= count and at >= clicked - 0.001]
            per_page.append(min(times) - clicked if times else float("inf"))
            if by_role is not None:
                by_role.setdefault(page.role.split(" ")[0], []).append(per_page[-1])
        found.append(max(per_page))
    return found


async def late_joins(group: Group, base_url: str, late: int) -> list[tuple[int, float]]:
    """Late-comers: ``late`` people join one after another (a few seconds apart), as most
    people join a session; each waits until its own page shows it. Returns (participants after
    the join, clicked at) for ``late_join_latencies``; the pages stay in ``group.late``."""
    import httpx

    joins = []
    for index in range(late):
        await asyncio.sleep(random.uniform(1.5, 2.5))
        person = await (await Page(httpx.AsyncClient(base_url=base_url, timeout=600), group.session["participant_url"],
                                   f"late {index}").open()).connect()
        group.late.append(person)
        await person.set_value("cb-pseudonym", f"Groep{group.index} Laat{index}")
        await asyncio.sleep(0.5)
        wanted = len(group.people) + index + 1
        joins.append((wanted, await person.click("cb-join")))
        headless = [page for page in [*group.pages, *group.late] if isinstance(page, Page)]
        await until(lambda: all(page.joined and page.joined[-1][0] >= wanted for page in headless), timeout=120)
        person.start_ticking()
    return joins


def late_join_latencies(group: Group, joins: list[tuple[int, float]]) -> list[float]:
    """Per late join: until every page of the group open at that moment showed it."""
    found = []
    for wanted, clicked in joins:
        per_page = []
        for page in [*group.pages, *group.late[:wanted - len(group.people)]]:
            shown = [at for count, at in page.joined if count >= wanted and at >= clicked - 0.001]
            per_page.append(min(shown) - clicked if shown else float("inf"))
        found.append(max(per_page))
    return found


def join_reach(group: Group, detail: list | None = None) -> float:
    """From the burst's last join click until every page of the group showed all its
    participants (the count beside the votes); ``detail`` gets each page's time."""
    wanted = len(group.people)
    times = {}
    for page in group.pages:
        shown = [at for count, at in page.joined if count >= wanted]
        times[page.role] = min(shown) - group.last_join_click if shown else float("inf")
    if detail is not None:
        detail.append({"group": group.index, "pages": {role: round(at, 3) for role, at in times.items()}})
    return max(times.values())


def phase_latencies(group: Group, by_role: dict | None = None, detail: list | None = None) -> list[float]:
    found = []
    for button, clicked in zip(group.phase_buttons, group.phase_clicks):
        per_page = []
        for page in group.pages:
            times = [at for _, at in page.phases if at >= clicked - 0.001]
            per_page.append(min(times) - clicked if times else float("inf"))
            if not times:
                print(f"   a phase change never showed on {page.role} (it showed: "
                      f"{[text[-60:] for text, _ in page.phases[-2:]]})", flush=True)
            if by_role is not None:
                by_role.setdefault(page.role.split(" ")[0], []).append(per_page[-1])
        found.append(max(per_page))
        if detail is not None:  # which change, and each page's time (results.json)
            sent = {}  # how long after the click each page's kernel sent the new phase
            for page, at in zip(group.pages, per_page):
                if isinstance(page, Page) and at != float("inf"):
                    sent[page.role] = round(page.phases_sent.get(clicked + at, clicked + at) - clicked, 3)
            detail.append({"group": group.index, "button": button, "clicked": clicked,
                           "pages": {page.role: round(at, 3) for page, at in zip(group.pages, per_page)},
                           "kernel_sent": sent})
    return found


def wait_for_pool(server, groups: list, timeout: float = 600) -> None:
    """Until the kernels not serving a page yet (the refilled pools) have run their notebooks:
    the open pages keep ticking, so the server as a whole is never quiet."""
    serving = {kernel_pid(server.process.pid, page.kernel_id)
               for group in groups for page in group.pages if isinstance(page, Page) and page.kernel_id}
    from casebook.serve import pool_sizes

    pooled = sum(pool_sizes(server.pool).values())
    # a Chromium page's kernel is not in ``serving`` (its id is the browser's): count it apart
    pooled += sum(1 for group in groups for page in group.pages if page is not None and not isinstance(page, Page))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        standby = [pid for pid in kernel_pids(server) if pid not in serving]
        before = cpu_seconds(standby)
        time.sleep(2)
        # every pool full (the participants' and one of each other page) and warm
        if len(standby) >= pooled and cpu_seconds(standby) - before < 0.1:
            return


def measure_idle(server_pid: int, seconds: float) -> float:
    """CPU of the server and all its kernels over ``seconds``, as percent of one core."""
    pids = [server_pid, *descendants(server_pid)]
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return 100 * (cpu_seconds(pids) - before) / seconds


async def run_casebook(args, tmp: Path, results: dict) -> None:
    from playwright.async_api import async_playwright

    print(f"starting casebook serve with a participant pool of {args.participants} ... (load {load_averages()})",
          flush=True)
    started = time.monotonic()
    server = VoilaServer(tmp, pool=args.participants).start(timeout=1800)
    if args.client_nice:
        # The pages stand for phones and a projector's laptop, which read what arrives at once,
        # on a CPU of their own. Here they share the server's cores: at a higher priority
        # (negative, the default) they read each message as it arrives and their work delays
        # the server instead; at a lower one they read only when the server's cores are idle,
        # so every page waits for all the work of all groups (an upper bound).
        try:
            os.setpriority(os.PRIO_PROCESS, 0, args.client_nice)
        except PermissionError:
            print(f"  could not set this benchmark's pages to nice {args.client_nice} (not root): "
                  f"they run at the server's priority", flush=True)
    wait_until_idle(server, timeout=1800)
    print(f"  ready after {time.monotonic() - started:.0f} s", flush=True)
    env = {**server.env, "CASEBOOK_PUBLIC_URL": server.url}
    sessions_made = [json.loads(subprocess.run(
        [sys.executable, "-m", "casebook.cli", "session", "new", "--cases", CASE, "--format", "json"],
        env=env, capture_output=True, text=True, check=True).stdout) for _ in range(args.groups)]
    groups = [Group(i + 1, made) for i, made in enumerate(sessions_made)]
    # what the server and its preheated kernels cost before any page is open
    results["idle_baseline"] = await asyncio.to_thread(measure_idle, server.process.pid, args.idle)
    results["server_data"] = server.env["CASEBOOK_DATA"]
    try:
        async with async_playwright() as playwright:
            browser = None
            if args.browsers:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                           args=CHROMIUM_ARGS)
            for group in groups:
                await open_group(group, server.url, args.participants,
                                 browser if group.index <= args.browsers else None, results)
                print(f"1. group {group.index}: {args.participants} pages arrived, p95 "
                      f"{p95(results['arrival'][-1]):.2f} s; joined (load {load_averages()})", flush=True)
                if group is not groups[-1]:
                    await asyncio.to_thread(wait_for_pool, server, groups)
            results["load_during_votes"] = load_averages()
            results["kernel_pids"] = {f"{g.index} {page.role}": kernel_pid(server.process.pid, page.kernel_id)
                                      for g in groups for page in g.pages if isinstance(page, Page)}
            cpu_before = cpu_by_part(server.process.pid)
            votes_started = time.monotonic()
            lags: list[tuple[float, float]] = []
            results["phase_cpu"] = []
            lag_watch = asyncio.create_task(watch_loop_lag(lags))
            # two rounds, all groups at once
            for round_number in (1, 2):
                if round_number == 1:
                    for group in groups:  # introduce -> questions -> vote (round 1)
                        await group.facilitator.click("cb-start")
                    await asyncio.sleep(3)  # a trainer starts the timer, then moves on
                    for _ in range(2):
                        await phase_changes(groups, "cb-next-phase", server.process.pid, results["phase_cpu"])
                        await asyncio.sleep(3)
                else:  # reveal -> discussion -> vote (round 2)
                    await phase_changes(groups, "cb-next-phase", server.process.pid, results["phase_cpu"])
                    await asyncio.sleep(3)
                    await phase_changes(groups, "cb-next-phase", server.process.pid, results["phase_cpu"])
                    await asyncio.sleep(3)
                await asyncio.gather(*(vote_round(g, round_number, args.spread) for g in groups))
                await asyncio.sleep(3)
                await phase_changes(groups, "cb-reveal", server.process.pid, results["phase_cpu"])  # closes the round
                await asyncio.sleep(3)
                print(f"2. round {round_number} voted (load {load_averages()})", flush=True)
            cpu_after = cpu_by_part(server.process.pid)
            lag_watch.cancel()
            results["loop_lag"] = {"p95": p95([lag for _, lag in lags]), "max": max(lag for _, lag in lags),
                                   "after_phase_changes": p95([
                                       max([lag for at, lag in lags if clicked <= at <= clicked + 0.5] or [0.0])
                                       for g in groups for clicked in g.phase_clicks])}
            results["votes_seconds"] = time.monotonic() - votes_started
            results["votes_cpu"] = {part: cpu_after[part] - cpu_before.get(part, 0.0) for part in cpu_after}
            for group in groups:
                if isinstance(group.projector, BrowserPage):
                    await group.projector.collect()
            results["vote_by_page"] = {}
            results["vote"] = [x for g in groups for x in vote_latencies(g, results["vote_by_page"])]
            results["vote_browser"] = [
                min([at for shown, at in g.projector.counts if shown >= count and at >= clicked - 0.001],
                    default=float("inf")) - clicked
                for g in groups if isinstance(g.projector, BrowserPage) for _, count, clicked in g.votes]
            results["phase_by_page"] = {}
            results["join_detail"] = []
            results["join_reach"] = [join_reach(g, results["join_detail"]) for g in groups]
            results["phase_detail"] = []
            results["phase"] = [x for g in groups
                                for x in phase_latencies(g, results["phase_by_page"], results["phase_detail"])]
            # every vote counted
            from casebook import sessions
            from casebook.store import Store

            store = Store(f"sqlite:///{server.env['CASEBOOK_DATA']}/casebook.db")
            counted = {g.index: sessions.state(store, g.session["code"]).voters for g in groups}
            store.dispose()
            results["counted"] = counted
            results["votes_cast"] = sum(len(g.votes) for g in groups)
            # late-comers: one join at a time in each group (the groups at the same time)
            late = await asyncio.gather(*(late_joins(g, server.url, args.late) for g in groups))
            for group in groups:
                if isinstance(group.projector, BrowserPage):
                    await group.projector.collect()
            results["late_join"] = [x for g, joins in zip(groups, late) for x in late_join_latencies(g, joins)]
            for group in groups:
                for page in group.late:
                    await page.close()
            # idle: everything open, nothing happening
            await asyncio.sleep(5)
            results["load_idle"] = load_averages()
            results["idle_ticking"] = await asyncio.to_thread(measure_idle, server.process.pid, args.idle)
            for group in groups:
                for page in group.pages:
                    if isinstance(page, Page):
                        page.stop_ticking()
            await asyncio.sleep(3)
            results["idle_quiet"] = await asyncio.to_thread(measure_idle, server.process.pid, args.idle)
            kernels = [kernel_pid(server.process.pid, p.kernel_id) for g in groups for p in g.people]
            sizes = [rss_mb(pid) for pid in kernels if pid]
            results["rss_participant"] = statistics.median(sizes)
            results["rss_total"] = sum(rss_mb(pid) for pid in [server.process.pid, *descendants(server.process.pid)])
            results["pages"] = sum(len(g.pages) for g in groups)
            for group in groups:
                for page in group.pages:
                    if isinstance(page, Page):
                        await page.close()
            if browser is not None:
                await browser.close()
    finally:
        server.stop()


async def run_plain_voila(args, tmp: Path, data: str, results: dict) -> None:
    """Plain ``voila notebooks/participant.ipynb`` on the same store, same machine, same run."""
    import httpx

    from casebook import sessions
    from casebook.store import Store

    # at the normal priority, as casebook serve: not at the clients' priority
    process, base, log = await asyncio.to_thread(start_plain_voila, data, tmp)
    try:
        store = Store(f"sqlite:///{data}/casebook.db")
        code = sessions.create_session(store, [CASE]).code
        store.dispose()
        await asyncio.sleep(5)
        print(f"4. plain Voila: a burst of {args.participants} page requests (load {load_averages()})", flush=True)
        pages = [Page(httpx.AsyncClient(base_url=base, timeout=900), f"{base}/?code={code}", "plain")
                 for _ in range(args.participants)]
        await asyncio.gather(*(page.open() for page in pages))
        results["plain_arrival"] = [page.arrived for page in pages]
        await asyncio.sleep(5)
        sizes = [rss_mb(pid) for pid in (kernel_pid(process.pid, p.kernel_id) for p in pages) if pid]
        results["plain_rss"] = statistics.median(sizes) if sizes else float("nan")
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--participants", type=int, default=12, help="per group")
    parser.add_argument("--browsers", type=int, default=3, help="real Chromium projector pages")
    parser.add_argument("--spread", type=float, default=12, help="seconds over which a group's votes arrive")
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle measurement")
    parser.add_argument("--late", type=int, default=4, help="late-comers per group, joining one at a time")
    parser.add_argument("--client-nice", type=int, default=-5,
                        help="CPU priority (nice) of this benchmark's own pages after the server started: "
                             "-5 (default) they read as messages arrive; 0 the server's; 10 they wait for idle cores")
    parser.add_argument("--no-plain-voila", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="casebook-scale-"))
    results: dict = {"arrival": [], "join": []}
    print(f"load averages at the start: {load_averages()} ({os.cpu_count()} cores); this benchmark's pages at "
          f"nice {args.client_nice}", flush=True)
    asyncio.run(run_casebook(args, tmp, results))
    if not args.no_plain_voila:
        asyncio.run(run_plain_voila(args, tmp, results["server_data"], results))
    (tmp / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"raw figures: {tmp / 'results.json'}")
    n, g = args.participants, args.groups
    arrival = [p95(burst) for burst in results["arrival"]]
    print()
    print(f"load averages: start of the votes {results['load_during_votes']}, idle {results['load_idle']}, "
          f"end {load_averages()}")
    print()
    print("| what | target | casebook | plain Voila, same notebook |")
    print("|---|---|---|---|")
    plain = results.get("plain_arrival")
    print(f"| a burst of {n} participants opening the page: p95 until it arrived (worst of {g} groups) "
          f"| <= 0.5 s | {max(arrival):.2f} s (per group {', '.join(f'{a:.2f}' for a in arrival)}) | "
          f"{f'{p95(plain):.2f} s (ratio {p95(plain) / max(arrival):.0f}x)' if plain else 'n/a'} |")
    print(f"| join -> session shown (kernel round trip), p95 | | {p95(results['join']):.2f} s | |")
    print(f"| a vote -> shown on all {n + 2} pages of its group, p95 ({results['votes_cast']} votes) | <= 0.3 s | "
          f"{p95(results['vote']):.2f} s (median {statistics.median(results['vote']):.2f} s) | |")
    if results["vote_browser"]:
        print(f"| ... of which on the real Chromium projector screens, p95 | <= 0.3 s | "
              f"{p95(results['vote_browser']):.2f} s | |")
    print(f"| ... each page on its own, p95: " + ", ".join(
        f"{role} {p95(times):.2f} s" for role, times in sorted(results["vote_by_page"].items())) + " | | | |")
    print(f"| a burst of {args.participants} joins -> all pages of the group show all of them, from the last "
          f"join click (per group) | <= 0.3 s | {', '.join(f'{x:.2f}' for x in results['join_reach'])} s "
          f"(last: {', '.join(max(d['pages'], key=d['pages'].get) for d in results['join_detail'])}) | |")
    if results.get("late_join"):
        print(f"| a late-comer's join -> shown on all pages of its group, p95 ({len(results['late_join'])} joins, "
              f"one at a time per group) | <= 0.3 s | {p95(results['late_join']):.2f} s "
              f"(median {statistics.median(results['late_join']):.2f} s) | |")
    print(f"| a phase change -> shown on all pages of its group, p95 ({len(results['phase'])} changes) | <= 0.3 s | "
          f"{p95(results['phase']):.2f} s (median {statistics.median(results['phase']):.2f} s) | |")
    print(f"| ... each page on its own, p95: " + ", ".join(
        f"{role} {p95(times):.2f} s" for role, times in sorted(results["phase_by_page"].items())) + " | | | |")
    lag = results["loop_lag"]
    print(f"| this benchmark's own event loop late (39 headless pages in one process): p95 {lag['p95'] * 1000:.0f} ms, "
          f"max {lag['max'] * 1000:.0f} ms; the most in the 0.5 s after a phase change, p95 "
          f"{lag['after_phase_changes'] * 1000:.0f} ms | | | |")
    spent = results["phase_cpu"]
    print(f"| CPU in the 0.5 s after a phase change of all {g} groups at once, median of {len(spent)} (of 2 cores "
          f"= 1.0 s): total {statistics.median([sum(c.values()) for c in spent]):.2f} s; " + ", ".join(
              f"{part} {statistics.median([c[part] for c in spent]):.2f}" for part in spent[0]) + " | | | |")
    counted_ok = all(v == {1: n, 2: n} for v in results["counted"].values())
    print(f"| CPU during the two rounds ({results['votes_seconds']:.0f} s), seconds: " + ", ".join(
        f"{part} {seconds:.1f}" for part, seconds in results["votes_cpu"].items()) + " | | | |")
    print(f"| every vote counted | {g * n * 2} | {sum(sum(v.values()) for v in results['counted'].values())} "
          f"({'all' if counted_ok else 'NOT all'}) | |")
    print(f"| memory per participant kernel (median) | <= 60 MB RSS | {results['rss_participant']:.0f} MB | "
          f"{results.get('plain_rss', float('nan')):.0f} MB |")
    print(f"| all {results['pages']} pages open, server + kernels: RSS | | {results['rss_total']:.0f} MB | |")
    print(f"| idle, no page open (server, check worker, preheated kernels) | | "
          f"{results['idle_baseline']:.1f} % of one core | |")
    print(f"| idle, all pages open and ticking: CPU of server + kernels | little | "
          f"{results['idle_ticking']:.1f} % of one core | |")
    print(f"| idle, ticks stopped (the kernels' change checks alone) | little | "
          f"{results['idle_quiet']:.1f} % of one core | |")


if __name__ == "__main__":
    main()
