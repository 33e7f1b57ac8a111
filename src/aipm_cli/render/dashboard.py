"""`aipm status`: the dashboard (progress, phases, next up, forecast, consistency, study time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.padding import Padding
from rich.text import Text

from aipm_cli.render.entries import bar, fit, heading, mark
from aipm_cli.render.lists import rows_table
from aipm_cli.render.safe import clean
from aipm_cli.render.study_views import study_lines
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from rich.console import Console

    from aipm_cli.view_data import Forecast, Row, Summary

IN_PROGRESS_SHOWN = 5


def forecast_lines(f: Forecast) -> list[str]:
    from aipm_cli.estimate import forecast_lines as lines

    return lines(f)


def status_view(console: Console, s: Summary) -> None:
    width = console.width
    title = Text(clean(s.roadmap["title"]), style="bold")
    title.append(clean(f"  v{s.roadmap['version']}  ·  {s.user}"), style="dim")
    console.print(title)
    c = s.counts
    figures = f"{s.percent:5.1f}%  {c.done}/{c.total - c.skipped} done"
    bar_width = max(10, width - len(figures) - 1)
    line = bar(s.percent, bar_width)
    line.append(" " + figures)
    console.print(line)
    # One counting rule for every figure: units (an item, or each deliverable of a project), so they add up.
    detail = f"{c.in_progress} in progress · {c.not_started} not started · {c.skipped} skipped"
    detail += f", of {counted(c.total, 'unit')}"
    console.print(Text(detail, style="dim"))

    console.print()
    console.print(heading("Phases"))
    phase_bar = max(6, min(20, width // 5))
    figures_width = 13  # " 100%  12/345"
    longest = max(len(clean(p.title)) for p in s.phases)
    title_width = max(12, min(longest, width - 2 - phase_bar - figures_width - 1))
    for p in s.phases:
        pc = p.counts
        line = Text("  " + fit(clean(p.title), title_width).ljust(title_width) + " ")
        if pc.total and pc.skipped == pc.total:
            line.append("skipped", style="dim")
        else:
            line.append_text(bar(p.percent, phase_bar))
            line.append(f"{p.percent:5.0f}%  {pc.done}/{pc.total - pc.skipped}")
        console.print(line, no_wrap=True, overflow="ellipsis")

    if s.in_progress:
        console.print()
        console.print(heading("In progress"))
        _item_lines(console, s.in_progress[:IN_PROGRESS_SHOWN])
        hidden = len(s.in_progress) - IN_PROGRESS_SHOWN
        if hidden > 0:
            console.print(Text(f"  and {hidden} more: aipm list --status in_progress", style="dim"))
    console.print()
    console.print(heading("Next up"))
    if s.next:
        _item_lines(console, s.next)
    else:
        console.print("  Nothing is waiting: every item left needs something in progress first.")
    if c.done == 0 and c.in_progress == 0 and s.next:
        console.print(Text(f"  Start here: aipm start {s.next[0].id}", style="bold"))

    console.print()
    console.print(heading("Forecast (aipm's estimate)"))
    for text in forecast_lines(s.forecast):
        console.print(Padding(Text(text), (0, 0, 0, 2)))

    console.print()
    weeks = Text(f"  {len(s.weeks)} weeks ago ", style="dim")
    for w in s.weeks:
        weeks.append("■ " if w["active"] else "□ ", style="green" if w["active"] else "dim")
    weeks.append("this week", style="dim")
    weeks.append(f" · active in {s.active_weeks} of {len(s.weeks)}")
    console.print(heading("Consistency"))
    console.print(weeks)
    study_lines(console, s.study, s.phases)

    if s.certifications:
        console.print()
        console.print(heading("Certifications"))
        for cert in s.certifications:
            parts = [f"earned {cert.earned_on.isoformat()}" if cert.earned_on else "earned"]
            if cert.expires_on:
                parts.append(("expired " if cert.expired else "expires ") + cert.expires_on.isoformat())
            line = Text("  ")
            line.append_text(mark("done"))
            line.append(f" {clean(cert.title)} ({', '.join(parts)})")
            console.print(line)
    if s.orphan_count:
        console.print()
        count = s.orphan_count
        what = "1 entry with progress is" if count == 1 else f"{count:,} entries with progress are"
        names = ", ".join(s.orphans[:5]) + (f" and {count - 5:,} more" if count > 5 else "")
        console.print(
            Text(
                f"{what} not in this roadmap version (kept, not counted): {clean(names)}. See `aipm doctor`.",
                style="yellow",
            )
        )


def _item_lines(console: Console, rows: list[Row]) -> None:
    rows_table(console, rows, tree=False, indent=2, context=True)
