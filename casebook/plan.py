"""Session plans: the papermill template ``notebooks/session.ipynb``, run with checked
parameters, registering a session and rendering a printable plan (DESIGN.md §1, use 2).

Papermill writes parameter *names* into code unescaped (DESIGN.md §8), so nothing reaches it
that the template does not declare (``casebook.parameters``), and every value must have the
declared type. The plan's HTML is a Jinja2 template in ``casebook/templates`` (autoescaped).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from casebook import sessions
from casebook.cases import Case, Casebook, load_cases
from casebook.catalogue import load_catalogue
from casebook.config import notebooks_dir
from casebook.exceptions import PlanParameterError
from casebook.links import app_url, qr_svg
from casebook.messages import normalise_language, t
from casebook.parameters import PARAMETER_TYPES, SessionParameters
from casebook.phases import phases_of
from casebook.render import markdown_to_html
from casebook.store import open_store

TEMPLATE_NAME = "session.ipynb"
SESSIONS_FOLDER = "sessions"  # executed plans, served by Voila but never preheated


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
            raise PlanParameterError(str(name), "undeclared")
        allowed = PARAMETER_TYPES[name]
        if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
            raise PlanParameterError(name, "wrong_type", value, expected="/".join(kind.__name__ for kind in allowed))
    cases = parameters.get("cases", [])
    if not all(isinstance(case_id, str) for case_id in cases):
        raise PlanParameterError("cases", "case_ids", cases)
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
        """The session's addresses. The facilitator's page carries the key (whoever has this
        link runs the session); the executed plan (``notebook``) is a trainer page."""
        links = {
            "code": self.code,
            "participant_url": app_url("participant", code=self.code),
            "facilitator_url": app_url("facilitator", code=self.code, key=self.facilitator_key),
            "projector_url": app_url("projector", code=self.code),
        }
        if notebook:
            links["plan_url"] = app_url(notebook)
        return links

    def __repr__(self) -> str:
        ids = ", ".join(case.id for case in self.cases)
        return f"SessionPlan({self.method}, {self.language}, cases: {ids})"

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, trainer_copy: bool = True) -> str:
        """The plan as one HTML fragment with its own styles: printable, no scripts."""
        catalogue = load_catalogue()
        language = self.language
        return _templates().get_template("plan.html.j2").render(
            plan=self, language=language, catalogue=catalogue, trainer_copy=trainer_copy,
            t=lambda key, **params: t(key, language, **params),
            css=Markup(_templates().loader.get_source(_templates(), "plan.css")[0]),
            qr=Markup(qr_svg(self.participant_url)),
            per_case=sum(minutes for _, minutes in self.phase_minutes()),
            themes=lambda case: ", ".join(catalogue.theme(theme).label_in(language) for theme in case.themes),
            vignette=lambda case: Markup(markdown_to_html(case.body)),
        )


@lru_cache(maxsize=1)
def _templates():
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(loader=PackageLoader("casebook", "templates"),
                              autoescape=select_autoescape(["j2", "html"], default_for_string=True))
    environment.filters["minutes"] = lambda value: f"{value:g}"
    return environment


def prepare_session(
    cases: list,
    method: str = SessionParameters.method,
    language: str = SessionParameters.language,
    title: str = SessionParameters.title,
    minutes=None,
    reveal_key: bool = SessionParameters.reveal_key,
    store: str = "",
    session_code: str = "",
    casebook: Casebook | None = None,
) -> SessionPlan:
    """Validate every parameter, then register the session, or find the one registered under
    ``session_code`` (``casebook session new`` registers it first; Voila re-runs an executed
    plan). The template's parameters arrive in the order it declares them. The facilitator's
    key is known only when this call registered the session."""
    from casebook.clearance import clear

    book = casebook if casebook is not None else load_cases()
    parameters = SessionParameters(cases=cases, method=method, language=language, title=title,
                                   minutes=minutes or {}, reveal_key=reveal_key).checked(book)
    database = open_store(store or None)
    key = ""
    if session_code and sessions.session_exists(database, session_code):
        code = sessions.normalise_code(session_code)
    else:
        clear([book.get(case_id) for case_id in parameters.cases])  # the anonymisation gate, in the worker
        created = sessions.create_session(database, parameters, casebook=book, code=session_code or None)
        code, key = created.code, created.facilitator_key
    return plan_of(code, key, parameters, book)


def plan_of(code: str, key: str, parameters: SessionParameters, book: Casebook) -> SessionPlan:
    return SessionPlan(
        code=code, facilitator_key=key, title=parameters.title, method=parameters.method,
        language=normalise_language(parameters.language), minutes=parameters.minutes,
        reveal_key=parameters.reveal_key, cases=[book.get(case_id) for case_id in parameters.cases],
    )


def new_session(parameters: dict, store_url: str | None = None) -> tuple[SessionPlan, Path]:
    """Register a session and run the template through papermill for it; returns the plan and
    the executed notebook (in ``notebooks/sessions/``, so Voila serves it as the facilitator's
    app). A bad parameter writes nothing; a failed run removes the session and the notebook."""
    import papermill

    from casebook.clearance import clear

    parameters = check_parameters(parameters)
    book = load_cases()
    chosen = SessionParameters(**{f: parameters[f] for f in parameters if f in SessionParameters.__dataclass_fields__})
    chosen = chosen.checked(book)
    chosen_cases = [book.get(case_id) for case_id in chosen.cases]
    clear(chosen_cases)
    sessions.refuse_unclean(chosen_cases)
    database = open_store(store_url or parameters.get("store") or None)
    created = sessions.create_session(database, chosen, casebook=book)
    parameters = {**parameters, "session_code": created.code}
    if store_url:
        parameters.setdefault("store", store_url)
    output = sessions_dir() / f"{created.code}-{secrets.token_hex(4)}.ipynb"
    try:
        papermill.execute_notebook(
            str(template_path()), str(output), parameters=parameters, kernel_name="python3",
            progress_bar=False, log_output=False, cwd=str(notebooks_dir()),
        )
    except BaseException:
        # a failed run leaves nothing behind: no half-written plan, no session without one
        output.unlink(missing_ok=True)
        sessions.discard(database, created.code)
        raise
    return plan_of(created.code, created.facilitator_key, chosen, book), output


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
        raise PlanParameterError("plan", "no_plan", file=str(executed))
    papermill_parameters = notebook.metadata.get("papermill", {}).get("parameters", {})
    language = normalise_language(papermill_parameters.get("language"))
    fragment = "".join("".join(f) if isinstance(f, list) else f for f in fragments)
    page = _templates().get_template("plan-page.html.j2").render(
        language=language, title=papermill_parameters.get("title", ""), fragment=Markup(fragment),
        t=lambda key, **params: t(key, language, **params))
    html_path = Path(html_path)
    html_path.write_text(page + "\n", "utf-8")
    return html_path
