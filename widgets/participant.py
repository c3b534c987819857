"""The participant's app: join with code and pseudonym, read, vote, see the group picture."""

from __future__ import annotations

from urllib.parse import urlencode

import ipywidgets as W
from traitlets import Int, List, Tuple, Unicode

from casebook.cases import Casebook
from casebook.catalogue import Catalogue
from casebook.clearance import served_cases
from casebook.exceptions import SessionError, UnknownSession, VoteRefused
from casebook.messages import t
from casebook.page_store import open_page_store
from casebook.phases import PARTICIPANT, may_see_key, voting_open
from casebook.render import escape
from casebook.session_state import JoinLimiter, normalise_code
from widgets.common import guarded, page_language, request_params
from widgets.request import browser_id
from widgets.item_picker import ItemPicker
from widgets.live import LiveView, follow_from_the_kernel
from widgets.ticker import TICK_SECONDS

PRESENCE_EVERY_TICKS = max(1, 15 // TICK_SECONDS)  # presence every 15 s


class ParticipantView(LiveView):
    css_class = "cb-participant"
    participant_id = Unicode("")
    _resume_id = Unicode("")  # a participant continuing with their personal link
    _browser = Unicode("")  # the browser's id, from the server: one browser is one participant
    _voting_key = Tuple(Int(), Int(), allow_none=True, default_value=None)  # (position, round) the picker is loaded for
    _saved = List(Unicode(), allow_none=True, default_value=None)  # what the store has for that round
    _ticks = Int(0)

    def __init__(self, store, casebook: Casebook, code: str = "", language: str = "nl",
                 catalogue: Catalogue | None = None, **kwargs):
        super().__init__(store, casebook, language, catalogue, **kwargs)
        self._limiter = JoinLimiter()  # wrong codes tried from this page
        self._code.value = normalise_code(code)
        self._apply_language()

    def _build_body(self) -> list[W.Widget]:
        return [self._build_join_panel(), self._build_session_panel()]

    def _build_join_panel(self) -> W.VBox:
        self._welcome = W.HTML()
        self._code = W.Text(continuous_update=False)
        self._code.add_class("cb-code")
        self._pseudonym = W.Text(continuous_update=False)
        self._pseudonym.add_class("cb-pseudonym")
        self._hint = W.HTML()
        self._join = W.Button(button_style="primary")
        self._join.add_class("cb-join")
        self._join.on_click(self._on_join_click)
        self._join_panel = W.VBox([self._welcome, self._code, self._pseudonym, self._hint, self._join])
        self._join_panel.add_class("cb-join-panel")
        return self._join_panel

    def _build_session_panel(self) -> W.VBox:
        self._own_votes = W.HTML()
        self._own_votes.add_class("cb-own-votes")
        self._results_note = W.HTML()
        self._session_panel = W.VBox([
            self._status, self._own_votes, self._summary, self._results, self._results_note, self._build_vote_panel(),
            self._case_view,
        ])
        self._session_panel.add_class("cb-session-panel")
        self._session_panel.layout.display = "none"
        return self._session_panel

    def _build_vote_panel(self) -> W.VBox:
        self._prompt = W.HTML()
        self._picker = ItemPicker(self._catalogue)
        self._picker.observe(self._on_picker_change, "value")
        self._submit = W.Button(button_style="primary")
        self._submit.add_class("cb-submit")
        self._submit.on_click(self._on_submit_click)
        self._vote_status = W.HTML()
        self._vote_status.add_class("cb-vote-status")
        self._vote_panel = W.VBox([self._prompt, self._picker, self._submit, self._vote_status])
        self._vote_panel.add_class("cb-vote-panel")
        return self._vote_panel

    def _language_parts(self) -> list[W.Widget]:
        return super()._language_parts() + [self._picker]

    def __repr__(self) -> str:
        joined = "joined" if self.participant_id else "not joined"
        return f"ParticipantView(code={self._code.value!r}, {joined}, language={self.language!r})"

    # -- language

    def _apply_language(self) -> None:
        lang = self.language
        self._welcome.value = f'<h2 class="cb-welcome">{t("participant.welcome", lang)}</h2>'
        self._code.description = t("participant.code", lang)
        self._pseudonym.description = t("participant.pseudonym", lang)
        self._hint.value = f'<p class="cb-hint">{t("participant.pseudonym_hint", lang)}</p>'
        self._join.description = t("participant.continue" if self._resume_id else "participant.join", lang)
        self._prompt.value = f'<p class="cb-prompt">{t("participant.vote_prompt", lang)}</p>'
        self._submit.description = t("participant.submit", lang)
        self._render_participant_header()
        super()._apply_language()

    def _render_participant_header(self) -> None:
        who = ""
        if self.participant_id:
            # relative: the page's own server and path, whatever address the phone used
            link = "participant.ipynb?" + urlencode({"code": self.model.code, "p": self.participant_id,
                                                     "lang": self.language})
            who = (f'<span class="cb-who">{t("participant.joined_as", self.language, pseudonym=escape(self._pseudonym.value))}'
                   f' · <a class="cb-personal-link" href="{escape(link)}" title="{escape(t("participant.personal_link_title", self.language))}">'
                   f'{t("participant.personal_link", self.language)}</a></span>')
        self._render_header(who)

    # -- handlers

    @guarded
    def _on_join_click(self, _button=None) -> None:
        if self.participant_id:  # a page that has joined never joins again (a crafted click)
            raise SessionError("already_joined")
        code = normalise_code(self._code.value)
        if self._resume_id:
            if not self.model.page_store.session_exists(code):
                raise UnknownSession(code or "—")
            self.participant_id = self._resume_id  # checked against this session in apply_request
        else:
            self.participant_id = self.model.page_store.enter(code, self._pseudonym.value, self._browser,
                                                 self._limiter)
            known = self.model.page_store.browser_participant(code, self._browser)
            if known is not None:  # this browser had joined before: its own pseudonym
                self._pseudonym.value = known[1]
        self._enter_session(code)

    def _enter_session(self, code: str) -> None:
        self._ticker.start()
        self.model.code = code
        self.model.refresh(force=True)
        self._join_panel.layout.display = "none"
        self._session_panel.layout.display = None
        self._render()

    @guarded(keep_message=True)
    def _on_ticker_tick(self) -> None:
        self._ticks += 1
        if self._ticks % PRESENCE_EVERY_TICKS == 0 and self.participant_id:
            self.model.page_store.touch(self.participant_id, now=self.model.clock())
        self._follow_store()

    @guarded
    def _on_submit_click(self, _button=None) -> None:
        state = self.model.state
        if self._voting_key is None:
            raise VoteRefused("round_closed", round=state.step.phase.vote_round or 1)
        position, round_number = self._voting_key
        self.model.page_store.cast_vote(self.model.code, self.participant_id, position, round_number,
                           self._picker.value)
        self._saved = list(self._picker.value)
        self.model.refresh(force=True)
        self._render()

    def _on_picker_change(self, change) -> None:
        self._render_vote_status()

    # -- drawing

    def _has_unsent_choice(self) -> bool:
        return self._voting_key is not None and sorted(self._picker.value) != sorted(self._saved or [])

    def _render(self) -> None:
        state = self.model.state
        case = self.model.casebook.get(state.case_id)
        # at a reveal this drawing needs the results and the page's own votes: one request
        with self.model.page_store.asking_together(
                self.model.results_question(PARTICIPANT, case.key_items, self.language), self._own_votes_question()):
            self._draw(state, case)

    def _draw(self, state, case) -> None:
        lang = self.language
        key_visible = may_see_key(PARTICIPANT, state.method, state.step, state.reveal_key)
        self._show_case(case, key_visible)
        self._status.show(self.model)
        self._render_participant_header()

        round_number = state.step.phase.vote_round
        open_now = round_number is not None and voting_open(state.step, round_number)
        if open_now:
            key = (state.step.position, round_number)
            if key != self._voting_key:
                self._voting_key = key
                self._saved = self.model.page_store.my_vote(state.code, self.participant_id, *key)
                self._picker.value = list(self._saved or [])
            self._picker.disabled = False
            self._vote_panel.layout.display = None
        elif self._has_unsent_choice():
            # The round closed with a choice not yet sent: keep it on screen and say so, so
            # nothing is lost silently; sending it now gets the server's refusal.
            self._vote_panel.layout.display = None
        else:
            self._voting_key = None
            self._vote_panel.layout.display = "none"
        self._render_vote_status(closed=not open_now)
        self._render_own_votes()

        shown = self._show_results(PARTICIPANT, case, key_visible)
        revealed_any = any(r is not None for r in shown.values())
        note = ""
        if not revealed_any and not open_now and any(state.voters.values()):
            note = t("participant.wait", lang) if state.step.phase_index == 0 else t("live.waiting_reveal", lang)
        elif not revealed_any and state.step.phase.vote_round is None and not any(state.voters.values()):
            note = t("participant.wait", lang)
        self._results_note.value = f'<p class="cb-note">{note}</p>' if note else ""

    def _render_vote_status(self, closed: bool = False) -> None:
        lang = self.language
        if self._voting_key is None:
            self._vote_status.value = ""
            return
        if closed and self._has_unsent_choice():
            text, css = t("participant.closed_unsaved", lang), "cb-warn"
        elif self._has_unsent_choice():
            text, css = t("participant.unsaved", lang), "cb-warn"
        elif self._saved is not None:
            text, css = t("participant.saved", lang, count=len(self._saved)), "cb-ok"
        else:
            text, css = "", ""
        self._submit.description = t("participant.change" if self._saved is not None else "participant.submit", lang)
        self._vote_status.value = f'<span class="{css}">{text}</span>' if text else ""

    def _own_votes_question(self) -> tuple | None:
        """What ``_render_own_votes`` asks the page store, or None where it shows none."""
        state = self.model.state
        if not self.participant_id or state.step.phase.vote_round is not None:
            return None
        return self.model.page_store.my_votes_question(state.code, self.participant_id, state.step.position,
                                                       state.rounds)

    def _render_own_votes(self) -> None:
        question = self._own_votes_question()
        if question is None:
            self._own_votes.value = ""
            return
        state = self.model.state
        lines = []
        votes = self.model.page_store.call(*question)
        for number in state.rounds:
            vote = votes.get(number)
            if vote is None:
                continue
            labels = ", ".join(self._catalogue.item(i).label_in(self.language) for i in vote) or t(
                "participant.no_items", self.language)
            lines.append(f"<li>{escape(t('participant.your_vote', self.language, round=number, items=labels))}</li>")
        self._own_votes.value = f'<ul class="cb-own-vote-list">{"".join(lines)}</ul>' if lines else ""

    def apply_request(self, params: dict[str, str], language: str, browser: str = "") -> None:
        """The page's request: ``code`` fills in the join form; a browser that joined this
        session before continues as its participant at once (a reload, a new tab, a page coming
        back after sleep or a restart); ``p`` (one's personal link, for another device) offers
        to continue as that participant."""
        self._browser = browser
        code = normalise_code(params.get("code", ""))
        self._code.value = code
        self.language = language
        known = self.model.page_store.browser_participant(code, browser) if code and browser else None
        if known is not None:
            self.participant_id, self._pseudonym.value = known
            self._enter_session(code)
            return
        pseudonym = self.model.page_store.participant_pseudonym(code, params.get("p", "")) if code else None
        if pseudonym is not None:
            self._resume_id = params["p"]
            self._pseudonym.value = pseudonym
            self._pseudonym.disabled = True
            self._join.description = t("participant.continue", language)

    # -- for tests: what a participant would click

    def join_as(self, pseudonym: str, code: str | None = None) -> None:
        if code is not None:
            self._code.value = code
        self._pseudonym.value = pseudonym
        self._join.click()


def participant_app(store=None, casebook: Casebook | None = None) -> ParticipantView:
    """The participant page: everything slow first, then wait for the request (preheating)."""
    follow_from_the_kernel()
    book = casebook if casebook is not None else served_cases()
    # the server's page store where casebook serve started this kernel: no database library here
    view = ParticipantView(store if store is not None else open_page_store(), book)
    # only this is left for after the request arrives: a page in milliseconds
    view.apply_request(request_params(), page_language(), browser_id())
    return view
