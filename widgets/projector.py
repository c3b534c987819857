"""The projector: join code and QR code, phase and timer, the count, results once revealed."""

from __future__ import annotations

import ipywidgets as W
from traitlets import Unicode, observe

from casebook import sessions
from casebook.cases import Casebook
from casebook.catalogue import Catalogue, load_catalogue
from casebook.clearance import served_cases
from casebook.links import app_url, qr_svg
from casebook.messages import t
from casebook.phases import PROJECTOR, may_see_key
from casebook.render import escape
from casebook.store import Store, open_store
from widgets.case_view import CaseView
from widgets.common import ErrorBanner, guarded, page_language, request_params, stylesheet
from widgets.live import LiveSessionModel, StatusLine
from widgets.results_chart import ResultsChart
from widgets.ticker import PageTicker


class ProjectorView(W.VBox):
    language = Unicode("nl")

    def __init__(self, store: Store, casebook: Casebook, code: str = "", language: str = "nl",
                 catalogue: Catalogue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-app")
        self.add_class("cb-projector")
        self.model = LiveSessionModel(store, casebook)
        self._catalogue = catalogue or load_catalogue()
        self._error = ErrorBanner()
        self._ticker = PageTicker()
        self._ticker.on_tick(self._on_tick)
        self._start = W.Button(button_style="primary")
        self._start.add_class("cb-start")
        self._start.on_click(self._on_start_click)
        self._header = W.HTML()
        self._header.add_class("cb-header-bar")
        self._join = W.HTML()
        self._join.add_class("cb-projector-join")
        self._status = StatusLine()
        self._results = ResultsChart(self._catalogue)
        self._case_view = CaseView(catalogue=self._catalogue)
        side = W.VBox([self._join, self._start])
        side.add_class("cb-side")
        main = W.VBox([self._status, self._results, self._case_view])
        main.add_class("cb-main")
        self._body = W.HBox([main, side])
        self._body.add_class("cb-body")
        self.children = [stylesheet(), self._ticker, self._header, self._error, self._body]
        for part in (self._status, self._case_view, self._results):
            W.dlink((self, "language"), (part, "language"))
        self.language = language
        self._body.layout.display = "none"
        if code:
            self.show_session(code)

    def __repr__(self) -> str:
        return f"ProjectorView(code={self.model.code!r})"

    @guarded
    def show_session(self, code: str) -> None:
        """Follow session ``code``; a plain message when there is none."""
        self._body.layout.display = "none"
        if not code or not sessions.session_exists(self.model.store, code):
            raise sessions.UnknownSession(code or "—")
        self.model.code = sessions.normalise_code(code)
        self.model.refresh(force=True)
        self._body.layout.display = None
        self._render()

    @observe("language")
    def _on_language_change(self, change):
        if self.model.state is not None:
            self._render()

    @guarded
    def _on_start_click(self, _button=None) -> None:
        self._ticker.start()
        self._start.layout.display = "none"

    @guarded
    def _on_tick(self) -> None:
        if self.model.refresh():
            self._render()
        else:
            self._status.show(self.model)

    def _render(self) -> None:
        state = self.model.state
        lang = self.language
        case = self.model.casebook.get(state.case_id)
        join_url = app_url("participant", code=state.code)
        self._header.value = (
            f'<div class="cb-bar-title">{escape(state.title) or t("app.name", lang)}</div>'
            f'<div class="cb-bar-meta">{escape(t("live.join_at", lang, url=join_url))}</div>'
        )
        self._join.value = (
            f'<div class="cb-join-box"><div class="cb-join-label">{t("live.join_code", lang)}</div>'
            f'<div class="cb-join-code-big cb-join-code">{state.code}</div>'
            f'<div class="cb-qr">{qr_svg(join_url)}</div>'
            f'<p class="cb-join-url">{escape(join_url)}</p></div>'
        )
        self._start.description = t("projector.start", lang)
        if self._case_view.case is not case:
            self._case_view.show_case(case)
        key_visible = may_see_key(PROJECTOR, state.method, state.step, state.reveal_key)
        self._case_view.show_key = key_visible
        self._case_view.show_what_happened = key_visible
        self._status.show(self.model)
        self._results.show(self.model.round_results(PROJECTOR), case.key if key_visible else ())

    def tick(self) -> None:
        self._on_tick()


def projector_app(store: Store | None = None, casebook: Casebook | None = None) -> ProjectorView:
    book = casebook if casebook is not None else served_cases()
    view = ProjectorView(store or open_store(), book)
    params = request_params()
    view.language = page_language()
    view.show_session(params.get("code", ""))
    return view
