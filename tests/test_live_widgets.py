"""Participant, facilitator and projector views driven with Button.click(), no browser."""

import time

import pytest

from casebook import sessions
from casebook.store import Store
from widgets.facilitator import FacilitatorView
from widgets.live import format_timer
from widgets.participant import ParticipantView
from tests.servers import run_in_a_loop_of_its_own
from widgets.projector import ProjectorView


@pytest.fixture
def room(tmp_path, test_cases):
    store = Store(f"sqlite:///{tmp_path / 'room.db'}")
    created = sessions.create_session(store, ["tst-goed", "tst-tweede"], casebook=test_cases, title="Proef")
    facilitator = FacilitatorView(store, test_cases, created.code, created.facilitator_key)
    projector = ProjectorView(store, test_cases, created.code)
    people = [ParticipantView(store, test_cases, code=created.code) for _ in range(3)]
    for index, person in enumerate(people):
        person.join_as(f"Uil {index}")
    yield store, created, facilitator, projector, people
    store.dispose()


def everyone_ticks(facilitator, projector, people):
    for view in (facilitator, projector, *people):
        view.tick()


def shown(widget) -> bool:
    return widget.layout.display != "none"


def to_voting(facilitator, projector, people):
    facilitator.click("start")
    facilitator.click("next")
    facilitator.click("next")
    everyone_ticks(facilitator, projector, people)


def test_joining_shows_the_case_not_the_key(room):
    _, created, facilitator, projector, people = room
    person = people[0]
    assert not shown(person._join_panel) and shown(person._session_panel)
    assert "Een goede testcasus" in person._case_view._header.value
    assert person._case_view._key.value == ""
    assert "Introductie" in person._status.phase.value
    assert not shown(person._vote_panel)
    assert "Sleutel van de trainer" in facilitator._case_view._key.value  # facilitator: always
    assert projector._case_view._key.value == ""


def test_a_wrong_code_is_a_plain_message(test_cases, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    person = ParticipantView(store, test_cases, code="QQQQQQ")
    person.join_as("Uil")
    assert shown(person._error) and "QQQQQQ" in person._error.value
    assert shown(person._join_panel)


def test_a_wrong_key_shows_nothing_of_the_session(room, test_cases):
    store, created, *_ = room
    intruder = FacilitatorView(store, test_cases, created.code, "guess")
    assert shown(intruder._error) and "begeleider" in intruder._error.value
    assert not shown(intruder._body)


def test_voting_counting_and_the_reveal(room):
    store, created, facilitator, projector, people = room
    to_voting(facilitator, projector, people)
    assert all(shown(p._vote_panel) for p in people)
    for index, person in enumerate(people):
        person._picker.toggle("beloftes-doen").value = True
        if index == 0:
            person._picker.toggle("oordelen").value = True
        person._submit.click()
        assert "opgeslagen" in person._vote_status.value
    everyone_ticks(facilitator, projector, people)
    assert 'data-voters="3"' in facilitator._status.count.value
    assert 'data-voters="3"' in people[1]._status.count.value
    assert "cb-result-beloftes-doen" in facilitator._results.value  # live for the facilitator
    assert projector._results.value == "" and people[0]._results.value == ""  # not before the reveal
    facilitator.click("reveal")
    everyone_ticks(facilitator, projector, people)
    assert "Onthulling" in people[0]._status.phase.value
    assert 'data-round-1="3"' in projector._results.value
    assert 'data-round-1="3"' in people[2]._results.value
    assert "Jouw stem in ronde 1" in people[0]._own_votes.value
    assert "Oordelen" in people[0]._own_votes.value and "Oordelen" not in people[1]._own_votes.value


def test_a_vote_changed_while_open_replaces_the_first(room):
    store, created, facilitator, projector, people = room
    to_voting(facilitator, projector, people)
    person = people[0]
    person._picker.toggle("oordelen").value = True
    person._submit.click()
    person._picker.toggle("oordelen").value = False
    person._picker.toggle("serieus-nemen").value = True
    person._submit.click()
    result = sessions.results(store, created.code, 0, 1)
    assert result.voters == 1 and result.counts["oordelen"] == 0 and result.counts["serieus-nemen"] == 1


def test_an_unsent_choice_when_the_round_closes_is_refused_with_a_message(room):
    store, created, facilitator, projector, people = room
    to_voting(facilitator, projector, people)
    late = people[0]
    late._picker.toggle("oordelen").value = True  # ticked, not sent
    facilitator.click("reveal")
    late.tick()
    assert shown(late._vote_panel)  # kept on screen: nothing disappears silently
    assert "gesloten" in late._vote_status.value
    late._submit.click()
    assert shown(late._error) and "niet opgeslagen" in late._error.value
    assert sessions.results(store, created.code, 0, 1).voters == 0


class SettableClock:
    """A clock the test moves by hand, so a countdown needs no waiting."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_the_countdown_follows_the_clock(room):
    _, _, facilitator, projector, people = room
    views = [facilitator, projector, *people]
    clock = SettableClock()
    for view in views:
        view.model.clock = clock
    facilitator.click("start")
    everyone_ticks(facilitator, projector, people)
    before = [view.model.remaining() for view in views]
    assert None not in before  # the first phase is timed
    clock.now += 90
    everyone_ticks(facilitator, projector, people)
    for view, was in zip(views, before):
        assert view.model.remaining() == pytest.approx(was - 90)
        assert format_timer(view.model.remaining(), True, "nl") in view._status.timer.value
        assert format_timer(was, True, "nl") not in view._status.timer.value


def test_key_and_what_happened_in_the_key_phase(room):
    store, created, facilitator, projector, people = room
    facilitator.click("start")
    for _ in range(6):  # to 'sleutel'
        facilitator._control.next()
    everyone_ticks(facilitator, projector, people)
    assert "Sleutel en wat er gebeurde" in people[0]._status.phase.value
    assert "Sleutel van de trainer" in people[0]._case_view._key.value
    assert "Wat er gebeurde" in people[0]._case_view._what_happened.value
    assert "Sleutel van de trainer" in projector._case_view._key.value


def test_the_results_carry_the_key_marks_only_from_the_key_phase(room):
    store, created, facilitator, projector, people = room
    to_voting(facilitator, projector, people)
    for person in people:
        person._picker.toggle("beloftes-doen").value = True
        person._submit.click()
    facilitator.click("reveal")
    everyone_ticks(facilitator, projector, people)
    assert 'data-round-1="3"' in people[0]._results.value
    assert "cb-how" not in people[0]._results.value and "cb-how" not in projector._results.value
    assert "cb-result-beloftes-doen cb-in-key cb-how-fout cb-central" in facilitator._results.value  # always
    while "Sleutel" not in people[0]._status.phase.value:
        facilitator._control.next()
        everyone_ticks(facilitator, projector, people)
    for view in (people[0], projector):
        results = view._results.value
        assert "cb-result-beloftes-doen cb-in-key cb-how-fout cb-central" in results
        assert "cb-result-zelf-keuze-laten-maken cb-in-key cb-how-open" in results
        assert "hier ging het mis" in results and "open: wat zou jij doen?" in results and "kern" in results
        assert "cb-result-oordelen cb-in-key" not in results
    key_html = people[0]._case_view._key.value
    assert "hier ging het mis" in key_html and "open: wat zou jij doen?" in key_html


def test_english_on_request(room, test_cases):
    store, created, *_ = room
    person = ParticipantView(store, test_cases, code=created.code, language="en")
    assert person._join.description == "Join"
    person.join_as("Owl")
    assert "Introducing the case" in person._status.phase.value


def test_the_personal_link_continues_as_the_same_participant_without_a_second_vote(room, test_cases):
    store, created, facilitator, projector, people = room
    to_voting(facilitator, projector, people)
    first = people[0]
    first._picker.toggle("oordelen").value = True
    first._submit.click()
    link = first._header.value.split('class="cb-personal-link" href="')[1].split('"')[0]
    from urllib.parse import parse_qs, urlparse

    params = {k: v[-1] for k, v in parse_qs(urlparse(link.replace("&amp;", "&")).query).items()}
    assert params["code"] == created.code and params["p"] == first.participant_id
    reloaded = ParticipantView(store, test_cases)  # the page opened again with the link
    reloaded.apply_request(params, "nl")
    assert reloaded._pseudonym.value == "Uil 0" and reloaded._join.description == "Verder"
    reloaded._join.click()
    assert reloaded.participant_id == first.participant_id
    assert reloaded._picker.value == ["oordelen"]  # their vote, still theirs to change
    reloaded._picker.toggle("serieus-nemen").value = True
    reloaded._submit.click()
    result = sessions.results(store, created.code, 0, 1)
    assert result.voters == 1 and result.counts["serieus-nemen"] == 1  # replaced, not doubled


def test_a_personal_link_of_another_session_is_not_accepted(room, test_cases):
    store, created, facilitator, projector, people = room
    other = sessions.create_session(store, ["tst-goed"], casebook=test_cases)
    stranger = ParticipantView(store, test_cases)
    stranger.apply_request({"code": other.code, "p": people[0].participant_id}, "nl")
    assert stranger._join.description == "Deelnemen" and not stranger._pseudonym.disabled


def test_views_made_outside_the_apps_leave_no_background_work(tmp_path, test_cases):
    """A view made in a process that is not its kernel (tests, a script beside a browser driver
    whose event loop looks like a kernel's) follows with ticks only: nothing keeps running after it."""
    from widgets.live import LiveView
    from widgets.projector import ProjectorView

    store = Store(f"sqlite:///{tmp_path / 'quiet.db'}")
    created = sessions.create_session(store, ["tst-goed"], casebook=test_cases)

    async def in_a_loop():
        view = ProjectorView(store, test_cases)
        view.show_session(created.code)
        return view

    from widgets.participant import participant_app

    participant_app(store, test_cases)  # an app function outside a kernel turns nothing on
    assert LiveView.follow_in_background is False
    view = run_in_a_loop_of_its_own(in_a_loop())  # a running loop, as in a kernel
    assert view._follower is None
    store.dispose()
