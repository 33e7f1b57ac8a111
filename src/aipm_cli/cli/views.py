"""Commands that show where the learner stands: status, list, show, next, log."""

from typing import TYPE_CHECKING, Annotated

import typer

from aipm_cli.cli.options import JsonOpt, option_value

if TYPE_CHECKING:
    from aipm_cli.plain import Roadmap


def status(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Dashboard: progress, next up, forecast.

    Overall and per-phase progress, what is in progress, what comes next, a
    finish forecast and your weekly consistency.
    """
    from aipm_cli.summary import to_data

    app = ctx.obj
    summary = app.learner.summary()
    if json:
        data = to_data(summary)
        data["active_weeks"] = summary.active_weeks
        app.emit_json(data)
        return
    from aipm_cli.render.terminal import status_view

    app.show(status_view, summary)
    if (app.layout.root / ".git").is_dir():  # synced with git: say what is not synced yet
        from aipm_cli.sync import unsynced_summary

        unsynced = unsynced_summary(app.layout.root)
        if unsynced:
            app.say_plain(unsynced)


def _phase_or_module(roadmap: "Roadmap", spec: str, kind: str) -> str:
    from aipm_cli.errors import InputError
    from aipm_cli.tracker import resolve
    from aipm_cli.wording import article

    target = resolve(roadmap.index, spec)
    if target.kind != kind:
        raise InputError(
            f"'{spec}' is {article(target.kind)}, not {article(kind)}.",
            f"Run `aipm roadmap show` to see the {kind} ids.",
        )
    return target.id


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    """A choice as typed (any case, '-' or ' ' for '_'); anything else is a usage error (exit 2)."""
    from aipm_cli.wording import article, either

    if value is None:
        return None
    normal = value.strip().lower().replace("-", "_").replace(" ", "_")
    if normal not in allowed:
        raise typer.BadParameter(
            f"'{value}' is not {article(what)}; use {either(list(allowed))}.", param_hint=f"'--{what}'"
        )
    return normal


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
    from aipm_cli.summary import to_data
    from aipm_cli.vocabulary import KINDS, STATUSES

    app = ctx.obj
    wanted_kind = _choice(kind, KINDS, "kind")
    wanted_status = _choice(status, STATUSES, "status")
    # Only these two filters need the roadmap itself (to resolve a prefix or title).
    phase_id = _phase_or_module(app.roadmap, phase, "phase") if phase else None
    module_id = _phase_or_module(app.roadmap, module, "module") if module else None
    selected = [
        r
        for r in app.learner.rows()
        if (phase_id is None or r.phase == phase_id)
        and (module_id is None or r.module == module_id)
        and (wanted_kind is None or r.kind == wanted_kind)
        and (wanted_status is None or r.status == wanted_status)
    ]
    if json:
        app.emit_json(to_data(selected))
        return
    if not selected:
        app.say("No items match these filters.")
        return
    from aipm_cli.render.terminal import rows_table

    app.show(rows_table, selected, tree=True, names=app.learner.names(), legend=True)


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
    app = ctx.obj
    target = app.learner.resolve(item)
    if target.kind in ("phase", "module"):
        group = app.learner.group(target)
        if json:
            app.emit_json(group)
            return
        from aipm_cli.render.terminal import group_view

        app.show(group_view, group, app.learner.names())
        return
    data = app.learner.item(target)
    if json:
        app.emit_json(data)
        return
    from aipm_cli.render.terminal import item_view

    app.show(item_view, data)


def next_up(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", "--count", metavar="N", min=1, help="How many items to show.")] = 5,
    json: JsonOpt = False,
) -> None:
    """What to do next.

    Items not done or skipped whose prerequisites are done: in-progress
    items first, then roadmap order.
    """
    from aipm_cli.summary import to_data

    app = ctx.obj
    selected = app.learner.upcoming(count)
    if json:
        app.emit_json(to_data(selected))
        return
    if not selected:
        app.say("Nothing to do next: everything is done, skipped or waiting for its prerequisites.")
        return
    from aipm_cli.render.terminal import rows_table

    app.show(rows_table, selected, tree=False, context=True)


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
    from aipm_cli.dates import parse_date

    app = ctx.obj
    start = option_value("--since", parse_date, since, app.today(), what="date") if since else None
    end = option_value("--until", parse_date, until, app.today(), allow_future=True, what="date") if until else None
    changes = app.learner.log(start, end, limit)
    # Streams: the first changes are out at once, however long the history.
    if json:
        app.emit_json_stream(changes)
        return
    from aipm_cli.render.terminal import log_view

    app.show_stream(log_view, changes)


def register(app: typer.Typer) -> None:

    app.command("status")(status)
    app.command("list")(list_items)
    app.command("show")(show)
    app.command("next")(next_up)
    app.command("log")(log)
