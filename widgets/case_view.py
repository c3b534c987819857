"""The shared case view: vignette, dialogue, questions and (when allowed) the key."""

from __future__ import annotations

import ipywidgets as W
from traitlets import Bool, Instance, Unicode, observe

from casebook.cases import Case
from casebook.catalogue import Catalogue, load_catalogue
from casebook.messages import t
from casebook.render import (central_mark_html, contested_html, escape, how_mark_html, legal_status_html,
                             markdown_to_html)
from widgets.common import item_chip, theme_chip


def case_header_html(case: Case, catalogue: Catalogue, language: str) -> str:
    chips = " ".join(theme_chip(catalogue, theme, language) for theme in case.themes)
    meta = [t(f"case_language.{case.language}", language)]
    if case.sector:
        meta.append(t("view.sector", language, sector=escape(case.sector)))
    summary = f'<p class="cb-summary">{escape(case.summary)}</p>' if case.summary else ""
    return (
        f'<h1 class="cb-case-title">{escape(case.title)}</h1>'
        f'<div class="cb-meta">{chips} <span class="cb-meta-text">{" · ".join(meta)}</span></div>'
        f"{summary}"
    )


def dialogue_html(case: Case, catalogue: Catalogue, language: str, show_items: bool) -> str:
    turns = []
    for turn in case.dialogue:
        chips = ""
        if show_items and turn.items:
            chips = '<div class="cb-turn-items">' + " ".join(
                item_chip(catalogue, i, language) for i in turn.items
            ) + "</div>"
        turns.append(
            f'<div class="cb-turn cb-turn-{turn.speaker}">'
            f'<div class="cb-speaker">{t(f"speaker.{turn.speaker}", language)}</div>'
            f'<div class="cb-bubble">{escape(turn.text)}</div>{chips}</div>'
        )
    return f'<h2>{t("view.dialogue", language)}</h2><div class="cb-dialogue">{"".join(turns)}</div>'


def key_html(case: Case, catalogue: Catalogue, language: str) -> str:
    """The key, central items first, each marked with how the VP did (where the case says),
    then the legal frame the case names."""
    rows = []
    for entry in case.key_central_first():
        item = catalogue.item(entry.item)
        classes = f"cb-key-item cb-key-{item.kind}" + (f" cb-how-{entry.how}" if entry.how else "")
        classes += " cb-central" if entry.central else ""
        rows.append(
            f'<div class="{classes}" data-item="{entry.item}">'
            f'<div class="cb-key-head">{item_chip(catalogue, entry.item, language)}'
            f"{central_mark_html(entry.central, language)}{how_mark_html(entry.how, language)}</div>"
            f'<p class="cb-why">{escape(entry.why)}</p>{contested_html(entry.contested, language)}'
            f'<details><summary>{t("view.explanation", language)}</summary>'
            f"<p>{escape(item.explanation_in(language))}</p></details></div>"
        )
    context = (f'<h3>{t("view.context", language)}</h3><p class="cb-context">{escape(case.context)}</p>'
               if case.context else "")
    return (f'<h2>{t("view.key", language)}</h2><div class="cb-key">{"".join(rows)}</div>{context}'
            f"{legal_status_html(catalogue, language)}")


class CaseView(W.VBox):
    """One case, read-only. What it reveals is decided by its traits, set by the caller."""

    language = Unicode("nl")
    show_key = Bool(False)
    show_what_happened = Bool(False)
    show_turn_items = Bool(False)
    show_questions = Bool(True)  # solo review shows them only with the feedback
    case = Instance(Case, allow_none=True)

    def __init__(self, case: Case | None = None, catalogue: Catalogue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-case-view")
        self._catalogue = catalogue or load_catalogue()
        self._header = W.HTML()
        self._vignette = W.HTML()
        self._vignette.add_class("cb-vignette")
        self._dialogue = W.HTML()
        self._questions = W.HTML()
        self._key = W.HTML()
        self._key.add_class("cb-key-section")
        self._what_happened = W.HTML()
        self.children = [self._header, self._vignette, self._dialogue, self._questions, self._key, self._what_happened]
        self.case = case
        self._render()

    def show_case(self, case: Case | None) -> None:
        self.case = case

    @observe("case", "language", "show_key", "show_what_happened", "show_turn_items", "show_questions")
    def _on_setting_change(self, change):
        self._render()

    def _render(self) -> None:
        if not hasattr(self, "_what_happened"):  # traits set while the constructor runs
            return
        case, lang, cat = self.case, self.language, self._catalogue
        if case is None:
            for part in self.children:
                part.value = ""
            return
        self._header.value = case_header_html(case, cat, lang)
        self._vignette.value = markdown_to_html(case.body)
        self._dialogue.value = dialogue_html(case, cat, lang, self.show_turn_items) if case.dialogue else ""
        self._questions.value = (
            f'<h2>{t("view.questions", lang)}</h2><ul class="cb-questions">'
            + "".join(f"<li>{escape(q)}</li>" for q in case.questions)
            + "</ul>"
            if case.questions and self.show_questions
            else ""
        )
        self._key.value = key_html(case, cat, lang) if self.show_key else ""
        self._what_happened.value = (
            f'<h2>{t("view.what_happened", lang)}</h2><p class="cb-what-happened">{escape(case.what_happened)}</p>'
            if self.show_what_happened and case.what_happened
            else ""
        )
