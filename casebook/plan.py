"""Session plans: the papermill template ``notebooks/session.ipynb``, run with checked
parameters, registering a session and rendering a printable plan (DESIGN.md §1, use 2).

Papermill writes parameter *names* into code unescaped (DESIGN.md §8), so nothing reaches it
that the template does not declare, and every value must have the declared type.
"""

from __future__ import annotations

import secrets
import os
from dataclasses import dataclass, field
from pathlib import Path

from casebook import sessions
from casebook.cases import Case, Casebook, load_cases
from casebook.catalogue import load_catalogue
from casebook.exceptions import CasebookError
from casebook.links import app_url, qr_svg
from casebook.messages import normalise_language, t
from casebook.phases import phases_of
from casebook.render import central_mark_html, escape, how_mark_html, markdown_to_html
from casebook.serve import notebooks_dir
from casebook.store import open_store

TEMPLATE_NAME = "session.ipynb"
SESSIONS_FOLDER = "sessions"  # executed plans, served by Voila but never preheated
# The template's parameters and the Python types their values may have.
PARAMETER_TYPES: dict[str, tuple[type, ...]] = {
    "cases": (list,),
    "method": (str,),
    "language": (str,),
    "title": (str,),
    "minutes": (dict, int, float),
    "reveal_key": (bool,),
    "store": (str,),
    "session_code": (str,),
    "facilitator_key": (str,),
}


class PlanParameterError(CasebookError):
    """A parameter the template does not declare, or a value of the wrong type."""

    def __init__(self, name: str, problem: str, value=None):
        self.name, self.problem, self.value = name, problem, value
        super().__init__(f"parameter {name!r}: {problem}")


def template_path() -> Path:
    return notebooks_dir() / TEMPLATE_NAME


def declared_parameters(template: Path | None = None) -> dict[str, dict]:
    """The parameters the template's ``parameters`` cell declares, as papermill reads them."""
    import papermill

    return papermill.inspect_notebook(str(template or template_path()))


def check_parameters(parameters: dict, template: Path | None = None) -> dict:
    """Only declared names, only values of the declared types; lists of case ids as strings."""
    declared = declared_parameters(template)
    for name, value in parameters.items():
        if not isinstance(name, str) or name not in declared or name not in PARAMETER_TYPES:
            raise PlanParameterError(str(name), "the template declares no such parameter")
        allowed = PARAMETER_TYPES[name]
        if isinstance(value, bool) and bool not in allowed:
            raise PlanParameterError(name, f"expected {'/'.join(t.__name__ for t in allowed)}", value)
        if not isinstance(value, allowed):
            raise PlanParameterError(name, f"expected {'/'.join(t.__name__ for t in allowed)}", value)
    cases = parameters.get("cases", [])
    if not all(isinstance(case_id, str) for case_id in cases):
        raise PlanParameterError("cases", "expected a list of case ids", cases)
    return dict(parameters)


def sessions_dir() -> Path:
    path = notebooks_dir() / SESSIONS_FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class SessionPlan:
    """A registered session and everything its printed plan shows."""

    code: str
    facilitator_key: str
    title: str
    method: str
    language: str
    minutes: dict
    reveal_key: bool
    cases: list[Case] = field(default_factory=list)

    def phase_minutes(self) -> list[tuple[str, float]]:
        return [(phase.id, self.minutes.get(phase.id, phase.minutes)) for phase in phases_of(self.method)]

    @property
    def participant_url(self) -> str:
        return app_url("participant", code=self.code)

    def links(self, notebook: str | None = None) -> dict[str, str]:
        return {
            "code": self.code,
            "participant_url": app_url("participant", code=self.code),
            "facilitator_url": app_url(notebook, key=self.facilitator_key) if notebook
            else app_url("facilitator", code=self.code, key=self.facilitator_key),
            "projector_url": app_url("projector", code=self.code),
        }

    def __repr__(self) -> str:
        ids = ", ".join(case.id for case in self.cases)
        return f"SessionPlan({self.method}, {self.language}, cases: {ids})"

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, trainer_copy: bool = True) -> str:
        """The plan as one HTML fragment with its own styles: printable, no scripts."""
        lang = self.language
        catalogue = load_catalogue()
        per_case = sum(minutes for _, minutes in self.phase_minutes())
        rows = "".join(
            f"<tr><td>{t('phase.' + phase, lang)}</td><td class='cb-plan-min'>{minutes:g}</td></tr>"
            for phase, minutes in self.phase_minutes()
        )
        parts = [
            f"<style>{PLAN_CSS}</style><div class='cb-plan'>",
            f"<h1>{escape(self.title) or t('app.name', lang)}</h1>",
            f"<p class='cb-plan-meta'>{t('plan.meta', lang, method=t('method.' + self.method, lang), count=len(self.cases), minutes=f'{per_case * len(self.cases):g}')}</p>",
            "<div class='cb-plan-top'>",
            f"<div class='cb-plan-join'><div class='cb-plan-label'>{t('live.join_code', lang)}</div>"
            f"<div class='cb-plan-code'>{self.code}</div><div class='cb-plan-qr'>{qr_svg(self.participant_url)}</div>"
            f"<div class='cb-plan-url'>{escape(self.participant_url)}</div></div>",
            f"<div class='cb-plan-timing'><h2>{t('plan.timings', lang)}</h2>"
            f"<table><thead><tr><th>{t('plan.phase', lang)}</th><th>{t('plan.minutes', lang)}</th></tr></thead>"
            f"<tbody>{rows}</tbody><tfoot><tr><td>{t('plan.per_case', lang)}</td>"
            f"<td class='cb-plan-min'>{per_case:g}</td></tr></tfoot></table>"
            "</div></div>",
            f"<h2>{t('plan.cases', lang)}</h2><ol class='cb-plan-case-list'>"
            + "".join(f"<li><b>{escape(c.title)}</b><br><span>{escape(c.summary)}</span></li>" for c in self.cases)
            + "</ol>",
        ]
        for number, case in enumerate(self.cases, 1):
            parts.append(f"<section class='cb-plan-case'><h2>{number}. {escape(case.title)}</h2>")
            themes = ", ".join(catalogue.theme(th).label_in(lang) for th in case.themes)
            parts.append(f"<p class='cb-plan-meta'>{escape(themes)}"
                         f"{' · ' + escape(case.sector) if case.sector else ''}</p>")
            if case.summary:
                parts.append(f"<p class='cb-plan-summary'>{escape(case.summary)}</p>")
            parts.append(f"<div class='cb-plan-vignette'>{markdown_to_html(case.body)}</div>")
            if case.dialogue:
                turns = "".join(
                    f"<tr><th>{t('speaker.' + turn.speaker, lang)}</th><td>{escape(turn.text)}</td></tr>"
                    for turn in case.dialogue
                )
                parts.append(f"<h3>{t('view.dialogue', lang)}</h3><table class='cb-plan-dialogue'>{turns}</table>")
            if case.questions:
                parts.append(f"<h3>{t('view.questions', lang)}</h3><ol>"
                             + "".join(f"<li>{escape(q)}</li>" for q in case.questions) + "</ol>")
            if trainer_copy:
                items = "".join(
                    f"<li class='{'cb-how-' + k.how if k.how else ''}{' cb-central' if k.central else ''}'>"
                    f"<b class='cb-plan-{catalogue.item(k.item).kind}'>"
                    f"{t('catalogue.' + catalogue.item(k.item).kind, lang)}: "
                    f"{escape(catalogue.item(k.item).label_in(lang))}</b>"
                    f"{central_mark_html(k.central, lang)}{how_mark_html(k.how, lang)} — {escape(k.why)}</li>"
                    for k in case.key_central_first()
                )
                parts.append(f"<div class='cb-plan-key'><h3>{t('view.key', lang)}</h3><ul>{items}</ul>")
                if case.context:
                    parts.append(f"<h3>{t('view.context', lang)}</h3><p class='cb-context'>{escape(case.context)}</p>")
                if case.what_happened:
                    parts.append(f"<h3>{t('view.what_happened', lang)}</h3><p>{escape(case.what_happened)}</p>")
                parts.append("</div>")
            parts.append("</section>")
        parts.append("</div>")
        return "".join(parts)


def prepare_session(
    cases: list,
    method: str = "incidentmethode",
    language: str = "nl",
    title: str = "",
    minutes=None,
    reveal_key: bool = True,
    store: str = "",
    session_code: str = "",
    facilitator_key: str = "",
    casebook: Casebook | None = None,
) -> SessionPlan:
    """Validate every parameter, then register the session (or find the one already
    registered under ``session_code`` with its key, when Voila re-runs an executed plan)."""
    book = casebook if casebook is not None else load_cases()
    database = open_store(store or None)
    if session_code and sessions.session_exists(database, session_code):
        sessions.FacilitatorControl(database, session_code, facilitator_key)  # the key must fit
        current = sessions.state(database, session_code)
        code = current.code
        clean_minutes = sessions.validate_minutes(method, minutes)
    else:
        created = sessions.create_session(
            database, list(cases), method=method, language=language, title=title, minutes=minutes,
            reveal_key=reveal_key, casebook=book, code=session_code or None, facilitator_key=facilitator_key or None,
        )
        code, facilitator_key = created.code, created.facilitator_key
        clean_minutes = sessions.validate_minutes(method, minutes)
    return SessionPlan(
        code=code, facilitator_key=facilitator_key, title=title, method=method,
        language=normalise_language(language), minutes=clean_minutes, reveal_key=reveal_key,
        cases=[book.get(case_id) for case_id in cases],
    )


def new_session(parameters: dict, store_url: str | None = None) -> tuple[SessionPlan, Path]:
    """Run the template through papermill for ``parameters``; returns the plan and the executed
    notebook (in ``notebooks/sessions/``, so Voila serves it as the facilitator's app)."""
    import papermill

    parameters = check_parameters(parameters)
    # validate before papermill starts a kernel, so a bad parameter writes nothing at all
    book = load_cases()
    method = parameters.get("method", "incidentmethode")
    cases = parameters.get("cases") or []
    if not cases:
        raise sessions.BadParameter("cases", cases, "cases_list")
    for case_id in cases:
        if case_id not in book.cases:
            raise sessions.BadParameter("cases", case_id, "case_unknown")
    try:
        phases_of(method)
    except CasebookError:
        raise sessions.BadParameter("method", method, "method_unknown", methods="incidentmethode, vrij") from None
    sessions.validate_minutes(method, parameters.get("minutes"))
    code = sessions.new_code()
    key = secrets.token_urlsafe(24)
    parameters = {**parameters, "session_code": code, "facilitator_key": key}
    if store_url:
        parameters.setdefault("store", store_url)
    output = sessions_dir() / f"{code}-{secrets.token_hex(4)}.ipynb"
    papermill.execute_notebook(
        str(template_path()), str(output), parameters=parameters, kernel_name="python3",
        progress_bar=False, log_output=False, cwd=str(notebooks_dir()),
    )
    plan = prepare_session(**{k: v for k, v in parameters.items()})
    return plan, output


def export_html(executed: Path, html_path: Path) -> Path:
    """The executed plan as one self-contained HTML file without code, ready to print: the plan
    cell's own output (styles and QR code inline) in a page of its own."""
    import nbformat

    notebook = nbformat.read(str(executed), as_version=4)
    fragments = [
        output["data"]["text/html"]
        for cell in notebook.cells if "plan" in cell.metadata.get("tags", [])
        for output in cell.get("outputs", []) if "text/html" in output.get("data", {})
    ]
    if not fragments:
        raise PlanParameterError("plan", f"{executed} holds no executed plan")
    language = notebook.metadata.get("papermill", {}).get("parameters", {}).get("language", "nl")
    title = notebook.metadata.get("papermill", {}).get("parameters", {}).get("title", "")
    fragment = "".join("".join(f) if isinstance(f, list) else f for f in fragments)
    page = (f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
            f"<title>{escape(title) or t('app.name', language)}</title>"
            "<style>body { margin: 24px; } @media print { body { margin: 0; } }</style>"
            f"</head><body>{fragment}</body></html>\n")
    html_path = Path(html_path)
    html_path.write_text(page, "utf-8")
    return html_path


PLAN_CSS = """
.cb-plan { font-family: "DejaVu Sans", "Segoe UI", sans-serif; color: #1d2433; max-width: 900px; line-height: 1.5; }
.cb-plan h1 { font-size: 30px; margin: 0 0 4px; color: #2f4b9a; }
.cb-plan h2 { font-size: 22px; color: #2f4b9a; margin: 18px 0 6px; }
.cb-plan h3 { font-size: 17px; margin: 14px 0 4px; }
.cb-plan-meta { color: #5b6478; margin: 0 0 10px; }
.cb-plan-top { display: flex; gap: 28px; align-items: flex-start; border: 1px solid #d9dee8; border-radius: 10px; padding: 14px; }
.cb-plan-join { text-align: center; flex: 0 0 230px; }
.cb-plan-case-list li { margin-bottom: 6px; } .cb-plan-case-list span { color: #5b6478; font-size: 14px; }
.cb-plan-label { text-transform: uppercase; letter-spacing: .1em; color: #5b6478; font-size: 13px; }
.cb-plan-code { font-family: "DejaVu Sans Mono", monospace; font-size: 38px; font-weight: 800; letter-spacing: .12em; color: #2f4b9a; }
.cb-plan-qr svg { width: 180px; height: 180px; }
.cb-plan-url { font-size: 11px; color: #5b6478; word-break: break-all; }
.cb-plan-timing { flex: 1; }
.cb-plan table { border-collapse: collapse; width: 100%; }
.cb-plan td, .cb-plan th { border-bottom: 1px solid #e6e9f0; padding: 4px 8px; text-align: left; vertical-align: top; }
.cb-plan tfoot td { font-weight: 700; }
.cb-plan-min { text-align: right !important; width: 80px; }
.cb-plan-case { break-before: page; }
.cb-plan-timing table { font-size: 14px; }
.cb-plan-summary { font-style: italic; color: #5b6478; }
.cb-plan-dialogue th { width: 170px; color: #5b6478; font-size: 13px; text-transform: uppercase; }
.cb-plan-key { background: #fff8e6; border-radius: 8px; padding: 6px 14px; margin-top: 12px; }
.cb-plan-do { color: #17703f; } .cb-plan-dont { color: #b42318; }
.cb-plan .cb-how, .cb-plan .cb-central { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 700; border: 1px solid currentColor; }
.cb-plan .cb-how-goed { color: #17703f; } .cb-plan .cb-how-fout { color: #b42318; } .cb-plan .cb-how-open { color: #7a5a00; }
.cb-plan .cb-central { color: #2f4b9a; text-transform: uppercase; letter-spacing: .05em; }
@media print { .cb-plan { max-width: none; } }
"""


def served_by_voila() -> bool:
    """Voila hands every kernel the request's server name; papermill and JupyterLab do not."""
    return bool(os.environ.get("SERVER_NAME"))


def plan_output(plan: SessionPlan):
    """What the plan cell shows: the whole plan, except in the facilitator's app in Voila,
    where the app itself shows the case and the key."""
    return None if served_by_voila() else plan
