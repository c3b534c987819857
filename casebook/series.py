"""A series of sessions from one YAML file, and a session prepared again for another group.

The file is papermill's ``-f`` parameters file for the session template: a mapping of
parameter names to values. A file papermill accepts for ``notebooks/session.ipynb`` makes one
session here. A series adds ``sessions:``, a list of mappings; each entry is one session, with
the file's other values as what the entries share::

    method: incidentmethode
    minutes: {bespreking: 25}
    sessions:
      - {title: Intervisie januari, cases: [vp-003, vp-014]}
      - {title: Intervisie februari, cases: [vp-020]}

Every session is checked (names, types, case ids, the anonymisation gate) before the first is
registered; when one fails later on, the sessions and plans made before it are removed again,
so a series is made whole or not at all. Errors name the file, the session and the problem.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from casebook import sessions
from casebook.exceptions import CasebookError
from casebook.parameters import SessionParameters

SERIES_KEY = "sessions"


class SeriesFileError(CasebookError):
    """A series file that cannot be used: names the file, the session (1-based) where there is
    one, and the problem, in the reader's language."""

    section = "series"

    def __init__(self, file: str, problem: str, session: int | None = None, cause: Exception | None = None,
                 **params):
        self.file, self.problem, self.session, self.cause = file, problem, session, cause
        super().__init__(problem, file=file, session=session, **params)

    def message_params(self, language: str) -> dict:
        params = dict(self.params)
        if isinstance(self.cause, CasebookError):
            params["detail"] = self.cause.message(language)
        elif self.cause is not None:
            params.setdefault("detail", str(self.cause))
        return params

    def message(self, language: str | None = None) -> str:
        from casebook.messages import t

        text = super().message(language)
        if self.session is not None:
            text = t("series.where", language, file=self.file, session=self.session) + text
        return text


def read_series(path: str | Path, overrides: dict | None = None, defaults: dict | None = None) -> list[dict]:
    """The parameters of every session the file describes, with ``overrides`` (options given on
    the command line) on top, as papermill's ``-p`` goes on top of its ``-f``, and ``defaults``
    (the CLI's language) beneath."""
    import yaml

    file = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except UnicodeDecodeError:
        raise SeriesFileError(file, "not_utf8") from None
    except OSError as exc:
        raise SeriesFileError(file, "unreadable", detail=exc.strerror or str(exc)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SeriesFileError(file, "bad_yaml", line=mark.line + 1 if mark else "?",
                              detail=getattr(exc, "problem", None) or str(exc)) from None
    if data is None:
        raise SeriesFileError(file, "empty")
    if not isinstance(data, dict):
        raise SeriesFileError(file, "not_a_mapping")
    shared = {name: value for name, value in data.items() if name != SERIES_KEY}
    entries = data.get(SERIES_KEY, [{}]) if SERIES_KEY in data else [{}]
    if not isinstance(entries, list) or not entries:
        raise SeriesFileError(file, "sessions_shape")
    parameter_sets = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise SeriesFileError(file, "session_shape", session=number)
        parameter_sets.append({**(defaults or {}), **shared, **entry, **(overrides or {})})
    return parameter_sets


def check_series(file: str, parameter_sets: list[dict]) -> None:
    """Every session's parameters as the template and a session accept them, and every case
    through the anonymisation gate, before anything is written."""
    from casebook.cases import load_cases
    from casebook.clearance import clear
    from casebook.plan import check_parameters

    book = load_cases()
    chosen = []
    for number, parameters in enumerate(parameter_sets, start=1):
        try:
            checked = check_parameters(parameters)
            chosen.append(SessionParameters(**{name: checked[name] for name in checked
                                               if name in SessionParameters.__dataclass_fields__}).checked(book))
        except CasebookError as exc:
            raise SeriesFileError(file, "session_problem", session=number, cause=exc) from None
    every_case = {case_id for parameters in chosen for case_id in parameters.cases}
    clear([book.get(case_id) for case_id in sorted(every_case)])
    for number, parameters in enumerate(chosen, start=1):
        try:
            sessions.refuse_unclean([book.get(case_id) for case_id in parameters.cases])
        except CasebookError as exc:
            raise SeriesFileError(file, "session_problem", session=number, cause=exc) from None


def new_series(path: str | Path, overrides: dict | None = None, store_url: str | None = None,
               defaults: dict | None = None):
    """Register every session of the series file and run the template for each; returns a list
    of (SessionPlan, executed notebook). All of them, or none: see the module's docstring."""
    from casebook.plan import new_session

    file = str(path)
    parameter_sets = read_series(path, overrides, defaults)
    check_series(file, parameter_sets)
    made = []
    for number, parameters in enumerate(parameter_sets, start=1):
        try:
            made.append((*new_session(parameters, store_url), parameters))
        except BaseException as exc:
            for plan, notebook, made_with in made:
                notebook.unlink(missing_ok=True)
                sessions.discard(_store_of(made_with, store_url), plan.code)
            if isinstance(exc, Exception):
                raise SeriesFileError(file, "session_failed", session=number, cause=_plain(exc)) from exc
            raise
    return [(plan, notebook) for plan, notebook, _ in made]


def _store_of(parameters: dict, store_url: str | None):
    from casebook.store import open_store

    return open_store(store_url or parameters.get("store") or None)


def _plain(exc: Exception) -> Exception:
    """Papermill's error as one line (exception name and value), others as they are."""
    ename = getattr(exc, "ename", None)
    return RuntimeError(f"{ename}: {getattr(exc, 'evalue', '')}") if ename else exc


def duplicate_session(code: str, store_url: str | None = None, base: str | None = None):
    """The session ``code`` prepared once more ("nog eens met een andere groep"): a new code and
    facilitator key, the same cases, method, language, title, timings and key setting, with its
    own executed plan. Works for closed sessions too. Returns (SessionPlan, executed notebook)."""
    from casebook.plan import new_session
    from casebook.store import open_store

    parameters = asdict(sessions.session_parameters(open_store(store_url), code))
    return new_session(parameters, store_url, base=base)
