"""One exception hierarchy for the casebook, with structured fields (papermill style)."""

from __future__ import annotations


class CasebookError(Exception):
    """Base class of every error the casebook raises on purpose."""


class CatalogueError(CasebookError):
    """The catalogue file is missing or inconsistent."""


class CaseNotFound(CasebookError):
    """A case id that no loaded case file declares."""

    def __init__(self, case_id: str):
        self.case_id = case_id
        super().__init__(f"unknown case id: {case_id!r}")


class CaseFileError(CasebookError):
    """One problem in one case file: the file, the line where known, and what is wrong.

    ``code`` names the kind of problem (a key of the message catalogue) and ``params``
    fill its placeholders, so the same problem can be told in Dutch or English.
    """

    def __init__(self, file: str, code: str, line: int | None = None, **params):
        self.file = str(file)
        self.code = code
        self.line = line
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str = "nl") -> str:
        from casebook.messages import messages, t

        params = dict(self.params)
        # "expected" may name a kind of value ("list"), told in the reader's language
        if f"type.{params.get('expected')}" in messages():
            params["expected"] = t(f"type.{params['expected']}", language)
        return t(f"case.{self.code}", language, **params)

    def describe(self, language: str = "nl") -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message(language)}"

    def as_dict(self, language: str = "nl") -> dict:
        return {"line": self.line, "code": self.code, "message": self.message(language)}


class CaseFileWarning(CaseFileError):
    """A problem in a case file that does not stop it from loading, told like an error
    (file, line, message) so that ``casebook check`` can name it; it is never raised."""
