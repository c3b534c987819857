"""Solo progress: a profile per person, its checked answers, strong and weak items, the next case.

A profile is an id without an account or a name. On a server each browser has its own: the id
is derived (one-way) from the browser id ``casebook serve`` takes from its cookie, so every tab
of one browser finds the same progress and no other browser can reach it. On one's own machine
(JupyterLab, a plain kernel: no browser id) it is a random id in ``profile.json`` in the user's
data folder. Answers live in the store (``solo_profiles``, ``solo_answers``); per-item counts are
derived from them, so an answer and the counts can never disagree. A profile can be exported as
JSON and deleted with all its rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from casebook.cases import Case, Casebook
from casebook.catalogue import Catalogue, load_catalogue
from casebook.config import data_dir
from casebook.solo import Feedback
from casebook.store import SoloAnswerRow, SoloProfileRow, Store, utcnow

log = logging.getLogger("casebook")

PROFILE_FILE = "profile.json"
EXPORT_FORMAT = "intervisie-casebook-solo-profile"
EXPORT_VERSION = 1
PROFILE_ID = re.compile(r"^[0-9a-f]{32}$")
WEAK_MISS_SHARE = 0.5  # an item missed at least this often (of the times the key had it) is weak
# Separates this use of the browser id from any other. Not a secret on purpose: several servers
# sharing one store must derive the same profile; the browser id itself is random and unguessable.
BROWSER_PROFILE_KEY = b"intervisie-casebook/solo-profile/v1"
BROWSER_ID_MAX = 512


# ------------------------------------------------------------------ the browser's profile


def browser_profile(browser_id: str) -> str:
    """The profile id of the browser ``browser_id``: an HMAC-SHA-256 of it, cut to the store's
    32 hex digits (128 bits). The browser id itself is never stored."""
    if not browser_id or len(browser_id) > BROWSER_ID_MAX:
        raise ValueError("not a browser id")
    digest = hmac.new(BROWSER_PROFILE_KEY, browser_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:32]


# ------------------------------------------------------------------ the local profile file


def profile_path() -> Path:
    return data_dir() / PROFILE_FILE


def _read_profile_file(path: Path) -> str | None:
    """The id in ``path``; None when the file is missing or holds no usable id."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s); a new solo profile replaces it", path, exc)
        return None
    profile = data.get("profile") if isinstance(data, dict) else None
    if not isinstance(profile, str) or not PROFILE_ID.match(profile):
        log.warning("%s holds no profile id; a new solo profile replaces it", path)
        return None
    return profile


def local_profile(create: bool = True) -> str | None:
    """The id of this user's profile, made (and written to ``profile.json``) on first use."""
    path = profile_path()
    profile = _read_profile_file(path)
    if profile or not create:
        return profile
    new = secrets.token_hex(16)
    content = json.dumps({"profile": new, "created_at": utcnow().isoformat()}, indent=1)
    handle, temporary = tempfile.mkstemp(prefix=".profile-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        if path.exists():  # a broken file: replace it whole
            os.replace(temporary, path)
            return new
        try:
            os.link(temporary, path)  # atomic, and refuses when another page made one meanwhile
        except FileExistsError:
            return _read_profile_file(path) or new
        return new
    finally:
        Path(temporary).unlink(missing_ok=True)


def forget_local_profile(profile: str | None = None) -> None:
    """Remove ``profile.json`` (only if it still names ``profile``, when given)."""
    path = profile_path()
    if profile is None or _read_profile_file(path) == profile:
        path.unlink(missing_ok=True)


# ------------------------------------------------------------------ answers in the store


def ensure_profile(store: Store, profile: str) -> None:
    if not PROFILE_ID.match(profile or ""):
        raise ValueError(f"not a profile id: {profile!r}")
    with store.reading() as db:
        if db.get(SoloProfileRow, profile) is not None:
            return
    try:
        with store.writing() as db:
            if db.get(SoloProfileRow, profile) is None:
                db.add(SoloProfileRow(id=profile))
    except IntegrityError:  # another page of the same user created it just now
        pass


def record_answer(store: Store, profile: str, feedback: Feedback) -> int:
    """Keep one checked answer; returns its id."""
    ensure_profile(store, profile)
    tags = {str(turn.index): list(turn.tagged) for turn in feedback.turns if turn.tagged}
    with store.writing() as db:
        row = SoloAnswerRow(
            profile_id=profile,
            case_id=feedback.case_id,
            items=list(feedback.ticked),
            key_items=list(feedback.key_items),
            turn_tags=tags,
            turns_differing=len(feedback.turns_differing) if feedback.turns_tagged else None,
            answered_at=utcnow(),
        )
        db.add(row)
        db.flush()
        return row.id


@dataclass(frozen=True)
class Answer:
    id: int
    case_id: str
    items: tuple[str, ...]
    key_items: tuple[str, ...]
    turn_tags: dict[int, tuple[str, ...]]
    turns_differing: int | None
    answered_at: datetime

    @property
    def found(self) -> tuple[str, ...]:
        return tuple(i for i in self.key_items if i in self.items)

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(i for i in self.key_items if i not in self.items)

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(i for i in self.items if i not in self.key_items)

    def as_dict(self) -> dict:
        return {
            "case_id": self.case_id,
            "answered_at": self.answered_at.isoformat(),
            "ticked": list(self.items),
            "key": list(self.key_items),
            "found": list(self.found),
            "missed": list(self.missed),
            "added": list(self.added),
            "turn_tags": {str(k): list(v) for k, v in self.turn_tags.items()},
            "turns_differing": self.turns_differing,
        }


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def answers(store: Store, profile: str) -> list[Answer]:
    """The profile's answers, oldest first."""
    with store.reading() as db:
        rows = db.execute(
            select(SoloAnswerRow).where(SoloAnswerRow.profile_id == profile)
            .order_by(SoloAnswerRow.answered_at, SoloAnswerRow.id)
        ).scalars().all()
    return [
        Answer(
            id=row.id, case_id=row.case_id, items=tuple(row.items or ()), key_items=tuple(row.key_items or ()),
            turn_tags={int(k): tuple(v) for k, v in (row.turn_tags or {}).items()},
            turns_differing=row.turns_differing, answered_at=_aware(row.answered_at),
        )
        for row in rows
    ]


# ------------------------------------------------------------------ progress


@dataclass(frozen=True)
class ItemStats:
    """How often one item was in the key of an answered case and found or missed, and how
    often it was ticked where the key does not have it."""

    item: str
    found: int = 0
    missed: int = 0
    added: int = 0

    @property
    def in_key(self) -> int:
        return self.found + self.missed

    @property
    def miss_share(self) -> float:
        return self.missed / self.in_key if self.in_key else 0.0

    @property
    def weak(self) -> bool:
        return self.missed > 0 and self.miss_share >= WEAK_MISS_SHARE

    @property
    def strong(self) -> bool:
        return self.in_key > 0 and not self.weak


@dataclass(frozen=True)
class NextCase:
    case: Case
    practises: tuple[str, ...]  # the weak items in its key


@dataclass(frozen=True)
class Progress:
    profile: str
    answers: tuple[Answer, ...]
    stats: dict[str, ItemStats] = field(default_factory=dict)  # every catalogue item

    @property
    def weak_items(self) -> tuple[str, ...]:
        """Weak items, the most often missed first."""
        order = list(self.stats)
        weak = [s for s in self.stats.values() if s.weak]
        weak.sort(key=lambda s: (-s.miss_share, -s.missed, order.index(s.item)))
        return tuple(s.item for s in weak)

    @property
    def strong_items(self) -> tuple[str, ...]:
        return tuple(item for item, s in self.stats.items() if s.strong)

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.case_id for a in self.answers))

    def last_answer(self, case_id: str) -> Answer | None:
        for answer in reversed(self.answers):
            if answer.case_id == case_id:
                return answer
        return None


def progress(store: Store, profile: str, catalogue: Catalogue | None = None) -> Progress:
    catalogue = catalogue or load_catalogue()
    history = answers(store, profile)
    counts = {item: {"found": 0, "missed": 0, "added": 0} for item in catalogue.item_ids}
    for answer in history:
        for kind, ids in (("found", answer.found), ("missed", answer.missed), ("added", answer.added)):
            for item in ids:
                if item in counts:  # an item since removed from the catalogue is left out
                    counts[item][kind] += 1
    stats = {item: ItemStats(item, **c) for item, c in counts.items()}
    return Progress(profile, tuple(history), stats)


def next_case(progress: Progress, casebook: Casebook, exclude: tuple[str, ...] = (),
              language: str | None = None) -> NextCase | None:
    """A case to practise the weak items: one whose key has them, not yet answered first, in
    the reviewer's language, the most weak items, then the one answered longest ago; without
    weak items, a case not yet answered."""
    weak = progress.weak_items
    weight = {item: progress.stats[item].miss_share for item in weak}
    last = {a.case_id: a.answered_at for a in progress.answers}
    never = datetime.min.replace(tzinfo=timezone.utc)

    def rank(case: Case):
        hits = sum(weight.get(item, 0.0) for item in case.key_items)
        return (hits == 0, case.id in last, bool(language) and case.language != language,
                -hits, last.get(case.id, never), case.id)

    candidates = [case for case in casebook if case.id not in exclude]
    if not candidates:
        return None
    best = min(candidates, key=rank)
    return NextCase(best, tuple(item for item in weak if item in best.key_items))


# ------------------------------------------------------------------ export and delete


def export_data(store: Store, profile: str, catalogue: Catalogue | None = None) -> dict:
    """Everything kept for ``profile``, as plain data for JSON."""
    with store.reading() as db:
        row = db.get(SoloProfileRow, profile)
        created = _aware(row.created_at).isoformat() if row is not None else None
    current = progress(store, profile, catalogue)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "profile": profile,
        "created_at": created,
        "exported_at": utcnow().isoformat(),
        "answers": [a.as_dict() for a in current.answers],
        "items": {
            item: {"found": s.found, "missed": s.missed, "added": s.added, "weak": s.weak}
            for item, s in current.stats.items()
        },
        "weak_items": list(current.weak_items),
    }


def export_json(store: Store, profile: str) -> str:
    return json.dumps(export_data(store, profile), ensure_ascii=False, indent=1)


def export_name() -> str:
    """The file name the export is offered under (it is never written on the server)."""
    return f"solo-voortgang-{utcnow().strftime('%Y%m%d-%H%M%S')}.json"


def delete_profile(store: Store, profile: str, forget_file: bool = True) -> int:
    """Remove the profile and all its answers from the store (and, when ``forget_file``, the
    ``profile.json`` that names it); returns how many answers went."""
    with store.writing() as db:
        removed = db.execute(
            select(func.count()).select_from(SoloAnswerRow).where(SoloAnswerRow.profile_id == profile)
        ).scalar()
        # explicit, not only ON DELETE CASCADE: the rows go on any database
        db.execute(delete(SoloAnswerRow).where(SoloAnswerRow.profile_id == profile))
        db.execute(delete(SoloProfileRow).where(SoloProfileRow.id == profile))
    if forget_file:
        forget_local_profile(profile)
    return removed
