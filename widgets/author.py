"""The author app: write or paste a case, see identifying details highlighted, save when clean.

The model (``casebook.authoring.AuthorModel``) holds the form as traits, turns it into a case
file's text, and has it validated and checked for identifiers by the check worker (deduce is
loaded there, once per server, never in this page's kernel). The view (``AuthorView``) shows the
fields, a check button, the findings highlighted in place and a save button that writes the
case file only when the case is valid and clean. A case that exists already is replaced only
after the author confirms it with a second button, shown right after the refusal. The page
names the file a case is saved as, never the server's folder.
"""

from __future__ import annotations

import os
import threading
from html import escape
from pathlib import Path

import ipywidgets as W
from traitlets import Unicode, observe

from casebook.authoring import CASE_ID, AuthorModel
from casebook.cases import CASE_LANGUAGES, HOW_VALUES
from casebook.exceptions import AuthorError
from casebook.messages import t
from widgets.common import ErrorBanner, guarded, mark_language, page_language, stylesheet


# ------------------------------------------------------------------ highlighting


def highlight(text: str, findings, language: str) -> str:
    """``text`` as HTML with each finding in a <mark> naming its kind."""
    out, position = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < position:
            continue
        kind = t(f"anonymisation.kind.{finding.kind}", language)
        state = " cb-finding-allowed" if finding.allowed else ""
        out.append(escape(text[position:finding.start]))
        out.append(f'<mark class="cb-finding cb-finding-{finding.kind}{state}" title="{escape(kind)}">'
                   f'{escape(finding.text)}<span class="cb-finding-kind">{escape(kind)}</span></mark>')
        position = finding.end
    out.append(escape(text[position:]))
    return "".join(out).replace("\n", "<br>")


class AuthorView(W.VBox):
    """The form on the left, the texts and the check's result on the right."""

    language = Unicode("nl")

    def __init__(self, model: AuthorModel, language: str = "nl", warm_up: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-app")
        self.add_class("cb-author")
        self.model = model
        self.saved_path: Path | None = None
        cat = model.catalogue
        self._error = ErrorBanner()
        self._title = W.HTML()
        self._language = W.ToggleButtons(options=[("NL", "nl"), ("EN", "en")], value=language)
        self._language.add_class("cb-language")
        wide = {"description_width": "150px"}
        self._id = self._text("cb-author-id", wide)
        self._case_title = self._text("cb-author-title", wide)
        self._case_language = W.Dropdown(options=list(CASE_LANGUAGES), value=model.case_language, style=wide)
        self._case_language.add_class("cb-author-language")
        self._themes = W.SelectMultiple(options=[(th.label_in(language), th.id) for th in cat.themes], rows=5, style=wide)
        self._themes.add_class("cb-author-themes")
        self._sector = self._text("cb-author-sector", wide)
        self._summary = W.Textarea(rows=2, style=wide)
        self._summary.add_class("cb-author-summary")
        self._key_items = W.SelectMultiple(rows=8, style=wide)
        self._key_items.add_class("cb-author-key")
        self._reasons = W.VBox()
        self._reasons.add_class("cb-author-reasons")
        self._reason_boxes: dict[str, W.Textarea] = {}
        self._how_boxes: dict[str, W.Dropdown] = {}
        self._central_boxes: dict[str, W.Checkbox] = {}
        self._context = W.Textarea(rows=2, style=wide)
        self._context.add_class("cb-author-context")
        self._questions = W.Textarea(rows=3, style=wide)
        self._questions.add_class("cb-author-questions")
        self._what_happened = W.Textarea(rows=3, style=wide)
        self._what_happened.add_class("cb-author-what-happened")
        self._allow = self._text("cb-author-allow", wide)
        self._allow_hint = W.HTML()
        self._body = W.Textarea(rows=12)
        self._body.add_class("cb-author-body")
        self._dialogue = W.Textarea(rows=8)
        self._dialogue.add_class("cb-author-dialogue")
        self._body_label, self._dialogue_label = W.HTML(), W.HTML()
        self._check = W.Button(button_style="primary", icon="search")
        self._check.add_class("cb-author-check")
        self._check.on_click(self._on_check_click)
        self._save = W.Button(button_style="success", icon="save", disabled=True)
        self._save.add_class("cb-author-save")
        self._save.on_click(self._on_save_click)
        # shown only after saving was refused because the case exists; confirms replacing it
        self._overwrite = W.Button(button_style="danger", icon="exchange")
        self._overwrite.add_class("cb-author-overwrite")
        self._overwrite.layout.display = "none"
        self._overwrite.on_click(self._on_overwrite_click)
        self._overwrite_text = ""  # the case text whose saving was refused as existing
        self._status = W.HTML()
        self._status.add_class("cb-author-status")
        self._result = W.HTML()
        self._result.add_class("cb-author-result")
        self._where = W.HTML()
        self._where.add_class("cb-author-where")

        form = W.VBox([self._id, self._case_title, self._case_language, self._themes, self._sector, self._summary,
                       self._context, self._key_items, self._reasons, self._questions, self._what_happened, self._allow,
                       self._allow_hint])
        form.add_class("cb-author-form")
        texts = W.VBox([self._body_label, self._body, self._dialogue_label, self._dialogue,
                        W.HBox([self._check, self._save, self._overwrite]), self._where,
                        self._status, self._result])
        texts.add_class("cb-author-texts")
        header = W.HBox([self._title, self._language])
        header.add_class("cb-header")
        body = W.HBox([form, texts])
        body.add_class("cb-body")
        self.children = [stylesheet(), header, self._error, body]

        for control, name in ((self._id, "case_id"), (self._case_title, "title"), (self._case_language, "case_language"),
                              (self._sector, "sector"), (self._summary, "summary"), (self._context, "context"),
                              (self._questions, "questions"),
                              (self._what_happened, "what_happened"), (self._allow, "allow"), (self._body, "body"),
                              (self._dialogue, "dialogue")):
            W.link((control, "value"), (model, name))
        self._themes.observe(self._on_themes_change, "value")
        self._key_items.observe(self._on_key_items_change, "value")
        W.link((self._language, "value"), (self, "language"))
        model.observe(self._on_text_change, [n for n in model.trait_names() if n not in ("checked_text", "clean")])
        self.language = language
        self._apply_language()
        if warm_up:  # deduce's lookup data takes seconds to load: start while the author types
            threading.Thread(target=model.warm_up, daemon=True).start()

    def __repr__(self) -> str:
        return f"AuthorView(language={self.language!r})"

    @staticmethod
    def _text(css_class: str, style: dict) -> W.Text:
        text = W.Text(style=style)
        text.add_class(css_class)
        return text

    # -- language

    @observe("language")
    def _on_language_change(self, change):
        self._apply_language()

    def _apply_language(self) -> None:
        lang, cat = self.language, self.model.catalogue
        mark_language(self, lang)
        self._title.value = (f'<div class="cb-app-title">{t("author.title", lang)}</div>'
                             f'<div class="cb-app-tagline">{t("author.tagline", lang)}</div>')
        for control, key in ((self._id, "id"), (self._case_title, "case_title"), (self._case_language, "language"),
                             (self._themes, "themes"), (self._sector, "sector"), (self._summary, "summary"),
                             (self._context, "context"), (self._key_items, "key"), (self._questions, "questions"),
                             (self._what_happened, "what_happened"), (self._allow, "allow")):
            control.description = t(f"author.field.{key}", lang)
        self._id.placeholder = "vp-027"
        self._allow.placeholder = t("author.allow_placeholder", lang)
        self._allow_hint.value = f'<p class="cb-hint">{t("author.allow_hint", lang)}</p>'
        themes = self._themes.value
        self._themes.options = [(th.label_in(lang), th.id) for th in cat.themes]
        self._themes.value = themes
        items = self._key_items.value
        self._key_items.options = [(f"{t('catalogue.' + i.kind, lang)}: {i.label_in(lang)}", i.id) for i in cat.items]
        self._key_items.value = items
        self._body_label.value = f'<h3>{t("author.body", lang)}</h3>'
        self._dialogue_label.value = (f'<h3>{t("author.dialogue", lang)}</h3>'
                                      f'<p class="cb-hint">{t("author.dialogue_hint", lang)}</p>')
        self._body.placeholder = t("author.body_placeholder", lang)
        self._dialogue.placeholder = "melder: …\nvp: … [geheimhouding-benadrukken]"
        self._check.description = t("author.check", lang)
        self._save.description = t("author.save", lang)
        self._overwrite.description = t("author.overwrite", lang)
        self._show_where()
        for item_id, box in self._reason_boxes.items():
            box.description = t("author.why", lang, item=cat.item(item_id).label_in(lang))
        for box in self._how_boxes.values():
            self._label_how(box)
        for box in self._central_boxes.values():
            box.description = t("author.central", lang)
        if self.model.checked_text:
            self._show_result()

    # -- handlers

    @guarded
    def _on_themes_change(self, change) -> None:
        self.model.themes = list(change["new"])

    @guarded
    def _on_key_items_change(self, change) -> None:
        cat = self.model.catalogue
        for item_id in change["new"]:
            if item_id not in self._reason_boxes:
                box = W.Textarea(rows=2, style={"description_width": "150px"},
                                 description=t("author.why", self.language, item=cat.item(item_id).label_in(self.language)))
                box.add_class("cb-author-why")
                box.add_class(f"cb-author-why-{item_id}")
                box.observe(self._on_reason_change, "value")
                self._reason_boxes[item_id] = box
                how = W.Dropdown(options=[("", "")], value="", style={"description_width": "150px"})
                self._label_how(how)
                how.add_class(f"cb-author-how-{item_id}")
                how.observe(self._on_reason_change, "value")
                self._how_boxes[item_id] = how
                central = W.Checkbox(value=False, description=t("author.central", self.language), indent=False)
                central.add_class(f"cb-author-central-{item_id}")
                central.observe(self._on_reason_change, "value")
                self._central_boxes[item_id] = central
        self._reasons.children = [W.VBox([self._reason_boxes[i], W.HBox([self._how_boxes[i], self._central_boxes[i]])])
                                  for i in change["new"]]
        self._on_reason_change()

    def _label_how(self, box: W.Dropdown) -> None:
        """The how choices in the page's language; "(kies)" until the author picks one."""
        value = box.value
        box.options = [(t("author.how_none", self.language), "")] + [
            (t(f"author.how_{how}", self.language), how) for how in HOW_VALUES]
        box.value = value
        box.description = t("author.how", self.language)

    def _on_reason_change(self, change=None) -> None:
        items = list(self._key_items.value)
        self.model.reasons = [self._reason_boxes[i].value for i in items]
        self.model.hows = [self._how_boxes[i].value for i in items]
        self.model.centrals = [self._central_boxes[i].value for i in items]
        self.model.key_items = items

    def _on_text_change(self, change) -> None:
        # anything typed after a check needs a new check before it can be saved, and a new
        # refusal before an existing case can be replaced
        self._save.disabled = not self.model.ready_to_save
        self._withdraw_overwrite()
        if change["name"] == "case_id":
            self._show_where()

    @guarded
    def _on_check_click(self, _button=None) -> None:
        self._status.value = f'<p class="cb-hint">{t("author.checking", self.language)}</p>'
        self._check.disabled = True
        self._withdraw_overwrite()
        try:
            self.model.check()
        finally:
            self._check.disabled = False
            self._status.value = ""
        self._show_result()
        self._save.disabled = not self.model.ready_to_save

    @guarded
    def _on_save_click(self, _button=None) -> None:
        self._withdraw_overwrite()
        try:
            self.saved_path = self.model.save()
        except AuthorError as exc:  # exists, or changed since the check and now invalid or not clean
            if self.model.checked_text:
                self._show_result()
            self._error.show(exc.message(self.language))
            if exc.code == "exists":
                self._overwrite_text = self.model.checked_text
                self._overwrite.layout.display = None
            return
        self._show_saved("author.saved")

    @guarded
    def _on_overwrite_click(self, _button=None) -> None:
        # a crafted click fires even while the button is hidden: replace only what was just refused
        if not self._overwrite_text or self._overwrite_text != self.model.case_text():
            self._withdraw_overwrite()
            raise AuthorError("confirm_first")
        self._withdraw_overwrite()
        self.saved_path = self.model.save(overwrite=True)
        self._show_saved("author.replaced")

    def _withdraw_overwrite(self) -> None:
        self._overwrite_text = ""
        self._overwrite.layout.display = "none"

    def _show_saved(self, message: str) -> None:
        # the file's name only: the folder is the server's business
        self._status.value = (f'<div class="cb-author-saved">'
                              f'{t(message, self.language, file=escape(self.saved_path.name))}</div>')
        self._save.disabled = True

    # -- drawing

    def _show_where(self) -> None:
        case_id = self.model.case_id.strip()
        if CASE_ID.fullmatch(case_id):
            text = t("author.where", self.language, file=escape(self.model.file_name()))
        elif case_id:
            text = escape(t("author.id_shape", self.language))
        else:
            text = t("author.where_no_id", self.language)
        self._where.value = f'<p class="cb-hint">{text}</p>'

    def _show_result(self) -> None:
        lang, model = self.language, self.model
        parts = []
        if model.errors:
            rows = "".join(f"<li>{escape(e.describe(lang).replace(str(e.file) + ':', '', 1).lstrip(': '))}</li>"
                           if e.line else f"<li>{escape(e.message(lang))}</li>" for e in model.errors)
            parts.append(f'<div class="cb-author-invalid"><h3>{t("author.invalid", lang, count=len(model.errors))}</h3>'
                         f"<ul>{rows}</ul></div>")
        if model.warnings:
            rows = "".join(f"<li>{escape(t('author.line', lang, line=w.line))}: {escape(w.message(lang))}</li>"
                           for w in model.warnings)
            parts.append(f'<div class="cb-author-warnings"><h3>{t("author.warnings", lang, count=len(model.warnings))}'
                         f"</h3><ul>{rows}</ul></div>")
        if model.checked_text:
            if model.findings:
                parts.append(f'<h3 class="cb-author-findings-title">'
                             f'{t("author.findings", lang, count=len(model.findings))}</h3>')
                parts.append(self._findings_list(model.findings, lang))
            elif not model.errors:
                parts.append(f'<div class="cb-author-clean">{t("author.clean", lang)}</div>')
            if model.allowed:
                parts.append(f'<h3>{t("author.allowed", lang, count=len(model.allowed))}</h3>')
                parts.append(self._findings_list(model.allowed, lang))
            if model.findings or model.allowed:
                parts.append(self._in_place(lang))
        self._status.value = ""
        self._result.value = "".join(parts)

    def _findings_list(self, findings, lang: str) -> str:
        rows = "".join(
            f'<li class="cb-finding-row"><span class="cb-finding-line">{t("author.line", lang, line=f.line)}</span> '
            f'{escape(f.field)}: <mark class="cb-finding cb-finding-{f.kind}{" cb-finding-allowed" if f.allowed else ""}">'
            f'{escape(f.text)}</mark> · {escape(t(f"anonymisation.kind.{f.kind}", lang))}{self._why(f, lang)}</li>'
            for f in findings)
        return f'<ul class="cb-finding-list">{rows}</ul>'

    @staticmethod
    def _why(finding, lang: str) -> str:
        """For the kinds that need it (an indirect identifier, an age), why it identifies and,
        where one is obvious, a rewrite."""
        from casebook.anonymise import EXPLAINED_KINDS

        parts = []
        if finding.kind in EXPLAINED_KINDS:
            parts.append(f'<span class="cb-finding-why">{escape(finding.explanation(lang))}</span>')
        if finding.hint:
            parts.append(f'<span class="cb-finding-hint">{escape(t("author.suggestion", lang, hint=finding.hint))}</span>')
        return "".join(parts)

    def _in_place(self, lang: str) -> str:
        """Every text with findings, the findings marked where they are."""
        from casebook.anonymise import case_texts

        found = self.model.findings + self.model.allowed
        blocks = []
        for name, text, _path in case_texts(self.model.case):
            here = [f for f in found if f.field == name]
            if here:
                blocks.append(f'<div class="cb-author-field"><div class="cb-author-field-name">{escape(name)}</div>'
                              f'<div class="cb-author-marked">{highlight(text, here, lang)}</div></div>')
        return f'<h3>{t("author.in_place", lang)}</h3>' + "".join(blocks)


def author_app(folder: str | os.PathLike | None = None, warm_up: bool = True) -> AuthorView:
    """The author app as the notebook shows it, in the page's language."""
    language = page_language()
    return AuthorView(AuthorModel(folder), language=language, warm_up=warm_up)
