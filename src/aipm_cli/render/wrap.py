"""Wrapping text that holds paths and ids: lines break between words, and a path only after a '/'.

A terminal (and rich) folds a word longer than the line anywhere, which cuts
a path mid-name; these helpers break long words at their '/' first.
"""

from __future__ import annotations

import re


def _pieces(word: str, width: int) -> list[str]:
    """A word cut into parts that fit `width`: after '/' where it can, anywhere only when a part has no '/'."""
    if len(word) <= width:
        return [word]
    parts: list[str] = []
    current = ""
    for segment in word.replace("/", "/\0").split("\0"):
        if current and len(current) + len(segment) > width:
            parts.append(current)
            current = ""
        while len(segment) > width:  # one name longer than the line: nothing better than folding it
            parts.append(segment[:width])
            segment = segment[width:]
        current += segment
    if current:
        parts.append(current)
    return parts


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """`text` in lines of at most `width` characters; continuation lines start with `indent`."""
    width = max(width, len(indent) + 8)
    lead = text[: len(text) - len(text.lstrip(" "))]
    lines: list[str] = []
    current = ""
    for word in text.split():
        room = width - (len(indent) if lines else len(lead))
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
            room = width - len(indent)
        pieces = _pieces(word, room)
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current or not lines:
        lines.append(current)
    return [lead + lines[0]] + [indent + line for line in lines[1:]]


def wrap_path(path: str, width: int) -> str:
    """A path as lines that break only after '/' (when it must break at all)."""
    return "\n".join(_pieces(path, max(width, 8)))


def is_url_word(word: str) -> bool:
    """A word that is (or holds) a web address: one cut anywhere no longer copies and pastes."""
    return "://" in word


def url_safe_spans(text: str, width: int) -> list[tuple[int, int]]:
    """Where each line of `text` starts and ends when it is wrapped to `width`, never inside a URL.

    Lines break between words (the spaces at a break are dropped, those between
    words kept as written). A URL that does not fit the rest of a line starts a
    line of its own, and one longer than a whole line runs past `width` (a
    terminal shows the rest on the next row, and copying takes it whole). Other
    words longer than a line are folded, as rich would. Line breaks are kept.
    Offsets, not strings: a caller slices a styled rich Text with them.
    """
    width = max(width, 8)
    spans: list[tuple[int, int]] = []
    base = 0
    for paragraph in text.split("\n"):
        line: tuple[int, int] | None = None
        for match in re.finditer(r"\S+", paragraph):
            start, end = base + match.start(), base + match.end()
            if line is not None and end - line[0] <= width:
                line = (line[0], end)
                continue
            if line is not None:
                spans.append(line)
            if not is_url_word(match.group()):
                while end - start > width:
                    spans.append((start, start + width))
                    start += width
            line = (start, end)
        spans.append(line if line is not None else (base, base))
        base += len(paragraph) + 1
    return spans


def wrap_keeping_urls(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, never broken inside a URL (see url_safe_spans)."""
    return [text[start:end] for start, end in url_safe_spans(text, width)]


def needs_unbroken(text: str, width: int) -> bool:
    """Whether `text` holds a URL longer than `width` (one that rich would fold mid-word)."""
    return "://" in text and any(is_url_word(w) and len(w) > width for w in text.split())
