"""The addresses of a session's apps, and the QR code of the join link."""

from __future__ import annotations

import os
from urllib.parse import urlencode

DEFAULT_BASE_URL = "http://localhost:8866"


def base_url() -> str:
    """``CASEBOOK_PUBLIC_URL`` (what phones in the room can reach), else the page's own host."""
    configured = os.environ.get("CASEBOOK_PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    host, port = os.environ.get("SERVER_NAME"), os.environ.get("SERVER_PORT")
    if host:
        return f"http://{host}:{port}" if port and port not in ("80", "443") else f"http://{host}"
    return DEFAULT_BASE_URL


def app_url(notebook: str, base: str | None = None, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{(base or base_url()).rstrip('/')}/voila/render/{notebook}.ipynb" + (f"?{query}" if query else "")


def session_links(code: str, facilitator_key: str | None = None, base: str | None = None) -> dict[str, str]:
    links = {
        "participant_url": app_url("participant", base, code=code),
        "projector_url": app_url("projector", base, code=code),
    }
    if facilitator_key:
        links["facilitator_url"] = app_url("facilitator", base, code=code, key=facilitator_key)
    return links


def qr_svg(data: str) -> str:
    """An inline SVG QR code (scales to any size on a projector)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # let CSS size it: drop the fixed millimetre size, keep the viewBox
    return svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
