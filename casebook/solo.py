"""Solo review: one answer checked against a case's key, with the trainer's reasons.

A reviewer ticks the do's and don'ts they think are at stake and, for a case with a
dialogue, may tag each turn of the VP with the items it shows. ``score_answer`` compares
both with the case file: per item whether it was ticked and whether the key has it (with
the key's reason), a score told as found / missed / added rather than a bare percentage,
and the VP turns read differently from the key. No UI here; views render a ``Feedback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from casebook.cases import Case, Turn
from casebook.catalogue import Catalogue, load_catalogue
from casebook.exceptions import SoloError  # noqa: F401 - part of this module's API
from casebook.messages import t

FOUND, MISSED, ADDED, LEFT_OUT = "found", "missed", "added", "left_out"


@dataclass(frozen=True)
class ItemVerdict:
    """One catalogue item: ticked or not, in the key or not, and the key's reason."""

    item: str
    kind: str  # "do" or "dont"
    ticked: bool
    in_key: bool
    reason: str | None  # the key's "why" for a key item
    how: str = ""  # how the VP in the case played a key item (goed/fout/open); "" if the case does not say
    central: bool = False  # one of the one or two items the case is about
    contested: str = ""  # the key's "betwist" note: experienced VPs disagree on this item

    @property
    def status(self) -> str:
        if self.in_key:
            return FOUND if self.ticked else MISSED
        return ADDED if self.ticked else LEFT_OUT


@dataclass(frozen=True)
class TurnVerdict:
    """One turn of the VP: the items its case file gives it and the items the reviewer tagged."""

    index: int  # position in the case's dialogue
    number: int  # 1-based among the VP's turns, as the reviewer sees them
    text: str
    key_items: tuple[str, ...]
    tagged: tuple[str, ...]

    @property
    def untagged(self) -> tuple[str, ...]:
        """Items the case file sees in this turn that the reviewer did not tag."""
        return tuple(i for i in self.key_items if i not in self.tagged)

    @property
    def extra(self) -> tuple[str, ...]:
        """Items the reviewer tagged that the case file does not give this turn."""
        return tuple(i for i in self.tagged if i not in self.key_items)

    @property
    def agrees(self) -> bool:
        return not self.untagged and not self.extra


@dataclass(frozen=True)
class Feedback:
    """The whole verdict on one answer."""

    case_id: str
    items: tuple[ItemVerdict, ...]  # every catalogue item, in catalogue order
    turns: tuple[TurnVerdict, ...]  # every VP turn; empty without a dialogue
    turns_tagged: bool  # whether the reviewer tagged any turn at all (tagging is optional)

    def _with(self, status: str) -> tuple[str, ...]:
        return tuple(v.item for v in self.items if v.status == status)

    @property
    def found(self) -> tuple[str, ...]:
        return self._with(FOUND)

    @property
    def missed(self) -> tuple[str, ...]:
        return self._with(MISSED)

    @property
    def added(self) -> tuple[str, ...]:
        return self._with(ADDED)

    @property
    def left_out(self) -> tuple[str, ...]:
        return self._with(LEFT_OUT)

    @property
    def ticked(self) -> tuple[str, ...]:
        return tuple(v.item for v in self.items if v.ticked)

    @property
    def key_items(self) -> tuple[str, ...]:
        return tuple(v.item for v in self.items if v.in_key)

    @property
    def turns_differing(self) -> tuple[TurnVerdict, ...]:
        return tuple(turn for turn in self.turns if not turn.agrees) if self.turns_tagged else ()

    def verdict(self, item_id: str) -> ItemVerdict:
        for verdict in self.items:
            if verdict.item == item_id:
                return verdict
        raise KeyError(item_id)

    def headline(self, language: str) -> str:
        """One line that says how the answer compares with the key."""
        if not self.missed and not self.added:
            return t("solo.score.exact", language)
        if not self.missed:
            return t("solo.score.all_found_plus", language)
        if not self.found:
            return t("solo.score.none_found", language)
        return t("solo.score.partly", language)

    def score_parts(self, language: str) -> list[str]:
        """The score, told: found of the key, missed, added that the key does not have."""
        return [
            t("solo.score.found", language, found=len(self.found), total=len(self.key_items)),
            t("solo.score.missed", language, missed=len(self.missed)),
            t("solo.score.added", language, added=len(self.added)),
        ]

    def summary(self, language: str) -> str:
        return f"{self.headline(language)} " + " · ".join(self.score_parts(language))

    def turn_summary(self, language: str) -> str:
        if not self.turns:
            return ""
        if not self.turns_tagged:
            return t("solo.turns.not_tagged", language)
        same = sum(turn.agrees for turn in self.turns)
        return t("solo.turns.summary", language, same=same, total=len(self.turns))


def vp_turns(case: Case) -> list[tuple[int, Turn]]:
    """The VP's turns of a case's dialogue with their position in it (what can be tagged)."""
    return [(index, turn) for index, turn in enumerate(case.dialogue) if turn.speaker == "vp"]


def score_answer(
    case: Case,
    ticked: Iterable[str],
    turn_tags: Mapping[int, Iterable[str]] | None = None,
    catalogue: Catalogue | None = None,
) -> Feedback:
    """Compare an answer with ``case``'s key (items) and its dialogue (turn tags).

    ``turn_tags`` maps a VP turn's index in the dialogue to the items the reviewer sees in it;
    turns left out count as tagged with nothing. Unknown items or turns raise ``SoloError``.
    """
    catalogue = catalogue or load_catalogue()
    chosen = list(dict.fromkeys(ticked))
    unknown = [item for item in chosen if item not in catalogue.item_ids]
    if unknown:
        raise SoloError(case.id, "unknown_items", items=", ".join(map(str, unknown)))
    entries = {entry.item: entry for entry in case.key}
    # scoring is about what is at stake (in the key or not); how the VP did only adds to the feedback
    items = tuple(
        ItemVerdict(item.id, item.kind, item.id in chosen, item.id in entries, case.reason(item.id),
                    entries[item.id].how if item.id in entries else "",
                    item.id in entries and entries[item.id].central,
                    entries[item.id].contested if item.id in entries else "")
        for item in catalogue.items
    )

    tags = {int(index): list(dict.fromkeys(tagged)) for index, tagged in (turn_tags or {}).items()}
    vp = vp_turns(case)
    vp_indexes = {index for index, _ in vp}
    for index, tagged in tags.items():
        if index not in vp_indexes:
            raise SoloError(case.id, "unknown_turn", turn=index)
        bad = [item for item in tagged if item not in catalogue.item_ids]
        if bad:
            raise SoloError(case.id, "unknown_items", items=", ".join(map(str, bad)))
    order = {item_id: position for position, item_id in enumerate(catalogue.item_ids)}
    turns = tuple(
        TurnVerdict(
            index=index,
            number=number,
            text=turn.text,
            key_items=tuple(sorted(turn.items, key=order.__getitem__)),
            tagged=tuple(sorted(tags.get(index, ()), key=order.__getitem__)),
        )
        for number, (index, turn) in enumerate(vp, start=1)
    )
    return Feedback(case.id, items, turns, turns_tagged=any(tags.values()))
