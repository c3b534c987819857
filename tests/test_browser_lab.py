"""``casebook lab``: JupyterLab on a trainer folder, in real Chromium. Running the session
template shows the plan inline and the facilitator's widgets; the browse notebook draws its
case cards with the same widgets as in Voila."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.servers import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.server]

TOKEN = "lab-test-token-0123456789"


class LabServer:
    """``casebook lab`` in a subprocess, as a trainer starts it, with Jupyter's folders of its own."""

    def __init__(self, tmp: Path, cache: Path):
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.folder = tmp / "trainer"
        self.data = tmp / "data"
        self.log_path = tmp / "lab.log"
        jupyter = tmp / "jupyter"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CASEBOOK_", "JUPYTER"))}
        self.env = {
            **inherited, "CASEBOOK_DATA": str(self.data), "CASEBOOK_CACHE": str(cache),
            "JUPYTER_CONFIG_DIR": str(jupyter / "config"), "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
            "JUPYTERLAB_WORKSPACES_DIR": str(jupyter / "workspaces"),
            "JUPYTERLAB_SETTINGS_DIR": str(jupyter / "settings"),
        }

    def start(self, timeout: float = 120) -> "LabServer":
        self.started = time.monotonic()
        self.log = open(self.log_path, "a")
        args = [sys.executable, "-m", "casebook.cli", "lab", "--folder", str(self.folder), "--port", str(self.port),
                "--no-open", "--token", TOKEN]
        if os.geteuid() == 0:  # CI containers run as root; JupyterLab refuses that unless told
            args.append("--allow-root")
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"casebook lab exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={TOKEN}", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"casebook lab did not answer: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # JupyterLab shuts its kernels down on SIGTERM
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@pytest.fixture
def lab_server(tmp_path, test_cache):
    server = LabServer(tmp_path, test_cache).start()
    yield server
    server.stop()


@contextmanager
def explained(page, server: LabServer, artifacts: Path):
    """On a failure, leave what JupyterLab showed and what the server said."""
    try:
        yield
    except Exception:
        page.screenshot(path=str(artifacts / "lab-failure.png"))
        print("outputs:", page.locator(".jp-OutputArea-output").all_inner_texts())
        print("lab log:", server.log_path.read_text()[-4000:])
        raise


CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the tab in front


def run_all_cells(page, notebook: str) -> None:
    """Open a notebook from JupyterLab's file browser and run it as a trainer does: Run → Run All
    Cells, once its tab is in front and its kernel is ready."""
    page.dblclick(f".jp-DirListing-item[title^='Name: {notebook}'] .jp-DirListing-itemText")
    page.wait_for_selector(f".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current:has-text('{notebook}')")
    page.wait_for_selector(f"{CURRENT} .jp-Notebook .jp-Cell")
    page.wait_for_selector(f"{CURRENT} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.wait_for_selector("#jp-main-statusbar:has-text('| Idle')", timeout=60_000)
    for _attempt in range(3):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        try:  # a Run All sent while the kernel's connection was still settling is dropped: again
            page.wait_for_function(
                """panel => [...document.querySelectorAll(panel + ' .jp-InputPrompt')]
                             .some(p => /\\[(\\d+|\\*)\\]/.test(p.textContent))""",
                arg=CURRENT, timeout=20_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"JupyterLab did not run {notebook}")


def test_lab_runs_the_session_template_and_the_browse_notebook(lab_server, page, artifacts):
    with explained(page, lab_server, artifacts):
        check_lab(lab_server, page, artifacts)


def check_lab(lab_server, page, artifacts):
    started = lab_server.started
    assert {p.name for p in lab_server.folder.iterdir()} >= {"session.ipynb", "casebook.ipynb"}
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.goto(f"{lab_server.url}/lab?token={TOKEN}")
    # the session template: the plan inline, then the facilitator's app drawn by the widgets
    run_all_cells(page, "session.ipynb")
    page.wait_for_selector(".cb-plan .cb-plan-code", timeout=60_000)
    code = page.locator(".cb-plan-code").inner_text().strip()
    plan_text = page.locator(".cb-plan").inner_text()
    page.wait_for_selector(".cb-phase", timeout=30_000)
    assert page.locator(".cb-next-phase").count() == 1
    page.locator(".cb-plan").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "lab-session.png"))

    # the session is registered in the store the lab was started with, with the template's cases
    from casebook import sessions
    from casebook.cases import load_cases
    from casebook.store import Store

    store = Store(f"sqlite:///{lab_server.data / 'casebook.db'}")
    try:
        registered = sessions.state(store, code)
    finally:
        store.dispose()
    assert registered.case_ids == ("vp-003", "vp-014")
    book = load_cases()
    for case_id in registered.case_ids:
        assert book.get(case_id).title in plan_text
    # the facilitator's widgets work as in Voila: a click goes to the kernel and into the store
    phase_before = page.locator(".cb-phase .cb-phase-name").inner_text()
    page.locator(".cb-next-phase").first.click()
    page.wait_for_function("before => document.querySelector('.cb-phase .cb-phase-name').textContent !== before",
                           arg=phase_before)
    assert page.locator(".cb-phase .cb-phase-name").inner_text() == "Verhelderende vragen"
    store = Store(f"sqlite:///{lab_server.data / 'casebook.db'}")
    try:
        assert sessions.state(store, code).step.index == 1
    finally:
        store.dispose()
    print(f"session notebook done after {time.monotonic() - started:.1f} s")

    # the browse notebook: every case as a card; opening one shows it
    run_all_cells(page, "casebook.ipynb")
    page.wait_for_selector(f"{CURRENT} .cb-case-card", timeout=60_000)
    cards = page.locator(f"{CURRENT} .cb-case-card")
    assert cards.count() == len(book)
    title = cards.nth(1).locator(".cb-card-title").inner_text()
    cards.nth(1).locator(".cb-open").click()
    page.wait_for_selector(f"{CURRENT} .cb-case-title:has-text('{title}')")
    assert page.locator(f"{CURRENT} .cb-vignette").inner_text().strip()
    assert page.locator(".cb-error:visible").count() == 0
    page.screenshot(path=str(artifacts / "lab-browse.png"))
    # JupyterLab never asked about its news feed (the casebook's default settings)
    assert page.locator("text=official Jupyter news").count() == 0
    print(f"browse notebook done after {time.monotonic() - started:.1f} s (lab start included)")
