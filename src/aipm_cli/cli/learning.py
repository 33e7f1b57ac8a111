"""`aipm skills`, `aipm assess`, `aipm plan`."""

from pathlib import Path
from typing import Annotated

import typer

from aipm_cli.cli import reading
from aipm_cli.cli.options import JsonOpt, option_value, usage_errors
from aipm_cli.roadmap.vocabulary import LEVEL_HELP


def skills(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Also what each skill area covers, as its source says.")] = False,
    json: JsonOpt = False,
) -> None:
    """Your skill ratings and coverage.

    Per skill area: your latest self-rating, the change since your first,
    and how many of the items that build it are done.
    """
    with usage_errors():
        reading.skills(ctx.obj, full=full, json=json)


def assess(
    ctx: typer.Context,
    skill: Annotated[
        str,
        typer.Argument(metavar="SKILL", help="Skill: id, id prefix or title (see `aipm skills`).", show_default=False),
    ],
    level: Annotated[str, typer.Argument(metavar="LEVEL", help=f"1 to 5. {LEVEL_HELP}.", show_default=False)],
    note: Annotated[
        str | None, typer.Option("--note", "-m", metavar="TEXT", help="Why this level (kept with the rating).")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="The date of the rating (default today).")
    ] = None,
) -> None:
    """Rate yourself 1-5 on a skill area.

    Every rating is kept with its date.
    """
    from rich.markup import escape

    from aipm_cli.dates import parse_date
    from aipm_cli.roadmap.vocabulary import LEVELS
    from aipm_cli.skills import parse_level

    app = ctx.obj
    option_value("LEVEL", parse_level, level)  # a level that is not 1-5 is a usage error
    day = option_value("--on", parse_date, on, app.learner.today()) if on is not None else None
    app.learner_before_change()
    done = app.learner.assess(skill, level, day, note)
    app.new_learner_note()
    change = "" if done.before is None else f" (was {done.before})"
    app.say(f"[green]✓[/] {escape(done.title)}: {done.level} {LEVELS[done.level][0]}{change}.")
    if done.latest != done.level:  # a backdated rating: a later one stays the latest
        app.say(f"Kept a rating of {done.level} on {done.on.isoformat()}; your latest rating is still {done.latest}.")


def plan(
    ctx: typer.Context,
    hours_per_week: Annotated[
        str | None,
        typer.Option("--hours-per-week", "-w", metavar="HOURS", help="Study hours a week (default: the setting, 8)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", metavar="DATE", help="First day of the plan (default today; at most a year ago)."),
    ] = None,
    ics: Annotated[
        Path | None, typer.Option("--ics", metavar="FILE", help="Also write the plan as a calendar file (.ics).")
    ] = None,
    remind: Annotated[
        list[str] | None,
        typer.Option(
            "--remind", metavar="TIME", help="A reminder this long before each event (1d, 2h, 30m); repeatable."
        ),
    ] = None,
    blocks: Annotated[
        str | None,
        typer.Option(
            "--blocks",
            metavar="BLOCKS",
            help='Weekly study hours, e.g. "Tue,Thu 19:00-21:00; Sat 09:00-12:00": timed sessions in them.',
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", metavar="N", min=1, help="Show only the first N items (the totals stay whole)."),
    ] = None,
    reviews: Annotated[
        bool, typer.Option("--reviews", help="Also the reviews due (`aipm review`), as all-day events.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """A dated study plan for what is left.

    --ics writes it as a calendar file for your calendar app; export again
    after progress and re-import: changed events are updated, finished ones
    cancelled. --blocks studies in those weekly hours (their total is the
    weekly hours).
    """
    with usage_errors():
        reading.plan(
            ctx.obj, hours_per_week=hours_per_week, start=start, ics=ics, remind=remind, blocks=blocks, json=json,
            limit=limit, reviews=reviews,
        )  # fmt: skip


def register(app: typer.Typer) -> None:

    app.command("skills")(skills)
    app.command("assess")(assess)
    app.command("plan")(plan)
