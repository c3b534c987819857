"""Intervision methods, their phases, and what each role may see in each phase (README, "A first
live session, step by step").

Pure data and rules, no store: every view asks these functions, so no view decides on its
own what a participant may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from casebook.exceptions import UnknownMethod

PARTICIPANT, FACILITATOR, PROJECTOR = "participant", "facilitator", "projector"
ROLES = (PARTICIPANT, FACILITATOR, PROJECTOR)
MIN_VOTERS_FOR_RESULTS = 3  # in groups this small a count can point at a person


@dataclass(frozen=True)
class Phase:
    id: str
    minutes: int = 0            # default duration; 0 means untimed
    vote_round: int | None = None   # voting is open in this phase for this round
    reveals_round: int | None = None  # from this phase on, this round's results are shown
    shows_key: bool = False      # from this phase on, the key and what happened are shown


INCIDENTMETHODE = (
    Phase("introductie", 5),
    Phase("verhelderende-vragen", 10),
    Phase("stemmen-1", 5, vote_round=1),
    Phase("onthulling", 5, reveals_round=1),
    Phase("bespreking", 20),
    Phase("stemmen-2", 5, vote_round=2),
    Phase("sleutel", 10, reveals_round=2, shows_key=True),
    Phase("evaluatie", 5),
)
VRIJ = (
    Phase("lezen", 5),
    Phase("stemmen-1", 5, vote_round=1),
    Phase("onthulling", 10, reveals_round=1),
    Phase("sleutel", 10, shows_key=True),
)
METHODS: dict[str, tuple[Phase, ...]] = {"incidentmethode": INCIDENTMETHODE, "vrij": VRIJ}
DEFAULT_METHOD = "incidentmethode"


def phases_of(method: str) -> tuple[Phase, ...]:
    try:
        return METHODS[method]
    except KeyError:
        raise UnknownMethod(method) from None


@dataclass(frozen=True)
class Step:
    """One phase of one case in a session's programme."""

    index: int
    position: int  # which case of the session (0-based)
    phase: Phase
    phase_index: int  # index of the phase within its method


def programme(method: str, case_count: int) -> tuple[Step, ...]:
    """Every case runs through every phase of the method, one case after the other."""
    phases = phases_of(method)
    steps = []
    for position in range(case_count):
        for phase_index, phase in enumerate(phases):
            steps.append(Step(len(steps), position, phase, phase_index))
    return tuple(steps)


def rounds_of(method: str) -> tuple[int, ...]:
    return tuple(sorted({p.vote_round for p in phases_of(method) if p.vote_round}))


# ------------------------------------------------------------------ who may see what


def _reached(method: str, step: Step, predicate) -> bool:
    """Has this case's run reached (or passed) a phase matching ``predicate``?"""
    phases = phases_of(method)
    return any(predicate(p) for p in phases[: step.phase_index + 1])


def voting_open(step: Step, round_number: int) -> bool:
    return step.phase.vote_round == round_number


def round_revealed(method: str, step: Step, round_number: int) -> bool:
    return _reached(method, step, lambda p: p.reveals_round == round_number)


def may_see_results(role: str, method: str, step: Step, round_number: int, voters: int) -> bool:
    """Aggregated results of a round: live for the facilitator, after the reveal for others;
    for nobody while fewer than three have voted."""
    if voters < MIN_VOTERS_FOR_RESULTS:
        return False
    if role == FACILITATOR:
        return True
    return round_revealed(method, step, round_number)


def may_see_key(role: str, method: str, step: Step, reveal_key: bool = True) -> bool:
    """The key and what happened: always for the facilitator, in the key phase for others."""
    if role == FACILITATOR:
        return True
    return reveal_key and _reached(method, step, lambda p: p.shows_key)
