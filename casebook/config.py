"""The casebook's configuration, in the style of Voila's own: traitlets with a help string each.

Every option is read from a ``CASEBOOK_*`` environment variable, so the server, its kernels
(which inherit the server's environment), papermill and the CLI agree without passing
anything around. ``settings()`` reads the environment anew each time: cheap, and tests that
change a variable see the change at once. ``casebook serve`` writes what it was given back
into the environment (``Settings.export()``) so that every kernel it starts sees the same.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from traitlets import Int, Unicode, default
from traitlets.config import Configurable

APP_NAME = "intervisie-casebook"
DEFAULT_CLOSE_AFTER_DAYS = 30


def _env(name: str) -> str:
    return os.environ.get(name, "")


class Settings(Configurable):
    """Where the casebook keeps its data and how it is reached."""

    data_dir = Unicode(config=True, help="""The user's data folder: the embedded SQLite store, the record of
        cleared cases, solo profiles (CASEBOOK_DATA; default: the platform's user data folder).""")
    cache_dir = Unicode(config=True, help="""deduce's built lookup data and earlier verdicts of the
        anonymisation check (CASEBOOK_CACHE; default: the platform's user cache folder).""")
    notebooks_dir = Unicode(config=True, help="""The folder of the app notebooks and the session template
        (CASEBOOK_NOTEBOOKS; default: the package's own, casebook/notebooks/ when installed, notebooks/ in a
        checkout). `casebook serve` serves links to them from served/ in the data folder, beside the
        executed session plans in served/sessions/.""")
    store_url = Unicode(config=True, help="""SQLAlchemy URL of the store (CASEBOOK_STORE; default: SQLite in
        the data folder; PostgreSQL for a shared server: postgresql+psycopg://user@host/casebook).""")
    case_folders = Unicode(config=True, help="""Extra case folders loaded beside the built-in cases,
        separated by ':' (CASEBOOK_CASES).""")
    author_folder = Unicode(config=True, help="""Where the author app saves new cases (CASEBOOK_AUTHOR_FOLDER;
        default: the first extra case folder, else cases/ in the data folder).""")
    language = Unicode(config=True, help="Language of everything a user sees: nl or en (CASEBOOK_LANGUAGE; default nl).")
    public_url = Unicode(config=True, help="""The address participants' phones use, for join links and QR
        codes (CASEBOOK_PUBLIC_URL, e.g. https://casebook.example.org).""")
    trainer_token = Unicode(config=True, help="""The token that opens the trainer pages (CASEBOOK_TRAINER_TOKEN;
        `casebook serve` makes a random one when none is given).""")
    secret_file = Unicode(config=True, help="""A file with the server's key (64 hex digits), which signs the
        trainer cookie and keys each browser's id (CASEBOOK_SECRET_FILE; default: server-secret in the
        data folder, made at the first start). Every process of one casebook needs the same key.""")
    close_after_days = Int(config=True, help="""Days after its last activity that `casebook serve` closes an
        open session with participants (at start-up and every 6 hours): aggregates and the record are kept, votes and pseudonyms
        deleted (CASEBOOK_CLOSE_AFTER_DAYS; default 30; 0: never).""")

    @default("data_dir")
    def _default_data_dir(self):
        return _env("CASEBOOK_DATA") or platformdirs.user_data_dir(APP_NAME)

    @default("cache_dir")
    def _default_cache_dir(self):
        return _env("CASEBOOK_CACHE") or platformdirs.user_cache_dir(APP_NAME)

    @default("notebooks_dir")
    def _default_notebooks_dir(self):
        return _env("CASEBOOK_NOTEBOOKS") or str(packaged_notebooks())

    @default("store_url")
    def _default_store_url(self):
        return _env("CASEBOOK_STORE") or f"sqlite:///{Path(self.data_dir) / 'casebook.db'}"

    @default("case_folders")
    def _default_case_folders(self):
        return _env("CASEBOOK_CASES")

    @default("author_folder")
    def _default_author_folder(self):
        configured = _env("CASEBOOK_AUTHOR_FOLDER")
        if configured:
            return configured
        extra = self.extra_case_folders()
        return str(extra[0]) if extra else str(Path(self.data_dir) / "cases")

    @default("language")
    def _default_language(self):
        return _env("CASEBOOK_LANGUAGE")

    @default("public_url")
    def _default_public_url(self):
        return _env("CASEBOOK_PUBLIC_URL")

    @default("trainer_token")
    def _default_trainer_token(self):
        return _env("CASEBOOK_TRAINER_TOKEN")

    @default("secret_file")
    def _default_secret_file(self):
        return _env("CASEBOOK_SECRET_FILE")
    @default("close_after_days")
    def _default_close_after_days(self):
        configured = _env("CASEBOOK_CLOSE_AFTER_DAYS").strip()
        if not configured:
            return DEFAULT_CLOSE_AFTER_DAYS
        try:
            return max(0, int(configured))
        except ValueError:  # a typo must not stop every kernel: keep the default, say so once
            import logging

            logging.getLogger("casebook").warning(
                "CASEBOOK_CLOSE_AFTER_DAYS=%r is not a whole number of days; using %d", configured,
                DEFAULT_CLOSE_AFTER_DAYS)
            return DEFAULT_CLOSE_AFTER_DAYS

    def extra_case_folders(self) -> list[Path]:
        return [Path(p) for p in self.case_folders.split(os.pathsep) if p]

    # the environment variable of each option, for export()
    ENVIRONMENT = {
        "data_dir": "CASEBOOK_DATA", "cache_dir": "CASEBOOK_CACHE", "notebooks_dir": "CASEBOOK_NOTEBOOKS",
        "store_url": "CASEBOOK_STORE", "case_folders": "CASEBOOK_CASES", "author_folder": "CASEBOOK_AUTHOR_FOLDER",
        "language": "CASEBOOK_LANGUAGE", "public_url": "CASEBOOK_PUBLIC_URL", "trainer_token": "CASEBOOK_TRAINER_TOKEN",
        "secret_file": "CASEBOOK_SECRET_FILE",
        "close_after_days": "CASEBOOK_CLOSE_AFTER_DAYS",
    }

    def export(self, environ=None) -> None:
        """Write every set option into ``environ`` (the server's), for the kernels it starts."""
        environ = os.environ if environ is None else environ
        for name, variable in self.ENVIRONMENT.items():
            value = getattr(self, name)
            if value or isinstance(value, int):  # a number, 0 included, is always set
                environ[variable] = str(value)


def packaged_notebooks() -> Path:
    """The app notebooks that came with the package: package data ``casebook/notebooks/`` in an
    installed package (pyproject.toml maps the repository's ``notebooks/`` there), the
    repository's ``notebooks/`` itself in a checkout (an editable install)."""
    package = Path(__file__).resolve().parent
    installed = package / "notebooks"
    return installed if installed.is_dir() else package.parent / "notebooks"


def settings(**overrides) -> Settings:
    """The configuration as the environment has it now, with ``overrides`` on top."""
    return Settings(**{name: value for name, value in overrides.items() if value is not None})


def data_dir() -> Path:
    """The user's data folder for the casebook (created when missing)."""
    path = Path(settings().data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    return Path(settings().cache_dir)


def notebooks_dir() -> Path:
    return Path(settings().notebooks_dir)


def store_url() -> str:
    """``CASEBOOK_STORE`` if set, else the embedded SQLite store in the data folder."""
    return settings().store_url


def default_store_url() -> str:
    return f"sqlite:///{data_dir() / 'casebook.db'}"


def extra_case_folders() -> list[Path]:
    return settings().extra_case_folders()


def author_folder() -> Path:
    return Path(settings().author_folder)


def public_url() -> str:
    return settings().public_url.rstrip("/")
