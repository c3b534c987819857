"""The kernel behind every page ``casebook serve`` shows: ipykernel without what a page never uses.

``casebook serve`` puts ``casebook/jupyter`` first on ``JUPYTER_PATH``, so its
``kernels/python3/kernel.json`` starts this module instead of ``ipykernel_launcher`` for the
pages it serves (JupyterLab and tests keep the ordinary kernel). A page's kernel has no use
for the debugger (nobody may debug a participant's kernel) nor for a command history; without
them each kernel holds about 8 MB less (measured with ``benchmarks/scale.py``), and Voila
starts one kernel per open page.

Nor does a page need ipywidgets' echo: by default the kernel sends every change the browser
made straight back to it (so that several front ends of one kernel agree), which for the
page's ticker is one more message per page per second through the server. A Voila page is
the only front end of its kernel; the browser applies the kernel's own updates either way.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("JUPYTER_WIDGETS_ECHO", "0")
    # ipykernel enables its debugger only when debugpy imports; this makes that import fail
    sys.modules["debugpy"] = None  # type: ignore[assignment]
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance(argv=[*sys.argv[1:], "--HistoryManager.enabled=False"])


if __name__ == "__main__":
    main()
