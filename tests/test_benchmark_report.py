"""benchmarks/_report.py: each benchmark run appends (or, same commit and machine, replaces) a
dated table naming the machine in docs/benchmarks.md, and leaves the rest of the file alone."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def report_module():
    spec = importlib.util.spec_from_file_location("benchmark_report", ROOT / "benchmarks" / "_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_run_is_appended_a_rerun_replaced_and_the_hand_kept_text_stays(tmp_path):
    report = report_module()
    document = tmp_path / "benchmarks.md"
    document.write_text("# Benchmarks\n\nFigures kept by hand | with a pipe.\n", "utf-8")
    machine = {"cores": "2", "memory": "3.8 GiB", "cpu": "Test CPU", "load": "0.1 0.2 0.3",
               "date": "2026-12-07 19:00 UTC", "commit": "abc1234", "python": "3.11.2"}
    header = ["what", "target", "measured"]
    report.record("scale", header, [["a vote, p95", "≤ 0.3 s", "0.08 s"]], title="Three groups",
                  document=document, about=machine)
    report.record("scale", header, [["a vote, p95", "≤ 0.3 s", "0.07 s"]], document=document,
                  about={**machine, "date": "2026-12-07 19:30 UTC"})  # same commit and machine: replaced
    report.record("scale", header, [["a vote, p95", "≤ 0.3 s", "0.06 s"]], document=document,
                  about={**machine, "commit": "def5678", "date": "2026-12-08 09:00 UTC"})  # appended
    report.record("restart", header, [["back", "≤ 30 s", "12 s"]], document=document, about=machine)
    text = document.read_text("utf-8")
    assert text.startswith("# Benchmarks\n\nFigures kept by hand | with a pipe.\n")
    assert text.count("## Three groups") == 1 and "## restart" in text
    assert "0.08 s" not in text and "0.07 s" in text and "0.06 s" in text
    assert text.index("0.07 s") < text.index("0.06 s") < text.index("12 s")
    assert "### 2026-12-07 19:30 UTC · commit abc1234" in text and "### 2026-12-08 09:00 UTC · commit def5678" in text
    assert "Machine: 2 cores, 3.8 GiB memory, Test CPU; load averages at the end 0.1 0.2 0.3" in text
    for number in range(6):  # at most KEEP runs per benchmark
        report.record("restart", header, [["back", "≤ 30 s", f"{number} s"]], document=document,
                      about={**machine, "commit": f"c{number}"})
    restart = text_between(document.read_text("utf-8"), "<!-- benchmark restart -->", "<!-- /benchmark restart -->")
    assert restart.count("<!-- run restart ") == report.KEEP and "| 0 s |" not in restart and "| 5 s |" in restart


def test_the_machine_is_named():
    about = report_module().machine()
    assert about["cores"].isdigit() and about["memory"] and about["cpu"] and about["date"].endswith("UTC")
    assert about["commit"]


def text_between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]
