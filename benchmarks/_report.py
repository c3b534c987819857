"""Benchmark figures into docs/benchmarks.md, written by the benchmark scripts themselves.

A script ends a run with::

    from _report import record          # benchmarks/ is the script's own folder, so on sys.path
    record("scale", ["what", "target", "measured"], rows, title="Three groups on one machine",
           notes="Pages at nice -5.")

and docs/benchmarks.md gets, in the section of that benchmark (made at the end of the file the
first time), a dated table that names the machine: cores, memory, CPU model, the load averages
at the end of the run, the date and time (UTC) and the commit (``+dirty`` when the checkout had
changes). A run on the same commit and machine replaces that run's table (running again is
measuring again); any other run is appended. ``keep`` runs per benchmark are kept, the oldest
dropped first. Everything outside the marked sections (the figures kept by hand) is left as it is.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "benchmarks.md"
KEEP = 5


def machine() -> dict[str, str]:
    """What the figures were measured on, and when."""
    return {
        "cores": str(os.cpu_count() or "?"),
        "memory": _memory(),
        "cpu": _cpu_model(),
        "load": " ".join(f"{value:.1f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "python": platform.python_version(),
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "?"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (commit or "unknown") + ("+dirty" if dirty else "")


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _run_block(benchmark: str, key: str, about: dict[str, str], header, rows, notes: str, command: str) -> str:
    heading = f"### {about['date']} · commit {about['commit']}"
    described = (f"Machine: {about['cores']} cores, {about['memory']} memory, {about['cpu']}; load averages at the "
                 f"end {about['load']}; Python {about['python']}.")
    parts = [f"<!-- run {benchmark} {key} -->", heading, "", described]
    if command:
        parts.append(f"Command: `{command}`.")
    parts += ["", table(header, rows)]
    if notes:
        parts += ["", notes.strip()]
    parts.append(f"<!-- /run {benchmark} -->")
    return "\n".join(parts)


def record(benchmark: str, header: list[str], rows: list[list], title: str | None = None, notes: str = "",
           command: str = "", keep: int = KEEP, document: Path | None = None,
           about: dict[str, str] | None = None) -> Path:
    """Append (or replace, same commit and machine) this run's dated table in the benchmark's
    section of docs/benchmarks.md; returns the file written."""
    if not re.fullmatch(r"[a-z0-9_-]+", benchmark):
        raise ValueError(f"benchmark names are lowercase words: {benchmark!r}")
    document = Path(document or DOCUMENT)
    about = {**machine(), **(about or {})}
    same_run = "|".join([about["commit"], about["cores"], about["memory"], about["cpu"]])
    key = hashlib.sha256(same_run.encode()).hexdigest()[:12]
    block = _run_block(benchmark, key, about, header, rows, notes, command)
    text = document.read_text("utf-8") if document.exists() else "# Benchmarks\n"
    start, end = f"<!-- benchmark {benchmark} -->", f"<!-- /benchmark {benchmark} -->"
    if start not in text:
        text = text.rstrip("\n") + f"\n\n## {title or benchmark}\n\n{start}\n{end}\n"
    before, rest = text.split(start, 1)
    inside, after = rest.split(end, 1)
    runs = re.findall(rf"<!-- run {benchmark} [0-9a-f]+ -->.*?<!-- /run {benchmark} -->", inside, re.S)
    runs = [run for run in runs if not run.startswith(f"<!-- run {benchmark} {key} -->")] + [block]
    runs = runs[-keep:] if keep > 0 else runs
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(before + start + "\n" + "\n\n".join(runs) + "\n" + end + after, "utf-8")
    return document
