"""Text is data: the one rule that makes any text safe to show in a terminal.

Titles, notes, evidence, ids, file paths and error messages come from
learners, roadmap files, exports and the file system. None of it may drive
the terminal or be read as rich markup:

- control characters (C0 except newline and tab, DEL, C1, and so ESC) are
  shown visibly escaped, e.g. ``\\x1b``, so no escape sequence can set the
  window title, clear the screen or write the clipboard (OSC 52);
- bidirectional controls (the embeddings, overrides and isolates U+202A-U+202E
  and U+2066-U+2069, the marks U+200E, U+200F and U+061C) are shown escaped
  the same way (``\\u202e``), so no name or title can reorder the text
  around it (a file name that reads ``txt.exe`` backwards, a hidden word);
- rich markup (``[beta]``) and emoji codes (``:100:``) in data are never
  interpreted: data goes into `rich.text.Text` objects, never into markup.

`clean` is the rule; `text` wraps it in a Text; `SafeConsole` applies it
once more to everything a view renders, as a net under every view;
`message` reads aipm's own messages, whose only markup is a style tag;
`drawn` renders a view into a Text built from data (for the TUI, which must
never re-read ANSI); `for_terminal` and `json_escaped` are the rule for report
text written to a terminal and for JSON.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.text import Text

# C0 but tab and newline, DEL, C1; lone surrogates (bytes that were not UTF-8,
# as Python decodes file names and arguments), which no terminal can be sent; and
# the bidirectional controls, which reorder the text shown around them.
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff{BIDI}]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(value: object) -> str:
    """`value` as text with every control character but newline and tab shown escaped (ESC -> \\x1b)."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_escaped, text)


def is_terminal(stream: Any) -> bool:
    """Whether `stream` is a terminal (a closed or unusual stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def color_system() -> Literal["auto"] | None:
    """rich's colour system for a console: None under NO_COLOR (https://no-color.org), which here
    means plain text, no bold, dim or italic either; else rich's own choice (none off a terminal)."""
    return None if os.environ.get("NO_COLOR") else "auto"


def for_terminal(report: str, fmt: str) -> str:
    """Report text (CSV, Markdown, HTML, JSON) as it may be written to a terminal.

    A report written to a file or a pipe is data and stays byte for byte; on a
    terminal the same rule as every view applies: CSV, Markdown and HTML show
    control characters escaped (CSV's CRLF row ends become plain line ends),
    and JSON escapes them the JSON way, so what is shown still parses to the
    same data.
    """
    if fmt == "json":
        return json_escaped(report)
    return clean(report.replace("\r\n", "\n"))


# In JSON text, C0 is always escaped by json.dumps; DEL, C1 and the bidi controls are
# valid raw but a terminal would act on them (and a lone surrogate cannot be sent):
# \uXXXX says the same thing, visibly.
_JSON_CONTROL = re.compile(f"[\\x7f-\\x9f\\ud800-\\udfff{BIDI}]")


def json_escaped(document: str) -> str:
    """JSON text with DEL, C1 and bidi controls written as \\uXXXX escapes (the same data)."""
    return _JSON_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


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
    options.setdefault("color_system", color_system())
    return _safe_console_class()(**options)


def drawn(view: Any, width: int, *args: Any, **kwargs: Any) -> Text:
    """What `view(console, *args)` draws, as a rich Text built from its segments: styles
    as the view set them, every piece of text cleaned.

    For a pane that shows a view inside another program (the TUI): the view is
    never turned into ANSI and read back, so an escape sequence in data can
    never become a colour, a link or a cursor move there.
    """
    import io

    from rich.console import Console
    from rich.text import Text

    out = Text(end="")

    class Collecting(Console):
        # The pane folds a line longer than itself anyway: views fold long URLs to its width too
        # (render.entries.print_beside), rather than have the pane cut them somewhere else.
        pane = True

        def _render_buffer(self, buffer: Any) -> str:
            for segment in buffer:
                if not segment.control:
                    out.append(clean(segment.text), segment.style)
            return ""

    console = Collecting(width=width, emoji=False, highlight=False, force_terminal=False, file=io.StringIO())
    view(console, *args, **kwargs)
    return out
