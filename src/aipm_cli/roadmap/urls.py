"""The one rule for which strings are web links aipm will treat as links."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(text: str) -> bool:
    """A plain http(s) URL: scheme http or https, a host, no whitespace."""
    if not text or any(c.isspace() for c in text):
        return False
    parts = urlsplit(text)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
