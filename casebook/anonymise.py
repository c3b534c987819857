"""The anonymisation gate's check: direct and indirect identifiers in case texts (what it finds and
misses: docs/writing-cases.md, "The anonymisation gate"; how well: docs/anonymisation-eval.md).

Two layers. ``deduce`` (a maintained de-identification library for Dutch text) finds names,
places, hospitals and care institutions, dates, phone numbers, e-mail and web addresses, BSNs
and long numbers. Rules of our own add what it misses in vignettes: staff numbers, licence
plates, social media handles, international phone numbers, dates without a year, dates of
birth, IBANs, street addresses, names of employers, schools and municipalities, and proper
names in the middle of a sentence; names in lower case or capitals after a speech verb ("zei
kevin", "BEL ESTHER"), a first name beside a unit ("Bas van de planning"), sports clubs and
well-known employers; years of birth (``geboortejaar``), exact ages beside a role
(``leeftijd``), and ``indirect`` identifiers: phrases that single one person out without a
name ("de enige vrouwelijke lasser van de haven", "the owner's son", "oud-wethouder", "al
dertig jaar", a role in a unit of a few people). Filters drop what is never a name: an
ordinary word at the start of a sentence that happens to be in deduce's lists of names ("Pas
toen ...", "Grace periods ..."), known bodies, laws and idioms ("Veilig Thuis", "Sv", "Jan en
alleman"), the provinces, and title-case roles, shifts, documents and procedures ("the Night
Shift Supervisor", "the Grievance Committee"). The third round (issue 26) adds names in lower
case or capitals after a greeting, as a speaker label, before a verb or as a signature, and
wherever the text repeats a name found; ordinary words that are first names ("toon", "Grace")
only where the context leaves no doubt; headings, kinds of institutions and English job titles
as no names; one person's part in a yearly event as ``indirect``; and every rule in linear time
(patterns start at a word's start and take a bounded number of words; deduce reads long texts
in pieces). The word lists are in data/anonymisation.yml.

deduce's lookup data is built once (``prepare()``, run by ``scripts/install`` through
``casebook anonymisation prepare``) into the user's cache folder. Loading it takes seconds and
about a gigabyte of memory, so this module is imported only by the tools that check
(``casebook check``, the author app, the clearance subprocess) and never by a page that
participants open (see ``casebook/clearance.py``).
"""

from __future__ import annotations

import bisect
import itertools
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

# Stable ids of the kinds of identifier (the order in which docs/writing-cases.md lists them).
KINDS = (
    "naam", "telefoonnummer", "e-mail", "url", "social-media", "bsn", "iban", "postcode", "adres",
    "datum", "geboortedatum", "kenteken", "personeelsnummer", "identificatienummer",
    "organisatie", "zorginstelling", "school", "gemeente", "plaats", "eigennaam",
    "geboortejaar", "leeftijd", "indirect",
)
# When two findings overlap, the more telling kind wins, then the longer one: a capitalised
# word next to an org word ("Bakkerij Vermeulen") tells more than deduce's guess at a name.
# An indirect identifier ("de enige vrouw in het team") loses to a name or number it overlaps:
# that is fixed first, and the phrase is found again on the next check.
_GENERIC_KINDS = {"eigennaam": 0, "identificatienummer": 1, "indirect": 1.5, "naam": 2, "plaats": 2}
# Kinds whose finding needs its explanation to be understood ("why is this a finding?").
EXPLAINED_KINDS = ("indirect", "leeftijd", "geboortejaar")

DEDUCE_VERSION = metadata.version("deduce")


# ------------------------------------------------------------------ findings


@dataclass(frozen=True)
class Finding:
    """One identifier: its kind, the text, offsets into the text checked and the line.

    ``field`` names the part of a case it is in (``body``, ``title``, ``key[2].why`` ...);
    ``line`` is the line in the file where known, else the line in the text checked;
    ``allowed`` marks a finding the case's ``allow:`` list lets pass; ``hint`` is a suggested
    rewrite in the text's own language where one is obvious ("een medewerker van de haven").
    """

    kind: str
    text: str
    start: int
    end: int
    line: int
    field: str = ""
    allowed: bool = False
    hint: str = ""

    def message(self, language: str = "nl") -> str:
        from casebook.messages import t

        where = f"{self.field}: " if self.field else ""
        message = where + t("anonymisation.finding", language, kind=t(f"anonymisation.kind.{self.kind}", language),
                            text=self.text)
        if self.kind in EXPLAINED_KINDS:
            message += t("anonymisation.because", language, explanation=self.explanation(language))
        if self.hint:
            message += t("anonymisation.hint", language, hint=self.hint)
        return message

    def explanation(self, language: str = "nl") -> str:
        """Why this kind of detail identifies, in plain words."""
        from casebook.messages import t

        return t(f"anonymisation.explain.{self.kind}", language)

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
    ordinary |= {head + tail for head in ("er", "daar", "hier", "waar") for tail in data["pronominal_tails"]}
    # deduce ships lists of common Dutch words; read them without loading deduce
    source = Path(metadata.distribution("deduce").locate_file("deduce")) / "data" / "lookup" / "src" / "whitelist"
    for name in ("lst_common_word", "lst_stop_word"):
        path = source / name / "items.txt"
        if path.exists():
            ordinary |= {w.strip().lower() for w in path.read_text("utf-8").splitlines() if w.strip()}
    names = source.parent / "names" / "lst_first_name" / "items.txt"
    first_names = set()
    if names.exists():  # for names in lower case or capitals ("vraag het jeroen maar")
        first_names = {w.strip().lower() for w in names.read_text("utf-8").splitlines() if w.strip()}
    english_words = {w.lower() for w in data["english_name_words"] + data["english_common_words"]}
    surname_file = source.parent / "names" / "lst_surname" / "items.txt"
    surnames = set()
    if surname_file.exists():  # "Ter Horst" is a name, "Ter Herinnering" is not
        surnames = {w.strip().lower() for w in surname_file.read_text("utf-8").splitlines() if w.strip()}
    employers = list(data["well_known_employers"])
    return {
        "ordinary": ordinary,
        "capitalised": {w.lower() for w in data["ordinary_capitalised"]},
        "abbreviations": set(data["known_abbreviations"]),
        "first_names": first_names,
        "english_names": {w.lower() for w in data["english_name_words"]},
        # ordinary words that are first names as well: a name only where the context says so
        "word_names": {w.lower() for w in data["word_names"] + data["english_name_words"]},
        "surnames": surnames,
        "english": english_words,
        "known_terms": _phrases(data["known_bodies"] + data["name_idioms"]),
        "provinces": _phrases(data["provinces"]),
        "title_words": {w.lower() for w in data["title_case_words"]},
        "employers": _phrases(employers),
        "ordinary_employers": {e for e in employers if e.lower() in ordinary | english_words
                               or e.lower() in {w.lower() for w in data["ordinary_capitalised"]}},
        "persons": {w.lower() for w in data["person_words"]},
        "group_adjectives": {w.lower() for w in data["group_adjectives"]},
        "roles": {w.lower() for w in data["roles"]},
        "generic_roles": {w.lower() for w in data["generic_roles"]},
        "units": {w.lower() for w in data["units"]},
        "relations": {w.lower() for w in data["relations"]},
        "leaders": {w.lower() for w in data["leaders"]},
        "public_offices": {w.lower() for w in data["public_offices"]},
        "exposure": [re.compile(rf"(?i)\b{p}") for p in data["exposure_patterns"]],
        "not_persons": {w.lower() for w in data["not_persons"]},
        # a relation ("dochter", "son-in-law") or a leader's possessive ("the manager's"): where _relations looks
        "relation_words": re.compile(r"(?i)(?<![\w'’-])(?:[\w-]*+['’]s|{})(?![\w'’-])".format(
            "|".join(re.escape(w) for w in sorted(set(data["relations"]) | {"twin", "best", "beste"}, key=len, reverse=True)))),
        "former_office": re.compile(r"(?i)\b(?:oud|ex|voormalige?|former|retired)[\s-]+(?:{})\b".format(
            "|".join(re.escape(o) for o in sorted(data["public_offices"], key=len, reverse=True)))),
        # "Bas van de planning": a first name beside a unit
        "nickname": re.compile(r"\b([A-ZÀ-Þ][a-zà-ÿ]{{1,10}})\s+(?:van\s+(?:de|het)|from|of\s+the|uit\s+de|bij\s+de)\s+"
                               r"(?:{})\b".format("|".join(re.escape(u) for u in sorted(data["units"], key=len, reverse=True)))),
    }


def _phrases(phrases) -> re.Pattern:
    """One pattern for a list of phrases, matched as written and as whole words, longest first."""
    alternatives = "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))
    return re.compile(rf"(?<![\w&])(?:{alternatives})(?![\w&])")


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
# A name: capitalised words, with Dutch interfixes ("van", "de", "ter") between them. Every rule
# runs in linear time (issue 26): a pattern starts only where a word starts (the look-behind),
# takes a word whole (atomic) and takes a bounded number of words, so no start scans far and no
# character is scanned from many starts.
_CAP = r"(?>[A-ZÀ-Þ][\w'’&.-]{0,40}\w|[A-ZÀ-Þ])"
_NAME = (rf"(?<![\w'’&.-])(?:(?:De|Het|'t|’t|The|St\.?|Sint)\s++)?{_CAP}"
         rf"(?:\s++(?:(?:van|de|der|den|het|ten|ter|'t|’t|&)\s++){{0,3}}{_CAP}){{0,5}}")

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
# a word's end is one of the suffixes: one fixed-width look-behind per suffix, as Python wants
_STREET_ENDS = "(?:" + "|".join(f"(?<={suffix})" for suffix in _STREET_SUFFIXES.split("|")) + ")"
# without a house number only the unmistakable ones ("Bakker" ends in "akker")
_STREET_NAME = re.compile(r"(?:straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|dreef|boulevard|plantsoen"
                          r"|burgwal|Street|Road|Lane|Avenue)$")

_RULES: list[tuple[str, re.Pattern, int]] = [
    # (kind, pattern, group whose span is the finding)
    ("e-mail", re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)*\.[A-Za-z]{2,}"), 0),
    ("url", re.compile(r"\bhttps?://[^\s<>\"')\]]++|\bwww\.[^\s<>\"')\]]++"
                       r"|(?<![\w-])(?<![\w-]\.)(?:[\w-]++\.)+(?:nl|com|org|net|eu|be|de|info|io|nu|uk|fr|app)\b"
                       r"(?:/[^\s<>\"')\]]*+)?"), 0),
    ("social-media", re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"), 0),
    ("social-media", re.compile(
        # the platform as a word of its own ("installatiebedrijf" is not "insta" + a handle)
        r"\b(?i:instagram|insta|tiktok|snapchat|twitter|facebook|youtube|linkedin|discord|telegram)"
        r"(?:[\s-]*(?i:account|profiel|profile|naam|name|handle|kanaal|channel)|(?![^\W\d_]))\W{0,3}(?:(?i:is|was|heet|called)\s+)?"
        r"((?=[A-Za-z0-9_.]{0,31}[\d_.])[A-Za-z][A-Za-z0-9_.]{2,29}[A-Za-z0-9_])"), 1),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b"), 0),
    ("telefoonnummer", re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(0\))?(?:[\s.-]?\d{1,4}){2,6}(?!\d)"), 0),
    ("telefoonnummer", re.compile(r"(?<![\w-])\(?0\d{1,3}\)?(?:[\s-]?\d){6,8}(?![\w-])"), 0),
    ("bsn", re.compile(r"(?<![\d.])(?:\d{9}|\d{3}[.\s]\d{3}[.\s]\d{3}|\d{4}[.\s]\d{2}[.\s]\d{3})(?![\d])"), 0),
    ("postcode", re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b(?![-\w])"), 0),
    ("adres", re.compile(r"\b(?i:postbus|p\.o\. box|po box)\s+\d+"), 0),
    ("adres", re.compile(
        # up to four capitalised words, then a word (taken whole) that ends in a street suffix
        rf"(?:(?<![\w'’-])(?:[A-ZÀ-Þ][\w'’-]{{0,30}}+\s++){{0,4}}[\w'’-]{{1,40}}+{_STREET_ENDS}"
        rf"|\b(?:Laan|Plein|Kade|Burgemeester|Dokter|Oude|Nieuwe|Korte|Lange)\s++(?:(?:van|de|der|den)\s++){{0,3}}{_CAP})"
        r"\s++\d{1,4}(?:\s?[a-zA-Z]\b|-\d{1,3})?"), 0),
    ("adres", re.compile(rf"\b\d{{1,4}}[a-z]?\s++{_CAP}(?:\s++{_CAP}){{0,4}}\s++(?:Street|Road|Lane|Avenue|Square)\b"), 0),
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


_LINE_MARK = 40  # characters: list or heading marks and quotes opening a line
_LINE_OPENING = re.compile(r"\s*(?:[-*+>#]+|\d+[.)])?\s*[*_\"“‘']*")
_STAGE_DIRECTION = 200


def _at_sentence_start(text: str, start: int) -> bool:
    """True at the start of the text, a line (after list or heading marks) or a sentence."""
    # looks back a bounded way only (never copies the text before): linear over all words
    end = start
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    if end == 0 or text[end - 1] == "\n":
        return True
    line_start = text.rfind("\n", max(0, end - _LINE_MARK), end) + 1
    if (line_start > 0 or end <= _LINE_MARK) and _LINE_OPENING.fullmatch(text, line_start, end):
        return True
    # a stage direction opening a turn or sentence: "(huilt) Ik wil ..."
    if text[end - 1] == ")":
        opening = text.rfind("(", max(0, end - _STAGE_DIRECTION), end)
        if opening >= 0 and ")" not in text[opening:end - 1]:
            lead = opening
            while lead > 0 and text[lead - 1].isspace():
                lead -= 1
            if lead == 0 or text[lead - 1] in ".!?:" or (lead < opening and text[lead - 1] == "\n"):
                return True
    return text[end - 1] in _SENTENCE_END


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
    lists = _word_lists()
    # a kind of institution is no name of one: "A Secondary School", "een Academisch Ziekenhuis"
    ordinary = lists["capitalised"] | lists["title_words"] | {"de", "het", "the", "st", "sint", "a", "an", "een"}
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


_NAME_GAP = re.compile(r"\s+(?:(?:" + "|".join(map(re.escape, _INTERFIX)) + r")\s+)*")


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
        if _in_heading(text, match.start()) or _after_opening_particle(text, words, index - 1, lists):
            continue
        if _is_abbreviation(word):
            if word.split("-")[0].rstrip("'’s") in lists["abbreviations"] or not _EMPLOYER_CONTEXT.search(text[max(0, match.start() - 30):match.start()]):
                continue
        start, end = match.start(), match.end()
        # take the following capitalised words (and interfixes between them) along
        while index < len(words):
            gap = text[end:words[index].start()]
            if not _NAME_GAP.fullmatch(gap) or gap.count("\n") > 1:
                break  # a blank line ends a paragraph, and a name with it
            if _is_ordinary_capitalised(words[index].group(), lists):
                break
            end = words[index].end()
            index += 1
        start, end = _trim(text, start, end)
        if all(w.lower() in _INTERFIX for w in text[start:end].split()):
            continue  # "Ter Attentie Van de directie": a particle alone is no name
        if _TITLE_CASE_JOINER.search(text, start, end):
            continue  # "Questions For The Group", "Advies En Afsluiting": title case, no name
        kind = "adres" if _STREET_NAME.search(text[start:end]) else "eigennaam"
        found.append((kind, start, end))
    return found


# a joining word capitalised inside a phrase: title case ("Questions For The Group")
_TITLE_CASE_JOINER = re.compile(r"\s(?:For|And|En|Of|With|Met|Voor|Op|Naar|To|In|On|At|From|Into|Or|Over|About)\s")
_HEADING_WINDOW = 120  # characters: a heading is a short line
_OPENING_PARTICLES = {"ter", "ten", "te", "van", "den", "der", "de", "'t", "’t"}


def _in_heading(text: str, position: int) -> bool:
    """The position is in a heading: a line opening with "#", or a short line of capitalised
    words without a stop, standing on its own ("Lessons Learned")."""
    line_start = text.rfind("\n", max(0, position - _HEADING_WINDOW), position) + 1
    if line_start == 0 and position > _HEADING_WINDOW:
        return False
    line_end = text.find("\n", position, position + _HEADING_WINDOW)
    if line_end < 0:
        if len(text) - position > _HEADING_WINDOW:
            return False
        line_end = len(text)
    line = text[line_start:line_end].strip()
    if line.startswith("#"):
        return True
    words = line.split()
    if not words or len(words) > 8 or line[-1] in ".,;:!?" or not all(w[:1].isupper() or w.lower() in _TITLE_JOINERS for w in words):
        return False
    alone_before = line_start == 0 or text[max(0, line_start - 2):line_start] == "\n\n"
    alone_after = line_end == len(text) or text[line_end:line_end + 2] == "\n\n"
    return alone_before and alone_after


def _after_opening_particle(text: str, words: list[re.Match], index: int, lists: dict) -> bool:
    """"Ter Herinnering", "Van Tevoren": a particle opens the sentence and the next word is no
    surname ("Ter Horst", "Van Dijk" are)."""
    if index == 0:
        return False
    previous, word = words[index - 1], words[index]
    return (previous.group().lower() in _OPENING_PARTICLES and _at_sentence_start(text, previous.start())
            and not text[previous.end():word.start()].strip()
            and word.group().lower() not in lists["surnames"] and word.group().lower() not in lists["first_names"])


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


_CHUNK = 2000  # characters: deduce reads a long text in pieces of at most this size


def _chunks(text: str):
    """(offset, piece) of ``text`` in pieces of at most ``_CHUNK`` characters, cut at a line end
    where there is one in the second half of a piece, else after a sentence, else at a space.
    A text of a normal size is one piece."""
    start = 0
    while len(text) - start > _CHUNK:
        low, high = start + _CHUNK // 2, start + _CHUNK
        cut = text.rfind("\n", low, high) + 1
        if not cut:
            sentence = _CUT_SENTENCE.search(text[low:high][::-1])
            cut = high - sentence.start() if sentence else text.rfind(" ", low, high) + 1 or high
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


# a space after a sentence's end, read backwards (the word before it has four letters or more,
# so that "Dhr. Jansen" stays together)
_CUT_SENTENCE = re.compile(r"\s[.!?]\w{4}")


def _deduce_annotations(text: str):
    """deduce's annotations of ``text``, as (tag, text, start, end), read piece by piece: its time
    grows with the text's length and no more, and a piece seen before in the text (a pattern
    repeated) is not read again."""
    seen: dict[str, list] = {}
    for offset, piece in _chunks(text):
        if piece not in seen:
            seen[piece] = [(a.tag, a.text, a.start_char, a.end_char) for a in _deducer().deidentify(piece).annotations]
        for tag, found, start, end in seen[piece]:
            yield tag, found, offset + start, offset + end


_CONTRACTION = re.compile(r"['’]\w+")


def _deduce_findings(text: str) -> list[tuple[str, int, int]]:
    found = []
    lists = _word_lists()
    for tag, annotated, start, end in _deduce_annotations(text):
        kind = _deduce_kind(tag, annotated)
        if kind is None:
            continue
        words = annotated.split()
        # deduce's lists of names and places hold many ordinary words ("Pas", "Mooi", "Best"):
        # one such word opening a sentence is the word, not a name
        # with a contraction's tail: "Don" of "Don't"
        word = (annotated + (_CONTRACTION.match(text, end) or [""])[0]).replace("’", "'").lower()
        if (kind in ("naam", "plaats") and len(words) == 1 and _at_sentence_start(text, start)
                and (annotated.lower() in lists["ordinary"] or word in lists["ordinary"]
                     or (annotated.lower() in lists["word_names"] and not _followed_by_name(text, end, lists)))):
            continue
        # "From May", "August": a month or weekday (after an ordinary word opening the sentence)
        if kind == "naam" and all(w.lower() in lists["capitalised"] or (i == 0 and w.lower() in lists["ordinary"]
                                                                         and _at_sentence_start(text, start))
                                  for i, w in enumerate(words)):
            continue
        found.append((kind, start, end))
    return found


# ------------------------------------------------------------------ second round: names deduce misses,
# well-known employers, ages, years of birth and indirect identifiers (issue 15)

_ENGLISH_MARKERS = {"the", "and", "she", "he", "her", "his", "with", "is", "was", "of", "to", "that", "it", "they",
                    "you", "i", "for", "on", "at", "has", "have", "who", "what", "this", "my", "we"}
_DUTCH_MARKERS = {"de", "het", "een", "en", "ze", "hij", "zij", "van", "dat", "die", "niet", "met", "op", "is",
                  "ik", "je", "wat", "er", "zijn", "haar", "naar", "voor", "bij", "ook", "maar", "wel", "dit"}


def text_language(text: str) -> str:
    """"en" when a text reads as English, else "nl" (the default language of the casebook)."""
    words = re.findall(r"[a-z]+", text.lower())
    english = sum(w in _ENGLISH_MARKERS for w in words)
    dutch = sum(w in _DUTCH_MARKERS for w in words)
    return "en" if english > dutch else "nl"


_NUMBER_WORDS = {
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9,
    "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14, "vijftien": 15, "zestien": 16,
    "zeventien": 17, "achttien": 18, "negentien": 19, "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50,
    "zestig": 60, "zeventig": 70, "tachtig": 80, "negentig": 90,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_UNITS_NL = ("een|twee|drie|vier|vijf|zes|zeven|acht|negen")
# "25", "vijfentwintig", "twenty-five", "dertig"
_NUMBER = (r"(?:\d{1,3}|(?:(?:" + _UNITS_NL + r")[eë]n)?(?:twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig)"
           r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?"
           r"|" + "|".join(sorted((w for w in _NUMBER_WORDS if _NUMBER_WORDS[w] < 20), key=len, reverse=True)) + r")")


def _number(word: str) -> int | None:
    """The value of "25", "vijfentwintig", "twenty-five", "elf"; None for anything else."""
    word = word.lower().strip()
    if word.isdigit():
        return int(word)
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    english = re.fullmatch(r"([a-z]+)[\s-]([a-z]+)", word)
    if english and english.group(1) in _NUMBER_WORDS and english.group(2) in _NUMBER_WORDS:
        return _NUMBER_WORDS[english.group(1)] + _NUMBER_WORDS[english.group(2)]
    dutch = re.fullmatch(rf"({_UNITS_NL})[eë]n([a-z]+)", word)
    if dutch and dutch.group(2) in _NUMBER_WORDS:
        return _NUMBER_WORDS[dutch.group(1)] + _NUMBER_WORDS[dutch.group(2)]
    return None


_DETERMINERS = {"de", "het", "een", "the", "a", "an", "our", "their", "its", "his", "her", "onze", "ons", "hun",
                "zijn", "haar", "this", "that", "deze", "die", "dat", "dit", "my", "mijn", "your", "jouw", "uw"}
_PREPOSITIONS = {"van", "in", "op", "bij", "onder", "tussen", "uit", "of", "on", "at", "among", "amongst", "from",
                 "within", "across", "for", "voor", "aan", "binnen"}
_RELATIVE = {"die", "dat", "wie", "who", "that", "which", "whose", "waar", "where"}
# -er words that are not people (after "de enige" or an age a person is expected)
_NOT_AGENT = {"over", "onder", "later", "meer", "weer", "per", "hier", "daar", "water", "nummer", "kamer", "zomer",
              "winter", "september", "oktober", "november", "december", "october", "ieder", "achter", "verder",
              "zeker", "lekker", "computer", "printer", "paper", "letter", "number", "other", "order", "under",
              "after", "never", "ever", "matter", "corner", "border", "center", "chapter", "summer", "rather",
              "whether", "together", "however", "power", "tower", "river", "silver", "dinner", "finger", "folder",
              "poster", "sticker", "trailer", "container", "scooter", "freezer", "shower", "sweater", "burger",
              "further", "either", "neither", "another", "answer", "register", "semester", "papier", "manier",
              "plezier", "kwartier", "dier", "bier", "keer", "sfeer", "verkeer", "beheer", "computer", "cluster",
              "filter", "meter", "liter", "theater", "ober"}
# Endings of words for people ("lasser", "kapster", "pianist", "technician"); words ending in
# "-or", "-ant", "-ent" or "-ee" are people only when the lists hold them ("floor", "moment").
_AGENT_SUFFIXES = ("er", "ster", "aar", "eur", "euse", "ist", "iste", "kundige", "arts", "loog", "loge", "aris",
                   "ier", "ière", "trice", "man", "vrouw", "hulp", "kracht", "knecht", "meester", "baas", "ician")


def _singular(word: str) -> str:
    word = word.lower().strip("'’")
    for tail in ("'s", "’s"):
        if word.endswith(tail):
            return word[:-2]
    return word


def _in_list(word: str, words: set[str]) -> bool:
    """In the list, also as a plural or as the tail of a compound ("HR-manager", "stratenmaker")."""
    bare = _singular(word)
    forms = {bare}
    if bare.endswith("s"):
        forms.add(bare[:-1])  # "lassers", "drivers"
    if bare.endswith("en"):
        forms |= {bare[:-2], bare[:-1]}  # "artsen" -> "arts", "verpleegkundigen" -> "verpleegkundige"
    if forms & words:
        return True
    tail = re.split(r"[-/]", bare)[-1]
    if tail != bare and tail in words:
        return True
    # a compound: some tail of three letters or more, after a head of three letters or more
    return any(bare[i:] in words for i in range(3, len(bare) - 2))


def _is_person(word: str, lists: dict) -> bool:
    """A role ("lasser", "forklift driver"), a person ("vrouw") or a group word ("wheelchair user");
    not a relative ("dochter": a relation to the melder describes the case, not the workplace)."""
    bare = _singular(word)
    if not bare or bare in lists["not_persons"] or bare in _NOT_AGENT or bare in _DETERMINERS:
        return False
    if bare in lists["relations"] and bare not in lists["roles"] | lists["persons"]:
        return False
    if _in_list(bare, lists["roles"]) or _in_list(bare, lists["persons"]):
        return True
    plain = bare[:-1] if bare.endswith("s") and not bare.endswith("ss") else bare
    return len(plain) > 4 and plain not in _NOT_AGENT and plain.endswith(_AGENT_SUFFIXES)


_TOKEN = re.compile(r"[\w][\w'’&-]*")
_BREAK = re.compile(r"[.!?;:,()\[\]\"“”\n]|\s[-–—]\s")


def _tokens(text: str, start: int, limit: int = 10) -> list[re.Match]:
    """Up to ``limit`` words from ``start`` on, within the clause."""
    found = []
    position = start
    for match in _TOKEN.finditer(text, start):
        if _BREAK.search(text, position, match.start()) or len(found) >= limit:
            break
        found.append(match)
        position = match.end()
    return found


def _negated(text: str, start: int) -> bool:
    """"niet de enige", "one of the oldest": the phrase does not single one person out."""
    before = text[max(0, start - 25):start].lower()
    return bool(re.search(r"(?:\bniet|\bnot|\bgeen|\bnog|\balso|\book|\bone of|\been van|\béén van|\bnot just"
                          r"|\bniet alleen|\bamong|\bonder)\s*$", before))


def _unit_after(text: str, words: list[re.Match], index: int, lists: dict) -> int | None:
    """Index of a unit after a preposition at ``index`` ("in het team", "on the evening crew")."""
    if index >= len(words) or words[index].group().lower() not in _PREPOSITIONS:
        return None
    for j in range(index + 1, min(index + 7, len(words))):
        word = words[j].group()
        if _in_list(word, lists["units"]) or _is_person(word, lists):
            # "the evening crew": the last of adjacent unit words
            while j + 1 < len(words) and _in_list(words[j + 1].group(), lists["units"]):
                j += 1
            return j
        if word.lower() in _RELATIVE - _DETERMINERS:  # "who", "waar": a clause, no longer the phrase
            return None
    return None


def _unique_phrases(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """"de enige vrouw in de ploeg", "als enige ...", "the only female welder", "the call centre's one ..."."""
    found = []
    trigger = re.compile(r"(?i)\b(?:(?:de|het)\s+enig(?:st)?e|als\s+enig(?:st)?e|(?:the|as\s+the)\s+(?:only|sole)"
                         r"|the\s+one|(?:our|their|its|his|her|onze|hun|zijn|haar)\s+(?:only|sole|one|enige)"
                         r"|(?!(?:it|that|there|he|she|what|who|let|here|where)['’]s)\w+['’]s\s+(?:only|sole|one))\b")
    for match in trigger.finditer(text):
        if _negated(text, match.start()):
            continue
        words = _tokens(text, match.end())
        end = _unique_end(text, words, lists, strict=match.group().lower().endswith("one"))
        if end:
            found.append(("indirect", match.start(), end))
    return found


def _unique_end(text: str, words: list[re.Match], lists: dict, strict: bool) -> int | None:
    """Where a singling-out phrase ends: after its person (and unit), or after its unit. A
    relative clause may hold the unit ("de enige die in het team ..."), not the person."""
    relative = False
    for i, match in enumerate(words[:10]):
        word = match.group().lower()
        if word in _RELATIVE:
            relative = True
            continue
        if i == 0 and (_singular(word) in lists["not_persons"] or word in {"one", "ones", "thing"}):
            return None
        # "als enige afdeling", "the only women in management": a unit or a group, not one person
        if i == 0 and _in_list(word, lists["units"]) and not _is_person(word, lists):
            return None
        if _is_person(word, lists) and _plural(word, lists) and word not in _PLURAL_ONE:
            return None
        # "the one wheelchair user": the person follows at once ("the one remark by a manager" does not)
        if strict and (i > 2 or (i > 0 and not _is_person(word, lists)
                                 and words[i - 1].group().lower() not in lists["group_adjectives"]
                                 and not _in_list(words[i - 1].group(), lists["units"]))):
            return None
        if _is_person(word, lists) and not relative:
            unit = _unit_after(text, words, i + 1, lists)
            if unit is None and _in_generic(word, lists):
                return None  # "de enige collega die haar steunt": no role, group or unit
            return words[unit].end() if unit is not None else match.end()
        unit = _unit_after(text, words, i, lists)
        if unit is not None and relative and _is_person(words[unit].group(), lists):
            unit = None
        if unit is not None and not strict:
            return words[unit].end()
    return None


_SUPERLATIVE = re.compile(
    r"(?i)\b(?:(?:de|het|the|our|onze|hun|their|its|his|her|zijn|haar)\s+|(\w+['’]s)\s+)(?:very\s+|aller)?"
    r"(oudste|jongste|langst[\s-]*(?:zittende|werkende|dienende)|longest[\s-](?:serving|standing|working)|oldest"
    r"|youngest|most\s+senior|first|eerste|newest|nieuwste)\b")
_FIRST = {"first", "eerste", "newest", "nieuwste"}
_HIRE = {"hire", "hires", "recruit", "werknemer", "personeelslid", "employee", "medewerker", "member", "lid"}


def _superlatives(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """"de oudste stratenmaker van de ploeg", "the longest-serving driver", "the firm's very first hire"."""
    found = []
    for match in _SUPERLATIVE.finditer(text):
        if _negated(text, match.start()):
            continue
        words = _tokens(text, match.end(), 6)
        which = match.group(2).lower()
        # the noun follows the superlative at once, or after one modifier ("bus driver")
        for i, token in enumerate(words[:3 if which in _FIRST else 2]):
            word = token.group().lower()
            if _singular(word) in lists["relations"]:
                break
            if which in _FIRST:
                # "de eerste keer", "the first meeting": only a first hire, or a first woman in a role
                group = i > 0 and words[i - 1].group().lower() in lists["group_adjectives"]
                hire = _singular(word) in _HIRE and (match.group(1) or _unit_after(text, words, i + 1, lists))
                if not (group and _is_person(word, lists)) and not hire:
                    if word in lists["group_adjectives"] or (i == 0 and word == "very"):
                        continue
                    break
            elif not _is_person(word, lists):
                unit = _unit_after(text, words, i, lists)
                if unit is not None and i == 0:
                    found.append(("indirect", match.start(), words[unit].end()))
                    break
                continue
            if _plural(word, lists) and word not in _PLURAL_ONE:
                break  # "de oudste medewerkers", "the youngest employees": a group
            unit = _unit_after(text, words, i + 1, lists)
            found.append(("indirect", match.start(), (words[unit] if unit is not None else token).end()))
            break
    return found


def _relations(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """"de dochter van de eigenaar", "schoonzoon van de directeur-eigenaar", "the manager's son"."""
    found = []
    for match in lists["relation_words"].finditer(text):
        word = match.group()
        if _singular(word) in lists["relations"] or word.lower() in {"twin", "best", "beste"}:
            words = _tokens(text, match.end(), 5)
            start_index = 0
            if word.lower() in {"twin", "best", "beste"}:
                if not words or words[0].group().lower() not in lists["relations"]:
                    continue
                start_index = 1
            rest = words[start_index:]
            if len(rest) >= 2 and rest[0].group().lower() in {"van", "of"}:
                j = 1
                while j < len(rest) - 1 and rest[j].group().lower() in _DETERMINERS:
                    j += 1
                if _in_list(rest[j].group(), lists["leaders"]):
                    found.append(("indirect", match.start(), rest[j].end()))
        elif re.search(r"['’]s$", word) and _in_list(word, lists["leaders"]):
            words = _tokens(text, match.end(), 2)
            if words and _singular(words[0].group()) in lists["relations"]:
                found.append(("indirect", match.start(), words[0].end()))
    return found


_FAME = re.compile(r"(?i)\b(?:olympi\w+|wereldkampioen\w*|world\s+champion|(?:european|europees|nederlands|national)"
                   r"\s+(?:champion|kampioen)|profvoetballer|topsporter)\b")


def _public_figures(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """A former public office ("oud-wethouder", "former mayor"), fame ("ex-Olympic rower") or
    public exposure ("on national television", "medewerker van het jaar")."""
    found = []
    for pattern in (lists["former_office"], _FAME):
        for match in pattern.finditer(text):
            end = match.end()
            following = _tokens(text, end, 2)
            if following and _is_person(following[0].group(), lists):
                end = following[0].end()  # "ex-Olympic rower"
            found.append(("indirect", match.start(), end))
    for pattern in lists["exposure"]:
        found += [("indirect", m.start(), m.end()) for m in pattern.finditer(text)]
    return found


_TENURE_YEARS = re.compile(rf"(?i)\b(?:al|ruim|meer\s+dan|bijna|sinds|already|for|after|over|more\s+than|nearly"
                           rf"|almost)\s+({_NUMBER})\s+(?:jaar|years?)\b(?!\s+(?:geleden|ago|oud|old|ouder|older|jonger"
                           rf"|younger|later|eerder|earlier))")
_TENURE_SINCE = re.compile(r"(?i)\b(?:sinds|since|vanaf|from)\s+((?:19|20)\d\d)\b(?!\s*(?:tot|to|until|till|[-–])\s*\d)")
_TENURE_PHRASES = re.compile(
    r"(?i)\b(?:(?:sinds|vanaf|since|from)\s+(?:de|the)\s+(?:oprichting|founding|foundation)"
    r"|since\s+(?:it|the\s+(?:company|firm|business))\s+was\s+founded|van\s+het\s+eerste\s+uur|jubilaris"
    r"|(?:zilveren|gouden)\s+jubileum|medeoprichter|co-?founder)\b")
_SERVICE_YEARS = re.compile(rf"(?i)\b({_NUMBER})[\s-]*(?:jarig\s+(?:jubileum|dienstverband)|dienstjaren"
                            rf"|years?\s+of\s+service|year\s+anniversary)\b")
LONG_TENURE = 25  # years: "al twaalf jaar in de logistiek" or a nurse "for 22 years" is ordinary, "al dertig jaar" is not


def _tenure(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """Long tenure of one person in a role: "de conciërge die er al dertig jaar werkt", "the man
    ... has done so since 1998", "de boekhouder die er al sinds de oprichting zit". Without a
    role, or of a group ("mannen die er al twintig jaar werken"), it passes."""
    import datetime

    found = []
    for pattern in (_TENURE_YEARS, _SERVICE_YEARS):
        for match in pattern.finditer(text):
            years = _number(match.group(1))
            if years is not None and LONG_TENURE <= years < 60:
                found.append(("indirect", match.start(), match.end()))
    this_year = datetime.date.today().year
    for match in _TENURE_SINCE.finditer(text):
        if this_year - int(match.group(1)) >= LONG_TENURE:
            found.append(("indirect", match.start(), match.end()))
    found += [("indirect", m.start(), m.end()) for m in _TENURE_PHRASES.finditer(text)]
    return [f for f in found if re.match(r"(?i)jubilaris|medeoprichter|co-?founder", text[f[1]:f[2]])
            or _role_before(text, f[1], lists)]


_PLURAL_ONE = {"collega's"}  # written as a plural, read as one ("de enige collega's zoon" is rare)
_PLURAL_PERSONS = {"vrouwen", "mannen", "women", "men", "mensen", "people", "collega's", "colleagues"}


def _plural(word: str, lists: dict) -> bool:
    lower = word.lower()
    return lower in _PLURAL_PERSONS or (lower not in lists["roles"] | lists["persons"]
                                        and bool(re.search(r"(?:[^s]s|en|['’]s)$", lower)))


_SENTENCE_WINDOW = 400  # characters either side


def _role_before(text: str, start: int, lists: dict) -> bool:
    """One person in a role in the same sentence (the nearest one before, else after), not a group."""
    # within a window of a few hundred characters: the rule stays linear on texts without stops
    low, high = max(0, start - _SENTENCE_WINDOW), min(len(text), start + _SENTENCE_WINDOW)
    sentence_start = max(max(text.rfind(mark, low, start) for mark in ".!?;\n") + 1, low)
    ends = [i for i in (text.find(mark, start, high) for mark in ".!?;\n") if i >= 0]
    before = [m.group() for m in _TOKEN.finditer(text, sentence_start, start)][-15:]
    after = [m.group() for m in _TOKEN.finditer(text, start, min(ends, default=high))][:15]
    persons = [w for w in reversed(before) if _is_person(w, lists)] + [w for w in after if _is_person(w, lists)]
    if not persons:
        return False
    return not _plural(persons[0], lists) and not _in_generic(persons[0], lists)


def _role_combinations(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """One person in two roles: "is zowel OR-voorzitter als bedrijfskok", "is both chair and cook"."""
    found = []
    pattern = re.compile(r"(?i)\b(?:is|was|ben|bent|wordt|werd|are|als|as)\s+(?:ook\s+|also\s+)?(zowel|both)\s+")
    for match in pattern.finditer(text):
        words = [w for w in _tokens(text, match.end(), 8) if w.group().lower() not in _DETERMINERS]
        joints = [i for i, w in enumerate(words) if w.group().lower() in {"als", "and"}]
        if not joints or joints[0] == 0 or joints[0] + 1 >= len(words):
            continue
        first, second = words[joints[0] - 1], words[joints[0] + 1]
        if _is_person(first.group(), lists) and _is_person(second.group(), lists):
            found.append(("indirect", match.start(1), second.end()))
    return found


_SMALL_UNIT = re.compile(
    rf"(?i)\b(?:de|het|the|als|as|een|a|an)\s+([\w'’-]+)\s+(?:van|of|at|bij|in|op|for|voor)\s+(?:een|a|an|het|de|the|ons|our|hun|their)?"
    rf"\s*(?:[\w'’-]+\s+){{0,2}}?(?:met|with|of|van)\s+(?:maar|slechts|only|just|ongeveer|about|zo['’]n)?\s*({_NUMBER})"
    rf"\s+(?:mensen|medewerkers|werknemers|collega['’]s|personeelsleden|man|people|staff|employees|colleagues"
    rf"|workers|persons)(?:\s+(?:personeel|in\s+dienst|staff))?")
SMALL_UNIT = 15  # people: a role in a unit this small is one person
_TEAM_OF_ONE = re.compile(
    r"(?i)\b(?:de|het|the)\s+([\w'’-]+)\s+(?:van|of|bij|with|for)\s+(?:het|de|the)\s+(?:tweede|derde|vierde|vijfde"
    r"|second|third|fourth|fifth|jeugd|youth|reserves?|dames|heren|vrouwen|women['’]s|men['’]s|[jm]?o\d\d|u\d\d)"
    r"[\s-]*(?:elftal|team|selectie|squad|xi|ploeg|achttal|zevental)\b")


def _small_units(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """A role beside a small unit: "de preventiemedewerker van een drukkerij met negen mensen",
    "de fysiotherapeut van het tweede elftal"."""
    found = []
    for match in _SMALL_UNIT.finditer(text):
        size = _number(match.group(2))
        role = match.group(1)
        if size is not None and size <= SMALL_UNIT and _is_person(role, lists) and not _in_generic(role, lists):
            found.append(("indirect", match.start(), match.end()))
    for match in _TEAM_OF_ONE.finditer(text):
        if _is_person(match.group(1), lists) and not _in_generic(match.group(1), lists):
            found.append(("indirect", match.start(), match.end()))
    return found


_YEARLY = re.compile(
    r"(?i)\b(?:(?:elk|elke|ieder|iedere)\s+jaar|jaarlijks\w*|(?:every|each)\s+year|annual(?:ly)?|yearly"
    r"|(?:at|on)\s+every|(?:bij|op)\s+(?:elk|elke|ieder|iedere)|(?:this|last)\s+year['’]s|van\s+(?:dit|vorig)\s+jaar"
    r"|\w+\s+years\s+running|\w+\s+jaar\s+op\s+rij)\b")
# what one person does at a yearly event, or is there: "speelt de Sinterklaas", "won the bake-off"
_PERFORMER = re.compile(
    r"(?i)\b(?:speelt|speelde|organiseert|organiseerde|geeft|gaf|houdt|hield|wint|won|presenteert|presenteerde"
    r"|verzorgt|verzorgde|leidt|leidde|bakt|bakte|zingt|zong|opent|opende|plays|played|organises|organizes|organised"
    r"|organized|gives|gave|hosts|hosted|wins|runs|ran|leads|led|bakes|baked|sings|sang|opens|opened|dresses\s+up"
    r"|winnaar|winnares|winner|kampioen|champion|organisator|organiser|organizer|host|presentator|presenter)\b")
_EVENT = re.compile(
    r"(?i)\b\w*(?:feest|borrel|quiz|barbecue|bbq|toespraak|speech|receptie|reception|party|uitje|toernooi|tournament"
    r"|wedstrijd|contest|competition|bake-off|loop|marathon|viering|celebration|voorstelling|show|diner|dinner"
    r"|sinterklaas|kerstman|santa|prijs|award|kampioenschap|championship)\w*\b")
# a group or the firm doing it: no single person ("de personeelsvereniging organiseert elk jaar ...")
_GROUPS = (r"\w*vereniging|directie|bedrijf|organisatie|company|firm|team|club|we|wij|they|iedereen|everyone"
           r"|everybody|all\s+of\s+us|staff")
_GROUP_SUBJECT = re.compile(rf"(?i)\b(?:{_GROUPS})\b(?!['’]s)")
_GROUP_AFTER = re.compile(rf"(?i)^\s+(?:de\s+|het\s+|the\s+|onze\s+|our\s+)?(?:{_GROUPS})\b(?!['’]s)")
_EVENT_WINDOW = 150  # characters either side of the yearly marker, within its sentence


def _yearly_events(text: str, lists: dict) -> list[tuple[str, int, int]]:
    """One person's part in a yearly event: "die elk jaar de Sinterklaas speelt op het
    personeelsfeest", "won the company's annual bake-off", "de winnaar van de jaarlijkse
    kerstquiz". A yearly event alone ("the Annual Staff Survey") or a group's part passes."""
    found = []
    for match in _YEARLY.finditer(text):
        low, high = max(0, match.start() - _EVENT_WINDOW), min(len(text), match.end() + _EVENT_WINDOW)
        start = max(max(text.rfind(mark, low, match.start()) for mark in ".!?;\n") + 1, low)
        ends = [i for i in (text.find(mark, match.end(), high) for mark in ".!?;\n") if i >= 0]
        end = min(ends, default=high)
        performer = _PERFORMER.search(text, start, end)
        events = [m for m in _EVENT.finditer(text, start, end) if not (m.start() >= match.start() and m.end() <= match.end())]
        if not performer or not events or _negated(text, performer.start()):
            continue
        if (_GROUP_SUBJECT.search(text, start, performer.start())
                or _GROUP_AFTER.match(text[performer.end():performer.end() + 40])):
            continue  # also right after the verb: "elk jaar organiseert de personeelsvereniging ..."
        first = min(performer.start(), match.start(), events[0].start())
        last = max(performer.end(), match.end(), min(events, key=lambda e: abs(e.start() - match.start())).end())
        found.append(("indirect", first, last))
    return found


def _listed_person(word: str, lists: dict) -> bool:
    """A role or person word of the lists (or a compound of one), not only by its ending."""
    return _in_list(word, lists["roles"]) or _in_list(word, lists["persons"])


def _in_generic(word: str, lists: dict) -> bool:
    return _singular(word) in lists["generic_roles"] or word.lower() in lists["generic_roles"]


def _indirect_findings(text: str) -> list[tuple[str, int, int]]:
    """Phrases that point at one person without naming anybody."""
    lists = _word_lists()
    found = []
    for rule in (_unique_phrases, _superlatives, _relations, _public_figures, _tenure, _role_combinations,
                 _small_units, _yearly_events):
        found += rule(text, lists)
    return [(kind, *_trim(text, start, end)) for kind, start, end in found]


# ages and years of birth

_AGE_NOUN = r"[\w'’-]+(?:\s+[\w'’-]+){0,2}"
_AGE_RULES = [
    # "58-jarige orgelbouwer", "vijftigjarige lasser"
    re.compile(rf"(?i)\b(?:\d{{1,2}}|{_NUMBER})[\s-]?jarige\s+([\w'’-]+)"),
    # "a 61-year-old harbour pilot"
    re.compile(rf"(?i)\b(?:a|an|the|our|her|his|their|this|my)\s+(?P<at>(?:\d{{1,2}}|{_NUMBER})[\s-]year[\s-]old)\s+(?P<noun>{_AGE_NOUN})"),
    # "beekeeper aged 47", "een lasser van 58", "de lasser (58)"
    re.compile(r"(?i)(?<![\w'’-])([\w'’-]++),?\s++(?:aged|age|(?P<van>van))\s+\d{2}\b(?![.:,]\d)(?!\s*(?:jaar\s+)?(?:geleden|procent|%|uur|minuten|euro|km))"
               r"(?!\s*(?:to|tot|t/m|-|–|and|en|or|of)\s+(?:\d|over|older|ouder|up))"
               r"(?!\s*(?:jaar|years)\s+(?:in\s+dienst|bij|getrouwd|married|lid))"),
    re.compile(r"(?i)(?<![\w'’-])([\w'’-]++)\s++\((\d{2})\)"),
]
_AGE_PLAIN = re.compile(r"(?i)\b(?:is|was|ben|bent|werd|wordt|turned|turns|is\s+nu|is\s+now)\s+(?:net|pas|bijna|just|almost"
                        r"|nearly)?\s*\d{2}\s+(?:jaar\s+oud|years\s+old)\b")
_BIRTH_YEAR = [
    re.compile(r"(?i)\b(?:geboren|born|geb\.|b\.)\s+(?:in\s+(?:het\s+jaar\s+)?)?(?:19|20)\d\d\b"),
    re.compile(r"(?i)\b(?:geboortejaar|year\s+of\s+birth|birth\s+year|jaargang)\s*:?\s*(?:is\s+|was\s+)?(?:(?:19|20)\d\d|['’]\d\d)\b"),
    re.compile(r"(?i)\bbouwjaar\s+['’]\d\d\b|\b(?:ik ben|hij is|zij is|ze is|je bent|jij bent)\s+(?P<at>bouwjaar\s+(?:19|20)\d\d)\b"),
    re.compile(r"(?i)\b(?:ik ben|hij is|zij is|ze is|je bent|jij bent)\s+(?P<at>van\s+(?:19[2-9]\d|20[01]\d|['’]\d\d))\b"),
]


def _age_findings(text: str) -> list[tuple[str, int, int]]:
    """An exact age beside a role or a person ("58-jarige orgelbouwer", "a 61-year-old harbour
    pilot") and a year of birth ("geboren in 1979", "bouwjaar '71"). Ages of groups ("boven de
    55", "werknemers van 50 jaar en ouder") and durations ("een 3-jarige opleiding") pass."""
    lists = _word_lists()
    found = []
    for index, pattern in enumerate(_AGE_RULES):
        for match in pattern.finditer(text):
            group = "noun" if "noun" in match.re.groupindex else 1
            noun = match.group(group)
            words = noun.split()
            person = next((i for i, w in enumerate(words) if _is_person(w, lists)), None) if index == 1 else (
                0 if _is_person(words[0], lists) and not _plural(words[0], lists)
                and not (index >= 2 and _in_generic(words[0], lists))
                # "bereikbaar van 06.00": after the Dutch "van" only a role of the lists is a person
                and not ("van" in match.re.groupindex and match.group("van") and not _listed_person(words[0], lists))
                else None)
            if person is None:
                continue
            end = match.start(group) + len(" ".join(words[:person + 1])) if index == 1 else match.end()
            found.append(("leeftijd", _start(match), end))
    found += [("leeftijd", m.start(), m.end()) for m in _AGE_PLAIN.finditer(text)]
    for pattern in _BIRTH_YEAR:
        found += [("geboortejaar", _start(m), m.end()) for m in pattern.finditer(text)]
    return found


def _start(match: re.Match) -> int:
    """Where the finding starts: at the group named "at" where a pattern has one and it took part."""
    return match.start("at") if "at" in match.re.groupindex and match.start("at") >= 0 else match.start()


# names deduce misses

_CUE_BEFORE = re.compile(
    r"(?i)\b(?:zei|zegt|vroeg|vraagt|vraag(?:\s+het)?|bel|app|mail|ping|tegen|met|aan|naar|bij|to|samen\s+met|volgens|hoi|hey|hé"
    r"|hallo|doei|bedankt|ask|asked|asks|tell|told|tells|said|says|call|text|with|according\s+to|cc|thanks|thx"
    r"|waar\s+is|waar\s+blijft|wie\s+is|heb\s+je|zag\s+je|where\s+is|where['’]s|have\s+you\s+seen)\s+$")
_CUE_AFTER = re.compile(r"(?i)^\s+(?:zei|zegt|vroeg|vraagt|schreef|said|says|asked|wrote|maar)\b")
_WHAT_SAID = re.compile(r"(?i)\b(?:wat|what)\s+([a-zà-ÿ]+|[A-ZÀ-Þ]+)\s+(?:[\w'’]+\s+){0,5}?(?:zei|zegt|vond|vindt|schreef"
                        r"|said|says|wrote|thought|meant)\b")
# third round (issue 26): what tells a name in lower case or capitals without the cues above
_GREETINGS = (r"hoi|hey|hee|hé|hallo|hi|hello|dear|beste|goedemorgen|goedemiddag|goedenavond|doei|bedankt|thanks|thx"
              r"|cheers|dank\s+je(?:\s+wel)?|dankjewel|dank\s+u(?:\s+wel)?|thank\s+you|groetjes")
# words that greet only where they open a clause or have a comma ("morning stefan,", "ja, ahmed.";
# "they mean no harm." is no greeting)
_INTERJECTIONS = r"lieve|morgen|morning|afternoon|evening|dag|dank\s+je|ja|nee|yes|no|ok|oké|okay|sorry|nou|well"
# a greeting or an interjection, then the name, then a comma, a stop or the end of the line
_GREETING_BEFORE = re.compile(
    rf"(?i)(?:(?:^|[\s\"“‘'(\[])(?:{_GREETINGS})[,!]?|(?:^|[\s\"“‘'(\[])(?:{_INTERJECTIONS})[,!]"
    rf"|(?:^|[\"“‘'(\[.!?]\s*|\n\s*)(?:{_INTERJECTIONS}))[ \t]+$")
_CLAUSE_END_AFTER = re.compile(r"^[ \t]*(?:[,!.?:;]|$)", re.M)
# a speaker label: the name opens a line (after a time or a bullet) and a colon follows
_LABEL_BEFORE = re.compile(r"(?:^|\n)[ \t]*(?:[-*>•][ \t]*)?(?:\[?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\]?[ \t]*[-–]?[ \t]*)?$")
_LABEL_AFTER = re.compile(r"^:[ \t]")
# "met ruben gesproken", "spoke to tamara"
_SPOKE_BEFORE = re.compile(r"(?i)\b(?:spoke|spoken|talked|talking|speak|speaking|chatted)\s+(?:to|with)\s+$")
_SPOKE_AFTER = re.compile(r"(?i)^\s+(?:[\w'’]+\s+){0,3}?(?:gesproken|gebeld|geappt|gemaild|overlegd|afgesproken"
                          r"|gepraat|besproken)\b")
_MET_BEFORE = re.compile(r"(?i)\bmet\s+$")
# "zei merel dat ...", "told frank that ...": a speech verb, the name, then what was said
_SPEECH_BEFORE = re.compile(r"(?i)\b(?:zei|zegt|vroeg|vraagt|schreef|riep|said|asked|told|wrote)\s+$")
_THAT_AFTER = re.compile(r"(?i)^\s+(?:dat|that|whether)\b")
# a speech verb after the name: "toon zegt", "Mark said"
_SPEECH_AFTER = re.compile(r"(?i)^\s+(?:zei|zegt|vroeg|vraagt|schreef|schrijft|appte|appt|belde|belt|mailde|riep|roept"
                           r"|antwoordde|said|says|asked|asks|wrote|writes|told|tells|texted|called|replied|shouted)\b")
# a verb after a name that is no word at all: "sandra heeft", "DEREK KNOWS"
_VERB_AFTER = re.compile(r"(?i)^\s+(?:heeft|had|is|was|doet|deed|weet|wist|wil|wilde|kan|kon|moet|moest|komt|kwam"
                         r"|gaat|ging|zit|zat|staat|stond|vindt|vond|snapt|krijgt|kreeg|has|does|did|knows|knew|wants"
                         r"|wanted|can|could|will|would|keeps|kept|gets|got|thinks|thought|makes|made|never|always"
                         r"|altijd|nooit|ook|also)\b")
# a signature closing a note: "BEL MIJ. GERRIT."
_SIGN_OFF_BEFORE = re.compile(r"[.!?][ \t]+$|[.!?]\s*\n[ \t]*$")
_SIGN_OFF_AFTER = re.compile(r"^[.!]?[ \t]*(?:[\"”'’]|\n|$)")
# a determiner, quantifier or preposition before an ordinary word: its word sense ("in alle ernst
# vraagt ...", "met lieve woorden")
_WORD_SENSE_BEFORE = re.compile(r"(?i)\b(?:de|het|een|die|deze|dat|the|a|an|this|that|alle|elke|iedere|geen|veel|weinig"
                                r"|some|any|no|much|in|met|zonder|vol|op|aan|naar|bij|voor|uit|with|without|of|for"
                                r"|from|by)\s+$")
# an article or a determiner before a word: the word, not a name ("de toon", "a rose")
_ARTICLE_BEFORE = re.compile(r"(?i)\b(?:de|het|een|die|deze|dat|the|a|an|this|that|my|mijn|zijn|haar|your|his|her)\s+$")


def _looks_like_first_name(word: str, lists: dict) -> bool:
    """A first name in deduce's list that is no ordinary word (a plain name: "sandra")."""
    lower = word.lower()
    return (len(lower) >= 3 and lower in lists["first_names"] and lower not in lists["ordinary"]
            and lower not in lists["english"] and lower not in lists["word_names"]
            and word not in lists["abbreviations"] and lower not in lists["units"] and lower not in lists["roles"])


def _word_name(word: str, lists: dict) -> bool:
    """A first name that is an ordinary word as well ("toon", "frank", "Grace")."""
    lower = word.lower()
    return (len(lower) >= 3 and lower in lists["word_names"] and (lower in lists["first_names"] or lower in lists["english_names"])
            and word not in lists["abbreviations"])


def _strong_name_context(text: str, start: int, end: int) -> bool:
    """Context that makes even an ordinary word a name: a greeting before it and a stop after it,
    a speech verb after it, "met X gesproken", "spoke to X"."""
    before, after = text[max(0, start - 30):start], text[end:end + 40]
    return bool((_GREETING_BEFORE.search(before) and _CLAUSE_END_AFTER.match(after))
                or (_SPEECH_AFTER.match(after) and not _WORD_SENSE_BEFORE.search(before)) or _SPOKE_BEFORE.search(before)
                or (_MET_BEFORE.search(before) and _SPOKE_AFTER.match(after))
                or (_SPEECH_BEFORE.search(before) and _THAT_AFTER.match(after)))


def _name_context(text: str, start: int, end: int) -> bool:
    """Context enough for a word that is a first name and no ordinary word: any cue word, a
    speaker label, a verb after it, a signature."""
    before, after = text[max(0, start - 30):start], text[end:end + 40]
    return bool(_strong_name_context(text, start, end) or _CUE_BEFORE.search(before) or _CUE_AFTER.match(after)
                or (_LABEL_BEFORE.search(before) and _LABEL_AFTER.match(after)) or _VERB_AFTER.match(after)
                or (_SIGN_OFF_BEFORE.search(before) and _SIGN_OFF_AFTER.match(after)))


def _name_findings(text: str) -> list[tuple[str, int, int]]:
    """Names written in lower case or in capitals ("vraag het jeroen maar", "BEL ESTHER",
    "beste wendy,", "marco: wie heeft de bus?"), where the context says name, and short first
    names beside a unit ("Bas van de planning"). A first name that is an ordinary word as well
    ("toon", "frank") needs a context that leaves no doubt; a name found once is found wherever
    the text repeats it ("toon zegt ..." and "Toon is de afdelingschef")."""
    lists = _word_lists()
    found = []
    for match in _LOWER_OR_CAPS_WORD.finditer(text):
        word, start, end = match.group(), match.start(), match.end()
        if _looks_like_first_name(word, lists):
            if _name_context(text, start, end):
                found.append(("naam", start, end))
        elif _word_name(word, lists) and word.lower() not in lists["ordinary"] - lists["word_names"]:
            if _strong_name_context(text, start, end):
                found.append(("naam", start, end))
    for match in _CAPITALISED_WORD.finditer(text):
        # "Storm zei tegen de melder ...": a first name opening a sentence, a speech verb after it
        word = match.group()
        after = text[match.end():match.end() + 40]
        if (word.lower() in lists["first_names"] and word.lower() not in lists["ordinary"] - lists["word_names"]
                and _SPEECH_AFTER.match(after) and not _INVERTED_SUBJECT.match(after)
                and _at_sentence_start(text, match.start())):
            found.append(("naam", match.start(), match.end()))
    for match in _WHAT_SAID.finditer(text):
        if _looks_like_first_name(match.group(1), lists):
            found.append(("naam", match.start(1), match.end(1)))
    for match in lists["nickname"].finditer(text):
        if match.group(1).lower() in lists["first_names"]:
            found.append(("naam", match.start(1), match.end(1)))
    return found + _same_names(text, found, lists)


# "Dan zegt de teamleider", "Then said the manager": the subject follows the verb
_INVERTED_SUBJECT = re.compile(r"(?i)^\s+\w+\s+(?:de|het|een|die|hij|zij|ze|ik|je|we|wij|jij|u|the|a|an|he|she|they"
                               r"|we|i|you|it|mijn|zijn|haar|onze|my|his|her|our|their)\b")
_CAPITALISED_WORD = re.compile(r"\b[A-ZÀ-Þ][a-zà-ÿ]{2,}\b")
_LOWER_OR_CAPS_WORD = re.compile(r"\b(?:[a-zà-ÿ]{3,}|[A-ZÀ-Þ]{3,})\b")


def _same_names(text: str, found: list[tuple[str, int, int]], lists: dict) -> list[tuple[str, int, int]]:
    """Every other place the text uses a name found in lower case or capitals, in any case,
    unless an article makes it the word ("de toon")."""
    names = {text[start:end].lower() for _, start, end in found if " " not in text[start:end]}
    if not names:
        return []
    return [("naam", m.start(), m.end()) for m in _WORD.finditer(text)
            if m.group().lower() in names and not _ARTICLE_BEFORE.search(text[max(0, m.start() - 8):m.start()])]


_WORD = re.compile(r"\b[^\W\d_]+\b")


def _followed_by_name(text: str, end: int, lists: dict) -> bool:
    """A speech verb or a surname follows: "Mark said", "Roos Verbeek"."""
    after = text[end:end + 40]
    if _SPEECH_AFTER.match(after):
        return True
    surname = re.match(r"[ \t]+(?:(?:van|de|der|den|ter|ten)[ \t]+)*([A-ZÀ-Þ][\w'’-]+)", after)
    return bool(surname and surname.group(1).lower() in lists["surnames"])


_EMPLOYER_BEFORE = re.compile(r"(?i)\b(?:bij|voor|at|for|with|van)\s+(?:de\s+|het\s+|the\s+)?$")


def _employer_findings(text: str) -> list[tuple[str, int, int]]:
    """Sports clubs and well-known employers ("bij AZ", "at the Rijksmuseum"): an ordinary word
    among them ("Action") only after "bij", "voor", "at" or "for"."""
    lists = _word_lists()
    found = []
    for match in lists["employers"].finditer(text):
        if match.group() in lists["ordinary_employers"] and not _EMPLOYER_BEFORE.search(text[max(0, match.start() - 12):match.start()]):
            continue
        found.append(("organisatie", match.start(), match.end()))
    return found


# what is never a name

_NAME_KINDS = {"naam", "eigennaam", "organisatie", "gemeente", "plaats", "school", "zorginstelling"}
_TITLE_JOINERS = {"of", "and", "for", "the", "&", "on", "to", "in", "voor", "de", "van", "het", "en", "a", "an", "een"}
_HONORIFIC = re.compile(r"(?i)\b(?:mr|mrs|ms|miss|dr|prof|mevrouw|meneer|mevr|mw|dhr|heer)\.?\s+$")


def _protected_spans(text: str, lists: dict) -> list[tuple[int, int]]:
    """Known bodies, laws and idioms, and the provinces (unless a municipality of that name)."""
    spans = [m.span() for m in lists["known_terms"].finditer(text)]
    provinces = list(lists["provinces"].finditer(text))
    province_starts = [m.start() for m in provinces]
    for match in provinces:
        before = text[max(0, match.start() - 20):match.start()]
        if re.search(r"(?i)\b(?:gemeente|stad|city\s+of|municipality\s+of)\s+$", before):
            continue
        province = re.search(r"(?i)\b(?:de\s+|the\s+)?(?:provincie|province\s+of)\s+$", before)
        if province:  # "de provincie Gelderland" as a whole
            spans.append((match.start() - len(before) + province.start(), match.end()))
            continue
        # Groningen and Utrecht are cities as well: a province only as "provincie Utrecht" or
        # beside another province ("in Gelderland en Utrecht")
        near = provinces[bisect.bisect_right(province_starts, match.start() - 40):
                         bisect.bisect_left(province_starts, match.start() + 40)]
        if match.group() in _CITY_PROVINCES and not any(
                other is not match
                and (other.group() not in _CITY_PROVINCES
                     or re.search(r"(?i)(?:provincie|province\s+of)\s+$", text[max(0, other.start() - 20):other.start()]))
                for other in near[:8]):
            continue
        spans.append(match.span())
    return spans


_CITY_PROVINCES = {"Groningen", "Utrecht"}


# English nouns and adjectives of procedures and roles ("Restructuring", "First Aider"): in a
# phrase of two words or more, a word with one of these endings counts as a title word too.
_ENGLISH_TITLE_ENDINGS = re.compile(r"(?i)(?:ing|tion|sion|ment|ance|ence|ity|ness|ship|ics|ism|ive|ory|ary|ical"
                                    r"|al|er|or|ist|ant|ent)s?$")
_ENGLISH_ABSTRACT_ENDINGS = re.compile(r"(?i)(?:tion|sion|ment|ance|ence|ity|ness|ship)s?$")


def _is_title_phrase(phrase: str, lists: dict, english: bool = False, after_article: bool = True) -> bool:
    """"Day Shift", "Grievance Committee", "Board of Directors": words of roles, shifts,
    documents, bodies and procedures, capitalised by habit (in English, also words with the
    endings of such nouns, when they are not first names). A single role word counts only after
    an article ("the Porter" is the role, "told Porter" a surname)."""
    words = [w for w in re.findall(r"[\w'’&]+(?:-[\w'’&]+)*", phrase) if w.lower() not in _TITLE_JOINERS]
    known = lists["title_words"] | lists["capitalised"]
    if len(words) > 1 or after_article:
        known = known | lists["roles"] | lists["units"]

    def title_word(word: str) -> bool:
        lower = word.lower()
        if _singular(word) in known or lower in known or (lower.endswith("s") and lower[:-1] in known):
            return True
        if not english or lower in lists["first_names"]:
            return False
        if len(words) > 1:
            return bool(_ENGLISH_TITLE_ENDINGS.search(lower))
        return bool(_ENGLISH_ABSTRACT_ENDINGS.search(lower)) or (lower.endswith("ing") and len(lower) >= 9)

    if not words:
        return False
    if all(title_word(w) for w in words):
        return True
    if len(words) < 2:
        return False
    # a job title or a kind of institution: its head is a role ("Software Engineer", "Supply
    # Chain Planner") or a compound of a title word ("Regionaal Opleidingscentrum"), and no other
    # word is a first name or a surname
    head = words[-1]
    role_head = _is_person(head, lists) or head.lower().rstrip("s") in _PERSON_TITLES
    kind_head = all(title_word(w) for w in words[:-1]) and _in_list(head, known)
    return (role_head or kind_head) and all(w[:1].isupper() for w in words) and not any(
        w.lower() in lists["first_names"] or w.lower() in lists["surnames"] or _HONORIFIC.search(w + " ")
        for w in words[:-1])


_PERSON_TITLES = {"manager", "engineer", "officer", "director", "analyst", "controller", "planner", "lead", "head",
                  "chief", "coordinator", "specialist", "consultant", "assistant", "associate", "representative",
                  "developer", "owner", "master", "partner", "clerk", "operative", "practitioner", "scientist",
                  "architect", "designer", "advisor", "adviser", "supervisor", "technician", "executive", "officer"}


def _used_as_name(text: str, word: str, lists: dict, seen: dict | None = None) -> bool:
    """The text uses ``word`` as a name somewhere it does not open a sentence (``seen`` keeps
    the answer per word, so that a text full of the word is read once)."""
    if seen is not None and word in seen:
        return seen[word]
    used = any(not _at_sentence_start(text, match.start()) for match in re.finditer(rf"\b{re.escape(word)}\b", text))
    if seen is not None:
        seen[word] = used
    return used


def _drop_non_names(text: str, candidates: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Drop name-like findings that are known bodies, laws, idioms, provinces, title-case roles and
    procedures, or (in English) an ordinary word that opens a sentence."""
    lists = _word_lists()
    protected = sorted(_protected_spans(text, lists))
    protected_starts = [s for s, _ in protected]
    reach = list(itertools.accumulate((e for _, e in protected), max))  # the furthest end so far
    english = text_language(text) == "en"
    kept = []
    seen: dict[str, bool] = {}
    for kind, start, end in candidates:
        if kind in _NAME_KINDS:
            phrase = text[start:end]
            inside = bisect.bisect_right(protected_starts, start)
            if inside and reach[inside - 1] >= end:
                continue  # a protected span starts before it and reaches past its end
            after_article = bool(re.search(r"(?i)\b(?:the|a|an|our|their|his|her|its|de|het|een)\s+$", text[max(0, start - 8):start]))
            # "een Praktijkschool", "a Daycare": after an indefinite article, a kind of institution
            indefinite = re.search(r"(?i)\b(?:a|an|een)\s+$", text[max(0, start - 5):start])
            if indefinite and " " not in phrase and _in_list(phrase, lists["title_words"]):
                continue
            if (_is_title_phrase(phrase, lists, english, after_article)
                    and not _HONORIFIC.search(text[max(0, start - 12):start])):
                continue
            if (english and _at_sentence_start(text, start) and " " not in phrase
                    and phrase.lower() in lists["english_names"] and not _used_as_name(text, phrase, lists, seen)
                    and not _followed_by_name(text, end, lists)):
                continue
        kept.append((kind, start, end))
    return kept


# suggested rewrites

_HINTS = {
    "nl": {"person": "een medewerker", "unit": "een medewerker {prep} {unit}", "experienced": "een ervaren collega",
           "young": "een jonge collega", "close": "iemand die dicht bij de leiding staat", "tenure": "al lang",
           "small": "een medewerker van een klein bedrijf", "club": "een medewerker van de club"},
    "en": {"person": "an employee", "unit": "a member of staff {prep} {unit}", "experienced": "an experienced colleague",
           "young": "a young colleague", "close": "someone close to management", "tenure": "for a long time",
           "small": "an employee of a small firm", "club": "a member of the club's staff"},
}


def suggest(kind: str, phrase: str, language: str) -> str:
    """An obvious rewrite of an indirect identifier or an age, in the text's language, or ""."""
    hints = _HINTS["en" if language == "en" else "nl"]
    lower = phrase.lower()
    lists = _word_lists()
    if kind == "leeftijd":
        # the role without the age: "58-jarige orgelbouwer" -> "orgelbouwer"
        rest = re.sub(r"(?i)^\S*(?:jarige|year[\s-]old)\s+|,?\s+(?:aged|age|van)\s+\d+$|\s+\(\d+\)$", "", phrase)
        return rest if rest != phrase and not re.search(r"\d", rest) else ""
    if kind != "indirect":
        return ""
    if re.search(r"enig|only|sole|\bone\b", lower):
        unit = re.search(r"(?i)\b(van|in|op|bij|on|in|at|of|among)\s+((?:de|het|the)\s+)?(?:[\w'’-]+\s+){0,2}?([\w'’-]+)$", phrase)
        if unit and _in_list(unit.group(3), lists["units"]):
            article = unit.group(2) or ("the " if language == "en" else "de ")
            return hints["unit"].format(prep=unit.group(1).lower(), unit=article + unit.group(3))
        return hints["person"]
    if re.search(r"jongste|youngest", lower):
        return hints["young"]
    if re.search(r"oudste|langst|longest|oldest|most senior|first hire|eerste", lower):
        return hints["experienced"]
    if re.match(r"(?i)(?:al|ruim|meer dan|bijna|sinds|already|for|after|over|more than|nearly|almost|since|vanaf|from)\b", phrase):
        return hints["tenure"]
    if re.search(r"elftal|squad|selectie|\bxi\b", lower):
        return hints["club"]
    if re.search(r"mensen|medewerkers|werknemers|people|staff|employees|workers", lower):
        return hints["small"]
    if any(_singular(w) in lists["relations"] for w in re.findall(r"[\w'’-]+", lower)):
        return hints["close"]
    return ""


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
    # the kept findings never overlap, so sorted by start they are sorted by end as well
    starts: list[int] = []
    kept: list[tuple[str, int, int]] = []
    for kind, start, end in ranked:
        at = bisect.bisect_left(starts, start)
        if at < len(kept) and kept[at][1] < end:
            continue  # the next kept one starts inside
        if at > 0 and kept[at - 1][2] > start:
            continue  # the one before ends inside
        starts.insert(at, start)
        kept.insert(at, (kind, start, end))
    return kept


def scan_text(text: str) -> list[Finding]:
    """Every identifier in ``text`` (no allow-list), with offsets and 1-based lines."""
    if not text or not text.strip():
        return []
    candidates = _birth_dates(text, _deduce_findings(text) + _rule_findings(text) + _name_findings(text)
                              + _employer_findings(text))
    candidates = _drop_non_names(text, candidates) + _age_findings(text) + _indirect_findings(text)
    language = text_language(text)
    newlines = [i for i, char in enumerate(text) if char == "\n"]
    return [Finding(kind, text[start:end], start, end, bisect.bisect_left(newlines, start) + 1,
                    hint=suggest(kind, text[start:end], language))
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
            placed = Finding(finding.kind, finding.text, finding.start, finding.end, line, name, allowed,
                             finding.hint)
            (result.allowed if allowed else result.findings).append(placed)
    return result
