"""`aipm export` and `aipm import`."""

from pathlib import Path
from typing import Annotated

import typer


def export(
    ctx: typer.Context,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="md, html, json or csv (default: from the -o file's extension, else md).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="The report as things stood at the end of this date.")
    ] = None,
) -> None:
    """A progress report (md, html, json, csv).

    Markdown, standalone HTML, JSON (re-importable with `aipm import`) or
    CSV; to stdout, or to a file with -o.
    """
    import sys

    from aipm_cli.dates import parse_date
    from aipm_cli.errors import InputError
    from aipm_cli.render.exporters import exporter
    from aipm_cli.report import EXTENSIONS, FORMATS, build

    app = ctx.obj
    if fmt is not None:
        fmt = fmt.strip().lower().lstrip(".")
        fmt = {"markdown": "md", "htm": "html"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise InputError(f"'{fmt}' is not a report format.", f"Use one of: {', '.join(FORMATS)}.")
    elif output is not None:
        fmt = EXTENSIONS.get(output.suffix.lower(), "md")
    else:
        fmt = "md"
    day = parse_date(as_of, app.today(), what="date") if as_of else None
    report = build(app.roadmap, app.read_progress(), app.user, app.today(), app.now(), app.hours_per_week(), as_of=day)
    text = exporter(fmt)(report)
    if output is None:
        sys.stdout.write(text)
        return
    app.write_file(output, text.encode("utf-8"), "-o")
    app.say(f"[green]✓[/] Wrote the {fmt} report to {output}.")


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A file written by `aipm export --format json`.", show_default=False)
    ],
    user: Annotated[
        str | None,
        typer.Option("--user", "-u", metavar="NAME", help="Import into this learner (default: the current one)."),
    ] = None,
    merge: Annotated[bool, typer.Option("--merge", help="Add what the store does not have yet.")] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace this roadmap's progress (the old store is backed up).")
    ] = False,
) -> None:
    """Restore progress from a JSON export.

    Lossless: use it to move machines or restore a backup.
    """
    from aipm_cli.errors import InputError
    from aipm_cli.models import HistoryEntry, RoadmapProgress
    from aipm_cli.paths import check_user_name
    from aipm_cli.report import merge as merge_progress
    from aipm_cli.report import read_export
    from aipm_cli.store import Store

    app = ctx.obj
    if merge and replace:
        raise InputError("Choose one of --merge and --replace.")
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"No file at {file}.") from None
    except OSError as exc:
        raise InputError(f"Cannot read {file}: {exc.strerror}.") from None
    imported = read_export(raw, str(file))
    name = check_user_name(user) if user else app.user
    store = Store(app.layout.store(name), name, now=app.now)
    with store.transaction(allow_shrink=replace) as doc:
        current = doc.roadmaps.get(imported.roadmap_id)
        has_progress = current is not None and (current.items or current.history or current.skills)
        if has_progress and not (merge or replace):
            raise InputError(
                f"{name} already has progress on {imported.roadmap_id}; nothing was imported.",
                "Run again with --merge (add what is missing) or --replace (the old store is backed up).",
            )
        if current is None or not has_progress or replace:
            target = imported.progress.model_copy(deep=True)
            items, changes = len(target.items), len(target.history)
            doc.roadmaps[imported.roadmap_id] = target
        else:
            target = current
            items, changes = merge_progress(target, imported.progress)
        target.history.append(
            HistoryEntry(
                seq=target.next_seq(),
                at=app.now(),
                action="import",
                note=f"{'replace' if replace else 'merge' if merge else 'import'} from {file.name}",
            )
        )
        assert isinstance(target, RoadmapProgress)
    app.say(f"[green]✓[/] Imported {items} item records and {changes} changes into {name} ({imported.roadmap_id}).")


def register(app: typer.Typer) -> None:

    app.command("export")(export)
    app.command("import")(import_)
