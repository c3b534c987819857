"""The session report: per case and round the counts, labels, agreement, shift and the group
against the key, plus the intervision record for LVV registration. As JSON (a dict), CSV (one
row per case x round x item) and HTML (printable on A4, like the plan). No widgets.

An open session's report is computed from its votes through the very aggregates that closing
keeps (``retention.round_aggregates``), so closing never changes the report.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import select

from casebook.agreement import (
    ADDED, HIT, MISSED, RoundTally, Shift, against_key, agreement, describe, item_splits,
)
from casebook.cases import Casebook, load_cases
from casebook.catalogue import load_catalogue
from casebook.messages import normalise_language, t
from casebook.phaselog import net_minutes, phase_runs
from casebook.phases import MIN_VOTERS_FOR_RESULTS, programme
from casebook.record import load_record, local_timestamp
from casebook.retention import ballots_by_round, round_aggregates
from casebook.sessions import _case_ids, _session
from casebook.store import RoundAggregateRow, SessionRow, Store

FORMATS = ("html", "json", "csv")
CSV_COLUMNS = (
    "session", "case_position", "case_id", "round", "voters", "shown", "item", "kind", "in_key", "how", "ticked",
    "share", "label", "verdict", "switched_on", "switched_off", "toward_key", "away_from_key",
    "raw_agreement", "ac1", "ac1_low", "ac1_high", "krippendorff_alpha", "unanimous",
)


def _planned_minutes(row: SessionRow, cases: int) -> dict[int, float]:
    minutes = row.minutes or {}
    return {step.index: minutes.get(step.phase.id, step.phase.minutes) for step in programme(row.method, cases)}


def _round(aggregate: RoundAggregateRow, language: str, how: dict[str, str] | None = None) -> dict:
    """One round of one case, from its aggregate; nothing per item below three voters. ``how``
    (key item -> goed/fout/open, from the case file) says how the VP in the case did each key item."""
    how = how or {}
    catalogue = load_catalogue()
    tally = RoundTally(aggregate.voters, dict(aggregate.counts))
    shown = tally.voters >= MIN_VOTERS_FOR_RESULTS
    moved = Shift.from_dict(aggregate.shift) if aggregate.shift else None
    shift_shown = moved is not None and moved.paired >= MIN_VOTERS_FOR_RESULTS
    entry = {"round": aggregate.round, "voters": tally.voters, "shown": shown, "words": None,
             "agreement": None, "against_key": None, "shift": None, "items": []}
    if not shown:
        entry["words"] = t("live.too_few", language, min=MIN_VOTERS_FOR_RESULTS)
        return entry
    splits = item_splits(tally, catalogue.item_ids)
    result = agreement(tally, catalogue.item_ids)
    comparison = against_key(tally, aggregate.key_items, {i.id: i.kind for i in catalogue.items})
    verdicts = {row.item: row.verdict for row in comparison.dos + comparison.donts}
    entry["words"] = describe(result, splits, language)
    entry["agreement"] = result.as_dict()
    entry["against_key"] = {kind: {v: comparison.count(v, kind) for v in (HIT, MISSED, ADDED)} for kind in ("do", "dont")}
    if shift_shown:
        entry["shift"] = {k: v for k, v in moved.as_dict().items() if k != "items"}
    for split in splits:  # split first: what the group should discuss first leads
        item = catalogue.item(split.item)
        item_shift = moved.item(split.item) if shift_shown else None
        entry["items"].append({
            "item": split.item, "text": item.label_in(language), "kind": item.kind,
            "in_key": split.item in aggregate.key_items,
            "how": (how.get(split.item) or None) if split.item in aggregate.key_items else None,
            "ticked": split.ticked, "share": round(split.share, 4),
            "label": split.label, "verdict": verdicts[split.item],
            "shift": None if item_shift is None else {
                "switched_on": item_shift.switched_on, "switched_off": item_shift.switched_off,
                "toward_key": item_shift.toward_key, "away_from_key": item_shift.away_from_key,
            },
        })
    return entry


def build_report(store: Store, code: str, casebook: Casebook | None = None, language: str | None = None) -> dict:
    """The whole report as plain data (what ``--format json`` prints). Never the vignette, and
    never who voted what."""
    book = casebook if casebook is not None else load_cases()
    catalogue = load_catalogue()
    with store.reading() as db:
        row = _session(db, code)
        language = normalise_language(language or row.language)
        case_ids = _case_ids(db, row)
        if row.closed_at is not None:
            aggregates = db.execute(select(RoundAggregateRow).where(RoundAggregateRow.session_id == row.id)
                                    .order_by(RoundAggregateRow.position, RoundAggregateRow.round)).scalars().all()
        else:
            aggregates = round_aggregates(row, case_ids, ballots_by_round(db, row.id), book)
        record = load_record(db, row.id)
        runs = phase_runs(db, row.id)
        closed_at = row.closed_at
    started = local_timestamp(record.held_on, record.start_time) if record else None
    ended = local_timestamp(record.held_on, record.end_time) if record else None
    minutes = net_minutes(runs, _planned_minutes(row, len(case_ids)), started, ended)

    cases = []
    for position, case_id in enumerate(case_ids):
        case = book.cases.get(case_id)
        how = {entry.item: entry.how for entry in case.key} if case else {}
        cases.append({
            "position": position, "case_id": case_id, "title": case.title if case else case_id,
            "themes": [catalogue.theme(theme).label_in(language) for theme in case.themes] if case else [],
            "theme_ids": list(case.themes) if case else [],
            "inbrenger": record.inbrengers.get(position, "") if record else "",
            "key": next((list(a.key_items) for a in aggregates if a.position == position), []),
            "key_how": {item: value for item, value in how.items() if value},
            "rounds": [_round(a, language, how) for a in aggregates if a.position == position],
        })
    typed = record.as_dict() if record else {}
    first_run = datetime.fromtimestamp(runs[0].entered_at) if runs else None
    return {
        "session": row.code, "title": row.title, "language": language,
        "method": row.method, "method_name": t(f"method.{row.method}", language),
        "closed": closed_at is not None,
        "record": {
            "date": typed.get("date") or (first_run.date().isoformat() if first_run else None),
            "start_time": typed.get("start_time"), "end_time": typed.get("end_time"),
            "net_contact_hours": round(minutes / 60, 2),
            "group_name": typed.get("group_name", ""), "chair": typed.get("chair", ""),
            "facilitator": typed.get("facilitator", ""), "method": t(f"method.{row.method}", language),
            "setting": typed.get("setting"), "number_present": typed.get("number_present"),
            "cases": [{"position": c["position"], "case_id": c["case_id"], "title": c["title"],
                       "themes": c["themes"], "inbrenger": c["inbrenger"]} for c in cases],
            "attendance": typed.get("attendance", []),
        },
        "cases": cases,
    }


# ------------------------------------------------------------------ formats


def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: dict) -> str:
    """One row per case x round x item, items in catalogue order; opens in Python's csv module
    and in spreadsheets. Round-level statistics repeat on each of the round's rows."""
    catalogue = load_catalogue()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for case in report["cases"]:
        for entry in case["rounds"]:
            by_item = {i["item"]: i for i in entry["items"]}
            stats = entry["agreement"] or {}
            for item in catalogue.items:
                shown = by_item.get(item.id, {})
                moved = shown.get("shift") or {}
                writer.writerow({
                    "session": report["session"], "case_position": case["position"] + 1, "case_id": case["case_id"],
                    "round": entry["round"], "voters": entry["voters"], "shown": int(entry["shown"]),
                    "item": item.id, "kind": item.kind, "in_key": int(item.id in (case["key"] or [])),
                    "how": case.get("key_how", {}).get(item.id, "") if item.id in (case["key"] or []) else "",
                    "ticked": shown.get("ticked", ""), "share": shown.get("share", ""),
                    "label": shown.get("label") or "", "verdict": shown.get("verdict") or "",
                    "switched_on": moved.get("switched_on", ""), "switched_off": moved.get("switched_off", ""),
                    "toward_key": moved.get("toward_key", ""), "away_from_key": moved.get("away_from_key", ""),
                    "raw_agreement": _number(stats.get("raw")), "ac1": _number(stats.get("ac1")),
                    "ac1_low": _number(stats.get("ac1_low")), "ac1_high": _number(stats.get("ac1_high")),
                    "krippendorff_alpha": _number(stats.get("alpha")),
                    "unanimous": int(stats["unanimous"]) if stats else "",
                })
    return out.getvalue()


def _number(value) -> str:
    return "" if value is None else f"{value:.4f}"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(loader=PackageLoader("casebook", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["number"] = lambda value, digits=2: "—" if value is None else f"{value:.{digits}f}"
    environment.filters["percent"] = lambda value: "—" if value is None else f"{round(value * 100)} %"
    return environment


def to_html(report: dict, generated: datetime | None = None) -> str:
    """One self-contained page, printable on A4."""
    language = report["language"]
    generated = generated or datetime.now(timezone.utc).astimezone()
    return _environment().get_template("report.html.j2").render(
        report=report, t=lambda key, **params: t(key, language, **params),
        generated=generated.strftime("%Y-%m-%d %H:%M"),
    )


def render(report: dict, fmt: str) -> str:
    return {"json": to_json, "csv": to_csv, "html": to_html}[fmt](report)
