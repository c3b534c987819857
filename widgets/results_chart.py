"""The results chart: per item a bar per round, do's and don'ts apart, key items marked; and
above it the reveal's summary: the split items first (*Bespreek eerst*), the agreement in
words, and after round 2 how the group moved."""

from __future__ import annotations

import ipywidgets as W
from traitlets import Unicode

from casebook.cases import KeyItem
from casebook.catalogue import Catalogue, load_catalogue
from casebook.messages import t
from casebook.agreement import VERDEELD, RevealPicture
from casebook.phases import MIN_VOTERS_FOR_RESULTS
from casebook.render import central_mark_html, escape, how_mark_html
from casebook.session_state import RoundResult


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
                if entry.contested:
                    mark += (f' <span class="cb-contested-mark" title="{escape(entry.contested)}">'
                             f'{escape(t("view.contested", language))}</span>')
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


def _decimal(value: float, language: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if language == "nl" else text


def reveal_summary_html(catalogue: Catalogue, reveal: RevealPicture | None, language: str,
                        statistics: bool = False, key_visible: bool = False) -> str:
    """The split items first under *Bespreek eerst* with their k of n, the agreement in words
    (with Gwet's AC1 in small type where ``statistics``, the facilitator), and after round 2 the
    shift per item, toward or away from the key only where ``key_visible``. Nothing without a
    picture (fewer than three voters, or a round the viewer may not see)."""
    if reveal is None:
        return ""
    picture = reveal.picture
    ac1 = picture.agreement.ac1
    ac1_html = ""
    title = ""
    if statistics and ac1 is not None:
        title = f' title="{escape(t("reveal.ac1_title", language, value=_decimal(ac1, language)))}"'
        ac1_html = f' <span class="cb-ac1">{escape(t("reveal.ac1", language, value=_decimal(ac1, language)))}</span>'
    words = f'<p class="cb-agreement"{title}>{escape(picture.words)}{ac1_html}</p>'

    label, divided = reveal.discuss_first
    if divided:
        rows = "".join(
            f'<li class="cb-discuss-item cb-discuss-{s.item} cb-kind-{catalogue.item(s.item).kind} cb-label-{s.label}">'
            f'<span class="cb-discuss-label">{escape(catalogue.item(s.item).label_in(language))}</span> '
            f'<span class="cb-discuss-count" data-ticked="{s.ticked}" data-voters="{s.voters}" '
            f'title="{escape(t("reveal.ticked_of", language, ticked=s.ticked, voters=s.voters))}">'
            f'{s.ticked}/{s.voters}</span></li>'
            for s in divided
        )
        hint = "reveal.discuss_first_hint" if label == VERDEELD else "reveal.majority_only_hint"
        body = (f'<p class="cb-discuss-hint">{escape(t(hint, language, round=reveal.round))}</p>'
                f'<ol class="cb-discuss-list">{rows}</ol>')
    else:
        body = f'<p class="cb-discuss-hint">{escape(t("reveal.nothing_divided", language))}</p>'
    discuss = (f'<div class="cb-discuss-first{"" if divided else " cb-discuss-none"}"><h3 class="cb-discuss-title">{t("reveal.discuss_first", language)}</h3>'
               f'{body}</div>')

    shift_html = ""
    if picture.shift is not None and reveal.paired >= MIN_VOTERS_FOR_RESULTS:
        moved = reveal.moved
        rows = []
        for item in moved:
            direction, css = "", ""
            if key_visible and item.toward_key != item.away_from_key:
                toward = item.toward_key > item.away_from_key
                css = " cb-toward-key" if toward else " cb-away-from-key"
                arrow = "✔" if toward else "✘"
                direction = (f' <span class="cb-shift-direction">{arrow} '
                             f'{t("reveal.toward_key" if toward else "reveal.away_from_key", language)}</span>')
            n = reveal.paired
            rows.append(
                f'<li class="cb-shift-item cb-shift-{item.item}{css}" data-before="{item.ticked_before}" '
                f'data-after="{item.ticked_after}">'
                f'<span class="cb-shift-label">{escape(catalogue.item(item.item).label_in(language))}</span> '
                f'<span class="cb-shift-counts">{item.ticked_before}/{n} → {item.ticked_after}/{n}</span>'
                f'{direction}</li>'
            )
        listing = (f'<ul class="cb-shift-list">{"".join(rows)}</ul>' if rows
                   else f'<p class="cb-discuss-hint">{escape(t("reveal.nothing_moved", language))}</p>')
        totals = ""
        if key_visible and rows:
            text = t("reveal.summary_toward", language, toward=picture.shift.toward_key,
                     away=picture.shift.away_from_key)
            totals = f'<p class="cb-shift-totals">{escape(text)}</p>'
        shift_html = (f'<div class="cb-shift"><h3 class="cb-shift-title">{t("reveal.moved", language)}</h3>'
                      f'<p class="cb-discuss-hint">{escape(t("reveal.moved_hint", language, paired=reveal.paired))}</p>'
                      f'{listing}{totals}</div>')
    return (f'<div class="cb-reveal-summary" data-round="{reveal.round}">{words}'
            f'<div class="cb-reveal-parts">{discuss}{shift_html}</div></div>')


class RevealSummary(W.HTML):
    """The reveal's summary as a widget; views set it with ``show``."""

    language = Unicode("nl")

    def __init__(self, catalogue: Catalogue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-reveal-summary-box")
        self._catalogue = catalogue or load_catalogue()

    def show(self, reveal: RevealPicture | None, statistics: bool = False, key_visible: bool = False) -> None:
        value = reveal_summary_html(self._catalogue, reveal, self.language, statistics, key_visible)
        if value != self.value:
            self.value = value
