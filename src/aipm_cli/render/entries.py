"""The pieces every terminal view draws with: status marks, bars, fitted titles, entry lines.

Terminal views (render/dashboard.py, lists.py, history.py, study_views.py, plan_table.py) each take a
rich Console and plain data; none reads files. Every piece of data goes through render.safe.clean and
into a Text: never markup, never a control sequence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from aipm_cli.render.safe import clean

if TYPE_CHECKING:
    from rich.console import Console

MARKS = {"done": ("✓", "green"), "in_progress": ("◐", "yellow"), "skipped": ("–", "dim"), "not_started": ("○", "")}
STATUS_WORDS = {"done": "done", "in_progress": "in progress", "skipped": "skipped", "not_started": "not started"}


def mark(status: str) -> Text:
    symbol, style = MARKS[status]
    return Text(symbol, style=style)


def bar(percent: float, width: int) -> Text:
    """A progress bar drawn with block characters (reads fine without colour)."""
    width = max(width, 4)
    filled = round(percent / 100 * width)
    text = Text("█" * filled, style="green")
    text.append("░" * (width - filled), style="dim")
    return text


def fit(text: str, width: int) -> str:
    """Shorten to `width` at a word boundary, with an ellipsis."""
    if len(text) <= width:
        return text
    cut = text[: width - 1].rstrip()
    if " " in cut and len(cut) - cut.rfind(" ") < 8:
        cut = cut[: cut.rfind(" ")].rstrip(" :,-")
    return cut + "…"


def heading(text: str) -> Text:
    return Text(text, style="bold")


LEGEND = "○ not started  ◐ in progress  ✓ done  – skipped"


def entry_lines(
    console: Console,
    indent: int,
    status: str | None,
    title: str,
    ident: str,
    right: str = "",
    style: str = "",
    context: str = "",
) -> list[Text]:
    """One entry: mark, title (and where it sits) and id, wrapped between words with a
    hanging indent (an id never breaks), and `right` (e.g. a duration) at the end of the first line."""
    width = console.width
    lead = indent + (2 if status is not None else 0)
    room = max(10, width - lead - (len(right) + 2 if right else 0))
    body = Text(clean(title), style=style)
    if context:
        body.append(" — " + clean(context), style="italic")
    lines = list(body.wrap(console, room, overflow="fold"))
    ident = clean(ident)
    if ident:
        # The id goes at the end of the last line when it fits there, else on a line of its own, so it
        # is never cut (only an id wider than the whole line is folded).
        last = lines[-1]
        last.rstrip()
        limit = room if len(lines) == 1 else width - lead
        if last.cell_len + 2 + len(ident) <= limit:
            last.append("  " + ident, style="dim")
        else:
            lines += list(Text(ident, style="dim").wrap(console, max(10, width - lead), overflow="fold"))
    out = []
    right = clean(right)
    for number, line in enumerate(lines):
        text = Text(" " * indent)
        if status is not None:
            text.append_text(mark(status) if number == 0 else Text(" "))
            text.append(" ")
        line.rstrip()
        text.append_text(line)
        if number == 0 and right:
            text.append(" " * max(2, width - len(right) - text.cell_len))
            text.append(right, style="dim")
        out.append(text)
    return out


def print_lines(console: Console, lines: list[Text]) -> None:
    if lines:  # one print: each print has a fixed cost that a long list would pay per line
        console.print(Text("\n").join(lines), no_wrap=True, overflow="ignore", crop=False)


def description(console: Console, text: str, indent: int) -> list[Text]:
    """A phase's or module's description, wrapped between words under its heading."""
    if not text:
        return []
    lines = Text(" ".join(text.split()), style="italic dim").wrap(console, max(20, console.width - indent))
    return [Text(" " * indent) + line for line in lines]


def unbroken_lines(text: Text, width: int) -> list[Text]:
    """A styled text cut into lines of `width` between words, a URL never cut (see wrap.url_safe_spans)."""
    from aipm_cli.render.wrap import url_safe_spans

    return [text[start:end] for start, end in url_safe_spans(text.plain, width)]


def print_beside(console: Console, label: Text, value: Text, indent: int = 0) -> bool:
    """`label` then `value`, wrapped beside it (a hanging indent), when `value` holds a URL too long for
    the room beside the label: printed line by line, the URL whole (running past the edge when it must),
    because rich folds a word longer than a line mid-word and the halves no longer copy as one.
    False (nothing printed) when the value has no such URL: the caller draws it as usual."""
    from aipm_cli.render.wrap import needs_unbroken

    room = console.width - indent - label.cell_len
    if getattr(console, "pane", False) or not needs_unbroken(value.plain, room):  # a TUI pane: safe.drawn
        return False
    blank = Text(" " * label.cell_len)
    for number, part in enumerate(unbroken_lines(value, room)):
        line = Text(" " * indent)
        line.append_text(label if number == 0 else blank)
        line.append_text(part)
        console.print(line, no_wrap=True, overflow="ignore", crop=False)
    return True


def print_unbroken(console: Console, text: str, indent: int = 0) -> None:
    """A line of text that may hold URLs, `indent` spaces before each of its lines, a URL never cut."""
    if not print_beside(console, Text(), Text(text), indent):
        from rich.padding import Padding

        console.print(Padding(Text(text), (0, 0, 0, indent)))


def print_rows(console: Console, rows: list[tuple[str, Text]]) -> None:
    """Labelled rows (a dim label, then its value) as a grid, the values wrapped beside the labels.

    A value with a URL too long for its column (`aipm show` on an item with a
    long address) is printed apart by print_beside, aligned with the grid.
    """
    from rich.table import Table

    label_width = max((len(label) for label, _ in rows), default=0)
    pending: list[tuple[str, Text]] = []

    def flush() -> None:
        if pending:
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="dim", no_wrap=True, width=label_width)
            grid.add_column(overflow="fold")
            for label, value in pending:
                grid.add_row(label, value)
            console.print(grid)
            pending.clear()

    for label, value in rows:
        if value.plain and "://" in value.plain:
            flush()
            if print_beside(console, Text(label.ljust(label_width) + "  ", style="dim"), value):
                continue
        pending.append((label, value))
    flush()
