"""`aipm cohort report`: one report across many learners, for instructors and mentors."""

from pathlib import Path
from typing import Annotated

import typer

from aipm_cli.cli.options import option_value, usage_error, usage_errors
from aipm_cli.render import formats

# The at-risk rules' options, the same for `report` and `nudge`.
StuckWeeksOpt = Annotated[
    int, typer.Option("--stuck-weeks", metavar="N", min=1, max=520, help="In progress longer than this is stuck.")
]
InactiveDaysOpt = Annotated[
    int,
    typer.Option("--inactive-days", metavar="N", min=1, max=3650, help="No change for longer than this is inactive."),
]
RulesOpt = Annotated[
    str | None,
    typer.Option(
        "--rules",
        metavar="RULE,...",
        help="The at-risk rules in force: low-and-idle, behind, stuck, never-started (default: all).",
    ),
]
RiskUnderOpt = Annotated[
    float,
    typer.Option("--risk-under", metavar="PERCENT", min=0, max=100, help="low-and-idle: under this percent done."),
]
RiskIdleOpt = Annotated[
    int, typer.Option("--risk-idle", metavar="DAYS", min=1, max=3650, help="low-and-idle: inactive this many days.")
]
RiskBehindOpt = Annotated[
    float,
    typer.Option(
        "--risk-behind", metavar="WEEKS", min=0.1, max=520, help="behind: weeks behind the cohort's median pace."
    ),
]

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
            help=f"{formats.listed('cohort')} (default: from the -o file's extension, else text).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
    stuck_weeks: StuckWeeksOpt = 4,
    inactive_days: InactiveDaysOpt = 14,
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
            " AIPM_LRS_SECRET, or `aipm lrs login`; see `aipm lrs pull`).",
        ),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Fold every learner again, ignoring the cohort index (then rebuilt).")
    ] = False,
    sort: Annotated[
        str,
        typer.Option("--sort", metavar="ORDER", help="Learners' order: name, attention, percent or last-active."),
    ] = "name",
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="WHICH",
            help="List only these learners: at-risk, inactive, behind, stuck or phase:ID (repeatable: all of them).",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Every list in full (long lists are capped in the summary otherwise).")
    ] = False,
    rules: RulesOpt = None,
    risk_under: RiskUnderOpt = 25.0,
    risk_idle: RiskIdleOpt = 7,
    risk_behind: RiskBehindOpt = 2.0,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Lead with what changed since this date: who finished what, went quiet, recovered.",
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

    from aipm_cli.cohort import service
    from aipm_cli.dates import parse_date
    from aipm_cli.errors import ExitCode

    app = ctx.obj
    if output is not None and str(output) == "-":
        output = None  # `-o -` is stdout: the report is printed and no "Wrote" line follows
    with usage_errors():
        fmt = formats.choose("cohort", fmt, output)
        sort = service.sort_order(sort)
        wanted = service.filters(filters)
        chosen_rules = service.rules(rules, risk_under, risk_idle, risk_behind)
    by = by.strip().lower()
    if by not in ("learner", "item"):
        raise usage_error(f"'{by}' is not a choice; use learner or item.", "--by")
    if by == "item" and fmt != "csv":
        raise usage_error("--by item is for the CSV format; add --format csv.", "--by")
    today = app.learner.today()
    day = option_value("--as-of", parse_date, as_of, today, what="date") if as_of is not None else None
    earlier = option_value("--since", parse_date, since, today, what="date") if since is not None else None
    sources = list(sources or [])
    if not sources and lrs is None:
        raise usage_error("Give the sources to read (exports, folders, data directories), or --lrs URL.")
    if lrs is not None:
        from aipm_cli.cli.lrs import _say_set_aside, pull_into_index

        pulled = pull_into_index(app, lrs)
        _say_set_aside(app, pulled)
        sources.append(pulled.index)
    from aipm_cli.cli.longwork import long_work

    with usage_errors(), long_work(fmt == "json" and output is None) as progress:
        summary = service.summarize(
            app.learner, sources, roadmap, day, since=earlier, rebuild=rebuild, progress=progress,
            stuck_weeks=stuck_weeks, inactive_days=inactive_days, with_notes=with_notes, items=by == "item",
            at_risk=chosen_rules, sort=sort, wanted=wanted, full=full,
        )  # fmt: skip
    for notice in summary.notices:
        app.say_plain(f"Note: {notice}.")
    module = import_module(formats.renderer("cohort", fmt))
    if fmt == "text" and output is None:
        app.show(module.view, summary)
    elif fmt == "json":  # streamed: a large cohort's document is never whole in memory
        pieces = (piece.encode("utf-8", "surrogateescape") for piece in module.chunks(summary))
        app.write_file(output or Path("-"), pieces, "-o", fmt)
    else:
        text = module.render(summary, by=by) if fmt == "csv" else module.render(summary)
        if output is None:
            app.write_report(text, fmt)
        else:
            app.write_file(output, text.encode("utf-8"), "-o", fmt)
    if output is not None:
        from rich.markup import escape

        from aipm_cli.wording import count

        learners = count(len(summary.learners), "learner")
        app.say(f"[green]✓[/] Wrote the cohort report ({learners}) to {escape(str(output))}.")
    for bad in summary.unreadable:
        app.say_plain(f"Could not read {bad.source}: {bad.reason.rstrip('.')}.")
    if summary.unreadable:
        raise typer.Exit(ExitCode.ERROR)


@cohort.command("nudge")
def nudge(
    ctx: typer.Context,
    sources: Annotated[
        list[Path],
        typer.Argument(
            metavar="SOURCE...", help="JSON exports, folders of exports, aipm data directories.", show_default=False
        ),
    ],
    roadmap: Annotated[
        str | None,
        typer.Option("--roadmap", "-r", metavar="ID|PATH", help="The roadmap to report on (default: the one in use)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="The cohort as things stood at the end of this date.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="text (one draft after another) or json.")
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write the drafts to this file.")
    ] = None,
    stuck_weeks: StuckWeeksOpt = 4,
    inactive_days: InactiveDaysOpt = 14,
    rules: RulesOpt = None,
    risk_under: RiskUnderOpt = 25.0,
    risk_idle: RiskIdleOpt = 7,
    risk_behind: RiskBehindOpt = 2.0,
) -> None:
    """Draft one short message per learner who needs attention (never sent).

    Each draft says what the cohort report saw, with a mailto: link when the
    learner's export shares an email address. aipm sends nothing: copy the
    drafts, or open the links in your mail program.
    """
    from aipm_cli.cohort import service
    from aipm_cli.cohort.nudge import nudges
    from aipm_cli.dates import parse_date
    from aipm_cli.errors import ExitCode
    from aipm_cli.render.cohort_nudges import NUDGE_FORMATS, render

    app = ctx.obj
    fmt = fmt.strip().lower()
    if fmt not in NUDGE_FORMATS:
        raise usage_error(f"'{fmt}' is not a format for nudges; use text or json.", "--format")
    day = option_value("--as-of", parse_date, as_of, app.learner.today(), what="date") if as_of is not None else None
    with usage_errors():
        at_risk = service.rules(rules, risk_under, risk_idle, risk_behind)
        summary = service.summarize(
            app.learner, sources, roadmap, day, stuck_weeks=stuck_weeks, inactive_days=inactive_days, at_risk=at_risk
        )
    for notice in summary.notices:
        app.say_plain(f"Note: {notice}.")
    drafts = nudges(summary)
    text = render(drafts, summary.as_of, fmt)
    if output is None:
        app.write_report(text, fmt)
    else:
        app.write_file(output, text.encode("utf-8"), "-o", fmt)
    from aipm_cli.wording import count

    app.say_plain(f"{count(len(drafts), 'draft')} for the learners who need attention; nothing was sent.")
    for bad in summary.unreadable:
        app.say_plain(f"Could not read {bad.source}: {bad.reason.rstrip('.')}.")
    if summary.unreadable:
        raise typer.Exit(ExitCode.ERROR)


@cohort.command("pull")
def pull(
    ctx: typer.Context,
    remotes: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="REMOTE...",
            help="Learners' own repositories (git addresses) to fetch into your cache; never written to.",
            show_default=False,
        ),
    ] = None,
    listing: Annotated[bool, typer.Option("--list", help="Print the folders pulled so far, fetching nothing.")] = False,
) -> None:
    """Fetch learners' own repositories into your cache, for `cohort report`.

    Each repository is fetched (only read: nothing is ever pushed to it) into
    its own folder of your cache, and that folder is printed: pass the folders
    to `aipm cohort report`. A repository that cannot be fetched is named, and
    the exit code is then 1.
    """
    from aipm_cli.cohort.pull import pull as fetch
    from aipm_cli.cohort.pull import pulled
    from aipm_cli.errors import ExitCode

    app = ctx.obj
    if listing:
        if remotes:
            raise usage_error("--list fetches nothing; give either remotes or --list.", "--list")
        for done in pulled(app.layout.cache):
            app.write_report(f"{done.path}\n", "text")
        return
    if not remotes:
        raise usage_error("name at least one repository to pull (or --list).")
    failed = 0
    for remote in remotes:
        done = fetch(app.layout.cache, remote)
        if done.problem is None:
            app.write_report(f"{done.path}\n", "text")
        else:
            failed += 1
            app.say_plain(f"Could not pull {remote}: {done.problem.rstrip('.')}.")
    from aipm_cli.wording import count

    app.say_plain(
        f"Pulled {count(len(remotes) - failed, 'repository', 'repositories')} into {app.layout.cache}; "
        "nothing was written to them."
    )
    if failed:
        raise typer.Exit(ExitCode.ERROR)


def register(app: typer.Typer) -> None:
    app.add_typer(cohort)
