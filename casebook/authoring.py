"""Writing a case: the author app's model, without widgets.

``AuthorModel`` holds the form as traits and turns it into a case file's text. Checking a
draft means validating it as the loader does and running the anonymisation check; the check
needs deduce, so it runs in the check worker (``casebook/worker.py``), never in the page's
kernel. Saving writes only a case that was just checked valid and clean, under an id of the
safe shape, inside the author folder, and replaces an existing case only when asked to.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from traitlets import Bool, HasTraits, List, Unicode

from casebook.cases import Case, KeyItem, Turn, load_cases, parse_case_file, split_front_matter, text_lines
from casebook.catalogue import Catalogue, load_catalogue
from casebook.config import author_folder
from casebook.exceptions import AuthorError, CaseFileError, CaseFileWarning, CasebookError

# What a saved case's id (and so its file name) may look like: nothing that climbs out of
# the author folder, nothing hidden, nothing too long for a file system.
CASE_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")  # fullmatch: no newline may slip past a "$"
log = logging.getLogger("casebook")
SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's: a long pasted dialogue dumps 4x faster
SPEAKER = re.compile(r"^[\w-]+$")


def parse_turns(text: str) -> list[dict]:
    """``melder: tekst`` per line, the turn's items between brackets at the end.

    Split on the first colon and the last bracket: linear in the line's length, whatever
    is pasted (a backtracking pattern took seconds on a long crafted line).
    """
    turns = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        speaker, colon, rest = line.partition(":")
        speaker = speaker.strip()
        if not colon or not SPEAKER.match(speaker):
            turns.append({"speaker": "", "text": line})
            continue
        rest = rest.strip()
        items: list[str] = []
        if rest.endswith("]") and "[" in rest:
            opening = rest.rindex("[")
            items = [i.strip() for i in rest[opening + 1:-1].split(",") if i.strip()]
            rest = rest[:opening].rstrip()
        turn = {"speaker": speaker.lower(), "text": rest}
        if items:
            turn["items"] = items
        turns.append(turn)
    return turns


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def loose_case(text: str, file: str = "<tekst>") -> Case:
    """A draft's texts as a case even when it does not validate, for the anonymisation check:
    identifiers are looked for before the structure is complete."""
    try:
        front, body, _ = split_front_matter(text, file)
        data = yaml.safe_load(front)
    except (CaseFileError, yaml.YAMLError):
        data, body = {}, text
    data = data if isinstance(data, dict) else {}

    def text_of(value) -> str:
        return str(value).strip() if isinstance(value, (str, int, float)) else ""

    def entries(name) -> list:
        value = data.get(name)
        return value if isinstance(value, list) else []

    key = tuple(KeyItem(text_of(k.get("item")), text_of(k.get("why"))) for k in entries("key") if isinstance(k, dict))
    dialogue = tuple(Turn(text_of(d.get("speaker")), text_of(d.get("text"))) for d in entries("dialogue")
                     if isinstance(d, dict))
    return Case(
        id=text_of(data.get("id")), title=text_of(data.get("title")), language=text_of(data.get("language")),
        themes=(), key=key, body=body.strip(), path=file, sector=text_of(data.get("sector")),
        summary=text_of(data.get("summary")), context=text_of(data.get("context")), dialogue=dialogue,
        questions=tuple(text_of(q) for q in entries("questions")), what_happened=text_of(data.get("what_happened")),
        allow=tuple(text_of(a) for a in entries("allow")), lines=text_lines(text, file),
    )


@dataclass
class DraftCheck:
    """What checking a draft found: format errors, findings that block it, findings let pass."""

    errors: list[CaseFileError] = field(default_factory=list)
    findings: list = field(default_factory=list)  # casebook.anonymise.Finding
    allowed: list = field(default_factory=list)
    case: Case | None = None
    # problems that do not block saving (a key item without ``how``)
    warnings: list[CaseFileWarning] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.errors and not self.findings


def _draft_check(answer: dict, file: str) -> DraftCheck:
    from casebook.anonymise import Finding

    def findings(entries):
        return [Finding(**{k: v for k, v in entry.items() if k != "message"}) for entry in entries]

    errors = [CaseFileError(file, e["code"], e.get("line"), **e.get("params", {})) for e in answer["errors"]]
    warnings = [CaseFileWarning(file, w["code"], w.get("line"), **w.get("params", {}))
                for w in answer.get("warnings", [])]
    return DraftCheck(errors, findings(answer["findings"]), findings(answer["allowed"]), warnings=warnings)


# what the author is told when the worker could not check: by the worker's reason
_CHECK_REFUSALS = {"timeout": "check_timeout", "text_too_long": "too_long"}


def worker_checker(text: str, file: str, timeout: float | None = None) -> DraftCheck:
    """Check a draft in the check worker: the server's shared one (``CASEBOOK_CHECKER``, set by
    ``casebook serve``) or, outside a server, a child process of its own. A check the worker
    refused or stopped is an AuthorError in plain words (the details go to the log only: they
    may name server paths). ``timeout``: seconds to wait for the answer (default: the worker's)."""
    from casebook.worker import DEFAULT_TIMEOUT, MAX_TEXT, CheckFailed, CheckWorker

    try:
        with CheckWorker(os.environ.get("CASEBOOK_CHECKER") or None, timeout or DEFAULT_TIMEOUT) as worker:
            return _draft_check(worker.request("check_case_text", text=text, file=file), file)
    except CheckFailed as exc:
        log.warning("draft %r not checked: %s", file, exc.problem)
        raise AuthorError(_CHECK_REFUSALS.get(exc.reason, "check_failed"), max=MAX_TEXT) from None


def local_checker(text: str, file: str) -> DraftCheck:
    """Check a draft in this process (loads deduce here: for tests and command-line tools)."""
    from casebook.check import check_case_text

    return _draft_check(check_case_text(text, file), file)


class AuthorModel(HasTraits):
    """The case being written, as the form has it (no widgets)."""

    case_id = Unicode("")
    title = Unicode("")
    case_language = Unicode("nl")
    themes = List(Unicode())
    sector = Unicode("")
    summary = Unicode("")
    key_items = List(Unicode())
    reasons = List(Unicode())  # one per key item, same order
    hows = List(Unicode())  # one per key item: goed, fout, open, or "" while not chosen
    centrals = List(Bool())  # one per key item: one of the one or two items the case is about
    contesteds = List(Unicode())  # one per key item: the one-line "betwist" note, or ""
    context = Unicode("")  # the legal frame that applies
    questions = Unicode("")  # one per line
    what_happened = Unicode("")
    allow = Unicode("")  # comma-separated
    body = Unicode("")
    dialogue = Unicode("")  # one turn per line: "speaker: text [item, item]"
    # the last check: valid and clean for exactly the current text
    checked_text = Unicode("")
    clean = Bool(False)

    def __init__(self, folder: str | os.PathLike | None = None, catalogue: Catalogue | None = None,
                 checker=None, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(folder) if folder else author_folder()
        self.catalogue = catalogue or load_catalogue()
        self.checker = checker or worker_checker
        self.result = DraftCheck()

    # what the view shows of the last check
    @property
    def errors(self) -> list[CaseFileError]:
        return self.result.errors

    @property
    def findings(self) -> list:
        return self.result.findings

    @property
    def allowed(self) -> list:
        return self.result.allowed

    @property
    def case(self) -> Case | None:
        return self.result.case

    @property
    def warnings(self) -> list[CaseFileWarning]:
        return self.result.warnings

    def front_matter(self) -> dict:
        data: dict = {"id": self.case_id.strip(), "title": self.title.strip(), "language": self.case_language,
                      "themes": list(self.themes)}
        if self.sector.strip():
            data["sector"] = self.sector.strip()
        if self.summary.strip():
            data["summary"] = self.summary.strip()
        if self.context.strip():
            data["context"] = self.context.strip()
        data["key"] = []
        for i, item in enumerate(self.key_items):
            entry: dict = {"item": item, "why": (self.reasons[i] if i < len(self.reasons) else "").strip()}
            if i < len(self.hows) and self.hows[i]:
                entry["how"] = self.hows[i]
            if i < len(self.centrals) and self.centrals[i]:
                entry["central"] = True
            if i < len(self.contesteds) and self.contesteds[i].strip():
                entry["betwist"] = self.contesteds[i].strip()
            data["key"].append(entry)
        turns = parse_turns(self.dialogue)
        if turns:
            data["dialogue"] = turns
        questions = [q.strip() for q in self.questions.splitlines() if q.strip()]
        if questions:
            data["questions"] = questions
        if self.what_happened.strip():
            data["what_happened"] = self.what_happened.strip()
        allow = split_list(self.allow)
        if allow:
            data["allow"] = allow
        return data

    def case_text(self) -> str:
        """The case file, as it would be saved."""
        front = yaml.dump(self.front_matter(), Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=100)
        return f"---\n{front}---\n{self.body.strip()}\n"

    def file_name(self) -> str:
        """The case's file name: its id's, once the id has the safe shape."""
        case_id = self.case_id.strip()
        return f"{case_id}.md" if CASE_ID.fullmatch(case_id) else "nieuw.md"

    def target(self) -> Path:
        """Where the case would be saved; AuthorError when the id could lead anywhere else."""
        case_id = self.case_id.strip()
        if not CASE_ID.fullmatch(case_id):
            raise AuthorError("bad_id")
        folder = self.folder.resolve()
        path = (folder / f"{case_id}.md").resolve()
        if path.parent != folder:
            raise AuthorError("bad_id")
        return path

    def warm_up(self) -> None:
        """Have the shared check worker load deduce now (seconds), while the author types."""
        from casebook.worker import CheckWorker

        socket_path = os.environ.get("CASEBOOK_CHECKER")
        if socket_path and self.checker is worker_checker:
            try:
                with CheckWorker(socket_path) as worker:
                    worker.request("warm_up")
            except CasebookError:  # the check itself will report it
                pass

    def check(self) -> bool:
        """Validate as the loader does and run the anonymisation check; True when it may be saved."""
        from casebook.worker import MAX_TEXT

        text = self.case_text()
        if len(text) > MAX_TEXT:  # refused here, before it travels to the worker
            raise AuthorError("too_long", max=MAX_TEXT)
        result = self.checker(text, self.file_name())
        result.case = loose_case(text, self.file_name())
        if not result.errors:
            result.errors += self._duplicate_id(result.case)
        if not CASE_ID.fullmatch(self.case_id.strip()) and not any(e.code == "bad_id" for e in result.errors):
            result.errors.append(CaseFileError(self.file_name(), "bad_author_id", result.case.lines.get("id")))
        self.result = result
        self.checked_text = text
        self.clean = result.clean
        return self.clean

    def _duplicate_id(self, case: Case) -> list[CaseFileError]:
        """An id that a case elsewhere uses (one in the author folder may be replaced, on request)."""
        for other in load_cases():
            if other.id == case.id and Path(other.path).resolve().parent != self.folder.resolve():
                return [CaseFileError(self.file_name(), "duplicate_id", case.lines.get("id"), value=case.id,
                                      other=Path(other.path).name)]
        return []

    @property
    def ready_to_save(self) -> bool:
        return self.clean and self.checked_text == self.case_text()

    def exists(self) -> bool:
        try:
            return self.target().exists()
        except AuthorError:
            return False

    def save(self, overwrite: bool = False) -> Path:
        """Write the case file; refused unless the current text was checked valid and clean,
        and, when a case of that id is there already, unless ``overwrite``."""
        path = self.target()
        if not self.check():
            raise AuthorError("not_clean")
        path.parent.mkdir(parents=True, exist_ok=True)
        if overwrite:  # whole or not at all: write beside it, then swap
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(self.checked_text, "utf-8")
            os.replace(partial, path)
        else:
            try:  # exclusive: two authors saving the same new id cannot both win
                with open(path, "x", encoding="utf-8") as out:
                    out.write(self.checked_text)
            except FileExistsError:
                raise AuthorError("exists", id=self.case_id.strip()) from None
        from casebook.clearance import clear

        clear([parse_case_file(path, self.catalogue)])  # known clean: the apps offer it at once
        return path
