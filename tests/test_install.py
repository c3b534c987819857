"""A non-editable install works on its own: the wheel carries the app notebooks and templates,
and `casebook serve`, run from a fresh virtual environment holding only that wheel, serves every
app and the plan `casebook session new` writes into the data folder.

The wheel is built from a copy of the checkout (a build writes build/ and *.egg-info beside its
sources) without build isolation and without an index (setuptools is a test dependency), and is
installed without its dependencies into a new venv; the test run's own site-packages is added
behind it with a .pth file, so nothing is downloaded, and the casebook itself comes only from the
wheel (a .pth line adds a folder but runs none of the editable install's hooks in it)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.servers import PAGE_COOKIE_SCRIPT, ROOT, free_port

pytestmark = pytest.mark.server

TOKEN = "install-test-trainer-token-0123456789"
# every app page, with the repr of the view its notebook built (the page's output, as Voila
# sends it): the page ran its notebook from the installed package, start to end
CASES = len(list((ROOT / "casebook" / "cases").glob("*.md")))  # the built-in cases, all served
PUBLIC_APPS = {"participant": "ParticipantView(", "facilitator": "FacilitatorView(", "projector": "ProjectorView(",
               "casebook": f"BrowseView({CASES} cases", "solo": f"SoloView({CASES} cases"}
TRAINER_APPS = {"trainer": "TrainerView(", "author": "AuthorView("}
# the checkout's own working folders: never part of what is built
NOT_SOURCES = {".git", ".venv", "node_modules", "build", "artifacts", "__pycache__", ".pytest_cache"}


def _sources(folder: str, names: list[str]) -> set[str]:
    skipped = {name for name in names if name in NOT_SOURCES or name.endswith(".egg-info")}
    if Path(folder).resolve() == (ROOT / "notebooks").resolve():
        skipped.add("sessions")  # plans an older version wrote into the checkout
    return skipped


def run(args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The wheel, and a fresh venv with only the casebook installed from it."""
    tmp = tmp_path_factory.mktemp("install")
    source, wheels, venv = tmp / "source", tmp / "wheels", tmp / "venv"
    shutil.copytree(ROOT, source, ignore=_sources, symlinks=True)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", str(wheels), str(source)], cwd=tmp)
    [wheel] = wheels.glob("intervisie_casebook-*.whl")
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "casebook_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", str(wheel)], cwd=tmp)
    return {"tmp": tmp, "wheel": wheel, "venv": venv, "python": python, "site": site}


def test_the_wheel_holds_the_notebooks_templates_and_every_tracked_file_of_the_packages(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    notebooks = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert {"participant.ipynb", "session.ipynb", "trainer.ipynb"} <= notebooks
    assert {f"casebook/notebooks/{name}" for name in notebooks} <= names
    assert "casebook/jupyter/voila/templates/casebook/index.html.j2" in names
    assert "casebook/templates/plan.html.j2" in names and "casebook/jupyter/kernels/python3/kernel.json" in names
    in_git = (ROOT / ".git").exists()
    tracked = run(["git", "ls-files", "casebook", "widgets"], cwd=ROOT).stdout.split() if in_git else []
    missing = [name for name in tracked if name not in names]
    assert not missing, f"files of the packages left out of the wheel (pyproject.toml): {missing}"


def test_the_installed_package_is_used_not_the_checkout(installed):
    said = run([str(installed["python"]), "-c",
                "import casebook, widgets; from casebook.config import notebooks_dir; "
                "print(casebook.__file__); print(widgets.__file__); print(notebooks_dir())"],
               cwd=installed["tmp"], env=_environment(installed, installed["tmp"] / "probe")).stdout.split()
    for path in said:
        assert Path(path).is_relative_to(installed["site"]), said
    assert (Path(said[2]) / "participant.ipynb").is_file()


def _environment(installed, data: Path) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("CASEBOOK_", "PYTHON", "JUPYTER", "VOILA_")) and name != "QUERY_STRING"}
    # The dependencies' data files (Voila's page templates in share/jupyter) are where their
    # wheels put them, under this run's prefix, not the new venv's: as with the .pth above.
    return {**environment, "CASEBOOK_DATA": str(data), "CASEBOOK_CACHE": os.environ["CASEBOOK_CACHE"],
            "CASEBOOK_TRAINER_TOKEN": TOKEN, "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
            "PATH": f"{installed['venv'] / 'bin'}{os.pathsep}{environment.get('PATH', '')}"}


@pytest.fixture
def served(installed):
    """`casebook serve` of the installed package on a free port, with a data folder of its own."""
    data = installed["tmp"] / f"data-{time.monotonic_ns()}"
    port = free_port()
    environment = _environment(installed, data)
    log = open(installed["tmp"] / "serve.log", "a")
    command = [str(installed["venv"] / "bin" / "casebook"), "serve", "--port", str(port), "--pool", "1"]
    process = subprocess.Popen(command, cwd=installed["tmp"], env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, (installed["tmp"] / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (installed["tmp"] / "serve.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        yield {"url": url, "env": environment, "data": data}
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def get(url: str, opener=None) -> tuple[int, str]:
    """GET as a browser does: when the first answer is the light one for a client that has not
    run the page's script, do what its script does (set the page cookie) and ask again."""
    jar = http.cookiejar.CookieJar()
    opener = opener or urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for _ in range(2):
        try:
            with opener.open(url, timeout=180) as answer:
                status, page = answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode(errors="replace")
        script = PAGE_COOKIE_SCRIPT.search(page)
        if script is None:
            break
        jars = [handler.cookiejar for handler in opener.handlers if hasattr(handler, "cookiejar")]
        for cookies in jars:  # beside the browser cookie the answer set, for the same host
            browser = next(cookie for cookie in cookies if cookie.name == "casebook_browser")
            cookies.set_cookie(http.cookiejar.Cookie(
                0, script.group(1), script.group(2), None, False, browser.domain, False, False,
                "/", True, False, None, False, None, None, {}))
    return status, page


def trainer_browser():
    """An opener that keeps cookies, as a browser keeps the trainer cookie the token gives."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def test_serve_from_the_installed_package_serves_every_app_and_a_new_session_plan(installed, served):
    url = served["url"]
    status, page = get(url + "/")
    assert status == 200 and "cb-landing-code" in page
    for name, mark in PUBLIC_APPS.items():
        status, page = get(f"{url}/voila/render/{name}.ipynb")
        assert status == 200 and mark in page and "Traceback" not in page, (name, page[-2000:])
    for name, mark in TRAINER_APPS.items():
        status, page = get(f"{url}/voila/render/{name}.ipynb")
        assert status == 403, name  # not without the token
        status, page = get(f"{url}/voila/render/{name}.ipynb?token={TOKEN}", trainer_browser())
        assert status == 200 and mark in page and "Traceback" not in page, (name, page[-2000:])

    # `casebook session new` of the installed package: the plan lands in the data folder and
    # opens (for a trainer) at the address it printed
    made = run([str(installed["venv"] / "bin" / "casebook"), "session", "new", "--cases", "vp-003", "--format", "json"],
               cwd=installed["tmp"], env={**served["env"], "CASEBOOK_PUBLIC_URL": url})
    links = json.loads(made.stdout)
    plan = Path(links["plan_notebook"])
    assert plan.is_file() and plan.is_relative_to(served["data"])
    assert links["plan_url"].startswith(url + "/voila/render/sessions/")
    status, page = get(links["plan_url"])
    assert status == 403  # a plan is a trainer page
    status, page = get(links["plan_url"] + f"?token={TOKEN}", trainer_browser())
    assert status == 200 and links["code"] in page and "Traceback" not in page, page[-2000:]
    status, page = get(links["facilitator_url"])
    assert status == 200 and f"FacilitatorView(code=\\u0027{links['code']}\\u0027, allowed=True)" in page, page[-2000:]
    # nothing was written beside the installed package
    assert not (installed["site"] / "casebook" / "notebooks" / "sessions").exists()
