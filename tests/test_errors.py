"""One error hierarchy: every error has a code, its params and a message in Dutch and English,
and the views and the CLI show that message (never a traceback, never a generic text)."""

from __future__ import annotations

import ipywidgets as W
import pytest
from traitlets import Unicode

from casebook import exceptions as errors
from widgets.common import ErrorBanner, guarded

EXAMPLES = [
    errors.CatalogueError("item 'x' has no kind"),
    errors.CaseNotFound("vp-999"),
    errors.CaseFileError("a.md", "missing_field", 3, field="title"),
    errors.UnknownMethod("balint"),
    errors.UnknownSession("QQQQQQ"),
    errors.VoteRefused("round_closed", round=2),
    errors.NotAllowed("not_facilitator"),
    errors.BadParameter("minutes", -5, "minutes_range", phase="bespreking", minutes=-5, max=240),
    errors.PlanParameterError("colour", "undeclared"),
    errors.AnonymisationSetupError("disk full"),
    errors.ClearanceError("no verdict"),
    errors.SoloError("vp-003", "unknown_items", items="vriendelijk-zijn"),
    errors.AuthorError("bad_id"),
]


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_error_has_a_code_and_a_message_in_both_languages(error, monkeypatch):
    assert isinstance(error, errors.CasebookError) and error.code
    dutch, english = error.message("nl"), error.message("en")
    assert dutch and english and dutch != english
    monkeypatch.delenv("CASEBOOK_LANGUAGE", raising=False)
    assert str(error) == dutch  # what papermill and a log show: the default language
    monkeypatch.setenv("CASEBOOK_LANGUAGE", "en")
    assert str(error) == english


def test_messages_name_what_is_wrong():
    assert "vp-999" in errors.CaseNotFound("vp-999").message("nl")
    assert "balint" in errors.UnknownMethod("balint").message("en")
    assert "'minutes'" in errors.BadParameter("minutes", -5, "minutes_range", phase="bespreking", minutes=-5,
                                              max=240).message("nl")
    assert "vriendelijk-zijn" in errors.SoloError("vp-003", "unknown_items", items="vriendelijk-zijn").message("en")


class Probe(W.VBox):
    language = Unicode("nl")

    def __init__(self, error):
        super().__init__()
        self._error = ErrorBanner()
        self.raised = error

    @guarded
    def act(self):
        raise self.raised


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_view_shows_any_casebook_error_as_its_own_message(language):
    probe = Probe(errors.SoloError("vp-003", "unknown_items", items="vriendelijk-zijn"))
    probe.language = language
    probe.act()
    assert probe.raised.message(language) in probe._error.value.replace("&#x27;", "'")


def test_an_unexpected_error_shows_a_plain_message_and_no_traceback(caplog):
    probe = Probe(KeyError("/srv/casebook/secret/path.py"))
    probe.act()
    assert "Er ging iets mis" in probe._error.value
    assert "secret" not in probe._error.value and "Traceback" not in probe._error.value
    assert "secret" in caplog.text  # the traceback goes to the log


def test_the_cli_shows_the_message_of_a_casebook_error(cli):
    result = cli("session", "results", "QQQQQQ")
    assert result.exit_code == 1
    assert "QQQQQQ" in result.output and "Traceback" not in result.output


def test_config_lists_every_option_with_its_help(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("CASEBOOK_TRAINER_TOKEN", "geheim-token-123")
    result = cli("config")
    assert result.exit_code == 0
    for variable in ("CASEBOOK_STORE", "CASEBOOK_DATA", "CASEBOOK_PUBLIC_URL", "CASEBOOK_TRAINER_TOKEN"):
        assert variable in result.output
    assert "geheim-token-123" not in result.output  # a secret is never printed
