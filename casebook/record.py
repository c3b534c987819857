"""The intervision record for LVV registration: what the chair types at the end of a session.

Date, start and end time, group, chair, facilitator, who brought each case (inbrenger),
physical or online, the number present and an attendance list (names and LVV member numbers).
It is stored in a table of its own (``session_records``), apart from any vote and never linked to
one, and kept when the session is closed. Saving and reading need the facilitator key; the
report (``casebook session report`` on the server) reads it with the store's own authority.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select

from casebook.sessions import FacilitatorControl, SessionError, _case_ids, _session
from casebook.store import SessionRecordRow, Store, utcnow

SETTINGS = ("fysiek", "online")
NAME_MAX = 200
ATTENDANCE_MAX = 60


class RecordError(SessionError):
    """A record field that cannot be stored; names the field."""

    def __init__(self, field_name: str, reason: str, **params):
        self.field = field_name
        super().__init__(f"record_{reason}", field=field_name, **params)


@dataclass(frozen=True)
class Attendee:
    name: str
    lvv_number: str = ""


@dataclass(frozen=True)
class IntervisionRecord:
    held_on: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    group_name: str = ""
    chair: str = ""
    facilitator: str = ""
    setting: str = "fysiek"  # fysiek (physical) or online
    inbrengers: dict[int, str] = field(default_factory=dict)  # case position -> who brought the case
    attendance: tuple[Attendee, ...] = ()
    present: int | None = None  # None: the length of the attendance list

    @property
    def number_present(self) -> int:
        return self.present if self.present is not None else len(self.attendance)

    def as_dict(self) -> dict:
        return {
            "date": self.held_on.isoformat() if self.held_on else None,
            "start_time": self.start_time.strftime("%H:%M") if self.start_time else None,
            "end_time": self.end_time.strftime("%H:%M") if self.end_time else None,
            "group_name": self.group_name, "chair": self.chair, "facilitator": self.facilitator,
            "setting": self.setting, "number_present": self.number_present,
            "inbrengers": {str(k): v for k, v in sorted(self.inbrengers.items())},
            "attendance": [{"name": a.name, "lvv_number": a.lvv_number} for a in self.attendance],
        }


def _clean_text(name: str, value, limit: int = NAME_MAX) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(name, "not_text")
    value = " ".join(value.split())
    if len(value) > limit:
        raise RecordError(name, "too_long", max=limit)
    return value


def validate(record: IntervisionRecord, cases: int) -> IntervisionRecord:
    """A cleaned copy, or ``RecordError`` naming the first field that cannot be used."""
    if record.setting not in SETTINGS:
        raise RecordError("setting", "bad_setting", choices=", ".join(SETTINGS))
    if record.start_time and record.end_time and record.end_time <= record.start_time:
        raise RecordError("end_time", "end_before_start")
    if record.present is not None and (isinstance(record.present, bool) or not isinstance(record.present, int)
                                       or not 0 <= record.present <= 200):
        raise RecordError("present", "bad_number")
    inbrengers = {}
    for position, name in (record.inbrengers or {}).items():
        if not isinstance(position, int) or not 0 <= position < cases:
            raise RecordError("inbrengers", "unknown_case", position=position)
        inbrengers[position] = _clean_text("inbrengers", name)
    if len(record.attendance) > ATTENDANCE_MAX:
        raise RecordError("attendance", "too_many", max=ATTENDANCE_MAX)
    attendance = tuple(
        Attendee(_clean_text("attendance", a.name), _clean_text("attendance", a.lvv_number, 40))
        for a in record.attendance if (a.name or "").strip() or (a.lvv_number or "").strip()
    )
    return IntervisionRecord(
        record.held_on, record.start_time, record.end_time, _clean_text("group_name", record.group_name),
        _clean_text("chair", record.chair), _clean_text("facilitator", record.facilitator), record.setting,
        inbrengers, attendance, record.present,
    )


def _from_row(row: SessionRecordRow | None) -> IntervisionRecord | None:
    if row is None:
        return None
    return IntervisionRecord(
        row.held_on, row.start_time, row.end_time, row.group_name, row.chair, row.facilitator, row.setting,
        {int(k): v for k, v in (row.inbrengers or {}).items()},
        tuple(Attendee(a.get("name", ""), a.get("lvv_number", "")) for a in row.attendance or []),
        row.present,
    )


def load_record(db, session_id: int) -> IntervisionRecord | None:
    """For the report, inside a transaction that already found the session."""
    return _from_row(db.execute(
        select(SessionRecordRow).where(SessionRecordRow.session_id == session_id)
    ).scalar_one_or_none())


def save_record(store: Store, code: str, key: str, record: IntervisionRecord) -> IntervisionRecord:
    """Store (or replace) the session's record; needs the facilitator key. Returns what was stored."""
    control = FacilitatorControl(store, code, key)  # raises NotAllowed without the key
    with store.writing() as db:
        session_row = store.lock_session(db, control.code)
        clean = validate(record, len(_case_ids(db, session_row)))
        row = db.get(SessionRecordRow, session_row.id) or SessionRecordRow(session_id=session_row.id)
        row.held_on, row.start_time, row.end_time = clean.held_on, clean.start_time, clean.end_time
        row.group_name, row.chair, row.facilitator = clean.group_name, clean.chair, clean.facilitator
        row.setting, row.present = clean.setting, clean.present
        row.inbrengers = {str(k): v for k, v in clean.inbrengers.items()}
        row.attendance = [{"name": a.name, "lvv_number": a.lvv_number} for a in clean.attendance]
        row.updated_at = utcnow()
        db.add(row)
    return clean


def read_record(store: Store, code: str, key: str) -> IntervisionRecord | None:
    """The session's record, or None when nobody typed one yet; needs the facilitator key."""
    control = FacilitatorControl(store, code, key)
    with store.reading() as db:
        return load_record(db, _session(db, control.code).id)


def local_timestamp(day: date | None, moment: time | None) -> float | None:
    """A typed date and wall-clock time as epoch seconds (the server's time zone)."""
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment).timestamp()


# ------------------------------------------------------------------ from what the chair typed


def parse_time(field_name: str, text: str) -> time | None:
    """``14:05`` (or ``14.05``, as Dutch write it) as a time; None for an empty field."""
    text = (text or "").strip().replace(".", ":")
    if not text:
        return None
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise RecordError(field_name, "bad_time") from None


def parse_present(text: str) -> int | None:
    """The number present as typed; None (count the attendance list) for an empty field."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise RecordError("present", "bad_number")
    return int(text)


def parse_attendance(text: str) -> tuple[Attendee, ...]:
    """One person per line, the name and the LVV member number separated by ``;``, a tab or
    the last comma (names may hold commas only when a ``;`` or tab follows them); blank lines skipped."""
    people = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        for separator in (";", "\t", ","):
            if separator in line:
                name, number = line.rsplit(separator, 1)
                break
        else:
            name, number = line, ""
        people.append(Attendee(name.strip(), number.strip()))
    return tuple(people)


def attendance_text(attendance) -> str:
    """The attendance list as the form shows it: the inverse of ``parse_attendance``."""
    return "\n".join(f"{a.name}; {a.lvv_number}" if a.lvv_number else a.name for a in attendance)
