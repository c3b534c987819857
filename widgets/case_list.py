"""The shared list of case cards (browse and solo review): a card per case with an open button,
only the matching ones shown, the open one marked."""

from __future__ import annotations

from typing import Callable

import ipywidgets as W
from traitlets import Unicode, observe

from casebook.cases import Case, Casebook
from casebook.messages import t
from casebook.render import escape
from widgets.common import theme_chip


def card_html(case: Case, catalogue, language: str, extra: str = "", summary: bool = False) -> str:
    """A card's text: title, theme chips, the case's language and ``extra`` flags, the summary."""
    chips = " ".join(theme_chip(catalogue, theme, language) for theme in case.themes)
    flags = f'<span class="cb-card-lang">{case.language.upper()}</span>{" " + extra if extra else ""}'
    text = f'<div class="cb-card-title">{escape(case.title)}</div><div class="cb-card-meta">{chips} {flags}</div>'
    if summary:
        text += f'<div class="cb-card-summary">{escape(case.summary)}</div>'
    return text


class CaseList(W.VBox):
    """``card_html(case, language)`` draws a card's text; ``on_open(case_id)`` is called on a click."""

    language = Unicode("nl")
    selected = Unicode("")

    def __init__(self, casebook: Casebook, card_html: Callable[[Case, str], str],
                 on_open: Callable[[str], None], open_label: str = "browse.open", **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-case-list")
        self._casebook = casebook
        self._card_html = card_html
        self._on_open = on_open
        self._open_label = open_label  # message key of the button's text
        self.cards: dict[str, W.VBox] = {case.id: self._card(case) for case in casebook}
        self.children = list(self.cards.values())
        self.redraw()

    def _card(self, case: Case) -> W.VBox:
        button = W.Button()
        button.add_class("cb-open")
        button.add_class(f"cb-open-{case.id}")
        button.on_click(lambda _button, case_id=case.id: self._on_open(case_id))
        card = W.VBox([W.HTML(), button])
        card.add_class("cb-case-card")
        card.add_class(f"cb-card-{case.id}")
        return card

    def redraw(self, case_ids=None) -> None:
        """Draw the cards' text again (all, or ``case_ids``), e.g. after a language change."""
        for case_id in case_ids or self.cards:
            card = self.cards[case_id]
            card.children[0].value = self._card_html(self._casebook.get(case_id), self.language)
            card.children[1].description = t(self._open_label, self.language)

    def show_only(self, case_ids) -> None:
        shown = set(case_ids)
        for case_id, card in self.cards.items():
            card.layout.display = None if case_id in shown else "none"

    @observe("language")
    def _on_language_change(self, change) -> None:
        self.redraw()

    @observe("selected")
    def _on_selected_change(self, change) -> None:
        for case_id, card in self.cards.items():
            if case_id == change["new"]:
                card.add_class("cb-selected")
            else:
                card.remove_class("cb-selected")
