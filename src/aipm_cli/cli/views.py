"""Commands that show where the learner stands: status, list, show, next, log."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from aipm_cli.cli.options import JsonOpt

if TYPE_CHECKING:
    from aipm_cli.models import Roadmap, RoadmapProgress


def status(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Dashboard: progress, next up, forecast.

    Overall and per-phase progress, what is in progress, what comes next, a
    finish forecast and your weekly consistency.
    """
    from aipm_cli.summary import to_data

    app = ctx.obj
    summary = app.snapshot().summary
    if json:
        data = to_data(summary)
        data["active_weeks"] = summary.active_weeks
        app.emit_json(data)
        return
    from aipm_cli.render.terminal import status_view

    app.show(status_view, summary)


def _phase_or_module(roadmap: "Roadmap", spec: str, kind: str) -> str:
    from aipm_cli.errors import InputError
    from aipm_cli.tracker import resolve

    target = resolve(roadmap.index, spec)
    if target.kind != kind:
        raise InputError(
            f"'{spec}' is a {target.kind}, not a {kind}.", f"Run `aipm roadmap show` to see the {kind} ids."
        )
    return target.id


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    from aipm_cli.errors import InputError

    if value is None:
        return None
    normal = value.strip().lower().replace("-", "_").replace(" ", "_")
    if normal not in allowed:
        raise InputError(f"'{value}' is not a {what}.", f"Use one of: {', '.join(allowed)}.")
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
    snap = app.snapshot()
    selected = [
        r
        for r in snap.rows
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

    app.show(rows_table, selected, tree=True, names=snap.names)


def item_detail(roadmap: "Roadmap", progress: "RoadmapProgress", item_id: str) -> dict[str, Any]:
    """Everything `show` tells about one item or deliverable, as JSON-ready data."""
    from aipm_cli.progress import row
    from aipm_cli.summary import to_data
    from aipm_cli.tracker import record, status_of

    index = roadmap.index
    if item_id in index.deliverables:
        deliverable, project = index.deliverables[item_id]
        placed = index.items[project.id]
        base: dict[str, Any] = {
            "id": deliverable.id, "title": deliverable.title, "kind": "deliverable",
            "project": project.id, "priority": project.priority,
            "description": deliverable.description, "status": record(progress, item_id).status,
            "requires": [], "skills": [], "outcomes": [], "links": [],
        }  # fmt: skip
    else:
        placed = index.items[item_id]
        item = placed.item
        r = row(roadmap, progress, item_id)
        base = {
            "id": item.id, "title": item.title, "kind": item.kind, "priority": item.priority,
            "optional": item.optional, "provider": item.provider, "author": item.author, "url": item.url,
            "duration": item.duration, "description": item.description, "status": r.status,
            "requires": [
                {"id": q, "title": index.items[q].item.title, "status": status_of(index, progress, q)}
                for q in placed.requires
            ],
            "skills": [{"id": s, "title": index.skills[s].title} for s in item.skills if s in index.skills],
            "outcomes": list(item.outcomes),
            "links": [link.model_dump() for link in item.links],
            "deliverables": to_data(r.deliverables) if r.deliverables else [],
            "aliases": list(item.aliases),
        }  # fmt: skip
    rec = record(progress, item_id)
    base.update(
        phase=placed.phase.id,
        phase_title=placed.phase.title,
        module=placed.module.id,
        module_title=placed.module.title,
        started_on=rec.started_on,
        completed_on=rec.completed_on if base["status"] == "done" else None,
        skipped_on=rec.skipped_on,
        skip_reason=rec.skip_reason,
        notes=[n.model_dump(mode="json") for n in rec.notes],
        evidence=[{**e.model_dump(mode="json"), "is_link": e.is_link} for e in rec.evidence],
        certification=rec.certification.model_dump(mode="json") if rec.certification else None,
        history=[history_data(h) for h in progress.history if item_id in h.before or item_id in h.items],
    )
    if base["kind"] != "deliverable" and base["status"] == "done":
        base["completed_on"] = r.completed_on  # a project: its last deliverable's date when it has none
    return to_data(base)


def history_data(entry: Any) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude={"before", "after"}, exclude_none=True)
    data.setdefault("undone", False)
    return data


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
    from aipm_cli.progress import counts_for, rows
    from aipm_cli.summary import to_data
    from aipm_cli.tracker import items_of, resolve

    app = ctx.obj
    roadmap = app.roadmap
    progress = app.read_progress()
    target = resolve(roadmap.index, item)
    if target.kind in ("phase", "module"):
        items = items_of(roadmap.index, target)
        ids = {i.id for i in items}
        selected = [r for r in rows(roadmap, progress) if r.id in ids]
        counts = counts_for(roadmap, progress, items)
        if json:
            app.emit_json(
                {
                    "id": target.id,
                    "title": target.title,
                    "kind": target.kind,
                    "percent": counts.percent,
                    "counts": to_data(counts),
                    "items": to_data(selected),
                }  # fmt: skip
            )
            return
        from rich.text import Text

        from aipm_cli.render.safe import clean
        from aipm_cli.render.terminal import rows_table
        from aipm_cli.snapshot import names_of

        def view(console: Any) -> None:
            head = Text(clean(target.title), style="bold")
            head.append(clean(f"  {target.kind} {target.id} · {counts.percent:.0f}% done"), style="dim")
            console.print(head)
            rows_table(console, selected, tree=target.kind == "phase", names=names_of(roadmap))

        app.show(view)
        return
    data = item_detail(roadmap, progress, target.id)
    if json:
        app.emit_json(data)
        return
    from aipm_cli.render.terminal import item_view

    app.show(item_view, data)


def next_up(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", "--count", min=1, help="How many items to show.")] = 5,
    json: JsonOpt = False,
) -> None:
    """What to do next.

    Items not done or skipped whose prerequisites are done: in-progress
    items first, then roadmap order.
    """
    from aipm_cli.summary import to_data

    app = ctx.obj
    selected = app.snapshot().upcoming(count)
    if json:
        app.emit_json(to_data(selected))
        return
    if not selected:
        app.say("Nothing to do next: everything is done, skipped or waiting for its prerequisites.")
        return
    from aipm_cli.render.terminal import rows_table

    app.show(rows_table, selected, tree=False)


def log(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only changes on or after this date.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="At most this many changes.")] = None,
    json: JsonOpt = False,
) -> None:
    """The history of changes, newest first."""
    from aipm_cli.dates import parse_date

    app = ctx.obj
    progress = app.read_progress()
    start = parse_date(since, app.today(), what="date") if since else None
    entries = []
    for entry in reversed(progress.history):
        if start and entry.at.date() < start and entry.effective_date < start:
            continue
        entries.append(history_data(entry))
        if limit and len(entries) >= limit:
            break
    if json:
        app.emit_json(entries)
        return
    from aipm_cli.render.terminal import log_view

    app.show(log_view, entries)


def register(app: typer.Typer) -> None:

    app.command("status")(status)
    app.command("list")(list_items)
    app.command("show")(show)
    app.command("next")(next_up)
    app.command("log")(log)
