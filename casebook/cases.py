"""Case files: one Markdown file with YAML front matter per case (docs/writing-cases.md).

``parse_case_file`` turns one file into a ``Case`` or a list of ``CaseFileError``s that
name the file, the line where known and what is wrong. ``load_cases`` loads folders so that
one bad file never stops the others, and refuses duplicate ids across folders.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import yaml

from casebook.catalogue import Catalogue, load_catalogue
from casebook.config import extra_case_folders
from casebook.exceptions import CaseFileError, CaseFileErrors, CaseFileWarning, CaseNotFound
from casebook.yamlfile import SafeLoader

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SPEAKERS = ("melder", "vp", "other")
CASE_LANGUAGES = ("nl", "en")
REQUIRED_FIELDS = ("id", "title", "language", "themes", "key")
OPTIONAL_FIELDS = ("sector", "summary", "context", "dialogue", "questions", "what_happened", "allow", "tags")
KNOWN_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
# how the VP in the case plays a key item: does it well (or avoids a tempting don't), gets it
# wrong, or the case ends before the VP acts and the group decides
HOW_VALUES = ("goed", "fout", "open")
KEY_ENTRY_FIELDS = ("item", "why", "how", "central", "betwist")
MAX_BETWIST = 300  # "betwist: <one-line trainer note>": where experienced VPs disagree on this item
MAX_CENTRAL = 2  # "central: true" marks the one or two items a case is about


@dataclass(frozen=True)
class KeyItem:
    item: str
    why: str
    # "" for a key entry written to the first edition's format (no ``how``)
    how: str = ""
    central: bool = False
    # ``betwist:`` in the file: a one-line trainer note saying the item is contested (experienced
    # VPs legitimately disagree on it), shown to the facilitator and in solo feedback
    contested: str = ""


@dataclass(frozen=True)
class Turn:
    speaker: str
    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    language: str
    themes: tuple[str, ...]
    key: tuple[KeyItem, ...]
    body: str
    path: str = ""
    sector: str = ""
    summary: str = ""
    dialogue: tuple[Turn, ...] = ()
    questions: tuple[str, ...] = ()
    what_happened: str = ""
    allow: tuple[str, ...] = ()
    # the legal frame that applies (Arbowet art. 3 lid 2, the klachtenregeling, ...), short
    context: str = ""
    # situations beside the themes (catalogue ``situations``: intern, bystander, rape, ...), for filters
    tags: tuple[str, ...] = ()
    # problems that do not stop the file from loading (a first-edition key entry without ``how``)
    warnings: tuple[CaseFileWarning, ...] = field(default=(), compare=False, repr=False)
    # 1-based line in the file where each value starts, by dotted path ("title", "key.0.why"),
    # for messages that point back into the file
    lines: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def key_items(self) -> tuple[str, ...]:
        return tuple(k.item for k in self.key)

    def reason(self, item_id: str) -> str | None:
        for k in self.key:
            if k.item == item_id:
                return k.why
        return None

    def key_entry(self, item_id: str) -> KeyItem | None:
        return next((k for k in self.key if k.item == item_id), None)

    @property
    def central_items(self) -> tuple[str, ...]:
        return tuple(k.item for k in self.key if k.central)

    def key_central_first(self) -> tuple[KeyItem, ...]:
        """The key with its central items first, otherwise in the author's order."""
        return tuple(sorted(self.key, key=lambda k: not k.central))

    def mentions_item(self, item_id: str) -> bool:
        return item_id in self.key_items or any(item_id in t.items for t in self.dialogue)


# ---------------------------------------------------------------- parsing one file


def parse_case_file(path: str | os.PathLike, catalogue: Catalogue | None = None) -> Case:
    """Parse and validate one case file; raise ``CaseFileErrors`` listing every problem.

    Problems that do not stop the file from loading are in the case's ``warnings``.
    """
    try:
        text = read_text(Path(path))
    except CaseFileError as exc:
        raise CaseFileErrors(str(path), [exc]) from None
    return parse_case_text(text, str(path), catalogue)


def parse_case_text(text: str, file: str = "<tekst>", catalogue: Catalogue | None = None) -> Case:
    """Parse and validate a case file's text (``file`` names it in messages); raise
    ``CaseFileErrors`` listing every problem. Problems that do not stop the file from
    loading (a first-edition key entry without ``how``) are in the case's ``warnings``."""
    errors: list[CaseFileError] = []
    warnings: list[CaseFileWarning] = []
    case = _parse(text, file, catalogue or load_catalogue(), errors, warnings)
    if errors:
        raise CaseFileErrors(file, errors)
    return replace(case, warnings=tuple(warnings))


def read_text(path: Path) -> str:
    """The file's text; raise CaseFileError when it is not UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CaseFileError(str(path), "not_found") from None
    except OSError as exc:
        raise CaseFileError(str(path), "unreadable", problem=exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CaseFileError(
            str(path), "not_utf8", line, byte=f"0x{raw[exc.start]:02x}", position=exc.start
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def split_front_matter(text: str, file: str) -> tuple[str, str, int]:
    """Return (front matter, body, line where the body starts)."""
    if not text.strip():
        raise CaseFileError(file, "empty", 1)
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise CaseFileError(file, "no_front_matter", 1)
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :]), number + 2
    raise CaseFileError(file, "unclosed_front_matter", 1)


def _compose(front: str, file: str) -> tuple[object, dict[tuple, int]]:
    """Load YAML and remember the line of every value (front matter starts on line 2)."""
    loader = SafeLoader(front)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        # an unclosed bracket is reported where it was opened, not where parsing gave up
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CaseFileError(file, "bad_yaml", line, problem=problem) from None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}

    def walk(n, path):
        # a block scalar's text starts on the line after its "|" or ">"
        block = isinstance(n, yaml.ScalarNode) and n.style in ("|", ">")
        lines[path] = n.start_mark.line + 2 + (1 if block else 0)
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                walk(value_node, path + (key_node.value,))
        elif isinstance(n, yaml.SequenceNode):
            for index, child in enumerate(n.value):
                walk(child, path + (index,))

    if node is not None:
        walk(node, ())
    return data, lines


def _dotted_lines(lines: dict[tuple, int], body: str, body_line: int) -> dict[str, int]:
    return {**{".".join(map(str, k)): v for k, v in lines.items() if k},
            "body": body_line + len(body) - len(body.lstrip("\n"))}


def text_lines(text: str, file: str = "<tekst>") -> dict[str, int]:
    """Where each value starts in a case text, even one that does not validate ({} if unreadable)."""
    try:
        front, body, body_line = split_front_matter(text, file)
        _, lines = _compose(front, file)
    except CaseFileError:
        return {}
    return _dotted_lines(lines, body, body_line)


def _parse(text: str, file: str, catalogue: Catalogue, errors: list[CaseFileError],
           warnings: list[CaseFileWarning]) -> Case | None:
    try:
        text = text.removeprefix("\ufeff").replace("\r\n", "\n")
        front, body, body_line = split_front_matter(text, file)
        data, lines = _compose(front, file)
    except CaseFileError as exc:
        errors.append(exc)
        return None
    if not isinstance(data, dict):
        found = type(data).__name__ if data is not None else "niets"
        errors.append(CaseFileError(file, "not_mapping", 2, found=found))
        return None

    def error(code, path=(), **params):
        errors.append(CaseFileError(file, code, lines.get(path, lines.get(path[:1])), **params))

    for name in data:
        if name not in KNOWN_FIELDS:
            error("unknown_field", (name,), field=name, allowed=", ".join(KNOWN_FIELDS))
    for name in REQUIRED_FIELDS:
        if data.get(name) in (None, "", []):
            errors.append(CaseFileError(file, "missing_field", None, field=name))
    if not body.strip():
        errors.append(CaseFileError(file, "empty_body", body_line))

    def text_field(name) -> str:
        value = data.get(name)
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            error("wrong_type", (name,), field=name, expected="string")
            return ""
        return str(value).strip()

    def string_list(name) -> tuple[str, ...]:
        value = data.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            error("wrong_type", (name,), field=name, expected="list_of_strings")
            return ()
        return tuple(str(v).strip() for v in value)

    case_id = text_field("id")
    if case_id and not ID_PATTERN.match(case_id):
        error("bad_id", ("id",), value=case_id)
    language = text_field("language")
    if language and language not in CASE_LANGUAGES:
        error("bad_language", ("language",), value=language)

    themes = data.get("themes")
    if isinstance(themes, str):
        themes = [themes]
    theme_ids: list[str] = []
    if themes is not None and not isinstance(themes, list):
        error("wrong_type", ("themes",), field="themes", expected="list")
    for index, theme in enumerate(themes or []):
        if theme not in catalogue.theme_ids:
            error("unknown_theme", ("themes", index), value=theme, known=", ".join(catalogue.theme_ids))
        else:
            theme_ids.append(theme)

    tags: list[str] = []
    for index, tag in enumerate(string_list("tags")):
        if tag not in catalogue.situation_ids:
            error("unknown_tag", ("tags", index), value=tag, known=", ".join(catalogue.situation_ids))
        else:
            tags.append(tag)

    key: list[KeyItem] = []
    raw_key = data.get("key")
    if raw_key is not None and not isinstance(raw_key, list):
        error("wrong_type", ("key",), field="key", expected="list")
        raw_key = []
    for index, entry in enumerate(raw_key or []):
        where = ("key", index)
        if not isinstance(entry, dict) or "item" not in entry:
            error("wrong_type", where, field=f"key[{index + 1}]", expected="item: …, why: …")
            continue
        item = str(entry.get("item"))
        why = entry.get("why")
        if item not in catalogue.item_ids:
            error("unknown_item", where + ("item",), value=item, field="key")
            continue
        if not isinstance(why, str) or not why.strip():
            error("missing_field", where, field=f"key[{item}].why")
            continue
        if item in (k.item for k in key):
            error("duplicate_item", where + ("item",), value=item)
            continue
        for name in entry:
            if name not in KEY_ENTRY_FIELDS:
                error("unknown_field", where + (name,), field=f"key[{item}].{name}", allowed=", ".join(KEY_ENTRY_FIELDS))
        how = entry.get("how")
        if "how" not in entry:  # written to the first edition's format: loads, with a warning
            warnings.append(CaseFileWarning(file, "missing_how", lines.get(where + ("item",)), item=item,
                                            allowed=", ".join(HOW_VALUES)))
            how = ""
        elif how not in HOW_VALUES:
            error("bad_how", where + ("how",), item=item, value="" if how is None else how, allowed=", ".join(HOW_VALUES))
            how = ""
        central = entry.get("central", False)
        if not isinstance(central, bool):
            error("bad_central", where + ("central",), item=item, value=central)
            central = False
        contested = entry.get("betwist", "")
        if "betwist" in entry and (not isinstance(contested, str) or not contested.strip()
                                   or "\n" in contested.strip() or len(contested) > MAX_BETWIST):
            error("bad_betwist", where + ("betwist",), item=item,
                  value=str(contested)[:40] if contested is not None else "")
            contested = ""
        key.append(KeyItem(item, why.strip(), how, central, contested.strip() if isinstance(contested, str) else ""))
    central_count = sum(k.central for k in key)
    if central_count > MAX_CENTRAL:  # a case is about one or two items; more blurs the discussion
        warnings.append(CaseFileWarning(file, "too_many_central", lines.get(("key",)), count=central_count,
                                        most=MAX_CENTRAL))

    dialogue: list[Turn] = []
    raw_dialogue = data.get("dialogue")
    if raw_dialogue is not None and not isinstance(raw_dialogue, list):
        error("wrong_type", ("dialogue",), field="dialogue", expected="list")
        raw_dialogue = []
    for index, entry in enumerate(raw_dialogue or []):
        where = ("dialogue", index)
        if not isinstance(entry, dict):
            error("wrong_type", where, field=f"dialogue[{index + 1}]", expected="speaker: …, text: …")
            continue
        speaker = str(entry.get("speaker", ""))
        if speaker not in SPEAKERS:
            error("unknown_speaker", where + ("speaker",), value=speaker)
            continue
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            error("missing_field", where, field=f"dialogue[{index + 1}].text")
            continue
        turn_items = entry.get("items") or []
        if not isinstance(turn_items, list):
            error("wrong_type", where + ("items",), field=f"dialogue[{index + 1}].items", expected="list")
            turn_items = []
        bad = [i for i in turn_items if i not in catalogue.item_ids]
        for item in bad:
            error("unknown_item", where + ("items",), value=item, field=f"dialogue[{index + 1}].items")
        dialogue.append(Turn(speaker, text.strip(), tuple(i for i in turn_items if i not in bad)))

    case = Case(
        id=case_id,
        title=text_field("title"),
        language=language,
        themes=tuple(theme_ids),
        key=tuple(key),
        body=body.strip("\n"),
        path=file,
        sector=text_field("sector"),
        summary=text_field("summary"),
        dialogue=tuple(dialogue),
        questions=string_list("questions"),
        what_happened=text_field("what_happened"),
        allow=string_list("allow"),
        context=text_field("context"),
        tags=tuple(tags),
        lines=_dotted_lines(lines, body, body_line),
    )
    return case


# ---------------------------------------------------------------- loading folders


def builtin_cases_dir() -> Path:
    return Path(str(resources.files("casebook").joinpath("cases")))


def case_folders(extra: list[str] | None = None) -> list[Path]:
    """The built-in folder, then ``CASEBOOK_CASES`` (``:``-separated), then ``extra``."""
    folders = [builtin_cases_dir()]
    folders += extra_case_folders()
    folders += [Path(p) for p in extra or []]
    return folders


@dataclass
class Casebook:
    """Loaded cases by id, plus the problems of the files that did not load."""

    cases: dict[str, Case]
    problems: list[CaseFileError]

    def get(self, case_id: str) -> Case:
        try:
            return self.cases[case_id]
        except KeyError:
            raise CaseNotFound(case_id) from None

    def __iter__(self):
        return iter(self.cases.values())

    def __len__(self):
        return len(self.cases)


def case_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.md") if p.is_file() and not p.name.startswith("."))


def load_cases(folders: list[str | os.PathLike] | None = None, catalogue: Catalogue | None = None) -> Casebook:
    """Load every ``*.md`` case in ``folders`` (default: built-in + CASEBOOK_CASES)."""
    catalogue = catalogue or load_catalogue()
    paths: list[Path] = []
    problems: list[CaseFileError] = []
    for folder in [Path(f) for f in folders] if folders is not None else case_folders():
        if folder.is_file():
            paths.append(folder)
        elif folder.is_dir():
            paths += case_files(folder)
        else:
            problems.append(CaseFileError(str(folder), "not_found"))
    return load_paths(paths, catalogue, problems)


def load_paths(paths: list[Path], catalogue: Catalogue | None = None, problems=None) -> Casebook:
    catalogue = catalogue or load_catalogue()
    problems = list(problems or [])
    cases: dict[str, Case] = {}
    for path in paths:
        try:
            case = parse_case_file(path, catalogue)
        except CaseFileErrors as exc:
            problems += exc.errors
            continue
        if case.id in cases:
            problems.append(
                CaseFileError(str(path), "duplicate_id", case.lines.get("id"), value=case.id, other=cases[case.id].path)
            )
            continue
        cases[case.id] = case
    return Casebook(dict(sorted(cases.items())), problems)
