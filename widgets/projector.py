"""The projector: join code and QR code, phase and timer, the count, results once revealed.

It only reads, so where ``casebook serve`` started its kernel it asks the server's page store, as
a participant's page does (``casebook.page_store``): no database library in its kernel, and its
session's answers computed once for the projector and the participants together."""

from __future__ import annotations

import ipywidgets as W

from casebook.cases import Casebook
from casebook.catalogue import Catalogue
from casebook.clearance import served_cases
from casebook.links import app_url
from widgets.request import page_base_url
from casebook.messages import t
from casebook.phases import PROJECTOR, may_see_key
from casebook.render import escape
from casebook.exceptions import UnknownSession
from casebook.page_store import PageStore, open_page_store
from casebook.session_state import normalise_code
from widgets.common import guarded, page_language, request_params
from widgets.live import LiveView, follow_from_the_kernel, join_box_html


class ProjectorView(LiveView):
    css_class = "cb-projector"

    def __init__(self, store, casebook: Casebook, code: str = "", language: str = "nl",
                 catalogue: Catalogue | None = None, **kwargs):
        super().__init__(store, casebook, language, catalogue, **kwargs)
        if code:
            self.show_session(code)

    def _build_body(self) -> list[W.Widget]:
        self._join = W.HTML()
        self._join.add_class("cb-projector-join")
        self._start = W.Button(button_style="primary")
        self._start.add_class("cb-start")
        self._start.on_click(self._on_start_click)
        side = W.VBox([self._join, self._start])
        side.add_class("cb-side")
        main = W.VBox([self._status, self._summary, self._results, self._case_view])
        main.add_class("cb-main")
        self._body = W.HBox([main, side])
        self._body.add_class("cb-body")
        self._body.layout.display = "none"
        return [self._body]

    def __repr__(self) -> str:
        return f"ProjectorView(code={self.model.code!r})"

    @guarded
    def show_session(self, code: str) -> None:
        """Follow session ``code``; a plain message when there is none."""
        self._body.layout.display = "none"
        if not code or not self.model.page_store.session_exists(code):
            raise UnknownSession(code or "—")
        self.model.code = normalise_code(code)
        self.model.refresh(force=True)
        self._body.layout.display = None
        self._render()

    @guarded
    def _on_start_click(self, _button=None) -> None:
        self._ticker.start()
        self._start.layout.display = "none"

    def _render(self) -> None:
        state = self.model.state
        lang = self.language
        case = self.model.casebook.get(state.case_id)
        join_url = app_url("participant", page_base_url(), code=state.code)
        self._render_header(f'<div class="cb-bar-meta">{escape(t("live.join_at", lang, url=join_url))}</div>')
        self._join.value = join_box_html(state.code, join_url, join_url, label=t("live.join_code", lang))
        self._start.description = t("projector.start", lang)
        key_visible = may_see_key(PROJECTOR, state.method, state.step, state.reveal_key)
        self._show_case(case, key_visible)
        self._status.show(self.model)
        self._show_results(PROJECTOR, case, key_visible)


def projector_app(store: PageStore | None = None, casebook: Casebook | None = None) -> ProjectorView:
    """``store``: a ``casebook.store.Store`` or a page store; by default the server's page store
    (or, outside ``casebook serve``, the store itself)."""
    follow_from_the_kernel()
    book = casebook if casebook is not None else served_cases()
    view = ProjectorView(store if store is not None else open_page_store(), book)
    params = request_params()
    view.language = page_language()
    view.show_session(params.get("code", ""))
    return view
