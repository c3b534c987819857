"""What the participant, facilitator and projector views share: a model that follows the
store, and the status line (phase, timer, vote count)."""

from __future__ import annotations

import time

import ipywidgets as W
from traitlets import Any, HasTraits, Int, Unicode

from casebook import sessions
from casebook.cases import Casebook
from casebook.messages import t
from casebook.phases import MIN_VOTERS_FOR_RESULTS, may_see_results
from casebook.render import escape
from casebook.sessions import SessionState
from casebook.store import Store


class LiveSessionModel(HasTraits):
    """A session as the store has it now; ``refresh()`` is cheap when nothing changed."""

    code = Unicode("")
    state = Any(None)  # SessionState or None
    version = Int(-1)

    def __init__(self, store: Store, casebook: Casebook, **kwargs):
        super().__init__(**kwargs)
        self.store = store
        self.casebook = casebook
        self.fetched_at = 0.0

    def refresh(self, force: bool = False) -> bool:
        """Follow the store; returns True when the state changed."""
        if not self.code:
            return False
        current = sessions.version(self.store, self.code)
        if not force and current == self.version and self.state is not None:
            return False
        self.fetched_at = time.time()
        self.version = current
        self.state = sessions.state(self.store, self.code, now=self.fetched_at)
        return True

    def remaining(self) -> float | None:
        state: SessionState | None = self.state
        if state is None or state.remaining is None:
            return None
        passed = time.time() - self.fetched_at if state.running else 0.0
        return state.remaining - passed

    def round_results(self, role: str) -> dict[int, sessions.RoundResult | None]:
        """Each round of the current case, or None where ``role`` may not see it yet."""
        state: SessionState = self.state
        shown = {}
        for number in state.rounds:
            voters = state.voters.get(number, 0)
            if may_see_results(role, state.method, state.step, number, voters):
                shown[number] = sessions.results(self.store, self.code, state.step.position, number)
            else:
                shown[number] = None
        return shown


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
        state: SessionState | None = model.state
        if state is None:
            return
        lang = self.language
        case_no = t("live.case_of", lang, number=state.step.position + 1, total=len(state.case_ids))
        phase = f'<span class="cb-phase-name">{t("phase." + state.step.phase.id, lang)}</span>'
        self._set(self.phase, f'<span class="cb-case-no">{case_no}</span> {phase}')
        self._set(self.timer, f'<span class="cb-timer-value">{format_timer(model.remaining(), state.running, lang)}</span>')
        round_number = state.step.phase.vote_round or max(
            [r for r in state.rounds if state.voters.get(r)] or [state.rounds[0] if state.rounds else 1]
        )
        voters = state.voters.get(round_number, 0)
        text = t("live.vote_count", lang, voters=voters, participants=state.participants)
        self._set(self.count, f'<span class="cb-count-round">{t("live.round", lang, round=round_number)}:</span> '
                              f'<span class="cb-count-value" data-voters="{voters}">{escape(text)}</span>')

    @staticmethod
    def _set(widget: W.HTML, value: str) -> None:
        if widget.value != value:
            widget.value = value


def too_few_note(model: LiveSessionModel, language: str) -> str:
    return t("live.too_few", language, min=MIN_VOTERS_FOR_RESULTS)
