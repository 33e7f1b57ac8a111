"""Plain text for a console that cannot show UTF-8 (a Windows code page, `PYTHONIOENCODING=ascii`).

aipm's views draw with a few marks and bars (`✓`, `◐`, `█`, `·`, `—`); roadmap titles and notes may
hold any character. On a stream whose encoding cannot hold a character, `install` makes the stream
write, in this order: the ASCII stand-in for aipm's own marks (one character for one, so columns stay
aligned: `█` -> `#`, `✓` -> `+`), the letter without its accent (`é` -> `e`), and only for anything
else a visible escape (`\\u4e2d`). A character the encoding holds (`é` in cp1252) is written as is.

Data keeps its bytes: JSON is written with escapes (`json_for`, the same data in ASCII) and a report
going to a pipe or a file as UTF-8, whatever the console's encoding.
"""

from __future__ import annotations

import codecs
from typing import Any

ERRORS = "aipm-ascii"  # the name of the codec error handler `install` registers

# aipm's marks, bars and typography, and rich's box drawing and ellipsis.
STAND_INS = {
    "✓": "+", "✅": "+", "✗": "x", "◐": "~", "○": "o", "●": "*", "•": "*", "⬜": "o", "🟡": "~", "⏭": ">",
    "█": "#", "▓": "#", "▒": "=", "░": "-", "■": "#", "□": ".", "▼": "v",
    "·": "-", "—": "-", "–": "-", "―": "-", "…": "...", "›": ">", "‹": "<", "«": "<", "»": ">",
    "→": ">", "←": "<", "↑": "^", "↓": "v", "±": "+/-", "×": "x", "≤": "<=", "≥": ">=",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "\u00a0": " ", "\u202f": " ",
    "\ufe0f": "", "\u200b": "",
}  # fmt: skip


def _stand_in(char: str) -> str:
    found = STAND_INS.get(char)
    if found is not None:
        return found
    code = ord(char)
    if 0x2500 <= code <= 0x257F:  # box drawing: rich's borders
        import unicodedata

        name = unicodedata.name(char, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name:
            return "|"
        return "+"
    import unicodedata

    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and base.isascii() and base.isprintable():
        return base
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _handler(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_stand_in(c) for c in error.object[error.start : error.end]), error.end


def install(stream: Any) -> None:
    """Make `stream` write what its encoding cannot hold as plain ASCII (see above); nothing on UTF-8."""
    if takes_utf8(stream) or not hasattr(stream, "reconfigure"):
        return
    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _handler)
    try:
        stream.reconfigure(errors=ERRORS)
    except (ValueError, OSError):  # a closed or detached stream: left as it is
        pass


def takes_utf8(stream: Any) -> bool:
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    return encoding in ("utf-8", "utf8")


def _json_escape(match: Any) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_for(stream: Any, document: str) -> str:
    """JSON text as `stream` can hold it: on a stream that is not UTF-8, every character past ASCII
    written as a JSON escape (the same data, nothing substituted); else the text as it is."""
    if takes_utf8(stream):
        return document
    import re

    return re.sub(r"[^\x00-\x7f]", _json_escape, document)
