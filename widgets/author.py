"""The author app: write or paste a case, see identifying details highlighted, save when clean.

The model (``AuthorModel``) holds the form as traits, turns it into a case file's text, and
runs the same validation as the loader and the anonymisation check. The view
(``AuthorView``) shows the fields, a check button, the findings highlighted in place and a
save button that writes the case file only when the case is valid and clean. This page is
for trainers: it loads deduce (the participant pages never do).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from html import escape
from pathlib import Path

import ipywidgets as W
import yaml
from traitlets import Bool, HasTraits, List, Unicode, observe

from casebook.cases import (CASE_LANGUAGES, HOW_VALUES, Case, CaseFileErrors, KeyItem, Turn, file_lines, load_cases,
                            parse_case_file)
from casebook.catalogue import Catalogue, load_catalogue
from casebook.config import data_dir
from casebook.exceptions import CaseFileError, CasebookError
from casebook.messages import t
from widgets.common import ErrorBanner, guarded, page_language, stylesheet

TURN_LINE = re.compile(r"^\s*(?P<speaker>[\w-]+)\s*:\s*(?P<text>.*?)\s*(?:\[(?P<items>[^\]]*)\])?\s*$")


class AuthorError(CasebookError):
    """Saving was refused: the reason is told to the author."""

    def __init__(self, reason: str, **params):
        self.reason, self.params = reason, params
        super().__init__(t(f"author.{reason}", "en", **params))

    def message(self, language: str = "nl") -> str:
        return t(f"author.{self.reason}", language, **self.params)


def author_folder() -> Path:
    """Where new cases are saved: ``CASEBOOK_AUTHOR_FOLDER``, else the first ``CASEBOOK_CASES``
    folder, else ``cases`` in the data folder (add that one to ``CASEBOOK_CASES`` to serve it)."""
    configured = os.environ.get("CASEBOOK_AUTHOR_FOLDER")
    if configured:
        return Path(configured)
    extra = [p for p in os.environ.get("CASEBOOK_CASES", "").split(os.pathsep) if p]
    return Path(extra[0]) if extra else data_dir() / "cases"


def parse_turns(text: str) -> list[dict]:
    """``melder: tekst`` per line, items of a turn between brackets at the end."""
    turns = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = TURN_LINE.match(line)
        if not match:
            turns.append({"speaker": "", "text": line.strip()})
            continue
        turn = {"speaker": match["speaker"].lower(), "text": match["text"]}
        items = [i.strip() for i in (match["items"] or "").split(",") if i.strip()]
        if items:
            turn["items"] = items
        turns.append(turn)
    return turns


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


class AuthorModel(HasTraits):
    """The case being written, as the form has it (no widgets)."""

    case_id = Unicode("")
    title = Unicode("")
    case_language = Unicode("nl")
    themes = List(Unicode())
    sector = Unicode("")
    summary = Unicode("")
    key_items = List(Unicode())
    reasons = List(Unicode())  # one per key item, same order
    hows = List(Unicode())  # one per key item: goed, fout, open or "" (not chosen yet)
    centrals = List(Bool())  # one per key item: one of the one or two items the case is about
    context = Unicode("")  # the legal frame that applies
    questions = Unicode("")  # one per line
    what_happened = Unicode("")
    allow = Unicode("")  # comma-separated
    body = Unicode("")
    dialogue = Unicode("")  # one turn per line: "speaker: text [item, item]"
    # the last check: valid and clean for exactly the current text
    checked_text = Unicode("")
    clean = Bool(False)

    def __init__(self, folder: str | os.PathLike | None = None, catalogue: Catalogue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(folder) if folder else author_folder()
        self.catalogue = catalogue or load_catalogue()
        self.errors: list[CaseFileError] = []
        self.case: Case | None = None
        self.findings = []
        self.allowed = []
        self.warnings: list[CaseFileError] = []

    def front_matter(self) -> dict:
        data: dict = {"id": self.case_id.strip(), "title": self.title.strip(), "language": self.case_language,
                      "themes": list(self.themes)}
        if self.sector.strip():
            data["sector"] = self.sector.strip()
        if self.summary.strip():
            data["summary"] = self.summary.strip()
        if self.context.strip():
            data["context"] = self.context.strip()
        data["key"] = []
        for i, item in enumerate(self.key_items):
            entry = {"item": item, "why": (self.reasons[i] if i < len(self.reasons) else "").strip()}
            if i < len(self.hows) and self.hows[i]:
                entry["how"] = self.hows[i]
            if i < len(self.centrals) and self.centrals[i]:
                entry["central"] = True
            data["key"].append(entry)
        turns = parse_turns(self.dialogue)
        if turns:
            data["dialogue"] = turns
        questions = [q.strip() for q in self.questions.splitlines() if q.strip()]
        if questions:
            data["questions"] = questions
        if self.what_happened.strip():
            data["what_happened"] = self.what_happened.strip()
        allow = split_list(self.allow)
        if allow:
            data["allow"] = allow
        return data

    def case_text(self) -> str:
        """The case file, as it would be saved."""
        front = yaml.safe_dump(self.front_matter(), allow_unicode=True, sort_keys=False, width=100)
        return f"---\n{front}---\n{self.body.strip()}\n"

    def file_name(self) -> str:
        return f"{self.case_id.strip() or 'nieuw'}.md"

    def check(self) -> bool:
        """Validate as the loader does and run the anonymisation check; True when it may be saved."""
        from casebook.anonymise import check_case
        from casebook.clearance import content_key, store_verdict

        text = self.case_text()
        self.errors, self.case, self.findings, self.allowed = [], None, [], []
        self.warnings = []
        with tempfile.TemporaryDirectory(prefix="casebook-author-") as tmp:
            path = Path(tmp) / self.file_name()
            path.write_text(text, "utf-8")
            try:
                case = parse_case_file(path, self.catalogue)
            except CaseFileErrors as exc:
                self.errors = exc.errors
                case = None
            else:
                self.warnings = list(case.warnings)  # shown, but they do not block saving
            # identifiers are looked for even while the structure is not complete yet
            checked = case if case is not None else self._unvalidated_case(path)
            result = check_case(checked)
            self.case, self.findings, self.allowed = checked, result.findings, result.allowed
            if case is not None:
                # the same verdict `casebook check` and the clearance would reach on this content
                store_verdict(content_key(text.encode("utf-8")),
                              [f.as_dict("en") for f in sorted(result.findings + result.allowed,
                                                               key=lambda f: (f.line, f.start))])
                self.errors += self._duplicate_id(case)
        self.checked_text = text
        self.clean = not self.errors and not self.findings
        return self.clean

    def _unvalidated_case(self, path: Path) -> Case:
        """The form's texts as a case, for the anonymisation check only."""
        data = self.front_matter()
        return Case(
            id=data["id"], title=data["title"], language=data["language"], themes=tuple(data["themes"]),
            key=tuple(KeyItem(k["item"], k["why"]) for k in data["key"]), body=self.body.strip(), path=str(path),
            sector=data.get("sector", ""), summary=data.get("summary", ""), context=data.get("context", ""),
            dialogue=tuple(Turn(turn["speaker"], turn["text"]) for turn in data.get("dialogue", [])),
            questions=tuple(data.get("questions", [])), what_happened=data.get("what_happened", ""),
            allow=tuple(data.get("allow", [])), lines=file_lines(path),
        )

    def _duplicate_id(self, case: Case) -> list[CaseFileError]:
        target = (self.folder / self.file_name()).resolve()
        for other in load_cases():
            if other.id == case.id and Path(other.path).resolve() != target:
                return [CaseFileError(self.file_name(), "duplicate_id", case.lines.get("id"), value=case.id,
                                      other=other.path)]
        return []

    @property
    def ready_to_save(self) -> bool:
        return self.clean and self.checked_text == self.case_text()

    def save(self) -> Path:
        """Write the case file; refused unless the current text was checked valid and clean."""
        if not self.check():
            raise AuthorError("not_clean")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / self.file_name()
        path.write_text(self.checked_text, "utf-8")
        from casebook.clearance import clear

        clear([parse_case_file(path, self.catalogue)])  # known clean: the apps offer it at once
        return path


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
                        W.HBox([self._check, self._save]), self._where,
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
            threading.Thread(target=self._warm_up, daemon=True).start()

    def __repr__(self) -> str:
        return f"AuthorView(language={self.language!r})"

    @staticmethod
    def _text(css_class: str, style: dict) -> W.Text:
        text = W.Text(style=style)
        text.add_class(css_class)
        return text

    @staticmethod
    def _warm_up() -> None:
        from casebook.anonymise import warm_up

        try:
            warm_up()
        except Exception:  # noqa: BLE001 - the check itself will report it
            pass

    # -- language

    @observe("language")
    def _on_language_change(self, change):
        self._apply_language()

    def _apply_language(self) -> None:
        lang, cat = self.language, self.model.catalogue
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
        self._where.value = f'<p class="cb-hint">{t("author.where", lang, folder=escape(str(self.model.folder)))}</p>'
        for item_id, box in self._reason_boxes.items():
            box.description = t("author.why", lang, item=cat.item(item_id).label_in(lang))
        for item_id, box in self._how_boxes.items():
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
        # anything typed after a check needs a new check before it can be saved
        self._save.disabled = not self.model.ready_to_save

    @guarded
    def _on_check_click(self, _button=None) -> None:
        self._status.value = f'<p class="cb-hint">{t("author.checking", self.language)}</p>'
        self._check.disabled = True
        try:
            self.model.check()
        finally:
            self._check.disabled = False
        self._show_result()
        self._save.disabled = not self.model.ready_to_save

    @guarded
    def _on_save_click(self, _button=None) -> None:
        lang = self.language
        try:
            self.saved_path = self.model.save()
        except AuthorError as exc:  # changed since the check, and now invalid or not clean
            self._show_result()
            self._error.show(exc.message(lang))
            return
        self._status.value = (f'<div class="cb-author-saved">'
                              f'{t("author.saved", lang, file=escape(str(self.saved_path)))}</div>')
        self._save.disabled = True

    # -- drawing

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
            f'{escape(f.text)}</mark> · {escape(t(f"anonymisation.kind.{f.kind}", lang))}</li>'
            for f in findings)
        return f'<ul class="cb-finding-list">{rows}</ul>'

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
