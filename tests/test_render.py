from html.parser import HTMLParser

import pytest

from casebook.render import markdown_to_html


def test_markdown_is_rendered():
    html = markdown_to_html("# Kop\n\nDe melder is **boos**.\n\n- een\n- twee")
    assert "<h2>Kop</h2>" in html
    assert "<strong>boos</strong>" in html
    assert "<li>een</li>" in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[klik](javascript:alert(1))",
        '<a href="javascript:alert(1)">klik</a>',
        "<iframe src='https://example.org'></iframe>",
        '<div onclick="alert(1)">x</div>',
        "[klik](JaVaScRiPt:alert(1))",
        "![plaatje](javascript:alert(1))",
    ],
)
def test_nothing_that_runs_reaches_the_page(source):
    elements = _elements(markdown_to_html(source))
    assert not [tag for tag, _ in elements if tag in ("script", "iframe", "img", "object", "embed")]
    for tag, attributes in elements:
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)


def _elements(html: str) -> list[tuple[str, list]]:
    """Every element the browser would build from ``html``, with its attributes."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_ordinary_links_survive_without_opener():
    html = markdown_to_html("[regels](https://example.org/regels)")
    assert 'href="https://example.org/regels"' in html
    assert "noopener" in html
