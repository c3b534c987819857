"""Which cases the anonymisation gate cleared, known without loading the check itself.

The check (``casebook/anonymise.py``) needs deduce's lookup data: seconds to load and about a
gigabyte of memory. Participant pages must never pay that, so the tools that serve cases
split the work:

* ``clear()`` (run by ``casebook serve`` at start-up, by ``casebook session new`` and by the
  author app when it saves) has every case checked that was not judged before, in the check
  worker (``casebook/worker.py``, a child process), and
  writes the verdicts to ``clearance.json`` in the data folder, keyed by a hash of the case
  file's content and of the check itself (``fingerprint()``).
* ``served_cases()`` (used by every app) loads the cases and keeps only those whose current
  content was cleared; the others become load problems with a clear message. A case edited
  after the check is therefore not served until it is checked again.

The check's own results are also kept in the user's cache folder by content
(``cached_verdict``), so a case is run through deduce only once per version of the check.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

from casebook.cases import Case, Casebook, load_cases
from casebook.config import cache_dir, data_dir
from casebook.exceptions import CaseFileError, ClearanceError

RECORD_NAME = "clearance.json"


# ------------------------------------------------------------------ keys


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Changes whenever the check could answer differently: our rules, word lists, deduce."""
    package = resources.files("casebook")
    digest = hashlib.sha256(metadata.version("deduce").encode())
    digest.update(package.joinpath("anonymise.py").read_bytes())
    digest.update(package.joinpath("data", "anonymisation.yml").read_bytes())
    return digest.hexdigest()[:16]


def content_key(content: bytes) -> str:
    return hashlib.sha256(fingerprint().encode() + content).hexdigest()


def file_key(path: str | os.PathLike) -> str | None:
    try:
        return content_key(Path(path).read_bytes())
    except OSError:
        return None


# ------------------------------------------------------------------ the check's own results


def _verdict_path(key: str) -> Path:
    return cache_dir() / "verdicts" / f"{key}.json"


def cached_verdict(key: str) -> list[dict] | None:
    """The findings (as dicts) the same check gave the same content before, if it did."""
    try:
        return json.loads(_verdict_path(key).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def store_verdict(key: str, findings: list[dict]) -> None:
    _write_json(_verdict_path(key), findings)


def _write_json(path: Path, data) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(path)
    except OSError as exc:
        # a verdict that cannot be kept is checked again next time; never fatal
        import logging

        logging.getLogger("casebook").warning("cannot write %s: %s", path, exc)


# ------------------------------------------------------------------ the record of this installation


def record_path() -> Path:
    return data_dir() / RECORD_NAME


def load_record() -> dict:
    """``{"fingerprint", "cases": {content key: {"id", "file", "findings": [...]}}}``."""
    try:
        record = json.loads(record_path().read_text("utf-8"))
    except (OSError, ValueError):
        record = {}
    if record.get("fingerprint") != fingerprint() or not isinstance(record.get("cases"), dict):
        record = {"fingerprint": fingerprint(), "cases": {}}
    return record


@dataclass
class Clearance:
    """The verdict on each case given to ``clear()``: findings per case id (empty: cleared)."""

    findings: dict[str, list[dict]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def cleared(self) -> list[str]:
        return [case_id for case_id, found in self.findings.items() if not found]

    @property
    def refused(self) -> list[str]:
        return [case_id for case_id, found in self.findings.items() if found]


def recorded_verdict(case: Case, record: dict | None = None) -> list[dict] | None:
    """The findings recorded for the case's current content, None when it was never judged.
    Reads only: nothing is checked here (creating a session relies on this)."""
    key = file_key(case.path) if case.path else None
    if key is None:
        return None
    entry = (record or load_record())["cases"].get(key)
    if entry is not None:
        return entry["findings"]
    cached = cached_verdict(key)
    return None if cached is None else [f for f in cached if not f.get("allowed")]


def clear(cases: list[Case] | Casebook | None = None, say=None) -> Clearance:
    """Judge every case not judged before under this check, record all verdicts, return them.

    Cases are checked in a child process, so that deduce's lookup data never stays in the
    memory of the process that asked (a server, a papermill kernel). ``say`` receives
    progress lines (nothing is printed when it is None).
    """
    cases = list(cases if cases is not None else load_cases())
    record = load_record()
    keys = {case.id: file_key(case.path) if case.path else None for case in cases}
    result = Clearance()
    pending: list[Case] = []
    for case in cases:
        key = keys[case.id]
        result.files[case.id] = case.path
        if key is None:
            result.findings[case.id] = [{"kind": "unreadable", "text": case.path or case.id, "line": None}]
        elif key in record["cases"]:
            result.findings[case.id] = record["cases"][key]["findings"]
        elif (cached := cached_verdict(key)) is not None:
            result.findings[case.id] = [f for f in cached if not f.get("allowed")]
        else:
            pending.append(case)
    if pending:
        if say:
            say(_t("anonymisation.clearing", count=len(pending)))
        checked = _check_in_child([case.path for case in pending])
        for case in pending:
            report = checked.get(str(Path(case.path)))
            if report is None:
                raise ClearanceError(f"no verdict for {case.path}")
            problems = report["findings"] or [
                {"kind": "error", "text": e["message"], "line": e.get("line")} for e in report["errors"]]
            result.findings[case.id] = problems
    for case in cases:
        key = keys[case.id]
        if key is not None:
            # an earlier version of the same file is not served any more: forget its verdict
            for old in [k for k, entry in record["cases"].items() if entry["file"] == case.path and k != key]:
                del record["cases"][old]
            record["cases"][key] = {"id": case.id, "file": case.path, "findings": result.findings[case.id]}
    _write_json(record_path(), record)
    if say:
        for case_id in result.refused:
            say(_t("anonymisation.refused_case", case=case_id, file=result.files[case_id],
                   count=len(result.findings[case_id])))
        say(_t("anonymisation.cleared", ok=len(result.cleared), refused=len(result.refused)))
    return result


def _check_in_child(paths: list[str]) -> dict[str, dict]:
    """``casebook check`` on the files in the check worker, a child process of its own."""
    from casebook.worker import check_files

    return check_files(paths)


def _t(key: str, **params) -> str:
    from casebook.messages import t

    return t(key, None, **params)


# ------------------------------------------------------------------ what the apps serve


def served_cases(folders=None) -> Casebook:
    """The cases as the apps offer them: only those whose current content was cleared.

    Reads the record only: no check runs here, so a participant's kernel never loads the
    de-identification library. Uncleared and refused cases are reported as problems.
    """
    book = load_cases(folders)
    return only_cleared(book)


def only_cleared(book: Casebook) -> Casebook:
    record = load_record()["cases"]
    cases: dict[str, Case] = {}
    problems: list[CaseFileError] = list(book.problems)
    for case in book:
        key = file_key(case.path) if case.path else None
        entry = record.get(key) if key else None
        if entry is None:
            problems.append(CaseFileError(case.path or case.id, "not_cleared"))
        elif entry["findings"]:
            first = entry["findings"][0]
            problems.append(CaseFileError(case.path, "has_findings", first.get("line"),
                                          count=len(entry["findings"]), first=f"“{first.get('text')}”"))
        else:
            cases[case.id] = case
    return Casebook(cases, problems)
