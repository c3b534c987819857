"""The store: SQLAlchemy models and engine (SQLite by default, PostgreSQL for shared servers).

Everything several people see (phase, timer, votes) lives here; each Voila kernel follows it.
The schema is created and changed by Alembic migrations (``casebook/migrations``), never by
dropping tables. Nothing identifying is stored beyond the pseudonym a participant chose.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time as time_module
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, time, timezone
from importlib import resources

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Time, UniqueConstraint, create_engine,
    event, inspect, select, text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from casebook.config import store_url

# The newest migration in casebook/migrations/versions. Kept here so that opening an up-to-date
# store does not import Alembic (a participant's kernel opens one); a test checks it is the head.
SCHEMA_REVISION = "0004"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, index=True)
    facilitator_key_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")
    method: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    reveal_key: Mapped[bool] = mapped_column(Boolean, default=True)
    minutes: Mapped[dict] = mapped_column(JSON, default=dict)  # phase id -> minutes
    step: Mapped[int] = mapped_column(Integer, default=0)
    timer_started_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch s while running
    timer_elapsed: Mapped[float] = mapped_column(Float, default=0.0)  # seconds run before that
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every change views follow
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # set by closing (migration 0003): individual votes and pseudonyms are gone from then on
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SessionCaseRow(Base):
    __tablename__ = "session_cases"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(80))


class ParticipantRow(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not derived from anything
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(40))
    last_seen: Mapped[float] = mapped_column(Float, default=0.0)  # epoch s, for presence
    # a keyed hash of the browser's cookie (never the cookie): one browser, one participant
    browser: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (Index("ix_participants_session_browser", "session_id", "browser"),)


class JoinFailureRow(Base):
    """A wrong join code: when, and from which browser (its keyed hash), for one minute."""

    __tablename__ = "join_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    browser: Mapped[str | None] = mapped_column(String(64), nullable=True)


class VoteRow(Base):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("session_id", "position", "round", "participant_id", name="one_vote_per_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    items: Mapped[list] = mapped_column(JSON, default=list)
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------ engine and schema

# PostgreSQL advisory lock held while migrating (any fixed number; this one spells "casebook")
MIGRATION_LOCK = 0x63617365626F6F6B

WRITER_PATIENCE_SECONDS = 30.0  # as SQLite's busy timeout below
log = logging.getLogger("casebook")


class WriterTurn:
    """SQLite's writers (the page store, each facilitator's kernel, the CLI) take turns on a
    file lock beside the database before they ask for SQLite's write lock. SQLite lets a writer
    that finds the lock taken sleep and try again (1, 2, 5, 10 … 100 ms), so three facilitators
    clicking in the same second waited up to a tenth of a second for each other; here the next
    writer finds the turn free within a couple of milliseconds of the last one. SQLite's own lock
    and busy timeout still decide: a writer that waited ``WRITER_PATIENCE_SECONDS`` for its turn
    (a process stuck in a write) goes on without it, so it fails as SQLite says rather than wait
    forever. Reentrant within a thread."""

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        self.path = f"{database}.writers" if database and database != ":memory:" else None
        self._threads = threading.RLock()  # flock is per open file: threads of a process queue here
        self._depth = 0  # nesting of the thread holding _threads
        self._fd: int | None = None
        self._pid = 0  # the process that opened _fd: a forked child opens its own

    @contextmanager
    def turn(self):
        deadline = time_module.monotonic() + WRITER_PATIENCE_SECONDS
        if not self.path or not self._threads.acquire(timeout=WRITER_PATIENCE_SECONDS):
            if self.path:
                log.warning("no writer's turn on %s after %.0f s; writing without it", self.path,
                            WRITER_PATIENCE_SECONDS)
            yield
            return
        try:
            locked = self._depth == 0 and self._take_turn(deadline)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if locked:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _take_turn(self, deadline: float) -> bool:
        """The file lock, asked again every few milliseconds until ``deadline``."""
        if self._fd is None or self._pid != os.getpid():
            self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        pause = 0.0005
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time_module.monotonic() >= deadline:
                    log.warning("no writer's turn on %s after %.0f s; writing without it", self.path,
                                WRITER_PATIENCE_SECONDS)
                    return False
                time_module.sleep(pause)
                pause = min(pause * 2, 0.002)

    def close(self) -> None:
        with self._threads:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None


_engines: dict[str, "Store"] = {}
_engines_lock = threading.Lock()


class Store:
    """One database: engines, sessions, and the schema kept at the newest migration."""

    def __init__(self, url: str | None = None):
        self.url = url or store_url()
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self._ensure_sqlite_folder()
            # Reads begin deferred; writes take the write lock at BEGIN, so a read-then-write
            # rule check (is the round still open?) cannot interleave with another writer.
            self.engine = self._sqlite_engine(immediate=False)
            self.write_engine = self._sqlite_engine(immediate=True)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10)
            self.write_engine = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._writer_turn = WriterTurn(self.url) if self.is_sqlite else None
        self.upgrade()

    def _ensure_sqlite_folder(self) -> None:
        from pathlib import Path

        from sqlalchemy.engine import make_url

        database = make_url(self.url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    def _sqlite_engine(self, immediate: bool) -> Engine:
        engine = create_engine(self.url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    # -- schema

    def alembic_config(self):
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(resources.files("casebook").joinpath("migrations")))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["engine"] = self.write_engine
        return config

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (cheap when it already is)."""
        if self.current_revision() == SCHEMA_REVISION:
            return
        from alembic import command

        if self.is_sqlite:  # BEGIN IMMEDIATE already lets one writer migrate at a time
            command.upgrade(self.alembic_config(), "head")
            return
        # Several `casebook serve` processes share one PostgreSQL and may start at once: they
        # migrate one after another, and whoever waited finds the schema up to date.
        with self.write_engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                if self.current_revision() != SCHEMA_REVISION:
                    command.upgrade(self.alembic_config(), "head")
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()

    # -- transactions

    @contextmanager
    def reading(self):
        with self._read() as session:
            yield session

    @contextmanager
    def writing(self):
        """A write transaction; on PostgreSQL rule checks lock the session row themselves. With
        SQLite the writers of all processes take turns first (``WriterTurn``)."""
        with self._writer_turn.turn() if self._writer_turn else nullcontext():
            with self._write() as session:
                with session.begin():
                    yield session

    def lock_session(self, db: Session, code: str) -> SessionRow | None:
        statement = select(SessionRow).where(SessionRow.code == code)
        if not self.is_sqlite:
            statement = statement.with_for_update()
        return db.execute(statement).scalar_one_or_none()

    def dispose(self) -> None:
        if self._writer_turn is not None:
            self._writer_turn.close()
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def open_store(url: str | None = None) -> Store:
    """The store for ``url`` (default: CASEBOOK_STORE or the embedded SQLite), one per process."""
    url = url or store_url()
    with _engines_lock:
        if url not in _engines:
            _engines[url] = Store(url)
        return _engines[url]


# ------------------------------------------------------------------ solo review (migration 0002)


class SoloProfileRow(Base):
    """A local profile for solo review: a random id, no account and no name."""

    __tablename__ = "solo_profiles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, kept in the user's data folder
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SoloAnswerRow(Base):
    """One checked answer. The key is copied in so counts keep their meaning if a case changes."""

    __tablename__ = "solo_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("solo_profiles.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(String(80))
    items: Mapped[list] = mapped_column(JSON, default=list)  # what the reviewer ticked
    key_items: Mapped[list] = mapped_column(JSON, default=list)  # the case's key when answered
    turn_tags: Mapped[dict] = mapped_column(JSON, default=dict)  # dialogue index (as text) -> items tagged
    turns_differing: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: no turn tagged
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------ after the vote (migration 0003)


class SessionRecordRow(Base):
    """The intervision record for LVV registration, typed by the chair. Kept after closing.

    Stored apart from votes and participants and never linked to either: the attendance list
    holds names and LVV member numbers, the votes only random ids."""

    __tablename__ = "session_records"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    start_time: Mapped[time | None] = mapped_column(Time, nullable=True)
    end_time: Mapped[time | None] = mapped_column(Time, nullable=True)
    group_name: Mapped[str] = mapped_column(String(200), default="")
    chair: Mapped[str] = mapped_column(String(200), default="")
    facilitator: Mapped[str] = mapped_column(String(200), default="")
    setting: Mapped[str] = mapped_column(String(10), default="fysiek")  # fysiek | online
    present: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: count the attendance list
    inbrengers: Mapped[dict] = mapped_column(JSON, default=dict)  # case position (as text) -> name
    attendance: Mapped[list] = mapped_column(JSON, default=list)  # [{"name": ..., "lvv_number": ...}]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoundAggregateRow(Base):
    """One round of one case as closing keeps it: counts per item (all a round's statistics
    need) and, from round 2 on, the shift since round 1, computed while the ballots existed.
    The key is copied in so the report keeps its meaning if the case file changes."""

    __tablename__ = "round_aggregates"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(80))
    voters: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # item id -> voters who ticked it
    key_items: Mapped[list] = mapped_column(JSON, default=list)
    shift: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # agreement.Shift.as_dict()


class PhaseRunRow(Base):
    """A phase entered during a session (for the record's net contact hours); no person in it."""

    __tablename__ = "phase_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[float] = mapped_column(Float)  # epoch s
