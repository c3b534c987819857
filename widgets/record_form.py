"""The facilitator's end of a session: the intervision record the chair types (for LVV
registration) and the session report to download as HTML, CSV or JSON.

The record is saved through ``casebook.record`` (facilitator key required, stored apart from
the votes); the downloads are data: links made in the page, so nothing is written on the server.
"""

from __future__ import annotations

from datetime import date

import ipywidgets as W
from traitlets import Unicode, observe

from casebook.cases import Casebook
from casebook.catalogue import load_catalogue
from casebook.messages import t
from casebook.record import (
    IntervisionRecord, attendance_text, parse_attendance, parse_present, parse_time, read_record, save_record,
)
from casebook.render import escape
from casebook.report import build_report, render
from casebook.retention import close_session
from casebook.store import Store
from widgets.common import ErrorBanner, download_link, guarded

MIME = {"html": "text/html", "csv": "text/csv", "json": "application/json"}
WIDE = W.Layout(width="100%", max_width="560px")
LABELS = {"description_width": "170px"}


class RecordForm(W.VBox):
    """The record form (``cb-record-form``) and the report downloads (``cb-download-report``)."""

    language = Unicode("nl")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-record-form")
        self._store: Store | None = None
        self._book: Casebook | None = None
        self._code = self._key = ""
        self._case_ids: tuple[str, ...] = ()
        self._method = ""
        self._made_for = None  # (version, saves) the downloads were made for
        self._saves = 0
        self._error = ErrorBanner()
        self._title = W.HTML()
        self._intro = W.HTML()
        self._facts = W.HTML()
        self._date = W.DatePicker(value=date.today(), style=LABELS)
        self._start = self._text("cb-record-start")
        self._end = self._text("cb-record-end")
        self._group = self._text("cb-record-group")
        self._chair = self._text("cb-record-chair")
        self._facilitator = self._text("cb-record-facilitator")
        self._setting = W.Dropdown(options=[("fysiek", "fysiek"), ("online", "online")], value="fysiek", style=LABELS)
        self._present = self._text("cb-record-present")
        self._inbrengers = W.VBox()
        self._attendance = W.Textarea(layout=W.Layout(width="100%", max_width="560px", height="140px"), style=LABELS)
        self._attendance.add_class("cb-record-attendance")
        self._save = W.Button(button_style="primary")
        self._save.add_class("cb-record-save")
        self._save.on_click(self._on_save_click)
        self._status = W.HTML()
        self._status.add_class("cb-record-status")
        self._downloads = W.HTML()
        self._downloads.add_class("cb-download-report")
        self._build_closing()
        for widget, css in ((self._date, "cb-record-date"), (self._setting, "cb-record-setting")):
            widget.add_class(css)
        self.children = [
            self._title, self._intro, self._facts, self._date, self._start, self._end, self._group, self._chair,
            self._facilitator, self._setting, self._present, self._inbrengers, self._attendance, self._save,
            self._status, self._error, self._downloads, self._closing,
        ]
        self.layout.display = "none"

    def _build_closing(self) -> None:
        """Closing the session (``cb-close-session``), after a confirmation (``cb-close-confirm``)."""
        self._close = W.Button(icon="lock")
        self._close.add_class("cb-close-session")
        self._close.on_click(self._on_close_click)
        self._close_question = W.HTML()
        self._close_yes = W.Button(button_style="danger")
        self._close_yes.add_class("cb-close-confirm")
        self._close_yes.on_click(self._on_close_confirm_click)
        self._close_no = W.Button()
        self._close_no.add_class("cb-close-cancel")
        self._close_no.on_click(self._on_close_cancel_click)
        self._close_confirm = W.VBox([self._close_question, W.HBox([self._close_yes, self._close_no])])
        self._close_confirm.add_class("cb-confirm-box")
        self._close_confirm.layout.display = "none"
        self._close_status = W.HTML()
        self._close_status.add_class("cb-close-status")
        self._closing = W.VBox([self._close, self._close_confirm, self._close_status])
        self._closing.add_class("cb-closing")

    @staticmethod
    def _text(css: str) -> W.Text:
        field = W.Text(layout=WIDE, style=LABELS)
        field.add_class(css)
        return field

    # -- attaching to a session

    def attach(self, store: Store, casebook: Casebook, code: str, key: str, case_ids, method: str) -> None:
        """Follow session ``code``; what the chair saved before fills the form in."""
        self._store, self._book, self._code, self._key = store, casebook, code, key
        self._case_ids, self._method = tuple(case_ids), method
        self._inbrengers.children = [self._text(f"cb-record-inbrenger-{n + 1}") for n in range(len(self._case_ids))]
        saved = read_record(store, code, key)
        if saved is not None:
            self._fill(saved)
        self._apply_language()

    def _fill(self, record: IntervisionRecord) -> None:
        if record.held_on:
            self._date.value = record.held_on
        self._start.value = record.start_time.strftime("%H:%M") if record.start_time else ""
        self._end.value = record.end_time.strftime("%H:%M") if record.end_time else ""
        self._group.value, self._chair.value = record.group_name, record.chair
        self._facilitator.value, self._setting.value = record.facilitator, record.setting
        self._present.value = "" if record.present is None else str(record.present)
        for position, field in enumerate(self._inbrengers.children):
            field.value = record.inbrengers.get(position, "")
        self._attendance.value = attendance_text(record.attendance)

    # -- language

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._apply_language()

    def _apply_language(self) -> None:
        lang = self.language
        self._title.value = f'<h2 class="cb-record-title">{t("record_form.title", lang)}</h2>'
        self._intro.value = f'<p class="cb-note">{t("record_form.intro", lang)}</p>'
        self._date.description = t("record_form.date", lang)
        for field, key in ((self._start, "start_time"), (self._end, "end_time")):
            field.description = t(f"record_form.{key}", lang)
            field.placeholder = t("record_form.time_placeholder", lang)
        self._group.description = t("record_form.group_name", lang)
        self._chair.description = t("record_form.chair", lang)
        self._facilitator.description = t("record_form.facilitator", lang)
        self._setting.description = t("record_form.setting", lang)
        self._setting.options = [(t(f"report.setting_{s}", lang), s) for s in ("fysiek", "online")]
        self._present.description = t("record_form.present", lang)
        self._present.placeholder = t("record_form.present_placeholder", lang)
        for position, field in enumerate(self._inbrengers.children):
            field.description = t("record_form.inbrenger", lang, number=position + 1)
        self._attendance.description = t("record_form.attendance", lang)
        self._attendance.placeholder = t("record_form.attendance_placeholder", lang)
        self._save.description = t("record_form.save", lang)
        self._close.description = t("record_form.close", lang)
        self._close_question.value = f'<p class="cb-warn">{escape(t("record_form.close_explain", lang))}</p>'
        self._close_yes.description = t("record_form.close_yes", lang)
        self._close_no.description = t("record_form.close_no", lang)
        self._facts.value = self._facts_html()
        self._made_for = None  # the downloads follow the language too
        if self._store is not None and self.layout.display != "none":
            self._make_downloads()

    def _facts_html(self) -> str:
        """Method, and each case with its themes: known from the session, nothing to type."""
        if not self._book:
            return ""
        catalogue = load_catalogue()
        cases = []
        for position, case_id in enumerate(self._case_ids):
            case = self._book.cases.get(case_id)
            themes = ", ".join(catalogue.theme(theme).label_in(self.language) for theme in case.themes) if case else ""
            cases.append(f"{position + 1}. {case_id} ({themes})" if themes else f"{position + 1}. {case_id}")
        text = t("record_form.cases", self.language, method=t(f"method.{self._method}", self.language),
                 cases="; ".join(cases))
        return f'<p class="cb-record-facts">{escape(text)}</p>'

    # -- showing

    def show(self, visible: bool, version: int) -> None:
        """Shown at the end of the session; the downloads are made again when the session changed."""
        self.layout.display = None if visible else "none"
        if visible and self._made_for != (version, self._saves, self.language):
            self._make_downloads()
            self._made_for = (version, self._saves, self.language)

    def _make_downloads(self) -> None:
        report = build_report(self._store, self._code, casebook=self._book, language=self.language)
        stem = f"intervisie-{self._code}-{report['record']['date'] or 'verslag'}"
        links = "".join(
            f'<li>{download_link(f"{stem}.{fmt}", render(report, fmt), MIME[fmt], t(f"record_form.download_{fmt}", self.language))}</li>'
            for fmt in ("html", "csv", "json")
        )
        self._downloads.value = (f'<h3 class="cb-download-title">{t("record_form.download", self.language)}</h3>'
                                 f'<ul class="cb-download-list">{links}</ul>')

    # -- saving

    @guarded
    def _on_save_click(self, _button=None) -> None:
        record = IntervisionRecord(
            held_on=self._date.value, start_time=parse_time("start_time", self._start.value),
            end_time=parse_time("end_time", self._end.value), group_name=self._group.value,
            chair=self._chair.value, facilitator=self._facilitator.value, setting=self._setting.value,
            inbrengers={n: field.value for n, field in enumerate(self._inbrengers.children) if field.value.strip()},
            attendance=parse_attendance(self._attendance.value), present=parse_present(self._present.value),
        )
        stored = save_record(self._store, self._code, self._key, record)
        self._saves += 1
        self._status.value = (f'<p class="cb-ok" role="status">'
                              f'{escape(t("record_form.saved", self.language, count=len(stored.attendance)))}</p>')
        self._made_for = None
        self._make_downloads()

    # -- closing

    @guarded
    def _on_close_click(self, _button=None) -> None:
        self._close_confirm.layout.display = None
        self._close.layout.display = "none"

    @guarded
    def _on_close_cancel_click(self, _button=None) -> None:
        self._close_confirm.layout.display = "none"
        self._close.layout.display = None

    @guarded
    def _on_close_confirm_click(self, _button=None) -> None:
        done = close_session(self._store, self._code, self._book, key=self._key)
        self._close_confirm.layout.display = "none"
        text = (t("record_form.closed", self.language, votes=done["votes"], participants=done["participants"])
                if done["closed"] else t("record_form.already_closed", self.language))
        self._close_status.value = f'<p class="cb-ok" role="status">{escape(text)}</p>'
        self._made_for = None
        self._make_downloads()

    # -- for tests

    def fill(self, **values) -> None:
        """Type into the form as the chair would: ``group_name``, ``chair``, ``attendance`` …"""
        fields = {"group_name": self._group, "chair": self._chair, "facilitator": self._facilitator,
                  "start_time": self._start, "end_time": self._end, "present": self._present,
                  "attendance": self._attendance, "setting": self._setting}
        for name, value in values.items():
            if name.startswith("inbrenger_"):
                self._inbrengers.children[int(name.split("_")[1]) - 1].value = value
            else:
                fields[name].value = value
