"""The solo review app: choose a case, tick the do's and don'ts, tag the VP's turns, get the
trainer's reasons, and follow one's own progress (strong and weak items, the next case)."""

from __future__ import annotations

import logging

import ipywidgets as W
from traitlets import Bool, Dict, Instance, Int, List, Unicode, observe

from casebook import progress as solo_progress
from casebook.cases import Case, Casebook
from casebook.catalogue import Catalogue, load_catalogue
from casebook.clearance import served_cases
from casebook.messages import t
from casebook.render import escape
from casebook.solo import Feedback, score_answer, vp_turns
from casebook.store import Store, open_store
from widgets.case_filter import AppHeader, CaseChooser, FilterBar
from widgets.case_list import CaseList, card_html
from widgets.case_view import CaseView
from widgets.common import ErrorBanner, download_link, guarded, mark_language, page_language, request_params, stylesheet
from widgets.item_picker import ItemPicker
from widgets.request import browser_id, served_by_voila
from widgets.solo_html import (
    feedback_html, history_html, next_case_html, progress_chart_html, progress_summary_html, weak_html,
)

log = logging.getLogger("casebook")

PRACTISE, PROGRESS = "practise", "progress"


class SoloModel(CaseChooser):
    """Filters, the open case and the reviewer's progress (no widgets)."""

    progress = Instance(solo_progress.Progress, allow_none=True)
    store = Instance(Store)
    catalogue = Instance(Catalogue)

    def __init__(self, casebook: Casebook, store: Store, catalogue: Catalogue | None = None,
                 browser: str = "", **kwargs):
        """``browser``: the browser id the server gave this page ("" on one's own machine). Only
        the profile derived from it is kept, in Python, never in widget state: what the page
        reads, exports and deletes is decided here, never by anything the browser sends."""
        super().__init__(casebook, store=store, catalogue=catalogue or load_catalogue(), **kwargs)
        self._browser_profile = solo_progress.browser_profile(browser) if browser else None
        self.refresh_progress()

    # -- the profile: the browser's, or read from profile.json every time, so a profile deleted
    #    in another tab is never written to again

    @property
    def per_browser(self) -> bool:
        return self._browser_profile is not None

    def profile(self, create: bool = False) -> str | None:
        if self._browser_profile is not None:
            return self._browser_profile
        return solo_progress.local_profile(create=create)

    def refresh_progress(self) -> None:
        profile = self.profile()
        if profile is None:
            self.progress = solo_progress.Progress("", (), {
                item: solo_progress.ItemStats(item) for item in self.catalogue.item_ids})
        else:
            self.progress = solo_progress.progress(self.store, profile, self.catalogue)

    @observe("progress")
    def _on_progress_change(self, change) -> None:
        self.filters.weak_items = list(change["new"].weak_items) if change["new"] else []

    # -- choosing cases

    def next_case(self) -> solo_progress.NextCase | None:
        exclude = (self.selected,) if self.selected else ()
        return solo_progress.next_case(self.progress, self.casebook, exclude=exclude, language=self.language)

    # -- answering

    def check(self, ticked: list[str], turn_tags: dict[int, list[str]]) -> Feedback:
        """Score the answer against the open case, keep it under the profile, update progress."""
        case = self.casebook.get(self.selected)
        feedback = score_answer(case, ticked, turn_tags, self.catalogue)
        solo_progress.record_answer(self.store, self.profile(create=True), feedback)
        self.refresh_progress()
        return feedback

    # -- export and delete

    def export(self) -> tuple[str, str]:
        """The export as (file name, JSON text), for the browser to download; ("", "") when
        there is nothing to export. Nothing is written on the server."""
        profile = self.profile()
        if profile is None or not solo_progress.answers(self.store, profile):
            return "", ""
        return solo_progress.export_name(), solo_progress.export_json(self.store, profile)

    def delete(self) -> int:
        profile = self.profile()
        removed = (solo_progress.delete_profile(self.store, profile, forget_file=not self.per_browser)
                   if profile else 0)
        self.refresh_progress()
        return removed


class TurnTagger(W.VBox):
    """Optional: per VP turn, which of the ticked items it shows. ``value`` maps a turn's
    index in the dialogue to the items tagged, in catalogue order."""

    language = Unicode("nl")
    disabled = Bool(False)
    choices = List(Unicode())  # the items the reviewer ticked, in catalogue order
    case = Instance(Case, allow_none=True)
    value = Dict(key_trait=Int(), value_trait=List(Unicode()))

    def __init__(self, catalogue: Catalogue, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-turn-tagger")
        self._catalogue = catalogue
        self._intro = W.HTML()
        self._rows: dict[int, tuple[W.HTML, W.HBox]] = {}
        self._toggles: dict[tuple[int, str], W.ToggleButton] = {}
        self.children = [self._intro]

    def show_case(self, case: Case | None) -> None:
        self.case = case
        self.value = {}
        self._toggles = {}
        self._rows = {}
        turns = vp_turns(case) if case else []
        rows = []
        for index, _turn in turns:
            text = W.HTML()
            text.add_class("cb-tag-turn-text")
            chips = W.HBox()
            chips.add_class("cb-tag-toggles")
            row = W.VBox([text, chips])
            row.add_class("cb-tag-turn")
            row.add_class(f"cb-tag-turn-{index}")
            self._rows[index] = (text, chips)
            rows.append(row)
        self.children = [self._intro] + rows
        self.layout.display = None if turns else "none"
        self._render()

    def tag(self, index: int, item: str) -> W.ToggleButton:
        """The toggle of ``item`` on turn ``index`` (for tests: what the reviewer clicks)."""
        return self._toggles[(index, item)]

    @observe("choices", "language")
    def _on_choices_change(self, change):
        # an item no longer ticked cannot stay tagged
        self._set_tags({index: [i for i in items if i in self.choices] for index, items in self.value.items()})
        self._render()

    @observe("disabled")
    def _on_disabled_change(self, change):
        for toggle in self._toggles.values():
            toggle.disabled = change["new"]

    def _set_tags(self, tags: dict[int, list[str]]) -> None:
        order = {item: n for n, item in enumerate(self._catalogue.item_ids)}
        self.value = {index: sorted(set(items), key=order.__getitem__) for index, items in tags.items() if items}

    def _render(self) -> None:
        lang = self.language
        hint = t("solo.tag.intro", lang) if self.choices else t("solo.tag.tick_first", lang)
        self._intro.value = (f'<h3 class="cb-tag-heading">{t("solo.tag.heading", lang)}</h3>'
                             f'<p class="cb-hint">{hint}</p>')
        if self.case is None:
            return
        for number, (index, turn) in enumerate(vp_turns(self.case), start=1):
            text, chips = self._rows[index]
            text.value = (f'<span class="cb-tag-turn-number">{t("solo.turns.turn", lang, number=number)}</span> '
                          f'<span class="cb-tag-turn-quote">{escape(turn.text)}</span>')
            chips.children = [self._toggle(index, item) for item in self.choices]

    def _toggle(self, index: int, item: str) -> W.ToggleButton:
        """The toggle of ``item`` on turn ``index``, made on first use, labelled and set."""
        toggle = self._toggles.get((index, item))
        if toggle is None:
            toggle = W.ToggleButton(value=False, layout=W.Layout(width="auto"))
            toggle.add_class("cb-tag")
            toggle.add_class(f"cb-tag-{index}-{item}")
            toggle.add_class(f"cb-item-kind-{self._catalogue.item(item).kind}")
            toggle.observe(lambda change, i=index, it=item: self._on_tag_change(i, it, change), "value")
            self._toggles[(index, item)] = toggle
        toggle.description = self._catalogue.item(item).label_in(self.language)
        toggle.value = item in self.value.get(index, [])
        toggle.disabled = self.disabled
        return toggle

    def _on_tag_change(self, index: int, item: str, change) -> None:
        tags = {i: list(items) for i, items in self.value.items()}
        tagged = set(tags.get(index, []))
        tagged = tagged | {item} if change["new"] else tagged - {item}
        tags[index] = list(tagged)
        self._set_tags(tags)


class SoloView(W.VBox):
    """Practise (choose, read, tick, check, feedback) and progress, in one page."""

    language = Unicode("nl")
    _feedback_shown = Instance(Feedback, allow_none=True)  # the open case's, once checked
    _confirming_delete = Bool(False)

    def __init__(self, model: SoloModel, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-app")
        self.add_class("cb-solo")
        self.model = model
        self._catalogue = model.catalogue
        self._error = ErrorBanner()
        self.children = [stylesheet(), self._build_header(), self._build_sections(), self._error,
                         self._build_practise_panel(), self._build_progress_panel()]
        self._connect()
        self._apply_language()
        self._show_case(None)
        self._on_section_change()

    # -- building the page

    def _build_header(self) -> AppHeader:
        self._header = AppHeader(self.model, "solo.title", "solo.tagline")
        return self._header

    def _build_sections(self) -> W.ToggleButtons:
        self._sections = W.ToggleButtons(options=[("", PRACTISE), ("", PROGRESS)], value=PRACTISE)
        self._sections.add_class("cb-solo-sections")
        return self._sections

    def _build_practise_panel(self) -> W.HBox:
        """Choose a case on the left; read, answer and get feedback on the right."""
        self._filters = FilterBar(self.model.filters, self._catalogue, weak_only=True, description_width="110px")
        self._list = CaseList(self.model.casebook, self._card_html, self._on_open_click, open_label="solo.open")
        self._cards = self._list.cards
        left = W.VBox([self._filters, self._list])
        left.add_class("cb-left")
        self._placeholder = W.HTML()
        self._placeholder.add_class("cb-placeholder")
        self._case_view = CaseView(catalogue=self._catalogue, show_questions=False)  # they come with the feedback
        self._feedback = W.HTML()
        self._feedback.add_class("cb-feedback")
        right = W.VBox([self._placeholder, self._case_view, self._build_answer_panel(), self._feedback,
                        self._build_after_feedback()])
        right.add_class("cb-right")
        self._practise_panel = W.HBox([left, right])
        self._practise_panel.add_class("cb-body")
        return self._practise_panel

    def _build_answer_panel(self) -> W.VBox:
        self._prompt = W.HTML()
        self._picker = ItemPicker(self._catalogue)
        self._picker.observe(self._on_picker_change, "value")
        self._tagger = TurnTagger(self._catalogue)
        self._check = W.Button(button_style="primary", icon="check")
        self._check.add_class("cb-check")
        self._check.on_click(self._on_check_click)
        self._hint = W.HTML()
        self._hint.add_class("cb-check-hint")
        self._answer_panel = W.VBox([self._prompt, self._picker, self._tagger, self._check, self._hint])
        self._answer_panel.add_class("cb-answer-panel")
        return self._answer_panel

    def _build_after_feedback(self) -> W.VBox:
        self._next_practise = W.HTML()
        self._next_button = W.Button(icon="arrow-right")
        self._next_button.add_class("cb-next-case")
        self._next_button.on_click(self._on_next_click)
        self._after = W.VBox([self._next_practise, self._next_button])
        self._after.add_class("cb-after-feedback")
        return self._after

    def _build_progress_panel(self) -> W.VBox:
        self._summary = W.HTML()
        self._summary.add_class("cb-progress-summary")
        self._weak = W.HTML()
        self._weak.add_class("cb-weak-panel")
        self._practise_weak = W.Button(icon="arrow-right", button_style="primary")
        self._practise_weak.add_class("cb-practise-next")
        self._practise_weak.on_click(self._on_next_click)
        self._chart = W.HTML()
        self._chart.add_class("cb-progress-chart")
        self._history = W.HTML()
        self._history.add_class("cb-history")
        top = W.HBox([self._summary, W.VBox([self._weak, self._practise_weak])])
        top.add_class("cb-progress-top")
        self._progress_panel = W.VBox([top, self._chart, self._history, self._build_profile_box()])
        self._progress_panel.add_class("cb-progress-panel")
        return self._progress_panel

    def _build_profile_box(self) -> W.VBox:
        """Export and delete the profile (deleting asks first)."""
        self._export = W.Button(icon="download")
        self._export.add_class("cb-export")
        self._export.on_click(self._on_export_click)
        self._export_result = W.HTML()
        self._export_result.add_class("cb-export-result")
        self._delete = W.Button(icon="trash")
        self._delete.add_class("cb-delete-profile")
        self._delete.on_click(self._on_delete_click)
        self._delete_question = W.HTML()
        self._delete_confirm = W.Button(button_style="danger")
        self._delete_confirm.add_class("cb-delete-confirm")
        self._delete_confirm.on_click(self._on_delete_confirm_click)
        self._delete_cancel = W.Button()
        self._delete_cancel.add_class("cb-delete-cancel")
        self._delete_cancel.on_click(self._on_delete_cancel_click)
        self._confirm_box = W.VBox([self._delete_question, W.HBox([self._delete_confirm, self._delete_cancel])])
        self._confirm_box.add_class("cb-confirm-box")
        self._profile_note = W.HTML()
        profile_box = W.VBox([
            self._profile_note, W.HBox([self._export, self._delete]), self._export_result, self._confirm_box,
        ])
        profile_box.add_class("cb-profile-box")
        return profile_box

    def _connect(self) -> None:
        W.link((self.model, "language"), (self, "language"))
        for part in (self._case_view, self._picker, self._tagger):
            W.dlink((self, "language"), (part, "language"))
        self._sections.observe(self._on_section_change, "value")
        self.model.observe(self._on_matching_change, "matching")
        self.model.observe(self._on_progress_change, "progress")

    def __repr__(self) -> str:
        # nbval compares this text: keep it deterministic (no model or profile ids)
        case = self.model.selected or None
        return f"SoloView({len(self._cards)} cases, case={case!r}, language={self.language!r})"

    # -- building blocks

    def _card_html(self, case: Case, lang: str) -> str:
        last = self.model.progress.last_answer(case.id) if self.model.progress else None
        done = ""
        if last is not None:
            done = (f'<span class="cb-card-done" title="{escape(t("solo.card.last_title", lang))}">'
                    f'{t("solo.card.last", lang, found=len(last.found), total=len(last.key_items))}</span>')
        return card_html(case, self._catalogue, lang, done)

    # -- language

    @observe("language")
    def _on_language_change(self, change):
        self._apply_language()

    def _apply_language(self) -> None:
        lang = self.language
        mark_language(self, lang)
        self._sections.options = [(t("solo.section.practise", lang), PRACTISE),
                                  (t("solo.section.progress", lang), PROGRESS)]
        self._filters.language = lang
        self._prompt.value = f'<p class="cb-prompt">{t("solo.prompt", lang)}</p>'
        self._check.description = t("solo.check", lang)
        self._export.description = t("solo.profile.export", lang)
        self._delete.description = t("solo.profile.delete", lang)
        self._delete_confirm.description = t("solo.profile.delete_confirm", lang)
        self._delete_cancel.description = t("solo.profile.delete_cancel", lang)
        note = "solo.profile.note_browser" if self.model.per_browser else "solo.profile.note_local"
        self._profile_note.value = (f'<h3>{t("solo.profile.heading", lang)}</h3>'
                                    f'<p class="cb-hint">{t(note, lang)}</p>')
        self._render_cards()
        self._on_matching_change()
        self._render_case_state()
        self._render_progress()

    # -- handlers

    @guarded
    def _on_section_change(self, change=None) -> None:
        progress_shown = self._sections.value == PROGRESS
        if change is not None and progress_shown:
            self.model.refresh_progress()  # answered or deleted in another tab meanwhile
        self._practise_panel.layout.display = "none" if progress_shown else None
        self._progress_panel.layout.display = None if progress_shown else "none"

    @guarded
    def _on_open_click(self, case_id: str) -> None:
        self.open_case(case_id)

    def open_case(self, case_id: str) -> None:
        """Show ``case_id`` to answer (an unknown id gets a plain message, nothing else changes)."""
        if case_id not in self.model.casebook.cases:
            self._error.show(t("solo.unknown_case", self.language, case=case_id))
            return
        self.model.selected = case_id
        self._sections.value = PRACTISE
        self._show_case(self.model.casebook.get(case_id))

    @guarded
    def _on_matching_change(self, change=None) -> None:
        no_weak_items = self.model.filters.weak_only and not self.model.progress.weak_items
        self._list.show_only(self.model.matching)
        self._filters.show_count(len(self.model.matching), len(self._cards),
                                 "solo.filter.no_weak" if no_weak_items else "browse.none")

    def _on_picker_change(self, change) -> None:
        self._tagger.choices = list(change["new"])
        if change["new"]:
            self._hint.value = ""

    @guarded
    def _on_check_click(self, _button=None) -> None:
        if not self.model.selected or self._feedback_shown is not None:
            return
        if not self._picker.value:
            self._hint.value = f'<p class="cb-warn">{t("solo.nothing_ticked", self.language)}</p>'
            return
        self._feedback_shown = self.model.check(list(self._picker.value), self._tagger.value)
        self._render_case_state()

    @guarded
    def _on_next_click(self, _button=None) -> None:
        suggestion = self.model.next_case()
        if suggestion is not None:
            self.open_case(suggestion.case.id)

    @guarded
    def _on_progress_change(self, change=None) -> None:
        self._render_cards()
        self._render_progress()

    @guarded
    def _on_export_click(self, _button=None) -> None:
        lang = self.language
        name, content = self.model.export()
        if not name:
            self._export_result.value = f'<p class="cb-note">{t("solo.profile.nothing", lang)}</p>'
            return
        link = download_link(name, content, "application/json", t("solo.profile.download", lang, name=name))
        self._export_result.value = f'<div class="cb-export-box">{link}</div>'

    @guarded
    def _on_delete_click(self, _button=None) -> None:
        count = len(self.model.progress.answers)
        self._confirming_delete = True
        self._delete_question.value = f'<p class="cb-warn">{t("solo.profile.delete_question", self.language, count=count)}</p>'
        self._confirm_box.layout.display = None

    @guarded
    def _on_delete_cancel_click(self, _button=None) -> None:
        self._confirming_delete = False
        self._confirm_box.layout.display = "none"

    @guarded
    def _on_delete_confirm_click(self, _button=None) -> None:
        if not self._confirming_delete:
            return
        self._confirming_delete = False
        removed = self.model.delete()
        self._confirm_box.layout.display = "none"
        self._export_result.value = f'<p class="cb-ok">{t("solo.profile.deleted", self.language, count=removed)}</p>'

    # -- drawing

    def _show_case(self, case: Case | None) -> None:
        self._feedback_shown = None
        self._list.selected = case.id if case is not None else ""
        self._case_view.show_case(case)
        self._picker.value = []
        self._tagger.show_case(case)
        self._hint.value = ""
        self._render_case_state()

    def _render_case_state(self) -> None:
        lang = self.language
        case = self.model.casebook.cases.get(self.model.selected)
        checked = self._feedback_shown is not None
        self._placeholder.value = "" if case else f'<div class="cb-choose">{t("solo.choose", lang)}</div>'
        self._answer_panel.layout.display = None if case else "none"
        self._picker.disabled = checked
        self._tagger.disabled = checked
        self._check.layout.display = "none" if checked else None
        self._case_view.show_turn_items = checked  # the dialogue then shows the case file's tags
        self._feedback.value = (feedback_html(self._feedback_shown, case, self._catalogue, lang)
                                if checked and case else "")
        self._feedback.layout.display = None if checked else "none"
        self._after.layout.display = None if checked else "none"
        if checked:
            suggestion = self.model.next_case()
            self._next_practise.value = next_case_html(suggestion, self._catalogue, lang)
            self._next_button.description = t("solo.next.button", lang)
            self._next_button.layout.display = None if suggestion else "none"

    def _render_cards(self) -> None:
        if self._list.language == self.language:
            self._list.redraw()  # e.g. a new answer: the cards show the last result
        else:
            self._list.language = self.language  # redraws

    def _render_progress(self) -> None:
        lang, progress = self.language, self.model.progress
        suggestion = self.model.next_case()
        self._summary.value = progress_summary_html(progress, lang)
        self._weak.value = weak_html(progress, suggestion, self._catalogue, lang)
        self._practise_weak.description = t("solo.next.button", lang)
        self._practise_weak.layout.display = None if progress.answers and suggestion else "none"
        self._chart.value = progress_chart_html(progress, self._catalogue, lang)
        self._history.value = history_html(progress, self.model.casebook, lang)
        has_profile = bool(progress.answers)
        self._export.disabled = not has_profile
        self._delete.disabled = not has_profile
        if not self._confirming_delete:
            self._confirm_box.layout.display = "none"

    # -- for tests: what a reviewer would click

    def answer(self, *items: str) -> None:
        for item in items:
            self._picker.toggle(item).value = True

    def show_section(self, section: str) -> None:
        self._sections.value = section


def solo_app(casebook: Casebook | None = None, store: Store | None = None) -> SoloView:
    """The solo page: everything slow first, then wait for the request (preheating)."""
    book = casebook if casebook is not None else served_cases()
    store = store or open_store()
    params = request_params()
    browser = browser_id()
    if not browser and served_by_voila():
        # a Voila page without the cookie of casebook serve: it cannot tell visitors apart
        log.warning("solo page served without a browser id: progress is kept in the local profile")
    view = SoloView(SoloModel(book, store, language=page_language(), browser=browser))
    if params.get("case"):
        view.open_case(params["case"])
    return view
