"""``casebook check``: validate case files (and plain-text drafts) and report per file.

A case file that loads is also run through the anonymisation check (``casebook.anonymise``):
its findings block it, the ones its ``allow:`` list lets pass are reported as ``allowed`` so
that a reviewer sees them. A plain ``.txt`` draft is checked for identifiers only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from casebook.cases import Case, parse_case_file, parse_case_text, read_text
from casebook.catalogue import load_catalogue
from casebook.consistency import consistency_warnings
from casebook.exceptions import CaseFileError, CaseFileErrors

CASE_SUFFIX = ".md"
DRAFT_SUFFIX = ".txt"


@dataclass
class FileReport:
    """What ``check`` found in one file: format errors and anonymisation findings."""

    file: str
    errors: list[CaseFileError] = field(default_factory=list)
    # problems that do not block the file (a first-edition key entry without ``how``)
    warnings: list[CaseFileError] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    allowed: list[dict] = field(default_factory=list)
    case: Case | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.findings

    def as_dict(self, language: str = "nl") -> dict:
        return {
            "file": self.file,
            "ok": self.ok,
            "id": self.case.id if self.case else None,
            "errors": [e.as_dict(language) for e in self.errors],
            "warnings": [w.as_dict(language) for w in self.warnings],
            "findings": list(self.findings),
            "allowed": list(self.allowed),
        }


def expand(paths: list[str]) -> list[Path | CaseFileError]:
    """Files to check: given files as they are, folders searched for .md and .txt files."""
    found: list[Path | CaseFileError] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (CASE_SUFFIX, DRAFT_SUFFIX))
        elif path.is_file():
            found.append(path)
        else:
            found.append(CaseFileError(name, "not_found"))
    return found


def _anonymisation(report: FileReport, path: Path, case: Case | None, language: str) -> None:
    """Fill the report's findings; the check's verdict on the same content is reused."""
    from casebook.anonymise import Finding, check_case, scan_text
    from casebook.clearance import cached_verdict, content_key, store_verdict

    key = content_key(path.read_bytes())
    cached = cached_verdict(key)
    if cached is not None:
        found = [Finding(**{k: v for k, v in entry.items() if k != "message"}) for entry in cached]
    else:
        if case is not None:
            result = check_case(case)
            found = sorted(result.findings + result.allowed, key=lambda f: (f.line, f.start))
        else:
            found = scan_text(read_text(path))
        store_verdict(key, [f.as_dict("en") for f in found])
    report.findings = [f.as_dict(language) for f in found if not f.allowed]
    report.allowed = [f.as_dict(language) for f in found if f.allowed]


def check_paths(paths: list[str], language: str = "nl", anonymisation: bool = True) -> list[FileReport]:
    catalogue = load_catalogue()
    reports: list[FileReport] = []
    seen_ids: dict[str, str] = {}
    for entry in expand(paths):
        if isinstance(entry, CaseFileError):
            reports.append(FileReport(entry.file, [entry]))
            continue
        report = FileReport(str(entry))
        reports.append(report)
        if entry.suffix == DRAFT_SUFFIX:
            try:
                read_text(entry)
            except CaseFileError as exc:
                report.errors.append(exc)
                continue
            if anonymisation:
                _anonymisation(report, entry, None, language)
            continue
        if entry.suffix != CASE_SUFFIX:
            report.errors.append(CaseFileError(str(entry), "not_a_case_file"))
            continue
        try:
            case = parse_case_file(entry, catalogue)
        except CaseFileErrors as exc:
            report.errors += exc.errors
            continue
        report.case = case
        report.warnings = list(case.warnings) + consistency_warnings(case, catalogue)
        if case.id in seen_ids:
            report.errors.append(
                CaseFileError(str(entry), "duplicate_id", case.lines.get("id"), value=case.id, other=seen_ids[case.id])
            )
        else:
            seen_ids[case.id] = str(entry)
        if anonymisation:
            _anonymisation(report, entry, case, language)
    return reports


def check_case_text(text: str, file: str = "<tekst>", language: str = "nl") -> dict:
    """A draft case (the author app's): format errors with their codes and parameters, and the
    anonymisation findings; the verdict is kept like ``casebook check`` keeps it, so saving the
    same text clears it without another check."""
    from casebook.anonymise import check_case
    from casebook.authoring import loose_case
    from casebook.clearance import content_key, store_verdict

    try:
        case, errors = parse_case_text(text, file), []
    except CaseFileErrors as exc:
        case, errors = None, exc.errors
    result = check_case(case if case is not None else loose_case(text, file))
    if case is not None:
        found = sorted(result.findings + result.allowed, key=lambda f: (f.line, f.start))
        store_verdict(content_key(text.encode("utf-8")), [f.as_dict("en") for f in found])
    return {
        "errors": [{**e.as_dict(language), "params": e.params} for e in errors],
        "warnings": [{**w.as_dict(language), "params": w.params}
                     for w in ((*case.warnings, *consistency_warnings(case)) if case else ())],
        "findings": [f.as_dict(language) for f in result.findings],
        "allowed": [f.as_dict(language) for f in result.allowed],
    }
