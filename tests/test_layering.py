"""The layering of the README's "Development" holds: the domain never reaches up into views,
Voila or the CLI."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import casebook
import widgets

ROOT = Path(__file__).resolve().parent.parent


def modules(package) -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
                  if ".migrations" not in info.name)


def source(module: str) -> str:
    path = ROOT / (module.replace(".", "/") + ".py")
    return path.read_text("utf-8") if path.exists() else (ROOT / module.replace(".", "/") / "__init__.py").read_text()


def top_level_imports(module: str) -> set[str]:
    """The casebook modules ``module`` imports when it is imported (not inside functions)."""
    found = set()
    for node in ast.parse(source(module)).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("casebook"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("casebook")}
    return found


def test_every_module_imports():
    done = subprocess.run([sys.executable, "-c", "import importlib, sys\n"
                           f"for name in {modules(casebook) + modules(widgets)!r}: importlib.import_module(name)"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_domain_imports_no_widget_voila_or_cli_module():
    # the command line and the server launcher (Voila and its handlers) stand on top of the domain
    names = [name for name in modules(casebook) if name not in ("casebook.cli", "casebook.serve", "casebook.web")]
    probe = (f"import importlib, sys\nfor name in {names!r}: importlib.import_module(name)\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'widgets', 'voila')"
             " or m == 'casebook.cli'))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_no_domain_module_starts_the_cli_or_imports_a_view_even_lazily():
    for name in modules(casebook):
        if name == "casebook.cli":
            continue
        text = source(name)
        assert "casebook.cli" not in text, f"{name} starts or imports the CLI"
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in ("widgets", "ipywidgets"), f"{name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in ("widgets", "ipywidgets"), f"{name} imports {alias.name}"


def test_the_domain_has_no_import_cycles():
    graph = {name: top_level_imports(name) for name in modules(casebook)}
    state: dict[str, str] = {}

    def visit(name, path):
        state[name] = "open"
        for target in graph.get(name, ()):
            if state.get(target) == "open":
                raise AssertionError(" -> ".join(path + [name, target]))
            if target not in state:
                visit(target, path + [name])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [])
