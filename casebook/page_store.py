"""What a participant's page asks of the store, and where it is answered.

A participant's page asks a dozen things (join, vote, the session's state, a round's results,
the reveal's picture) and wants to be woken when its session changed. ``PageStore`` is that
list. ``LocalPageStore`` answers in the page's own process with ``casebook.sessions`` (tests,
papermill, JupyterLab). The participant pages of ``casebook serve`` use ``RemotePageStore``:
it asks the server's page store, a process of its own (``python -m casebook.page_store``,
started and restarted by ``casebook serve``), over a Unix socket. So a participant's kernel:

* imports no database library: SQLAlchemy with the casebook's models is about 20 MB of each
  kernel, and Voila starts a kernel per open page (issue 14: 60 MB a page);
* holds no database connection: one pool for the whole server instead of one per page, which
  is what decides PostgreSQL's size at a regional day;
* learns of its session's changes from the page store, which asks the store once per change
  for all pages instead of once per page.

The rules stay where they were: the page store runs ``casebook.sessions``, which decides.

The protocol is ``multiprocessing.connection`` on a Unix socket in a folder only this user may
open, with a key made for each server start (``CASEBOOK_PAGE_STORE`` and
``CASEBOOK_PAGE_STORE_KEY`` in the kernels' environment). A request is ``(operation, args,
kwargs)`` with ``operation`` one of ``OPERATIONS``; the answer is ``("ok", value)``,
``("refused", error)`` (a rule said no: the page shows the error's message) or ``("failed",
None)`` (logged in the page store with its traceback; the page shows a plain message). A
connection that sent ``("follow", (code,), {})`` only listens from then on: whenever that
session's version moves it is sent ``("changed", state, now)``, the session's state as computed
for all its pages at ``now`` (pickled once for them all), or a bare ``"changed"`` where the state
could not be computed (the page asks). A change thus costs a page no question at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import select
import threading
import time
from contextlib import contextmanager, nullcontext
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener, answer_challenge, deliver_challenge
from multiprocessing.reduction import ForkingPickler

from casebook.changes import ChangeWatch, watch_changes
from casebook.clock import clock
from casebook.exceptions import CasebookError
from casebook.session_state import JoinLimiter

log = logging.getLogger("casebook")

ADDRESS_VARIABLE = "CASEBOOK_PAGE_STORE"
KEY_VARIABLE = "CASEBOOK_PAGE_STORE_KEY"
OPERATIONS = ("session_exists", "enter", "browser_participant", "participant_pseudonym", "touch",
              "cast_vote", "my_vote", "my_votes", "version", "state", "results", "results_shown")
FOLLOW = "follow"
# A page that changed its session in the store itself (the facilitator's: a phase, the timer)
# asks the page store to look now rather than at its next wake-up from the store's signal.
LOOK = "look"
CHANGED = "changed"
ANSWER_TIMEOUT_SECONDS = 30.0  # a page waits this long for an answer, then shows a plain message
RESTART_PATIENCE_SECONDS = 10.0  # a person's action waits this long for a restarting page store
RECONNECT_SECONDS = 0.1
# While pages follow, the page store looks at the store's change signal this often, wake-up or
# not: SQLite's inotify wake-up can come a moment before the commit is visible (the last write
# to the log precedes the update of its shared-memory index, which inotify does not see), and a
# page must not wait for the next write. A look costs microseconds (casebook.changes).
LOOK_SECONDS = 0.05
SETTLE_SECONDS = 0.003  # after a wake-up: one look for a burst of writes (pages coalesce the rest)
IDLE_SECONDS = 5.0  # nobody following: look this often anyway, and drop pages that are gone
# What every page of a session asks after the same change and gets the same answer to: computed
# once per version of the session (a vote or a phase change wakes a dozen pages at once), the
# version itself asked fresh each time, so an answer is never older than the session.
SHARED_ANSWERS = ("state", "results", "results_shown")
# A page's own votes, answered from every vote of the case, read once per version (as above):
# the answer to each page is its own participant's part only.
OWN_VOTES = ("my_vote", "my_votes")
# A page that needs several answers for one drawing (at a reveal: the results and its own votes)
# asks them in one request: ("together", ((operation, args, kwargs), ...), {}), the answer a list
# of answers. Only questions that change nothing; a handful at most.
TOGETHER = "together"
ASKED_TOGETHER = SHARED_ANSWERS + OWN_VOTES
MOST_TOGETHER = 8
CHANGES = ("enter", "cast_vote")  # a page's own change: its session's other pages are told at once
SHARED_SESSIONS = 256  # sessions whose answers are kept; beyond that the oldest are forgotten
CHECKED_VERSIONS = 4096  # sessions whose version is remembered with its commit marker


class PageStoreUnavailable(ConnectionError):
    """The page store did not answer (restarting, or gone); the page shows a plain message."""


def _functions() -> dict:
    """Each operation's function in the store (imported here: a page asking remotely never does)."""
    from casebook import reveal, sessions

    table = {name: getattr(sessions, name) for name in OPERATIONS if name != "results_shown"}
    table["results_shown"] = reveal.results_shown
    return table


# ------------------------------------------------------------------ the page's side


class PageStore:
    """The questions a live page asks about its session; ``call`` answers them."""

    def call(self, operation: str, *args, **kwargs):
        raise NotImplementedError

    def watch(self) -> ChangeWatch:
        """Something that says when the followed session may have changed (``casebook.changes``)."""
        raise NotImplementedError

    def session_exists(self, code: str) -> bool:
        return self.call("session_exists", code)

    def enter(self, code: str, pseudonym: str, browser: str = "", limiter: JoinLimiter | None = None) -> str:
        """A join attempt (``sessions.enter``); the page's own count of wrong codes
        (``limiter``) stays in the page, the server's count is kept in the store."""
        with limiter.counting(clock.now()) if limiter is not None else nullcontext():
            return self.call("enter", code, pseudonym, browser)

    def browser_participant(self, code: str, browser: str):
        return self.call("browser_participant", code, browser)

    def participant_pseudonym(self, code: str, participant_id: str):
        return self.call("participant_pseudonym", code, participant_id)

    def touch(self, participant_id: str, now: float | None = None) -> None:
        self.call("touch", participant_id, now=now)

    def cast_vote(self, code: str, participant_id: str, position: int, round_number: int, items) -> None:
        self.call("cast_vote", code, participant_id, position, round_number, list(items))

    def my_vote(self, code: str, participant_id: str, position: int, round_number: int):
        return self.call("my_vote", code, participant_id, position, round_number)

    def my_votes(self, code: str, participant_id: str, position: int, rounds) -> dict:
        return self.call(*self.my_votes_question(code, participant_id, position, rounds))

    @staticmethod
    def my_votes_question(code: str, participant_id: str, position: int, rounds) -> tuple:
        """``my_votes`` as ``(operation, *args)``, for ``asking_together``."""
        return ("my_votes", code, participant_id, position, tuple(rounds))

    def version(self, code: str) -> int:
        return self.call("version", code)

    def state(self, code: str, now: float | None = None):
        return self.call("state", code, now=now)

    def results_shown(self, code: str, position: int, rounds, key_items=(), language: str = "nl"):
        """``(results by round, picture of the latest)`` for ``rounds`` (``reveal.results_shown``)."""
        return self.call(*self.results_shown_question(code, position, rounds, key_items, language))

    @staticmethod
    def results_shown_question(code: str, position: int, rounds, key_items=(), language: str = "nl") -> tuple:
        """``results_shown`` as ``(operation, *args)``, for ``asking_together``."""
        return ("results_shown", code, position, tuple(rounds), tuple(key_items), language)

    @contextmanager
    def asking_together(self, *questions):
        """Within this block, ``questions`` (each ``(operation, *args)`` as the ``…_question``
        methods give them, or None) are answered from one request where the page store is
        remote; elsewhere they are asked one by one, as ever."""
        yield

    def look(self, code: str) -> tuple | None:
        """This page changed session ``code`` in the store itself: tell its other pages now.
        Returns ``(state, computed at)`` as they were told it (the page's own change
        included), or None where the page must read it itself."""
        return None

    def close(self) -> None:
        pass


class LocalPageStore(PageStore):
    """Answers in this process, from ``store`` (a ``casebook.store.Store``)."""

    def __init__(self, store):
        self.store = store
        self._functions = _functions()

    def call(self, operation: str, *args, **kwargs):
        return self._functions[operation](self.store, *args, **kwargs)

    def watch(self) -> ChangeWatch:
        return watch_changes(self.store.url)


class RemotePageStore(PageStore):
    """Asks the server's page store at ``address``; one request at a time per page."""

    def __init__(self, address: str, key: bytes, timeout: float = ANSWER_TIMEOUT_SECONDS):
        self.address = address
        self._key = key
        self._timeout = timeout
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self._ready: dict[tuple, tuple] = {}  # question -> its answer, asked together (asking_together)

    def connect(self, patience: float = 0.0) -> Connection:
        """A new connection; while the page store restarts (refused, or no socket yet) it is
        asked again for up to ``patience`` seconds."""
        deadline = time.monotonic() + patience
        while True:
            try:
                return Client(self.address, family="AF_UNIX", authkey=self._key)
            except (ConnectionRefusedError, FileNotFoundError) as exc:
                if time.monotonic() >= deadline:
                    raise PageStoreUnavailable(f"no page store at {self.address}: {exc}") from exc
                time.sleep(RECONNECT_SECONDS)
            except (OSError, EOFError, AuthenticationError) as exc:
                raise PageStoreUnavailable(f"no page store at {self.address}: {exc}") from exc

    def call(self, operation: str, *args, **kwargs):
        ready = None
        if self._ready and not kwargs and operation in ASKED_TOGETHER:
            try:
                ready = self._ready.pop((operation, *args), None)
            except TypeError:  # a question with a list in it was not asked together
                ready = None
        if ready is not None:
            outcome, value = ready
        else:
            with self._lock:
                outcome, value = self._ask((operation, args, kwargs))
        if outcome == "ok":
            return value
        if outcome == "refused" and isinstance(value, CasebookError):
            raise value
        raise PageStoreUnavailable(f"the page store could not answer {operation}")

    @contextmanager
    def asking_together(self, *questions):
        questions = [question for question in questions if question is not None]
        if len(questions) > 1:
            try:
                with self._lock:
                    outcome, answers = self._ask((TOGETHER, tuple((q[0], q[1:], {}) for q in questions), {}))
                if outcome == "ok":
                    self._ready = dict(zip(questions, answers))
            except PageStoreUnavailable:
                pass  # each is asked on its own below, and fails or waits as it would
        try:
            yield
        finally:
            self._ready = {}  # answers for this drawing only

    def _ask(self, request: tuple):
        # Sent again on a new connection only when sending failed (the page store restarted
        # since the last request): then it never arrived, and nothing can happen twice.
        for attempt in (1, 2):
            if self._connection is None:
                # a person's action waits out a restart of the page store (about 2 s)
                self._connection = self.connect(patience=RESTART_PATIENCE_SECONDS)
            try:
                self._connection.send(request)
                break
            except OSError as exc:
                self._drop()
                if attempt == 2:
                    raise PageStoreUnavailable(f"the page store went away: {exc}") from exc
        try:
            if not self._connection.poll(self._timeout):
                raise PageStoreUnavailable(f"no answer in {self._timeout:.0f} s")
            return self._connection.recv()
        except (OSError, EOFError) as exc:
            self._drop()  # the answer may be lost, not the request: no second try
            raise PageStoreUnavailable(f"the page store went away: {exc}") from exc
        except PageStoreUnavailable:
            self._drop()  # a late answer must not be read as the next request's
            raise

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def look(self, code: str) -> tuple | None:
        return self.call(LOOK, code)

    def watch(self) -> ChangeWatch:
        return RemoteChangeWatch(self)

    def close(self) -> None:
        with self._lock:
            self._drop()


class RemoteChangeWatch(ChangeWatch):
    """Told by the page store when the followed session changed; its connection's socket is
    the page's wake-up."""

    one_session = True

    def __init__(self, page_store: RemotePageStore):
        self._page_store = page_store
        self._code = ""
        self._connection: Connection | None = None
        self._missed = True
        self._news: tuple | None = None  # (state, computed at) sent with the last wake-up

    def follow(self, code: str) -> None:
        if code != self._code:
            self.close()
            self._code = code

    def _listening(self) -> Connection:
        if self._connection is None:
            connection = self._page_store.connect()
            try:
                connection.send((FOLLOW, (self._code,), {}))
            except OSError as exc:
                connection.close()
                raise PageStoreUnavailable(str(exc)) from exc
            self._connection = connection
            self._missed = True  # whatever happened while nobody listened
        return self._connection

    def wakeup_fd(self) -> int | None:
        return self._listening().fileno() if self._code else None

    def changed(self) -> bool:
        """Whether the page store said "changed" since the last question. While it is away
        (restarting) the answer is "no", quietly: the page keeps what it shows, and the first
        question after it is back reconnects and answers "changed"."""
        self._news = None
        if not self._code:
            return True
        try:
            connection = self._listening()
        except PageStoreUnavailable:
            return False
        heard = False
        try:
            while connection.poll(0):
                message = connection.recv()
                heard = True
                # the newest wins; a bare "changed" means: ask
                self._news = tuple(message[1:]) if isinstance(message, tuple) and len(message) == 3 else None
        except (OSError, EOFError):
            self.close()  # the next question reconnects and answers "changed"
            return False
        missed, self._missed = self._missed, False
        if missed:
            self._news = None  # what happened while nobody listened: ask
        return heard or missed

    def take_state(self) -> tuple | None:
        """``(state, computed at)`` the page store sent with the wake-up ``changed()`` just
        spent, once; None when the page must ask."""
        news, self._news = self._news, None
        return news

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def server_page_store() -> RemotePageStore | None:
    """The server's page store when this kernel was started by ``casebook serve``, else None."""
    address = os.environ.get(ADDRESS_VARIABLE)
    if address:
        return RemotePageStore(address, bytes.fromhex(os.environ.get(KEY_VARIABLE, "")))
    return None


def open_page_store() -> PageStore:
    """The server's page store when this kernel was started by ``casebook serve``; else the
    store itself, in this process."""
    served = server_page_store()
    if served is not None:
        return served
    from casebook.store import open_store

    return LocalPageStore(open_store())


# ------------------------------------------------------------------ the page store's side


class PageStoreServer:
    """Answers the pages of one server: a thread per page's connection, and one thread that
    watches the store and tells each session's followers when its version moved."""

    def __init__(self, store, address: str, key: bytes):
        self.store = store
        self._key = key
        self._functions = _functions()
        self._listener = Listener(address, family="AF_UNIX")  # authenticated per connection, below
        os.chmod(address, 0o600)
        self._followers: dict[str, list[Connection]] = {}
        self._versions: dict[str, int | None] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._shared: dict[str, tuple[int, dict]] = {}  # code -> (version, {question: (answer, now)})
        # one computation per question at a time: when a reveal wakes a group's twelve pages,
        # one of them computes the results and the other eleven wait for its answer
        self._computing: dict[tuple, threading.Lock] = {}
        self._checked_versions: dict[str, tuple[int, int]] = {}  # code -> (version, commit marker then)
        self._marker = watch_changes(store.url)  # asked from every page's thread, one at a time
        self._marker_lock = threading.Lock()
        self._telling = threading.Lock()

    @property
    def address(self) -> str:
        return self._listener.address

    def serve_forever(self) -> None:
        threading.Thread(target=self._watch_forever, name="page-store-watch", daemon=True).start()
        while True:
            try:
                connection = self._listener.accept()
            except OSError as exc:
                if self._closed:
                    return
                log.warning("page store: a connection failed (%s)", exc)
                continue
            threading.Thread(target=self._answer, args=(connection,), name="page-store-page", daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    # -- one page's connection

    def _answer(self, connection: Connection) -> None:
        # The handshake Listener(authkey=...) would do in accept(), done here so that a
        # client that never answers holds up its own thread only.
        try:
            deliver_challenge(connection, self._key)
            answer_challenge(connection, self._key)
        except (AuthenticationError, OSError, EOFError) as exc:
            log.warning("page store: refused a connection (%s)", exc)
            connection.close()
            return
        try:
            while True:
                request = connection.recv()
                if not (isinstance(request, tuple) and len(request) == 3 and isinstance(request[0], str)
                        and isinstance(request[1], tuple) and isinstance(request[2], dict)):
                    log.warning("page store: a malformed request")
                    connection.send(("failed", None))
                    continue
                operation, args, kwargs = request
                if operation == FOLLOW and len(args) == 1 and isinstance(args[0], str):
                    self._add_follower(args[0], connection)
                    return  # this connection only listens from now on
                answer = self._run(operation, args, kwargs)
                connection.send(answer)
                if operation in CHANGES and answer[0] == "ok" and args and isinstance(args[0], str):
                    self.tell_followers(codes=[args[0]])  # at once, not at the next look
        except (EOFError, OSError):
            pass  # the page's kernel went away
        connection.close()

    def _run(self, operation: str, args: tuple, kwargs: dict) -> tuple:
        if operation == LOOK and len(args) == 1 and isinstance(args[0], str) and not kwargs:
            try:
                self.tell_followers(codes=[args[0]])  # tells only if the version moved
            except Exception:  # noqa: BLE001 - logged; the watch tells them at its next look
                log.exception("page store: telling the pages of %s failed", args[0])
            try:  # the asking page is told as its followers were: its own change is in it
                return ("ok", self._state_now(args[0]))
            except CasebookError as error:
                return ("refused", error)
            except Exception:  # noqa: BLE001 - logged here; the page reads the state itself
                log.exception("page store: look at %s failed", args[0])
                return ("failed", None)
        if operation == TOGETHER:
            if kwargs or not 0 < len(args) <= MOST_TOGETHER or not all(
                    isinstance(q, tuple) and len(q) == 3 and q[0] in ASKED_TOGETHER and isinstance(q[1], tuple)
                    and isinstance(q[2], dict) for q in args):
                log.warning("page store: a malformed request to answer together")
                return ("failed", None)
            return ("ok", [self._run(*question) for question in args])
        function = self._functions.get(operation)
        if function is None:
            log.warning("page store: unknown operation %r", operation)
            return ("failed", None)
        try:
            if operation in SHARED_ANSWERS and args and isinstance(args[0], str):
                return ("ok", self._shared_answer(operation, function, args, kwargs))
            if operation in OWN_VOTES and args and isinstance(args[0], str) and not kwargs:
                return ("ok", self._own_votes(operation, *args))
            return ("ok", function(self.store, *args, **kwargs))
        except CasebookError as error:  # a rule said no: the page shows why
            return ("refused", error)
        except Exception:  # noqa: BLE001 - logged here; the page shows a plain message
            log.exception("page store: %s failed", operation)
            return ("failed", None)

    def _own_votes(self, operation: str, code: str, participant_id: str, position: int, rounds):
        """A participant's own votes (``my_vote``: one round; ``my_votes``: several), picked
        from the votes of the whole case, which are read once per version of the session."""
        from casebook.sessions import votes_of_case

        if not (isinstance(participant_id, str) and isinstance(position, int)):
            raise TypeError("my_vote(s): participant id and position")
        numbers = (rounds,) if operation == "my_vote" else tuple(rounds)
        if not all(isinstance(number, int) for number in numbers):
            raise TypeError("my_vote(s): round numbers")
        everyone = self._shared_answer("votes_of_case", votes_of_case, (code, position, numbers), {})
        mine = everyone.get(participant_id, {})
        return mine.get(rounds) if operation == "my_vote" else {number: mine.get(number) for number in numbers}

    def _shared_answer(self, operation: str, function, args: tuple, kwargs: dict):
        """``function``'s answer for this version of the session, computed once per version.
        A session's state is the same for every page but for the time left on its timer, which
        runs down from the moment it was computed."""
        code = args[0]
        now = kwargs.pop("now", None) if operation == "state" else None
        now = clock.now() if now is None and operation == "state" else now
        current = self._version(code)
        question = (operation, args, tuple(sorted(kwargs.items())))
        known = self._known(code, current, question)
        if known is None:
            with self._lock:
                computing = self._computing.setdefault((code, current, question), threading.Lock())
            with computing:
                known = self._known(code, current, question)  # another page's computation, just done
                if known is None:
                    try:
                        return self._compute(operation, function, args, kwargs, code, current, question, now)
                    finally:
                        with self._lock:
                            self._computing.pop((code, current, question), None)
        answer, computed_at = known
        if operation == "state" and answer.running and answer.remaining is not None:
            return dataclasses.replace(answer, remaining=answer.remaining - (now - computed_at))
        return answer

    def _known(self, code: str, current: int, question: tuple):
        with self._lock:
            version, answers = self._shared.get(code, (None, {}))
            return answers.get(question) if version == current else None

    def _compute(self, operation: str, function, args: tuple, kwargs: dict, code: str, current: int,
                 question: tuple, now: float | None):
        answer = function(self.store, *args, now=now, **kwargs) if operation == "state" else \
            function(self.store, *args, **kwargs)
        if operation == "state" and answer.version != current:
            return answer  # the session moved meanwhile: this answer is not for ``current``
        with self._lock:
            version, answers = self._shared.get(code, (None, {}))
            if version != current:
                answers = {}
                self._shared.pop(code, None)
                while len(self._shared) >= SHARED_SESSIONS:
                    self._shared.pop(next(iter(self._shared)))
                self._shared[code] = (current, answers)
            answers[question] = (answer, now)
        return answer

    # -- following

    def _add_follower(self, code: str, connection: Connection) -> None:
        # The version now, so that the next change elsewhere is not taken for one here.
        current = self._version(code)
        # Sent to without waiting: a page whose kernel stopped reading (hung, suspended) fills
        # its socket and is dropped (the send fails), instead of holding up every other page.
        # It reconnects when it reads again, and then asks.
        os.set_blocking(connection.fileno(), False)
        with self._telling:  # no change is told between the state below and the page's place in the list
            with self._lock:
                self._followers.setdefault(code, []).append(connection)
                self._versions.setdefault(code, current)
            # The page asked for the state before this connection was registered (it does not
            # wait for it): a change told in between would never reach it. So it is told the
            # state as of now, and every change from now on.
            try:
                connection.send_bytes(self._news(code))
            except OSError:
                with self._lock:
                    if connection in self._followers.get(code, ()):
                        self._followers[code].remove(connection)
                connection.close()

    def _version(self, code: str) -> int:
        """The session's version now. Asked for every shared answer, so a page never gets an
        answer older than the session; with SQLite a version read since the last commit
        anywhere is reused (``_commit_marker``), which spares a query per page when a change
        wakes a whole group."""
        from casebook.sessions import version

        marker = self._commit_marker()
        if marker is not None:
            with self._lock:
                known = self._checked_versions.get(code)
            if known is not None and known[1] == marker:
                return known[0]
        try:
            current = version(self.store, code)
        except CasebookError:  # no such session (any more): its pages find out themselves
            return -1
        if marker is not None:
            with self._lock:
                if len(self._checked_versions) > CHECKED_VERSIONS:
                    self._checked_versions.clear()
                self._checked_versions[code] = (current, marker)
        return current

    def _commit_marker(self) -> int | None:
        """SQLite's ``PRAGMA data_version`` (``ChangeWatch.commit_marker``); None for other
        stores: their version is asked each time."""
        with self._marker_lock:
            return self._marker.commit_marker()

    def _state_now(self, code: str) -> tuple:
        """``(state, now)``: the session's state as all its pages share it, read at ``now``."""
        now = clock.now()
        return self._shared_answer("state", self._functions["state"], (code,), {"now": now}), now

    def _news(self, code: str) -> bytes:
        """What a session's followers are sent when its version moved, pickled once for all:
        the state every one of them would ask for next, or a bare "changed" (they ask)."""
        try:
            return bytes(ForkingPickler.dumps((CHANGED, *self._state_now(code))))
        except CasebookError:  # the session is gone: each page finds out when it asks
            pass
        except Exception:  # noqa: BLE001 - logged; the pages ask themselves
            log.exception("page store: the state of %s for its pages failed", code)
        return bytes(ForkingPickler.dumps(CHANGED))

    def _watch_forever(self) -> None:
        watch = watch_changes(self.store.url)
        last_sweep = time.monotonic()
        while True:
            try:
                fd = watch.wakeup_fd()
                wait = LOOK_SECONDS if self._followers else IDLE_SECONDS
                if fd is None:
                    time.sleep(LOOK_SECONDS)
                elif select.select([fd], [], [], wait)[0]:
                    time.sleep(SETTLE_SECONDS)
                sweep = time.monotonic() - last_sweep > IDLE_SECONDS
                if sweep:
                    last_sweep = time.monotonic()
                if watch.changed() or sweep:
                    self.tell_followers(forget_gone=sweep)
            except Exception:  # noqa: BLE001 - the store may be away for a while; pages keep their ticks
                log.exception("page store: following the store failed; trying again")
                watch.close()
                time.sleep(1.0)

    def tell_followers(self, forget_gone: bool = False, codes: list[str] | None = None) -> None:
        """Send ``changed`` to the followers of each session (of ``codes``, or all) whose
        version moved. One thread at a time: two sends on one connection would mix."""
        with self._telling:
            self._tell_followers(forget_gone, codes)

    def _tell_followers(self, forget_gone: bool, codes: list[str] | None) -> None:
        with self._lock:
            if forget_gone:  # a follower never sends: a readable connection was closed
                for connections in self._followers.values():
                    for gone in [c for c in connections if c.poll(0)]:
                        connections.remove(gone)
                        gone.close()
            for code in [code for code, connections in self._followers.items() if not connections]:
                del self._followers[code]
                del self._versions[code]
            codes = [code for code in (codes or self._followers) if code in self._followers]
        for code in codes:
            current = self._version(code)
            with self._lock:
                if current == self._versions.get(code):
                    continue
                self._versions[code] = current
                connections = list(self._followers.get(code, ()))
            message = self._news(code)
            for connection in connections:
                try:
                    connection.send_bytes(message)
                except OSError:
                    with self._lock:
                        if connection in self._followers.get(code, ()):
                            self._followers[code].remove(connection)
                    connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m casebook.page_store",
                                     description="The page store of one casebook server (started by casebook serve).")
    parser.add_argument("--socket", required=True, help="the Unix socket to answer on")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s page store %(levelname)s] %(message)s")
    key = bytes.fromhex(os.environ.get(KEY_VARIABLE, ""))
    if not key:
        parser.error(f"{KEY_VARIABLE} is not set")
    from casebook.store import open_store

    if os.path.exists(arguments.socket):  # left by a page store that was stopped hard
        os.unlink(arguments.socket)
    server = PageStoreServer(open_store(), arguments.socket, key)
    log.info("page store answering on %s", arguments.socket)
    server.serve_forever()


if __name__ == "__main__":
    main()
