"""Time one refresh of the live picture after a vote: 40 voters x 21 items (issue 12).

    .venv/bin/python benchmarks/agreement.py [--voters 40] [--repeat 200]

One refresh is what a facilitator's or projector's page computes when a vote arrives: the
labels and split-first order, raw agreement and AC1, the words, and (round 2) the shift from
round 1. Target: under 20 ms, so three groups at once stay within the live latency target
(the targets in docs/benchmarks.md). The report's extras (bootstrap interval, Krippendorff's alpha) are
timed on their own line; they run once per report, not per refresh. Not a timed test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casebook.agreement import RoundTally, agreement, live_picture  # noqa: E402
from casebook.catalogue import load_catalogue  # noqa: E402

TARGET_MS = 20.0


def ballots(item_ids, voters: int, rng: random.Random) -> dict[str, set[str]]:
    """Each voter ticks each item with its own probability: a few often, most rarely."""
    chance = {item: rng.choice([0.05, 0.1, 0.1, 0.2, 0.5, 0.8]) for item in item_ids}
    return {f"p{v}": {item for item in item_ids if rng.random() < chance[item]} for v in range(voters)}


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    item_ids = load_catalogue().item_ids
    key = set(item_ids[::5])
    rng = random.Random(12)
    round_1, round_2 = ballots(item_ids, args.voters, rng), ballots(item_ids, args.voters, rng)
    live_picture(round_2, item_ids, key, earlier=round_1)  # warm up imports and caches

    live = timed(lambda: live_picture(round_2, item_ids, key, earlier=round_1), args.repeat)
    tally = RoundTally.from_ballots(round_2.values(), item_ids)
    report = timed(lambda: agreement(tally, item_ids), max(10, args.repeat // 10))
    median, p95 = statistics.median(live), sorted(live)[int(0.95 * len(live)) - 1]
    print(f"live picture, {args.voters} voters x {len(item_ids)} items (labels, raw agreement, AC1, words, shift): "
          f"median {median:.2f} ms, p95 {p95:.2f} ms per refresh (target < {TARGET_MS:.0f} ms)")
    print(f"report extras (AC1 bootstrap interval, 2000 resamples, + Krippendorff's alpha): "
          f"median {statistics.median(report):.2f} ms")
    return 0 if p95 < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
