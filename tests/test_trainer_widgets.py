"""The trainer app driven with Button.click(), no browser: the form follows SessionParameters,
a session is made through the same papermill template as ``casebook session new``, refusals
show in place, and Mijn sessies follows the session up."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from dataclasses import fields

import pytest

from casebook import sessions
from casebook.cases import load_cases
from casebook.parameters import SessionParameters
from casebook.store import open_store
from widgets.trainer import NEW, SESSIONS, TrainerModel, TrainerView


@pytest.fixture
def app():
    view = TrainerView(TrainerModel(load_cases()))
    made = []
    yield view, made
    for notebook in made:
        notebook.unlink(missing_ok=True)


def create(view, made) -> None:
    new = view.new_session
    new._create.click()
    if new.prepared is not None:
        made.append(new.notebook)


def click_in(widget, css: str) -> None:
    """Click the one button with class ``css`` below ``widget``."""
    found = [w for w in walk(widget) if css in getattr(w, "_dom_classes", ()) and hasattr(w, "click")]
    assert len(found) == 1, (css, len(found))
    found[0].click()


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def downloads(html: str) -> dict[str, bytes]:
    """file name -> content of every data: download link in ``html``."""
    return {name: base64.b64decode(data) for name, data in
            re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', html)}


def test_the_form_has_a_control_for_every_session_parameter(app):
    view, _ = app
    settings = view.new_session._settings
    names = {spec.name for spec in fields(SessionParameters)}
    assert set(settings.controls) == names - {"cases"}  # the cases have their own list
    assert set(view.model.parameters()) == names
    # the minutes follow the method: other phases, the method's own timings
    settings.controls["method"].value = "vrij"
    assert set(view.model.minutes) == {"lezen", "stemmen-1", "onthulling", "sleutel"}


def test_choosing_ordering_and_the_estimate(app):
    view, _ = app
    model, new = view.model, view.new_session
    model.filters.theme = "seksuele-intimidatie"
    assert model.matching and all("seksuele-intimidatie" in model.casebook.get(c).themes for c in model.matching)
    model.filters.theme = ""
    for case_id in ("vp-003", "vp-014", "vp-001"):
        new._on_preview_click(case_id)
        assert "cb-key-item" in new._preview._key.value  # the preview shows the key
        new._add.click()
    assert model.chosen == ["vp-003", "vp-014", "vp-001"]
    assert new._add.disabled  # chosen already
    click_in(new._chosen.children[2], "cb-up")
    assert model.chosen == ["vp-003", "vp-001", "vp-014"]
    click_in(new._chosen.children[0], "cb-down")
    assert model.chosen == ["vp-001", "vp-003", "vp-014"]
    click_in(new._chosen.children[1], "cb-remove")
    assert model.chosen == ["vp-001", "vp-014"]
    assert "2 casus(sen) × 65 min = <b>130 min</b>" in new._estimate.value
    new._settings._minute_fields["bespreking"].value = 30
    assert "<b>150 min</b> (2 u 30 min)" in new._estimate.value


def test_create_runs_the_template_and_shows_code_links_and_plan(app):
    view, made = app
    model, new = view.model, view.new_session
    model.chosen = ["vp-003", "vp-014"]
    model.title = "Intervisie in de werkplaats"
    new._settings._minute_fields["introductie"].value = 7
    seen = []
    original = new._on_progress
    new._on_progress = lambda done, total: (seen.append((done, total)), original(done, total))
    create(view, made)
    assert not new._error.value
    code = new.prepared.code
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0  # papermill's cells, one by one
    state = sessions.state(open_store(), code)
    assert state.case_ids == ("vp-003", "vp-014") and state.title == "Intervisie in de werkplaats"
    assert state.minutes == 7  # the first phase, as set
    ready = new._ready.value
    assert code in ready and "<svg" in ready
    for role in ("participant", "facilitator", "projector"):
        assert f"cb-link-{role}" in ready
    assert f"facilitator.ipynb?code={code}&amp;key=" in ready
    [(name, page)] = downloads(ready).items()
    assert name == f"plan-{code}.html" and b"Grapjes bij de kassa" in page
    assert new._form.layout.display == "none"
    new._another.click()
    assert new._form.layout.display is None and model.chosen == []


@pytest.mark.parametrize("change, words", [
    (lambda model: setattr(model, "chosen", ["vp-003", "vp-999"]), "vp-999"),
    (lambda model: setattr(model, "minutes", {**model.minutes, "bespreking": 500}), "500 is geen aantal minuten"),
    (lambda model: setattr(model, "chosen", []), "niet-lege lijst"),
])
def test_a_bad_value_is_refused_in_place_and_makes_no_session(app, change, words):
    view, made = app
    view.model.chosen = ["vp-003"]
    change(view.model)
    create(view, made)
    assert words in view.new_session._error.value
    assert 'role="alert"' in view.new_session._error.value
    assert view.new_session.prepared is None and not made
    from casebook.workspace import list_sessions
    assert list_sessions(open_store()) == []


def test_an_unclean_case_is_refused_in_place(app, monkeypatch):
    import casebook.clearance

    view, made = app
    monkeypatch.setattr(casebook.clearance, "clear", lambda *args, **kwargs: None)
    monkeypatch.setattr(casebook.clearance, "recorded_verdict", lambda case, record: [{"text": "Kees de Boer"}])
    view.model.chosen = ["vp-003"]
    create(view, made)
    assert "anonimiseringscontrole weigert deze casus" in view.new_session._error.value
    assert "Kees de Boer" in view.new_session._error.value and not made


def test_my_sessions_lists_reports_closes_and_purges(app):
    view, made = app
    view.model.chosen = ["vp-003"]
    create(view, made)
    code = view.new_session.prepared.code
    store = open_store()
    view.show_section(SESSIONS)
    row = view.session_list.rows[code]
    assert "cb-state-prepared" in row._line.value
    people = [sessions.join(store, code, f"Uil {n}") for n in range(3)]
    control = sessions.FacilitatorControl(store, code, view.new_session.prepared.facilitator_key)
    control.next(), control.next()
    for person in people:
        sessions.cast_vote(store, code, person, 0, 1, ["beloftes-doen"])
    view.session_list._refresh.click()
    row = view.session_list.rows[code]
    assert "cb-state-running" in row._line.value and '<span class="cb-session-participants">3</span>' in row._line.value
    assert f"facilitator.ipynb?code={code}" in row._links.value
    row._downloads_button.click()
    files = downloads(row._downloads.value)
    assert set(files) == {f"plan-{code}.html", f"rapport-{code}.html", f"rapport-{code}.csv", f"rapport-{code}.json"}
    report = json.loads(files[f"rapport-{code}.json"])
    assert report["cases"][0]["rounds"][0]["voters"] == 3
    rows = list(csv.DictReader(io.StringIO(files[f"rapport-{code}.csv"].decode())))
    assert any(r["item"] == "beloftes-doen" and r["ticked"] == "3" for r in rows)
    # closing asks first; then keeps the aggregates and deletes the votes
    row._close.click()
    assert row._confirm_box.layout.display is None and sessions.state(store, code).participants == 3
    row._confirm.click()
    row = view.session_list.rows[code]
    assert "cb-state-closed" in row._line.value and "3 schuilnamen verwijderd" in row._message.value
    assert sessions.state(store, code).participants == 0
    row._downloads_button.click()
    assert json.loads(downloads(row._downloads.value)[f"rapport-{code}.json"])["cases"][0]["rounds"][0]["voters"] == 3
    # purging asks first too; cancelling changes nothing
    row._purge.click()
    row._cancel.click()
    assert row._confirm_box.layout.display == "none"
    row._purge.click()
    row._confirm.click()
    assert "gewist" in view.session_list.rows[code]._message.value


def test_english_on_request(app):
    view, _ = app
    view.model.language = "en"
    assert view._sections.options[0][0] == "New session" and "cb-lang-en" in view._dom_classes
    assert view.new_session._create.description == "Create session"
    assert view.new_session._settings.controls["method"].options[0][0] == "Incident method"


def test_once_more_with_another_group_makes_a_new_session_with_the_same_set_up(app):
    view, made = app
    view.model.chosen = ["vp-014", "vp-003"]
    view.new_session._settings.controls["title"].value = "Regio Noord"
    create(view, made)
    source = view.new_session.prepared.code
    store = open_store()
    view.show_section(SESSIONS)
    before = set(view.session_list.rows)
    view.session_list.rows[source]._again.click()
    new_codes = set(view.session_list.rows) - before
    assert len(new_codes) == 1
    code = new_codes.pop()
    made.extend(p for p in (store_notebook(code),) if p)
    assert code != source and f"als {source}" in view.session_list.rows[code]._message.value
    assert "cb-state-prepared" in view.session_list.rows[code]._line.value
    original, again = sessions.session_parameters(store, source), sessions.session_parameters(store, code)
    assert (again.cases, again.title, again.minutes) == (original.cases, original.title, original.minutes)
    assert again.cases == ["vp-014", "vp-003"] and again.title == "Regio Noord"


def store_notebook(code: str):
    from casebook.served import sessions_dir

    found = sorted(sessions_dir().glob(f"{code}-*.ipynb"))
    return found[0] if found else None


def test_a_refresh_keeps_an_open_download_list(app):
    """The list refreshes when *Mijn sessies* opens and after every action: a row the trainer
    just opened (or is about to click) stays the same row, with its downloads."""
    view, made = app
    view.model.chosen = ["vp-003"]
    create(view, made)
    code = view.new_session.prepared.code
    view.show_section(SESSIONS)
    row = view.session_list.rows[code]
    row._downloads_button.click()
    assert "cb-download-report-csv" in row._downloads.value
    view.show_section(NEW)
    view.show_section(SESSIONS)  # refreshes the list
    assert view.session_list.rows[code] is row and row in view.session_list._rows.children
    assert "cb-download-report-csv" in row._downloads.value
