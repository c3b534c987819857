"""The check worker as `casebook serve` runs it: one process on a Unix socket, deduce loaded
once, shared by every author page; bad requests answered, never fatal; checks with a time limit.

One worker serves the whole module (loading deduce takes seconds); the test that makes it
restart its checking process runs last.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from casebook.worker import MAX_LINE, MAX_TEXT, CheckFailed, CheckWorker

ROOT = Path(__file__).resolve().parent.parent

DRAFT = """---
id: tst-concept
title: Een concept
language: nl
themes: [pesten]
key:
  - item: bestaat-niet
    why: De VP belooft dat het stopt.
---
De melder werkt op de afdeling. Haar teamleider Kees de Boer belt haar op 06-48213957.
"""


@contextmanager
def socket_worker(env: dict | None = None, *args: str):
    """``python -m casebook.worker --socket`` as `casebook serve` starts it, until the block ends."""
    folder = tempfile.mkdtemp(prefix="cb-worker-")  # short: a socket path has at most 107 bytes
    path = os.path.join(folder, "checker.sock")
    process = subprocess.Popen([sys.executable, "-m", "casebook.worker", "--socket", path, *args], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(path):
            assert process.poll() is None, "the worker stopped at start"
            assert time.monotonic() < deadline, "the worker's socket never appeared"
            time.sleep(0.05)
        yield path
    finally:
        process.terminate()
        process.wait(timeout=15)
        os.unlink(path) if os.path.exists(path) else None
        os.rmdir(folder)


@pytest.fixture(scope="module")
def worker(tmp_path_factory, test_cache):
    env = {"CASEBOOK_CACHE": str(test_cache), "CASEBOOK_DATA": str(tmp_path_factory.mktemp("worker-data"))}
    with socket_worker(env, "--warm-up") as path:
        yield path


def raw_exchange(path: str, *lines: bytes) -> list[dict]:
    """Send raw request lines over one connection, one answer per line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(60)
        connection.connect(path)
        reader = connection.makefile("rb")
        answers = []
        for line in lines:
            connection.sendall(line)
            answers.append(json.loads(reader.readline()))
        return answers


def test_check_case_text_on_a_draft_returns_format_errors_and_findings(worker):
    with CheckWorker(worker) as client:
        answer = client.request("check_case_text", text=DRAFT, file="tst-concept.md")
    assert [e["code"] for e in answer["errors"]] == ["unknown_item"]
    assert answer["errors"][0]["line"] == 7 and "bestaat-niet" in answer["errors"][0]["message"]
    found = {(f["kind"], f["text"], f["line"]) for f in answer["findings"]}
    assert ("naam", "Kees de Boer", 10) in found and ("telefoonnummer", "06-48213957", 10) in found
    for finding in answer["findings"]:
        assert finding["text"] in DRAFT.splitlines()[finding["line"] - 1]


def test_two_clients_are_served_at_the_same_time_each_with_its_own_answer(worker):
    drafts = {"tel": "De teamleider belt de melder op 06-48213957.",
              "mail": "De teamleider mailt de melder op k.deboer@example.nl."}
    clients = {name: CheckWorker(worker) for name in drafts}
    for client in clients.values():
        client.request("ping")  # both connected before either asks for a check
    answers: dict[str, dict] = {}
    threads = [threading.Thread(target=lambda n=name: answers.__setitem__(
        n, clients[n].request("check_case_text", text=drafts[n]))) for name in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for client in clients.values():
        client.close()
    assert [(f["kind"], f["text"]) for f in answers["tel"]["findings"]] == [("telefoonnummer", "06-48213957")]
    assert [(f["kind"], f["text"]) for f in answers["mail"]["findings"]] == [("e-mail", "k.deboer@example.nl")]


def test_malformed_requests_get_an_error_answer_and_the_worker_keeps_serving(worker):
    pid = raw_exchange(worker, b'{"op": "ping"}\n')[0]["pid"]
    answers = raw_exchange(
        worker,
        b"not json\n",
        b"[1, 2]\n",
        b"\xff\xfe{\n",  # not UTF-8
        b'{"op": 5}\n',
        b'{"op": "format_disk"}\n',
        b'{"op": "check_case_text", "text": 5}\n',
        b'{"op": "check_case_text"}\n',
        b'{"op": "ping", "self": 1, "limit": "soon"}\n',  # stray fields are ignored
        b'{"op": "check_case_text", "text": "De melder belt."}\n',  # the same connection still checks
    )
    assert [a.get("error") for a in answers] == ["bad_request", "bad_request", "bad_request", "unknown_op",
                                                 "unknown_op", "bad_request", "bad_request", None, None]
    assert answers[-1]["ok"] and answers[-1]["findings"] == []
    # a client that leaves halfway through a line does not take the worker with it
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(worker)
        connection.sendall(b'{"op": "check_case_text", "te')
    assert raw_exchange(worker, b'{"op": "ping"}\n')[0] == {"ok": True, "pid": pid}  # same process throughout


def test_a_too_long_text_is_refused_and_the_worker_keeps_serving(worker):
    with CheckWorker(worker) as client:
        with pytest.raises(CheckFailed) as refused:
            client.request("check_case_text", text="De melder belt. " * (MAX_TEXT // 16 + 1))
        assert refused.value.reason == "text_too_long"
        assert client.request("check_case_text", text="De melder belt.")["ok"]
    # a line longer than any request may be is skipped unread, and the connection goes on
    started = time.monotonic()
    too_long, after = raw_exchange(worker, b'{"op": "check_case_text", "text": "' + b"a" * (MAX_LINE + 10) + b'"}\n',
                                   b'{"op": "ping"}\n')
    assert too_long == {"ok": False, "error": "text_too_long"} and after["ok"]
    assert time.monotonic() - started < 5


def test_a_pasted_pathological_dialogue_line_checks_in_well_under_a_few_seconds(worker):
    from casebook.authoring import AuthorModel

    n = 8000
    model = AuthorModel(ROOT / "does-not-exist", checker=lambda text, file: None)
    model.case_id, model.title, model.themes = "tst-lang", "Lang", ["pesten"]
    model.key_items, model.reasons = ["beloftes-doen"], ["De VP belooft het."]
    model.body = "De melder belt."
    model.dialogue = "vp:" + " " * n + "x" + " " * n + "[" + " " * n + "\nmelder:" + " " * n + "[" * n + " x"
    text = model.case_text()
    with CheckWorker(worker) as client:
        client.request("ping")
        started = time.monotonic()
        answer = client.request("check_case_text", text=text)
        elapsed = time.monotonic() - started
    assert answer["ok"] and answer["errors"] == [] and answer["findings"] == []
    assert elapsed < 3.0, f"the check took {elapsed:.1f} s"


def test_a_check_over_its_time_limit_is_stopped_and_the_checking_process_restarted(worker):
    """Last in the module: the restarted process would load deduce again for its next check."""
    names = ("Kees Jansen belde Marie de Vries en Ahmed el Amrani. " * 1000)[:MAX_TEXT]
    with CheckWorker(worker) as client:
        before = client.request("ping")["pid"]
        started = time.monotonic()
        with pytest.raises(CheckFailed) as stopped:
            client.request("check_case_text", text=names, timeout=0.05)  # the worker stops when the client does
        assert stopped.value.reason == "timeout"
        assert time.monotonic() - started < 10
        after = client.request("ping")["pid"]
        assert after != before
        with pytest.raises(ProcessLookupError):
            os.kill(before, 0)  # the process that overran is gone, not left running


def test_a_worker_of_its_own_is_killed_when_it_does_not_answer_in_time():
    worker = CheckWorker(timeout=0.3)
    worker.request("ping", timeout=60)
    pid = worker.pid
    with pytest.raises(CheckFailed) as late:
        worker.request("check_case_text", text="De melder belt.")  # loading deduce alone takes longer
    assert late.value.reason == "timeout" and worker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
