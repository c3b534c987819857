"""Choosing cases from the casebook (browse and solo review): the filter model, the model of a
page that lists matching cases and opens one, the filter bar above the list and the page's header."""

from __future__ import annotations

from typing import Iterable

import ipywidgets as W
from traitlets import All, Bool, HasTraits, Instance, List, Unicode, observe

from casebook.cases import Case, Casebook
from casebook.catalogue import Catalogue
from casebook.messages import t


class CaseFilter(HasTraits):
    """The filter values (empty: no filter) and which cases they let through (no widgets)."""

    theme = Unicode("")
    situation = Unicode("")  # a catalogue situation among the case's tags
    item = Unicode("")
    case_language = Unicode("")
    sector = Unicode("")
    search = Unicode("")  # words that must all occur in the title, summary or text
    weak_only = Bool(False)
    weak_items = List(Unicode())  # the reviewer's weak items, for ``weak_only``

    def matches(self, case: Case) -> bool:
        words = self.search.lower().split()
        haystack = f"{case.title} {case.summary} {case.body}".lower() if words else ""
        return (
            (not self.theme or self.theme in case.themes)
            and (not self.situation or self.situation in case.tags)
            and (not self.item or case.mentions_item(self.item))
            and (not self.case_language or case.language == self.case_language)
            and (not self.sector or case.sector == self.sector)
            and (not self.weak_only or bool(set(self.weak_items) & set(case.key_items)))
            and all(word in haystack for word in words)
        )

    def apply(self, cases: Iterable[Case]) -> list[str]:
        """The ids of ``cases`` that match, in their order."""
        return [case.id for case in cases if self.matches(case)]


class CaseChooser(HasTraits):
    """A casebook, its filter, the ids of the cases that match it, and the one open."""

    language = Unicode("nl")
    selected = Unicode("")
    matching = List(Unicode())
    casebook = Instance(Casebook)
    filters = Instance(CaseFilter)

    def __init__(self, casebook: Casebook, **kwargs):
        super().__init__(casebook=casebook, filters=CaseFilter(), **kwargs)
        self.filters.observe(self._on_filters_change, All)
        self.update_matching()

    def _on_filters_change(self, change) -> None:
        self.update_matching()

    def update_matching(self) -> None:
        self.matching = self.filters.apply(self.casebook)


def filter_dropdown(css_class: str, description_width: str) -> W.Dropdown:
    dropdown = W.Dropdown(options=[("", "")], value="", style={"description_width": description_width})
    dropdown.add_class(css_class)
    return dropdown


def set_options(dropdown: W.Dropdown, description: str, options: list[tuple[str, str]]) -> None:
    """New options (e.g. in another language), keeping the chosen value where it still exists."""
    value = dropdown.value
    dropdown.options = options
    dropdown.value = value if value in [v for _, v in options] else ""
    dropdown.description = description


class FilterBar(W.VBox):
    """The controls of a ``CaseFilter`` (theme, situation, do-or-don't, case language; sector, search and
    'my weak items' where asked for) and the count of cases shown."""

    language = Unicode("nl")

    def __init__(self, filters: CaseFilter, catalogue: Catalogue, sectors: list[str] | None = None,
                 search: bool = False, weak_only: bool = False, description_width: str = "130px", **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-filters")
        self._catalogue = catalogue
        self._sectors = sectors
        self.theme = filter_dropdown("cb-filter-theme", description_width)
        self.situation = filter_dropdown("cb-filter-situation", description_width) if catalogue.situations else None
        self.item = filter_dropdown("cb-filter-item", description_width)
        self.case_language = filter_dropdown("cb-filter-language", description_width)
        self.sector = filter_dropdown("cb-filter-sector", description_width) if sectors is not None else None
        self.search = None
        if search:
            self.search = W.Text(continuous_update=False, style={"description_width": description_width})
            self.search.add_class("cb-filter-search")
        self.weak_only = None
        if weak_only:
            self.weak_only = W.Checkbox(value=False, indent=False)
            self.weak_only.add_class("cb-filter-weak")
        self.count = W.HTML()
        self.count.add_class("cb-count")
        controls = {"theme": self.theme, "situation": self.situation, "item": self.item,
                    "case_language": self.case_language,
                    "sector": self.sector, "search": self.search, "weak_only": self.weak_only}
        controls = {name: control for name, control in controls.items() if control is not None}
        for name, control in controls.items():
            W.link((control, "value"), (filters, name))
        self.children = [*controls.values(), self.count]
        self._apply_language()

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._apply_language()

    def _apply_language(self) -> None:
        lang, catalogue = self.language, self._catalogue
        everything = (t("browse.all", lang), "")
        set_options(self.theme, t("browse.theme", lang),
                    [everything] + [(theme.label_in(lang), theme.id) for theme in catalogue.themes])
        if self.situation is not None:
            set_options(self.situation, t("browse.situation", lang),
                        [everything] + [(s.label_in(lang), s.id) for s in catalogue.situations])
        set_options(self.item, t("browse.item", lang), [everything] + [
            (f"{t('catalogue.' + item.kind, lang)}: {item.label_in(lang)}", item.id) for item in catalogue.items])
        set_options(self.case_language, t("browse.language", lang),
                    [everything] + [(t(f"case_language.{code}", lang), code) for code in ("nl", "en")])
        if self.sector is not None:
            set_options(self.sector, t("browse.sector", lang), [everything] + [(s, s) for s in self._sectors])
        if self.search is not None:
            self.search.description = t("browse.search", lang)
            self.search.placeholder = t("browse.search_placeholder", lang)
        if self.weak_only is not None:
            self.weak_only.description = t("solo.filter.weak", lang)

    def show_count(self, shown: int, total: int, empty_message: str = "browse.none") -> None:
        """'``shown`` of ``total``', and ``empty_message`` (a message key) when none is shown."""
        text = t("browse.count", self.language, shown=shown, total=total)
        if not shown:
            text += f'<div class="cb-empty">{t(empty_message, self.language)}</div>'
        self.count.value = text


class AppHeader(W.HBox):
    """The page's title and tagline (message keys) and the NL/EN switch of ``model.language``."""

    language = Unicode("nl")

    def __init__(self, model: CaseChooser, title: str, tagline: str, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-header")
        self._title_key, self._tagline_key = title, tagline
        self.title = W.HTML()
        self.switch = W.ToggleButtons(options=[("NL", "nl"), ("EN", "en")], value=model.language)
        self.switch.add_class("cb-language")
        W.link((self.switch, "value"), (model, "language"))
        W.dlink((model, "language"), (self, "language"))
        self.children = [self.title, self.switch]
        self._apply_language()

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._apply_language()

    def _apply_language(self) -> None:
        self.title.value = (
            f'<div class="cb-app-title">{t(self._title_key, self.language)}</div>'
            f'<div class="cb-app-tagline">{t(self._tagline_key, self.language)}</div>'
        )
