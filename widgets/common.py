"""Pieces every view shares: the stylesheet, chips, query parameters, safe callbacks."""

from __future__ import annotations

import base64
import functools
import logging
from importlib import resources

import ipywidgets as W

from casebook.catalogue import Catalogue
from casebook.messages import LANGUAGES, normalise_language, t
from casebook.render import escape
from casebook.config import settings
from casebook.exceptions import CasebookError
from widgets.request import request_params

log = logging.getLogger("casebook")


@functools.cache
def protect_voila_kernel() -> bool:
    """In a kernel behind a Voila page, nothing the kernel says about its own errors may reach
    the browser: a crafted widget message would otherwise get a Python traceback back, with
    the server's paths. Tracebacks go to the server's log instead (the kernel's own stderr,
    which ipykernel would otherwise forward to the page), and the page shows a plain message
    where a view catches the error (``guarded``). Kernels outside Voila (JupyterLab) keep
    their tracebacks. Returns whether this kernel was protected."""
    import os
    import sys

    if "VOILA_PREHEAT" not in os.environ:  # Voila sets it for every kernel it starts
        return False
    from IPython import get_ipython

    original = getattr(sys.stderr, "_original_stdstream_copy", None)
    stream = os.fdopen(os.dup(original), "w", buffering=1) if original is not None else sys.__stderr__
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[casebook kernel] %(levelname)s %(name)s: %(message)s"))
    for logger in (logging.getLogger(), log):
        logger.handlers[:] = [handler]
    log.propagate = False
    shell = get_ipython()
    if shell is not None:
        def showtraceback(*args, **kwargs):
            log.error("error in a widget message", exc_info=sys.exc_info())

        shell.showtraceback = showtraceback
    return True


protect_voila_kernel()


def stylesheet() -> W.HTML:
    """The casebook's CSS (``widgets/*.css``, casebook.css first) as an invisible HTML widget."""
    folder = resources.files("widgets")
    names = sorted((p.name for p in folder.iterdir() if p.name.endswith(".css")), key=lambda n: (n != "casebook.css", n))
    css = "\n".join(folder.joinpath(name).read_text("utf-8") for name in names)
    return W.HTML(f"<style>{css}</style>", layout=W.Layout(display="none"))


def page_language() -> str:
    """``?lang=en`` on the page, else ``CASEBOOK_LANGUAGE``, else Dutch."""
    return normalise_language(request_params().get("lang") or settings().language)


def mark_language(view: W.DOMWidget, language: str) -> None:
    """Name the view's language in a ``cb-lang-<code>`` class: the page template copies it into
    ``<html lang>``, which screen readers pronounce by (WCAG 3.1.1)."""
    for code in LANGUAGES:
        view.remove_class(f"cb-lang-{code}")
    view.add_class(f"cb-lang-{normalise_language(language)}")


def download_link(file_name: str, content: bytes | str, mime: str, label: str) -> str:
    """An HTML link that downloads `content` as `file_name` from the page itself (a data: URL),
    so nothing is written on the server."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<a class="cb-download" download="{escape(file_name)}" '
            f'href="data:{escape(mime)};base64,{encoded}">{escape(label)}</a>')


def item_chip(catalogue: Catalogue, item_id: str, language: str) -> str:
    item = catalogue.item(item_id)
    kind = t(f"catalogue.{item.kind}", language)
    return (
        f'<span class="cb-chip cb-chip-{item.kind}" title="{escape(item.explanation_in(language))}">'
        f'<span class="cb-chip-kind">{kind}</span> {escape(item.label_in(language))}</span>'
    )


def theme_chip(catalogue: Catalogue, theme_id: str, language: str) -> str:
    return f'<span class="cb-chip cb-chip-theme">{escape(catalogue.theme(theme_id).label_in(language))}</span>'


class ErrorBanner(W.HTML):
    """A plain message where a callback failed; the traceback goes to the log only."""

    def __init__(self, **kwargs):
        super().__init__(value="", **kwargs)
        self.add_class("cb-error")
        self.layout.display = "none"

    def show(self, message: str) -> None:
        # role=alert: a screen reader reads the message out as it appears (WCAG 4.1.3)
        self.value = f'<div class="cb-error-box" role="alert">{escape(message)}</div>'
        self.layout.display = None

    def clear(self) -> None:
        self.value = ""
        self.layout.display = "none"


def guarded(method=None, *, keep_message: bool = False):
    """Run a view's callback; on failure log the traceback and show a plain message.

    The view needs an ``_error`` ErrorBanner and a ``language`` trait. A callback clears the
    message of the one before it, except with ``keep_message`` (the page's ticks: a refusal
    must stay on screen until the person acts again).
    """
    if method is None:
        return functools.partial(guarded, keep_message=keep_message)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not keep_message:
            self._error.clear()  # before, not after: a nested callback's message must survive
        try:
            return method(self, *args, **kwargs)
        except CasebookError as exc:  # a refused action or a known problem: the reason is the message
            log.info("refused in %s: %s", method.__qualname__, exc)
            self._error.show(exc.message(self.language))
            return None
        except Exception:  # noqa: BLE001 - no traceback may reach the participant's screen
            log.exception("callback %s failed", method.__qualname__)
            self._error.show(t("app.error_generic", self.language))
            return None

    return wrapper
