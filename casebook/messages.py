"""The one message catalogue: every user-facing string, in Dutch and English.

Texts live in ``data/messages.yml`` so translators edit one file; ``t()`` looks a key
up and fills its ``{placeholders}``. Dutch is the default language.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from casebook.yamlfile import load_yaml

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    """All of ``data/messages*.yml`` (one file per part of the product), merged."""
    merged: dict[str, dict[str, str]] = {}
    data = resources.files("casebook").joinpath("data")
    for source in sorted(data.iterdir(), key=lambda p: p.name):
        if source.name.startswith("messages") and source.name.endswith(".yml"):
            part = _flatten(load_yaml(source.read_text("utf-8")) or {})
            clash = set(part) & set(merged)
            if clash:
                raise KeyError(f"{source.name} repeats message keys: {sorted(clash)}")
            merged.update(part)
    return merged


def _flatten(tree: dict, prefix: str = "") -> dict[str, dict[str, str]]:
    flat: dict[str, dict[str, str]] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            flat[name] = value
        else:
            flat.update(_flatten(value, name + "."))
    return flat


def normalise_language(language: str | None) -> str:
    """Return a supported language code; anything unknown falls back to Dutch."""
    language = (language or "").strip().lower()[:2]
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def default_language() -> str:
    """The language asked for by ``CASEBOOK_LANGUAGE``, Dutch when unset."""
    from casebook.config import settings

    return normalise_language(settings().language)


def t(key: str, language: str | None = None, **params) -> str:
    """The text of ``key`` in ``language`` with ``params`` filled in."""
    language = normalise_language(language) if language else default_language()
    entry = messages().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r} in the message catalogue")
    text = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text
