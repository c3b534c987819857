"""HTTPS through Debian's nginx, configured with deploy/nginx/casebook.conf, in front of
``casebook serve``: pages render and their widgets answer over the proxied websocket."""

from __future__ import annotations

import getpass
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import ROOT, VoilaServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.server]

SITE_TEMPLATE = ROOT / "deploy" / "nginx" / "casebook.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
SERVER_NAME = "localhost"


def _must_run(what: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; on CI these tests must run (scripts/install --test installs it)")
    pytest.skip(f"{what} is not installed")


def render_site(template: str, *, certificate: Path, key: Path, upstream_port: int, https_port: int,
                http_port: int) -> str:
    """The site as an administrator fills it in, for this machine: our name, certificate and ports,
    listening on the loopback address only."""
    replacements = [
        ("/etc/letsencrypt/live/casebook.example.org/fullchain.pem", str(certificate)),
        ("/etc/letsencrypt/live/casebook.example.org/privkey.pem", str(key)),
        ("casebook.example.org", SERVER_NAME),
        ("proxy_pass http://127.0.0.1:8866;", f"proxy_pass http://127.0.0.1:{upstream_port};"),
        ("listen 443 ", f"listen 127.0.0.1:{https_port} "),
        ("listen 80", f"listen 127.0.0.1:{http_port}"),
    ]
    site = "\n".join(line for line in template.splitlines() if "listen [::]" not in line)
    for placeholder, value in replacements:
        assert placeholder in site, f"{SITE_TEMPLATE.name} no longer contains {placeholder!r}"
        site = site.replace(placeholder, value)
    return site


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "casebook.crt", folder / "casebook.key"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={SERVER_NAME}", "-addext", f"subjectAltName=DNS:{SERVER_NAME}",
                    "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    return certificate, key


@dataclass
class Nginx:
    """nginx as a child process with its own prefix, pid, logs and temp folders."""

    folder: Path
    https_port: int
    http_port: int
    process: subprocess.Popen | None = None

    @property
    def https_url(self) -> str:
        return f"https://{SERVER_NAME}:{self.https_port}"

    def start(self, site: str, timeout: float = 20) -> "Nginx":
        (self.folder / "casebook.conf").write_text(site)
        temp_paths = "\n".join(f"    {kind}_temp_path {self.folder / kind};"
                               for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # as root, nginx's workers would otherwise run as nobody, who cannot enter pytest's folders
        user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(f"""{user}
worker_processes 1;
pid {self.folder / 'nginx.pid'};
error_log {self.folder / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    access_log {self.folder / 'access.log'};
{temp_paths}
    include {self.folder / 'casebook.conf'};
}}
""")
        self.log = open(self.folder / "nginx.out", "w")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.logs()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not listen: {self.logs()}")

    def logs(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in (self.folder / "nginx.out", self.folder / "error.log")
                         if path.exists())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, test_cache):
    if not Path(NGINX).exists():
        _must_run("nginx")
    if not Path(OPENSSL).exists():
        _must_run("openssl")
    folder = tmp_path_factory.mktemp("nginx")
    https_port, http_port = free_port(), free_port()
    certificate, key = self_signed_certificate(folder)
    server = VoilaServer(tmp_path_factory.mktemp("voila"), env={"CASEBOOK_CACHE": str(test_cache)},
                         args=["--ip", "127.0.0.1", "--public-url", f"https://{SERVER_NAME}:{https_port}"]).start()
    nginx = Nginx(folder, https_port, http_port)
    try:
        nginx.start(render_site(SITE_TEMPLATE.read_text(), certificate=certificate, key=key,
                                upstream_port=server.port, https_port=https_port, http_port=http_port))
        yield nginx
    finally:
        nginx.stop()
        server.stop()


@pytest.fixture
def https_page(browser):
    """A page that accepts the test's self-signed certificate, as a person clicks through the warning."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)
    yield page
    context.close()


def websockets_opened(page) -> list[str]:
    """The addresses of the websockets the page opens from now on (filled in as they open)."""
    opened: list[str] = []
    page.on("websocket", lambda websocket: opened.append(websocket.url))
    return opened


def kernel_websockets_through(nginx: Nginx, opened: list[str]) -> list[str]:
    return [url for url in opened if url.startswith(f"wss://{SERVER_NAME}:{nginx.https_port}/")
            and url.split("?")[0].endswith("/channels")]


def test_browse_app_over_https_with_security_headers(proxy, https_page):
    websockets = websockets_opened(https_page)
    started = time.monotonic()
    response = https_page.goto(f"{proxy.https_url}/voila/render/casebook.ipynb")
    assert response.status == 200 and response.url.startswith("https://")
    headers = response.headers
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"

    https_page.wait_for_selector(".cb-case-card", timeout=60_000)
    assert https_page.locator(".cb-case-card:visible").count() >= 24
    # a click travels to the kernel and the new view comes back, both over the proxied websocket
    title = https_page.locator(".cb-case-card .cb-card-title").first.inner_text()
    https_page.locator(".cb-open").first.click()
    https_page.wait_for_selector(".cb-case-title")
    assert https_page.locator(".cb-case-title").inner_text() == title
    print(f"\nbrowse app over https: case open {time.monotonic() - started:.2f} s after the request")
    assert kernel_websockets_through(proxy, websockets)


def test_participant_joins_over_https_and_a_wrong_code_is_answered(proxy, https_page):
    websockets = websockets_opened(https_page)
    https_page.goto(f"{proxy.https_url}/voila/render/participant.ipynb")
    https_page.wait_for_selector(".cb-code input", state="visible", timeout=60_000)
    https_page.fill(".cb-code input", "XXXXXX")
    https_page.fill(".cb-pseudonym input", "Uil")
    started = time.monotonic()
    https_page.click(".cb-join")
    message = https_page.wait_for_selector(".cb-error:visible")
    print(f"\nwrong code over https: answered in {time.monotonic() - started:.2f} s")
    assert "XXXXXX" in message.inner_text()
    assert kernel_websockets_through(proxy, websockets)


def _status_without_following(url: str) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=10) as answer:
            return answer.status, answer.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def test_plain_http_is_redirected_to_https_with_path_and_query(proxy):
    status, location = _status_without_following(
        f"http://{SERVER_NAME}:{proxy.http_port}/voila/render/participant.ipynb?code=ACDEFG")
    assert status == 301
    assert location == f"https://{SERVER_NAME}/voila/render/participant.ipynb?code=ACDEFG"


def test_other_host_names_get_no_answer(proxy):
    # plain http under another name (here the bare address): the connection is closed unanswered
    with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
        urllib.request.urlopen(f"http://127.0.0.1:{proxy.http_port}/", timeout=10)
    # https under another name: the TLS handshake is refused, no certificate is shown
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", proxy.https_port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname="other.example.org").close()

