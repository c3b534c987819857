"""What the papermill template (``notebooks/session.ipynb``) does where it is opened."""

from __future__ import annotations

import ipywidgets as W

from casebook.messages import t
from casebook.plan import prepare_session
from widgets.common import page_language
from widgets.request import served_by_voila


def prepare_plan(cases, method, language, title, minutes, reveal_key, store, session_code):
    """The session's plan. In papermill and JupyterLab this registers the session (or finds the
    one named by ``session_code``); served by Voila the template only shows a registered
    session's plan: opening the page never registers a session."""
    if served_by_voila() and not session_code:
        return None
    return prepare_session(cases, method, language, title, minutes, reveal_key, store, session_code)


def plan_output(plan):
    """The whole plan (with the key and reasons) in papermill's output and in JupyterLab; nothing
    in the facilitator's app in Voila, where the app itself shows the case and the key."""
    if plan is None:
        note = W.HTML(f'<p class="cb-note">{t("plan.template_in_voila", page_language())}</p>')
        note.add_class("cb-app")  # a page of the casebook, not an empty one
        return note
    return None if served_by_voila() else plan
