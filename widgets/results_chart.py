"""The results chart: per item a bar per round, do's and don'ts apart, key items marked."""

from __future__ import annotations

import ipywidgets as W
from traitlets import Unicode

from casebook.cases import KeyItem
from casebook.catalogue import Catalogue, load_catalogue
from casebook.messages import t
from casebook.render import central_mark_html, escape, how_mark_html
from casebook.sessions import RoundResult


def results_html(
    catalogue: Catalogue,
    rounds: dict[int, RoundResult | None],
    language: str,
    key: tuple[KeyItem, ...] = (),
) -> str:
    """``rounds`` maps round number to its result, or None where it may not be shown; ``key``
    (the case's key entries, where the viewer may see them) marks each key item with how the
    VP did beside its result."""
    key_entries = {entry.item: entry for entry in key}
    shown = {number: result for number, result in rounds.items() if result is not None}
    if not shown:
        return ""
    legend = " ".join(
        f'<span class="cb-legend cb-round-{n}"><span class="cb-swatch"></span>'
        f'{t("live.round", language, round=n)} · {t("live.voters", language, count=r.voters)}</span>'
        for n, r in shown.items()
    )
    columns = []
    for kind, items in (("do", catalogue.dos), ("dont", catalogue.donts)):
        rows = []
        for item in items:
            bars = []
            for number, result in shown.items():
                count = result.counts.get(item.id, 0)
                percent = round(100 * result.share(item.id))
                bars.append(
                    f'<div class="cb-bar-line cb-round-{number}">'
                    f'<div class="cb-bar" style="width:{percent}%"></div>'
                    f'<span class="cb-bar-count" data-round="{number}">{count}/{result.voters}</span></div>'
                )
            entry = key_entries.get(item.id)
            mark = ""
            classes = f"cb-result cb-result-{item.id}"
            if entry is not None:
                mark = (f' <span class="cb-key-mark">{t("live.in_key", language)}</span>'
                        f"{central_mark_html(entry.central, language)}{how_mark_html(entry.how, language)}")
                classes += " cb-in-key" + (f" cb-how-{entry.how}" if entry.how else "")
                classes += " cb-central" if entry.central else ""
            data = " ".join(f'data-round-{n}="{r.counts.get(item.id, 0)}"' for n, r in shown.items())
            rows.append(
                f'<div class="{classes}" {data}>'
                f'<div class="cb-result-label">{escape(item.label_in(language))}{mark}</div>'
                f'<div class="cb-bars">{"".join(bars)}</div></div>'
            )
        columns.append(
            f'<div class="cb-results-column cb-results-{kind}s">'
            f'<h3 class="cb-{kind}">{t("catalogue." + kind + "s", language)}</h3>{"".join(rows)}</div>'
        )
    return f'<div class="cb-results"><div class="cb-legend-row">{legend}</div><div class="cb-results-columns">{"".join(columns)}</div></div>'


class ResultsChart(W.HTML):
    """The chart as a widget; views set its rounds with ``show``."""

    language = Unicode("nl")

    def __init__(self, catalogue: Catalogue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-results-chart")
        self._catalogue = catalogue or load_catalogue()

    def show(self, rounds: dict[int, RoundResult | None], key: tuple[KeyItem, ...] = ()) -> None:
        value = results_html(self._catalogue, rounds, self.language, key)
        if value != self.value:
            self.value = value
