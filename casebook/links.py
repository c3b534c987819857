"""The addresses of a session's apps, and the QR code of the join link."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from casebook.config import public_url

DEFAULT_BASE_URL = "http://localhost:8866"


def base_url() -> str:
    """The configured public address (``CASEBOOK_PUBLIC_URL``), else the local default.
    A page that knows the address it was opened with passes it as ``base`` instead."""
    return public_url() or DEFAULT_BASE_URL


def app_url(notebook: str, base: str | None = None, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{(base or base_url()).rstrip('/')}/voila/render/{notebook}.ipynb" + (f"?{query}" if query else "")


@functools.lru_cache(maxsize=8)
def qr_svg(data: str) -> str:
    """An inline SVG QR code (scales to any size on a projector). Kept: the facilitator's and
    the projector's pages draw it again on every change (about 8 ms each time)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # let CSS size it: drop the fixed millimetre size, keep the viewBox
    return svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
