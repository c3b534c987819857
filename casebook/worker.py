"""The anonymisation check's worker: a process of its own that loads deduce once.

deduce's lookup data takes seconds to load and about a gigabyte of memory, so no process that
serves people loads it: not the server, not a page's kernel, not a papermill kernel. They ask
this worker instead, over newline-delimited JSON:

* ``python -m casebook.worker`` answers requests on stdin/stdout (the clearance at start-up
  runs one for the cases not judged before, then closes it);
* ``python -m casebook.worker --socket PATH`` serves any number of clients on a Unix socket
  (``casebook serve`` starts one per server, shared by every author page). The socket server
  itself stays small: it hands each request to one child process (the stdin/stdout worker,
  where deduce is loaded) and stops and restarts that child when a check overruns its time
  limit, so one pathological draft never holds the checker for everyone.

A request is ``{"op": "check_files", "paths": [...], "language": "nl"}`` (the reports of
``casebook check``) or ``{"op": "check_case_text", "text": "...", "language": "nl"}`` (a
draft from the author app: format errors and findings). An answer is ``{"ok": true, ...}`` or
``{"ok": false, "error": REASON}``, REASON one of ``bad_request``, ``unknown_op``,
``text_too_long``, ``timeout``, ``worker_failed``. ``CheckWorker`` is the client: one request
at a time, each with a time limit; a child that does not answer in time is killed, and the
next request starts a new one.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

from casebook.exceptions import ClearanceError

log = logging.getLogger("casebook")

MAX_TEXT = 50_000  # characters of one draft: ten times the longest built-in case
MAX_LINE = MAX_TEXT * 4 + 64_000  # bytes of one request line: the text in UTF-8 and the rest
CHECK_TIMEOUT = 20.0  # seconds one check may take in the socket worker (a case: a tenth of one)
WARM_UP_TIMEOUT = 600.0  # loading deduce may build its lookup data first: minutes, once
OTHER_TIMEOUT = 10.0  # anything else (ping)
CHECKS = ("check_case_text", "check_files")
DEFAULT_TIMEOUT = 90.0  # what a client waits: a check may queue behind another author's


class CheckFailed(ClearanceError):
    """The worker refused a request or did not answer it in time; ``reason`` says which."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason} ({detail})" if detail else reason)


# ------------------------------------------------------------------ the worker's side


def handle(request: dict) -> dict:
    """Answer one request (in the worker process, where deduce may be loaded)."""
    op = request.get("op")
    language = request.get("language") or "nl"
    if op == "ping":
        return {"ok": True, "pid": os.getpid()}
    if op == "check_files":
        from casebook.check import check_paths

        paths = [str(p) for p in request.get("paths") or []]
        return {"ok": True, "reports": [r.as_dict(language) for r in check_paths(paths, language=language)]}
    if op == "check_case_text":
        text = request.get("text")
        if not isinstance(text, str):
            return {"ok": False, "error": "bad_request"}
        if len(text) > MAX_TEXT:
            return {"ok": False, "error": "text_too_long"}
        from casebook.check import check_case_text

        return {"ok": True, **check_case_text(text, str(request.get("file") or "<tekst>"), language)}
    if op == "warm_up":
        from casebook.anonymise import warm_up

        warm_up()
        return {"ok": True}
    return {"ok": False, "error": "unknown_op"}


def parse_request(line: bytes) -> dict | None:
    """A request line as a dict, or None when it is not one."""
    try:
        request = json.loads(line)
    except ValueError:  # not JSON, or not UTF-8
        return None
    return request if isinstance(request, dict) else None


def encode(answer: dict) -> bytes:
    return json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n"


def _answer(line: bytes) -> bytes:
    request = parse_request(line)
    if request is None:
        return encode({"ok": False, "error": "bad_request"})
    try:
        answer = handle(request)
    except Exception:  # noqa: BLE001 - one bad request never stops the worker
        log.exception("request failed")
        answer = {"ok": False, "error": "worker_failed"}
    return encode(answer)


def serve_stdio() -> None:
    for line in sys.stdin.buffer:
        if line.strip():
            sys.stdout.buffer.write(_answer(line))
            sys.stdout.buffer.flush()


class Supervisor:
    """The socket server's side: one child process holding deduce, one request at a time, each
    within its time limit; a child that overruns is killed and the next request starts a new one.

    A fresh child loads deduce first, under the generous warm-up limit, so that a check's own
    limit measures the check. A request may ask for a shorter limit (``"limit"``, seconds: what
    its client will wait) than the worker's, never a longer one."""

    def __init__(self, timeout: float = CHECK_TIMEOUT):
        self.timeout = timeout
        self.lock = threading.Lock()  # deduce is not known to be thread-safe: one check at a time
        self.child = CheckWorker(timeout=timeout)
        self._warm_child: int | None = None  # the pid of the child that has deduce loaded

    def _limit(self, request: dict) -> float:
        op = request.get("op")
        if op == "warm_up":
            return WARM_UP_TIMEOUT
        limit = self.timeout if op in CHECKS else OTHER_TIMEOUT
        asked = request.get("limit")
        if isinstance(asked, (int, float)) and not isinstance(asked, bool) and 0 < asked < limit:
            return float(asked)
        return limit

    def answer(self, request: dict) -> dict:
        op = request.get("op")
        limit = self._limit(request)
        with self.lock:
            try:
                if op in CHECKS and (self.child.pid is None or self.child.pid != self._warm_child):
                    self.child.send({"op": "warm_up"}, timeout=WARM_UP_TIMEOUT)
                    self._warm_child = self.child.pid
                elif op == "warm_up" and self.child.pid is not None and self.child.pid == self._warm_child:
                    return {"ok": True}
                answer = self.child.send(request, timeout=limit)
                if op == "warm_up":
                    self._warm_child = self.child.pid
                return answer
            except CheckFailed as exc:
                if exc.reason == "timeout":
                    log.warning("%r took longer than %s s; the checking process was stopped",
                                op, limit)
                elif exc.reason == "worker_failed":
                    log.warning("the checking process failed on %r (%s); it is restarted",
                                op, exc.problem)
                return {"ok": False, "error": exc.reason}

    def close(self) -> None:
        self.child.close(kill=True)  # it keeps nothing worth a graceful end, and ending 1 GB takes seconds


class _Handler(socketserver.StreamRequestHandler):
    supervisor: Supervisor

    def handle(self):
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                # too long to be a case: skip the rest of the line without holding it in memory
                while line and not line.endswith(b"\n"):
                    line = self.rfile.readline(MAX_LINE)
                self.wfile.write(encode({"ok": False, "error": "text_too_long"}))
                continue
            if not line.strip():
                continue
            request = parse_request(line)
            try:
                answer = self.supervisor.answer(request) if request is not None else {"ok": False, "error": "bad_request"}
            except Exception:  # noqa: BLE001 - one bad request never stops the worker
                log.exception("request failed")
                answer = {"ok": False, "error": "worker_failed"}
            try:
                self.wfile.write(encode(answer))
            except OSError:  # the client left before its answer
                return


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def serve_socket(path: str, timeout: float = CHECK_TIMEOUT, warm_up: bool = False) -> None:
    if os.path.exists(path):
        os.unlink(path)
    supervisor = Supervisor(timeout)
    handler = type("Handler", (_Handler,), {"supervisor": supervisor})

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)  # `casebook serve` stops the worker so: take the child along
    try:
        with _Server(path, handler) as server:
            os.chmod(path, 0o600)  # only the server's own user may ask
            if warm_up:
                threading.Thread(target=supervisor.answer, args=({"op": "warm_up"},), daemon=True).start()
            server.serve_forever()
    finally:
        supervisor.close()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m casebook.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", help="serve clients on this Unix socket instead of stdin/stdout")
    parser.add_argument("--timeout", type=float, default=CHECK_TIMEOUT,
                        help="with --socket: seconds one check may take before the checking process is restarted")
    parser.add_argument("--warm-up", action="store_true", help="load deduce before the first request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s casebook check worker: %(message)s")
    if args.socket:
        serve_socket(args.socket, args.timeout, args.warm_up)
    else:
        if args.warm_up:
            handle({"op": "warm_up"})
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

    @property
    def pid(self) -> int | None:
        """The child process's id (a worker of its own), None before it started."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        if self.socket_path:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            try:
                connection.connect(self.socket_path)
            except OSError as exc:
                connection.close()
                log.warning("the check worker at %s does not answer (%s)", self.socket_path, exc.strerror)
                raise CheckFailed("unreachable", exc.strerror or type(exc).__name__) from None
            self._connection = connection
            self._reader = connection.makefile("rb")
        else:
            # stderr is passed through: a first run shows deduce's set-up progress there
            self._process = subprocess.Popen([sys.executable, "-m", "casebook.worker"], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE)

    def request(self, op: str, timeout: float | None = None, **fields) -> dict:
        """Send one request and wait for its answer; CheckFailed when it is refused or there is
        none in time (a child process of its own is then killed: the next request starts anew).
        The socket worker is told how long this client waits, and gives up no later."""
        timeout = timeout or self.timeout
        if self.socket_path:
            fields["limit"] = timeout
        return self.send({**fields, "op": op}, timeout)

    def send(self, request: dict, timeout: float | None = None) -> dict:
        """``request`` as a whole: what the socket worker hands on to its child."""
        with self._lock:
            if self._process is None and self._connection is None:
                self._start()
            line = encode(request)
            try:
                answer = self._exchange(line, timeout or self.timeout)
            except (TimeoutError, socket.timeout):
                self.close(kill=True)
                raise CheckFailed("timeout") from None
            except (OSError, ValueError) as exc:
                self.close(kill=True)
                raise CheckFailed("worker_failed", type(exc).__name__) from None
        if not answer.get("ok"):
            raise CheckFailed(str(answer.get("error") or "worker_failed"))
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
        answer = json.loads(reply)
        if not isinstance(answer, dict):
            raise ValueError("not an answer")
        return answer

    def _read_process_line(self, timeout: float) -> bytes:
        result: list[bytes] = []
        stdout = self._process.stdout
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            raise TimeoutError
        return result[0]

    def close(self, kill: bool = False) -> None:
        """Disconnect, or end the child process: at once when ``kill`` (it is busy and late),
        else let it finish and exit on its own."""
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = self._reader = None
        if self._process is not None:
            process, self._process = self._process, None
            if kill:
                process.kill()
                process.wait()
                return
            try:
                process.stdin.close()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()

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
