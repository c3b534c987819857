"""``casebook serve``: Voila on the notebooks folder, with the casebook's configuration."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from casebook.config import default_store_url

DEFAULT_PORT = 8866


def notebooks_dir() -> Path:
    """``CASEBOOK_NOTEBOOKS`` if set, else ``notebooks/`` beside the package (editable install)."""
    configured = os.environ.get("CASEBOOK_NOTEBOOKS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "notebooks"


def voila_argv(port: int = DEFAULT_PORT, ip: str = "localhost", open_browser: bool = False) -> list[str]:
    argv = [
        str(notebooks_dir()),
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--VoilaConfiguration.show_tracebacks=False",
        "--theme=light",
    ]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def serve(port: int = DEFAULT_PORT, ip: str = "localhost", open_browser: bool = False) -> None:
    """Run Voila in this process until interrupted."""
    os.environ.setdefault("CASEBOOK_STORE", default_store_url())
    from voila.app import Voila

    sys.argv = ["casebook-serve"]
    Voila.launch_instance(argv=voila_argv(port, ip, open_browser))
