"""`aipm study` (start, stop, add, import): study time as changes in the learner's log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from aipm_cli.cli.options import JsonOpt, option_value

study_app = typer.Typer(
    name="study",
    short_help="Study time: start and stop sessions, add time, import it, see this week's.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ItemArg = Annotated[
    str, typer.Argument(metavar="ITEM", help="Item or deliverable: id, alias, id prefix or title.", show_default=False)
]


def _spent(minutes: int) -> str:
    from aipm_cli.study import spent_text

    return spent_text(minutes)


@study_app.callback()
def study(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Your running study session and this week's study time.

    Time is recorded as changes in your log: it syncs, merges and undoes like
    the rest. Days and weeks are in your time zone (the `timezone` setting,
    else the system's).
    """
    if ctx.invoked_subcommand is not None:
        return
    from aipm_cli.cli import study_session

    study_session.overview(ctx.obj, json=json)


@study_app.command("start")
def study_start(ctx: typer.Context, item: ItemArg) -> None:
    """Start a study session on an item (it runs until `aipm study stop`, across restarts)."""
    from aipm_cli.cli import study_session

    study_session.start(ctx.obj, item)


@study_app.command("stop")
def study_stop(
    ctx: typer.Context,
    item: Annotated[
        str | None,
        typer.Argument(metavar="[ITEM]", help="The item whose session to stop (when several run).", show_default=False),
    ] = None,
    spent: Annotated[
        str | None,
        typer.Option("--spent", metavar="TIME", help="The time you really studied (e.g. 45m), not the clock's."),
    ] = None,
) -> None:
    """Stop the running study session and record its time."""
    from aipm_cli.cli import study_session
    from aipm_cli.cli.options import usage_errors

    with usage_errors():
        study_session.stop(ctx.obj, item, spent)


@study_app.command("add")
def study_add(
    ctx: typer.Context,
    item: ItemArg,
    time: Annotated[str, typer.Argument(metavar="TIME", help="How long: 1h30m, 90m, 2h, 1.5h.", show_default=False)],
    on: Annotated[str | None, typer.Option("--on", metavar="DATE", help="The day you studied (default today).")] = None,
) -> None:
    """Add time studied away from the terminal."""
    from aipm_cli import study as core
    from aipm_cli.dates import parse_date

    app = ctx.obj
    minutes = option_value("TIME", core.parse_spent, time)
    today = core.local_today(app.learner)
    day = option_value("--on", parse_date, on, today) if on is not None else None
    added = core.add(app.learner, item, minutes, day)
    app.say_plain(
        f"✓ Added {_spent(added['minutes'])} on {added['item']} on {added['on']} (`aipm undo` takes it back)."
    )


@study_app.command("import")
def study_import(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A `timew export` file or Watson's frames file.", show_default=False)
    ],
    json: JsonOpt = False,
) -> None:
    """Import study time from Timewarrior or Watson.

    An interval counts for the item its tag (or Watson project) names by id or
    alias. Intervals that name no item, or several, are listed and left out;
    nothing is guessed. Importing the same file again adds nothing; `aipm
    undo` takes the whole import back.
    """
    from aipm_cli import study_import
    from aipm_cli.render.safe import clean

    app = ctx.obj
    result = study_import.import_time(app.learner, file)
    if json:
        app.emit_json(result)
        return
    tool = {"timewarrior": "Timewarrior", "watson": "Watson"}[result["tool"]]
    if result["added"]:
        app.say_plain(
            f"✓ Imported {result['added']} {tool} session{'s' if result['added'] != 1 else ''} "
            f"({_spent(result['minutes_added'])}); `aipm undo` takes the import back."
        )
    elif result["matched"]:
        matched = result["matched"]
        held = "the one matching interval is" if matched == 1 else f"the {matched} matching intervals are"
        app.say_plain(f"Nothing new: {held} already imported from {tool}.")
    elif result["over_a_day"]:
        app.say_plain(f"Nothing was imported from {tool}: each matching interval would make its day over 24 hours.")
    else:
        app.say_plain(f"No {tool} interval names an item (by its id or alias as a tag); nothing was imported.")
    if result["unmatched"]:
        app.say_plain(f"Left out {len(result['unmatched'])} interval{'s' if len(result['unmatched']) != 1 else ''}:")
        for entry in result["unmatched"][:50]:
            sys.stdout.write(clean(f"  {entry['start']}  {entry['label'][:60]}: {entry['reason']}") + "\n")
        if len(result["unmatched"]) > 50:
            app.say_plain(f"  and {len(result['unmatched']) - 50} more (see --json).")


def review(
    ctx: typer.Context,
    item: Annotated[
        str | None,
        typer.Argument(metavar="[ITEM]", help="A finished item you just reviewed.", show_default=False),
    ] = None,
    rating: Annotated[
        str | None,
        typer.Argument(
            metavar="[RATING]", help="How well you recalled it: again, hard, good or easy.", show_default=False
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every item in the schedule, not only those due.")] = False,
    off: Annotated[bool, typer.Option("--off", help="Turn spaced review off (the `review` setting).")] = False,
    on: Annotated[bool, typer.Option("--on", help="Turn spaced review back on.")] = False,
    json: JsonOpt = False,
) -> None:
    """Spaced review: what to revisit today, and how well you recalled it.

    Finished topics, courses and resources come back for review on dates the
    FSRS scheduler derives from your ratings (and any other finished item once
    you rate it). The log keeps the ratings, never the dates.
    """
    from aipm_cli import review as core
    from aipm_cli.cli.options import usage_error

    app = ctx.obj
    if off or on:
        if off and on or item is not None:
            raise usage_error("--on and --off take nothing else.")
        app.learner.config.set("review", "off" if off else "on")
        app.say_plain("Spaced review is off; your ratings stay in the log." if off else "Spaced review is on.")
        return
    if item is not None:
        if rating is None:
            raise usage_error("Give how well you recalled it: again, hard, good or easy.", None)
        option_value("RATING", _rating, rating)
        done = core.rate(app.learner, item, rating)
        if json:
            app.emit_json(done)
            return
        due = f"; next review {done['due_on']}" if done["due"] else ""
        app.say_plain(f"✓ Reviewed {done['title']} ({done['item']}): {done['rating']}{due}.")
        return
    from aipm_cli.cli import reading

    reading.review(app, every=every, json=json)


def _rating(text: str) -> str:
    from aipm_cli.errors import InputError
    from aipm_cli.review import RATINGS

    if text.strip().lower() not in RATINGS:
        raise InputError(f"'{text[:40]}' is not a rating: use again, hard, good or easy.")
    return text


def today(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Your day: the running session, reviews due, in progress, what fits today.

    What fits is today's share (a seventh) of your weekly hours; this week's
    time is shown against your goal. Days are in your time zone.
    """
    from aipm_cli.cli import reading

    reading.today(ctx.obj, json=json)


def register(app: typer.Typer) -> None:
    app.command("today")(today)
    app.add_typer(study_app, name="study")
    app.command("review")(review)
