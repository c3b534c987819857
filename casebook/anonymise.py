"""The anonymisation gate's check (DESIGN.md §6): direct and indirect identifiers in case texts.

Two layers. ``deduce`` (a maintained de-identification library for Dutch text) finds names,
places, hospitals and care institutions, dates, phone numbers, e-mail and web addresses, BSNs
and long numbers. Rules of our own add what it misses in vignettes: staff numbers, licence
plates, social media handles, international phone numbers, dates without a year, dates of
birth, IBANs, street addresses, names of employers, schools and municipalities, and proper
names in the middle of a sentence. A filter drops deduce's typical false finding: an
ordinary word at the start of a sentence that happens to be in its lists of names ("Pas toen
...", "Mooi dat ...", "Just ...").

deduce's lookup data is built once (``prepare()``, run by ``scripts/install`` through
``casebook anonymisation prepare``) into the user's cache folder. Loading it takes seconds and
about a gigabyte of memory, so this module is imported only by the tools that check
(``casebook check``, the author app, the clearance subprocess) and never by a page that
participants open (see ``casebook/clearance.py``).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path


from casebook.config import cache_dir
from casebook.exceptions import AnonymisationSetupError
from casebook.yamlfile import load_yaml

log = logging.getLogger("casebook")

# Stable ids of the kinds of identifier, in the order of DESIGN.md §6.
KINDS = (
    "naam", "telefoonnummer", "e-mail", "url", "social-media", "bsn", "iban", "postcode", "adres",
    "datum", "geboortedatum", "kenteken", "personeelsnummer", "identificatienummer",
    "organisatie", "zorginstelling", "school", "gemeente", "plaats", "eigennaam",
)
# When two findings overlap, the more telling kind wins, then the longer one: a capitalised
# word next to an org word ("Bakkerij Vermeulen") tells more than deduce's guess at a name.
_GENERIC_KINDS = {"eigennaam": 0, "identificatienummer": 1, "naam": 2, "plaats": 2}

DEDUCE_VERSION = metadata.version("deduce")


# ------------------------------------------------------------------ findings


@dataclass(frozen=True)
class Finding:
    """One identifier: its kind, the text, offsets into the text checked and the line.

    ``field`` names the part of a case it is in (``body``, ``title``, ``key[2].why`` ...);
    ``line`` is the line in the file where known, else the line in the text checked;
    ``allowed`` marks a finding the case's ``allow:`` list lets pass.
    """

    kind: str
    text: str
    start: int
    end: int
    line: int
    field: str = ""
    allowed: bool = False

    def message(self, language: str = "nl") -> str:
        from casebook.messages import t

        where = f"{self.field}: " if self.field else ""
        return where + t("anonymisation.finding", language, kind=t(f"anonymisation.kind.{self.kind}", language),
                         text=self.text)

    def as_dict(self, language: str = "nl") -> dict:
        data = asdict(self)
        data["message"] = self.message(language)
        return data


@dataclass
class CaseFindings:
    """What the check found in one case: ``findings`` block it, ``allowed`` were let pass."""

    findings: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings

    def by_field(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.field, []).append(finding)
        return grouped


# ------------------------------------------------------------------ deduce: set-up and loading


def lookup_dir() -> Path:
    return cache_dir() / f"deduce-{DEDUCE_VERSION}"


def _stamp() -> Path:
    return lookup_dir() / "built"


def is_prepared() -> bool:
    return _stamp().exists() and (lookup_dir() / "cache" / "lookup_structs.pickle").exists()


def _import_deduce():
    # deduce calls logging.basicConfig(DEBUG, stdout) on import, which would print every
    # debug line of every library to stdout (and into --format json): give the root logger
    # a handler for the moment, so that call does nothing.
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        import deduce
    finally:
        root.removeHandler(guard)
    return deduce


def prepare(force: bool = False, progress=None, language: str | None = None) -> Path:
    """Build deduce's lookup structures once from the lists the package ships.

    ``progress`` is called with a line of text to show (default: standard error).
    """
    say = progress or (lambda text: print(text, file=sys.stderr, flush=True))
    if is_prepared() and not force:
        say(_message("prepare_done", language, path=str(lookup_dir())))
        return lookup_dir()
    say(_message("prepare_start", language, version=DEDUCE_VERSION, path=str(lookup_dir())))
    deduce = _import_deduce()
    lookup_dir().mkdir(parents=True, exist_ok=True)
    try:
        deduce.Deduce(cache_path=lookup_dir(), build_lookup_structs=True)
    except Exception as exc:  # noqa: BLE001 - told to the user with the cause
        raise AnonymisationSetupError(f"cannot build deduce's lookup data in {lookup_dir()}: {exc}") from exc
    _stamp().write_text(DEDUCE_VERSION)
    say(_message("prepare_done", language, path=str(lookup_dir())))
    return lookup_dir()


def _message(key: str, language: str | None, **params) -> str:
    from casebook.messages import t

    return t(f"anonymisation.{key}", language, **params)


_loading = threading.Lock()


def _deducer():
    """One Deduce per process; built lookup data is prepared first when missing."""
    with _loading:  # the author app warms it up in a thread while the user types
        return _load_deducer()


@lru_cache(maxsize=1)
def _load_deducer():
    if not is_prepared():
        prepare()
    deduce = _import_deduce()
    return deduce.Deduce(cache_path=lookup_dir())


def warm_up() -> None:
    """Load deduce's lookup data now (seconds), so that the first check is quick."""
    _deducer()


@lru_cache(maxsize=1)
def _word_lists() -> dict:
    data = load_yaml(resources.files("casebook").joinpath("data", "anonymisation.yml").read_text("utf-8"))
    ordinary = {w.lower() for words in data["ordinary_words"].values() for w in words}
    # deduce ships lists of common Dutch words; read them without loading deduce
    source = Path(metadata.distribution("deduce").locate_file("deduce")) / "data" / "lookup" / "src" / "whitelist"
    for name in ("lst_common_word", "lst_stop_word"):
        path = source / name / "items.txt"
        if path.exists():
            ordinary |= {w.strip().lower() for w in path.read_text("utf-8").splitlines() if w.strip()}
    return {
        "ordinary": ordinary,
        "capitalised": {w.lower() for w in data["ordinary_capitalised"]},
        "abbreviations": set(data["known_abbreviations"]),
    }


# ------------------------------------------------------------------ our own rules

_MONTHS_NL = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
              "|jan|feb|febr|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec")
_MONTHS_EN = ("January|February|March|April|May|June|July|August|September|October|November|December"
              "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
_WEEKDAYS = ("maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
             "|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_BIRTH_BEFORE = re.compile(
    r"(?i)(?:geboren|geb\.|geboortedatum|geboortedag|verjaardag|jarig|born|date of birth|birthday|d\.?o\.?b\.?)"
    r"(?:\W*(?:op|on|is|was|de|the|:))*\W*$"
)
_BIRTH_AFTER = re.compile(r"(?i)^\W*(?:jarig|verjaardag|birthday)")
# A name: capitalised words, with Dutch interfixes ("van", "de", "ter") between them.
_CAP = r"(?:[A-ZÀ-Þ][\w'’&.-]*\w|[A-ZÀ-Þ])"
_NAME = rf"(?:(?:De|Het|'t|’t|The|St\.?|Sint)\s+)?{_CAP}(?:\s+(?:(?:van|de|der|den|het|ten|ter|'t|’t|&)\s+)*{_CAP})*"

_CARE_HEADS = ("ziekenhuis|kliniek|klinieken|zorggroep|zorgcentrum|zorgcentra|verpleeghuis|verzorgingshuis"
               "|woonzorgcentrum|huisartsenpraktijk|huisartsenpost|thuiszorg|ggz|medisch centrum|mc|umc"
               "|revalidatiecentrum|hospice|apotheek|tandartspraktijk|zorginstelling|jeugdzorg|hospital|clinic")
_SCHOOL_HEADS = ("basisschool|school|lyceum|college|gymnasium|hogeschool|universiteit|academie|kindcentrum"
                 "|scholengemeenschap|scholengroep|roc|daltonschool|montessorischool|kinderopvang|kinderdagverblijf"
                 "|peuterspeelzaal|opleidingscentrum|academy|university|primary school|high school")
_MUNICIPALITY_HEADS = "gemeente|provincie|waterschap|hoogheemraadschap|stadsdeel|municipality|council|city of"
_ORG_HEADS = ("stichting|coöperatie|bureau|bank|hotel|restaurant|café|garage|bakkerij|slagerij|supermarkt"
              "|winkel|firma|fa\\.|uitzendbureau|advocatenkantoor|accountantskantoor|woningcorporatie"
              "|sportschool|zwembad|camping|theater|museum|bibliotheek|voetbalclub|sportclub|hockeyclub"
              "|tennisclub|transportbedrijf|bouwbedrijf|schoonmaakbedrijf|installatiebedrijf|callcenter"
              "|distributiecentrum|fabriek|company|firm|agency|bakery|factory|warehouse")
_ORG_TAILS = ("Groep|Group|Holding|Bouw|Transport|Logistiek|Logistics|Techniek|Installatietechniek|Schoonmaak"
              "|Advocaten|Accountants|Makelaardij|Vastgoed|Consultancy|Services|Wonen|Welzijn|Foods|Bank"
              "|Verzekeringen|Uitzendbureau|Catering|Beveiliging|Security|Media|Retail|Motors|Solutions")
_CARE_TAILS = "Ziekenhuis|Kliniek|Klinieken|Zorg|Thuiszorg|Zorggroep|Medisch Centrum|Hospital|Clinic|Care|Hospice"
_SCHOOL_TAILS = "College|Lyceum|Gymnasium|Hogeschool|Universiteit|Academie|School|Academy|University"
_LEGAL_FORMS = r"B\.V\.|BV|N\.V\.|NV|V\.O\.F\.|VOF|v\.o\.f\.|Inc\.?|Ltd\.?|GmbH|& Zn\.?|& Zonen|& Co\.?"
_STREET_SUFFIXES = ("straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|hof|park|pad|dreef|markt|baan|boulevard"
                    "|plantsoen|wal|erf|ring|dam|haven|burgwal|weide|hoven|akker|veld|Street|Road|Lane|Avenue")
# without a house number only the unmistakable ones ("Bakker" ends in "akker")
_STREET_NAME = re.compile(r"(?:straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|dreef|boulevard|plantsoen"
                          r"|burgwal|Street|Road|Lane|Avenue)$")

_RULES: list[tuple[str, re.Pattern, int]] = [
    # (kind, pattern, group whose span is the finding)
    ("e-mail", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"), 0),
    ("url", re.compile(r"\bhttps?://[^\s<>\"')\]]+|\bwww\.[^\s<>\"')\]]+"
                       r"|\b[\w-]+(?:\.[\w-]+)*\.(?:nl|com|org|net|eu|be|de|info|io|nu|uk|fr|app)\b(?:/[^\s<>\"')\]]*)?"), 0),
    ("social-media", re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"), 0),
    ("social-media", re.compile(
        r"(?i:instagram|insta|tiktok|snapchat|twitter|facebook|youtube|linkedin|discord|telegram)[\s-]*"
        r"(?i:account|profiel|profile|naam|name|handle|kanaal|channel)?\W{0,3}(?:(?i:is|was|heet|called)\s+)?"
        r"((?=[A-Za-z0-9_.]*[\d_.])[A-Za-z][A-Za-z0-9_.]{2,29}[A-Za-z0-9_])"), 1),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b"), 0),
    ("telefoonnummer", re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(0\))?(?:[\s.-]?\d{1,4}){2,6}(?!\d)"), 0),
    ("telefoonnummer", re.compile(r"(?<![\w-])\(?0\d{1,3}\)?(?:[\s-]?\d){6,8}(?![\w-])"), 0),
    ("bsn", re.compile(r"(?<![\d.])(?:\d{9}|\d{3}[.\s]\d{3}[.\s]\d{3}|\d{4}[.\s]\d{2}[.\s]\d{3})(?![\d])"), 0),
    ("postcode", re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b(?![-\w])"), 0),
    ("adres", re.compile(r"\b(?i:postbus|p\.o\. box|po box)\s+\d+"), 0),
    ("adres", re.compile(
        rf"(?:\b(?:[A-ZÀ-Þ][\w'’-]*\s+)*[A-ZÀ-Þ]?[\w'’-]*(?:{_STREET_SUFFIXES})"
        rf"|\b(?:Laan|Plein|Kade|Burgemeester|Dokter|Oude|Nieuwe|Korte|Lange)\s+(?:(?:van|de|der|den)\s+)*{_CAP})"
        r"\s+\d{1,4}(?:\s?[a-zA-Z]\b|-\d{1,3})?"), 0),
    ("adres", re.compile(rf"\b\d{{1,4}}[a-z]?\s+{_CAP}(?:\s+{_CAP})*\s+(?:Street|Road|Lane|Avenue|Square)\b"), 0),
    ("datum", re.compile(r"\b(?:\d{4}-[01]\d-[0-3]\d|" + _DAY + r"[-/.]" + _MONTH_NUMBER + r"[-/.](?:\d{4}|\d{2}))\b"), 0),
    ("datum", re.compile(rf"\b{_DAY}(?:e|ste|de|st|nd|rd|th)?\s+(?:of\s+)?(?i:{_MONTHS_NL}|{_MONTHS_EN})\b\.?(?:\s+\d{{4}})?"), 0),
    ("datum", re.compile(rf"\b(?:{_MONTHS_EN})\.?\s+{_DAY}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"), 0),
    ("datum", re.compile(rf"(?i:\b(?:{_WEEKDAYS})\s+(?:de\s+|the\s+)?){_DAY}(?:e|ste|de|st|nd|rd|th)\b"), 0),
    ("datum", re.compile(rf"(?i:\b(?:op|on|per|sinds|vanaf|since|from|tot|until|datum|date)\s+){_DAY}[/-]{_MONTH_NUMBER}\b(?![/-]?\d)"), 0),
    ("kenteken", re.compile(r"\b[A-Z0-9]{1,3}-[A-Z0-9]{2,3}-[A-Z0-9]{1,3}\b"), 0),
    ("kenteken", re.compile(r"(?i:kenteken|nummerbord|licen[cs]e plate|number plate|registration)\W{0,3}(?:(?i:is|was)\s+)?([A-Z0-9]{6})\b"), 1),
    ("personeelsnummer", re.compile(
        r"(?i:personeelsnummer|personeelsnr\.?|medewerkersnummer|medewerkernummer|werknemersnummer|employee\s+(?:number|no\.?|id)"
        r"|staff\s+(?:number|no\.?|id)|personnel\s+number|badgenummer|pasnummer|registratienummer|dienstnummer"
        r"|stamnummer|salarisnummer|payroll\s+number|pers(?:oneels)?\.?\s?nr\.?|medew\.?\s?nr\.?)\W{0,3}(?:(?i:is|was|van|of)\s+)?([A-Za-z]{0,4}[-\s]?\d[\d-]{2,})"), 1),
    ("identificatienummer", re.compile(r"\b[A-Z]{1,4}-?\d{4,8}\b"), 0),
    ("identificatienummer", re.compile(r"(?<![\d.,€$])\d{6,}(?![\d,]|\s?(?:euro|EUR)\b)"), 0),
    ("zorginstelling", re.compile(rf"(?i:\b(?:{_CARE_HEADS}))\s+{_NAME}"), 0),
    ("zorginstelling", re.compile(rf"{_NAME}\s+(?:{_CARE_TAILS})\b"), 0),
    ("school", re.compile(rf"(?i:\b(?:{_SCHOOL_HEADS}))\s+{_NAME}"), 0),
    ("school", re.compile(rf"{_NAME}\s+(?:{_SCHOOL_TAILS})\b"), 0),
    ("gemeente", re.compile(rf"(?i:\b(?:{_MUNICIPALITY_HEADS}))\s+{_NAME}"), 0),
    ("gemeente", re.compile(rf"{_NAME}\s+(?:Council|Municipality)\b"), 0),
    ("organisatie", re.compile(rf"(?i:\b(?:{_ORG_HEADS}))\s+{_NAME}"), 0),
    ("organisatie", re.compile(rf"{_NAME}\s+(?:{_ORG_TAILS})\b"), 0),
    ("organisatie", re.compile(rf"{_NAME}\s+(?:{_LEGAL_FORMS})(?!\w)"), 0),
]
_KENTEKEN_GROUPS = re.compile(r"^(?:[A-Z]+|\d+)$")
_PROPER_WORD = re.compile(r"\b[A-ZÀ-Þ][\w'’-]*")
_INTERFIX = {"van", "de", "der", "den", "ten", "ter", "het", "'t", "’t", "la", "le", "el", "al", "bin", "von"}
_EMPLOYER_CONTEXT = re.compile(r"(?i)\b(?:bij|voor|at|for)\s+(?:de\s+|het\s+|the\s+)?$")
_SENTENCE_END = set('.!?:;…"“”‘’\'(«[—–-*#>•')


def _at_sentence_start(text: str, start: int) -> bool:
    """True at the start of the text, a line (after list or heading marks) or a sentence."""
    before = text[:start].rstrip(" \t")
    if not before or before.endswith("\n"):
        return True
    line = before.rsplit("\n", 1)[-1]
    if re.fullmatch(r"\s*(?:[-*+>#]+|\d+[.)])?\s*[*_\"“‘']*", line):
        return True
    # a stage direction opening a turn or sentence: "(huilt) Ik wil ..."
    if re.search(r"(?:^|[.!?:]\s*)\([^()]*\)$", before):
        return True
    return before[-1] in _SENTENCE_END


def _elfproef(digits: str) -> bool:
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0 and int(digits) > 0


def _valid(kind: str, text: str) -> str | None:
    """The kind a rule's match really is, or None to drop it."""
    digits = re.sub(r"\D", "", text)
    if kind == "telefoonnummer":
        if text.startswith(("+", "00")):
            return kind if 9 <= len(digits) <= 15 else None
        return kind if len(digits) == 10 or (digits.startswith(("0800", "0900")) and len(digits) >= 8) else None
    if kind == "bsn":
        return kind if _elfproef(digits) else None
    if kind == "kenteken":
        groups = text.split("-")
        if len(groups) == 3:
            if sum(len(g) for g in groups) != 6 or not all(_KENTEKEN_GROUPS.match(g) for g in groups):
                return None
            if all(g.isdigit() for g in groups) or all(g.isalpha() for g in groups):
                return None
        elif not (re.search(r"\d", text) and re.search(r"[A-Z]", text)):
            return None
        return kind
    if kind == "postcode":
        number, letters = text[:4], text[-2:]
        if " " in text and 1900 <= int(number) <= 2099 and letters in _word_lists()["abbreviations"]:
            return None  # "in 2019 HR" is a year and an abbreviation
        return kind
    if kind == "datum" and re.fullmatch(r"24[/-]7", text.split()[-1]):
        return None
    if kind == "identificatienummer" and re.fullmatch(r"(?:19|20)\d\d", digits):
        return None
    if kind in ("zorginstelling", "school", "gemeente", "organisatie"):
        return kind if _has_real_name(text) else None
    return kind


def _has_real_name(text: str) -> bool:
    """An organisation match needs one capitalised word that is not an org word itself."""
    words = re.findall(r"[\w'’&.-]+", text)
    heads = set("|".join((_CARE_HEADS, _SCHOOL_HEADS, _MUNICIPALITY_HEADS, _ORG_HEADS, _ORG_TAILS, _CARE_TAILS,
                          _SCHOOL_TAILS)).lower().split("|"))
    ordinary = _word_lists()["capitalised"] | {"de", "het", "the", "st", "sint"}
    return any(w[:1].isupper() and w.lower() not in heads and w.lower() not in ordinary for w in words)


def _rule_findings(text: str) -> list[tuple[str, int, int]]:
    found = []
    for kind, pattern, group in _RULES:
        for match in pattern.finditer(text):
            start, end = match.span(group)
            start, end = _trim(text, start, end)
            if end <= start:
                continue
            real = _valid(kind, text[start:end])
            if real:
                found.append((real, start, end))
    found += _proper_names(text)
    return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop punctuation at the end, but keep the point of "B.V." or "Inc."."""
    while end > start and text[end - 1] in ".,;:!?)'’\"”":
        if text[end - 1] == "." and re.search(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Inc|Ltd|Co|Zn)\.$", text[start:end]):
            break
        end -= 1
    return start, end


def _proper_names(text: str) -> list[tuple[str, int, int]]:
    """Capitalised words in the middle of a sentence: in Dutch (and mostly in English) these
    are names of people, employers or places, unless they are ordinary capitalised words."""
    lists = _word_lists()
    found: list[tuple[str, int, int]] = []
    words = list(_PROPER_WORD.finditer(text))
    index = 0
    while index < len(words):
        match = words[index]
        word = match.group()
        index += 1
        if _at_sentence_start(text, match.start()) or _is_ordinary_capitalised(word, lists):
            continue
        if _is_abbreviation(word):
            if word.split("-")[0].rstrip("'’s") in lists["abbreviations"] or not _EMPLOYER_CONTEXT.search(text[:match.start()]):
                continue
        start, end = match.start(), match.end()
        # take the following capitalised words (and interfixes between them) along
        while index < len(words):
            gap = text[end:words[index].start()]
            if not re.fullmatch(r"\s+(?:(?:" + "|".join(map(re.escape, _INTERFIX)) + r")\s+)*", gap):
                break
            if _is_ordinary_capitalised(words[index].group(), lists):
                break
            end = words[index].end()
            index += 1
        start, end = _trim(text, start, end)
        kind = "adres" if _STREET_NAME.search(text[start:end]) else "eigennaam"
        found.append((kind, start, end))
    return found


def _is_abbreviation(word: str) -> bool:
    head = re.split(r"[-'’]", word)[0]
    return len(head) >= 2 and head.isupper()


def _is_ordinary_capitalised(word: str, lists: dict) -> bool:
    bare = word[:-2] if word.endswith(("'s", "’s")) else word
    # "WhatsApp-groep", "Excel-bestand": the part before the hyphen decides
    lower = re.split(r"-", bare)[0].lower()
    return lower in lists["capitalised"] or word.lower() in lists["capitalised"] or (
        lower.endswith("wet") and len(lower) > 5)


# ------------------------------------------------------------------ deduce's findings

_DEDUCE_KINDS = {
    "persoon": "naam", "patient": "naam", "voornaam": "naam", "achternaam": "naam", "initiaal": "naam",
    "ziekenhuis": "zorginstelling", "zorginstelling": "zorginstelling", "datum": "datum",
    "telefoonnummer": "telefoonnummer", "emailadres": "e-mail", "url": "url", "bsn": "bsn",
    "id": "identificatienummer", "locatie": "plaats", "straat": "adres", "huisnummer": "adres",
}


def _deduce_kind(tag: str, text: str) -> str | None:
    if tag in _DEDUCE_KINDS:
        kind = _DEDUCE_KINDS[tag]
    elif "naam" in tag or "initia" in tag or "persoon" in tag:
        kind = "naam"
    else:
        return None  # ages and eponymous diseases are not identifiers here
    if kind == "plaats":
        if re.search(r"\b[1-9]\d{3}\s?[A-Z]{2}\b", text):
            return "postcode"
        if re.search(r"\d", text):
            return "adres"
    return kind


def _deduce_findings(text: str) -> list[tuple[str, int, int]]:
    found = []
    lists = _word_lists()
    for annotation in _deducer().deidentify(text).annotations:
        kind = _deduce_kind(annotation.tag, annotation.text)
        if kind is None:
            continue
        start, end = annotation.start_char, annotation.end_char
        words = annotation.text.split()
        # deduce's lists of names and places hold many ordinary words ("Pas", "Mooi", "Best"):
        # one such word opening a sentence is the word, not a name
        # with a contraction's tail: "Don" of "Don't"
        word = (annotation.text + (re.match(r"['’]\w+", text[end:]) or [""])[0]).replace("’", "'").lower()
        if (kind in ("naam", "plaats") and len(words) == 1 and _at_sentence_start(text, start)
                and (annotation.text.lower() in lists["ordinary"] or word in lists["ordinary"])):
            continue
        found.append((kind, start, end))
    return found


# ------------------------------------------------------------------ public checks


def _birth_dates(text: str, candidates: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """A date that is somebody's birthday ("geboren op ...", "... jarig") is a date of birth."""
    return [("geboortedatum", start, end)
            if kind == "datum" and (_BIRTH_BEFORE.search(text[max(0, start - 40):start])
                                    or _BIRTH_AFTER.search(text[end:end + 20]))
            else (kind, start, end)
            for kind, start, end in candidates]


def _resolve(candidates: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Overlapping findings: keep the more telling kind, then the longer one."""
    ranked = sorted(set(candidates), key=lambda c: (-_GENERIC_KINDS.get(c[0], 3), -(c[2] - c[1]), c[1], c[0]))
    kept: list[tuple[str, int, int]] = []
    for kind, start, end in ranked:
        if all(end <= s or start >= e for _, s, e in kept):
            kept.append((kind, start, end))
    return sorted(kept, key=lambda c: c[1])


def scan_text(text: str) -> list[Finding]:
    """Every identifier in ``text`` (no allow-list), with offsets and 1-based lines."""
    if not text or not text.strip():
        return []
    candidates = _birth_dates(text, _deduce_findings(text) + _rule_findings(text))
    return [Finding(kind, text[start:end], start, end, text.count("\n", 0, start) + 1)
            for kind, start, end in _resolve(candidates)]


def is_allowed(finding_text: str, allow) -> bool:
    """A finding passes when the allow-list holds its text, or every word of it."""
    allowed = {" ".join(a.split()).casefold() for a in allow if a and a.strip()}
    if not allowed:
        return False
    text = " ".join(finding_text.split()).casefold()
    return text in allowed or all(word.strip("'’.,") in allowed for word in text.split())


def check_text(text: str, allow=()) -> list[Finding]:
    """The identifiers in ``text`` that block it: those the allow-list does not let pass."""
    return [f for f in scan_text(text) if not is_allowed(f.text, allow)]


def case_texts(case) -> list[tuple[str, str, str]]:
    """(field name, text, path into the front matter) of every text of a case a reader sees."""
    texts = [("title", case.title, "title"), ("summary", case.summary, "summary"), ("sector", case.sector, "sector"),
             ("context", case.context, "context")]
    texts += [(f"key[{i + 1}].why", k.why, f"key.{i}.why") for i, k in enumerate(case.key)]
    texts += [(f"dialogue[{i + 1}]", turn.text, f"dialogue.{i}.text") for i, turn in enumerate(case.dialogue)]
    texts += [(f"questions[{i + 1}]", q, f"questions.{i}") for i, q in enumerate(case.questions)]
    texts += [("what_happened", case.what_happened, "what_happened"), ("body", case.body, "body")]
    return [(name, text, path) for name, text, path in texts if text and text.strip()]


def check_case(case) -> CaseFindings:
    """Every text of a case, each finding named with its field and its line in the file."""
    lines = case.lines  # where each text starts in the case file, as the loader found it
    result = CaseFindings()
    for name, text, path in case_texts(case):
        first = lines.get(path)
        for finding in scan_text(text):
            line = first + finding.line - 1 if first else finding.line
            allowed = is_allowed(finding.text, case.allow)
            placed = Finding(finding.kind, finding.text, finding.start, finding.end, line, name, allowed)
            (result.allowed if allowed else result.findings).append(placed)
    return result
