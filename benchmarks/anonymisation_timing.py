"""Time the anonymisation check on adversarial texts of 50 kB (issue 26: every rule linear).

    .venv/bin/python benchmarks/anonymisation_timing.py [--random N]

Checks the known pathological texts of tests/test_anonymise_timing.py (a short pattern
repeated to 50 kB) and N texts of random pieces, after deduce has loaded, and prints the
slowest: CPU time of this process and wall-clock time (on a shared machine the wall clock
includes other people's work). The bound is 5 s per text.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=20, help="texts of random pieces besides the known ones")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    from casebook.anonymise import scan_text, warm_up
    from test_anonymise_timing import PATHOLOGICAL, PIECES, SIZE, _repeat

    started = time.perf_counter()
    warm_up()
    print(f"deduce loaded in {time.perf_counter() - started:.1f} s")
    generator = random.Random(26)
    texts = [(f"repeated {p!r}", _repeat(p)) for p in PATHOLOGICAL]
    for i in range(args.random):
        parts = [generator.choice(PIECES) for _ in range(generator.choice([3, 6, 300]))]
        texts.append((f"random #{i} ({len(parts)} pieces)", _repeat("".join(parts))))
    results = []
    for label, text in texts:
        cpu, wall = time.process_time(), time.perf_counter()
        scan_text(text)
        results.append((time.process_time() - cpu, time.perf_counter() - wall, label))
    results.sort(reverse=True)
    print(f"{len(results)} texts of {SIZE // 1000} kB; slowest (CPU s, wall s):")
    for cpu, wall, label in results[:8]:
        print(f"  {cpu:5.2f} {wall:6.2f}  {label}")
    print(f"median CPU {sorted(r[0] for r in results)[len(results) // 2]:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
