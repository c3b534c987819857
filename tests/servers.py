"""Real servers and browsers for tests and benchmarks: ``casebook serve`` as a user starts it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


# The light first answer to a client that has not shown it runs the page's script
# (casebook/templates/preview.html.j2): the script sets this cookie and asks again.
PAGE_COOKIE_SCRIPT = re.compile(r'var cookie = "(casebook_page)=([0-9a-f]+)"')


def page_cookies(url: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """The cookies a browser holds after the first answer for ``url``: its browser cookie, and the
    page cookie its script set. A client that sends both gets the page with its kernel."""
    import httpx

    first = httpx.get(url, headers=headers, timeout=120)
    found = PAGE_COOKIE_SCRIPT.search(first.text)
    assert found, f"no page-cookie script in the first answer for {url}: {first.status_code} {first.text[:300]}"
    return {"casebook_browser": first.cookies["casebook_browser"], found.group(1): found.group(2)}


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def get_page(url: str, timeout: float = 120, **kwargs):
    """GET a page as a browser does it: the first answer's script ran, then the page itself."""
    import httpx

    return httpx.get(url, cookies=page_cookies(url), timeout=timeout, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_in_a_loop_of_its_own(coroutine):
    """Run a coroutine as a kernel runs a page: an event loop of its own, in a thread of its
    own (the browser tests' Playwright leaves its loop marked as running in the test's thread)."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


class VoilaServer:
    """``casebook serve`` in a subprocess, the way a user starts it."""

    TOKEN = "test-trainer-token-0123456789"

    def __init__(self, tmp: Path, env: dict[str, str] | None = None, pool: int = 2, args: list[str] | None = None):
        self.pool = pool
        self.args = list(args or [])
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.log_path = tmp / "voila.log"
        inherited = {k: v for k, v in os.environ.items()
                     if k not in ("CASEBOOK_CASES", "CASEBOOK_STORE", "QUERY_STRING", "CASEBOOK_LANGUAGE",
                                  "CASEBOOK_CHECKER", "CASEBOOK_TRAINER_TOKEN")}
        self.env = {**inherited, "CASEBOOK_DATA": str(tmp / "server-data"), "CASEBOOK_TRAINER_TOKEN": self.TOKEN,
                    **(env or {})}
        self.token = self.env["CASEBOOK_TRAINER_TOKEN"]
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> "VoilaServer":
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casebook.cli", "serve", "--port", str(self.port), "--pool", str(self.pool),
             *self.args],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"casebook serve exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"casebook serve did not answer: {self.log_path.read_text()[-3000:]}")

    def app_url(self, name: str, query: str = "") -> str:
        return f"{self.url}/voila/render/{name}.ipynb" + (f"?{query}" if query else "")

    def trainer_url(self, name: str, query: str = "") -> str:
        """A trainer page's address with the trainer token."""
        return self.app_url(name, "&".join(filter(None, [f"token={self.token}", query])))

    def restart(self) -> "VoilaServer":
        """Stop the server and start it again on the same port and data (a server restart)."""
        self.stop()
        return self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
