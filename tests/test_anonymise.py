"""The anonymisation check: every kind of identifier, ordinary language, the allow-list,
``casebook check`` on case files and drafts, and the built-in cases."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from casebook.anonymise import KINDS, check_case, check_text
from casebook.cases import builtin_cases_dir, parse_case_file

ROOT = Path(__file__).resolve().parent.parent
DIRTY = Path(__file__).resolve().parent / "data" / "dirty-cases"

# one sentence per kind, with the identifier as the check must report it
EXAMPLES = [
    ("naam", "De melder zegt dat Sanne de Vries haar steeds buitensluit.", "Sanne de Vries"),
    ("naam", "Volgens de melder zei mevrouw Bakker dat hij niet moest zeuren.", "mevrouw Bakker"),
    ("telefoonnummer", "Ze wil teruggebeld worden op 06-48213957 na zes uur.", "06-48213957"),
    ("telefoonnummer", "Hij is deze maand alleen bereikbaar op +44 7700 900123.", "+44 7700 900123"),
    ("e-mail", "De foto's kwamen van m.verhoeven@gmail.com, zijn privéadres.", "m.verhoeven@gmail.com"),
    ("url", "Het filmpje staat nog op www.dewaarheidoverafdeling3.nl, zegt ze.", "www.dewaarheidoverafdeling3.nl"),
    ("social-media", "Ze wordt gevolgd door het account @bram_de_bouwer.", "@bram_de_bouwer"),
    ("bsn", "Op de kopie staat haar BSN, 367418253, nog leesbaar.", "367418253"),
    ("iban", "Het geld ging naar rekening NL03RABO0312456789 van de chef.", "NL03RABO0312456789"),
    ("postcode", "Er lag een brief op haar adres in 7421 CK, zegt ze.", "7421 CK"),
    ("adres", "Hij woont op de Van Goghstraat 112b, vlak bij het depot.", "Van Goghstraat 112b"),
    ("datum", "Het eerste incident was op 12 maart 2023, in de nachtdienst.", "12 maart 2023"),
    ("datum", "Op 3 oktober zei de afdelingshoofd het voor het eerst.", "3 oktober"),
    ("geboortedatum", "Op het formulier staat dat ze geboren is op 4 mei 1987.", "4 mei 1987"),
    ("kenteken", "Ze noteerde het kenteken van de bestelbus, VGT-42-K, op een briefje.", "VGT-42-K"),
    ("personeelsnummer", "In de mail stond haar personeelsnummer 48213, dus iedereen wist het.", "48213"),
    ("identificatienummer", "Op zijn pasje staat de code TRX-884213 onder zijn foto.", "TRX-884213"),
    ("organisatie", "De melder is chauffeur bij Van Dijk Transport B.V. in de regio.", "Van Dijk Transport B.V."),
    ("zorginstelling", "Ze is pas begonnen in Ziekenhuis Gelderse Vallei op de SEH.", "Ziekenhuis Gelderse Vallei"),
    ("school", "Ze is leerkracht op basisschool De Regenboog in een nieuwbouwwijk.", "basisschool De Regenboog"),
    ("gemeente", "Hij is beleidsmedewerker bij de gemeente Zwolle sinds vorig jaar.", "gemeente Zwolle"),
    ("plaats", "Het ging mis op het bedrijfsuitje in Valkenburg, na de borrel.", "Valkenburg"),
    ("eigennaam", "Ze werkt sinds vorig jaar bij Qwintara en voelt zich daar niet veilig.", "Qwintara"),
    ("geboortejaar", "De chef, geboren in 1966, noemt haar steeds 'meisje'.", "geboren in 1966"),
    ("leeftijd", "Het gaat om een 47-jarige sluiswachter in een klein district.", "47-jarige sluiswachter"),
    ("indirect", "Hij is de enige Turkse monteur van de werkplaats en hoort elke dag grappen.",
     "de enige Turkse monteur van de werkplaats"),
]


def test_every_kind_has_an_example_and_a_label():
    from casebook.messages import t

    assert {kind for kind, _, _ in EXAMPLES} == set(KINDS)
    for kind in KINDS:
        assert t(f"anonymisation.kind.{kind}", "nl") and t(f"anonymisation.kind.{kind}", "en")


@pytest.mark.parametrize("kind,text,identifier", EXAMPLES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(EXAMPLES)])
def test_each_kind_of_identifier_is_found_with_its_place(kind, text, identifier):
    findings = check_text(text)
    matching = [f for f in findings if f.text == identifier]
    assert matching, f"{identifier!r} not found in {text!r}: {findings}"
    finding = matching[0]
    assert finding.kind == kind
    assert text[finding.start:finding.end] == identifier
    assert finding.line == 1


def test_lines_count_from_one_in_the_text_checked():
    text = "De melder komt binnen.\nZe is boos.\n\nHaar teamleider Kees de Boer stuurt appjes."
    [finding] = check_text(text)
    assert (finding.kind, finding.text, finding.line) == ("naam", "Kees de Boer", 4)
    assert text[finding.start:finding.end] == "Kees de Boer"


@pytest.mark.parametrize("text", [
    "Pas toen de teamleider voor de derde keer begon, ging ze naar de vertrouwenspersoon.",
    "Mooi is anders, zegt ze zelf. Best lastig, want de directeur is ook de eigenaar.",
    "Just before the meeting ended, the team lead laughed. My first thought was to leave.",
    "Op een maandagochtend in maart belt een medewerker van de schoonmaakploeg. Ze werkt er twaalf jaar.",
    "De VP vraagt door. De HR-adviseur en de OR weten van niets, en de CAO zegt er niets over.",
    "On Monday she sent a message on WhatsApp; on Friday the Head of Operations called HR.",
    "(huilt) Ik wil gewoon niet dat iedereen het weet.",
    "Het bedrijf heeft 1.200 medewerkers, een omzet van € 250.000 en is 24/7 bereikbaar van 06.00 tot 14.00 uur.",
    "In 2019 kreeg ze een vast contract; sinds de COVID-19-maatregelen werkt het team thuis.",
    "Volgens de Arbowet moet de werkgever iets doen, zegt de melder. Ze denkt aan de Arbeidsinspectie.",
    "Op een dinsdag belt een monteur van een installatiebedrijf. Zijn chef scheldt hem uit.",
    # a pattern's end is a word's end: "van het jaar" in "jaarverslag" is no award
    "Bij de bespreking van het jaarverslag vraagt de ondernemingsraad naar de meldingen.",
    "De regionale personeelsvereniging en de landelijke televisiezender sponsoren het uitje.",
])
def test_ordinary_vignette_language_passes(text):
    assert check_text(text) == []


# phrases that single one person out without a name (issue 15), and what stays clean beside them
INDIRECT = [
    "Zij is als enige vrouw in de ploeg van de betonvlechters vaak het mikpunt.",
    "The only male midwife in the practice says patients ask for someone else.",
    "He is the longest-serving porter of the hospital and retires next spring.",
    "De jongste lasser van de werf wordt steeds met klusjes opgezadeld.",
    "De melder is de stiefdochter van de directeur.",
    "The complaint is about the owner's nephew, who runs the bar.",
    "Haar nieuwe leidinggevende is een oud-burgemeester.",
    "Our new colleague is a former alderman of the city.",
    "De magazijnchef trad vorig jaar op in een tv-quiz.",
    "De kantinebeheerder werkt er al zesendertig jaar.",
    "The caretaker has worked there since 1989.",
    "Hij is zowel bedrijfshulpverlener als magazijnchef.",
    "Ze is de administrateur van een installatiebedrijf met zeven medewerkers.",
]
ORDINARY_TRAPS = [
    "De enige manier om dit op te lossen is een gesprek. The only thing she wants is that it stops.",
    "Ze is niet de enige in het team die er last van heeft. One of the oldest colleagues laughed.",
    "Medewerkers boven de 55 en jongeren onder de 18 krijgen andere roosters. Workers aged 18 to 25 complained most.",
    "Ze werkt al twaalf jaar in de zorg, heeft een contract van 24 uur en 30 procent van het team doet mee.",
    "Het bedrijf bestaat al dertig jaar. De regeling geldt sinds 2019. Een 3-jarige opleiding.",
    "Vier collega's zijn mannen die er al dertig jaar werken.",
    "De oudste dochter van de melder is ziek; de man van de receptie belde terug.",
    "De enige collega die haar steunt, is zelf ook bang. The only person who saw it was a customer.",
    "The Night Shift Supervisor filed an Incident Report with the Grievance Committee under the Code of Conduct.",
    "The Occupational Physician and the Works Council discussed the Working Conditions Act.",
    "Grace periods do not exist, the Confidential Adviser says. Hope is what she holds on to.",
    "From May until August the Team Lead made remarks at the Monday Briefing.",
    "Ze belde Veilig Thuis, het Huis voor Klokkenluiders en het College voor de Rechten van de Mens.",
    "Volgens de AVG, de Wbk en art. 160 Sv mag de vertrouwenspersoon dat niet; de Meldcode en de RI&E ook niet.",
    "Ze werkt in Gelderland, hij in Noord-Brabant; in de provincie Utrecht is het rustiger.",
    "Jan en alleman weet het. Frank en vrij vertelt ze over het UWV, de LVV en de Arbeidsinspectie.",
]


@pytest.mark.parametrize("text", INDIRECT)
def test_a_phrase_that_singles_one_person_out_is_an_indirect_finding(text):
    assert [f.kind for f in check_text(text)] == ["indirect"], check_text(text)


@pytest.mark.parametrize("text", ORDINARY_TRAPS)
def test_ordinary_language_beside_the_new_kinds_passes(text):
    assert check_text(text) == []


def test_an_indirect_finding_explains_itself_and_suggests_a_rewrite():
    [finding] = check_text("Ze is de enige vrouwelijke lasser van de haven.")
    assert (finding.kind, finding.text) == ("indirect", "de enige vrouwelijke lasser van de haven")
    assert finding.hint == "een medewerker van de haven"
    assert finding.explanation("nl") == "dit wijst één persoon aan, ook zonder naam"
    assert finding.explanation("en") == "this points at one person, even without a name"
    data = finding.as_dict("en")
    assert data["hint"] == "een medewerker van de haven"
    assert "this points at one person, even without a name" in data["message"]
    assert "een medewerker van de haven" in data["message"]
    [english] = check_text("She is the only female welder at the shipyard.")
    assert english.hint == "a member of staff at the shipyard"
    [age] = check_text("A 58-year-old organ builder reports that his manager mocks him.")
    assert (age.kind, age.text, age.hint) == ("leeftijd", "58-year-old organ builder", "organ builder")


def test_every_kind_has_a_plain_explanation_in_both_languages():
    from casebook.anonymise import Finding

    for kind in KINDS:
        finding = Finding(kind, "x", 0, 1, 1)
        assert finding.explanation("nl") and finding.explanation("en")
        assert finding.explanation("nl") != finding.explanation("en")


def test_the_exact_phrase_in_the_allow_list_lets_an_indirect_finding_pass():
    text = "Hij is de oudste stratenmaker van de ploeg."
    [finding] = check_text(text)
    assert finding.kind == "indirect"
    assert check_text(text, allow=[finding.text]) == []
    assert check_text(text, allow=["stratenmaker"]) != []


@pytest.mark.parametrize("text,name", [
    ("In de groepsapp: \"vraag het mirjam maar, die weet het\".", "mirjam"),
    ("The chat says: \"not me, ask rajesh\".", "rajesh"),
    ("Zijn bericht: \"ZEG TEGEN PATRICIA DAT HET KLAAR IS\".", "PATRICIA"),
    ("\"TALK TO SIMONE BEFORE YOU LEAVE,\" the note said.", "SIMONE"),
    ("Wim van de werkplaats zag het ook.", "Wim"),
])
def test_names_in_lower_case_capitals_or_as_a_nickname_beside_a_unit_are_found(text, name):
    assert name in [f.text for f in check_text(text) if f.kind == "naam"], check_text(text)


# third round (issue 26): names in lower case or capitals where the context says name, without
# the old cue words, and ordinary words that are first names where it does not
NAMES_IN_CONTEXT = [
    ("Het appje begon met \"hoi marjolein, kun je even bellen?\"", "marjolein"),  # a greeting
    ("The e-mail opened with \"Dear PRAKASH,\" and went on for a page.", "PRAKASH"),
    ("[08:12] lodewijk: wie heeft de sleutel?\n[08:13] melder: ik niet", "lodewijk"),  # a speaker label
    ("Ze zegt: \"ik heb gisteren met annemiek gesproken.\"", "annemiek"),
    ("In de app: \"gerdien heeft het weer verpest\".", "gerdien"),  # a verb after it
    ("Op de deur hing: \"WAAR IS HENDRIKA?\"", "HENDRIKA"),
    ("Op het briefje: \"KOM NIET MEER. BARTHOLOMEUS.\"", "BARTHOLOMEUS"),  # a signature
    ("Volgens haar zei merel dat het een grapje was.", "merel"),  # a word-name with a speech verb
    ("Mark said he would sort it out with the night team.", "Mark"),
    ("De planner, Roos Verbeek, stuurt het rooster te laat.", "Roos Verbeek"),
]
WORDS_NOT_NAMES = [
    "In alle ernst vraagt de melder of het ophoudt. Met lieve woorden kom je er niet, zei de chef.",
    "Ze vraagt aan max. twee collega's of zij het ook horen. Bij toon en houding voelt ze zich klein.",
    "Lente was haar favoriete seizoen; het werk heeft geen fleur meer. Iris en pupil reageren op licht.",
    "She asked with frank honesty whether she could transfer. Mark my words, nothing will change.",
    "De melder schreef: \"MET LIEVE WOORDEN LOS JE DIT NIET OP.\" Most of these men mean no harm.",
    "## What Happened Next\nThe Occupational Health Service referred her to a Community Mental Health Team.",
    "Lessons Learned\n\nThe lab technician works at a University Medical Centre, on a ward of a Regional Hospital.",
    "Ze is Office Manager en haar chef is Service Delivery Manager; de Country Manager wuift het weg.",
    "A Secondary School and a Childcare Centre share a building. Een Hogeschool en een Academisch Ziekenhuis ook.",
    "Ter Herinnering staat in de onderwerpregel. Volgens Van Dale is pesten herhaaldelijk treiteren.",
    "De oudste medewerkers van de afdeling klagen. The only women in management work in HR.",
    "Als enige afdeling in het bedrijf heeft de klantenservice geen vertrouwenspersoon.",
    "The Annual Staff Survey showed that bullying increased. De personeelsvereniging organiseert elk jaar een feest.",
]
YEARLY_EVENTS = [
    "Het gaat om de collega die elk jaar de Sinterklaas speelt op het personeelsfeest.",
    "The manager won the company's annual bake-off three years running.",
    "Zij organiseert ieder jaar in haar eentje de bedrijfsbarbecue.",
]


@pytest.mark.parametrize("text,name", NAMES_IN_CONTEXT)
def test_a_name_in_lower_case_or_capitals_is_found_where_the_context_says_name(text, name):
    assert name in [f.text for f in check_text(text) if f.kind == "naam"], check_text(text)


@pytest.mark.parametrize("text", WORDS_NOT_NAMES)
def test_ordinary_words_institution_kinds_job_titles_particles_and_groups_pass(text):
    assert check_text(text) == []


@pytest.mark.parametrize("text", YEARLY_EVENTS)
def test_one_persons_part_in_a_yearly_event_is_an_indirect_finding(text):
    assert [f.kind for f in check_text(text)] == ["indirect"], check_text(text)


def test_a_name_found_once_is_found_wherever_the_text_repeats_it():
    text = "\"toon zegt er nooit iets van\", zegt ze. Toon is de afdelingschef, de toon is vijandig."
    assert [f.text for f in check_text(text)] == ["toon", "Toon"]


@pytest.mark.parametrize("text,employer", [
    ("Ze werkt in de kantine bij Feyenoord.", "Feyenoord"),
    ("He drives a delivery van for PostNL.", "PostNL"),
    ("Rabobank is haar werkgever sinds vorig jaar.", "Rabobank"),
])
def test_sports_clubs_and_well_known_employers_are_found(text, employer):
    assert employer in [f.text for f in check_text(text)]


def test_an_ordinary_english_word_opening_a_sentence_is_a_name_when_the_text_uses_it_as_one():
    assert check_text("Grace is what she asks for. Nobody gives it.") == []
    assert "Grace" in [f.text for f in check_text("Grace is upset. The team lead told Grace to calm down.")]


def test_a_word_that_opens_a_sentence_still_counts_as_a_name_with_a_surname_or_mid_sentence():
    assert [f.text for f in check_text("Pas Jansen belde haar op zondag.")] == ["Pas Jansen"]
    assert [f.text for f in check_text("Ze zei tegen Mooi dat het over was.")] == ["Mooi"]


def test_the_allow_list_lets_confirmed_tokens_pass_and_nothing_more():
    text = "Anouk vertelt dat Kees haar appt. Anouk de Vries wil geen klacht."
    assert {f.text for f in check_text(text)} == {"Anouk", "Kees", "Anouk de Vries"}
    assert {f.text for f in check_text(text, allow=["Anouk"])} == {"Kees", "Anouk de Vries"}
    assert {f.text for f in check_text(text, allow=["anouk", "Kees"])} == {"Anouk de Vries"}
    assert check_text(text, allow=["Anouk", "Kees", "Anouk de Vries"]) == []
    assert check_text("Bel 06-48213957.", allow=["Anouk"]) != []


def test_check_case_names_field_and_file_line_and_keeps_allowed_findings_apart():
    case = parse_case_file(DIRTY / "tst-vuil.md")
    result = check_case(case)
    assert not result.clean
    found = {(f.field, f.kind, f.text, f.line) for f in result.findings}
    assert found == {("dialogue[2]", "telefoonnummer", "06-48213957", 14), ("body", "naam", "Kees de Boer", 17)}
    assert [(f.field, f.text, f.allowed) for f in result.allowed] == [("body", "Anouk", True)]
    lines = (DIRTY / "tst-vuil.md").read_text().splitlines()
    for finding in result.findings + result.allowed:
        assert finding.text in lines[finding.line - 1]
    assert set(result.by_field()) == {"dialogue[2]", "body"}


def test_check_case_covers_every_text_a_reader_sees(tmp_path):
    case_file = tmp_path / "tst-overal.md"
    case_file.write_text(textwrap.dedent("""\
        ---
        id: tst-overal
        title: De appjes van Kees de Boer
        language: nl
        themes: [pesten]
        summary: Een melder uit Valkenburg twijfelt.
        key:
          - item: beloftes-doen
            why: De VP belooft dat Kees de Boer wordt overgeplaatst.
        dialogue:
          - speaker: melder
            text: Bel me op 06-48213957.
        questions:
          - Wat als m.verhoeven@gmail.com het leest?
        what_happened: |
          De VP belde op 12 maart 2023
          met Ziekenhuis Gelderse Vallei.
        ---
        De vignette zelf is schoon.
        """), "utf-8")
    result = check_case(parse_case_file(case_file))
    where = {(f.field, f.text, f.line) for f in result.findings}
    assert where == {
        ("title", "Kees de Boer", 3), ("summary", "Valkenburg", 6), ("key[1].why", "Kees de Boer", 9),
        ("dialogue[1]", "06-48213957", 12), ("questions[1]", "m.verhoeven@gmail.com", 14),
        ("what_happened", "12 maart 2023", 16), ("what_happened", "Ziekenhuis Gelderse Vallei", 17),
    }


# Findings of the second round (issue 15) in built-in cases that are real, reported to the
# authors to rewrite or confirm in the case's allow: list (not a rule to loosen).
KNOWN_IN_BUILTIN_CASES = {
    ("vp-009-not-in-the-channel.md", "indirect", "the only newcomer from abroad in that team"),
}


def test_every_builtin_case_is_clean(cli):
    result = cli("--language", "en", "check", "--format", "json", str(builtin_cases_dir()))
    reports = json.loads(result.output)
    assert len(reports) >= 26
    found = {(Path(r["file"]).name, f["kind"], f["text"]) for r in reports for f in r["findings"]}
    assert found <= KNOWN_IN_BUILTIN_CASES
    assert result.exit_code == (1 if found else 0)


def test_check_reports_findings_in_json_and_exits_1(cli):
    result = cli("check", "--format", "json", str(DIRTY / "tst-vuil.md"))
    assert result.exit_code == 1
    [report] = json.loads(result.output)
    assert report["ok"] is False and report["errors"] == []
    for finding in report["findings"]:
        assert {"kind", "text", "start", "end", "line", "field", "message"} <= set(finding)
    assert [f["text"] for f in report["findings"]] == ["06-48213957", "Kees de Boer"]
    assert [f["text"] for f in report["allowed"]] == ["Anouk"]


def test_check_text_output_shows_findings_with_line_and_what_the_allow_list_let_pass(cli):
    result = cli("--language", "en", "check", str(DIRTY / "tst-vuil.md"))
    assert result.exit_code == 1
    assert "tst-vuil.md:14: dialogue[2]: phone number found: “06-48213957”" in result.output
    assert "tst-vuil.md:17: body: name found: “Kees de Boer”" in result.output
    assert "let pass by allow: name “Anouk”" in result.output


def test_a_plain_text_draft_is_checked_for_identifiers_only(cli, tmp_path):
    draft = tmp_path / "concept.txt"
    draft.write_text("Een eerste versie.\nDe melder werkt bij Bakkerij Vermeulen in Meppel.\n", "utf-8")
    result = cli("check", "--format", "json", str(draft))
    assert result.exit_code == 1
    [report] = json.loads(result.output)
    assert report["errors"] == []
    assert [(f["kind"], f["text"], f["line"]) for f in report["findings"]] == [
        ("organisatie", "Bakkerij Vermeulen", 2), ("plaats", "Meppel", 2)]
    clean = tmp_path / "schoon.txt"
    clean.write_text("De melder werkt sinds maart bij een bakkerij op het platteland.\n", "utf-8")
    assert cli("check", str(clean)).exit_code == 0


def test_importing_deduce_leaves_logging_and_stdout_alone():
    """deduce configures DEBUG logging to stdout on import; the check must not let it."""
    code = ("import logging; import casebook.anonymise as a; a._import_deduce(); "
            "logging.getLogger('x').debug('noise'); print(logging.getLogger().handlers)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_prepare_builds_the_lookup_data_once_with_a_visible_message(cli, tmp_path, monkeypatch):
    import casebook.anonymise as anonymise

    built = []

    class FakeDeduce:  # the real build takes minutes; what matters here is what prepare does
        def __init__(self, cache_path, build_lookup_structs=False):
            built.append((Path(cache_path), build_lookup_structs))
            (Path(cache_path) / "cache").mkdir(parents=True)
            (Path(cache_path) / "cache" / "lookup_structs.pickle").write_bytes(b"built")

    monkeypatch.setenv("CASEBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(anonymise._import_deduce(), "Deduce", FakeDeduce)
    first = cli("--language", "en", "anonymisation", "prepare")
    assert first.exit_code == 0
    assert "building the name and place lists of the anonymisation check" in first.output
    assert "1 to 2 minutes" in first.output and "anonymisation check ready" in first.output
    assert built == [(tmp_path / "cache" / f"deduce-{anonymise.DEDUCE_VERSION}", True)]
    again = cli("--language", "en", "anonymisation", "prepare")
    assert "building" not in again.output and "ready" in again.output
    assert len(built) == 1


@pytest.mark.parametrize("text", [
    "Voordat je beslist, wil ik met je doorlopen wat erin staat.",
    "Daarmee wil ik niet zeggen dat het klopt; waarover wil je het hebben?",
    "Ik weet er niets van, maar ervan uitgaan kan ik niet. Hoi erin, zei niemand.",
])
def test_dutch_pronominal_adverbs_are_words_not_names(text):
    # "erin" is in deduce's list of first names (Erin) and "staat" a verb after it: still a word
    assert [f for f in check_text(text) if f.kind == "naam"] == []
