"""Has the store changed? Asked cheaply, and woken up when it may have.

A live page (participant, facilitator, projector) must show a vote, a join or a phase change
within a fraction of a second, while an idle session costs next to nothing. Each kernel asks a
``ChangeWatch`` before it reads anything:

- SQLite: ``PRAGMA data_version`` on one connection held open for the purpose. Its value
  changes only when another connection committed (any process, any kernel), so asking costs a
  few microseconds and touches no table. On Linux, inotify on the database's folder wakes the
  page when the database or its write-ahead log is written, so an idle page does not even ask.
- PostgreSQL: ``LISTEN`` on one connection; every change a view follows sends a ``NOTIFY`` in
  the same transaction (``notify_change``), delivered only once that transaction commits. The
  connection's socket wakes the page.
- Anything else: always "maybe", so the caller reads the session's version as before.

A watch only says *something* may have changed: the caller still compares the session's version
(``sessions.version``), so a false alarm costs one small query and a missed one cannot happen.
``wakeup_fd()`` is a file descriptor that becomes readable when something may have changed (for
an event loop's ``add_reader``), or None where there is none: then the caller polls.

SQLAlchemy is imported only where a store URL is read: the pages of ``casebook serve`` follow
through the server's page store (``casebook.page_store``) and their kernels carry no database
library.
"""

from __future__ import annotations

import logging

log = logging.getLogger("casebook")

CHANNEL = "casebook_changes"


class ChangeWatch:
    """Always "maybe changed": the fallback for stores without a cheap signal."""

    # True where "changed" means the followed session's version moved (not any write to the
    # store): the caller may then read the session's state at once, without asking its version
    one_session = False

    def follow(self, code: str) -> None:
        """The session the caller follows now (a watch of the whole store ignores it)."""

    def commit_marker(self) -> int | None:
        """A number that moves whenever another connection committed to the store; None
        where the store offers none."""
        return None

    def changed(self) -> bool:
        return True

    def take_state(self) -> tuple | None:
        """``(state, computed at)`` sent with the wake-up that ``changed()`` just spent, where
        the watch is told the state with the change (the page store's); None: read it. The
        moment is the page store's clock, which on one host is the page's (``time.time``)."""
        return None

    def wakeup_fd(self) -> int | None:
        return None

    def close(self) -> None:
        pass


class SQLiteChangeWatch(ChangeWatch):
    """``PRAGMA data_version`` on a connection of its own (it must never commit anything)."""

    def __init__(self, path: str):
        self._path = path
        self._connection = None  # a sqlite3 connection, made on the first question
        self._seen: int | None = None
        self._inotify = None
        self._inotify_missing = False  # tried once and failed: poll from then on

    def changed(self) -> bool:
        if self._inotify is not None:
            self._inotify.read(timeout=0)  # the wake-up is spent; data_version decides
        current = self.commit_marker()
        changed = current != self._seen
        self._seen = current
        return changed

    def commit_marker(self) -> int:
        if self._connection is None:
            import sqlite3

            self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        return self._connection.execute("PRAGMA data_version").fetchone()[0]

    def wakeup_fd(self) -> int | None:
        """Readable when the database or its log in that folder was written (Linux only)."""
        if self._inotify is None and not self._inotify_missing:
            self._inotify_missing = True  # until it works
            try:
                from inotify_simple import INotify, flags
            except ImportError:
                return None
            from pathlib import Path

            try:
                watcher = INotify(nonblocking=True)
                # the folder, not the files: the log is created, reset and removed as SQLite pleases
                watcher.add_watch(str(Path(self._path).resolve().parent),
                                  flags.MODIFY | flags.CREATE | flags.MOVED_TO | flags.CLOSE_WRITE)
            except OSError as exc:  # not Linux, or out of inotify watches: the caller polls
                log.info("no inotify for %s (%s); polling", self._path, exc)
                return None
            self._inotify, self._inotify_missing = watcher, False
        return self._inotify.fileno() if self._inotify is not None else None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None


class PostgresChangeWatch(ChangeWatch):
    """``LISTEN casebook_changes`` on a connection of its own; reconnects after an error."""

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection = None
        self._missed = True

    def _listening(self):
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._conninfo, autocommit=True)
            self._connection.execute(f"LISTEN {CHANNEL}")
            self._missed = True  # whatever happened while nobody listened
        return self._connection

    def wakeup_fd(self) -> int | None:
        """The listening connection's socket: readable when a notification arrives."""
        return self._listening().fileno()

    def changed(self) -> bool:
        import psycopg

        connection = self._listening()
        try:
            heard = bool(list(connection.notifies(timeout=0)))
        except psycopg.OperationalError:
            self.close()  # the next question reconnects and answers "changed"
            raise
        missed, self._missed = self._missed, False
        return heard or missed

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def watch_changes(url: str) -> ChangeWatch:
    """The cheapest way to learn that the store at ``url`` changed."""
    from sqlalchemy.engine import make_url

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
        from sqlalchemy import text

        db.execute(text("SELECT pg_notify(:channel, :code)"), {"channel": CHANNEL, "code": code})
