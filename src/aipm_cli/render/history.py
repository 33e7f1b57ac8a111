"""`aipm log` and the history in `show`: one change as a rich grid (a terminal) or plain lines (a pipe)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from rich.text import Text

from aipm_cli.render.safe import clean

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def _spent(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    return f"{hours}h{rest:02d}m" if hours and rest else f"{hours}h" if hours else f"{rest}m"


def recorded_at(at: Any, zone: tzinfo | None) -> str:
    """When a change was recorded (`at`, an instant, written in UTC) as `YYYY-MM-DD HH:MM` in the learner's
    zone (None: as written).

    A full log says this a million times: the zone is asked once per hour of `at` (_local_hour), and the
    minutes are kept as written, unless that hour's offset is not whole hours or changes inside it."""
    text = str(at)
    if zone is not None:
        if len(text) > 16 and text[-6] in "+-" and text[-3] == ":" and text[13] == ":":
            hour = _local_hour(text[:13] + text[-6:], zone)
            if hour is not None:
                return hour + text[13:16]
        try:
            text = datetime.fromisoformat(text).astimezone(zone).isoformat()
        except ValueError:
            pass  # not a time (a change is checked when read; never worth failing a view for)
    return text[:16].replace("T", " ")


@functools.lru_cache(maxsize=65536)
def _local_hour(key: str, zone: tzinfo) -> str | None:
    """`YYYY-MM-DD HH` in `zone` for the hour `key` (`YYYY-MM-DDTHH` and the offset it was written with),
    when the whole hour has one offset in whole hours from it (else None: convert each time)."""
    try:
        start = datetime.fromisoformat(key[:13] + ":00" + key[13:])
    except ValueError:
        return None
    first, last = start.astimezone(zone), (start + timedelta(minutes=59)).astimezone(zone)
    if first.minute != 0 or first.utcoffset() != last.utcoffset():
        return None
    return first.strftime("%Y-%m-%d %H")


def zone_line(zone: tzinfo) -> str:
    """The one line that says which zone the times of a history are in."""
    return f"Times are in your time zone, {zone}."


def zone_view(console: Console, zone: tzinfo) -> None:
    console.print(Text(zone_line(zone), style="dim"))


def _change_parts(
    e: dict[str, Any], titles: bool, by_recording: bool, zone: tzinfo | None = None
) -> tuple[str, str, list[str], str]:
    """What one change shows: what happened, the italic extras (note, reason), where it was recorded (in
    the learner's `zone`: the day on the left is the learner's day), and the date on the left.

    `by_recording` (`log`, newest recorded first): the left date is the day it was recorded, so the dates
    never jump, and a change recorded for another date (--on) says which ("· for 2026-11-02"). Otherwise
    (`show`, sorted by the date each change is for): the left date is that date, and the second line
    says when it was recorded. Shared by the rich line (a terminal) and the plain one (a pipe or a file).
    """
    if e.get("skill"):
        what = f"{e['skill']} → {e['level']}"
    elif e["action"] in ("undo", "redo"):
        what = f"of {e['about']}" if e.get("about") else f"of change {e.get('target', '?')}"
    elif e["action"] == "import":
        from aipm_cli.wording import count

        number = e.get("count")
        changes = count(number, "change") if isinstance(number, int) else "changes"
        what = f"{changes} from {e.get('source') or 'an export'}"
    elif e["action"] == "restore":
        what = "progress carried over from the old store"
    elif titles and e.get("titles"):
        what = ", ".join(f"{t} ({i})" if t != i else i for t, i in zip(e["titles"], e["items"], strict=False))
    else:
        what = ", ".join(e["items"])
    if isinstance(e.get("minutes"), int):  # a study session: how long
        what += f" · {_spent(e['minutes'])}"
        if e.get("source"):
            what += f" from {e['source']}"
    if e.get("recalled"):  # a review: how well it was recalled
        what += f" · recalled: {e['recalled']}"
    extras = [clean(e[key]) for key in ("note", "reason") if e.get(key)]
    recorded = recorded_at(e["at"], zone)
    on = str(e["on"])
    where = f"recorded {recorded} on {e.get('device', '?')}"
    # Imported study time sorts by the session's own start (its id is made from it), not by when it was
    # imported: its left date is the day it was studied.
    if by_recording and not (e["action"] == "study" and e.get("source")):
        if on != recorded[:10]:
            where += f" · for {on}"
        on = recorded[:10]
    return clean(what), clean(where), extras, clean(on)


def change_line(
    e: dict[str, Any], titles: bool = False, by_recording: bool = False, zone: tzinfo | None = None
) -> Table:
    """One change: a date (see _change_parts), what happened, when and where it was recorded (a hanging indent)."""
    what, recorded, extras, on = _change_parts(e, titles, by_recording, zone)
    body = Text()
    body.append(e["action"], style="bold" if not e.get("undone") else "dim")
    body.append(f"  {what}")
    if e.get("undone"):
        body.append("  (undone)", style="yellow")
    for extra in extras:
        body.append(f" — {extra}", style="italic")
    body.append("\n" + recorded, style="dim")
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text(on), body)
    return grid


def print_change(console: Console, e: dict[str, Any], indent: int = 0, **how: Any) -> None:
    """One change (change_line) printed, `indent` spaces in; a note or evidence with a URL too long for
    the line keeps the URL whole (render.entries.print_beside)."""
    from aipm_cli.render.entries import print_beside

    grid = change_line(e, **how)
    on, body = (cell for column in grid.columns for cell in column.cells)
    assert isinstance(on, Text) and isinstance(body, Text)
    if "://" in body.plain and print_beside(console, Text(on.plain + "  "), body, indent):
        return
    if indent:
        from rich.padding import Padding

        console.print(Padding(grid, (0, 0, 0, indent)))
    else:
        console.print(grid)


def change_text(
    e: dict[str, Any],
    titles: bool = False,
    width: int | None = None,
    by_recording: bool = True,
    zone: tzinfo | None = None,
) -> str:
    """One change as plain lines (a pipe or a file): the terminal's words, the hanging indent kept, folded
    at words to `width` when one is given (COLUMNS set), else unwrapped.

    Drawing a rich table per change cost about a millisecond; this is a string join.
    """
    what, recorded, extras, on = _change_parts(e, titles, by_recording, zone)
    body = f"{e['action']}  {what}"
    if e.get("undone"):
        body += "  (undone)"
    for extra in extras:
        body += f" — {extra}"
    pad = " " * (len(on) + 2)
    lines = f"{body}\n{recorded}".split("\n")
    if width is not None and any(len(line) + len(pad) > width for line in lines):
        from aipm_cli.render.wrap import wrap_keeping_urls  # a URL in a note or evidence is never cut

        room = max(width - len(pad), 10)
        lines = [part for line in lines for part in wrap_keeping_urls(line, room)]
    return f"{on}  " + ("\n" + pad).join(line.rstrip() for line in lines) + "\n"


def log_view(console: Console, entries: list[dict[str, Any]], zone: tzinfo | None = None) -> None:
    """`aipm log`: newest recorded first, two lines a change, each under the day it was recorded (in the
    learner's zone, which the caller says once)."""
    if not entries:
        console.print("No changes yet.")
        return
    for e in entries:
        print_change(console, e, titles=True, by_recording=True, zone=zone)
