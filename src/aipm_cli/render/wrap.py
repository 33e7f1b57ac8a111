"""Wrapping text that holds paths and ids: lines break between words, and a path only after a '/'.

A terminal (and rich) folds a word longer than the line anywhere, which cuts
a path mid-name; these helpers break long words at their '/' first.
"""

from __future__ import annotations


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
