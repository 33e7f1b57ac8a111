"""`aipm skills`, `aipm assess`, `aipm plan`."""

from pathlib import Path
from typing import Annotated

import typer

from aipm_cli.cli.options import JsonOpt
from aipm_cli.vocabulary import LEVEL_HELP


def skills(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Your skill ratings and coverage.

    Per skill area: your latest self-rating, the change since your first,
    and how many of the items that build it are done.
    """
    from aipm_cli.skills import skills_view
    from aipm_cli.summary import to_data

    app = ctx.obj
    views = skills_view(app.roadmap, app.read_progress())
    if json:
        app.emit_json(to_data(views))
        return
    from aipm_cli.render.terminal import skills_view as render

    app.show(render, views)


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
    from aipm_cli.errors import InputError
    from aipm_cli.skills import find_skill, parse_level
    from aipm_cli.tracker import add_rating
    from aipm_cli.vocabulary import LEVELS

    app = ctx.obj
    if note is not None and not note.isascii():
        try:
            note.encode("utf-8")
        except UnicodeEncodeError:  # bytes that were not UTF-8 in the argument; the store is UTF-8 JSON
            raise InputError("The note is not valid UTF-8 text.", "Type it again in a UTF-8 terminal.") from None
    found = find_skill(app.roadmap, skill)
    value = parse_level(level)
    day = parse_date(on, app.today()) if on else app.today()
    with app.changing() as (_doc, progress):
        previous = progress.skills.get(found.id, [])
        before = previous[-1].level if previous else None
        add_rating(progress, found.id, value, day, app.now(), note)
    change = "" if before is None else f" (was {before})"
    app.say(f"[green]✓[/] {escape(found.title)}: {value} {LEVELS[value][0]}{change}.")


def plan(
    ctx: typer.Context,
    hours_per_week: Annotated[
        str | None,
        typer.Option("--hours-per-week", "-w", metavar="HOURS", help="Study hours a week (default: the setting, 8)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", metavar="DATE", help="First day of the plan (default today).")
    ] = None,
    ics: Annotated[
        Path | None, typer.Option("--ics", metavar="FILE", help="Also write the plan as a calendar file (.ics).")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """A dated study plan for what is left.

    --ics writes it as a calendar file for your calendar app.
    """
    from aipm_cli.config import parse_value
    from aipm_cli.dates import parse_date
    from aipm_cli.plan import make_plan, to_ics
    from aipm_cli.summary import to_data

    app = ctx.obj
    hours = parse_value("hours_per_week", hours_per_week) if hours_per_week is not None else app.hours_per_week()
    first = parse_date(start, app.today(), allow_future=True, what="start date") if start else app.today()
    schedule = make_plan(app.roadmap, app.read_progress(), first, hours)
    if ics is not None:
        app.write_file(ics, to_ics(schedule, app.roadmap, app.user, app.now()).encode(), "--ics")
    if json:
        data = to_data(schedule)
        app.emit_json(data)
    else:
        from aipm_cli.render.terminal import plan_view

        app.show(plan_view, schedule)
    if ics is not None:
        app.say(f"[green]✓[/] Wrote {len(schedule.items)} events to {ics}; import it into your calendar.")


def register(app: typer.Typer) -> None:

    app.command("skills")(skills)
    app.command("assess")(assess)
    app.command("plan")(plan)
