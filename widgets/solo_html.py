"""HTML of the solo review: the feedback on one answer and the progress chart.

Plain functions of domain objects (``Feedback``, ``Progress``) so views and tests share them.
"""

from __future__ import annotations

from casebook.cases import Case, Casebook
from casebook.catalogue import Catalogue
from casebook.messages import t
from casebook.progress import Answer, NextCase, Progress
from casebook.render import central_mark_html, contested_html, escape, how_mark_html, legal_status_html
from casebook.solo import ADDED, FOUND, LEFT_OUT, MISSED, Feedback, TurnVerdict
from widgets.common import item_chip

STATUS_MARK = {FOUND: "✓", MISSED: "✗", ADDED: "+", LEFT_OUT: "·"}
HISTORY_SHOWN = 12


def _chips(catalogue: Catalogue, items, language: str) -> str:
    return " ".join(item_chip(catalogue, item, language) for item in items)


# ------------------------------------------------------------------ feedback on one answer


def score_html(feedback: Feedback, catalogue: Catalogue, language: str) -> str:
    """The score, told: a strip with one cell per key item and per added item, and the counts."""
    cells = []
    for status in (FOUND, MISSED, ADDED):
        for item in getattr(feedback, status):
            label = escape(catalogue.item(item).label_in(language))
            cells.append(f'<span class="cb-strip-cell cb-strip-{status}" title="{label}">{STATUS_MARK[status]}</span>')
    found, missed, added = (len(feedback.found), len(feedback.missed), len(feedback.added))
    parts = feedback.score_parts(language)
    return (
        f'<div class="cb-score" data-found="{found}" data-missed="{missed}" data-added="{added}">'
        f'<div class="cb-score-headline">{escape(feedback.headline(language))}</div>'
        f'<div class="cb-score-strip">{"".join(cells)}</div>'
        f'<div class="cb-score-parts">'
        f'<span class="cb-score-found">{STATUS_MARK[FOUND]} {escape(parts[0])}</span>'
        f'<span class="cb-score-missed">{STATUS_MARK[MISSED]} {escape(parts[1])}</span>'
        f'<span class="cb-score-added">{STATUS_MARK[ADDED]} {escape(parts[2])}</span>'
        f"</div></div>"
    )


def _verdict_card(feedback: Feedback, item_id: str, catalogue: Catalogue, language: str) -> str:
    verdict = feedback.verdict(item_id)
    item = catalogue.item(item_id)
    ticked = t("solo.feedback.ticked" if verdict.ticked else "solo.feedback.not_ticked", language)
    in_key = t("solo.feedback.in_key" if verdict.in_key else "solo.feedback.not_in_key", language)
    how = ""
    if verdict.in_key:
        if verdict.how:
            how = f'<p class="cb-fb-how">{how_mark_html(verdict.how, language, "solo.feedback.how")}</p>'
        body = (f'{how}<p class="cb-why"><span class="cb-why-label">{t("solo.feedback.why", language)}</span> '
                f"{escape(verdict.reason or '')}</p>{contested_html(verdict.contested, language)}")
    else:
        body = f'<p class="cb-added-note">{t("solo.feedback.added_note", language)}</p>'
    classes = f"cb-fb-item cb-fb-{verdict.status} cb-fb-{item_id}"
    classes += (f" cb-how-{verdict.how}" if verdict.how else "") + (" cb-central" if verdict.central else "")
    return (
        f'<div class="{classes}" data-status="{verdict.status}">'
        f'<div class="cb-fb-head"><span class="cb-fb-mark">{STATUS_MARK[verdict.status]}</span>'
        f"{item_chip(catalogue, item_id, language)}{central_mark_html(verdict.central, language)}"
        f'<span class="cb-fb-state">{escape(ticked)} · {escape(in_key)}</span></div>'
        f"{body}"
        f'<details><summary>{t("view.explanation", language)}</summary>'
        f"<p>{escape(item.explanation_in(language))}</p></details></div>"
    )


def _turn_html(turn: TurnVerdict, catalogue: Catalogue, language: str) -> str:
    lines = []
    if turn.untagged:
        lines.append(f'<div class="cb-turn-diff cb-turn-untagged">{t("solo.turns.key_sees", language)} '
                     f"{_chips(catalogue, turn.untagged, language)}</div>")
    if turn.extra:
        lines.append(f'<div class="cb-turn-diff cb-turn-extra">{t("solo.turns.you_saw", language)} '
                     f"{_chips(catalogue, turn.extra, language)}</div>")
    if turn.agrees:
        both = _chips(catalogue, turn.key_items, language) if turn.key_items else t("solo.turns.nothing", language)
        lines.append(f'<div class="cb-turn-diff cb-turn-same">{t("solo.turns.same", language)} {both}</div>')
    state = "same" if turn.agrees else "differs"
    return (
        f'<div class="cb-fb-turn cb-fb-turn-{state}" data-turn="{turn.index}">'
        f'<div class="cb-fb-turn-head">{t("solo.turns.turn", language, number=turn.number)}</div>'
        f'<blockquote class="cb-fb-turn-text">{escape(turn.text)}</blockquote>{"".join(lines)}</div>'
    )


def turns_html(feedback: Feedback, catalogue: Catalogue, language: str) -> str:
    if not feedback.turns:
        return ""
    head = f'<h3 class="cb-fb-heading">{t("solo.turns.heading", language)}</h3>'
    summary = f'<p class="cb-fb-turn-summary">{escape(feedback.turn_summary(language))}</p>'
    if not feedback.turns_tagged:
        return f'<div class="cb-fb-turns">{head}{summary}</div>'
    differing = [_turn_html(turn, catalogue, language) for turn in feedback.turns if not turn.agrees]
    same = [_turn_html(turn, catalogue, language) for turn in feedback.turns if turn.agrees]
    rest = ""
    if same:
        rest = (f'<details class="cb-fb-same-turns"><summary>{t("solo.turns.same_heading", language, count=len(same))}'
                f'</summary>{"".join(same)}</details>')
    return f'<div class="cb-fb-turns">{head}{summary}{"".join(differing)}{rest}</div>'


def feedback_html(feedback: Feedback, case: Case, catalogue: Catalogue, language: str) -> str:
    """Everything a reviewer gets after checking: score, items with reasons, turns, then the
    case's questions and what happened."""
    sections = [f'<div class="cb-fb-case">{t("solo.feedback.case", language, title=escape(case.title))}</div>',
                score_html(feedback, catalogue, language)]
    for status, heading in ((MISSED, "solo.feedback.missed_heading"), (FOUND, "solo.feedback.found_heading"),
                            (ADDED, "solo.feedback.added_heading")):
        items = getattr(feedback, status)
        if items:
            cards = "".join(_verdict_card(feedback, item, catalogue, language) for item in items)
            sections.append(
                f'<div class="cb-fb-group cb-fb-group-{status}">'
                f'<h3 class="cb-fb-heading">{t(heading, language, count=len(items))}</h3>{cards}</div>'
            )
    if feedback.left_out:
        sections.append(
            f'<details class="cb-fb-left-out"><summary>'
            f'{t("solo.feedback.left_out_heading", language, count=len(feedback.left_out))}</summary>'
            f'<div class="cb-fb-left-out-items">{_chips(catalogue, feedback.left_out, language)}</div></details>'
        )
    sections.append(turns_html(feedback, catalogue, language))
    if case.questions:
        questions = "".join(f"<li>{escape(q)}</li>" for q in case.questions)
        sections.append(f'<h3 class="cb-fb-heading">{t("view.questions", language)}</h3>'
                        f'<ul class="cb-questions">{questions}</ul>')
    if case.what_happened:
        sections.append(f'<h3 class="cb-fb-heading">{t("view.what_happened", language)}</h3>'
                        f'<p class="cb-what-happened">{escape(case.what_happened)}</p>')
    if case.context:
        sections.append(f'<h3 class="cb-fb-heading">{t("view.context", language)}</h3>'
                        f'<p class="cb-context">{escape(case.context)}</p>')
    sections.append(legal_status_html(catalogue, language))
    return f'<div class="cb-feedback-box">{"".join(sections)}</div>'


# ------------------------------------------------------------------ progress


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def progress_summary_html(progress: Progress, language: str) -> str:
    if not progress.answers:
        return f'<div class="cb-progress-empty">{t("solo.progress.empty", language)}</div>'
    found = sum(len(a.found) for a in progress.answers)
    in_key = sum(len(a.key_items) for a in progress.answers)
    added = sum(len(a.added) for a in progress.answers)
    figures = [
        (len(progress.answers), t("solo.progress.answer" if len(progress.answers) == 1 else "solo.progress.answers",
                                  language)),
        (len(progress.case_ids), t("solo.progress.case" if len(progress.case_ids) == 1 else "solo.progress.cases",
                                   language)),
        (f"{found}/{in_key}", t("solo.progress.found_total", language, percent=_percent(found, in_key))),
        (added, t("solo.progress.added_total", language)),
    ]
    cells = "".join(f'<div class="cb-figure"><div class="cb-figure-value">{escape(str(v))}</div>'
                    f'<div class="cb-figure-label">{escape(label)}</div></div>' for v, label in figures)
    return f'<div class="cb-progress-figures" data-answers="{len(progress.answers)}">{cells}</div>'


def progress_chart_html(progress: Progress, catalogue: Catalogue, language: str) -> str:
    """Per item a bar as long as the times the key had it: found part, missed part; do's and
    don'ts apart; weak items marked."""
    if not progress.answers:
        return ""
    widest = max([s.in_key for s in progress.stats.values()] + [1])
    legend = (
        f'<div class="cb-legend-row"><span class="cb-legend"><span class="cb-swatch cb-swatch-found"></span>'
        f'{t("solo.chart.found", language)}</span><span class="cb-legend"><span class="cb-swatch cb-swatch-missed">'
        f'</span>{t("solo.chart.missed", language)}</span><span class="cb-legend cb-legend-note">'
        f'{t("solo.chart.scale", language)}</span></div>'
    )
    columns = []
    for kind, items in (("do", catalogue.dos), ("dont", catalogue.donts)):
        rows = []
        for item in items:
            stats = progress.stats[item.id]
            classes = ["cb-progress-row", f"cb-progress-{item.id}"]
            badge = ""
            if stats.weak:
                classes.append("cb-weak")
                badge = f' <span class="cb-weak-mark">{t("solo.chart.weak", language)}</span>'
            elif stats.strong:
                classes.append("cb-strong")
            if stats.in_key:
                found_w = 100 * stats.found / widest
                missed_w = 100 * stats.missed / widest
                bar = (f'<div class="cb-pbar"><div class="cb-pbar-found" style="width:{found_w:.1f}%"></div>'
                       f'<div class="cb-pbar-missed" style="width:{missed_w:.1f}%"></div></div>'
                       f'<span class="cb-pbar-count">{stats.found}/{stats.in_key}</span>')
            else:
                bar = f'<span class="cb-pbar-none">{t("solo.chart.not_yet", language)}</span>'
            extra = (f'<span class="cb-pbar-added" title="{escape(t("solo.chart.added_title", language))}">'
                     f'+{stats.added}</span>' if stats.added else "")
            rows.append(
                f'<div class="{" ".join(classes)}" data-found="{stats.found}" data-missed="{stats.missed}" '
                f'data-added="{stats.added}">'
                f'<div class="cb-progress-label">{escape(item.label_in(language))}{badge}</div>'
                f'<div class="cb-pbar-line">{bar}{extra}</div></div>'
            )
        columns.append(
            f'<div class="cb-results-column cb-progress-{kind}s">'
            f'<h3 class="cb-{kind}">{t("catalogue." + kind + "s", language)}</h3>{"".join(rows)}</div>'
        )
    return (f'<div class="cb-progress-chart-box">{legend}'
            f'<div class="cb-results-columns">{"".join(columns)}</div></div>')


def weak_html(progress: Progress, suggestion: NextCase | None, catalogue: Catalogue, language: str) -> str:
    if not progress.answers:
        return ""
    weak = progress.weak_items
    if weak:
        text = (f'<div class="cb-weak-heading">{t("solo.progress.weak_heading", language)}</div>'
                f'<div class="cb-weak-items">{_chips(catalogue, weak, language)}</div>')
    else:
        text = f'<div class="cb-weak-heading">{t("solo.progress.no_weak", language)}</div>'
    return f'<div class="cb-weak-box">{text}{next_case_html(suggestion, catalogue, language)}</div>'


def next_case_html(suggestion: NextCase | None, catalogue: Catalogue, language: str) -> str:
    if suggestion is None:
        return ""
    case = suggestion.case
    why = (t("solo.next.practises", language) + " " + _chips(catalogue, suggestion.practises, language)
           if suggestion.practises else t("solo.next.new", language))
    return (f'<div class="cb-next-suggestion" data-case="{escape(case.id)}">'
            f'<div class="cb-next-label">{t("solo.next.label", language)}</div>'
            f'<div class="cb-next-title">{escape(case.title)}</div>'
            f'<div class="cb-next-why">{why}</div></div>')


def history_html(progress: Progress, casebook: Casebook, language: str) -> str:
    if not progress.answers:
        return ""
    rows = []
    for answer in list(reversed(progress.answers))[:HISTORY_SHOWN]:
        rows.append(_history_row(answer, casebook, language))
    more = len(progress.answers) - HISTORY_SHOWN
    tail = f'<p class="cb-note">{t("solo.history.more", language, count=more)}</p>' if more > 0 else ""
    return (f'<h3 class="cb-history-heading">{t("solo.history.heading", language)}</h3>'
            f'<table class="cb-history-table"><thead><tr><th>{t("solo.history.when", language)}</th>'
            f'<th>{t("solo.history.case", language)}</th><th>{t("solo.history.score", language)}</th>'
            f'<th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>{tail}')


def _history_row(answer: Answer, casebook: Casebook, language: str) -> str:
    case = casebook.cases.get(answer.case_id)
    title = escape(case.title) if case else escape(answer.case_id)
    when = answer.answered_at.astimezone().strftime("%Y-%m-%d %H:%M")
    found, missed, added, key = len(answer.found), len(answer.missed), len(answer.added), len(answer.key_items)
    score = t("solo.history.row", language, found=found, total=key, missed=missed, added=added)
    width = max(key + added, 1)
    bar = (f'<div class="cb-mini-bar"><span class="cb-mini-found" style="width:{100 * found / width:.1f}%"></span>'
           f'<span class="cb-mini-missed" style="width:{100 * missed / width:.1f}%"></span>'
           f'<span class="cb-mini-added" style="width:{100 * added / width:.1f}%"></span></div>')
    return (f'<tr class="cb-history-row" data-case="{escape(answer.case_id)}"><td class="cb-history-when">{when}</td>'
            f"<td>{title}</td><td>{escape(score)}</td><td>{bar}</td></tr>")
