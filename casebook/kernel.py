"""The kernel behind every page ``casebook serve`` shows: ipykernel that never drops a message,
without what a page never uses.

``casebook serve`` puts ``casebook/jupyter`` first on ``JUPYTER_PATH``, so its
``kernels/python3/kernel.json`` starts this module instead of ``ipykernel_launcher`` for the
pages it serves (JupyterLab, papermill and the tests keep the ordinary kernel).

* A page's notebook sends its widgets in one burst (a solo page with a case: about 1,250
  messages). ZeroMQ silently drops what is beyond a socket's high-water mark (1,000) when the
  reader falls behind, as the server does on a busy machine; when the dropped messages include
  the kernel's "idle", Voila keeps the page loading until its IOPub timeout and serves it with
  widgets missing. Here the kernel's IOPub queue is unbounded (the server's side is too: see
  ``casebook.web.CasebookKernelClient``).
* A page's kernel has no use for the debugger (nobody may debug a participant's kernel) nor for
  a command history; without them each kernel holds about 8 MB less (measured with
  ``benchmarks/scale.py``), and Voila starts one kernel per open page.
* Nor does a page need ipywidgets' echo: by default the kernel sends every change the browser
  made straight back to it (so that several front ends of one kernel agree), which for the
  page's ticker is one more message per page per second through the server. A Voila page is
  the only front end of its kernel; the browser applies the kernel's own updates either way.
* A kernel warming up for a pool does so at the lowest CPU priority, until its page arrives
  (``casebook.kernel_pool``): the live pages come first.
"""

from __future__ import annotations

import os
import sys

import zmq

UNBOUNDED = 0


def main() -> None:
    from casebook.kernel_pool import warm_quietly

    warm_quietly()  # a pool kernel: at the lowest priority until its page arrives
    os.environ.setdefault("JUPYTER_WIDGETS_ECHO", "0")
    # ipykernel enables its debugger only when debugpy imports; this makes that import fail
    sys.modules["debugpy"] = None  # type: ignore[assignment]
    from ipykernel.kernelapp import IPKernelApp

    class CasebookKernelApp(IPKernelApp):
        def init_iopub(self, context):
            context.setsockopt(zmq.SNDHWM, UNBOUNDED)  # the IOPub socket and its pipes, made now
            super().init_iopub(context)

    CasebookKernelApp.launch_instance(argv=[*sys.argv[1:], "--HistoryManager.enabled=False"])


if __name__ == "__main__":
    main()
