"""The browse app: filter the casebook by theme, item, language and sector; read a case."""

from __future__ import annotations

import ipywidgets as W
from traitlets import List, Unicode, observe

from casebook.cases import Case, Casebook
from casebook.catalogue import Catalogue, load_catalogue
from casebook.clearance import served_cases
from casebook.messages import t
from casebook.render import escape
from widgets.case_filter import AppHeader, CaseChooser, FilterBar
from widgets.case_list import CaseList, card_html
from widgets.case_view import CaseView
from widgets.common import ErrorBanner, guarded, mark_language, page_language, stylesheet


class BrowseModel(CaseChooser):
    """Filters, the matching cases and the open one (no widgets)."""

    sectors = List(Unicode())  # the sectors the cases name, to filter on

    def __init__(self, casebook: Casebook, **kwargs):
        super().__init__(casebook, **kwargs)
        self.sectors = sorted({case.sector for case in casebook if case.sector})


class BrowseView(W.VBox):
    """Filters and case cards on the left, the open case on the right."""

    language = Unicode("nl")

    def __init__(self, model: BrowseModel, catalogue: Catalogue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-app")
        self.add_class("cb-browse")
        self.model = model
        self._catalogue = catalogue or load_catalogue()
        self._error = ErrorBanner()
        self._problems = W.HTML()
        self._problems.add_class("cb-load-problems")
        body = W.HBox([self._build_left(), self._build_right()])
        body.add_class("cb-body")
        self.children = [stylesheet(), self._build_header(), self._error, self._problems, body]
        self._connect()
        self._apply_language()
        self._on_matching_change()
        self._on_selected_change()

    def _build_header(self) -> AppHeader:
        self._header = AppHeader(self.model, "app.name", "app.tagline")
        return self._header

    def _build_left(self) -> W.VBox:
        self._filters = FilterBar(self.model.filters, self._catalogue, sectors=self.model.sectors, search=True)
        self._list = CaseList(self.model.casebook, self._card_html, self._on_open_click)
        self._cards = self._list.cards
        left = W.VBox([self._filters, self._list])
        left.add_class("cb-left")
        return left

    def _build_right(self) -> W.VBox:
        self._case_view = CaseView(catalogue=self._catalogue)
        self._placeholder = W.HTML()
        self._placeholder.add_class("cb-placeholder")
        self._show_key = W.ToggleButton(value=False, icon="key")
        self._show_key.add_class("cb-show-key")
        right = W.VBox([self._placeholder, self._case_view, self._show_key])
        right.add_class("cb-right")
        return right

    def _connect(self) -> None:
        W.link((self.model, "language"), (self, "language"))
        W.link((self, "language"), (self._case_view, "language"))
        self._show_key.observe(self._on_show_key_change, "value")
        self.model.observe(self._on_matching_change, "matching")
        self.model.observe(self._on_selected_change, "selected")

    def __repr__(self) -> str:
        # nbval compares this text: keep it deterministic (no model ids)
        return f"BrowseView({len(self._cards)} cases, language={self.language!r})"

    # -- building blocks

    def _card_html(self, case: Case, lang: str) -> str:
        sector = f'<span class="cb-card-sector">{escape(case.sector)}</span>' if case.sector else ""
        return card_html(case, self._catalogue, lang, sector, summary=True)

    # -- language

    @observe("language")
    def _on_language_change(self, change):
        self._apply_language()

    def _apply_language(self) -> None:
        lang = self.language
        mark_language(self, lang)
        self._filters.language = lang
        self._show_key.description = t("view.key", lang)
        self._list.language = lang
        problems = self.model.casebook.problems
        self._problems.value = (
            f'<div class="cb-warning">{t("browse.load_problems", lang, count=len({p.file for p in problems}))}</div>'
            if problems else ""
        )
        self._on_matching_change()
        self._on_selected_change()

    # -- handlers

    @guarded
    def _on_open_click(self, case_id: str) -> None:
        self.model.selected = case_id

    @guarded
    def _on_matching_change(self, change=None) -> None:
        self._list.show_only(self.model.matching)
        self._filters.show_count(len(self.model.matching), len(self._cards))

    @guarded
    def _on_selected_change(self, change=None) -> None:
        selected = self.model.selected
        self._list.selected = selected
        case = self.model.casebook.cases.get(selected)
        self._case_view.show_case(case)
        self._show_key.layout.display = None if case else "none"
        self._placeholder.value = "" if case else f'<div class="cb-choose">{t("browse.choose", self.language)}</div>'

    @guarded
    def _on_show_key_change(self, change) -> None:
        self._case_view.show_key = change["new"]
        self._case_view.show_what_happened = change["new"]
        self._case_view.show_turn_items = change["new"]


def browse_app(casebook: Casebook | None = None, language: str | None = None) -> BrowseView:
    """The browse app as the notebook shows it: all cases, the page's language."""
    book = casebook if casebook is not None else served_cases()
    view = BrowseView(BrowseModel(book))
    view.model.language = language or page_language()  # after the request, in a preheated kernel
    return view
