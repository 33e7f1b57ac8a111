"""Helpers shared by the exporters: which strings may become links."""

from __future__ import annotations

from urllib.parse import quote

from aipm_cli.roadmap.urls import is_http_url


def http_url(text: str | None) -> str | None:
    """The URL if it is a plain http(s) URL (safe to link to), else None."""
    if not text:
        return None
    value = text.strip()
    if not is_http_url(value):
        return None
    # Percent-encode what could end a Markdown link or an HTML attribute early.
    return quote(value, safe=":/?#[]@!$&'*+,;=%~-._")
