"""The results chart: per item a bar per round, do's and don'ts apart, key items marked."""

from __future__ import annotations

import ipywidgets as W
from traitlets import Unicode

from casebook.catalogue import Catalogue, load_catalogue
from casebook.messages import t
from casebook.render import escape
from casebook.sessions import RoundResult


def results_html(
    catalogue: Catalogue,
    rounds: dict[int, RoundResult | None],
    language: str,
    key_items: tuple[str, ...] = (),
) -> str:
    """``rounds`` maps round number to its result, or None where it may not be shown."""
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
            mark = f' <span class="cb-key-mark">{t("live.in_key", language)}</span>' if item.id in key_items else ""
            data = " ".join(f'data-round-{n}="{r.counts.get(item.id, 0)}"' for n, r in shown.items())
            rows.append(
                f'<div class="cb-result cb-result-{item.id}{" cb-in-key" if mark else ""}" {data}>'
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

    def show(self, rounds: dict[int, RoundResult | None], key_items: tuple[str, ...] = ()) -> None:
        value = results_html(self._catalogue, rounds, self.language, key_items)
        if value != self.value:
            self.value = value
