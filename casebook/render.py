"""Vignette Markdown to safe HTML: markdown-it renders, nh3 (ammonia) sanitises.

Raw HTML in a case file is not rendered at all (markdown-it ``html=False``) and the
sanitiser removes whatever could still run: scripts, event handlers, javascript: links.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from casebook.messages import t

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "b", "i", "u", "s", "del", "blockquote", "code", "pre",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


# A live page draws its case again at every phase change: the same few texts each time.
@lru_cache(maxsize=256)
def markdown_to_html(text: str) -> str:
    """Render Markdown and sanitise the result; safe to put into a page."""
    # Headings in a vignette sit below the case title, so '#' becomes h2 at most
    rendered = _markdown.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return sanitise(rendered)


def escape(text: str) -> str:
    """Plain text (titles, dialogue turns, reasons) for HTML."""
    return html.escape(text or "", quote=True)


def how_mark_html(how: str, language: str, texts: str = "view.how") -> str:
    """How the VP in the case plays a key item, as a mark (class ``cb-how-<how>``); nothing for
    a first-edition key entry without ``how``. ``texts`` picks the wording (view or feedback)."""
    if not how:
        return ""
    return f'<span class="cb-how cb-how-{how}">{escape(t(f"{texts}.{how}", language))}</span>'


def central_mark_html(central: bool, language: str) -> str:
    """The mark of one of the one or two items a case is about (class ``cb-central``)."""
    return f'<span class="cb-central">{escape(t("view.central", language))}</span>' if central else ""


def contested_html(note: str, language: str) -> str:
    """A key entry's ``betwist`` note: a mark and the trainer's one line (class ``cb-contested``);
    nothing when the item is not contested."""
    if not note:
        return ""
    return (f'<p class="cb-contested"><span class="cb-contested-mark">{escape(t("view.contested", language))}</span> '
            f'{escape(t("view.contested_note", language, note=note))}</p>')


def legal_status_html(catalogue, language: str) -> str:
    """"Stand van de wetgeving: ..." under a key or explanation (class ``cb-legal-status``)."""
    note = catalogue.legal_status_note(language)
    return f'<p class="cb-legal-status">{escape(note)}</p>' if note else ""
