"""The cohort report in the terminal: rich renderables, every learner's text shown as text.

Names, titles, notes and paths come from files other people wrote: they are
put in `Text` objects (rich markup is never read in them) with control and
bidi characters shown escaped (render.safe's rule), so nothing in a learner's
file can move the cursor, change colours, reorder or hide a line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from aipm_cli.cohort.digest import digest_rows
from aipm_cli.cohort.model import CAP_ATTENTION, CAP_EVIDENCE, CAP_NAMES, CAP_NOTES, capped
from aipm_cli.estimate import month_span
from aipm_cli.render.safe import clean
from aipm_cli.view_data import WEEKS_SHOWN
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from rich.console import Console

    from aipm_cli.cohort.model import CohortSummary, ItemFlow, ItemLearners, LearnerSummary

SHOWN = 5  # items listed in "where learners get stuck" and "skipped most"


def safe(value: object) -> str:
    """Text from a file for one line of a table: render.safe.clean, and line breaks and tabs as spaces."""
    return clean(value).replace("\n", " ").replace("\t", " ")


def text(value: object, style: str = "") -> Text:
    return Text(safe(value), style=style)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def studied(learner: LearnerSummary) -> str:
    """Study time, compactly: '12h30m (45m)' is 12 hours 30 in all, 45 minutes this week; '–' none."""
    from aipm_cli.study import spent_text

    if not learner.minutes_studied:
        return "–"
    return f"{spent_text(learner.minutes_studied)} ({spent_text(learner.minutes_this_week)})"


def studying(s: CohortSummary) -> bool:
    """Whether anyone listed logged study time (the study column is shown only then)."""
    return any(x.minutes_studied for x in s.learners)


def flags(learner: LearnerSummary) -> str:
    out = [f.rule for f in learner.flags]
    if learner.percentile_band:
        out.append(learner.percentile_band)
    if learner.stuck and "stuck" not in out:
        out.append(f"stuck {len(learner.stuck)}")
    if learner.inactive:
        out.append("idle" if learner.days_inactive is None else f"idle {learner.days_inactive}d")
    if learner.other_version:
        out.append(f"v{learner.roadmap_version}")
    if learner.same_name():
        out.append("two learners?")
    return ", ".join(out)


def _heading(title: str) -> Text:
    return Text(title, style="bold")


def _table(*columns: tuple[str, str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1), header_style="bold")
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    return table


def view(console: Console, s: CohortSummary) -> None:
    g = s.glance
    o = s.options
    title = Text("Cohort report", style="bold")
    title.append(
        f"  {safe(s.roadmap['title'])} v{safe(s.roadmap['version'])}  ·  as of {s.as_of.isoformat()}", style="dim"
    )
    console.print(title)
    _top(console, s)
    if not g.learners:
        console.print("No learners on this roadmap in the sources.")
    else:
        line = f"{g.learners} learner{'s' if g.learners != 1 else ''} · median {pct(g.median)} done"
        line += f" (lowest {pct(g.lowest)}, highest {pct(g.highest)}"
        if g.quartiles:
            line += f", middle half {g.quartiles[0]:.1f}–{g.quartiles[1]:.1f}%"
        line += ")"
        console.print(Text(line))
        console.print(
            Text(
                f"{g.active_lately} active in the last 7 days"
                f" · {g.inactive} idle over {counted(o.inactive_days, 'day')}"
                f" · {g.stuck} stuck over {counted(o.stuck_weeks, 'week')} · {g.at_risk} at risk",
                style="dim",
            )
        )
        if g.percentiles:
            console.print(
                Text(f"Bottom 15%: {g.percentiles[0]:.1f}% done or less · top 15%: {g.percentiles[1]:.1f}% or more",
                     style="dim")
            )  # fmt: skip
        console.print()
        _attention(console, s)
        _dropoff(console, s)
        console.print(_heading("Learners by percent done"))
        peak = max(n for _, n in g.bands) or 1
        for band, n in g.bands:
            row = Text(f"  {band:>8} ")
            if n:
                row.append("█" * max(1, round(n / peak * 30)) + " ", style="green")
            row.append(str(n))
            console.print(row)

        console.print()
        shown = "" if len(s.learners) == s.shown_of else f" ({len(s.learners)} of {s.shown_of}: {', '.join(o.filters)})"
        console.print(_heading("Learners" + shown))
        if console.width < NARROW + (12 if studying(s) else 0):
            _learner_lines(console, s)
            console.print()
        else:
            _learner_table(console, s)
            console.print()

        console.print(_heading("Phases and modules"))
        table = _table(
            ("Phase / module", "left"), ("Median", "right"), ("Low", "right"), ("High", "right"), ("Done by", "right")
        )
        table.columns[0].overflow = "fold"
        for phase in s.phases:
            table.add_row(
                text(phase.title, "bold"), pct(phase.median), pct(phase.lowest), pct(phase.highest), str(phase.finished)
            )
            for module in phase.modules:
                table.add_row(
                    text("  " + safe(module.title), "dim"),
                    pct(module.median),
                    pct(module.lowest),
                    pct(module.highest),
                    str(module.finished),
                )
        console.print(table)
        console.print()

        console.print(_heading(f"Where learners get stuck (in progress over {counted(o.stuck_weeks, 'week')})"))
        _items(console, s.stuck, "Nobody is stuck.", o.full)
        console.print()
        console.print(_heading("Skipped most"))
        _items(console, s.skipped, "Nobody skipped anything.", o.full)

        console.print()
        console.print(_heading("Skill self-ratings (latest, 1–5)"))
        rated = [k for k in s.skills if k.rated]
        if not rated:
            console.print(Text("  Nobody has rated a skill yet.", style="dim"))
        for k in rated:
            row = Text("  ")
            row.append_text(text(k.title))
            row.append(f": median {k.median:g}, {k.lowest}–{k.highest}, rated by {k.rated}", style="dim")
            console.print(row)

        console.print()
        console.print(_heading("Evidence"))
        shared = [learner for learner in s.learners if learner.evidence]
        if not shared:
            console.print(Text("  No evidence yet.", style="dim"))
        for learner in shared:
            _line(console, text(learner.name, "bold"), 2)
            entries, more = capped(learner.evidence, CAP_EVIDENCE, o.full)
            for e in entries:
                row = text(e.title)
                row.append(": ")
                row.append_text(text(e.text))
                _line(console, row, 4)
            if more:
                _line(console, Text(f"and {more} more (--full lists every one)", style="dim"), 4)
        if o.with_notes:
            console.print()
            console.print(_heading("Notes"))
            noted = [learner for learner in s.learners if learner.notes]
            if not noted:
                console.print(Text("  No notes.", style="dim"))
            for learner in noted:
                _line(console, text(learner.name, "bold"), 2)
                kept, more = capped(learner.notes, CAP_NOTES, o.full)
                if more:
                    _line(console, Text(f"and {more} more (--full lists every one)", style="dim"), 4)
                for note in kept:
                    row = Text(f"{note.on.isoformat()} ")
                    row.append_text(text(note.title))
                    row.append(": ")
                    row.append_text(text(note.text))
                    _line(console, row, 4)

    if s.elsewhere:
        console.print()
        console.print(_heading("On other roadmaps (not counted)"))
        for other in s.elsewhere:
            row = Text()
            row.append_text(text(other.name))
            row.append(" on ")
            row.append_text(text(other.roadmap))
            row.append_text(text(f"  ({', '.join(other.sources)})", "dim"))
            _line(console, row, 2)
    same = [learner.same_name() for learner in s.learners if learner.same_name()]
    if same:
        console.print()
        console.print(_heading("Two learners with one name?"))
        for flag in same:
            _line(console, text(flag), 2)
    if s.unreadable:
        console.print()
        console.print(_heading("Could not read"))
        for bad in s.unreadable:
            row = text(bad.source)
            row.append(": ")
            row.append_text(text(bad.reason))
            _line(console, row, 2)


def reached(s: CohortSummary) -> tuple[list[ItemFlow], int]:
    """The drop-off rows to show: items someone reached (every item with --full), and how many are left out."""
    if s.options.full:
        return s.dropoff, 0
    shown = [f for f in s.dropoff if f.reached]
    return shown, len(s.dropoff) - len(shown)


def _top(console: Console, s: CohortSummary) -> None:
    """What could not be read (listed at the end) and what the index saw, before anything else."""
    if s.unreadable:
        console.print(
            Text(f"{counted(len(s.unreadable), 'source')} or lines could not be read:"
                 " listed under \"Could not read\" at the end.", style="yellow")
        )  # fmt: skip
    for notice in s.notices:
        _line(console, text(notice, "dim"), 0)
    if s.digest is not None:
        console.print()
        console.print(_heading(f"Since {s.digest.since.isoformat()}"))
        rows = digest_rows(s.digest, s.options.full)
        if not rows:
            console.print(Text("  Nothing changed.", style="dim"))
        for label, value in rows:
            row = Text(f"{label}: ", style="bold")
            row.append_text(text(value))
            _line(console, row, 2)


def _attention(console: Console, s: CohortSummary) -> None:
    """Who needs attention, and the rule behind each flag."""
    console.print(_heading(f"Needs attention ({len(s.attention)})"))
    if not s.attention:
        console.print(Text("  Nobody: no at-risk rule applies to anyone.", style="dim"))
    shown, more = capped(s.attention, CAP_ATTENTION, s.options.full)
    for learner in shown:
        row = text(learner.name, "bold")
        row.append(f"  {pct(learner.percent)}", style="dim")
        _line(console, row, 2)
        for f in learner.flags:
            row = Text(f"{f.rule}: ", style="yellow")
            row.append_text(text(f.seen))
            row.append(f" (rule: {f.rule_text})", style="dim")
            _line(console, row, 4)
    if more:
        console.print(Text(f"  and {more} more (--filter at-risk or --full lists every one)", style="dim"))
    console.print()


def _dropoff(console: Console, s: CohortSummary) -> None:
    """Each item in roadmap order: reached, finished, in progress (stalled), skipped, not reached."""
    console.print(_heading("Where the cohort drops off"))
    table = _table(("Item", "left"), ("Reached", "right"), ("✓", "right"), ("◐ (stalled)", "right"),
                   ("–", "right"), ("Not yet", "right"))  # fmt: skip
    table.columns[0].overflow = "fold"
    for column in table.columns[1:]:
        column.no_wrap = True
    flows, unreached = reached(s)
    for f in flows:
        table.add_row(text(f.title), str(f.reached), str(f.finished), f"{f.in_progress} ({f.stalled})",
                      str(f.skipped), str(f.not_started))  # fmt: skip
    console.print(table)
    if unreached:
        console.print(
            Text(f"  and {counted(unreached, 'item')} nobody has reached yet (--full lists every one)", style="dim")
        )
    console.print()


def _line(console: Console, line: Text, indent: int) -> None:
    """A line indented by `indent`, wrapped lines indented as far (long paths and links stay readable;
    a link longer than the line is never cut: print_beside)."""
    from aipm_cli.render.entries import print_beside

    if "://" in line.plain and print_beside(console, Text(" " * indent), line):
        return
    grid = Table.grid()
    grid.add_column(width=indent, no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("", line)
    console.print(grid)


def _items(console: Console, found: list[ItemLearners], empty: str, full: bool = False) -> None:
    if not found:
        console.print(Text(f"  {empty}", style="dim"))
        return
    for entry in found[:SHOWN]:
        row = Text(f"  {len(entry.learners):>3} ")
        row.append_text(text(entry.title))
        row.append_text(text(f"  {entry.id}", "dim"))
        console.print(row)
        names, more = capped(entry.learners, CAP_NAMES, full)
        _line(console, text(", ".join(names) + (f" and {more} more" if more else ""), "dim"), 6)
    if len(found) > SHOWN:
        console.print(Text(f"  and {len(found) - SHOWN} more (see --format json)", style="dim"))


def render(s: CohortSummary) -> str:
    """The terminal view as plain text at 80 columns (for -o FILE.txt)."""
    import io

    from rich.console import Console

    console = Console(width=80, color_system=None, highlight=False, record=True, file=io.StringIO())
    view(console, s)
    return "\n".join(line.rstrip() for line in console.export_text().split("\n"))


NARROW = 78  # below this many columns the learners are listed a line each, their flags under them


def _learner_table(console: Console, s: CohortSummary) -> None:
    table = _table(
        ("Learner", "left"),
        ("Done", "right"),
        ("✓/◐/–", "right"),
        ("Last", "left"),
        ("Wks", "right"),
        ("Pace", "right"),
        ("Finish", "left"),
        *([("Study (wk)", "right")] if studying(s) else []),
        ("Flags", "left"),
    )
    for column in table.columns[1:-1]:
        column.no_wrap = True
    table.columns[0].overflow = table.columns[-1].overflow = "fold"
    table.columns[0].min_width = 10
    for learner in s.learners:
        c = learner.counts
        table.add_row(
            text(learner.name),
            pct(learner.percent),
            f"{c.done}/{c.in_progress}/{c.skipped}",
            learner.last_activity.isoformat() if learner.last_activity else "never",
            f"{learner.active_weeks}/{WEEKS_SHOWN}",
            f"{learner.pace_hours_per_week:g}h" if learner.pace_hours_per_week is not None else "–",
            month_span(learner.pace_finish, short=True),
            *([studied(learner)] if studying(s) else []),
            text(flags(learner), "yellow"),
        )
    console.print(table)


def _learner_lines(console: Console, s: CohortSummary) -> None:
    """The learners on a narrow terminal: who, how far and when, then the flags on a line under them."""
    for learner in s.learners:
        c = learner.counts
        last = learner.last_activity.isoformat() if learner.last_activity else "never"
        line = text(learner.name)
        line.append(f"  {pct(learner.percent)}  {c.done}/{c.in_progress}/{c.skipped}  last {last}")
        if studying(s):
            line.append(f"  studied {studied(learner)}")
        console.print(line, overflow="fold")
        said = flags(learner)
        if said:
            console.print(Padding(text(said, "yellow"), (0, 0, 0, 4)))
