"""Vote integrity under load: prints numbers (not a test).

    .venv/bin/python benchmarks/vote_integrity.py [--participants 50] [--rounds 10] [--store URL]

N participants vote at once, again and again (each time a new choice, which replaces the last),
in separate processes as Voila's kernels are; halfway, every process is killed without warning
and started again (a server restart), and they go on. Afterwards each participant's stored vote
must be exactly the last one the store acknowledged: 0 lost, 0 doubled.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ITEMS = ["beloftes-doen", "oordelen", "serieus-nemen", "tijd-nemen", "doorvertellen", "zelf-bemiddelen"]


def voter(url: str, code: str, participant: str, rounds: int, log_path: str, go) -> None:
    from casebook import sessions
    from casebook.store import Store

    store = Store(url)
    rng = random.Random(f"{participant}-{os.getpid()}")
    with open(log_path, "a") as log:
        Path(log_path + ".ready").touch()
        go.wait()
        for attempt in range(rounds):
            choice = sorted(rng.sample(ITEMS, rng.randint(0, 3)))
            sessions.cast_vote(store, code, participant, 0, 1, choice)
            log.write(json.dumps({"participant": participant, "attempt": attempt, "items": choice}) + "\n")
            log.flush()  # acknowledged: the store said yes
            time.sleep(rng.random() * 0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--store", default=None, help="SQLAlchemy URL (default: a new SQLite file)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="casebook-votes-"))
    os.environ["CASEBOOK_DATA"] = str(tmp)
    url = args.store or f"sqlite:///{tmp / 'store.db'}"
    from casebook import sessions
    from casebook.cases import load_cases
    from casebook.store import Store

    store = Store(url)
    book = load_cases()
    created = sessions.create_session(store, ["vp-003"], casebook=book)
    sessions.FacilitatorControl(store, created.code, created.facilitator_key).go_to(2)  # voting
    people = [sessions.join(store, created.code, f"p{i}") for i in range(args.participants)]
    logs = {p: str(tmp / f"{p}.log") for p in people}
    context = multiprocessing.get_context("spawn")

    def acknowledged_so_far() -> int:
        return sum(sum(1 for _ in open(logs[p])) for p in people if Path(logs[p]).exists())

    def run(rounds: int) -> list:
        go = context.Event()
        for p in people:
            Path(logs[p] + ".ready").unlink(missing_ok=True)
        procs = [context.Process(target=voter, args=(url, created.code, p, rounds, logs[p], go)) for p in people]
        for proc in procs:
            proc.start()
        while not all(Path(logs[p] + ".ready").exists() for p in people):
            time.sleep(0.05)
        go.set()  # everyone votes at the same moment
        return procs

    began = time.monotonic()
    first = run(args.rounds)
    while acknowledged_so_far() < len(people) * args.rounds // 3:
        time.sleep(0.01)
    for proc in first:  # the "restart": every voter killed without warning, mid-vote
        proc.kill()
    for proc in first:
        proc.join()
    killed_at = acknowledged_so_far()
    second = run(args.rounds)
    for proc in second:
        proc.join()
    elapsed = time.monotonic() - began

    lost = doubled = wrong = acknowledged = 0
    for participant in people:
        lines = [json.loads(line) for line in open(logs[participant])] if Path(logs[participant]).exists() else []
        acknowledged += len(lines)
        stored = sessions.my_vote(store, created.code, participant, 0, 1)
        if lines and stored is None:
            lost += 1
        elif lines and stored != lines[-1]["items"]:
            wrong += 1
    result = sessions.results(store, created.code, 0, 1)
    with store.reading() as db:
        from sqlalchemy import func, select

        from casebook.store import VoteRow

        rows = db.execute(select(func.count()).select_from(VoteRow)).scalar()
    doubled = rows - len(people)
    print(f"store: {url.split(':')[0]}; {args.participants} participants x {args.rounds} votes, twice, "
          f"all voter processes killed once in the middle ({killed_at} votes acknowledged by then)")
    print(f"votes acknowledged: {acknowledged}; elapsed {elapsed:.1f} s")
    print(f"participants whose stored vote is not their last acknowledged one: {wrong}")
    print(f"votes lost: {lost}; votes doubled (rows beyond one per participant): {doubled}; "
          f"voters counted: {result.voters} of {len(people)}")


if __name__ == "__main__":
    main()
