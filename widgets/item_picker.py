"""The item picker: a toggle per do and don't, grouped, each with its explanation at hand."""

from __future__ import annotations

import ipywidgets as W
from traitlets import Bool, List, Unicode, observe

from casebook.catalogue import Catalogue, load_catalogue
from casebook.messages import t
from casebook.render import escape


class ItemPicker(W.VBox):
    """``value`` is the list of ticked item ids, in catalogue order."""

    value = List(Unicode())
    disabled = Bool(False)
    language = Unicode("nl")

    def __init__(self, catalogue: Catalogue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-item-picker")
        self._catalogue = catalogue or load_catalogue()
        self._toggles: dict[str, W.ToggleButton] = {}
        self._explanations: dict[str, W.HTML] = {}
        self._headings: dict[str, W.HTML] = {}
        columns = []
        for kind, items in (("do", self._catalogue.dos), ("dont", self._catalogue.donts)):
            heading = W.HTML()
            self._headings[kind] = heading
            rows = [heading]
            for item in items:
                toggle = W.ToggleButton(value=False, layout=W.Layout(width="auto"))
                toggle.add_class("cb-item")
                toggle.add_class(f"cb-item-{item.id}")
                toggle.add_class(f"cb-item-kind-{kind}")
                toggle.observe(self._on_toggle_change, "value")
                explanation = W.HTML()
                explanation.add_class("cb-item-explanation")
                self._toggles[item.id] = toggle
                self._explanations[item.id] = explanation
                row = W.VBox([toggle, explanation])
                row.add_class("cb-item-row")
                rows.append(row)
            column = W.VBox(rows)
            column.add_class(f"cb-picker-{kind}s")
            columns.append(column)
        grid = W.HBox(columns)
        grid.add_class("cb-picker-columns")
        self.children = [grid]
        self._apply_language()

    def __repr__(self) -> str:
        return f"ItemPicker({len(self._toggles)} items, ticked={self.value!r})"

    @observe("language")
    def _on_language_change(self, change):
        self._apply_language()

    def _apply_language(self) -> None:
        lang = self.language
        self._headings["do"].value = f'<h3 class="cb-picker-heading cb-do">{t("catalogue.dos", lang)}</h3>'
        self._headings["dont"].value = f'<h3 class="cb-picker-heading cb-dont">{t("catalogue.donts", lang)}</h3>'
        for item_id, toggle in self._toggles.items():
            item = self._catalogue.item(item_id)
            toggle.description = item.label_in(lang)
            toggle.tooltip = item.explanation_in(lang)
            self._explanations[item_id].value = (
                f'<details><summary>{t("view.explanation", lang)}</summary>'
                f"<p>{escape(item.explanation_in(lang))}</p></details>"
            )

    def _on_toggle_change(self, change) -> None:
        self.value = [item_id for item_id, toggle in self._toggles.items() if toggle.value]

    @observe("value")
    def _on_value_change(self, change) -> None:
        chosen = set(change["new"])
        for item_id, toggle in self._toggles.items():
            if toggle.value != (item_id in chosen):
                toggle.value = item_id in chosen
            toggle.icon = "check" if item_id in chosen else ""

    @observe("disabled")
    def _on_disabled_change(self, change) -> None:
        for toggle in self._toggles.values():
            toggle.disabled = change["new"]

    def toggle(self, item_id: str) -> W.ToggleButton:
        return self._toggles[item_id]
