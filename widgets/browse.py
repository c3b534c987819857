"""The browse app: filter the casebook by theme, item, language and sector; read a case."""

from __future__ import annotations

import ipywidgets as W
from traitlets import HasTraits, List, Unicode, observe

from casebook.cases import Case, Casebook
from casebook.catalogue import Catalogue, load_catalogue
from casebook.clearance import served_cases
from casebook.messages import t
from casebook.render import escape
from widgets.case_list import CaseList, card_html, filter_dropdown, label_filters, set_options
from widgets.case_view import CaseView
from widgets.common import ErrorBanner, guarded, page_language, stylesheet


class BrowseModel(HasTraits):
    """Filter state and the ids of the cases that match it (no widgets)."""

    language = Unicode("nl")
    theme = Unicode("")
    item = Unicode("")
    case_language = Unicode("")
    sector = Unicode("")
    search = Unicode("")
    selected = Unicode("")
    matching = List(Unicode())

    def __init__(self, casebook: Casebook, **kwargs):
        super().__init__(**kwargs)
        self.casebook = casebook
        self._update_matching()

    @property
    def sectors(self) -> list[str]:
        return sorted({c.sector for c in self.casebook if c.sector})

    def matches(self, case: Case) -> bool:
        words = self.search.lower().split()
        haystack = f"{case.title} {case.summary} {case.body}".lower()
        return (
            (not self.theme or self.theme in case.themes)
            and (not self.item or case.mentions_item(self.item))
            and (not self.case_language or case.language == self.case_language)
            and (not self.sector or case.sector == self.sector)
            and all(word in haystack for word in words)
        )

    @observe("theme", "item", "case_language", "sector", "search")
    def _on_filter_change(self, change):
        self._update_matching()

    def _update_matching(self) -> None:
        self.matching = [case.id for case in self.casebook if self.matches(case)]


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
        self._title = W.HTML()
        self._language = W.ToggleButtons(options=[("NL", "nl"), ("EN", "en")], value=model.language)
        self._language.add_class("cb-language")
        self._theme = filter_dropdown("cb-filter-theme")
        self._item = filter_dropdown("cb-filter-item")
        self._case_language = filter_dropdown("cb-filter-language")
        self._sector = filter_dropdown("cb-filter-sector")
        self._search = W.Text(continuous_update=False, style={"description_width": "130px"})
        self._search.add_class("cb-filter-search")
        self._count = W.HTML()
        self._count.add_class("cb-count")
        self._list = CaseList(model.casebook, self._card_html, self._on_open_click)
        self._cards = self._list.cards
        self._case_view = CaseView(catalogue=self._catalogue)
        self._placeholder = W.HTML()
        self._placeholder.add_class("cb-placeholder")
        self._show_key = W.ToggleButton(value=False, icon="key")
        self._show_key.add_class("cb-show-key")
        self._problems = W.HTML()
        self._problems.add_class("cb-load-problems")
        filters = W.VBox(
            [self._theme, self._item, self._case_language, self._sector, self._search, self._count]
        )
        filters.add_class("cb-filters")
        left = W.VBox([filters, self._list])
        left.add_class("cb-left")
        right = W.VBox([self._placeholder, self._case_view, self._show_key])
        right.add_class("cb-right")
        header = W.HBox([self._title, self._language])
        header.add_class("cb-header")
        body = W.HBox([left, right])
        body.add_class("cb-body")
        self.children = [stylesheet(), header, self._error, self._problems, body]

        for control, name in (
            (self._theme, "theme"), (self._item, "item"), (self._case_language, "case_language"),
            (self._sector, "sector"), (self._search, "search"),
        ):
            W.link((control, "value"), (model, name))
        W.link((self._language, "value"), (model, "language"))
        W.link((model, "language"), (self, "language"))
        W.link((self, "language"), (self._case_view, "language"))
        self._show_key.observe(self._on_show_key_change, "value")
        model.observe(self._on_matching_change, "matching")
        model.observe(self._on_selected_change, "selected")
        self._apply_language()
        self._on_matching_change()
        self._on_selected_change()

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
        lang, cat, model = self.language, self._catalogue, self.model
        everything = (t("browse.all", lang), "")
        self._title.value = (
            f'<div class="cb-app-title">{t("app.name", lang)}</div>'
            f'<div class="cb-app-tagline">{t("app.tagline", lang)}</div>'
        )
        label_filters(lang, cat, self._theme, self._item, self._case_language)
        set_options(self._sector, t("browse.sector", lang), [everything] + [(s, s) for s in model.sectors])
        self._search.description = t("browse.search", lang)
        self._search.placeholder = t("browse.search_placeholder", lang)
        self._show_key.description = t("view.key", lang)
        self._list.language = lang
        problems = model.casebook.problems
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
        shown = set(self.model.matching)
        self._list.show_only(shown)
        lang = self.language
        text = t("browse.count", lang, shown=len(shown), total=len(self._cards))
        if not shown:
            text += f'<div class="cb-empty">{t("browse.none", lang)}</div>'
        self._count.value = text

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
