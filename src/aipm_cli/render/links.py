"""Helpers shared by the exporters: which strings may become links."""

from __future__ import annotations

from urllib.parse import quote, urlsplit


def http_url(text: str | None) -> str | None:
    """The URL if it is a plain http(s) URL (safe to link to), else None."""
    if not text:
        return None
    value = text.strip()
    if any(c.isspace() for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Percent-encode what could end a Markdown link or an HTML attribute early.
    return quote(value, safe=":/?#[]@!$&'*+,;=%~-._")
