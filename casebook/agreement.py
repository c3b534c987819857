"""After the vote: where the group disagrees, how much it agrees, how it moved, and how its
picture compares with the key (issue 12).

Pure functions on plain data (no widgets, no store): a round's ballots are a collection of
sets of item ids, the catalogue's item ids give the order, the key is a set of item ids.
Every statistic of one round needs only the per-item counts (how many of the voters ticked
each item), because every voter judges every item; that is what lets a closed session keep
its report after the individual votes are deleted (see ``RoundTally``). Only the shift from
round 1 to round 2 needs paired ballots, so it is computed while those still exist.

Statistics, each item being a subject, each voter a rater, categories "ticked"/"not ticked":
- raw agreement: the share of agreeing rater pairs, averaged over items (Gwet's p_a);
- Gwet's AC1 (Gwet 2008, Br J Math Stat Psychol 61:29-48), which stays meaningful where most
  items are rarely ticked and kappa-type statistics collapse; a percentile bootstrap over
  items gives its confidence interval;
- Krippendorff's alpha (nominal), computed by the ``krippendorff`` package.

The live view needs only the point estimates, computed here in plain Python; numpy and
``krippendorff`` are imported where the report's bootstrap and alpha need them, so that a
participant's kernel, which shows the live view, does not carry them (issue 14: 60 MB a page).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Collection, Iterable, Mapping, Sequence

from casebook.messages import t
from casebook.phases import MIN_VOTERS_FOR_RESULTS

EENSGEZIND, MEERDERHEID, VERDEELD = "eensgezind", "meerderheid", "verdeeld"
LABELS = (EENSGEZIND, MEERDERHEID, VERDEELD)
HIT, MISSED, ADDED = "hit", "missed", "added"

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20081  # fixed: the same votes always give the same interval
CONFIDENCE = 0.95


# ------------------------------------------------------------------ counts and labels


@dataclass(frozen=True)
class RoundTally:
    """How many voted in a round and how many ticked each item: all a round's statistics need."""

    voters: int
    counts: dict[str, int]  # item id -> voters who ticked it, every catalogue item, catalogue order

    @classmethod
    def from_ballots(cls, ballots: Iterable[Collection[str]], item_ids: Sequence[str]) -> "RoundTally":
        ballots = [set(ballot) for ballot in ballots]
        counts = {item: sum(item in ballot for ballot in ballots) for item in item_ids}
        return cls(len(ballots), counts)

    def as_dict(self) -> dict:
        return {"voters": self.voters, "counts": dict(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "RoundTally":
        return cls(int(data["voters"]), {str(k): int(v) for k, v in data["counts"].items()})


def label_for(ticked: int, voters: int) -> str | None:
    """*eensgezind* when at least 80 % ticked or at least 80 % did not, *meerderheid* for
    60-79 %, *verdeeld* otherwise; None without voters. Integer arithmetic, so 4 of 5 is
    exactly 80 %."""
    if voters <= 0:
        return None
    larger_side = max(ticked, voters - ticked)
    if larger_side * 100 >= 80 * voters:
        return EENSGEZIND
    if larger_side * 100 >= 60 * voters:
        return MEERDERHEID
    return VERDEELD


@dataclass(frozen=True)
class ItemSplit:
    item: str
    ticked: int  # k
    voters: int  # n
    label: str | None

    @property
    def share(self) -> float:
        return self.ticked / self.voters if self.voters else 0.0


def item_splits(tally: RoundTally, item_ids: Sequence[str] | None = None) -> tuple[ItemSplit, ...]:
    """Every item with k of n and its label, split first: the share closest to 50 % leads,
    ties keep catalogue order (what the group should discuss first)."""
    item_ids = list(item_ids) if item_ids is not None else list(tally.counts)
    n = tally.voters
    splits = [ItemSplit(item, tally.counts.get(item, 0), n, label_for(tally.counts.get(item, 0), n))
              for item in item_ids]
    # |k/n - 1/2| compared as |2k - n| (exact, no floats); sorted() is stable for the ties
    return tuple(sorted(splits, key=lambda s: abs(2 * s.ticked - n)))


# ------------------------------------------------------------------ agreement


def gwet_ac1(value_counts) -> tuple[float, float, float]:
    """Gwet's AC1 for any number of raters and categories, missing ratings allowed.

    ``value_counts`` has one row per subject and one column per category: how many raters put
    that subject in that category (the layout ``krippendorff.alpha`` accepts too). Returns
    ``(p_a, p_e, ac1)``: p_a over subjects rated at least twice, the category shares pi_k over
    subjects rated at least once, p_e = sum_k pi_k (1 - pi_k) / (q - 1) (Gwet 2008, eq. 14;
    Gwet, Handbook of Inter-Rater Reliability, 4th ed., ch. 2)."""
    import numpy as np

    counts = np.asarray(value_counts, dtype=float)
    raters = counts.sum(axis=1)
    paired = raters >= 2
    if not paired.any():
        raise ValueError("AC1 needs at least one subject rated by two raters")
    categories = counts.shape[1]
    p_a = float(np.mean(
        (counts[paired] * (counts[paired] - 1)).sum(axis=1) / (raters[paired] * (raters[paired] - 1))
    ))
    rated = raters >= 1
    pi = (counts[rated] / raters[rated, None]).mean(axis=0)
    p_e = float((pi * (1 - pi)).sum() / (categories - 1))
    return p_a, p_e, (p_a - p_e) / (1 - p_e)


def _binary_ac1(ticked, voters: int):
    """Raw agreement and AC1 for complete binary data, vectorised over the last axis (items),
    so that one call computes every bootstrap resample at once (numpy arrays)."""
    not_ticked = voters - ticked
    pair_agreement = (ticked * (ticked - 1) + not_ticked * (not_ticked - 1)) / (voters * (voters - 1))
    p_a = pair_agreement.mean(axis=-1)
    pi = (ticked / voters).mean(axis=-1)
    p_e = 2 * pi * (1 - pi)  # two categories: pi(1-pi) + (1-pi)pi, divided by q - 1 = 1
    return p_a, (p_a - p_e) / (1 - p_e)  # p_e <= 1/2, never a division by zero


def _binary_ac1_point(ticked: Sequence[int], voters: int) -> tuple[float, float]:
    """``_binary_ac1`` for one round, in plain Python (the live view's path)."""
    pair_agreement = [(k * (k - 1) + (voters - k) * (voters - k - 1)) / (voters * (voters - 1)) for k in ticked]
    p_a = sum(pair_agreement) / len(ticked)
    pi = sum(k / voters for k in ticked) / len(ticked)
    p_e = 2 * pi * (1 - pi)
    return p_a, (p_a - p_e) / (1 - p_e)


@dataclass(frozen=True)
class Agreement:
    """The group's agreement in one round. Numbers are None where they are undefined."""

    voters: int
    items: int
    unanimous: bool  # every ballot identical: "volledig eens"
    raw: float | None  # observed pairwise agreement, 0..1
    ac1: float | None
    ac1_low: float | None  # bootstrap confidence interval over items
    ac1_high: float | None
    alpha: float | None  # Krippendorff's alpha (nominal); None when unanimous or < 2 voters
    confidence: float = CONFIDENCE
    resamples: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def agreement(tally: RoundTally, item_ids: Sequence[str] | None = None, resamples: int = BOOTSTRAP_RESAMPLES,
              seed: int = BOOTSTRAP_SEED, with_alpha: bool = True) -> Agreement:
    """Raw agreement, AC1 (with a bootstrap interval when ``resamples`` > 0) and Krippendorff's
    alpha for one round. The live view passes ``resamples=0, with_alpha=False``; the report
    computes everything."""
    item_ids = list(item_ids) if item_ids is not None else list(tally.counts)
    n, m = tally.voters, len(item_ids)
    counts = [tally.counts.get(item, 0) for item in item_ids]
    unanimous = n >= 1 and all(k in (0, n) for k in counts)
    if n < 2 or m == 0:
        return Agreement(n, m, unanimous, None, None, None, None, None)
    raw, ac1 = _binary_ac1_point(counts, n)
    low = high = None
    if resamples > 0 or (with_alpha and not unanimous):
        import numpy as np

        ticked = np.array(counts, dtype=float)
    if resamples > 0:
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, m, size=(resamples, m))
        _, boot = _binary_ac1(ticked[picks], n)
        tail = (1 - CONFIDENCE) / 2 * 100
        low, high = (float(x) for x in np.percentile(boot, [tail, 100 - tail]))
    alpha = None
    if with_alpha and not unanimous:
        # Not unanimous means some item was ticked by some and not by others, so both values
        # occur and alpha is defined; value_counts columns: not ticked, ticked.
        import krippendorff

        alpha = float(krippendorff.alpha(value_counts=np.stack([n - ticked, ticked], axis=1),
                                         level_of_measurement="nominal"))
    return Agreement(n, m, unanimous, raw, ac1, low, high, alpha, CONFIDENCE, resamples if low is not None else 0)


def krippendorff_nominal(reliability_data) -> float | None:
    """Krippendorff's alpha (nominal) of raters x units data with ``np.nan`` for missing ratings;
    None where it is undefined (fewer than two values in use, or no unit rated twice)."""
    import krippendorff
    import numpy as np

    data = np.asarray(reliability_data, dtype=float)
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    if len(np.unique(pairable[~np.isnan(pairable)])) < 2:
        return None  # no unit rated twice, or all pairable ratings the same value: no number
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


# ------------------------------------------------------------------ words for the live view

# The words follow the usual benchmark scale for chance-corrected agreement (Landis & Koch 1977,
# which Gwet's Handbook also uses for AC1): from 0.80 "almost perfect", 0.60-0.80 "substantial",
# below that moderate or worse. Three steps are enough for a group at a glance; the exact AC1
# is shown to the facilitator in small type.
MOSTLY_AGREED_FROM = 0.80
PARTLY_AGREED_FROM = 0.60


def agreement_level(result: Agreement) -> str:
    """One of ``too_few``, ``unanimous``, ``mostly``, ``partly``, ``split``."""
    if result.voters < MIN_VOTERS_FOR_RESULTS:
        return "too_few"  # as with the counts: in a group this small words could point at a person
    if result.unanimous:
        return "unanimous"
    if result.ac1 >= MOSTLY_AGREED_FROM:
        return "mostly"
    if result.ac1 >= PARTLY_AGREED_FROM:
        return "partly"
    return "split"


def describe(result: Agreement, splits: Sequence[ItemSplit], language: str = "nl") -> str:
    """The agreement in words, e.g. "De groep is het grotendeels eens; verdeeld over 2 punten."."""
    level = agreement_level(result)
    text = t(f"agreement.level.{level}", language)
    if level in ("too_few", "unanimous"):
        return text
    divided = sum(1 for s in splits if s.label == VERDEELD)
    if divided:
        text += " " + t("agreement.divided_one" if divided == 1 else "agreement.divided_many", language,
                        count=divided)
    return text


# ------------------------------------------------------------------ shift from round 1 to round 2


@dataclass(frozen=True)
class ItemShift:
    item: str
    in_key: bool
    ticked_before: int  # among the participants who voted in both rounds
    ticked_after: int
    switched_on: int
    switched_off: int

    @property
    def toward_key(self) -> int:
        """Switches that bring the vote in line with the key: on for a key item, off otherwise."""
        return self.switched_on if self.in_key else self.switched_off

    @property
    def away_from_key(self) -> int:
        return self.switched_off if self.in_key else self.switched_on


@dataclass(frozen=True)
class Shift:
    """How participants who voted in both rounds moved; counts only, never who moved."""

    paired: int  # participants with a ballot in both rounds
    items: tuple[ItemShift, ...]  # catalogue order
    agreeing_before: int  # (participant, item) decisions that match the key, round 1
    agreeing_after: int

    @property
    def decisions(self) -> int:
        return self.paired * len(self.items)

    @property
    def key_share_before(self) -> float | None:
        return self.agreeing_before / self.decisions if self.decisions else None

    @property
    def key_share_after(self) -> float | None:
        return self.agreeing_after / self.decisions if self.decisions else None

    @property
    def toward_key(self) -> int:
        return sum(i.toward_key for i in self.items)

    @property
    def away_from_key(self) -> int:
        return sum(i.away_from_key for i in self.items)

    @property
    def normalised_gain(self) -> float | None:
        """Hake's gain (post - pre) / (1 - pre) of the share agreeing with the key; None
        without paired voters or when round 1 already matched the key fully (nothing to gain)."""
        pre, post = self.key_share_before, self.key_share_after
        if pre is None or self.agreeing_before == self.decisions:
            return None
        return (post - pre) / (1 - pre)

    def item(self, item_id: str) -> ItemShift:
        return next(i for i in self.items if i.item == item_id)

    def as_dict(self) -> dict:
        return {
            "paired": self.paired, "agreeing_before": self.agreeing_before, "agreeing_after": self.agreeing_after,
            "key_share_before": self.key_share_before, "key_share_after": self.key_share_after,
            "normalised_gain": self.normalised_gain, "toward_key": self.toward_key,
            "away_from_key": self.away_from_key,
            "items": [{**asdict(i), "toward_key": i.toward_key, "away_from_key": i.away_from_key}
                      for i in self.items],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "Shift":
        fields = ("item", "in_key", "ticked_before", "ticked_after", "switched_on", "switched_off")
        return cls(int(data["paired"]), tuple(ItemShift(**{f: i[f] for f in fields}) for i in data["items"]),
                   int(data["agreeing_before"]), int(data["agreeing_after"]))


def shift(round_1: Mapping[str, Collection[str]], round_2: Mapping[str, Collection[str]],
          item_ids: Sequence[str], key: Collection[str]) -> Shift:
    """Ballots keyed by an opaque participant id; only participants in both rounds count
    (someone who joined for round 2 has nothing to move from)."""
    key = set(key)
    paired = sorted(set(round_1) & set(round_2))
    before = [set(round_1[p]) for p in paired]
    after = [set(round_2[p]) for p in paired]
    items, agreeing_before, agreeing_after = [], 0, 0
    for item in item_ids:
        in_key = item in key
        was = [item in ballot for ballot in before]
        now = [item in ballot for ballot in after]
        items.append(ItemShift(
            item, in_key, sum(was), sum(now),
            switched_on=sum(1 for a, b in zip(was, now) if b and not a),
            switched_off=sum(1 for a, b in zip(was, now) if a and not b),
        ))
        agreeing_before += sum(1 for a in was if a == in_key)
        agreeing_after += sum(1 for b in now if b == in_key)
    return Shift(len(paired), tuple(items), agreeing_before, agreeing_after)


# ------------------------------------------------------------------ the group against the key


@dataclass(frozen=True)
class ItemVerdict:
    item: str
    kind: str  # "do" or "dont"
    in_key: bool
    ticked: int
    voters: int
    verdict: str | None  # hit, missed, added; None for an item neither in the key nor chosen

    @property
    def chosen(self) -> bool:
        return group_chose(self.ticked, self.voters)


def group_chose(ticked: int, voters: int) -> bool:
    """The group "ticked" an item when more than half of its voters did (a tie is no choice)."""
    return voters > 0 and 2 * ticked > voters


@dataclass(frozen=True)
class KeyComparison:
    dos: tuple[ItemVerdict, ...]
    donts: tuple[ItemVerdict, ...]

    def count(self, verdict: str, kind: str | None = None) -> int:
        rows = self.dos + self.donts if kind is None else (self.dos if kind == "do" else self.donts)
        return sum(1 for row in rows if row.verdict == verdict)

    def as_dict(self) -> dict:
        def block(rows):
            return {
                "items": [asdict(row) for row in rows],
                **{verdict: sum(1 for r in rows if r.verdict == verdict) for verdict in (HIT, MISSED, ADDED)},
            }

        return {"dos": block(self.dos), "donts": block(self.donts)}


def against_key(tally: RoundTally, key: Collection[str], kinds: Mapping[str, str] | None = None) -> KeyComparison:
    """Per item: hit (in the key, the group chose it), missed (in the key, not chosen), added
    (chosen, not in the key); do's and don'ts apart. ``kinds`` maps item id to "do"/"dont"
    (default: the built-in catalogue), in catalogue order."""
    if kinds is None:
        from casebook.catalogue import load_catalogue

        kinds = {item.id: item.kind for item in load_catalogue().items}
    key = set(key)
    rows = []
    for item, kind in kinds.items():
        ticked = tally.counts.get(item, 0)
        chosen, in_key = group_chose(ticked, tally.voters), item in key
        verdict = (HIT if chosen else MISSED) if in_key else (ADDED if chosen else None)
        rows.append(ItemVerdict(item, kind, in_key, ticked, tally.voters, verdict))
    return KeyComparison(tuple(r for r in rows if r.kind == "do"), tuple(r for r in rows if r.kind == "dont"))


# ------------------------------------------------------------------ the live picture


@dataclass(frozen=True)
class LivePicture:
    """What the reveal shows: split items first, the agreement in words, and after round 2 the shift."""

    splits: tuple[ItemSplit, ...]
    agreement: Agreement
    words: str
    shift: Shift | None = None


@dataclass(frozen=True)
class RevealPicture:
    """One round's picture for the live views; ``shift`` only when at least three participants
    voted in both rounds (like the counts, a smaller shift could point at a person)."""

    round: int
    picture: LivePicture

    @property
    def voters(self) -> int:
        return self.picture.agreement.voters

    @property
    def divided(self) -> tuple[ItemSplit, ...]:
        """The *verdeeld* items, the closest split leading."""
        return tuple(split for split in self.picture.splits if split.label == VERDEELD)

    @property
    def discuss_first(self) -> tuple[str | None, tuple[ItemSplit, ...]]:
        """What the group should discuss first, and its label: the *verdeeld* items; where
        nothing is divided, the items with only a *meerderheid* (in a group of three a 2-1 split
        is as divided as it gets); else nothing."""
        for label in (VERDEELD, MEERDERHEID):
            items = tuple(split for split in self.picture.splits if split.label == label)
            if items:
                return label, items
        return None, ()

    @property
    def moved(self) -> tuple[ItemShift, ...]:
        """Items on which someone changed their mind between the rounds, most switches first."""
        moved = self.picture.shift
        if moved is None or moved.paired < MIN_VOTERS_FOR_RESULTS:
            return ()
        changed = [item for item in moved.items if item.switched_on or item.switched_off]
        return tuple(sorted(changed, key=lambda i: -(i.switched_on + i.switched_off)))

    @property
    def paired(self) -> int:
        return self.picture.shift.paired if self.picture.shift is not None else 0


def live_picture(ballots: Mapping[str, Collection[str]], item_ids: Sequence[str], key: Collection[str] = (),
                 earlier: Mapping[str, Collection[str]] | None = None, language: str = "nl") -> LivePicture:
    """One refresh of the live view from a round's ballots (participant id -> items); with
    ``earlier`` (round 1's ballots) also the shift. No bootstrap and no alpha: those are for
    the report."""
    tally = RoundTally.from_ballots(ballots.values(), item_ids)
    splits = item_splits(tally, item_ids)
    result = agreement(tally, item_ids, resamples=0, with_alpha=False)
    moved = shift(earlier, ballots, item_ids, key) if earlier is not None else None
    return LivePicture(splits, result, describe(result, splits, language), moved)
