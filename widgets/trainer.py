"""The trainer app: prepare a session without a terminal (*Nieuwe sessie*) and follow up the
sessions on the store (*Mijn sessies*).

A new session is made by ``casebook.plan.new_session``, the very function behind ``casebook
session new``: the same papermill template, the same checks and refusals. The form is derived
from ``casebook.parameters.SessionParameters``, which defines every session parameter once.
Served by Voila the page is a trainer page (``casebook.web``: refused without the trainer
token before any kernel starts); in JupyterLab it is the trainer's own notebook.
"""

from __future__ import annotations

import json
import logging

import ipywidgets as W
from traitlets import Bool, Dict, List, Unicode, observe

from casebook import plan as plans
from casebook import workspace
from casebook.cases import Casebook
from casebook.catalogue import Catalogue, load_catalogue
from casebook.clearance import served_cases
from casebook.links import app_url, qr_svg
from casebook.messages import LANGUAGES, t
from casebook.parameters import SessionParameters, session_fields
from casebook.phases import DEFAULT_METHOD, METHODS, phases_of
from casebook.render import escape
from casebook.store import Store, open_store
from widgets.case_filter import AppHeader, CaseChooser, FilterBar
from widgets.case_list import CaseList, card_html
from widgets.case_view import CaseView
from widgets.common import ErrorBanner, download_link, guarded, mark_language, page_language, stylesheet
from widgets.request import page_base_url, served_by_voila, trainer_verified

log = logging.getLogger("casebook")

NEW, SESSIONS = "new", "sessions"
MIME_TYPES = {"html": "text/html", "csv": "text/csv", "json": "application/json"}
# SessionParameters fields held by model traits of another name (``language`` is the page's)
TRAIT_OF = {"cases": "chosen", "language": "session_language"}
# fields chosen from a fixed list
CHOICES = {"method": tuple(METHODS), "language": LANGUAGES}


def default_minutes(method: str) -> dict[str, float]:
    return {phase.id: phase.minutes for phase in phases_of(method)}


def whole(value: float) -> int | float:
    """5.0 as 5: minutes read and print as people write them."""
    return int(value) if float(value).is_integer() else float(value)


# ------------------------------------------------------------------ the model


class TrainerModel(CaseChooser):
    """The session being prepared (the cases chosen, in order, and every other parameter) beside
    the filters and the previewed case; no widgets."""

    chosen = List(Unicode())
    method = Unicode(DEFAULT_METHOD)
    session_language = Unicode("nl")
    title = Unicode("")
    minutes = Dict()  # phase id -> minutes, for every phase of ``method``
    reveal_key = Bool(SessionParameters.reveal_key)
    sectors = List(Unicode())

    def __init__(self, casebook: Casebook, **kwargs):
        super().__init__(casebook, **kwargs)
        self.sectors = sorted({case.sector for case in casebook if case.sector})
        if not self.minutes:
            self.minutes = default_minutes(self.method)

    @observe("method")
    def _on_method_change(self, change) -> None:
        self.minutes = default_minutes(change["new"])

    def add(self, case_id: str) -> None:
        if case_id and case_id not in self.chosen:
            self.chosen = [*self.chosen, case_id]

    def remove(self, case_id: str) -> None:
        self.chosen = [c for c in self.chosen if c != case_id]

    def move(self, case_id: str, by: int) -> None:
        order = list(self.chosen)
        old = order.index(case_id)
        new = max(0, min(len(order) - 1, old + by))
        order.insert(new, order.pop(old))
        self.chosen = order

    def parameters(self) -> dict:
        """The parameters as ``casebook session new`` hands them to ``plan.new_session``: one
        entry per SessionParameters field, nothing else."""
        values = {spec.name: getattr(self, TRAIT_OF.get(spec.name, spec.name)) for spec in session_fields()}
        values["cases"] = list(values["cases"])
        values["minutes"] = {phase: whole(value) for phase, value in values["minutes"].items()}
        return values

    def estimate(self) -> tuple[float, float]:
        """(minutes per case, minutes in all) as planned now."""
        per_case = plans.estimate_minutes(self.method, 1, self.minutes)
        return per_case, per_case * len(self.chosen)


# ------------------------------------------------------------------ small pieces


def copy_field_html(css: str, label: str, url: str, language: str) -> str:
    """A link in a read-only field with a copy button (the browser's clipboard; where that is
    not allowed, the field's text is selected for a manual copy)."""
    copy = t("trainer.copy", language)
    done = t("trainer.copied", language)
    script = ("const f=this.parentNode.querySelector('input');f.focus();f.select();"
              "const ok=()=>{this.textContent=" + json.dumps(done).replace('"', "&quot;") + ";};"
              "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(f.value).then(ok,"
              "()=>{document.execCommand('copy');ok();});}else{document.execCommand('copy');ok();}")
    return (
        f'<div class="cb-link-row {css}"><label class="cb-link-label">{escape(label)}'
        f'<input type="text" readonly class="cb-link-url" value="{escape(url)}"></label>'
        f'<button type="button" class="cb-copy" aria-label="{escape(t("trainer.copy_label", language, what=label))}"'
        f' onclick="{script}">{escape(copy)}</button>'
        f'<a class="cb-link-open" href="{escape(url)}" target="_blank" rel="noopener">{t("trainer.open", language)}</a>'
        f"</div>"
    )


def minutes_text(total: float, language: str) -> str:
    hours, minutes = divmod(int(round(total)), 60)
    return t("trainer.hours", language, hours=hours, minutes=minutes)


class SettingsForm(W.VBox):
    """One control per SessionParameters field (the cases have their own list), linked to the
    model's traits; the minutes as one field per phase of the chosen method."""

    language = Unicode("nl")

    def __init__(self, model: TrainerModel, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-settings")
        self.model = model
        self.controls: dict[str, W.Widget] = {}
        self._labels: dict[str, W.HTML] = {}
        self._minute_fields: dict[str, W.FloatText] = {}
        rows = []
        for spec in session_fields():
            if spec.name == "cases":
                continue
            control = self._control_for(spec)
            control.add_class(f"cb-param-{spec.name.replace('_', '-')}")
            self.controls[spec.name] = control
            if not isinstance(control, W.Checkbox):
                label = W.HTML()
                label.add_class("cb-param-label")
                self._labels[spec.name] = label
                rows.append(W.VBox([label, control], layout=W.Layout(margin="0 0 8px 0")))
            else:
                rows.append(control)
        self.children = rows
        model.observe(self._on_minutes_change, "minutes")
        self._apply_language()

    def _control_for(self, spec) -> W.Widget:
        name, types = spec.name, spec.metadata["types"]
        trait = TRAIT_OF.get(name, name)
        if name in CHOICES:
            control = (W.ToggleButtons if len(CHOICES[name]) <= 2 else W.Dropdown)(
                options=list(CHOICES[name]), value=getattr(self.model, trait))
        elif types == (bool,):
            control = W.Checkbox(value=getattr(self.model, trait), indent=False)
        elif dict in types:
            control = W.VBox()
            self._minutes_box = control
            self._draw_minutes()
            return control
        else:
            control = W.Text(value=getattr(self.model, trait), continuous_update=True)
        W.link((control, "value"), (self.model, trait))
        return control

    def _draw_minutes(self) -> None:
        self._minute_fields = {}
        rows = []
        for phase in phases_of(self.model.method):
            field = W.FloatText(value=self.model.minutes.get(phase.id, phase.minutes), step=1,
                                continuous_update=True, style={"description_width": "260px"},
                                layout=W.Layout(width="380px"))
            field.add_class(f"cb-minutes-{phase.id}")
            field.observe(self._on_field_change, "value")
            self._minute_fields[phase.id] = field
            rows.append(field)
        self._minutes_box.children = rows
        self._label_minutes()

    def _label_minutes(self) -> None:
        for phase_id, field in self._minute_fields.items():
            field.description = t(f"phase.{phase_id}", self.language)

    def _on_field_change(self, change) -> None:
        self.model.minutes = {phase: field.value for phase, field in self._minute_fields.items()}

    def _on_minutes_change(self, change) -> None:
        if set(change["new"]) != set(self._minute_fields):  # another method: other phases
            self._draw_minutes()
            return
        for phase, value in change["new"].items():
            if self._minute_fields[phase].value != value:
                self._minute_fields[phase].value = value

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._apply_language()

    def _apply_language(self) -> None:
        lang = self.language
        for name, label in self._labels.items():
            label.value = f'<span class="cb-field-name">{t(f"trainer.field.{name}", lang)}</span>'
        method = self.controls["method"]
        method.options = [(t(f"method.{m}", lang), m) for m in CHOICES["method"]]
        self.controls["language"].options = [(t(f"case_language.{code}", lang), code) for code in LANGUAGES]
        self.controls["title"].placeholder = t("trainer.title_placeholder", lang)
        self.controls["reveal_key"].description = t("trainer.field.reveal_key", lang)
        self._label_minutes()


# ------------------------------------------------------------------ Nieuwe sessie


class NewSessionView(W.VBox):
    """Filters and cases, a preview, the chosen cases in order, the settings with a live
    estimate, the create button and, once made, the session's code, QR, links and plan."""

    language = Unicode("nl")

    def __init__(self, model: TrainerModel, catalogue: Catalogue, store_url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-new-session")
        self.model = model
        self._catalogue = catalogue
        self._store_url = store_url
        self.prepared = None  # the SessionPlan made last
        self._error = ErrorBanner()
        self._build()
        model.observe(self._on_matching_change, "matching")
        model.observe(self._on_selected_change, "selected")
        model.observe(self._on_chosen_change, "chosen")
        model.observe(self._on_estimate_change, ["chosen", "minutes", "method"])
        self._apply_language()

    # -- building

    def _build(self) -> None:
        self._step_titles: dict[str, W.HTML] = {}
        self._filters = FilterBar(self.model.filters, self._catalogue, sectors=self.model.sectors, search=True,
                                  description_width="110px")
        self._list = CaseList(self.model.casebook, self._card_html, self._on_preview_click, open_label="trainer.preview")
        left = W.VBox([self._step_title("cases"), self._filters, self._list])
        left.add_class("cb-left")

        self._placeholder = W.HTML()
        self._placeholder.add_class("cb-placeholder")
        self._add = W.Button(button_style="primary", icon="plus")
        self._add.add_class("cb-add-case")
        self._add.on_click(self._on_add_click)
        self._preview = CaseView(catalogue=self._catalogue, show_key=True, show_turn_items=True)
        self._preview.add_class("cb-preview")
        preview = W.VBox([self._placeholder, self._add, self._preview])
        preview.add_class("cb-right")

        self._chosen = W.VBox()
        self._chosen.add_class("cb-chosen")
        self._settings = SettingsForm(self.model)
        self._estimate = W.HTML()
        self._estimate.add_class("cb-estimate")
        self._create = W.Button(button_style="success", icon="play")
        self._create.add_class("cb-create-session")
        self._create.on_click(self._on_create_click)
        self._progress = W.IntProgress(value=0, min=0, max=1)
        self._progress.add_class("cb-create-progress")
        self._progress.layout.display = "none"
        self._progress_text = W.HTML()
        self._progress_text.add_class("cb-create-status")
        plan_side = W.VBox([self._step_title("order"), self._chosen, self._step_title("settings"), self._settings,
                            self._estimate, self._error, self._create, self._progress, self._progress_text])
        plan_side.add_class("cb-plan-side")

        self._form = W.HBox([left, preview, plan_side])
        self._form.add_class("cb-body")
        self._ready = W.HTML()
        self._ready.add_class("cb-session-ready")
        self._another = W.Button(icon="plus")
        self._another.add_class("cb-another")
        self._another.on_click(self._on_another_click)
        self._result = W.VBox([self._ready, self._another])
        self._result.layout.display = "none"
        self.children = [self._form, self._result]

    def _step_title(self, step: str) -> W.HTML:
        title = W.HTML()
        title.add_class("cb-step-title")
        title.add_class(f"cb-step-{step}")
        self._step_titles[step] = title
        return title

    def _card_html(self, case, lang: str) -> str:
        sector = f'<span class="cb-card-sector">{escape(case.sector)}</span>' if case.sector else ""
        chosen = (f'<span class="cb-card-chosen">{t("trainer.added", lang)}</span>'
                  if case.id in self.model.chosen else "")
        return card_html(case, self._catalogue, lang, " ".join(filter(None, [sector, chosen])), summary=True)

    # -- language

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._apply_language()

    def _apply_language(self) -> None:
        lang = self.language
        self._filters.language = lang
        self._list.language = lang
        self._preview.language = lang
        self._settings.language = lang
        for step, title in self._step_titles.items():
            title.value = f'<h2>{t("trainer.step_" + step, lang)}</h2>'
        self._create.description = t("trainer.create", lang)
        self._another.description = t("trainer.another", lang)
        self._on_matching_change()
        self._on_selected_change()
        self._on_chosen_change()
        self._on_estimate_change()
        if self.prepared is not None:
            self._show_ready()

    # -- choosing and ordering

    @guarded
    def _on_matching_change(self, change=None) -> None:
        self._list.show_only(self.model.matching)
        self._filters.show_count(len(self.model.matching), len(self._list.cards))

    @guarded
    def _on_preview_click(self, case_id: str) -> None:
        self.model.selected = case_id

    @guarded
    def _on_selected_change(self, change=None) -> None:
        case = self.model.casebook.cases.get(self.model.selected)
        self._list.selected = self.model.selected
        self._preview.show_case(case)
        self._add.layout.display = None if case else "none"
        self._show_add_state()
        self._placeholder.value = "" if case else f'<div class="cb-choose">{t("trainer.preview_hint", self.language)}</div>'

    @guarded
    def _on_add_click(self, _button=None) -> None:
        self.model.add(self.model.selected)

    @guarded
    def _on_chosen_change(self, change=None) -> None:
        lang = self.language
        rows = []
        for index, case_id in enumerate(self.model.chosen):
            case = self.model.casebook.cases.get(case_id)
            title = case.title if case else case_id
            text = W.HTML(f'<span class="cb-chosen-number">{index + 1}.</span> {escape(title)} '
                          f'<span class="cb-chosen-id">{escape(case_id)}</span>')
            text.add_class("cb-chosen-title")
            buttons = []
            for name, icon, by, label in (("up", "arrow-up", -1, "move_up"), ("down", "arrow-down", 1, "move_down"),
                                          ("remove", "times", 0, "remove_case")):
                button = W.Button(icon=icon, tooltip=t(f"trainer.{label}", lang, title=title),
                                  layout=W.Layout(width="44px"))
                button.add_class(f"cb-{name}")
                button.disabled = (name == "up" and index == 0) or (name == "down" and index == len(self.model.chosen) - 1)
                button.on_click(self._mover(case_id, by))
                buttons.append(button)
            row = W.HBox([text, *buttons])
            row.add_class("cb-chosen-row")
            row.add_class(f"cb-chosen-{case_id}")
            rows.append(row)
        if not rows:
            empty = W.HTML(f'<p class="cb-note">{t("trainer.chosen_none", lang)}</p>')
            rows = [empty]
        self._chosen.children = rows
        self._list.redraw()
        self._show_add_state()

    def _show_add_state(self) -> None:
        chosen = self.model.selected in self.model.chosen
        self._add.disabled = not self.model.selected or chosen
        self._add.description = t("trainer.added" if chosen else "trainer.add", self.language)
        self._add.icon = "check" if chosen else "plus"

    def _mover(self, case_id: str, by: int):
        @guarded
        def move(view, _button=None):
            if by:
                view.model.move(case_id, by)
            else:
                view.model.remove(case_id)
        return lambda button: move(self, button)

    @guarded
    def _on_estimate_change(self, change=None) -> None:
        per_case, total = self.model.estimate()
        self._estimate.value = t("trainer.estimate", self.language, cases=len(self.model.chosen),
                                 per_case=f"{per_case:g}", total=f"{total:g}",
                                 hours=minutes_text(total, self.language))

    # -- creating

    @guarded
    def _on_create_click(self, _button=None) -> None:
        from papermill.exceptions import PapermillExecutionError

        self._create.disabled = True
        self._progress.layout.display = None
        self._progress.value = 0
        self._progress_text.value = t("trainer.checking", self.language)
        try:
            self.prepared, self.notebook = plans.new_session(
                self.model.parameters(), store_url=self._store_url, progress=self._on_progress, base=page_base_url())
        except PapermillExecutionError as exc:
            log.warning("the session template failed: %s: %s", exc.ename, exc.evalue)
            self._error.show(t("trainer.failed", self.language, problem=f"{exc.ename}: {exc.evalue}"))
            return
        finally:
            self._create.disabled = False
            if self.prepared is None or self._error.value:
                self._progress.layout.display = "none"
                self._progress_text.value = ""
        self._progress_text.value = t("trainer.created", self.language, code=self.prepared.code)
        self._show_ready()

    def _on_progress(self, done: int, total: int) -> None:
        self._progress.max = max(total, 1)
        self._progress.value = done
        self._progress_text.value = (t("trainer.cell", self.language, done=done, total=total) if done
                                     else t("trainer.starting", self.language))

    def _show_ready(self) -> None:
        lang, prepared = self.language, self.prepared
        links = prepared.links(plans.served_name(self.notebook))
        page = plans.executed_plan_html(self.notebook)
        rows = "".join(copy_field_html(f"cb-link-{role}", t(f"trainer.{role}_link", lang), links[f"{role}_url"], lang)
                       for role in ("participant", "facilitator", "projector"))
        self._ready.value = (
            f'<div class="cb-ready" role="status"><h2>{t("trainer.created", lang, code=prepared.code)}</h2>'
            f'<div class="cb-ready-top"><div class="cb-ready-join">'
            f'<div class="cb-ready-label">{t("trainer.join_code", lang)}</div>'
            f'<div class="cb-new-code">{prepared.code}</div>'
            f'<div class="cb-ready-qr" role="img" aria-label="{escape(links["participant_url"])}">'
            f'{qr_svg(links["participant_url"])}</div></div>'
            f'<div class="cb-ready-links">{rows}'
            f'<p class="cb-note">{t("trainer.facilitator_note", lang)}</p>'
            f'<p class="cb-plan-links">'
            f'{download_link(f"plan-{prepared.code}.html", page, "text/html", t("trainer.plan_download", lang))}'
            f' · <a class="cb-plan-open" href="{escape(links["plan_url"])}" target="_blank" rel="noopener">'
            f'{t("trainer.plan_open", lang)}</a></p></div></div>'
            f'<details class="cb-ready-plan"><summary>{t("trainer.plan", lang)}</summary>{prepared.html()}</details>'
            f"</div>"
        )
        self._form.layout.display = "none"
        self._result.layout.display = None

    @guarded
    def _on_another_click(self, _button=None) -> None:
        self.prepared = None
        self.model.chosen = []
        self._progress.layout.display = "none"
        self._progress_text.value = ""
        self._result.layout.display = "none"
        self._form.layout.display = None


# ------------------------------------------------------------------ Mijn sessies


class SessionRowView(W.VBox):
    """One session of the list: what it is, links, downloads, close and purge (confirmed)."""

    language = Unicode("nl")

    def __init__(self, summary: workspace.SessionSummary, store: Store, casebook: Casebook, on_change, **kwargs):
        super().__init__(**kwargs)
        self.summary, self._store, self._casebook, self._on_change = summary, store, casebook, on_change
        self.add_class("cb-session-row")
        self.add_class(f"cb-session-{summary.code}")
        self._error = ErrorBanner()
        self._line = W.HTML()
        self._links = W.HTML()
        self._downloads_button = W.Button(icon="download")
        self._downloads_button.add_class("cb-downloads")
        self._downloads_button.on_click(self._on_downloads_click)
        self._close = W.Button(icon="lock")
        self._close.add_class("cb-close-session")
        self._close.on_click(lambda _b: self._ask("close"))
        self._again = W.Button(icon="copy")
        self._again.add_class("cb-duplicate-session")
        self._again.on_click(self._on_again_click)
        self._purge = W.Button(icon="trash", button_style="danger")
        self._purge.add_class("cb-purge-session")
        self._purge.on_click(lambda _b: self._ask("purge"))
        self._downloads = W.HTML()
        self._downloads.add_class("cb-session-downloads")
        self._question = W.HTML()
        self._confirm = W.Button(button_style="danger")
        self._confirm.add_class("cb-confirm")
        self._confirm.on_click(self._on_confirm_click)
        self._cancel = W.Button()
        self._cancel.add_class("cb-cancel")
        self._cancel.on_click(self._on_cancel_click)
        self._confirm_box = W.HBox([self._question, self._confirm, self._cancel])
        self._confirm_box.add_class("cb-confirm-box")
        self._confirm_box.layout.display = "none"
        self._message = W.HTML()
        self._message.add_class("cb-row-message")
        self._asking = ""
        actions = W.HBox([self._links, self._downloads_button, self._again, self._close, self._purge])
        actions.add_class("cb-session-actions")
        self.children = [self._line, actions, self._downloads, self._confirm_box, self._message, self._error]
        self._draw()

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._draw()

    def show(self, summary: workspace.SessionSummary) -> None:
        """The session as it is now (state, participants); downloads made in another state go."""
        if summary.state != self.summary.state:
            self._downloads.value = ""
        self._message.value = ""
        self.summary = summary
        self._draw()

    def _draw(self) -> None:
        lang, s = self.language, self.summary
        titles = ", ".join(escape(self._casebook.cases[c].title if c in self._casebook.cases else c) for c in s.case_ids)
        date = s.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if s.created_at else "—"
        self._line.value = (
            f'<div class="cb-session-line"><span class="cb-session-title">{escape(s.title) or t("trainer.untitled", lang)}'
            f'</span> <code class="cb-session-code">{s.code}</code>'
            f' <span class="cb-state cb-state-{s.state}">{t(f"trainer.state.{s.state}", lang)}</span>'
            f' <span class="cb-session-meta">{t("trainer.column.date", lang)}: {date} · '
            f'{t("trainer.column.participants", lang)}: <span class="cb-session-participants">{s.participants}</span>'
            f'</span></div><div class="cb-session-cases">'
            f'{t("trainer.cases_line", lang, method=t(f"method.{s.method}", lang), cases=titles)}</div>'
        )
        base = page_base_url()
        self._links.value = (
            f'<a class="cb-open-facilitator" href="{escape(app_url("facilitator", base, code=s.code))}" '
            f'target="_blank" rel="noopener">{t("trainer.open_facilitator", lang)}</a>'
            f'<a class="cb-open-projector" href="{escape(app_url("projector", base, code=s.code))}" '
            f'target="_blank" rel="noopener">{t("trainer.open_projector", lang)}</a>'
        )
        self._downloads_button.description = t("trainer.downloads", lang)
        self._again.description = t("trainer.again", lang)
        self._again.tooltip = t("trainer.again_hint", lang)
        self._close.description = t("trainer.close", lang)
        self._close.disabled = s.state == workspace.CLOSED
        self._purge.description = t("trainer.purge", lang)
        self._cancel.description = t("trainer.cancel", lang)
        if self._asking:
            self._ask(self._asking)

    @guarded
    def _on_downloads_click(self, _button=None) -> None:
        """The plan and the report, made now (the report counts the votes as they are)."""
        from casebook.report import FORMATS, build_report, render

        lang, code = self.language, self.summary.code
        plan_page = plans.printable_plan(self._store, code, self._casebook, base=page_base_url())
        report = build_report(self._store, code, self._casebook)
        links = [download_link(f"plan-{code}.html", plan_page, "text/html", t("trainer.plan_download", lang))
                 .replace('class="cb-download"', 'class="cb-download cb-download-plan"')]
        for fmt in FORMATS:
            links.append(download_link(f"rapport-{code}.{fmt}", render(report, fmt), MIME_TYPES[fmt],
                                       t("trainer.report", lang, format=fmt.upper()))
                         .replace('class="cb-download"', f'class="cb-download cb-download-report-{fmt}"'))
        self._downloads.value = f'<div class="cb-download-list">{" ".join(links)}</div>'

    @guarded
    def _on_again_click(self, _button=None) -> None:
        """The same session once more, for another group: a new code, the same cases and times."""
        from casebook.series import duplicate_session

        self._again.disabled = True
        try:
            made, _notebook = duplicate_session(self.summary.code, self._store.url, base=page_base_url())
        finally:
            self._again.disabled = False
        self._on_change(made.code, t("trainer.again_done", self.language, code=made.code, source=self.summary.code))

    @guarded
    def _ask(self, action: str) -> None:
        self._asking = action
        self._question.value = f'<span role="alert">{t(f"trainer.confirm_{action}", self.language, code=self.summary.code)}</span>'
        self._confirm.description = t(f"trainer.confirm_yes_{action}", self.language)
        self._confirm_box.layout.display = None

    @guarded
    def _on_cancel_click(self, _button=None) -> None:
        self._asking = ""
        self._confirm_box.layout.display = "none"

    @guarded
    def _on_confirm_click(self, _button=None) -> None:
        from casebook import sessions
        from casebook.retention import close_session

        action, code, lang = self._asking, self.summary.code, self.language
        self._asking = ""
        self._confirm_box.layout.display = "none"
        if action == "close":
            done = close_session(self._store, code, self._casebook)
            key = "trainer.closed_done" if done["closed"] else "trainer.closed_already"
            message = t(key, lang, code=code, votes=done["votes"], participants=done["participants"])
        elif action == "purge":
            removed = sessions.purge(self._store, code)
            message = t("trainer.purged_done", lang, code=code, **removed)
        else:
            return
        self._on_change(code, message)


class SessionListView(W.VBox):
    """Every session on the store, newest first (``cb-session-list``)."""

    language = Unicode("nl")

    def __init__(self, store: Store, casebook: Casebook, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-session-list")
        self._store, self._casebook = store, casebook
        self._error = ErrorBanner()
        self._count = W.HTML()
        self._count.add_class("cb-session-count")
        self._refresh = W.Button(icon="refresh")
        self._refresh.add_class("cb-refresh")
        self._refresh.on_click(lambda _b: self.refresh())
        self._rows = W.VBox()
        self._rows.add_class("cb-session-rows")
        self.rows: dict[str, SessionRowView] = {}
        self._messages: dict[str, str] = {}
        top = W.HBox([self._count, self._refresh])
        top.add_class("cb-session-list-top")
        self.children = [top, self._error, self._rows]
        self.refresh()

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._refresh.description = t("trainer.refresh", self.language)
        for row in self.rows.values():
            row.language = self.language
        self._show_count()

    def _show_count(self) -> None:
        count = len(self.rows)
        self._count.value = (f'<p class="cb-note">{t("trainer.sessions_none", self.language)}</p>' if not count
                             else f'<h2>{t("trainer.sessions_count", self.language, count=count)}</h2>')

    @guarded
    def refresh(self) -> None:
        self._refresh.description = t("trainer.refresh", self.language)
        # rows of sessions still there are kept (and redrawn), so a refresh never takes away an
        # open download list or question, nor a row the trainer is about to click
        rows = {}
        for summary in workspace.list_sessions(self._store):
            row = self.rows.get(summary.code)
            if row is None:
                row = SessionRowView(summary, self._store, self._casebook, self._on_row_change)
                row.language = self.language
            else:
                row.show(summary)
            if summary.code in self._messages:
                row._message.value = f'<p class="cb-done" role="status">{escape(self._messages.pop(summary.code))}</p>'
            rows[summary.code] = row
        self.rows = rows
        self._rows.children = list(rows.values())
        self._show_count()

    def _on_row_change(self, code: str, message: str) -> None:
        self._messages[code] = message
        self.refresh()


# ------------------------------------------------------------------ the app


class TrainerView(W.VBox):
    """The trainer app (``cb-trainer``): two sections, *Nieuwe sessie* and *Mijn sessies*."""

    language = Unicode("nl")

    def __init__(self, model: TrainerModel, store: Store | None = None, catalogue: Catalogue | None = None,
                 store_url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-app")
        self.add_class("cb-trainer")
        self.model = model
        self._catalogue = catalogue or load_catalogue()
        self._store = store or open_store(store_url)
        self._error = ErrorBanner()
        self._header = AppHeader(model, "trainer.title", "trainer.tagline")
        self._problems = W.HTML()
        self._problems.add_class("cb-load-problems")
        self._sections = W.ToggleButtons(options=[("", NEW), ("", SESSIONS)], value=NEW)
        self._sections.add_class("cb-trainer-sections")
        self.new_session = NewSessionView(model, self._catalogue, store_url=store_url)
        self.session_list = SessionListView(self._store, model.casebook)
        self.session_list.layout.display = "none"
        self.children = [stylesheet(), self._header, self._error, self._problems, self._sections,
                         self.new_session, self.session_list]
        W.link((model, "language"), (self, "language"))
        for part in (self.new_session, self.session_list):
            W.dlink((self, "language"), (part, "language"))
        self._sections.observe(self._on_section_change, "value")
        self._apply_language()

    def __repr__(self) -> str:
        return f"TrainerView(language={self.language!r})"  # nbval compares it: nothing that varies

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._apply_language()

    def _apply_language(self) -> None:
        lang = self.language
        mark_language(self, lang)
        self._sections.options = [(t("trainer.tab_new", lang), NEW), (t("trainer.tab_sessions", lang), SESSIONS)]
        problems = self.model.casebook.problems
        self._problems.value = (
            f'<div class="cb-warning">{t("browse.load_problems", lang, count=len({p.file for p in problems}))}</div>'
            if problems else "")

    @guarded
    def _on_section_change(self, change=None) -> None:
        showing = self._sections.value
        if showing == SESSIONS:  # up to date before it shows
            self.session_list.refresh()
        self.new_session.layout.display = None if showing == NEW else "none"
        self.session_list.layout.display = None if showing == SESSIONS else "none"

    def show_section(self, section: str) -> None:
        self._sections.value = section


def trainer_app(store: Store | None = None, casebook: Casebook | None = None, store_url: str | None = None):
    """The trainer app as the notebook shows it, in the page's language. Served by Voila it
    opens only for a request the server verified as a trainer's (the page handler refuses the
    others before a kernel starts; this is the second lock)."""
    language = page_language()  # after the request, in a preheated kernel
    if served_by_voila() and not trainer_verified():
        refusal = W.HTML(f'<div class="cb-error-box" role="alert">{t("trainer.refused", language)}</div>')
        refusal.add_class("cb-app")
        refusal.add_class("cb-error")
        return refusal
    book = casebook if casebook is not None else served_cases()
    model = TrainerModel(book, session_language=language)
    model.language = language
    return TrainerView(model, store=store, store_url=store_url)
