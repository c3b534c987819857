"""Recall per kind and false findings of the anonymisation check on our labelled texts.

    .venv/bin/python benchmarks/anonymisation.py [--show] [--part 1|2|3|4]

The texts are in tests/data/anonymisation/, in four parts measured separately:

- part 1: planted.yml and clean.yml, written by the developer of the first rules;
- part 2: planted-2.yml and clean-2.yml, written before the second round of rules (issue 15)
  by a helper who had not read them (indirect identifiers, ages, years of birth, hard names,
  English title case);
- part 3: planted-3.yml and clean-3.yml, written before the third round of rules (issue 26):
  clean texts with the traps of a held-out set (ordinary words that are first names, English
  title case and kinds of institutions, English job titles, Dutch particles, broad group
  descriptions, chat without names), each labelled with its ``trap``; names in lower case and
  capitals without the second round's cue words; indirect identifiers made of a yearly event;
- part 4: planted-4.yml and clean-4.yml, a blind spot check written after the third round's
  rules and run once before any change (its first-run figures are in docs/anonymisation-eval.md).

Planted texts label each identifier with its kind and exact text; clean texts hold none. A
planted identifier counts as found when a finding overlaps it (whatever kind the finding
names: the gate refuses the text either way); "right kind" counts those whose finding names
the labelled kind as well. "direct" is every kind but ``indirect``. Each part is measured for
deduce alone (as the library ships it) and for the gate (deduce + our rules). The speed line
checks a casebook of 40 cases (the built-in ones, repeated) after deduce is loaded.
tests/test_anonymisation_eval.py holds the floors.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "anonymisation"
PARTS = {1: ("planted.yml", "clean.yml"), 2: ("planted-2.yml", "clean-2.yml"), 3: ("planted-3.yml", "clean-3.yml"),
         4: ("planted-4.yml", "clean-4.yml")}
INDIRECT = "indirect"


def load_set(part: int = 1) -> tuple[list[dict], list[dict]]:
    planted_file, clean_file = PARTS[part]
    planted = yaml.safe_load((DATA / planted_file).read_text("utf-8"))
    clean = yaml.safe_load((DATA / clean_file).read_text("utf-8"))
    return planted, clean


def evaluate(scan=None, part: int = 1) -> dict:
    """Run ``scan(text) -> findings`` (default: the full check) over one part of the set."""
    from casebook.anonymise import scan_text

    scan = scan or scan_text
    planted, clean = load_set(part)
    total, found, right_kind = Counter(), Counter(), Counter()
    missed: list[tuple[str, str, str]] = []
    for entry in planted:
        text = entry["text"]
        findings = scan(text)
        for label in entry["identifiers"]:
            start = text.find(label["text"])
            if start < 0:
                raise ValueError(f"{entry['id']}: {label['text']!r} is not in its text")
            end = start + len(label["text"])
            kind = label["kind"]
            total[kind] += 1
            hits = [f for f in findings if f.start < end and f.end > start]
            if hits:
                found[kind] += 1
                right_kind[kind] += any(f.kind == kind for f in hits)
            else:
                missed.append((entry["id"], kind, label["text"]))
    false_findings = [(entry["id"], f.kind, f.text) for entry in clean for f in scan(entry["text"])]
    traps = {entry["id"]: entry.get("trap", "") for entry in clean}
    false_by_trap = Counter(traps[item[0]] for item in false_findings)
    direct = [kind for kind in total if kind != INDIRECT]
    return {
        "part": part, "texts": len(planted), "clean_texts": len(clean),
        "recall": {kind: found[kind] / total[kind] for kind in sorted(total)},
        "counts": {kind: (found[kind], right_kind[kind], total[kind]) for kind in sorted(total)},
        "overall": sum(found.values()) / sum(total.values()),
        "direct": (sum(found[k] for k in direct), sum(total[k] for k in direct)),
        "indirect": (found[INDIRECT], total[INDIRECT]),
        "missed": missed,
        "false_findings": false_findings,
        # clean texts per kind of trap (part 3 labels them), and false findings on each kind
        "traps": dict(sorted(Counter(t for t in traps.values() if t).items())),
        "false_by_trap": {t: false_by_trap[t] for t in sorted(set(traps.values())) if t},
    }


def deduce_only(text: str):
    """deduce alone, as the library ships it (for comparison)."""
    from casebook.anonymise import Finding, _deducer, _deduce_kind

    out = []
    for a in _deducer().deidentify(text).annotations:
        out.append(Finding(_deduce_kind(a.tag, a.text) or a.tag, a.text, a.start_char, a.end_char, 1))
    return out


def casebook_speed(size: int = 40) -> tuple[int, float]:
    """Seconds to check ``size`` cases (the built-in ones, repeated) once deduce is loaded."""
    from casebook.anonymise import check_case, warm_up
    from casebook.cases import builtin_cases_dir, load_cases

    warm_up()
    cases = list(load_cases([builtin_cases_dir()]))
    batch = [cases[i % len(cases)] for i in range(size)]
    started = time.perf_counter()
    for case in batch:
        check_case(case)
    return len(batch), time.perf_counter() - started


def _ratio(pair: tuple[int, int]) -> str:
    hit, total = pair
    return f"{hit}/{total} ({hit / total:.0%})" if total else "-"


def report(part: int, show: bool) -> None:
    gate = evaluate(None, part)
    alone = evaluate(deduce_only, part)
    print(f"part {part}: {gate['texts']} texts with planted identifiers, {gate['clean_texts']} clean texts")
    print(f"  {'kind':22} {'deduce alone':>13} {'gate':>9} {'right kind':>11}")
    for kind, (hit, right, total) in gate["counts"].items():
        print(f"  {kind:22} {alone['counts'][kind][0]:>6}/{total:<6} {hit:>4}/{total:<4} {right:>6}/{total:<4}")
    for name in ("direct", "indirect"):
        print(f"  {name:22} {_ratio(alone[name]):>13} {_ratio(gate[name]):>13}")
    print(f"  {'all':22} {alone['overall']:>13.0%} {gate['overall']:>9.0%}")
    print(f"  false findings on the {gate['clean_texts']} clean texts: deduce alone {len(alone['false_findings'])},"
          f" gate {len(gate['false_findings'])}")
    for trap, count in gate["traps"].items():
        print(f"  false findings on the {count} clean texts with {trap} traps: deduce alone"
              f" {alone['false_by_trap'][trap]}, gate {gate['false_by_trap'][trap]}")
    if show:
        for item in gate["missed"]:
            print("  missed:", *item)
        for item in gate["false_findings"]:
            print("  false finding:", *item)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", type=int, choices=sorted(PARTS), help="only this part (default: both)")
    parser.add_argument("--show", action="store_true", help="list the gate's misses and false findings")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    from casebook.anonymise import warm_up

    warm_up()
    print(f"deduce loaded in {time.perf_counter() - started:.1f} s")
    for part in [args.part] if args.part else sorted(PARTS):
        report(part, args.show)
    count, seconds = casebook_speed()
    print(f"speed: a casebook of {count} cases checked in {seconds:.1f} s after deduce is loaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
