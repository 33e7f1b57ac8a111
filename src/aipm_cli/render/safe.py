"""Text is data: the one rule that makes any text safe to show in a terminal.

Titles, notes, evidence, ids, file paths and error messages come from
learners, roadmap files, exports and the file system. None of it may drive
the terminal or be read as rich markup:

- control characters (C0 except newline and tab, DEL, C1, and so ESC) are
  shown visibly escaped, e.g. ``\\x1b``, so no escape sequence can set the
  window title, clear the screen or write the clipboard (OSC 52);
- rich markup (``[beta]``) and emoji codes (``:100:``) in data are never
  interpreted: data goes into `rich.text.Text` objects, never into markup.

`clean` is the rule; `text` wraps it in a Text; `SafeConsole` applies it
once more to everything a view renders, as a net under every view;
`message` reads aipm's own messages, whose only markup is a style tag.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

# C0 but tab and newline, DEL, C1; and lone surrogates (bytes that were not UTF-8,
# as Python decodes file names and arguments), which no terminal can be sent.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(value: object) -> str:
    """`value` as text with every control character but newline and tab shown escaped (ESC -> \\x1b)."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_escaped, text)


def text(value: object, style: str = "") -> Text:
    """A rich Text of `value`, cleaned: never markup, never an emoji code, never a control sequence."""
    from rich.text import Text

    return Text(clean(value), style=style)


# The style tags aipm's own messages use (e.g. "[green]✓[/] Done: ..."). Anything
# else that looks like a tag is data and is printed as typed.
_STYLES = {"green", "red", "yellow", "bold", "dim", "bold red", "bold green", "italic"}
_TAG = re.compile(r"(\\*)\[([a-z#/@][^[]*?)]")


def message(markup: str) -> Text:
    """aipm's own message, with its style tags applied and everything else shown as typed.

    Only the tags in a short list of styles are markup; `[beta]`, `[old]`
    and `:100:` print as they are. Data that a caller escaped with
    `rich.markup.escape` (`\\[beta]`) prints as `[beta]` too.
    """
    from rich.text import Text

    out = Text()
    styles: list[str] = []
    position = 0

    def add(piece: str) -> None:
        if piece:
            out.append(clean(piece), style=" ".join(styles) or None)

    for match in _TAG.finditer(markup):
        add(markup[position : match.start()])
        backslashes, tag = match.group(1), match.group(2)
        add(backslashes[: len(backslashes) // 2])
        if len(backslashes) % 2:  # escaped: a literal tag
            add(f"[{tag}]")
        elif tag in _STYLES:
            styles.append(tag)
        elif tag.startswith("/") and styles and (tag == "/" or tag[1:] == styles[-1]):
            styles.pop()
        else:
            add(f"[{tag}]")
        position = match.end()
    add(markup[position:])
    return out


def _safe_console_class() -> type:
    from rich.console import Console
    from rich.segment import Segment

    class SafeConsole(Console):
        """A Console that cleans the text of every segment it renders (styles and control segments are rich's own)."""

        def _render_buffer(self, buffer: Any) -> str:
            cleaned = [
                segment
                if segment.control or not _CONTROL.search(segment.text)
                else Segment(clean(segment.text), segment.style, segment.control)
                for segment in buffer
            ]
            return str(super()._render_buffer(cleaned))

    return SafeConsole


def safe_console(**options: Any) -> Any:
    """A rich Console (emoji codes off) that shows control characters in anything it prints escaped."""
    options.setdefault("emoji", False)
    return _safe_console_class()(**options)
