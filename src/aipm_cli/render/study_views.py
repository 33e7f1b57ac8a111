"""Study time and review: the study lines of `status`, `aipm today` (and the TUI's day screen), `aipm review`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.padding import Padding
from rich.text import Text

from aipm_cli.render.entries import heading, print_lines
from aipm_cli.render.safe import clean

if TYPE_CHECKING:
    from rich.console import Console


HEAT = " ░▒▓█"  # no time, then quarters of the day's share of the weekly goal (and more)


def _measures(console: Console, parts: list[str]) -> None:
    """Short measures on one line joined by ' · ' when they fit, else one a line (never a wrapped half)."""
    joined = " · ".join(parts)
    for line in [joined] if len(joined) + 2 <= console.width else parts:
        console.print(Padding(Text(clean(line)), (0, 0, 0, 2)))


def study_lines(console: Console, study: dict[str, Any], phases: list[Any]) -> None:
    """`status`: study time, when any was logged or a session runs (see study.status_block)."""
    if not study or not (study.get("total_minutes") or study.get("running")):
        return
    from aipm_cli.render.entries import fit
    from aipm_cli.study import spent_text
    from aipm_cli.wording import count

    console.print()
    console.print(heading("Study time"))
    for run in study.get("running", ()):
        line = f"running: {run['item']} since {run['began_local']} (on {run['device']})"
        console.print(Padding(Text(clean(line)), (0, 0, 0, 2)))
    goal = study.get("goal_minutes") or 0
    _measures(
        console,
        [
            f"this week {spent_text(study.get('week_minutes', 0))} of {spent_text(goal)}",
            f"all time {spent_text(study['total_minutes'])} in {count(study['sessions'], 'session')}",
        ],
    )
    if study.get("weeks") and study.get("average_since"):  # (nothing about weeks or an average before time is logged)
        _measures(console, [f"goal met in {study['weeks_met']} of the last {count(len(study['weeks']), 'week')}",
                            _average(study)])  # fmt: skip
    days = study.get("days") or []
    if days:
        daily_goal = max(1, goal / 7)
        heat = Text("  ")
        for day in days:
            minutes = day["minutes"]
            level = 0 if not minutes else min(4, 1 + int(minutes / daily_goal * 3))
            heat.append(HEAT[level] if level else "·", style="green" if level else "dim")
        zone = clean(study.get("timezone", "UTC"))
        label = f"the last {count(len(days), 'day')}, to {days[-1]['day']} ({zone})"
        if heat.cell_len + 2 + len(label) <= console.width:
            heat.append("  " + label, style="dim")
            console.print(heat)
        else:
            console.print(heat)
            console.print(Padding(Text(label, style="dim"), (0, 0, 0, 2)))
    by_phase = study.get("phases") or {}
    for p in phases:
        if by_phase.get(p.id):
            title = fit(clean(p.title), max(10, console.width - 11))
            console.print(Text(f"  {spent_text(by_phase[p.id]):>7}  {title}"), no_wrap=True, overflow="ellipsis")


def _average(study: dict[str, Any]) -> str:
    """The hours a week averaged over the last four weeks (or since the first session, when later)."""
    from aipm_cli.study import spent_text
    from aipm_cli.study_pace import MEASURE_DAYS

    days = study.get("average_over_days") or 0
    window = "over the last four weeks" if days >= MEASURE_DAYS else f"since {study['average_since']}"
    return f"{spent_text(study['average_minutes'] or 0)} a week on average {window}"


def day_view(console: Console, data: dict[str, Any]) -> None:
    """`aipm today` and the terminal UI's day screen (study.today_view's data)."""
    from aipm_cli.render.safe import text as safe
    from aipm_cli.study import spent_text as _spent

    console.print(Text(f"Today, {data['today']} ({data['timezone']})", style="bold"))
    for run in data["running"]:
        where = "" if run["this_machine"] else f" on {run['device']}"
        line = Text("  studying ")
        line.append_text(safe(f"{run['title']} ({run['item']})"))
        line.append(f" for {_spent(run['minutes'])}{where}")
        console.print(line)
    console.print(
        f"  studied {_spent(data['studied_today_minutes'])} today (your share: {_spent(data['share_minutes'])}); "
        f"this week {_spent(data['week']['minutes'])} of {_spent(data['goal_minutes'])}"
    )
    reviews = data["reviews"]
    if reviews["on"]:
        console.print()
        if reviews["due"]:
            console.print(f"Review ({len(reviews['due'])} due; `aipm review ITEM good` when done):")
            print_lines(
                console, [line for e in reviews["due"][:5] for line in _entry(console, "", e["title"], e["id"])]
            )
            if len(reviews["due"]) > 5:
                console.print(f"  and {len(reviews['due']) - 5} more: aipm review")
        else:
            console.print("Nothing to review today.")
    if data["in_progress"]:
        console.print()
        console.print("In progress:")
        print_lines(
            console, [line for e in data["in_progress"][:5] for line in _entry(console, "", e["title"], e["id"])]
        )
    if data["next"]:
        console.print()
        from aipm_cli.wording import count

        share = data["share_minutes"]
        fits = data["next"][0]["hours"] * 60 <= share  # (each later one too big for a day says so)
        console.print("Fits today:" if fits else f"Next (more than today's share of {_spent(share)}):")
        lines: list[Text] = []
        for entry in data["next"]:
            days = f", {count(math.ceil(entry['hours'] * 60 / share), 'day')} at your share" if share and (
                entry["hours"] * 60 > share
            ) else ""  # fmt: skip
            lines += _entry(console, "", entry["title"], entry["id"], f"about {entry['hours']:g} h{days}")
        print_lines(console, lines)


def review_view(console: Console, data: dict[str, Any], every: bool) -> None:
    """`aipm review`: what is due (or every item in the schedule) with its module and due date."""

    if not data["on"]:
        console.print("Spaced review is off (`aipm review --on` turns it on).")
        return
    if not data["due"]:
        if data["scheduled"]:
            from aipm_cli.wording import count

            scheduled = count(data["scheduled"], "finished item")
            console.print(f"Nothing to review today; {scheduled} in the schedule (see --all).")
        else:
            console.print("Nothing to review yet: finished topics, courses and resources come back here.")
        return
    what = "In the schedule" if every else "Due for review"
    console.print(f"{what} ({len(data['due'])}); rate each with `aipm review ITEM again|hard|good|easy`:")
    lines: list[Text] = []
    for entry in data["due"]:
        lines += _entry(console, "● " if entry["is_due"] else "○ ", entry["title"], entry["id"],
                        f"{entry['module_title']} · due {entry['due_on']}")  # fmt: skip
    print_lines(console, lines)


def _entry(console: Console, mark: str, title: str, ident: str, detail: str = "") -> list[Text]:
    """'  ● Title  id' wrapped between words under the title (an id never breaks), then the detail
    (dim) on its own lines at the same indent: readable at 60 columns."""
    from aipm_cli.render.entries import entry_lines

    lines = entry_lines(console, 4, None, title, ident)
    first = Text("  " + mark)
    first.append_text(lines[0][4:])
    out = [first, *lines[1:]]
    if detail:
        out += [
            Text("    ") + part for part in Text(clean(detail), style="dim").wrap(console, max(10, console.width - 4))
        ]
    return out


def overview_view(console: Console, data: dict[str, Any]) -> None:
    """`aipm study`: the running sessions, this week day by day against the goal, the items most studied."""
    from aipm_cli.record.changes import MAX_SESSION_MINUTES
    from aipm_cli.render.safe import text as safe
    from aipm_cli.study import spent_text as _spent
    from aipm_cli.wording import count as counted

    if data["running"]:
        for run in data["running"]:
            where = "" if run["this_machine"] else f" (on {run['device']})"
            line = Text("Studying ")
            line.append_text(safe(f"{run['title']} ({run['item']})"))
            if run["minutes"] > MAX_SESSION_MINUTES:  # more than a session can be: the clock's time is refused
                line.append(f" for {_spent(run['minutes'])}{where}, more than a day; "
                            "`aipm study stop --spent TIME` records the time you really studied.")  # fmt: skip
            else:
                line.append(f" for {_spent(run['minutes'])}{where}; `aipm study stop` ends it.")
            console.print(line)
    else:
        console.print("No study session is running.")
    week = data["week"]
    goal = data["goal_minutes"]
    console.print(
        f"This week ({week['from']} to {week['to']}, {data['timezone']}): {_spent(week['minutes'])} "
        f"of your {_spent(goal)} goal."
    )
    for day in week["days"]:
        minutes = day["minutes"]
        bar = "█" * min(40, round(minutes / 15))
        console.print(f"  {day['day']}  {_spent(minutes) if minutes else '-':>7}  {bar}")
    if data["items"]:
        console.print(f"All time: {_spent(data['total_minutes'])} in {counted(data['sessions'], 'session')}; most on:")
        for item in data["items"][:5]:
            line = Text(f"  {_spent(item['minutes']):>7}  ")
            line.append_text(safe(f"{item['title']} ({item['id']})"))
            console.print(line)
