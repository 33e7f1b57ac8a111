"""`aipm cohort report`: one report across many learners, for instructors and mentors."""

from pathlib import Path
from typing import Annotated

import typer

from aipm_cli.cli.options import option_value, usage_error, usage_errors
from aipm_cli.cli.reading import report_format

FORMATS = ("text", "md", "html", "csv", "json")
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}
RENDERERS = {
    "md": "aipm_cli.render.cohort_markdown",
    "html": "aipm_cli.render.cohort_html",
    "csv": "aipm_cli.render.cohort_csv",
    "json": "aipm_cli.render.cohort_json",
    "text": "aipm_cli.render.cohort_terminal",
}

cohort = typer.Typer(
    name="cohort",
    help="Reports across many learners (for instructors and mentors).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@cohort.command("report")
def report(
    ctx: typer.Context,
    sources: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="SOURCE...",
            help="JSON exports, folders of exports, aipm data directories (e.g. a sync repository's clone).",
            show_default=False,
        ),
    ] = None,
    roadmap: Annotated[
        str | None,
        typer.Option("--roadmap", "-r", metavar="ID|PATH", help="The roadmap to report on (default: the one in use)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="The cohort as things stood at the end of this date.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="text, md, html, csv or json (default: from the -o file's extension, else text).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
    stuck_weeks: Annotated[
        int, typer.Option("--stuck-weeks", metavar="N", min=1, max=520, help="In progress longer than this is stuck.")
    ] = 4,
    inactive_days: Annotated[
        int,
        typer.Option(
            "--inactive-days", metavar="N", min=1, max=3650, help="No change for longer than this is inactive."
        ),
    ] = 14,
    with_notes: Annotated[
        bool, typer.Option("--with-notes", help="Include learners' notes (private by default).")
    ] = False,
    by: Annotated[
        str, typer.Option("--by", metavar="learner|item", help="CSV rows: one per learner, or per learner and item.")
    ] = "learner",
    lrs: Annotated[
        str | None,
        typer.Option(
            "--lrs",
            metavar="URL",
            help="Also read the learners from this Learning Record Store (credentials from AIPM_LRS_USER and"
            " AIPM_LRS_SECRET; see `aipm lrs pull`).",
        ),
    ] = None,
) -> None:
    """One report across a cohort of learners.

    Reads learners' JSON exports and aipm data directories (never writing to
    them), and with --lrs the statements aipm wrote to a Learning Record
    Store; a learner found in several sources is counted once. Sources that
    cannot be read are named, and the exit code is then 1.
    """
    from importlib import import_module

    from aipm_cli import catalog
    from aipm_cli.cohort import Options, build
    from aipm_cli.dates import parse_date
    from aipm_cli.errors import ExitCode

    app = ctx.obj
    with usage_errors():
        fmt = report_format(
            fmt, output, FORMATS, EXTENSIONS, "text", "cohort report", {"txt": "text", "terminal": "text"}
        )
    by = by.strip().lower()
    if by not in ("learner", "item"):
        raise usage_error(f"'{by}' is not a choice; use learner or item.", "--by")
    if by == "item" and fmt != "csv":
        raise usage_error("--by item is for the CSV format; add --format csv.", "--by")
    day = option_value("--as-of", parse_date, as_of, app.learner.today(), what="date") if as_of else None
    sources = list(sources or [])
    if not sources and lrs is None:
        raise usage_error("Give the sources to read (exports, folders, data directories), or --lrs URL.")
    if lrs is not None:
        from aipm_cli.cli.lrs import _say_set_aside, pull_into_index

        pulled = pull_into_index(app, lrs)
        _say_set_aside(app, pulled)
        sources.append(pulled.index)

    spec = roadmap or app.learner.roadmap_spec
    path = catalog.find(spec, app.layout.roadmaps, app.layout.cache)
    # A source may be this data directory itself: then not even the roadmap cache is written.
    home = app.layout.root.resolve()
    inside = any(home == s.resolve() or home in s.resolve().parents for s in sources if s.exists())
    chosen = catalog.parse_roadmap_text(
        catalog.read_roadmap_bytes(path), str(path), cache_dir=None if inside else app.layout.cache
    )
    options = Options(
        today=app.learner.today(),
        as_of=day,
        hours_per_week=app.learner.hours_per_week(),
        stuck_weeks=stuck_weeks,
        inactive_days=inactive_days,
        with_notes=with_notes,
        items=by == "item",
    )
    from aipm_cli.cli.longwork import long_work

    with long_work(fmt == "json" and output is None) as progress:
        summary = build(chosen, sources, options, app.learner.now(), progress=progress)
    module = import_module(RENDERERS[fmt])
    if fmt == "text" and output is None:
        app.show(module.view, summary)
    else:
        text = module.render(summary, by=by) if fmt == "csv" else module.render(summary)
        if output is None:
            app.write_report(text, fmt)
        else:
            app.write_file(output, text.encode("utf-8"), "-o", fmt)
            from rich.markup import escape

            from aipm_cli.wording import count

            learners = count(len(summary.learners), "learner")
            app.say(f"[green]✓[/] Wrote the cohort report ({learners}) to {escape(str(output))}.")
    for bad in summary.unreadable:
        app.say_plain(f"Could not read {bad.source}: {bad.reason.rstrip('.')}.")
    if summary.unreadable:
        raise typer.Exit(ExitCode.ERROR)


def register(app: typer.Typer) -> None:
    app.add_typer(cohort)
