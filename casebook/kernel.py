"""The kernel behind every page ``casebook serve`` shows: ipykernel that never drops a message.

``casebook serve`` puts ``casebook/jupyter`` first on ``JUPYTER_PATH``, so its
``kernels/python3/kernel.json`` starts this module instead of ``ipykernel_launcher`` for the
pages it serves (JupyterLab, papermill and the tests keep the ordinary kernel).

A page's notebook sends its widgets in one burst (a solo page with a case: about 1,250
messages). ZeroMQ silently drops what is beyond a socket's high-water mark (1,000) when the
reader falls behind, as the server does on a busy machine; when the dropped messages include
the kernel's "idle", Voila keeps the page loading until its IOPub timeout and serves it with
widgets missing. Here the kernel's IOPub queue is unbounded (the server's side is too: see
``casebook.web.CasebookKernelClient``). A page has no use for a command history either; without
it, no kernel writes to the shared IPython history database.
"""

from __future__ import annotations

import sys

import zmq
from ipykernel.kernelapp import IPKernelApp

UNBOUNDED = 0


class CasebookKernelApp(IPKernelApp):
    def init_iopub(self, context):
        context.setsockopt(zmq.SNDHWM, UNBOUNDED)  # for the IOPub socket and its pipes, made now
        super().init_iopub(context)


def main() -> None:
    CasebookKernelApp.launch_instance(argv=[*sys.argv[1:], "--HistoryManager.enabled=False"])


if __name__ == "__main__":
    main()
