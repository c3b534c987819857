"""Where the casebook keeps its data: the user's data folder and the store URL."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "intervisie-casebook"


def data_dir() -> Path:
    """The user's data folder for the casebook (``CASEBOOK_DATA`` overrides it)."""
    path = Path(os.environ.get("CASEBOOK_DATA") or platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_store_url() -> str:
    return f"sqlite:///{data_dir() / 'casebook.db'}"


def store_url() -> str:
    """``CASEBOOK_STORE`` if set, else the embedded SQLite store in the data folder."""
    return os.environ.get("CASEBOOK_STORE") or default_store_url()
