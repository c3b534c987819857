"""One ticker per page: a hidden Play that the browser ticks every few seconds.

It is the page's sign of life: presence, the heartbeat that brings a dead page back (the page
template's script), and what idle culling watches; it also corrects the countdown, which the
page's script runs down every second in between. It starts on the user's first click (a Play
that is already playing in its initial state does not start the browser's timer); when the tab
closes the ticks stop, the kernel goes idle and Voila's culling reclaims it.

Every tick is a message through the server to the page's kernel and back (the heartbeat, the
kernel's busy and idle): with one a second, the ticks of 42 open pages took about a quarter of
a core of a 2-core server (benchmarks/scale.py). Changes no longer wait for a tick: the kernels
follow the store themselves (widgets.live). The page template's watchdog (``KICK_MS``,
``ASK_MS``, ``STALE_MS``) allows for this interval.
"""

from __future__ import annotations

import ipywidgets as W


TICK_SECONDS = 3


class PageTicker(W.Play):
    def __init__(self, interval_ms: int = TICK_SECONDS * 1000, **kwargs):
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
