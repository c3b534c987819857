"""Has the store changed? A question cheap enough for every page to ask ten times a second.

A live page (participant, facilitator, projector) must show a vote, a join or a phase change
within a fraction of a second, while an idle session costs next to nothing. Each kernel asks a
``ChangeWatch`` before it reads anything:

- SQLite: ``PRAGMA data_version`` on one connection held open for the purpose. Its value
  changes only when another connection committed (any process, any kernel), so asking costs a
  few microseconds and touches no table.
- PostgreSQL: ``LISTEN`` on one connection; every change a view follows sends a ``NOTIFY`` in
  the same transaction (``notify_change``), delivered only once that transaction commits.
- Anything else: always "maybe", so the caller reads the session's version as before.

A watch only says *something* may have changed: the caller still compares the session's version
(``sessions.version``), so a false alarm costs one small query and a missed one cannot happen.
"""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy import text
from sqlalchemy.engine import make_url

log = logging.getLogger("casebook")

CHANNEL = "casebook_changes"


class ChangeWatch:
    """Always "maybe changed": the fallback for stores without a cheap signal."""

    def changed(self) -> bool:
        return True

    def close(self) -> None:
        pass


class SQLiteChangeWatch(ChangeWatch):
    """``PRAGMA data_version`` on a connection of its own (it must never commit anything)."""

    def __init__(self, path: str):
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._seen: int | None = None

    def changed(self) -> bool:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        current = self._connection.execute("PRAGMA data_version").fetchone()[0]
        changed = current != self._seen
        self._seen = current
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class PostgresChangeWatch(ChangeWatch):
    """``LISTEN casebook_changes`` on a connection of its own; reconnects after an error."""

    def __init__(self, url: str):
        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection = None

    def changed(self) -> bool:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._conninfo, autocommit=True)
            self._connection.execute(f"LISTEN {CHANNEL}")
            return True  # whatever happened while nobody listened
        try:
            return bool(list(self._connection.notifies(timeout=0)))
        except psycopg.OperationalError:
            self.close()  # the next call reconnects and says "changed"
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def watch_changes(url: str) -> ChangeWatch:
    """The cheapest way to learn that the store at ``url`` changed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            return SQLiteChangeWatch(parsed.database)
        return ChangeWatch()  # an in-memory database is private to its connection
    if parsed.get_backend_name() == "postgresql":
        return PostgresChangeWatch(url)
    return ChangeWatch()


def notify_change(db, is_sqlite: bool, code: str) -> None:
    """Tell listening pages that session ``code`` changed, when ``db``'s transaction commits.
    SQLite needs nothing: every commit moves ``data_version`` for every other connection."""
    if not is_sqlite:
        db.execute(text("SELECT pg_notify(:channel, :code)"), {"channel": CHANNEL, "code": code})
