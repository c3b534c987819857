"""The case loader: every kind of bad file is reported with file, line and problem."""

import json
import shutil
from pathlib import Path

import pytest

from casebook.cases import CaseFileErrors, load_cases, parse_case_file

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad-cases"
GOOD = DATA / "cases" / "tst-goed.md"
TWEEDE = DATA / "cases" / "tst-tweede.md"
FIRST_EDITION = DATA / "first-edition" / "tst-eerste-editie.md"


def test_a_good_file_loads_with_every_field():
    case = parse_case_file(GOOD)
    assert case.id == "tst-goed"
    assert case.themes == ("pesten",)
    assert case.key_items == ("beloftes-doen", "zelf-keuze-laten-maken")
    assert case.reason("beloftes-doen").startswith("De vertrouwenspersoon belooft")
    assert [t.speaker for t in case.dialogue] == ["melder", "vp"]
    assert case.dialogue[1].items == ("beloftes-doen",)
    assert case.questions and case.what_happened
    assert "**opmerkingen**" in case.body
    assert case.context.startswith("Arbowet art. 3 lid 2")
    assert case.warnings == ()


def test_key_entries_say_how_the_vp_did_and_which_are_central():
    case = parse_case_file(GOOD)
    assert [(k.item, k.how, k.central) for k in case.key] == [
        ("beloftes-doen", "fout", True), ("zelf-keuze-laten-maken", "open", False)]
    assert case.central_items == ("beloftes-doen",)
    assert case.key_entry("zelf-keuze-laten-maken").how == "open"


def test_central_items_come_first_in_the_key_order_for_views(tmp_path):
    text = GOOD.read_text("utf-8").replace("    central: true\n", "").replace(
        "    how: open\n", "    how: open\n    central: true\n")
    path = tmp_path / "central-second.md"
    path.write_text(text, "utf-8")
    case = parse_case_file(path)
    assert case.key_items == ("beloftes-doen", "zelf-keuze-laten-maken")  # the author's order is kept
    assert [k.item for k in case.key_central_first()] == ["zelf-keuze-laten-maken", "beloftes-doen"]


def test_a_first_edition_key_without_how_loads_with_a_warning_per_entry():
    case = parse_case_file(FIRST_EDITION)
    assert [k.how for k in case.key] == ["", ""]
    assert [w.code for w in case.warnings] == ["missing_how", "missing_how"]
    first = case.warnings[0]
    assert first.file == str(FIRST_EDITION) and first.line == 9  # the line of "- item: beloftes-doen"
    assert "beloftes-doen" in first.message("nl") and "'how'" in first.message("nl")
    assert "'how'" in first.message("en") and first.message("en") != first.message("nl")


def test_more_than_two_central_items_is_a_warning(tmp_path):
    text = TWEEDE.read_text("utf-8").replace("    how: goed\n", "    how: goed\n    central: true\n").replace(
        "    why: The adviser writes nothing down at all.\n", "    why: The adviser writes nothing down at all.\n    central: true\n")
    path = tmp_path / "three-central.md"
    path.write_text(text, "utf-8")
    case = parse_case_file(path)
    assert len(case.central_items) == 3
    [warning] = case.warnings
    assert (warning.code, warning.line) == ("too_many_central", 9)  # where the key starts
    assert "3 sleutelitems" in warning.message("nl") and "2 items at most" in warning.message("en")
    assert parse_case_file(TWEEDE).warnings == ()


def test_bad_central_value_names_file_and_line(tmp_path):
    with pytest.raises(CaseFileErrors) as caught:
        parse_case_file(BAD / "bad-central.md")
    [error] = caught.value.errors
    assert (error.code, error.line) == ("bad_central", 13)
    assert "'central'" in error.describe("nl") and "ja graag" in error.describe("nl")


@pytest.mark.parametrize(
    "name, code, line, words",
    [
        ("bad-yaml.md", "bad_yaml", 5, "ongeldige YAML"),
        ("unknown-item.md", "unknown_item", 9, "beloftes-breken"),
        ("unknown-theme.md", "unknown_theme", 5, "roddelen"),
        ("missing-title.md", "missing_field", None, "'title'"),
        ("no-front-matter.md", "no_front_matter", 1, "front matter"),
        ("empty.md", "empty", 1, "leeg"),
        ("bad-encoding.md", "not_utf8", 24, "UTF-8"),
        ("unknown-speaker.md", "unknown_speaker", 14, "leidinggevende"),
        ("bad-how.md", "bad_how", 16, "misschien"),
        ("unknown-key-field.md", "unknown_field", 17, "key[zelf-keuze-laten-maken].waarom"),
    ],
)
def test_each_kind_of_bad_file_names_file_line_and_problem(name, code, line, words):
    with pytest.raises(CaseFileErrors) as caught:
        parse_case_file(BAD / name)
    error = caught.value.errors[0]
    assert error.code == code
    assert error.line == line
    assert error.file.endswith(name)
    assert words in error.describe("nl")
    assert error.describe("nl").startswith(str(BAD / name))
    # and told in English on request
    assert error.message("en") != error.message("nl")


def test_duplicate_ids_across_folders_are_refused(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    shutil.copy(GOOD, first / "one.md")
    shutil.copy(GOOD, second / "two.md")
    book = load_cases([first, second])
    assert list(book.cases) == ["tst-goed"]
    assert book.cases["tst-goed"].path.endswith("one.md")
    [problem] = book.problems
    assert problem.code == "duplicate_id" and problem.file.endswith("two.md")
    assert "one.md" in problem.describe("nl")


def test_one_bad_file_never_stops_the_others(tmp_path):
    for source in BAD.glob("*.md"):
        shutil.copy(source, tmp_path / source.name)
    shutil.copy(GOOD, tmp_path / "good.md")
    book = load_cases([tmp_path])
    assert "tst-goed" in book.cases
    assert "tst-dubbel" in book.cases  # the first of the duplicate pair
    bad_files = {Path(p.file).name for p in book.problems}
    assert bad_files == {p.name for p in BAD.glob("*.md")} - {"duplicate-id-a.md"}


def test_several_problems_in_one_file_are_all_reported(tmp_path):
    text = GOOD.read_text("utf-8").replace("themes: [pesten]", "themes: [roddelen]").replace(
        "  - item: zelf-keuze-laten-maken", "  - item: koffie-zetten"
    )
    path = tmp_path / "two-problems.md"
    path.write_text(text, "utf-8")
    with pytest.raises(CaseFileErrors) as caught:
        parse_case_file(path)
    assert {e.code for e in caught.value.errors} == {"unknown_theme", "unknown_item"}


def test_extra_case_folders_from_the_environment(tmp_path, monkeypatch):
    shutil.copy(GOOD, tmp_path / "mine.md")
    monkeypatch.setenv("CASEBOOK_CASES", str(tmp_path))
    book = load_cases()
    assert "tst-goed" in book.cases
    assert len(book) > 1  # the built-in cases are still there


# ------------------------------------------------------------------ casebook check


def test_check_builtin_cases_is_clean(cli):
    result = cli("check", "casebook/cases")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.md") if p.name != "duplicate-id-a.md"))
def test_check_each_bad_file_exits_1_and_json_says_the_same(cli, name):
    paths = [str(BAD / name)]
    if name == "duplicate-id-b.md":
        paths.insert(0, str(BAD / "duplicate-id-a.md"))
    text = cli("check", *paths)
    assert text.exit_code == 1
    assert f"{BAD / name}" in text.output
    result = cli("check", "--format", "json", *paths)
    assert result.exit_code == 1
    report = json.loads(result.output)[-1]
    assert report["file"] == str(BAD / name) and report["ok"] is False
    assert report["errors"] and report["findings"] == []
    first = report["errors"][0]
    assert set(first) >= {"line", "message"}
    assert first["message"] in text.output


def test_check_warns_about_a_missing_how_but_does_not_refuse_the_file(cli):
    result = cli("check", str(FIRST_EDITION), str(GOOD))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if ": waarschuwing:" in line]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{FIRST_EDITION}:9: waarschuwing:") and "'how'" in warnings[0]
    report = json.loads(cli("check", "--format", "json", str(FIRST_EDITION), str(GOOD)).output)
    first_edition, good = report
    assert first_edition["ok"] is True and first_edition["errors"] == []
    assert [(w["line"], w["code"]) for w in first_edition["warnings"]] == [(9, "missing_how"), (11, "missing_how")]
    assert "beloftes-doen" in first_edition["warnings"][0]["message"]
    assert good["ok"] is True and good["warnings"] == []
    assert "in orde, met 2 waarschuwing(en)" in result.output


def test_check_a_bad_how_is_an_error_with_file_and_line(cli):
    result = cli("check", "--format", "json", str(BAD / "bad-how.md"))
    assert result.exit_code == 1
    [report] = json.loads(result.output)
    [error] = report["errors"]
    assert error["line"] == 16 and "misschien" in error["message"] and "goed, fout, open" in error["message"]


def test_check_usage_errors_exit_2(cli):
    assert cli("check").exit_code == 2
    assert cli("check", "--format", "xml", "x.md").exit_code == 2


def test_check_a_missing_path_is_a_problem_not_a_crash(cli):
    result = cli("check", "nowhere/at-all.md")
    assert result.exit_code == 1
    assert "nowhere/at-all.md" in result.output


def test_list_json_lists_the_builtin_cases(cli):
    result = cli("list", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert len(data["cases"]) >= 24 and data["problems"] == []
