"""``casebook serve``: Voila on the notebooks folder, configured for live sessions.

Participant pages come from a pool of preheated kernels (a page arrives in milliseconds
instead of waiting for a kernel); a closed page's kernel is culled once its ticks stop.
Pools are sized per notebook, since ``--pool_size`` alone would preheat every notebook in
the folder (DESIGN.md §8).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from casebook.config import default_store_url

DEFAULT_PORT = 8866
# Seconds a kernel may be idle (no ticks, no clicks) before it is shut down. Browsers slow
# the ticker of a background tab to about one a minute, so stay well above 60 s.
CULL_IDLE_SECONDS = 180
CULL_INTERVAL_SECONDS = 30


def notebooks_dir() -> Path:
    """``CASEBOOK_NOTEBOOKS`` if set, else ``notebooks/`` beside the package (editable install)."""
    configured = os.environ.get("CASEBOOK_NOTEBOOKS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "notebooks"


def pool_sizes(participants: int) -> dict[str, dict]:
    """Preheated kernels per notebook: many for participants, one for each other app."""
    return {
        "default": {"pool_size": 0},
        "participant.ipynb": {"pool_size": participants},
        "facilitator.ipynb": {"pool_size": 1},
        "projector.ipynb": {"pool_size": 1},
        "casebook.ipynb": {"pool_size": 1},
        "solo.ipynb": {"pool_size": 1},
    }


def voila_config(participant_pool: int):
    from traitlets.config import Config

    config = Config()
    config.VoilaConfiguration.show_tracebacks = False
    config.VoilaConfiguration.preheat_kernel = participant_pool > 0
    config.VoilaKernelManager.kernel_pools_config = pool_sizes(participant_pool)
    # the papermill template and generated session notebooks are never preheated
    config.VoilaKernelManager.preheat_denylist = ["session*", "sessions/*"]
    config.MappingKernelManager.cull_idle_timeout = CULL_IDLE_SECONDS
    config.MappingKernelManager.cull_interval = CULL_INTERVAL_SECONDS
    config.MappingKernelManager.cull_connected = False
    return config


def voila_argv(port: int, ip: str, open_browser: bool) -> list[str]:
    argv = [str(notebooks_dir()), f"--port={port}", f"--Voila.ip={ip}", "--theme=light"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def serve(port: int = DEFAULT_PORT, ip: str = "localhost", open_browser: bool = False,
          participant_pool: int = 12, public_url: str | None = None) -> None:
    """Run Voila in this process until interrupted."""
    os.environ.setdefault("CASEBOOK_STORE", default_store_url())
    if public_url:
        os.environ["CASEBOOK_PUBLIC_URL"] = public_url
    from casebook.store import open_store

    open_store()  # create or migrate the schema once here, not in every kernel
    clear_cases()  # the anonymisation gate, once here: the apps serve only cleared cases
    from voila.app import Voila

    sys.argv = ["casebook-serve"]
    Voila.launch_instance(argv=voila_argv(port, ip, open_browser), config=voila_config(participant_pool))


def clear_cases() -> None:
    """Check every case not judged before (in a child process) and record the verdicts."""
    from casebook.clearance import ClearanceError, clear

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        clear(say=say)
    except ClearanceError as exc:  # nothing new is cleared; cases judged before still are
        say(exc.message(os.environ.get("CASEBOOK_LANGUAGE", "nl")))
