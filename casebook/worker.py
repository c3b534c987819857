"""The anonymisation check's worker: a process of its own that loads deduce once.

deduce's lookup data takes seconds to load and about a gigabyte of memory, so no process that
serves people loads it: not the server, not a page's kernel, not a papermill kernel. They ask
this worker instead, over newline-delimited JSON:

* ``python -m casebook.worker`` answers requests on stdin/stdout (the clearance at start-up
  runs one for the cases not judged before, then closes it);
* ``python -m casebook.worker --socket PATH`` serves any number of clients on a Unix socket
  (``casebook serve`` starts one per server, shared by every author page).

A request is ``{"op": "check_files", "paths": [...], "language": "nl"}`` (the reports of
``casebook check``) or ``{"op": "check_case_text", "text": "...", "language": "nl"}`` (a
draft from the author app: format errors and findings). An answer is ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. ``CheckWorker`` is the client: one request at a time, each
with a time limit; a worker that does not answer in time is stopped and started again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

from casebook.exceptions import ClearanceError

log = logging.getLogger("casebook")

MAX_TEXT = 200_000  # characters of one draft: a whole casebook is far less
DEFAULT_TIMEOUT = 60.0


# ------------------------------------------------------------------ the worker's side


def handle(request: dict) -> dict:
    """Answer one request (in the worker process, where deduce may be loaded)."""
    op = request.get("op")
    language = request.get("language") or "nl"
    if op == "ping":
        return {"ok": True}
    if op == "check_files":
        from casebook.check import check_paths

        paths = [str(p) for p in request.get("paths") or []]
        return {"ok": True, "reports": [r.as_dict(language) for r in check_paths(paths, language=language)]}
    if op == "check_case_text":
        text = request.get("text")
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            return {"ok": False, "error": "text_too_long"}
        from casebook.check import check_case_text

        return {"ok": True, **check_case_text(text, request.get("file") or "<tekst>", language)}
    if op == "warm_up":
        from casebook.anonymise import warm_up

        warm_up()
        return {"ok": True}
    return {"ok": False, "error": "unknown_op"}


def _answer(line: bytes) -> bytes:
    try:
        request = json.loads(line)
        answer = handle(request) if isinstance(request, dict) else {"ok": False, "error": "bad_request"}
    except Exception as exc:  # noqa: BLE001 - one bad request never stops the worker
        log.exception("check worker: request failed")
        answer = {"ok": False, "error": type(exc).__name__}
    return json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n"


def serve_stdio() -> None:
    for line in sys.stdin.buffer:
        if line.strip():
            sys.stdout.buffer.write(_answer(line))
            sys.stdout.buffer.flush()


class _Handler(socketserver.StreamRequestHandler):
    lock = threading.Lock()  # deduce is not known to be thread-safe: one check at a time

    def handle(self):
        for line in self.rfile:
            if not line.strip():
                continue
            if len(line) > MAX_TEXT * 4 + 1000:
                self.wfile.write(b'{"ok": false, "error": "text_too_long"}\n')
                continue
            with self.lock:
                answer = _answer(line)
            self.wfile.write(answer)


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def serve_socket(path: str) -> None:
    if os.path.exists(path):
        os.unlink(path)
    with _Server(path, _Handler) as server:
        os.chmod(path, 0o600)  # only the server's own user may ask
        server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m casebook.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", help="serve clients on this Unix socket instead of stdin/stdout")
    parser.add_argument("--warm-up", action="store_true", help="load deduce before the first request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s casebook check worker: %(message)s")
    if args.warm_up:
        handle({"op": "warm_up"})
    if args.socket:
        serve_socket(args.socket)
    else:
        serve_stdio()


# ------------------------------------------------------------------ the client's side


class CheckWorker:
    """A client of the worker: a child process of its own, or the server's shared socket."""

    def __init__(self, socket_path: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.socket_path = socket_path
        self.timeout = timeout
        self._process: subprocess.Popen | None = None
        self._connection: socket.socket | None = None
        self._reader = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        if self.socket_path:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            try:
                connection.connect(self.socket_path)
            except OSError as exc:
                connection.close()
                raise ClearanceError(f"the check worker at {self.socket_path} does not answer ({exc.strerror})") from None
            self._connection = connection
            self._reader = connection.makefile("rb")
        else:
            # stderr is passed through: a first run shows deduce's set-up progress there
            self._process = subprocess.Popen([sys.executable, "-m", "casebook.worker"], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE)

    def request(self, op: str, timeout: float | None = None, **fields) -> dict:
        """Send one request and wait for its answer; ClearanceError when there is none."""
        with self._lock:
            if self._process is None and self._connection is None:
                self._start()
            line = json.dumps({"op": op, **fields}, ensure_ascii=False).encode("utf-8") + b"\n"
            try:
                answer = self._exchange(line, timeout or self.timeout)
            except (OSError, ValueError, TimeoutError) as exc:
                self.close()
                raise ClearanceError(f"the check worker did not answer ({type(exc).__name__})") from None
        if not answer.get("ok"):
            raise ClearanceError(answer.get("error") or "unknown error")
        return answer

    def _exchange(self, line: bytes, timeout: float) -> dict:
        if self._connection is not None:
            self._connection.settimeout(timeout)
            self._connection.sendall(line)
            reply = self._reader.readline()
        else:
            self._process.stdin.write(line)
            self._process.stdin.flush()
            reply = self._read_process_line(timeout)
        if not reply:
            raise ValueError("no answer")
        return json.loads(reply)

    def _read_process_line(self, timeout: float) -> bytes:
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            raise TimeoutError
        return result[0]

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = self._reader = None
        if self._process is not None:
            process, self._process = self._process, None
            try:
                process.stdin.close()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_files(paths: list[str], language: str = "nl", timeout: float = 600.0) -> dict[str, dict]:
    """``casebook check`` on the files in a worker process of their own; reports by file."""
    with CheckWorker(timeout=timeout) as worker:
        reports = worker.request("check_files", paths=[str(p) for p in paths], language=language)["reports"]
    return {str(Path(report["file"])): report for report in reports}


if __name__ == "__main__":
    main()
