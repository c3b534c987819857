"""Several ``casebook serve`` processes behind nginx, sharing one PostgreSQL (issue 14,
deploy/README.md "Several processes"): what they must share, and a group spread over two
processes that sees one session and survives losing one of them."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import pytest

from casebook.exceptions import CasebookError
from casebook.web import casebook_secret, server_secret


def fresh_database(postgres_server: str) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.replace("postgresql+psycopg", "postgresql") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"


# ------------------------------------------------------------------ what the processes share


def test_processes_starting_at_once_on_one_data_folder_share_one_key(tmp_path):
    """systemd starts casebook@8871 and casebook@8872 together: both must end up with one key,
    or one browser would be two participants."""
    folder = tmp_path / "data"
    program = ("import sys; from casebook.web import server_secret; "
               "print(server_secret(sys.argv[1] + '/server-secret').hex())")
    starts = [subprocess.Popen([sys.executable, "-c", program, str(folder)], stdout=subprocess.PIPE, text=True)
              for _ in range(6)]
    keys = {start.communicate(timeout=60)[0].strip() for start in starts}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert (folder / "server-secret").stat().st_mode & 0o777 == 0o600
    assert [path.name for path in folder.iterdir()] == ["server-secret"]  # no drafts left behind


def test_a_configured_key_is_used_and_never_made_up(tmp_path, monkeypatch):
    shared = tmp_path / "etc" / "server-secret"
    monkeypatch.setenv("CASEBOOK_SECRET_FILE", str(shared))
    with pytest.raises(CasebookError) as missing:
        casebook_secret()
    assert str(shared) in missing.value.message("en")
    assert not shared.exists()  # a key of its own would split every browser in two
    shared.parent.mkdir()
    shared.write_text("not hex\n")
    with pytest.raises(CasebookError):
        casebook_secret()
    assert shared.read_text() == "not hex\n"  # an administrator's file is never overwritten
    key = "ab" * 32
    shared.write_text(key + "\n")
    assert casebook_secret().hex() == key
    # a second machine with its own data folder and the same file: the same key
    monkeypatch.setenv("CASEBOOK_DATA", str(tmp_path / "other-machine"))
    server_secret.cache_clear()
    assert casebook_secret().hex() == key
    assert not (tmp_path / "other-machine" / "server-secret").exists()


def test_serve_refuses_to_start_without_its_configured_key(tmp_path):
    done = subprocess.run([sys.executable, "-m", "casebook.cli", "serve", "--port", "1"],
                          env={"PATH": "/usr/bin:/bin", "CASEBOOK_DATA": str(tmp_path / "data"),
                               "CASEBOOK_SECRET_FILE": str(tmp_path / "missing"), "CASEBOOK_LANGUAGE": "en",
                               "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "missing" in done.stderr and "64 hex digits" in done.stderr


def test_processes_starting_at_once_on_one_postgresql_migrate_it_once(postgres_server):
    from casebook.store import SCHEMA_REVISION, Store

    url = fresh_database(postgres_server)
    stores, errors = [], []

    def start() -> None:
        try:
            stores.append(Store(url))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(max(0, deadline - time.monotonic()))
    try:
        assert not errors, errors
        assert not any(thread.is_alive() for thread in threads), "migrations waiting on each other"
        assert [store.current_revision() for store in stores] == [SCHEMA_REVISION] * 4
    finally:
        for store in stores:
            store.dispose()
