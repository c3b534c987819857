"""A session's parameters, defined once.

``SessionParameters`` is what a trainer chooses for a session. The same definition gives the
papermill template's accepted names and types (``PARAMETER_TYPES``), the checks every way of
creating a session runs (``checked()``), and the options and help of ``casebook session new``.
Papermill writes parameter *names* into the notebook's code unescaped: only names declared
here ever reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from casebook.exceptions import BadParameter, UnknownMethod
from casebook.messages import LANGUAGES
from casebook.phases import DEFAULT_METHOD, METHODS, phases_of

MAX_MINUTES = 240
TITLE_MAX = 200


def _option(types: tuple[type, ...], help: str, **extra) -> dict:
    return {"types": types, "help": help, **extra}


@dataclass(frozen=True)
class SessionParameters:
    """What a trainer chooses for a session (defaults are the template's own)."""

    cases: list = field(default_factory=list, metadata=_option(
        (list,), "Case ids, in the order the group discusses them (comma- or space-separated).", cli="--cases"))
    method: str = field(default=DEFAULT_METHOD, metadata=_option(
        (str,), f"Intervision method: {' or '.join(METHODS)}.", cli="--method"))
    language: str = field(default="nl", metadata=_option(
        (str,), "Language of every screen and of the plan: nl or en (default: --language).", cli="--session-language"))
    title: str = field(default="", metadata=_option(
        (str,), "Title shown on every screen and on the plan.", cli="--title"))
    minutes: dict | int | float = field(default_factory=dict, metadata=_option(
        (dict, int, float), "Minutes per phase: one number for every phase, or 'phase=minutes,phase=minutes'.",
        cli="--minutes"))
    reveal_key: bool = field(default=True, metadata=_option(
        (bool,), "Show participants the trainer's key in the key phase (--no-key: never).", cli="--key/--no-key"))

    def checked(self, casebook) -> SessionParameters:
        """The same parameters, validated against ``casebook``; BadParameter names the first bad
        one (nothing is written before this passes). ``minutes`` comes back as a dict."""
        cases = self.cases
        if isinstance(cases, str) or not isinstance(cases, (list, tuple)) or not cases:
            raise BadParameter("cases", cases, "cases_list")
        for case_id in cases:
            if not isinstance(case_id, str) or case_id not in casebook.cases:
                raise BadParameter("cases", case_id, "case_unknown")
        try:
            phases_of(self.method)
        except UnknownMethod:
            raise BadParameter("method", self.method, "method_unknown", methods=", ".join(METHODS)) from None
        if self.language not in LANGUAGES:
            raise BadParameter("language", self.language, "language_unknown")
        if not isinstance(self.title, str) or len(self.title) > TITLE_MAX:
            raise BadParameter("title", self.title, "title_shape", max=TITLE_MAX)
        if not isinstance(self.reveal_key, bool):
            raise BadParameter("reveal_key", self.reveal_key, "reveal_key_shape")
        return replace(self, cases=list(cases), minutes=validate_minutes(self.method, self.minutes))

    def minutes_of(self, phase) -> float:
        minutes = self.minutes if isinstance(self.minutes, dict) else {}
        return minutes.get(phase.id, phase.minutes)


def validate_minutes(method: str, minutes) -> dict[str, float]:
    """Minutes per phase id: one number for every phase, or a dict of some phases."""
    phase_ids = [p.id for p in phases_of(method)]
    if minutes in (None, {}):
        return {}
    if isinstance(minutes, (int, float)) and not isinstance(minutes, bool):
        minutes = {phase: minutes for phase in phase_ids}
    if not isinstance(minutes, dict):
        raise BadParameter("minutes", minutes, "minutes_shape")
    clean = {}
    for phase, value in minutes.items():
        if phase not in phase_ids:
            raise BadParameter("minutes", minutes, "unknown_phase", phase=phase, phases=", ".join(phase_ids))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_MINUTES:
            raise BadParameter("minutes", minutes, "minutes_range", phase=phase, minutes=value, max=MAX_MINUTES)
        clean[phase] = value
    return clean


# What the papermill template declares beyond a session's parameters: where the session is
# kept and, when an executed plan is run again, which session it is. Never the facilitator's
# key: an executed plan holds no authority by itself (the key travels only in its link).
PLAN_ONLY_TYPES: dict[str, tuple[type, ...]] = {"store": (str,), "session_code": (str,)}

# Every name the template may receive, with the Python types its value may have.
PARAMETER_TYPES: dict[str, tuple[type, ...]] = {
    **{f.name: f.metadata["types"] for f in fields(SessionParameters)},
    **PLAN_ONLY_TYPES,
}


def session_fields():
    """The fields of SessionParameters with their types and help (for the CLI and the docs)."""
    return fields(SessionParameters)
