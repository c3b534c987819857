"""Intervisie Casebook: the domain (catalogue, cases, rendering, checks), no UI."""

from casebook.cases import Case, Casebook, KeyItem, Turn, load_cases, parse_case_file
from casebook.catalogue import Catalogue, Item, Theme, load_catalogue
from casebook.exceptions import CaseFileError, CaseNotFound, CasebookError, CatalogueError
from casebook.messages import t

__all__ = [
    "Case", "Casebook", "KeyItem", "Turn", "load_cases", "parse_case_file",
    "Catalogue", "Item", "Theme", "load_catalogue",
    "CaseFileError", "CaseNotFound", "CasebookError", "CatalogueError", "t",
]
__version__ = "0.1.0"
