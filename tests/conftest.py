"""Shared fixtures: temporary data folder, case folders, a real Voila server, Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import CHROMIUM, CHROMIUM_ARGS, VoilaServer, free_port

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def test_cache(tmp_path_factory) -> Path:
    """A cache folder of the test run's own, shared by its xdist workers: verdicts of the
    anonymisation check stay in it. deduce's lookup data (built once by the install, minutes to
    build) is linked in, and the casebook's own cases are judged once, before any server starts
    (a server that judges 42 cases on a cold cache takes longer than its first page may)."""
    import fcntl
    import sys

    from casebook.anonymise import lookup_dir

    run_root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_root = run_root.parent  # the folder the workers' own folders are in
    cache, done = run_root / "cache", run_root / "cache.judged"
    with open(run_root / "cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker judges; the other waits for it
        if not done.exists():
            cache.mkdir(exist_ok=True)
            built = lookup_dir()
            if built.exists() and not (cache / built.name).exists():
                (cache / built.name).symlink_to(built, target_is_directory=True)
            env = {**os.environ, "CASEBOOK_CACHE": str(cache), "CASEBOOK_DATA": str(run_root / "judging")}
            for name in ("CASEBOOK_CASES", "CASEBOOK_STORE", "CASEBOOK_CHECKER"):
                env.pop(name, None)
            judged = subprocess.run([sys.executable, "-c", "from casebook.clearance import clear; clear()"],
                                    env=env, capture_output=True, text=True)
            if judged.returncode != 0:
                pytest.fail(f"judging the casebook's cases for the test run failed:\n{judged.stderr[-3000:]}")
            done.touch()
    return cache


@pytest.fixture(autouse=True)
def isolated_data(tmp_path, monkeypatch, test_cache):
    """Every test gets its own data folder and store, the run's own cache, no extra case folders."""
    monkeypatch.setenv("CASEBOOK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CASEBOOK_CACHE", str(test_cache))
    monkeypatch.delenv("CASEBOOK_CHECKER", raising=False)
    monkeypatch.delenv("CASEBOOK_PAGE_STORE", raising=False)  # a test asks its own store, not a server's
    monkeypatch.delenv("CASEBOOK_PAGE_STORE_KEY", raising=False)
    monkeypatch.delenv("CASEBOOK_AUTHOR_FOLDER", raising=False)
    monkeypatch.delenv("CASEBOOK_STORE", raising=False)
    monkeypatch.delenv("CASEBOOK_CASES", raising=False)
    monkeypatch.delenv("CASEBOOK_LANGUAGE", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)


@pytest.fixture(scope="module")
def voila_server(tmp_path_factory, test_cache):
    server = VoilaServer(tmp_path_factory.mktemp("voila"), env={"CASEBOOK_CACHE": str(test_cache)}).start()
    yield server
    server.stop()


def browser_available() -> bool:
    return Path(CHROMIUM).exists()


@pytest.fixture(scope="session")
def browser():
    if not browser_available():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is not installed at {CHROMIUM}; browser tests must run on CI")
        pytest.skip("Chromium not installed (run the README's test command, which installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)
    yield page
    context.close()


def artifacts_dir() -> Path:
    """Where tests leave screenshots for people to look at: ``$CASEBOOK_ARTIFACTS``, by default
    ``casebook-artifacts`` in the system's temporary folder (``/tmp/casebook-artifacts``); never
    in the checkout."""
    import tempfile

    return Path(os.environ.get("CASEBOOK_ARTIFACTS") or Path(tempfile.gettempdir()) / "casebook-artifacts")


@pytest.fixture
def artifacts() -> Path:
    """The screenshots' folder (``artifacts_dir``), made when a test first asks for it."""
    path = artifacts_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_terminal_summary(terminalreporter):
    """Name the screenshots' folder at the end of a run (with xdist too: the folder is looked at,
    not which worker wrote into it)."""
    if artifacts_dir().is_dir():
        terminalreporter.write_line(f"screenshots of the browser tests: {artifacts_dir()}")


@pytest.fixture
def cli():
    """Run the ``casebook`` command in-process and return click's result."""
    from click.testing import CliRunner

    from casebook.cli import main

    runner = CliRunner()

    def run(*args, **kwargs):
        return runner.invoke(main, list(args), catch_exceptions=False, **kwargs)

    return run


# ------------------------------------------------------------------ stores: SQLite and PostgreSQL


def _must_run(what: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; on CI these tests must run (scripts/install --test installs it)")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server on a free port, owned by this test run."""
    import glob
    import tempfile

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _must_run("PostgreSQL (initdb)")
    bin_dir = Path(found[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="casebook-pg-"))
    data, port = base / "data", free_port()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_postgres + [str(bin_dir / "initdb"), "-D", str(data), "-U", "casebook", "--auth=trust",
                                  "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(as_postgres + [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                  str(base / "log"), "-w", "start"], check=True, capture_output=True)
    yield f"postgresql+psycopg://casebook@127.0.0.1:{port}"
    subprocess.run(as_postgres + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                   capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    import uuid

    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


@pytest.fixture
def store(store_url):
    from casebook.store import Store

    store = Store(store_url)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def cleared_test_cases(test_cache, tmp_path_factory):
    """The test cases through the anonymisation gate once per run (their verdicts are kept in
    the run's cache, so every test's store may register sessions with them)."""
    from casebook.cases import load_cases
    from casebook.clearance import clear

    with pytest.MonkeyPatch.context() as env:
        env.setenv("CASEBOOK_CACHE", str(test_cache))
        env.setenv("CASEBOOK_DATA", str(tmp_path_factory.mktemp("clearing")))
        clear(load_cases([DATA / "cases"]))


@pytest.fixture
def test_cases(cleared_test_cases):
    """The test case folder (small, stable) as a Casebook, cleared by the anonymisation gate."""
    from casebook.cases import load_cases

    return load_cases([DATA / "cases"])



@pytest.fixture
def fixed_clock():
    """The casebook's clock, stopped at a known time; a test moves it with ``advance()``."""
    from casebook.clock import clock

    clock.set(1_800_000_000.0)
    yield clock
    clock.reset()
