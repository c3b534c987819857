"""What an executed session plan shows where it is opened."""

from __future__ import annotations

from widgets.request import served_by_voila


def plan_output(plan):
    """The whole plan (with the key and reasons) in papermill's output and in JupyterLab; nothing
    in the facilitator's app in Voila, where the app itself shows the case and the key."""
    return None if served_by_voila() else plan
