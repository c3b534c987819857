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
        elif isinstance(dep, dict):  # packages conda-forge lacks come from PyPI, pinned the same way
            for spec in dep.get("pip", []):
                if "==" in spec:
                    name, version = spec.split("==", 1)
                    pins[name.lower()] = version
    return pins


def test_every_dependency_is_pinned_alike_in_both_files():
    assert _pyproject_pins() == _conda_pins()


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.S).group(1)
    commands = [line for line in first_block.strip().splitlines() if line.strip()]
    assert len(commands) == 2
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == [commands[1]]
    serve_script = (ROOT / commands[0].split()[-1]).read_text()
    assert "casebook serve" in serve_script and "scripts/install" in serve_script


def test_every_package_is_listed_for_the_wheel():
    """pyproject.toml lists the packages by name (notebooks/ is mapped into casebook/notebooks):
    a new package with an __init__.py must be added there, or the wheel leaves it out."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for top in ("casebook", "widgets")
             for init in (ROOT / top).rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"
    assert "casebook.notebooks" in listed


def test_the_readme_is_short_and_the_docs_cite_only_documents_in_the_repository():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", document.read_text()):
            if not target.startswith(("http://", "https://")):
                assert (document.parent / target).exists(), f"{document.name}: {target}"
