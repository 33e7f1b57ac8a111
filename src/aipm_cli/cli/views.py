"""Commands that show where the learner stands: status, list, show, next, log."""

from typing import Annotated

import typer

from aipm_cli.cli import reading
from aipm_cli.cli.options import JsonOpt, usage_errors


def status(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Dashboard: progress, next up, forecast.

    Overall and per-phase progress, what is in progress, what comes next, a
    finish forecast and your weekly consistency.
    """
    with usage_errors():
        reading.status(ctx.obj, json=json)


def list_items(
    ctx: typer.Context,
    phase: Annotated[
        str | None, typer.Option("--phase", "-p", metavar="PHASE", help="Only this phase (id, prefix or title).")
    ] = None,
    module: Annotated[
        str | None, typer.Option("--module", "-m", metavar="MODULE", help="Only this module (id, prefix or title).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            "-k",
            metavar="KIND",
            help="Only this kind: course, resource, topic, exercise, project, certification, community, practice.",
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", "-s", metavar="STATUS", help="Only this status: not_started, in_progress, done, skipped."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """The roadmap as a tree with status marks.

    Filters combine: --phase, --module, --kind, --status.
    """
    with usage_errors():
        reading.list_items(ctx.obj, phase=phase, module=module, kind=kind, status=status, json=json)


def show(
    ctx: typer.Context,
    item: Annotated[
        str,
        typer.Argument(
            metavar="ITEM",
            help="Item, deliverable, module or phase: id, alias, id prefix or title.",
            show_default=False,
        ),
    ],
    json: JsonOpt = False,
) -> None:
    """One item in full, with its history.

    Details, requirements, status and dates, notes, evidence, deliverables
    and links. A module or phase shows its items.
    """
    with usage_errors():
        reading.show(ctx.obj, item, json=json)


def next_up(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", "--count", metavar="N", min=1, help="How many items to show.")] = 5,
    json: JsonOpt = False,
) -> None:
    """What to do next.

    Items not done or skipped whose prerequisites are done: in-progress
    items first, then the first open item of each phase in turn (then the
    second...); ongoing habits and communities last.
    """
    with usage_errors():
        reading.next_up(ctx.obj, count=count, json=json)


def log(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only changes for this date or later.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Only changes for this date or earlier.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", metavar="N", min=1, help="At most this many changes.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """The history of changes, newest first.

    --since and --until filter by the date a change is for (its --on date).
    """
    with usage_errors():
        reading.log(ctx.obj, since=since, until=until, limit=limit, json=json)


def register(app: typer.Typer) -> None:

    app.command("status")(status)
    app.command("list")(list_items)
    app.command("show")(show)
    app.command("next")(next_up)
    app.command("log")(log)
