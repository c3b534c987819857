"""The gate in front of the apps and sessions: only cleared cases are offered, a case with
findings is refused with a clear message, and a participant's page never loads deduce."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casebook import sessions
from casebook.cases import load_cases
from casebook.clearance import clear, record_path, served_cases
from casebook.store import Store

DATA = Path(__file__).resolve().parent / "data"
ROOT = DATA.parent.parent


@pytest.fixture
def folders(tmp_path):
    """The test cases plus the dirty one, as copies the test may edit."""
    folder = tmp_path / "cases"
    shutil.copytree(DATA / "cases", folder)
    shutil.copy(DATA / "dirty-cases" / "tst-vuil.md", folder)
    return [folder]


def test_nothing_is_served_before_the_check_ran(folders):
    book = served_cases(folders)
    assert len(book) == 0
    assert {p.code for p in book.problems} == {"not_cleared"}
    assert len(book.problems) == 3


def test_clear_records_verdicts_and_the_apps_offer_only_clean_cases(folders):
    lines = []
    verdict = clear(load_cases(folders), say=lines.append)
    assert sorted(verdict.cleared) == ["tst-goed", "tst-tweede"]
    assert verdict.refused == ["tst-vuil"]
    assert record_path().exists()
    assert any("tst-vuil" in line and "casebook check" in line for line in lines)
    book = served_cases(folders)
    assert sorted(book.cases) == ["tst-goed", "tst-tweede"]
    [problem] = book.problems
    assert problem.code == "has_findings" and problem.file.endswith("tst-vuil.md")
    assert "06-48213957" in problem.message("nl") and "casebook check" in problem.message("en")


def test_a_case_edited_after_the_check_is_not_served_until_checked_again(folders):
    clear(load_cases(folders))
    case_file = folders[0] / "tst-goed.md"
    case_file.write_text(case_file.read_text() + "\nDe teamleider heet Kees de Boer.\n")
    book = served_cases(folders)
    assert "tst-goed" not in book.cases
    assert [p.code for p in book.problems if p.file.endswith("tst-goed.md")] == ["not_cleared"]
    clear(load_cases(folders))
    assert "tst-goed" not in served_cases(folders).cases  # now refused for its finding


def test_create_session_refuses_a_case_with_findings_and_accepts_clean_ones(folders, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    book = load_cases(folders)
    with pytest.raises(sessions.BadParameter) as refused:
        sessions.create_session(store, ["tst-goed", "tst-vuil"], casebook=book)
    message = refused.value.message("en")
    assert "tst-vuil" in message and "anonymisation check refuses" in message
    assert "06-48213957" in refused.value.message("nl")
    created = sessions.create_session(store, ["tst-goed", "tst-tweede"], casebook=book)
    assert sessions.state(store, created.code).case_ids == ("tst-goed", "tst-tweede")
    store.dispose()


def test_a_participant_page_does_not_import_the_de_identification_library(tmp_path):
    """Build the participant app as its notebook does (and browse, with the served cases)."""
    code = "\n".join([
        "import sys",
        "from casebook import sessions",
        "from casebook.store import open_store",
        "created = sessions.create_session(open_store(), ['tst-goed'])",  # checks, in a child process
        "import os; os.environ['QUERY_STRING'] = 'code=' + created.code",
        "from widgets.participant import participant_app",
        "view = participant_app()",
        "from widgets.browse import browse_app",
        "browse = browse_app()",
        "print(repr(browse))",
        "print(sorted(m for m in sys.modules if m.startswith(('deduce', 'docdeid', 'casebook.anonymise'))))",
    ])
    env = {**os.environ, "CASEBOOK_DATA": str(tmp_path / "data"), "CASEBOOK_CASES": str(DATA / "cases")}
    env.pop("CASEBOOK_STORE", None)
    # the check as `casebook serve` runs it at start-up: its record is all the pages read
    subprocess.run([sys.executable, "-c", "from casebook.clearance import clear; clear()"], env=env, check=True,
                   cwd=ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    shown, modules = out.stdout.strip().splitlines()[-2:]
    every_case = len(list((ROOT / "casebook" / "cases").glob("*.md"))) + len(list((DATA / "cases").glob("*.md")))
    assert shown.startswith(f"BrowseView({every_case} cases")  # every case served, none refused
    assert modules == "[]"


def test_session_new_refuses_a_case_with_findings(cli, monkeypatch):
    monkeypatch.setenv("CASEBOOK_CASES", str(DATA / "dirty-cases"))
    result = cli("session", "new", "--cases", "tst-vuil", "--format", "json")
    assert result.exit_code == 1
    assert "'tst-vuil'" in result.output and "anonimiseringscontrole weigert deze casus" in result.output
    assert "06-48213957" in result.output
