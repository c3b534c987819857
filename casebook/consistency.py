"""Key consistency: the rules of docs/case-format.md that can be checked mechanically.

The same behaviour should get the same key in every case. Most of that takes a trainer's
reading; what a program can see reliably is checked here and reported by ``casebook check``
as warnings (a case still loads and is served):

- ``tag_not_in_key``: a dialogue turn is tagged with an item the key does not hold.
- ``limits_not_standard``: a VP turn tells the melder what stays confidential, the key says
  the VP stresses confidentiality well, but the turn does not use the catalogue's standard
  wording of the limits (``confidentiality_limits`` in catalogue.yml).
- ``confidentiality_not_keyed``: a VP turn tells the melder what stays confidential without
  the standard wording, and the key does not hold ``geheimhouding-benadrukken`` at all
  (a promise without its limits is ``fout`` or ``open``, never silent).
- ``broken_promise_not_keyed``: a VP says nothing happens without the melder's consent, the
  key says the VP then acts or passes something on without it (``fout``), and the broken
  promise is not keyed as ``beloftes-doen``.
"""

from __future__ import annotations

import re

from casebook.cases import Case
from casebook.catalogue import Catalogue, load_catalogue
from casebook.exceptions import CaseFileWarning

CONFIDENTIALITY = "geheimhouding-benadrukken"
PROMISES = "beloftes-doen"
BREACHES = ("actie-ondernemen-zonder-toestemming", "doorvertellen")

# a VP telling the melder what stays confidential ("wat je me vertelt, blijft tussen ons")
STATES_CONFIDENTIALITY = re.compile(
    r"\b((?:alles )?wat je (?:hier |me |mij )*(?:vertelt|zegt),? (?:blijft|gaat)"
    r"|(?:everything|what) you (?:tell|say to) me(?: here)?,? (?:stays|remains|is|will))",
    re.IGNORECASE,
)
# a VP saying nothing happens without the melder's consent
NOTHING_WITHOUT_YOU = re.compile(
    r"(niets zonder (?:jouw|je) (?:toestemming|instemming)|niets zonder dat jij|"
    r"nothing (?:happens )?without your|do nothing without your|no step without your)",
    re.IGNORECASE,
)


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def uses_standard_limits(text: str, catalogue: Catalogue) -> bool:
    """Whether a turn contains the catalogue's standard wording of the limits (either language)."""
    said = _normalised(text)
    return any(_normalised(wording) in said for wording in catalogue.confidentiality_limits.values() if wording)


def consistency_warnings(case: Case, catalogue: Catalogue | None = None) -> list[CaseFileWarning]:
    """The key consistency warnings for one loaded case, each with the line of the turn."""
    catalogue = catalogue or load_catalogue()
    warnings: list[CaseFileWarning] = []
    keyed = {entry.item: entry for entry in case.key}

    def warn(code: str, index: int, **params):
        warnings.append(CaseFileWarning(case.path, code, case.lines.get(f"dialogue.{index}"),
                                        turn=index + 1, **params))

    for index, turn in enumerate(case.dialogue):
        for item in turn.items:
            if item not in keyed:
                warn("tag_not_in_key", index, item=item)
        if turn.speaker != "vp":
            continue
        if STATES_CONFIDENTIALITY.search(turn.text) and not uses_standard_limits(turn.text, catalogue):
            entry = keyed.get(CONFIDENTIALITY)
            if entry is None:
                warn("confidentiality_not_keyed", index, item=CONFIDENTIALITY)
            elif entry.how == "goed":
                warn("limits_not_standard", index, item=CONFIDENTIALITY)
        if NOTHING_WITHOUT_YOU.search(turn.text) and PROMISES not in keyed:
            broken = [item for item in BREACHES if item in keyed and keyed[item].how == "fout"]
            if broken:
                warn("broken_promise_not_keyed", index, item=PROMISES, breach=broken[0])
    return warnings
