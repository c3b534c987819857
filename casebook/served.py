"""The folder ``casebook serve`` hands Voila: the app notebooks beside the executed session plans.

Voila serves one root folder, and a page's address is its path in it
(``/voila/render/participant.ipynb``, ``/voila/render/sessions/<CODE>-<hex>.ipynb``). The app
notebooks are package data (``casebook/notebooks/`` in an installed package, ``notebooks/`` in a
checkout), which may be read-only and belongs to the installation; the executed plans are the
user's data. So the root is a folder of its own in the data folder, ``served/``: a link to each
app notebook of the installed package, made again at every start of ``casebook serve`` (an
upgrade is served at once, a notebook that left the package leaves the folder), and the plans in
``served/sessions/``. The root holds nothing else, and the server serves only the casebook's own
page names from it anyway (``casebook.web.page_kind``).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from casebook.config import data_dir, notebooks_dir

SERVED_FOLDER = "served"
SESSIONS_FOLDER = "sessions"  # executed plans, served by Voila but never preheated


def served_dir() -> Path:
    """The root folder Voila serves (created when missing)."""
    path = data_dir() / SERVED_FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def sessions_dir() -> Path:
    """Where executed session plans are written (created when missing)."""
    path = served_dir() / SESSIONS_FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def app_notebooks(source: Path | None = None) -> list[Path]:
    """The app notebooks of the installed package (or of ``CASEBOOK_NOTEBOOKS``)."""
    return sorted((source or notebooks_dir()).glob("*.ipynb"))


def link_app_notebooks(source: Path | None = None) -> Path:
    """Point ``served/<name>.ipynb`` at each app notebook and remove what no longer is one;
    returns the folder. Each link is made under a temporary name and moved into place, so a
    page being opened meanwhile, or another process starting on the same data folder, never
    finds a half-made one. Where the file system has no symbolic links, the notebooks are
    copied instead (then an upgrade is served from the next start on)."""
    root = served_dir()
    wanted = {notebook.name: notebook.resolve() for notebook in app_notebooks(source)}
    for name, target in wanted.items():
        final = root / name
        if final.is_symlink() and Path(os.readlink(final)) == target:
            continue
        draft = root / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            os.symlink(target, draft)
        except OSError:
            shutil.copyfile(target, draft)
        os.replace(draft, final)
    for entry in root.iterdir():
        if entry.suffix == ".ipynb" and entry.name not in wanted and (entry.is_symlink() or entry.is_file()):
            entry.unlink(missing_ok=True)
    return root
