"""The catalogue: the 12 do's and 9 don'ts of the seed article, and the themes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from casebook.exceptions import CatalogueError
from casebook.messages import normalise_language
from casebook.yamlfile import load_yaml


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "do" or "dont"
    label: dict[str, str]
    explanation: dict[str, str]

    def label_in(self, language: str) -> str:
        return self.label[normalise_language(language)]

    def explanation_in(self, language: str) -> str:
        return self.explanation[normalise_language(language)]


@dataclass(frozen=True)
class Theme:
    id: str
    label: dict[str, str]
    description: dict[str, str]

    def label_in(self, language: str) -> str:
        return self.label[normalise_language(language)]


@dataclass(frozen=True)
class Situation:
    """A situation a case is about beside its theme (a case's ``tags``), for filtering."""

    id: str
    label: dict[str, str]

    def label_in(self, language: str) -> str:
        return self.label[normalise_language(language)]


@dataclass(frozen=True)
class Catalogue:
    items: tuple[Item, ...]
    themes: tuple[Theme, ...]
    # "stand van de wetgeving": the date (ISO) up to which the legal statements were checked
    legal_status: str = ""
    # the one standard wording of the limits of confidentiality, by language
    confidentiality_limits: dict = field(default_factory=dict)
    situations: tuple[Situation, ...] = ()

    @property
    def situation_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.situations)

    def situation(self, situation_id: str) -> Situation:
        for situation in self.situations:
            if situation.id == situation_id:
                return situation
        raise KeyError(situation_id)

    def legal_status_note(self, language: str) -> str:
        """"Stand van de wetgeving: 1 december 2026" in the given language ("" if unknown)."""
        if not self.legal_status:
            return ""
        from casebook.messages import t

        return t("view.legal_status", language, date=format_date(self.legal_status, language))

    def confidentiality_limits_in(self, language: str) -> str:
        return self.confidentiality_limits.get(normalise_language(language), "")

    @property
    def dos(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "do")

    @property
    def donts(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "dont")

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def as_dict(self, language: str | None = None) -> dict:
        """Plain data for JSON; both languages unless one is asked for."""

        def pick(texts: dict[str, str]):
            return texts[normalise_language(language)] if language else dict(texts)

        return {
            "items": [
                {"id": i.id, "kind": i.kind, "label": pick(i.label), "explanation": pick(i.explanation)}
                for i in self.items
            ],
            "themes": [
                {"id": t.id, "label": pick(t.label), "description": pick(t.description)}
                for t in self.themes
            ],
            "situations": [{"id": s.id, "label": pick(s.label)} for s in self.situations],
            "legal_status": self.legal_status,
            "confidentiality_limits": pick(self.confidentiality_limits) if self.confidentiality_limits else {},
        }


MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def format_date(iso: str, language: str) -> str:
    """"2026-12-01" as "1 december 2026" / "1 December 2026"; anything else as it is."""
    try:
        year, month, day = (int(part) for part in iso.split("-"))
        return f"{day} {MONTHS[normalise_language(language)][month - 1]} {year}"
    except (ValueError, IndexError):
        return iso


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The built-in catalogue (``casebook/data/catalogue.yml``), checked for consistency."""
    source = resources.files("casebook").joinpath("data/catalogue.yml")
    try:
        data = load_yaml(source.read_text("utf-8"))
        items = tuple(
            Item(d["id"], d["kind"], dict(d["label"]), dict(d["explanation"])) for d in data["items"]
        )
        themes = tuple(
            Theme(d["id"], dict(d["label"]), dict(d.get("description") or d["label"]))
            for d in data["themes"]
        )
        legal_status = str(data.get("legal_status") or "")
        limits = dict(data.get("confidentiality_limits") or {})
        situations = tuple(Situation(d["id"], dict(d["label"])) for d in data.get("situations") or [])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise CatalogueError(f"casebook/data/catalogue.yml: {exc}") from exc
    if limits and set(limits) != {"nl", "en"}:
        raise CatalogueError("catalogue.yml: confidentiality_limits needs nl and en texts")
    for item in items:
        if item.kind not in ("do", "dont"):
            raise CatalogueError(f"catalogue.yml: item {item.id!r} has kind {item.kind!r}")
        for texts in (item.label, item.explanation):
            if set(texts) != {"nl", "en"}:
                raise CatalogueError(f"catalogue.yml: item {item.id!r} needs nl and en texts")
    if len({i.id for i in items}) != len(items):
        raise CatalogueError("catalogue.yml: duplicate item ids")
    for situation in situations:
        if set(situation.label) != {"nl", "en"}:
            raise CatalogueError(f"catalogue.yml: situation {situation.id!r} needs nl and en labels")
    return Catalogue(items, themes, legal_status, limits, situations)
