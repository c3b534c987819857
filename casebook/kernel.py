"""The kernel behind every page ``casebook serve`` shows: ipykernel without what a page never uses.

``casebook serve`` puts ``casebook/jupyter`` first on ``JUPYTER_PATH``, so its
``kernels/python3/kernel.json`` starts this module instead of ``ipykernel_launcher`` for the
pages it serves (JupyterLab and tests keep the ordinary kernel). A page's kernel has no use
for the debugger (nobody may debug a participant's kernel) nor for a command history; without
them each kernel holds about 9 MB less (measured with ``benchmarks/live_session.py``), and
Voila starts one kernel per open page.
"""

from __future__ import annotations

import sys


def main() -> None:
    # ipykernel enables its debugger only when debugpy imports; this makes that import fail
    sys.modules["debugpy"] = None  # type: ignore[assignment]
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance(argv=[*sys.argv[1:], "--HistoryManager.enabled=False"])


if __name__ == "__main__":
    main()
