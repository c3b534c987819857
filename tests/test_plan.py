"""The papermill session template: parameters checked, session registered, plan printable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import func, select

from casebook import plan as plans
from casebook.store import SessionRow, open_store

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "notebooks" / "session.ipynb"


def papermill(*args, cwd):
    return subprocess.run([sys.executable, "-m", "papermill", str(TEMPLATE), *args, "--cwd", str(ROOT / "notebooks")],
                          cwd=cwd, capture_output=True, text=True)


def plan_html(notebook: Path) -> str:
    executed = nbformat.read(str(notebook), as_version=4)
    [cell] = [c for c in executed.cells if "plan" in c.metadata.get("tags", [])]
    return "".join(o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))


def sessions_in_store() -> int:
    with open_store().reading() as db:
        return db.execute(select(func.count()).select_from(SessionRow)).scalar()


def test_the_template_declares_exactly_the_checked_parameters():
    declared = plans.declared_parameters(TEMPLATE)
    assert set(declared) == set(plans.PARAMETER_TYPES)
    assert declared["cases"]["inferred_type_name"] == "list"


def test_papermill_with_a_yaml_list_registers_the_session_and_shows_both_cases(tmp_path):
    output = tmp_path / "plan.ipynb"
    done = papermill(str(output), "-y", "cases: [vp-003, vp-014]", "-p", "title", "Intervisie december", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    html = plan_html(output)
    assert "Morgen neem ik iets mee" in html and "Grapjes bij de kassa" in html
    assert "Intervisie december" in html
    assert "Sleutel van de trainer" in html  # the trainer's copy has the key with its reasons
    assert "<svg" in html  # the QR code of the join link
    assert sessions_in_store() == 1


def test_papermill_with_a_parameters_file(tmp_path):
    parameters = tmp_path / "sessie.yml"
    parameters.write_text("cases:\n  - vp-009\n  - vp-020\nmethod: vrij\nlanguage: en\nminutes:\n  lezen: 7\n")
    output = tmp_path / "plan.ipynb"
    done = papermill(str(output), "-f", str(parameters), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    html = plan_html(output)
    assert "Reading" in html and ">7<" in html  # English phases, the minutes asked for
    assert "Free discussion" in html


@pytest.mark.parametrize("args, words", [
    (["-y", "cases: [vp-003, vp-999]"], ["'cases'", "vp-999"]),
    (["-p", "method", "balint"], ["'method'", "balint"]),
    (["-y", "minutes: {bespreking: -5}"], ["'minutes'", "-5"]),
    (["-y", "minutes: {koffiepauze: 5}"], ["'minutes'", "koffiepauze"]),
    (["-p", "language", "de"], ["'language'", "'de'"]),
])
def test_a_bad_parameter_fails_at_once_naming_it_and_writes_no_session(tmp_path, args, words):
    done = papermill(str(tmp_path / "plan.ipynb"), *args, cwd=tmp_path)
    assert done.returncode != 0
    for word in words:
        assert word in done.stderr
    assert sessions_in_store() == 0


@pytest.mark.parametrize("parameters, name", [
    ({"cases": ["vp-003"], "__import__('os').system('x')": 1}, "__import__('os').system('x')"),
    ({"cases": ["vp-003"], "title": ["not", "a", "title"]}, "title"),
    ({"cases": "vp-003"}, "cases"),
    ({"cases": ["vp-003", 7]}, "cases"),
    ({"cases": ["vp-003"], "reveal_key": "yes"}, "reveal_key"),
    ({"cases": ["vp-003"], "minutes": True}, "minutes"),
])
def test_only_declared_names_with_declared_types_reach_papermill(parameters, name):
    with pytest.raises(plans.PlanParameterError) as caught:
        plans.check_parameters(parameters, TEMPLATE)
    assert caught.value.name == name


def test_cli_session_new_runs_the_template_and_exports_a_printable_plan(cli, tmp_path, capfd):
    html_file = tmp_path / "plan.html"
    result = cli("session", "new", "--cases", "vp-003,vp-014", "--title", "Proef", "--plan", str(html_file),
                 "--format", "json")
    assert result.exit_code == 0, result.output
    # the plan's kernel talks over Unix sockets, as the server's do: no TCP warning for the trainer
    assert "running over TCP" not in capfd.readouterr().err
    links = json.loads(result.output)
    assert set(links) >= {"code", "participant_url", "facilitator_url", "projector_url", "plan_url", "plan_html"}
    notebook = Path(links["plan_notebook"])
    try:
        # written into the data folder, never into the checkout or the installed package
        assert notebook.parent == plans.sessions_dir() and Path(os.environ["CASEBOOK_DATA"]) in notebook.parents
        assert links["plan_url"].endswith(f"sessions/{notebook.stem}.ipynb")
        assert f"facilitator.ipynb?code={links['code']}&key=" in links["facilitator_url"]
        key = links["facilitator_url"].split("key=")[1]
        assert key not in notebook.read_text("utf-8")  # an executed plan holds no authority
        page = html_file.read_text("utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert "Morgen neem ik iets mee" in page and "Grapjes bij de kassa" in page
        assert links["code"] in page
        for code_word in ("prepare_session", "import ", "session_facilitator_app", "facilitator_key"):
            assert code_word not in page
        assert "<script" not in page
        # nbval (lax) over the executed plan: it runs again, finding its own session
        check = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                                str(notebook), "--rootdir", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout[-3000:]
        assert sessions_in_store() == 1  # re-running the plan did not make a second session
    finally:
        notebook.unlink(missing_ok=True)


def test_cli_session_new_names_a_bad_case(cli):
    result = cli("session", "new", "--cases", "vp-003,vp-999")
    assert result.exit_code == 1
    assert "vp-999" in result.output
    assert sessions_in_store() == 0


def test_a_failed_session_new_leaves_no_session_and_no_notebook(cli, monkeypatch):
    import papermill

    before = set((ROOT / "notebooks" / "sessions").glob("*.ipynb")) if (ROOT / "notebooks" / "sessions").exists() else set()

    def broken(*args, **kwargs):
        raise RuntimeError("the kernel died")

    monkeypatch.setattr(papermill, "execute_notebook", broken)
    with pytest.raises(RuntimeError):
        cli("session", "new", "--cases", "vp-003")
    assert sessions_in_store() == 0
    assert set((ROOT / "notebooks" / "sessions").glob("*.ipynb")) == before


def test_the_printed_key_marks_how_the_vp_did_central_items_first(test_cases):
    plan = plans.SessionPlan(code="QWERTY", facilitator_key="k", title="Proef", method="incidentmethode",
                             language="nl", minutes={}, reveal_key=True,
                             cases=[test_cases.get("tst-tweede"), test_cases.get("tst-goed")])
    html = plan.html()
    tweede = html[html.index("A second test case</h2>"):html.index("Een goede testcasus</h2>")]
    key = tweede[tweede.index("cb-plan-key"):]
    assert key.index("Doorvertellen") < key.index("Altijd registreren") < key.index("Geheimhouding benadrukken")
    assert "<li class='cb-how-fout cb-central'>" in key and "kern" in key
    assert "<li class='cb-how-goed'>" in key and "goed gedaan" in key
    goed = html[html.index("Een goede testcasus</h2>"):]
    assert "open: wat zou jij doen?" in goed and "Juridisch kader" in goed and "Arbowet art. 3 lid 2" in goed
    participant_copy = plan.html(trainer_copy=False)
    assert '<span class="cb-how' not in participant_copy and "hier ging het mis" not in participant_copy
    assert "Juridisch kader" not in participant_copy
