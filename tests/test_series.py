"""A series of sessions from one YAML file (`casebook session new -f`) and a session prepared
again for another group (`casebook session duplicate`)."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casebook import sessions
from casebook.retention import close_session
from casebook.served import sessions_dir
from casebook.store import SessionRow, open_store

DATA = Path(__file__).resolve().parent / "data"

SERIES = """\
# shared by every session of the series
method: incidentmethode
minutes: {bespreking: 25}
reveal_key: false
sessions:
  - title: Intervisie januari
    cases: [tst-goed, tst-tweede]
  - title: Intervisie februari
    cases: [tst-tweede]
    minutes: {bespreking: 15, evaluatie: 10}
"""


@pytest.fixture
def prepared(monkeypatch, test_cases):
    """The test cases (cleared) beside the built-in ones; executed plans land in the test's own
    data folder, whose plans folder this returns."""
    monkeypatch.setenv("CASEBOOK_CASES", str(DATA / "cases"))
    return sessions_dir()


def stored_sessions() -> dict[str, sessions.SessionParameters]:
    store = open_store()
    with store.reading() as db:
        codes = db.execute(select(SessionRow.code).order_by(SessionRow.id)).scalars().all()
    return {code: sessions.session_parameters(store, code) for code in codes}


def plan_notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.ipynb"))


def test_a_series_file_makes_each_session_with_its_own_code(cli, prepared, tmp_path):
    series = tmp_path / "reeks.yml"
    series.write_text(SERIES, "utf-8")
    result = cli("--language", "en", "session", "new", "-f", str(series), "--plan", str(tmp_path / "plan.html"),
                 "--format", "json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert len(made) == 2 and made[0]["code"] != made[1]["code"]

    stored = stored_sessions()
    assert list(stored) == [made[0]["code"], made[1]["code"]]
    january, february = stored.values()
    assert (january.title, january.cases) == ("Intervisie januari", ["tst-goed", "tst-tweede"])
    assert (february.title, february.cases) == ("Intervisie februari", ["tst-tweede"])
    assert january.minutes == {"bespreking": 25}  # shared by the series
    assert february.minutes == {"bespreking": 15, "evaluatie": 10}  # the session's own
    assert not january.reveal_key and not february.reveal_key
    assert january.language == february.language == "en"  # --language when the file says nothing
    for links in made:
        assert f"code={links['code']}&key=" in links["facilitator_url"]
        page = Path(links["plan_html"])
        assert page.name == f"plan-{links['code']}.html" and links["code"] in page.read_text("utf-8")
    assert len(plan_notebooks(prepared)) == 2


def test_options_on_the_command_line_apply_to_every_session(cli, prepared, tmp_path):
    series = tmp_path / "reeks.yml"
    series.write_text(SERIES, "utf-8")
    result = cli("session", "new", "-f", str(series), "--title", "Voor iedereen", "--key")
    assert result.exit_code == 0, result.output
    assert [(p.title, p.reveal_key) for p in stored_sessions().values()] == [("Voor iedereen", True)] * 2
    assert result.output.count("facilitator_url") == 2


def test_a_plain_papermill_parameters_file_makes_one_session(cli, prepared, tmp_path):
    parameters = tmp_path / "sessie.yml"
    parameters.write_text("cases: [tst-goed]\nmethod: vrij\ntitle: Eén keer\n", "utf-8")
    result = cli("session", "new", "-f", str(parameters), "--format", "json")
    assert result.exit_code == 0, result.output
    [links] = json.loads(result.output)
    assert stored_sessions()[links["code"]].method == "vrij"


@pytest.mark.parametrize("content, words", [
    ("cases: [tst-goed\ntitle: x\n", ["regel", "geen geldige YAML"]),
    ("- tst-goed\n- tst-tweede\n", ["'naam: waarde'"]),
    ("", ["is leeg"]),
    ("sessions: tst-goed\n", ["'sessions'", "niet-lege lijst"]),
    ("sessions:\n  - cases: [tst-goed]\n  - tst-tweede\n", ["sessie 2", "'naam: waarde'"]),
    ("sessions:\n  - cases: [tst-goed]\n  - cases: [tst-goed, vp-999]\n", ["sessie 2", "vp-999", "geen enkele sessie"]),
    ("cases: [tst-goed]\nsessions:\n  - {}\n  - method: balint\n", ["sessie 2", "'method'", "balint"]),
    ("cases: [tst-goed]\nsessions:\n  - groep: Oost\n", ["sessie 1", "'groep'", "kent deze parameter niet"]),
    ("cases: [tst-goed]\nsessions:\n  - reveal_key: misschien\n", ["sessie 1", "'reveal_key'", "bool"]),
    ("sessions:\n  - title: Zonder casussen\n", ["sessie 1", "'cases'"]),
])
def test_a_bad_series_file_is_named_with_its_problem_and_nothing_is_made(cli, prepared, tmp_path, content, words):
    series = tmp_path / "reeks.yml"
    series.write_text(content, "utf-8")
    result = cli("session", "new", "-f", str(series))
    assert result.exit_code == 1
    assert str(series) in result.output
    for word in words:
        assert word in result.output, result.output
    assert stored_sessions() == {} and plan_notebooks(prepared) == []


def test_a_missing_file_is_named(cli, prepared, tmp_path):
    result = cli("session", "new", "-f", str(tmp_path / "weg.yml"))
    assert result.exit_code == 1 and "weg.yml" in result.output and "niet te lezen" in result.output


def test_session_new_needs_cases_or_a_file(cli, prepared):
    result = CliRunnerWithErrors().invoke(["session", "new", "--title", "Niets"])
    assert result.exit_code == 2 and "--cases" in result.output


class CliRunnerWithErrors:
    """click's runner as a user meets it: usage errors printed, exit code 2."""

    def invoke(self, args):
        from click.testing import CliRunner

        from casebook.cli import main

        return CliRunner().invoke(main, args)


def test_a_series_that_fails_half_way_leaves_nothing_behind(cli, prepared, tmp_path, monkeypatch):
    import papermill

    runs = []

    def second_run_fails(template, output, **kwargs):
        runs.append(output)
        if len(runs) == 2:
            raise RuntimeError("the kernel died")
        Path(output).write_text("{}", "utf-8")  # the first plan is written

    monkeypatch.setattr(papermill, "execute_notebook", second_run_fails)
    series = tmp_path / "reeks.yml"
    series.write_text(SERIES, "utf-8")
    result = cli("session", "new", "-f", str(series))
    assert result.exit_code == 1
    assert "sessie 2" in result.output and "the kernel died" in result.output
    assert len(runs) == 2 and not Path(runs[0]).exists()
    assert stored_sessions() == {} and plan_notebooks(prepared) == []


def test_duplicate_prepares_the_same_session_for_another_group(cli, prepared, test_cases):
    store = open_store()
    original = sessions.create_session(
        store, ["tst-tweede", "tst-goed"], casebook=test_cases, title="Regio Oost", method="vrij", language="en",
        minutes={"lezen": 12}, reveal_key=False)
    person = sessions.join(store, original.code, "Uil")
    close_session(store, original.code, casebook=test_cases)  # a closed session can be repeated too

    result = cli("session", "duplicate", original.code.lower(), "--format", "json")
    assert result.exit_code == 0, result.output
    links = json.loads(result.output)
    assert links["code"] != original.code and f"code={links['code']}&key=" in links["facilitator_url"]
    stored = stored_sessions()
    assert stored[links["code"]] == stored[original.code]
    assert stored[links["code"]].cases == ["tst-tweede", "tst-goed"] and stored[links["code"]].minutes == {"lezen": 12}
    # the new one is a fresh session: open, nobody in it
    fresh = sessions.state(store, links["code"])
    assert fresh.participants == 0 and fresh.step.index == 0
    assert sessions.participant_pseudonym(store, links["code"], person) is None
    assert len(plan_notebooks(prepared)) == 1


def test_duplicating_an_unknown_session_says_so(cli, prepared):
    result = cli("session", "duplicate", "QQQQQQ")
    assert result.exit_code == 1 and "QQQQQQ" in result.output
    with open_store().reading() as db:
        assert db.execute(select(func.count()).select_from(SessionRow)).scalar() == 0
