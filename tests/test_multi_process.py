"""Several ``casebook serve`` processes behind nginx, sharing one PostgreSQL (issue 14,
deploy/README.md "Several processes"): what they must share, and a group spread over two
processes that sees one session and survives losing one of them."""

from __future__ import annotations

import concurrent.futures
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from casebook import sessions
from casebook.exceptions import CasebookError
from casebook.store import Store
from casebook.web import casebook_secret, server_secret
from tests.servers import ROOT, VoilaServer, free_port
from tests.test_browser_network import alive, continues_as, join, vote
from tests.test_proxy import NGINX, OPENSSL, SERVER_NAME, Nginx, _must_run, self_signed_certificate


def fresh_database(postgres_server: str) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.replace("postgresql+psycopg", "postgresql") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"


def counts(store_url: str, code: str) -> tuple[int, int]:
    """(participants, voters in round 1 of the first case) as the shared store has them."""
    store = Store(store_url)
    try:
        return sessions.state(store, code).participants, sessions.results(store, code, 0, 1).voters
    finally:
        store.dispose()


# ------------------------------------------------------------------ what the processes share


def test_processes_starting_at_once_on_one_data_folder_share_one_key(tmp_path):
    """systemd starts casebook@8871 and casebook@8872 together: both must end up with one key,
    or one browser would be two participants."""
    folder = tmp_path / "data"
    program = ("import sys; from casebook.web import server_secret; "
               "print(server_secret(sys.argv[1] + '/server-secret').hex())")
    starts = [subprocess.Popen([sys.executable, "-c", program, str(folder)], stdout=subprocess.PIPE, text=True)
              for _ in range(6)]
    keys = {start.communicate(timeout=60)[0].strip() for start in starts}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert (folder / "server-secret").stat().st_mode & 0o777 == 0o600
    assert [path.name for path in folder.iterdir()] == ["server-secret"]  # no drafts left behind


def test_a_configured_key_is_used_and_never_made_up(tmp_path, monkeypatch):
    shared = tmp_path / "etc" / "server-secret"
    monkeypatch.setenv("CASEBOOK_SECRET_FILE", str(shared))
    with pytest.raises(CasebookError) as missing:
        casebook_secret()
    assert str(shared) in missing.value.message("en")
    assert not shared.exists()  # a key of its own would split every browser in two
    shared.parent.mkdir()
    shared.write_text("not hex\n")
    with pytest.raises(CasebookError):
        casebook_secret()
    assert shared.read_text() == "not hex\n"  # an administrator's file is never overwritten
    key = "ab" * 32
    shared.write_text(key + "\n")
    assert casebook_secret().hex() == key
    # a second machine with its own data folder and the same file: the same key
    monkeypatch.setenv("CASEBOOK_DATA", str(tmp_path / "other-machine"))
    server_secret.cache_clear()
    assert casebook_secret().hex() == key
    assert not (tmp_path / "other-machine" / "server-secret").exists()


def test_serve_refuses_to_start_without_its_configured_key(tmp_path):
    done = subprocess.run([sys.executable, "-m", "casebook.cli", "serve", "--port", "1"],
                          env={"PATH": "/usr/bin:/bin", "CASEBOOK_DATA": str(tmp_path / "data"),
                               "CASEBOOK_SECRET_FILE": str(tmp_path / "missing"), "CASEBOOK_LANGUAGE": "en",
                               "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "missing" in done.stderr and "64 hex digits" in done.stderr


def test_processes_starting_at_once_on_one_postgresql_migrate_it_once(postgres_server):
    from casebook.store import SCHEMA_REVISION, Store

    url = fresh_database(postgres_server)
    stores, errors = [], []

    def start() -> None:
        try:
            stores.append(Store(url))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(max(0, deadline - time.monotonic()))
    try:
        assert not errors, errors
        assert not any(thread.is_alive() for thread in threads), "migrations waiting on each other"
        assert [store.current_revision() for store in stores] == [SCHEMA_REVISION] * 4
    finally:
        for store in stores:
            store.dispose()


# ------------------------------------------------------------------ two processes behind nginx

SITE = ROOT / "deploy" / "nginx" / "casebook-multi.conf"
ROUTES_LOG = "routes.log"


def render_multi_site(*, certificate: Path, key: Path, upstream_ports: list[int], https_port: int,
                      http_port: int, routes_log: Path) -> str:
    """deploy/nginx/casebook-multi.conf as an administrator fills it in for two processes on this
    machine, plus a log of which process served which browser (for the test's eyes only)."""
    replacements = [
        ("/etc/letsencrypt/live/casebook.example.org/fullchain.pem", str(certificate)),
        ("/etc/letsencrypt/live/casebook.example.org/privkey.pem", str(key)),
        ("casebook.example.org", SERVER_NAME),
        ("server 127.0.0.1:8871 ", f"server 127.0.0.1:{upstream_ports[0]} "),
        ("server 127.0.0.1:8872 ", f"server 127.0.0.1:{upstream_ports[1]} "),
        ("listen 443 ", f"listen 127.0.0.1:{https_port} "),
        ("listen 80", f"listen 127.0.0.1:{http_port}"),
    ]
    site = "\n".join(line for line in SITE.read_text().splitlines() if "listen [::]" not in line)
    for placeholder, value in replacements:
        assert placeholder in site, f"{SITE.name} no longer contains {placeholder!r}"
        site = site.replace(placeholder, value)
    return site + f"""
log_format casebook_routes '$msec|$request_time|$cookie_casebook_browser|$casebook_browser|$upstream_addr|$request_uri|$status';
access_log {routes_log} casebook_routes;
"""


@dataclass
class Route:
    at: float  # when the request came in
    cookie: str  # as the browser sent it ('' on a first visit)
    browser: str  # what nginx routed by
    upstreams: list[int]  # ports tried, the last one answered
    uri: str
    status: str


@dataclass
class Cluster:
    servers: list[VoilaServer]
    nginx: Nginx
    store_url: str

    @property
    def url(self) -> str:
        return self.nginx.https_url

    def routes(self) -> list[Route]:
        routes = []
        for line in (self.nginx.folder / ROUTES_LOG).read_text().splitlines():
            ended, took, cookie, browser, upstreams, uri, status = line.split("|", 6)
            ports = [int(part.rsplit(":", 1)[1]) for part in upstreams.split(",") if ":" in part]
            routes.append(Route(float(ended) - float(took), "" if cookie == "-" else cookie, browser, ports, uri,
                                status))
        return routes

    def process_of(self, browser_id: str) -> int:
        """Which process's port the proxy sends this browser to (asked with a cheap request)."""
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        request = urllib.request.Request(f"{self.url}/casebook/alive",
                                         headers={"Cookie": f"casebook_browser={browser_id}"})
        with urllib.request.urlopen(request, context=context, timeout=20) as answer:
            assert answer.status == 200 and "start" in json.loads(answer.read())
        for _ in range(50):  # nginx writes the line as the request ends
            served = [r.upstreams[-1] for r in self.routes() if r.cookie == browser_id]
            if served:
                return served[-1]
            time.sleep(0.1)
        raise AssertionError(f"no route logged for {browser_id}")


def connections_to(store_url: str) -> int:
    import psycopg

    with psycopg.connect(store_url.replace("postgresql+psycopg", "postgresql")) as conn:
        return conn.execute("SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()").fetchone()[0]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (its kernels, its check worker), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def crash(server: VoilaServer) -> None:
    """The process dies at once, its kernels with it (a crash, not a clean stop)."""
    below = descendants(server.process.pid)
    server.process.kill()
    server.process.wait(10)
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def built_in_cases_judged(test_cache, tmp_path_factory):
    """The anonymisation verdicts on the built-in cases in the run's cache, judged once (a no-op
    when a server of an earlier test did it), so that two processes starting at once do not
    both load deduce and judge every case."""
    subprocess.run([sys.executable, "-c", "from casebook.clearance import clear; clear()"], check=True,
                   cwd=ROOT, env={**os.environ, "CASEBOOK_CACHE": str(test_cache),
                                  "CASEBOOK_DATA": str(tmp_path_factory.mktemp("judging"))})


@pytest.fixture
def cluster(tmp_path, test_cache, postgres_server, built_in_cases_judged):
    """PostgreSQL, two `casebook serve` processes as on two machines (each its own data folder,
    one configured key, one trainer token) started at once, and nginx with the multi site."""
    if not Path(NGINX).exists():
        _must_run("nginx")
    if not Path(OPENSSL).exists():
        _must_run("openssl")
    store_url = fresh_database(postgres_server)
    key_file = tmp_path / "server-secret"
    key_file.write_text(secrets.token_hex(32) + "\n")
    key_file.chmod(0o600)
    https_port, http_port = free_port(), free_port()
    public_url = f"https://{SERVER_NAME}:{https_port}"
    servers = []
    for machine in ("a", "b"):
        (tmp_path / machine).mkdir()
        servers.append(VoilaServer(tmp_path / machine, pool=1, args=["--ip", "127.0.0.1", "--public-url", public_url],
                                   env={"CASEBOOK_CACHE": str(test_cache), "CASEBOOK_STORE": store_url,
                                        "CASEBOOK_PUBLIC_URL": public_url,
                                        "CASEBOOK_SECRET_FILE": str(key_file)}))
    nginx = Nginx(tmp_path / "nginx", https_port, http_port)
    nginx.folder.mkdir()
    try:
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(2) as starting:  # as systemd starts its instances
            list(starting.map(VoilaServer.start, servers))
        print(f"\ntwo processes started at once: both answer after {time.monotonic() - started:.1f} s")
        certificate, key = self_signed_certificate(nginx.folder)
        nginx.start(render_multi_site(certificate=certificate, key=key, upstream_ports=[s.port for s in servers],
                                      https_port=https_port, http_port=http_port,
                                      routes_log=nginx.folder / ROUTES_LOG))
        yield Cluster(servers, nginx, store_url)
    finally:
        if nginx.process:
            nginx.stop()
        for server in servers:
            if server.process:
                server.stop()


def browser_ids_on(cluster: Cluster, port: int, wanted: int) -> list[str]:
    """Browser ids (cookie values) that the proxy sends to the process on ``port``."""
    found = []
    for _ in range(64):
        candidate = secrets.token_hex(16)
        if cluster.process_of(candidate) == port:
            found.append(candidate)
            if len(found) == wanted:
                return found
    raise AssertionError(f"the proxy sent no browser to port {port}")


def prepare_session(cluster: Cluster, *cases: str) -> dict:
    """`casebook session new` on the first machine, with its settings: links through the proxy."""
    done = subprocess.run([sys.executable, "-m", "casebook.cli", "session", "new", "--cases", ",".join(cases),
                           "--format", "json"], env=cluster.servers[0].env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def person(browser, cluster: Cluster, url: str, browser_id: str | None = None):
    """One person in a browser of their own; ``browser_id``: the cookie of an earlier visit."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 430, "height": 900})
    if browser_id:
        context.add_cookies([{"name": "casebook_browser", "value": browser_id, "url": cluster.url}])
    page = context.new_page()
    page.set_default_timeout(45_000)
    page.goto(url)
    page.wait_for_selector(".cb-app", timeout=60_000)
    return page


def browser_id_of(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "casebook_browser")


@pytest.mark.browser
@pytest.mark.server
def test_a_group_spread_over_two_processes_is_one_session_and_survives_losing_one(cluster, browser):
    first, second = cluster.servers
    # the facilitator on the process that stays, the projector and two participants on the one
    # that will crash, two participants on the other, one who arrives without a cookie
    on_first, on_second = browser_ids_on(cluster, first.port, 3), browser_ids_on(cluster, second.port, 3)
    started = time.monotonic()
    session = prepare_session(cluster, "vp-001")
    assert session["participant_url"].startswith(cluster.url)
    facilitator = person(browser, cluster, session["facilitator_url"], on_second[0])
    facilitator.click(".cb-next-phase")
    facilitator.click(".cb-next-phase")
    facilitator.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')")
    projector = person(browser, cluster, session["projector_url"], on_first[0])
    ballots = {"Uil": ["serieus-nemen"], "Vos": ["serieus-nemen"], "Das": ["serieus-nemen", "beloftes-doen"],
               "Ree": ["zelf-keuze-laten-maken"], "Egel": ["serieus-nemen"]}
    browser_ids = {"Uil": on_first[1], "Vos": on_first[2], "Das": on_second[1], "Ree": on_second[2], "Egel": None}
    people = {}
    for pseudonym, items in ballots.items():
        page = person(browser, cluster, session["participant_url"], browser_ids[pseudonym])
        join(page, pseudonym)
        vote(page, *items)
        people[pseudonym] = page
    browser_ids["Egel"] = browser_id_of(people["Egel"])
    assert len(set(browser_ids.values())) == 5

    # one session on both processes: the same phase and the same count on every page
    pages = [facilitator, projector, *people.values()]
    for page in pages:
        page.wait_for_selector(".cb-phase:has-text('Stemmen, ronde 1')", timeout=20_000)
        page.wait_for_selector(".cb-vote-count [data-voters='5']", timeout=20_000)
    assert counts(cluster.store_url, session["code"]) == (5, 5)

    print(f"group of 5 on two processes voted: {time.monotonic() - started:.1f} s; "
          f"{connections_to(cluster.store_url)} connections to PostgreSQL for 7 open pages")
    home = {pseudonym: cluster.process_of(browser_id) for pseudonym, browser_id in browser_ids.items()}
    assert [home[p] for p in ("Uil", "Vos", "Das", "Ree")] == [first.port, first.port, second.port, second.port]
    crashed_at = time.time()
    crash(first)
    moved = [pseudonym for pseudonym, port in home.items() if port == first.port]
    for pseudonym in moved:  # their pages reload by themselves, through the proxy, onto the second
        continues_as(people[pseudonym], pseudonym)
        people[pseudonym].wait_for_selector(".cb-vote-status:has-text('opgeslagen')")
    projector.wait_for_selector(".cb-join-code", timeout=90_000)
    for page in pages:
        alive(page)
    print(f"pages of the crashed process usable again on the other: {time.time() - crashed_at:.1f} s after the crash")
    vote(people["Vos"], "beloftes-doen")  # a changed vote is stored, not added
    facilitator.click(".cb-reveal")
    expected = {"serieus-nemen": 4, "beloftes-doen": 2, "zelf-keuze-laten-maken": 1, "oordelen": 0}
    for page in pages:  # the same results everywhere
        page.wait_for_selector(".cb-phase:has-text('Onthulling')", timeout=20_000)
        for item, count in expected.items():
            page.wait_for_selector(f".cb-result-{item}[data-round-1='{count}']", timeout=20_000)
    assert counts(cluster.store_url, session["code"]) == (5, 5)  # nobody counted twice, no vote lost
    store = Store(cluster.store_url)
    try:
        stored = sessions.results(store, session["code"], 0, 1).counts
    finally:
        store.dispose()
    assert {item: stored[item] for item in expected} == expected

    # the routes as nginx logged them (a websocket's line is written when it closes)
    for page in pages:
        page.context.close()
    time.sleep(1)
    routes = cluster.routes()
    first_visit = [r for r in routes if r.cookie == "" and "participant.ipynb" in r.uri]
    assert [r.browser for r in first_visit] == [browser_ids["Egel"]]  # the id nginx chose is the cookie
    for pseudonym, browser_id in browser_ids.items():
        mine = [r for r in routes if r.browser == browser_id and r.at < crashed_at]
        sockets = [r for r in mine if r.uri.split("?")[0].endswith("/channels")]
        assert sockets, pseudonym
        # before the crash, the page and its websocket on one process, the one chosen for it
        assert {r.upstreams[-1] for r in mine} == {home[pseudonym]}, pseudonym
    for pseudonym in moved:
        later = [r for r in routes if r.browser == browser_ids[pseudonym] and r.at > crashed_at + 1
                 and "participant.ipynb" in r.uri]
        assert later and all(r.upstreams[-1] == second.port for r in later), pseudonym
