"""``casebook lab``: JupyterLab as the trainer's workspace, for those who like notebooks.

A trainer folder holds a copy of the session template (``session.ipynb``) and of the browse
notebook (``casebook.ipynb``). Running the template there registers a session and shows its
plan inline, followed by the facilitator's app; the browse notebook shows the same widgets as
in Voila (``jupyterlab_widgets`` draws them). JupyterLab keeps its own token and prints its URL,
exactly as ``jupyter lab`` does: that token opens a Python kernel, so it is never the trainer
token of ``casebook serve``, which opens only the trainer pages.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from casebook.config import data_dir, notebooks_dir, settings

DEFAULT_PORT = 8888
LAB_SETTINGS = Path(__file__).resolve().parent / "jupyter" / "lab" / "settings"
# What a trainer folder holds: the papermill template and the browse notebook.
LAB_NOTEBOOKS = ("session.ipynb", "casebook.ipynb")


def default_folder() -> Path:
    return data_dir() / "trainer"


def prepare_folder(folder: Path | str | None = None) -> tuple[Path, list[Path]]:
    """The trainer folder with its notebooks; returns it and the notebooks copied just now.
    A notebook already there is the trainer's own (its parameters may be edited): kept."""
    folder = Path(folder) if folder else default_folder()
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in LAB_NOTEBOOKS:
        target = folder / name
        if not target.exists():
            shutil.copyfile(notebooks_dir() / name, target)
            copied.append(target)
    return folder, copied


def lab_argv(folder: Path, port: int, ip: str, open_browser: bool, token: str | None,
             allow_root: bool = False) -> list[str]:
    argv = [f"--ServerApp.root_dir={folder}", f"--ServerApp.port={port}", f"--ServerApp.ip={ip}",
            "--ServerApp.default_url=/lab/tree/session.ipynb",
            # no requests to the outside world (news feed, update check): a trainer's laptop in a
            # meeting room does not phone home, and JupyterLab does not ask about it either
            # (the casebook's default settings, casebook/jupyter/lab/settings/overrides.json)
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.app_settings_dir={LAB_SETTINGS}"]
    if not open_browser:
        argv.append("--no-browser")
    if token:
        argv.append(f"--IdentityProvider.token={token}")
    if allow_root:
        argv.append("--allow-root")
    return argv


def lab(folder: Path | str | None = None, port: int = DEFAULT_PORT, ip: str = "localhost",
        open_browser: bool = True, token: str | None = None, allow_root: bool = False) -> None:
    """Run JupyterLab on the trainer folder in this process until interrupted."""
    from casebook.messages import t
    from casebook.serve import clear_cases, close_forgotten_sessions
    from casebook.store import open_store

    current = settings()
    current.export()  # the kernels learn the store and the rest from this process's environment
    folder, copied = prepare_folder(folder)
    print(t("lab.folder", None, folder=str(folder), notebooks=", ".join(LAB_NOTEBOOKS)), file=sys.stderr, flush=True)
    for notebook in copied:
        print(t("lab.copied", None, file=str(notebook)), file=sys.stderr, flush=True)
    open_store()  # create or migrate the schema here, not in the first kernel
    close_forgotten_sessions(current.close_after_days)
    clear_cases()  # the anonymisation gate, once here: the notebooks offer only cleared cases
    from jupyterlab.labapp import LabApp

    LabApp.launch_instance(argv=lab_argv(folder, port, ip, open_browser, token, allow_root))
