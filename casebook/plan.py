"""Session plans: the papermill template ``notebooks/session.ipynb``, run with checked
parameters, registering a session and rendering a printable plan (README, "A first live
session"; the executed notebook is both the facilitator's app and the printable plan).

Papermill writes parameter *names* into the notebook's code unescaped, so nothing reaches it
that the template does not declare (``casebook.parameters``), and every value must have the
declared type. The plan's HTML is a Jinja2 template in ``casebook/templates`` (autoescaped).
Executed plans are written into the data folder (``casebook.served``), never beside the package.
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
from casebook.served import SESSIONS_FOLDER, sessions_dir
from casebook.store import open_store
from casebook.workspace import session_settings

TEMPLATE_NAME = "session.ipynb"


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
    base: str | None = None  # the address its links start with; None: the configured public one

    def phase_minutes(self) -> list[tuple[str, float]]:
        return [(phase.id, self.minutes.get(phase.id, phase.minutes)) for phase in phases_of(self.method)]

    @property
    def participant_url(self) -> str:
        return app_url("participant", self.base, code=self.code)

    def links(self, notebook: str | None = None, base: str | None = None) -> dict[str, str]:
        """The session's addresses (under ``base``, default the configured public address). The
        facilitator's page carries the key (whoever has this link runs the session); the
        executed plan (``notebook``) is a trainer page."""
        base = base or self.base
        links = {
            "code": self.code,
            "participant_url": app_url("participant", base, code=self.code),
            "facilitator_url": app_url("facilitator", base, code=self.code, key=self.facilitator_key),
            "projector_url": app_url("projector", base, code=self.code),
        }
        if notebook:
            links["plan_url"] = app_url(notebook, base)
        return links

    def total_minutes(self) -> float:
        return estimate_minutes(self.method, len(self.cases), self.minutes)

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


def estimate_minutes(method: str, case_count: int, minutes: dict | None = None) -> float:
    """The session's planned length: every phase of the method for every case, with the
    chosen minutes where given and the method's own elsewhere."""
    chosen = minutes or {}
    return case_count * sum(chosen.get(phase.id, phase.minutes) for phase in phases_of(method))


def served_name(notebook: Path) -> str:
    """The executed plan's page name, as Voila serves it (``sessions/<file>`` without .ipynb)."""
    return f"{SESSIONS_FOLDER}/{Path(notebook).stem}"


def plan_notebooks(code: str) -> list[Path]:
    """The executed plans of session ``code`` (one, unless it was prepared again)."""
    return sorted(sessions_dir().glob(f"{sessions.normalise_code(code)}-*.ipynb"))


# What Voila hands a page's kernel about its request (voila/utils.py ENV_VARIABLE, and every
# request header as HTTP_*). A papermill kernel started from a page (the trainer app) must not
# inherit them, or the template would believe it is a Voila page itself.
VOILA_REQUEST_VARIABLES = (
    "VOILA_PREHEAT", "VOILA_KERNEL_ID", "VOILA_BASE_URL", "VOILA_SERVER_URL", "VOILA_REQUEST_URL", "VOILA_APP_IP",
    "VOILA_APP_PORT", "VOILA_WS_PROTOCOL", "VOILA_WS_BASE_URL", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME",
    "PATH_INFO", "QUERY_STRING", "SERVER_SOFTWARE", "SERVER_PROTOCOL",
)


def template_environment() -> dict[str, str]:
    """This process's environment without anything a Voila page's request put there."""
    import os

    return {name: value for name, value in os.environ.items()
            if name not in VOILA_REQUEST_VARIABLES and not name.startswith("HTTP_")}


def _papermill_engine(environment: dict[str, str]):
    """Papermill's own engine, with a kernel that gets ``environment`` and a progress callback
    in place of the tqdm bar (called with cells done and cells in all)."""
    from jupyter_client.manager import AsyncKernelManager
    from papermill.engines import NBClientEngine, papermill_engines
    from traitlets import CaselessStrEnum

    class TemplateKernelManager(AsyncKernelManager):
        # Unix sockets, as casebook serve's kernels: no TCP port any local user could open (and
        # no "running over TCP without encryption" warning on the trainer's screen)
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc")

        async def _async_pre_start_kernel(self, **kw):
            kw["env"] = dict(environment)
            return await super()._async_pre_start_kernel(**kw)

    class CellProgress:
        """What papermill asks of its tqdm bar, passed on to ``report(done, total)``."""

        def __init__(self, total: int, report):
            self.n, self.total, self._report = 0, total, report
            report(0, total)

        def update(self, count: int = 1) -> None:
            self.n += count
            self._report(self.n, self.total)

        def refresh(self) -> None:
            self._report(self.n, self.total)

        def set_description(self, *_args, **_kwargs) -> None:
            pass

        def close(self) -> None:
            pass

    class CasebookEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, progress=None, **kwargs):
            if progress is not None:
                nb_man.pbar = CellProgress(len(nb_man.nb.cells), progress)
            return super().execute_managed_notebook(
                nb_man, kernel_name, kernel_manager_class=TemplateKernelManager, **kwargs)

    papermill_engines.register("casebook", CasebookEngine)
    return "casebook"


def new_session(parameters: dict, store_url: str | None = None, progress=None,
                base: str | None = None) -> tuple[SessionPlan, Path]:
    """Register a session and run the template through papermill for it; returns the plan and
    the executed notebook (in ``served/sessions/`` of the data folder, so ``casebook serve``
    serves it as the facilitator's app). A bad parameter writes nothing; a failed run removes
    the session and the notebook.
    ``progress(done, total)`` hears of every executed cell of the template; ``base`` is the
    address for the plan's links when no public address is configured (the trainer app passes
    the one it was opened with). ``casebook session new`` and the trainer app both prepare
    sessions with this function."""
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
    environment = template_environment()
    if base and not environment.get("CASEBOOK_PUBLIC_URL"):
        environment["CASEBOOK_PUBLIC_URL"] = base
    try:
        papermill.execute_notebook(
            str(template_path()), str(output), parameters=parameters, kernel_name="python3",
            progress_bar=False, log_output=False, cwd=str(output.parent),
            engine_name=_papermill_engine(environment), progress=progress,
        )
    except BaseException:
        # a failed run leaves nothing behind: no half-written plan, no session without one
        output.unlink(missing_ok=True)
        sessions.discard(database, created.code)
        raise
    prepared = plan_of(created.code, created.facilitator_key, chosen, book)
    prepared.base = base
    return prepared, output


def export_html(executed: Path, html_path: Path) -> Path:
    """The executed plan as one self-contained HTML file without code, ready to print: the plan
    cell's own output (styles and QR code inline) in a page of its own."""
    html_path = Path(html_path)
    html_path.write_text(executed_plan_html(executed), "utf-8")
    return html_path


def executed_plan_html(executed: Path) -> str:
    """The page ``export_html`` writes, as text."""
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
    fragment = "".join("".join(f) if isinstance(f, list) else f for f in fragments)
    return plan_page(fragment, papermill_parameters.get("language"), papermill_parameters.get("title", ""))


def plan_page(fragment: str, language: str | None, title: str = "") -> str:
    """A plan's HTML fragment as a printable page of its own."""
    language = normalise_language(language)
    return _templates().get_template("plan-page.html.j2").render(
        language=language, title=title, fragment=Markup(fragment),
        t=lambda key, **params: t(key, language, **params)) + "\n"


def stored_plan(store, code: str, casebook: Casebook | None = None, base: str | None = None) -> SessionPlan:
    """The plan of a registered session, from the store (without its facilitator key, which
    is never stored); cases whose files are gone are left out."""
    book = casebook if casebook is not None else load_cases()
    settings_ = session_settings(store, code)
    return SessionPlan(
        code=settings_.code, facilitator_key="", title=settings_.title, method=settings_.method,
        language=normalise_language(settings_.language), minutes=dict(settings_.minutes),
        reveal_key=settings_.reveal_key, cases=[book.cases[c] for c in settings_.case_ids if c in book.cases],
        base=base,
    )


def printable_plan(store, code: str, casebook: Casebook | None = None, base: str | None = None) -> str:
    """The printable plan (trainer's copy) of a registered session, as one HTML page."""
    plan = stored_plan(store, code, casebook, base)
    return plan_page(plan.html(), plan.language, plan.title)
