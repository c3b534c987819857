"""The facilitator's app: phase controls, timer, live count and distribution, the key."""

from __future__ import annotations

import ipywidgets as W
from traitlets import Instance

from casebook import sessions
from casebook.cases import Casebook
from casebook.catalogue import Catalogue
from casebook.clearance import served_cases
from casebook.config import settings
from casebook.links import app_url
from widgets.request import page_base_url, served_by_voila, trainer_verified
from casebook.messages import t
from casebook.phases import FACILITATOR, phases_of
from casebook.render import escape
from casebook.page_store import PageStore, server_page_store
from casebook.store import Store, open_store
from widgets.common import guarded, log, page_language, request_params
from widgets.live import LiveView, follow_from_the_kernel, join_box_html, too_few_note
from widgets.record_form import RecordForm


class FacilitatorView(LiveView):
    css_class = "cb-facilitator"
    _control = Instance(sessions.FacilitatorControl, allow_none=True)  # set once the key is accepted

    def __init__(self, store: Store, casebook: Casebook, code: str = "", key: str = "", language: str = "nl",
                 catalogue: Catalogue | None = None, reads: PageStore | None = None, **kwargs):
        """``store`` takes the facilitator's actions (phases, timer, the record); ``reads``, if
        given, answers what the page shows (the server's page store, shared with the group's
        other pages)."""
        super().__init__(store, casebook, language, catalogue, reads=reads, **kwargs,
                         case_view_options=dict(show_key=True, show_what_happened=True, show_turn_items=True))
        if code or key:
            self.show_session(code, key)

    def _build_body(self) -> list[W.Widget]:
        self._record_form = RecordForm()  # the end of the session: the record and the report
        left = W.VBox([self._status, self._build_controls(), self._record_form, *self._build_results(),
                       self._case_view])
        left.add_class("cb-main")
        self._join_info = W.HTML()
        self._join_info.add_class("cb-join-info")
        self._programme = W.HTML()
        self._programme.add_class("cb-programme")
        right = W.VBox([self._join_info, self._programme])
        right.add_class("cb-side")
        self._body = W.HBox([left, right])
        self._body.add_class("cb-body")
        self._body.layout.display = "none"
        return [self._body]

    def _build_controls(self) -> W.HBox:
        self._buttons = {}
        for name, css in (("start", "cb-start"), ("back", "cb-back"), ("timer", "cb-timer-toggle"),
                          ("reveal", "cb-reveal"), ("next", "cb-next-phase")):
            button = W.Button(button_style="primary" if name in ("next", "reveal", "start") else "")
            button.add_class(css)
            button.add_class("cb-control")
            button.on_click(getattr(self, f"_on_{name}_click"))
            self._buttons[name] = button
        controls = W.HBox(list(self._buttons.values()))
        controls.add_class("cb-controls")
        return controls

    def _build_results(self) -> list[W.Widget]:
        self._presence = W.HTML()
        self._chart_title = W.HTML()
        self._results_note = W.HTML()
        return [self._presence, self._summary, self._chart_title, self._results, self._results_note]

    def _language_parts(self) -> list[W.Widget]:
        return super()._language_parts() + [self._record_form]

    def __repr__(self) -> str:
        return f"FacilitatorView(code={self.model.code!r}, allowed={self._control is not None})"

    @guarded
    def show_session(self, code: str, key: str) -> None:
        """Show the session ``code`` if ``key`` is its facilitator key; else a plain refusal."""
        self._body.layout.display = "none"
        try:
            self._control = sessions.FacilitatorControl(self.model.store, code, key)
        except sessions.SessionError:
            self._header.value = f'<div class="cb-bar-title">{t("app.name", self.language)}</div>'
            raise sessions.NotAllowed("not_facilitator") from None
        self.model.code = self._control.code
        self.model.refresh(force=True)
        state = self.model.state
        self._record_form.attach(self.model.store, self.model.casebook, state.code, key, state.case_ids,
                                 state.method)
        self._body.layout.display = None
        self._render()

    # -- handlers (each also starts the page's ticker: the first click does)

    def _act(self, action) -> None:
        self._ticker.start()
        action()
        told = None
        try:  # the group's pages learn of it now, not at the page store's next look
            told = self.model.page_store.look(self.model.code)
        except Exception:  # noqa: BLE001 - they learn of it anyway, a moment later
            log.warning("could not tell the page store of a change in %s", self.model.code, exc_info=True)
        if told is None or not self.model.take(*told):  # what they were told, this change in it
            self.model.refresh(force=True)
        self._render()

    @guarded
    def _on_start_click(self, _button=None) -> None:
        self._act(self._control.start_timer)
        self._buttons["start"].layout.display = "none"

    @guarded
    def _on_next_click(self, _button=None) -> None:
        self._act(self._control.next)

    @guarded
    def _on_back_click(self, _button=None) -> None:
        self._act(self._control.back)

    @guarded
    def _on_reveal_click(self, _button=None) -> None:
        # revealing closes the vote: the next phase of the method is the reveal of this round
        self._act(self._control.next)

    @guarded
    def _on_timer_click(self, _button=None) -> None:
        state = self.model.state
        self._act(self._control.pause_timer if state.running else self._control.start_timer)

    # -- drawing

    def _render(self) -> None:
        state = self.model.state
        lang = self.language
        case = self.model.casebook.get(state.case_id)
        self._render_header(
            f'<div class="cb-bar-meta">{t("method." + state.method, lang)} · '
            f'{t("live.join_code", lang)} <b class="cb-join-code">{state.code}</b></div>'
        )
        self._show_case(case)
        self._status.show(self.model)
        b = self._buttons
        b["start"].description = t("facilitator.start", lang)
        b["back"].description = t("facilitator.back", lang)
        b["next"].description = t("facilitator.next", lang)
        b["reveal"].description = t("facilitator.reveal", lang)
        b["timer"].description = t("facilitator.timer_pause" if state.running else "facilitator.timer_start", lang)
        b["back"].disabled = state.step.index == 0
        b["next"].disabled = state.is_last_step
        voting = state.step.phase.vote_round is not None
        b["reveal"].layout.display = None if voting else "none"
        b["next"].layout.display = "none" if voting else None
        b["timer"].layout.display = None if state.minutes else "none"
        self._presence.value = f'<p class="cb-presence">{t("live.present", lang, present=state.present)}</p>'
        self._chart_title.value = f'<h2>{t("facilitator.live_results", lang)}</h2>'
        shown = self._show_results(FACILITATOR, case, key_visible=True)
        self._results_note.value = (
            "" if any(r is not None for r in shown.values())
            else f'<p class="cb-note">{too_few_note(lang)}</p>'
        )
        join_url = app_url("participant", page_base_url(), code=state.code)
        self._join_info.value = join_box_html(
            state.code, join_url, t("facilitator.links", lang, code=state.code, url=join_url), small=True)
        self._programme.value = self._programme_html(state)
        self._record_form.show(state.is_last_step, state.version)

    def _programme_html(self, state) -> str:
        lang = self.language
        phases = phases_of(state.method)
        rows = []
        for position, case_id in enumerate(state.case_ids):
            title = escape(self.model.casebook.get(case_id).title)
            items = []
            for index, phase in enumerate(phases):
                current = position == state.step.position and index == state.step.phase_index
                done = (position, index) < (state.step.position, state.step.phase_index)
                css = "cb-current" if current else ("cb-done" if done else "")
                minutes = (state.minutes if current else None)
                items.append(f'<li class="{css}">{t("phase." + phase.id, lang)}'
                             f'{f" · {minutes} min" if minutes else ""}</li>')
            rows.append(f'<div class="cb-programme-case"><div class="cb-programme-title">{position + 1}. {title}</div>'
                        f'<ol>{"".join(items)}</ol></div>')
        return f'<h3>{t("facilitator.programme", lang)}</h3>{"".join(rows)}'

    # -- for tests

    def click(self, name: str) -> None:
        self._buttons[name].click()


def facilitator_app(store: Store | None = None, casebook: Casebook | None = None,
                    code: str | None = None, key: str | None = None) -> FacilitatorView:
    follow_from_the_kernel()
    book = casebook if casebook is not None else served_cases()
    # where casebook serve started this kernel, what the page shows comes from the server's page
    # store (computed once for the whole group); the actions go to the store, with the key
    view = FacilitatorView(store or open_store(), book, reads=None if store is not None else server_page_store())
    params = request_params() if code is None else {}
    view.language = page_language()
    view.show_session(code or params.get("code", ""), key if key is not None else page_authority(params))
    return view


def page_authority(params: dict[str, str]) -> str:
    """What grants this page facilitator control: the session's key from the link, or else the
    trainer token when the server verified it for this request (never a header's say-so)."""
    key = params.get("key", "")
    if not key and trainer_verified():
        key = settings().trainer_token
    return key


def session_facilitator_app(plan, store: Store | None = None, casebook: Casebook | None = None):
    """The facilitator's app inside an executed session plan. Served by Voila (a trainer page),
    control comes from the link's ``?key=`` or the trainer token; the plan itself holds no key.
    In JupyterLab, the key is known only where this kernel registered the session."""
    if plan is None:
        return None
    key = page_authority(request_params()) if served_by_voila() else plan.facilitator_key
    return facilitator_app(store, casebook, code=plan.code, key=key)
