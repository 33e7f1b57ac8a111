"""`aipm export` and `aipm import`."""

from pathlib import Path
from typing import Annotated

import typer

from aipm_cli.cli import reading
from aipm_cli.cli.options import usage_error, usage_errors
from aipm_cli.render import formats


def export(
    ctx: typer.Context,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help=f"{formats.listed('export')} (xapi: statements for a Learning Record Store, JSON Lines)"
            " (default: from the -o file's extension, else md).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="The report as things stood at the end of this date.")
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Include the whole roadmap table (Markdown) and print it (HTML)."),
    ] = False,
    with_notes: Annotated[
        bool, typer.Option("--with-notes", help="xapi: include the text of your notes (left out by default).")
    ] = False,
    notes: Annotated[
        bool | None,
        typer.Option(
            "--notes/--no-notes",
            help="Include your notes, or leave them out of a report you share"
            " (default: the report_notes setting, else yes).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """A progress report (md, html, json, csv) or xAPI statements.

    Markdown, standalone HTML, JSON (re-importable with `aipm import`) or
    CSV; to stdout, or to a file with -o. `--format xapi` writes your
    changes as xAPI statements, one a line, for your school's Learning
    Record Store (see `aipm lrs push`). Notes may be private: --no-notes
    (or `aipm config report_notes no`) leaves them out; a JSON report
    without notes leaves the change log out too, so it is not a backup.
    """
    with usage_errors():
        reading.export(ctx.obj, fmt=fmt, output=output, as_of=as_of, full=full, with_notes=with_notes, notes=notes)


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A file written by `aipm export --format json`.", show_default=False)
    ],
    user: Annotated[
        str | None,
        typer.Option("--user", "-u", metavar="NAME", help="Import into this learner (default: the current one)."),
    ] = None,
    merge: Annotated[bool, typer.Option("--merge", help="Add the changes not here yet (the default).")] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Make the export's changes the whole progress on this roadmap: every other change is taken out"
            " of effect (nothing is deleted or moved; `aipm undo` brings it back).",
        ),
    ] = False,
    accept_destructive: Annotated[
        bool,
        typer.Option(
            "--accept-destructive",
            help="Take changes in the file that undo a lot at once (a replacing import, a forget, a reset of"
            " many items); without it they are listed and nothing is imported.",
        ),
    ] = False,
) -> None:
    """Restore progress from a JSON export.

    Adds the export's changes this learner does not have yet (by id):
    importing twice adds nothing, and `aipm undo` undoes the whole import.
    Changes in the file that undo a lot at once (another machine's
    `import --replace`, a forget, a reset of many items) are listed first
    and need --accept-destructive.
    """

    from aipm_cli.wording import count

    app = ctx.obj
    if merge and replace:
        raise usage_error("--merge and --replace cannot be used together; choose one.")
    from aipm_cli import importing
    from aipm_cli.cli.longwork import long_work

    with long_work() as progress:
        done = importing.import_file(
            app.learner, file, user=user, replace=replace, accept_destructive=accept_destructive, progress=progress
        )
    added, name, roadmap_id, total = done.added, done.user, done.roadmap_id, done.total
    if replace:  # a replacing import is always one undoable change, even when no change in it was new
        app.say(
            f"[green]✓[/] Replaced {name}'s progress ({roadmap_id}) with the {count(total, 'change')} in {file.name}"
            " (`aipm undo` takes it back)."
        )
        return
    if total == 0:
        app.say(f"{file.name} holds no changes: nothing was imported.")
        return
    if added == 0:
        held = "the one change" if total == 1 else f"all {total} changes"
        app.say(f"Nothing new: {name} already has {held} of {file.name}.")
        return
    if not done.undoable:
        app.say(
            f"[green]✓[/] Imported {count(added, 'record')} of other machines' imports into {name} ({roadmap_id}): "
            "no progress was new."
        )
        return
    app.say(f"[green]✓[/] Imported {count(added, 'change')} into {name} ({roadmap_id}); `aipm undo` undoes the import.")


def register(app: typer.Typer) -> None:

    app.command("export")(export)
    app.command("import")(import_)
