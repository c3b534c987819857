"""Recall per kind and false findings of the anonymisation check on our labelled texts.

    .venv/bin/python benchmarks/anonymisation.py [--deduce-only] [--show]

The texts are in tests/data/anonymisation/: planted.yml (vignette-style texts with planted
identifiers, each labelled with kind and exact text) and clean.yml (ordinary vignette
language). A planted identifier counts as found when a finding overlaps it (whatever kind
the finding names: the gate refuses the text either way); "right kind" counts those whose
finding names the labelled kind as well. tests/test_anonymisation_eval.py holds the floor.
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


def load_set() -> tuple[list[dict], list[dict]]:
    planted = yaml.safe_load((DATA / "planted.yml").read_text("utf-8"))
    clean = yaml.safe_load((DATA / "clean.yml").read_text("utf-8"))
    return planted, clean


def evaluate(scan=None) -> dict:
    """Run ``scan(text) -> findings`` (default: the full check) over the evaluation set."""
    from casebook.anonymise import scan_text

    scan = scan or scan_text
    planted, clean = load_set()
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
    return {
        "texts": len(planted), "clean_texts": len(clean),
        "recall": {kind: found[kind] / total[kind] for kind in sorted(total)},
        "counts": {kind: (found[kind], right_kind[kind], total[kind]) for kind in sorted(total)},
        "overall": sum(found.values()) / sum(total.values()),
        "missed": missed,
        "false_findings": false_findings,
    }


def deduce_only(text: str):
    """deduce alone, as the library ships it (for comparison)."""
    from casebook.anonymise import Finding, _deducer, _deduce_kind

    out = []
    for a in _deducer().deidentify(text).annotations:
        out.append(Finding(_deduce_kind(a.tag, a.text) or a.tag, a.text, a.start_char, a.end_char, 1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deduce-only", action="store_true", help="deduce without our rules and filter")
    parser.add_argument("--show", action="store_true", help="list the misses and false findings")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    result = evaluate(deduce_only if args.deduce_only else None)
    seconds = time.perf_counter() - started
    label = "deduce alone" if args.deduce_only else "casebook check (deduce + own rules)"
    print(f"{label}: {result['texts']} texts with planted identifiers, {result['clean_texts']} clean texts")
    print(f"{'kind':22} {'found':>7} {'recall':>7} {'right kind':>11}")
    for kind, (hit, right, total) in result["counts"].items():
        print(f"{kind:22} {hit:>3}/{total:<3} {hit / total:>7.0%} {right:>5}/{total:<5}")
    print(f"{'all':22} {'':7} {result['overall']:>7.0%}")
    print(f"false findings on clean texts: {len(result['false_findings'])}")
    print(f"({seconds:.1f} s, deduce's lookup data loading included)")
    if args.show:
        for item in result["missed"]:
            print("missed:", *item)
        for item in result["false_findings"]:
            print("false finding:", *item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
