"""`aipm plan`: the dated plan as lines of a table, and what it adds up to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from aipm_cli.render.entries import print_lines
from aipm_cli.render.safe import clean

if TYPE_CHECKING:
    from rich.console import Console


def plan_view(console: Console, plan: Any, limit: int | None = None) -> None:
    """`aipm plan`: items with start and end dates, and the finish date (`limit`: only the first items
    are listed; the totals stay those of the whole plan).

    Drawn as lines rather than a rich Table: a plan has a hundred rows, and a
    Table measures every cell twice (most of what the command cost).
    """
    if not plan.items:
        console.print("Nothing left to plan: every item is done or skipped.")
        return

    shown = plan.items[:limit] if limit is not None else plan.items
    # Narrow terminals leave out the end dates (the next start says them) and put the hours after the
    # id, so that ids fit whole.
    narrow = console.width < 80
    gap = " " * 3
    # Whole hours: the estimate behind them is a range, not a decimal.
    hours = [f"{round(item.hours)}" if item.hours >= 0.5 else "<1" for item in shown]
    hours_width = max(len("hours"), *(len(h) for h in hours))
    dates_width = len("2026-01-01") * (1 if narrow else 2) + (0 if narrow else len(gap))
    entries = []
    for item, spent in zip(shown, hours, strict=True):
        entry = Text(clean(item.title))
        if item.context:
            entry.append(" — " + clean(item.context), style="italic")
        entry.append("  " + clean(item.id), style="dim")
        if narrow:
            entry.append(f" · {spent} h", style="dim")
        entries.append(entry)
    # The item column takes the room left, up to its widest entry (as a table would); in a very
    # narrow terminal it shrinks and folds rather than run past the edge.
    room = console.width - dates_width - len(gap) - (0 if narrow else len(gap) + hours_width)
    room = max(4, min(room, max(len("item"), *(e.cell_len for e in entries))))
    head = Text("start".ljust(10), style="bold") + gap
    if not narrow:
        head += Text("end".ljust(10), style="bold") + gap
    head += Text("item".ljust(room), style="bold")
    if not narrow:
        head += Text(gap) + Text("hours".rjust(hours_width), style="bold")
    lines = [head, Text("─" * head.cell_len)]
    for item, spent, entry in zip(shown, hours, entries, strict=True):
        wrapped = list(entry.wrap(console, room, overflow="fold"))
        for number, part in enumerate(wrapped):
            part.rstrip()
            if number == 0:
                line = Text(item.start.isoformat()) + gap
                if not narrow:
                    line += item.end.isoformat() + gap
            else:
                line = Text(" " * (dates_width + len(gap)))
            line += part
            if number == 0 and not narrow:
                line += " " * (room - part.cell_len) + gap + spent.rjust(hours_width)
            lines.append(line)
    if len(shown) < len(plan.items):
        lines.append(Text(f"… and {len(plan.items) - len(shown)} more (without --limit: every one)", style="dim"))
    print_lines(console, lines)
    for number, text in enumerate(plan_summary(plan)):
        console.print(Text(text, style="bold" if number == 0 else ""))


def plan_summary(plan: Any) -> list[str]:
    """What the plan adds up to, as aipm's estimate in ranges (the dates above use each range's middle)."""
    from aipm_cli.estimate import hours, month_range, origin_of
    from aipm_cli.wording import count

    origin = origin_of(plan.source_hours, plan.default_hours, plan.reference_hours_per_week)
    lines = [f"aipm's estimate: {count(len(plan.items), 'item')}, {hours(*plan.hours_range)} of study = {origin}."]
    if plan.finish_range is not None:
        lines.append(
            f"At {plan.hours_per_week:g} h a week: done {month_range(*plan.finish_range)}. "
            "The dates above take the middle of each item's range."
        )
    if plan.from_logged_time:
        lines.append(plan.from_logged_time + ".")
    if plan.ongoing:
        lines.append(
            f"Not scheduled: {count(len(plan.ongoing), 'ongoing habit or community', 'ongoing habits and communities')}"
            " (no end date); keep them up alongside and mark each done once it is part of how you work."
        )
    return lines
