"""pyproject.toml and environment.yml name the same pinned dependencies; set-up contract."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for spec in project["dependencies"] + [d for ds in project["optional-dependencies"].values() for d in ds]:
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[\w+\])?==([\w.]+)", spec).groups()
        pins[name.lower()] = version
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=", 1)
            pins[name.lower()] = version
    return pins


def test_every_dependency_is_pinned_alike_in_both_files():
    assert _pyproject_pins() == _conda_pins()


def test_ci_runs_the_readme_test_command():
    ci = [l for l in (ROOT / ".ci" / "run").read_text().splitlines() if l.strip() and not l.startswith(("#", "set "))]
    readme = (ROOT / "README.md").read_text()
    assert ci[-1] in readme
    first_commands = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, re.S)[0].strip().splitlines()
    assert any("casebook serve" in line or "scripts/start" in line for line in first_commands)
    assert ci[-1] in first_commands[-1] or any(ci[-1] in line for line in first_commands)
