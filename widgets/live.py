"""What the participant, facilitator and projector views share: a model that follows the
store, the status line (phase, timer, vote count), the join box, and the ``LiveView`` base with
the page's ticker, header bar and error banner."""

from __future__ import annotations

import asyncio
import time

import ipywidgets as W
from traitlets import Any, Callable, Float, HasTraits, Instance, Int, Unicode, observe

from casebook.cases import Case, Casebook
from casebook.catalogue import Catalogue, load_catalogue
from casebook.changes import ChangeWatch
from casebook.clock import clock as casebook_clock
from casebook.links import qr_svg
from casebook.messages import t
from casebook.page_store import LocalPageStore, PageStore
from casebook.phases import FACILITATOR, MIN_VOTERS_FOR_RESULTS, may_see_results
from casebook.render import escape
from casebook.session_state import SessionState
from widgets.case_view import CaseView
from widgets.common import ErrorBanner, guarded, log, mark_language, stylesheet
from widgets.results_chart import ResultsChart, RevealSummary
from widgets.ticker import PageTicker

# How often a page asks the store whether anything changed (a vote, a join, a phase) where the
# store cannot wake it: the answer costs microseconds (casebook.changes), the wake-up of the
# kernel's event loop about 0.3 ms, so ten times a second is 0.3 % of a core per page.
FOLLOW_EVERY_SECONDS = 0.1
# Where the store wakes the page (inotify, LISTEN): it still asks this often, in case a wake-up
# was lost, and it waits this long after a wake-up so that a burst of writes is one look.
FOLLOW_SAFETY_SECONDS = 5.0
FOLLOW_SETTLE_SECONDS = 0.01
# A page whose ticks stopped this long ago (tab closed; a background tab still ticks about once
# a minute) stops following, so its kernel goes quiet and Voila's culling reclaims it.
FOLLOW_WITHOUT_TICKS_SECONDS = 90
# After a failure (store unreachable) wait longer before asking again, up to this.
FOLLOW_BACKOFF_MAX_SECONDS = 30


async def readable(fd: int, timeout: float) -> None:
    """Until ``fd`` is readable or ``timeout`` passed. The reader is removed again at once: a
    file descriptor that stays readable must not wake the event loop over and over."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await asyncio.wait_for(ready, timeout)
    except asyncio.TimeoutError:
        pass
    finally:
        loop.remove_reader(fd)


class LiveSessionModel(HasTraits):
    """A session as the store has it now; ``refresh()`` is cheap when nothing changed: it asks
    the store's change signal first (``casebook.changes``) and reads only after a change.

    Made from a ``casebook.store.Store`` (asked in this process; ``store`` is then that store,
    which the facilitator's controls use), optionally with a page store to read from
    (``reads``: the facilitator's page of ``casebook serve``), or from a
    ``casebook.page_store.PageStore`` alone (a participant's or the projector's page of
    ``casebook serve``: ``store`` is None).
    ``clock`` gives the current time in seconds (the casebook's clock, which tests can set).
    """

    code = Unicode("")
    state = Instance(SessionState, allow_none=True)
    version = Int(-1)
    fetched_at = Float(0.0)  # the clock's time of the last fetch
    clock = Callable(casebook_clock.now)
    store = Any(None)  # a casebook.store.Store, or None where the page asks a page store
    page_store = Instance(PageStore)
    casebook = Instance(Casebook)

    watch = Instance(ChangeWatch)

    def __init__(self, store, casebook: Casebook, reads: PageStore | None = None, **kwargs):
        if isinstance(store, PageStore):
            page_store, store = store, getattr(store, "store", None)
        else:
            # ``reads``: where a page that also writes (the facilitator's) asks what it shows
            page_store = reads if reads is not None else LocalPageStore(store)
        kwargs.setdefault("watch", page_store.watch())
        super().__init__(store=store, page_store=page_store, casebook=casebook, **kwargs)

    @observe("code")
    def _on_code_change(self, change) -> None:
        self.watch.follow(change["new"])

    def refresh(self, force: bool = False) -> bool:
        """Follow the store; returns True when the state changed."""
        if not self.code:
            return False
        # asked every time, so that a wake-up is always spent (casebook.changes)
        if not self.watch.changed() and not force and self.state is not None:
            return False
        if self.watch.one_session:  # this session moved: one question, not two (the state has its version)
            told = self.watch.take_state()  # the page store sends the state with the change
            # After the page's own action it asks: its change may be newer than what was sent.
            # Versions only grow; one sent before a newer one this page already read is asked again.
            if told is not None and not force and told[0].version >= self.version:
                state, fetched_at = told
            else:
                fetched_at = self.clock()
                state = self.page_store.state(self.code, now=fetched_at)
            if not force and state.version == self.version and self.state is not None:
                return False
            self.fetched_at, self.version, self.state = fetched_at, state.version, state
            return True
        current = self.page_store.version(self.code)
        if not force and current == self.version and self.state is not None:
            return False
        self.fetched_at = self.clock()
        self.version = current
        self.state = self.page_store.state(self.code, now=self.fetched_at)
        return True

    def take(self, state: SessionState, fetched_at: float) -> bool:
        """Show ``state`` (read at ``fetched_at``) when it is at least as new as the one shown;
        returns whether it was taken."""
        if not isinstance(state, SessionState) or state.code != self.code or state.version < self.version:
            return False
        self.fetched_at, self.version, self.state = fetched_at, state.version, state
        return True

    def remaining(self) -> float | None:
        state = self.state
        if state is None or state.remaining is None:
            return None
        passed = self.clock() - self.fetched_at if state.running else 0.0
        return state.remaining - passed

    def results_question(self, role: str, key_items=(), language: str = "nl") -> tuple | None:
        """What ``shown_results`` asks the page store (``PageStore.asking_together``), or None
        where ``role`` may see no round yet."""
        state = self.state
        visible = tuple(number for number in state.rounds
                        if may_see_results(role, state.method, state.step, number, state.voters.get(number, 0)))
        if not visible:
            return None
        return self.page_store.results_shown_question(self.code, state.step.position, visible, key_items, language)

    def shown_results(self, role: str, key_items=(), language: str = "nl"):
        """Each round of the current case (None where ``role`` may not see it yet) and the
        picture of the latest round it may see: one question to the page store."""
        question = self.results_question(role, key_items, language)
        if question is None:
            return {number: None for number in self.state.rounds}, None
        results, picture = self.page_store.call(*question)
        return {number: results.get(number) for number in self.state.rounds}, picture


def format_timer(seconds: float | None, running: bool, language: str) -> str:
    if seconds is None:
        return t("live.timer_untimed", language)
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    text = f"{sign}{seconds // 60}:{seconds % 60:02d}"
    return text if running else f"{text} ({t('live.timer_paused', language)})"


class StatusLine(W.HBox):
    """Phase name (``cb-phase``), timer and vote count (``cb-vote-count``)."""

    language = Unicode("nl")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-status")
        self.phase = W.HTML()
        self.phase.add_class("cb-phase")
        self.timer = W.HTML()
        self.timer.add_class("cb-timer")
        self.count = W.HTML()
        self.count.add_class("cb-vote-count")
        self.children = [self.phase, self.timer, self.count]

    def show(self, model: LiveSessionModel) -> None:
        state = model.state
        if state is None:
            return
        lang = self.language
        case_no = t("live.case_of", lang, number=state.step.position + 1, total=len(state.case_ids))
        phase = f'<span class="cb-phase-name">{t("phase." + state.step.phase.id, lang)}</span>'
        self._set(self.phase, f'<span class="cb-case-no">{case_no}</span> {phase}')
        remaining = model.remaining()
        # running: the page's script counts down from data-seconds every second between ticks
        counting = f' data-seconds="{remaining:.1f}"' if state.running and remaining is not None else ""
        self._set(self.timer, f'<span class="cb-timer-value"{counting}>{format_timer(remaining, state.running, lang)}</span>')
        round_number = state.step.phase.vote_round or max(
            [r for r in state.rounds if state.voters.get(r)] or [state.rounds[0] if state.rounds else 1]
        )
        voters = state.voters.get(round_number, 0)
        text = t("live.vote_count", lang, voters=voters, participants=state.participants)
        self._set(self.count, f'<span class="cb-count-round">{t("live.round", lang, round=round_number)}:</span> '
                              f'<span class="cb-count-value" data-voters="{voters}" '
                              f'data-participants="{state.participants}">{escape(text)}</span>')

    @staticmethod
    def _set(widget: W.HTML, value: str) -> None:
        if widget.value != value:
            widget.value = value


def too_few_note(language: str) -> str:
    return t("live.too_few", language, min=MIN_VOTERS_FOR_RESULTS)


def join_box_html(code: str, join_url: str, caption: str, label: str = "", small: bool = False) -> str:
    """The join code big, the QR code of ``join_url`` and ``caption`` under it; with a ``label``
    (the projector) the code itself carries ``cb-join-code``."""
    label_html = f'<div class="cb-join-label">{label}</div>' if label else ""
    code_class = "cb-join-code-big cb-join-code" if label else "cb-join-code-big"
    qr_class = "cb-qr cb-qr-small" if small else "cb-qr"
    return (
        f'<div class="cb-join-box">{label_html}<div class="{code_class}">{code}</div>'
        f'<div class="{qr_class}">{qr_svg(join_url)}</div>'
        f'<p class="cb-join-url">{escape(caption)}</p></div>'
    )


def follow_from_the_kernel() -> None:
    """Called by the live apps, each the only view of its kernel: follow the store from the
    kernel's event loop (a change shows within a fraction of a second, not at the next tick).
    Only in a kernel: elsewhere (a test process) an app function leaves this off."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        LiveView.follow_in_background = True


class LiveView(W.VBox):
    """A page that follows one live session: the page's ticker, header bar, error banner,
    status line, case view and results chart; a subclass adds its own body and drawing.

    Subclasses set ``css_class`` and implement ``_build_body()`` (the widgets below the error
    banner) and ``_render()`` (draw ``model.state``).
    """

    language = Unicode("nl")
    css_class = ""
    # Only the apps, in their own kernel, follow the store in the background (see
    # follow_from_the_kernel). A view made elsewhere (tests, a process that also runs a browser
    # driver whose event loop would look like the kernel's) follows with its ticks.
    follow_in_background = False

    def __init__(self, store, casebook: Casebook, language: str = "nl",
                 catalogue: Catalogue | None = None, case_view_options: dict | None = None,
                 reads: PageStore | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cb-app")
        self.add_class(self.css_class)
        self.model = LiveSessionModel(store, casebook, reads=reads)
        self._catalogue = catalogue or load_catalogue()
        self._build_frame(case_view_options or {})
        self.children = [stylesheet(), self._ticker, self._heartbeat, self._header, self._error, *self._build_body()]
        for part in self._language_parts():
            W.dlink((self, "language"), (part, "language"))
        self.language = language

    def _build_frame(self, case_view_options: dict) -> None:
        self._error = ErrorBanner()
        self._ticker = PageTicker()
        self._ticker.on_tick(self._on_ticker_tick)
        # echoes every tick: the page's script reloads a page whose echo stops (kernel gone)
        self._heartbeat = W.HTML(layout=W.Layout(display="none"))
        self._heartbeat.add_class("cb-heartbeat")
        self._ticker.observe(self._on_ticker_value, "value")
        self._last_sign_of_life = time.monotonic()  # the page's last tick (or its creation)
        self._follower: asyncio.Task | None = None
        self.model.observe(self._on_model_code, "code")
        self._header = W.HTML()
        self._header.add_class("cb-header-bar")
        self._status = StatusLine()
        self._case_view = CaseView(catalogue=self._catalogue, **case_view_options)
        self._results = ResultsChart(self._catalogue)
        self._summary = RevealSummary(self._catalogue)

    def _build_body(self) -> list[W.Widget]:
        raise NotImplementedError

    def _language_parts(self) -> list[W.Widget]:
        """The children that follow the view's language."""
        return [self._status, self._case_view, self._results, self._summary]

    # -- language

    @observe("language")
    def _on_language_change(self, change) -> None:
        self._apply_language()

    def _apply_language(self) -> None:
        mark_language(self, self.language)  # the page's <html lang> follows it
        if self.model.state is not None:
            self._render()

    # -- following the store

    def _on_ticker_value(self, change) -> None:
        self._last_sign_of_life = time.monotonic()
        self._heartbeat.value = str(change["new"])

    def _on_model_code(self, change) -> None:
        if change["new"] and self.follow_in_background:
            self.start_following()

    def start_following(self) -> None:
        """Follow the store from the kernel's own event loop, so that a change shows within
        ``FOLLOW_EVERY_SECONDS`` instead of at the next tick. Outside a running loop (plain
        Python, tests) the ticks alone follow the store."""
        if self._follower is not None and not self._follower.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._follower = loop.create_task(self._follow_forever())
        self._follower.add_done_callback(self._on_follower_done)

    async def _follow_forever(self) -> None:
        """Wait until the store may have changed, then draw what did. Where the store offers
        a wake-up (``ChangeWatch.wakeup_fd``) an idle page costs nothing but a check every
        ``FOLLOW_SAFETY_SECONDS``; elsewhere it asks every ``FOLLOW_EVERY_SECONDS``. A failure
        is logged and waited out (longer each time), never the end of the page: the ticks
        follow the store too."""
        failures = 0
        while True:
            if failures:  # before touching the store again: a store that is gone must not spin the loop
                await asyncio.sleep(min(FOLLOW_BACKOFF_MAX_SECONDS, 2.0 ** failures))
            try:
                fd = self.model.watch.wakeup_fd()
                if not failures:  # after a failure it waited above: look at once
                    if fd is None:
                        await asyncio.sleep(FOLLOW_EVERY_SECONDS)
                    else:
                        await readable(fd, FOLLOW_SAFETY_SECONDS)
                        if not self.model.watch.one_session:  # the page store already waited for a burst
                            await asyncio.sleep(FOLLOW_SETTLE_SECONDS)  # one look for a burst of writes
                if time.monotonic() - self._last_sign_of_life > FOLLOW_WITHOUT_TICKS_SECONDS:
                    self.model.watch.changed()  # spend the wake-up; nobody is looking
                    continue  # stay quiet, so that the kernel can be culled
                if self.model.refresh():
                    self._render()
            except Exception:  # noqa: BLE001 - logged; the page lives on and its ticks follow the store
                failures += 1
                if failures == 1:
                    log.exception("following session %s failed; trying again", self.model.code)
            else:
                if failures:
                    log.info("following session %s again", self.model.code)
                failures = 0

    def close(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
        super().close()

    def _on_follower_done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:  # a bug in the loop itself
            log.error("the page stopped following the store", exc_info=task.exception())

    @guarded(keep_message=True)
    def _on_ticker_tick(self) -> None:
        self._follow_store()

    def _follow_store(self) -> None:
        if self.model.refresh():
            self._render()
        else:
            self._status.show(self.model)  # the countdown moves every second

    # -- drawing

    def _render(self) -> None:
        raise NotImplementedError

    def _render_header(self, meta_html: str = "") -> None:
        """The session's title (or the app's name) and ``meta_html`` beside it."""
        state = self.model.state
        title = escape(state.title) if state is not None and state.title else t("app.name", self.language)
        self._header.value = f'<div class="cb-bar-title">{title}</div>{meta_html}'

    def _show_case(self, case: Case, key_visible: bool | None = None) -> None:
        """Show ``case``; with ``key_visible`` set, the key and what happened follow it."""
        if self._case_view.case is not case:
            self._case_view.show_case(case)
        if key_visible is not None:
            self._case_view.show_key = key_visible
            self._case_view.show_what_happened = key_visible

    def _show_results(self, role: str, case: Case, key_visible: bool) -> dict:
        """The chart and, above it, the reveal's summary, for what ``role`` may see; returns the
        rounds shown. AC1 in small type for the facilitator only; toward or away from the key
        only where the key is visible."""
        shown, reveal = self.model.shown_results(role, case.key_items, self.language)
        self._results.show(shown, case.key if key_visible else ())
        self._summary.language = self.language  # this render may run before the dlink carries a new language
        self._summary.show(reveal, statistics=role == FACILITATOR, key_visible=key_visible)
        return shown

    # -- for tests

    def tick(self) -> None:
        self._on_ticker_tick()
