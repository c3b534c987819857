"""One ticker per page: a hidden Play that the browser ticks once a second (DESIGN.md §8).

It drives store polling, presence and the visible countdown. It starts on the user's first
click (a Play that is already playing in its initial state does not start the browser's timer);
when the tab closes the ticks stop, the kernel goes idle and Voila's culling reclaims it.
"""

from __future__ import annotations

import ipywidgets as W


class PageTicker(W.Play):
    def __init__(self, interval_ms: int = 1000, **kwargs):
        super().__init__(
            value=0, min=0, max=1_000_000, step=1, interval=interval_ms, repeat=True,
            show_repeat=False, layout=W.Layout(display="none"), **kwargs,
        )
        self.add_class("cb-ticker")

    def start(self) -> None:
        if not self.playing:
            self.playing = True

    def on_tick(self, callback) -> None:
        """Call ``callback()`` on every tick (from the browser, so only while the page is open)."""
        self.observe(lambda change: callback(), "value")
