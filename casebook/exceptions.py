"""One exception hierarchy for the casebook, with structured fields (papermill style).

Every error the casebook raises on purpose has a ``code`` (what went wrong), its ``params``
(the values a message names) and ``message(language)``: the text for a user, from the
message catalogue, in Dutch or English. ``str(exc)`` is the message in the default language
(``CASEBOOK_LANGUAGE``, Dutch when unset), which is what papermill and a traceback show.
Views and the CLI catch ``CasebookError`` and show ``message(language)``.
"""

from __future__ import annotations


class CasebookError(Exception):
    """Base class of every error the casebook raises on purpose."""

    # the message catalogue's section for this kind of error; ``code`` picks the entry
    section = "error"

    def __init__(self, code: str, /, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    def message_params(self, language: str) -> dict:
        return self.params

    def message(self, language: str | None = None) -> str:
        from casebook.messages import t

        return t(f"{self.section}.{self.code}", language, **self.message_params(language))

    def __str__(self) -> str:
        return self.message(None)

    def __reduce__(self):
        # Pickled as its fields are, not through __init__ (whose signature differs between
        # subclasses): the page store sends a refusal to the page's kernel this way.
        return _restored_error, (type(self), dict(self.__dict__))


def _restored_error(kind: type, fields: dict) -> "CasebookError":
    error = kind.__new__(kind)
    error.__dict__.update(fields)
    error.args = (fields.get("code"),)
    return error


# ------------------------------------------------------------------ catalogue and case files


class CatalogueError(CasebookError):
    """The catalogue file is missing or inconsistent (a fault of the installation)."""

    def __init__(self, problem: str):
        super().__init__("catalogue", problem=problem)


class CaseNotFound(CasebookError):
    """A case id that no loaded case file declares."""

    def __init__(self, case_id: str):
        self.case_id = case_id
        super().__init__("case_not_found", case=case_id)


class CaseFileError(CasebookError):
    """One problem in one case file: the file, the line where known, and what is wrong."""

    section = "case"

    def __init__(self, file: str, code: str, line: int | None = None, **params):
        self.file = str(file)
        self.line = line
        super().__init__(code, **params)

    def message_params(self, language: str) -> dict:
        from casebook.messages import messages, t

        params = dict(self.params)
        # "expected" may name a kind of value ("list"), told in the reader's language
        if f"type.{params.get('expected')}" in messages():
            params["expected"] = t(f"type.{params['expected']}", language)
        return params

    def describe(self, language: str = "nl") -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message(language)}"

    def as_dict(self, language: str = "nl") -> dict:
        return {"line": self.line, "code": self.code, "message": self.message(language)}


class CaseFileErrors(CaseFileError):
    """All problems found in one file (at least one)."""

    def __init__(self, file: str, errors: list[CaseFileError]):
        self.errors = errors
        first = errors[0]
        super().__init__(file, first.code, first.line, **first.params)


class CaseFileWarning(CaseFileError):
    """A problem in a case file that does not stop it from loading, told like an error
    (file, line, message) so that ``casebook check`` can name it; it is never raised."""


# ------------------------------------------------------------------ sessions


class UnknownMethod(CasebookError):
    def __init__(self, method: str):
        from casebook.phases import METHODS

        self.method = method
        super().__init__("unknown_method", method=method, methods=", ".join(METHODS))


class SessionError(CasebookError):
    """A refused action in a live session, told to the user in their language."""

    section = "session"

    @property
    def reason(self) -> str:
        return self.code


class UnknownSession(SessionError):
    def __init__(self, code: str):
        super().__init__("unknown_session", code=code)


class VoteRefused(SessionError):
    """A vote that is not stored, with the reason (round closed, unknown participant...)."""


class NotAllowed(SessionError):
    """A facilitator action without the facilitator key."""


class BadParameter(SessionError):
    """A session parameter that cannot be used; names the parameter and the value."""

    def __init__(self, name: str, value, problem: str, **details):
        self.name, self.value, self.problem, self.details = name, value, problem, details
        super().__init__("bad_parameter", name=name, value=repr(value))

    def message_params(self, language: str) -> dict:
        from casebook.messages import t

        return {**self.params, "problem": t(f"parameter.{self.problem}", language, **self.details)}


class PlanParameterError(CasebookError):
    """A parameter the session template does not declare, or a value of the wrong type."""

    def __init__(self, name: str, problem: str, value=None, **details):
        self.name, self.problem, self.value = name, problem, value
        super().__init__("plan_parameter", name=name, problem=problem, **details)

    def message_params(self, language: str) -> dict:
        from casebook.messages import t

        return {"name": self.name, "problem": t(f"plan_parameter.{self.problem}", language, **self.params)}


# ------------------------------------------------------------------ the anonymisation gate


class AnonymisationSetupError(CasebookError):
    """deduce's lookup data could not be built or loaded."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__("anonymisation_setup", problem=problem)


class ClearanceError(CasebookError):
    """The anonymisation check could not be run; nothing new is cleared."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__("clearance", problem=problem)


# ------------------------------------------------------------------ solo review and authoring


class SoloError(CasebookError):
    """An answer that cannot be scored: it names the case and what is wrong with the answer."""

    section = "solo.error"

    def __init__(self, case_id: str, problem: str, **params):
        self.case_id, self.problem = case_id, problem
        super().__init__(problem, case=case_id, **params)


class AuthorError(CasebookError):
    """Saving a case was refused: the reason is told to the author."""

    section = "author"

    @property
    def reason(self) -> str:
        return self.code
