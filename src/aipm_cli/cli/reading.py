"""What the read commands do, without the CLI framework.

`aipm status`, `list`, `show`, `next`, `log`, `skills`, `plan` and `export`
parse their arguments (cli/direct.py for the usual command lines, Typer for
the rest and for help), then call these with the App. Nothing here imports
Typer: a read command costs what its own work costs. A value that cannot be
used raises UsageError (exit 2, said by Typer in its usual form).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError, UsageError

if TYPE_CHECKING:
    from datetime import date

    from aipm_cli.cli.context import App
    from aipm_cli.roadmap.plain import Roadmap


def option_value(option: str, parse: Any, *args: Any, **kwargs: Any) -> Any:
    """Parse an option's value; a value that cannot be used is a usage error, said in our words."""
    try:
        return parse(*args, **kwargs)
    except InputError as exc:
        raise UsageError(" ".join(exc.lines()), option) from None


def status(app: App, json: bool = False) -> None:
    from aipm_cli.view_data import to_data

    summary = app.learner.summary()
    if json:
        data = to_data(summary)
        data["active_weeks"] = summary.active_weeks
        app.emit_json(data)
        return
    from aipm_cli.render.dashboard import status_view

    app.show(status_view, summary)
    if (app.layout.root / ".git").is_dir():  # synced with git: say what is not synced yet
        from aipm_cli.sync.unsynced import unsynced_summary

        unsynced = unsynced_summary(app.layout.root)
        if unsynced:
            app.say_plain(unsynced)


def _phase_or_module(roadmap: Roadmap, spec: str, kind: str) -> str:
    from aipm_cli.marking import resolve
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
        raise UsageError(f"'{value}' is not {article(what)}; use {either(list(allowed))}.", f"--{what}")
    return normal


def list_items(
    app: App,
    phase: str | None = None,
    module: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    json: bool = False,
) -> None:
    from aipm_cli.roadmap.vocabulary import KINDS, STATUSES
    from aipm_cli.view_data import to_data

    wanted_kind = _choice(kind, KINDS, "kind")
    wanted_status = _choice(status, STATUSES, "status")
    # Only these two filters need the roadmap itself (to resolve a prefix or title).
    phase_id = _phase_or_module(app.learner.roadmap, phase, "phase") if phase else None
    module_id = _phase_or_module(app.learner.roadmap, module, "module") if module else None
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
    from aipm_cli.render.lists import rows_table

    app.show(rows_table, selected, tree=True, names=app.learner.names(), legend=True)


def show(app: App, item: str, json: bool = False) -> None:
    target = app.learner.resolve(item)
    if target.kind in ("phase", "module"):
        group = app.learner.group(target)
        if json:
            app.emit_json(group)
            return
        from aipm_cli.render.lists import group_view

        app.show(group_view, group, app.learner.names())
        return
    data = app.learner.item(target)
    if json:
        app.emit_json(data)
        return
    from aipm_cli.render.lists import item_view

    app.show(item_view, data, zone=app.learner.zone())


def next_up(app: App, count: int = 5, json: bool = False) -> None:
    from aipm_cli.view_data import to_data

    selected = app.learner.upcoming(count)
    if json:
        app.emit_json(to_data(selected))
        return
    if not selected:
        app.say("Nothing to do next: everything is done, skipped or waiting for its prerequisites.")
        return
    from aipm_cli.render.lists import rows_table

    app.show(rows_table, selected, tree=False, context=True)


def log(
    app: App, since: str | None = None, until: str | None = None, limit: int | None = None, json: bool = False
) -> None:
    from aipm_cli.dates import parse_date

    start = option_value("--since", parse_date, since, app.learner.today(), what="date") if since is not None else None
    end = (
        option_value("--until", parse_date, until, app.learner.today(), allow_future=True, what="date")
        if until is not None
        else None
    )
    if start and end and start > end:
        raise UsageError(
            f"--since {start.isoformat()} is after --until {end.isoformat()}: no date is in that range; "
            "give the earlier date to --since.",
            "--since",
        )
    changes = app.learner.log(start, end, limit)
    # Streams: the first changes are out at once, however long the history.
    if json:
        app.emit_json_stream(changes)  # `at` as recorded: UTC
        return
    import functools
    import itertools

    from aipm_cli.render.history import zone_line
    from aipm_cli.render.safe import is_terminal

    # Times in the learner's zone, said once above the first change (none when there is none).
    zone = app.learner.zone()
    first = next(changes, None)
    entries = itertools.chain([first], changes) if first is not None else iter(())
    if not is_terminal(sys.stdout):
        # A pipe or a file: plain lines, drawn without rich (a full log of a million changes is a
        # string join per change, not a table); folded only to a width COLUMNS asks for.
        import os

        from aipm_cli.render.history import change_text

        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) > 0 else None
        lines = (change_text(e, titles=True, width=width, zone=zone) for e in entries)
        head = [zone_line(zone) + "\n"] if first is not None else []
        app.write_lines(itertools.chain(head, lines), "No changes yet.\n")
        return
    from aipm_cli.render.history import log_view, zone_view

    if first is not None:
        app.show(zone_view, zone)
    app.show_stream(functools.partial(log_view, zone=zone), entries)


def skills(app: App, full: bool = False, json: bool = False) -> None:
    from aipm_cli.skills import skills_view
    from aipm_cli.view_data import to_data

    views = skills_view(app.learner.roadmap, app.learner.read_state())
    if json:
        app.emit_json(to_data(views))
        return
    from aipm_cli.render.lists import skills_view as render

    app.show(render, views, full=full)


def plan(
    app: App,
    hours_per_week: str | None = None,
    start: str | None = None,
    ics: Path | None = None,
    remind: list[str] | None = None,
    blocks: str | None = None,
    limit: int | None = None,
    reviews: bool = False,
    json: bool = False,
) -> None:
    from aipm_cli import schedule as use
    from aipm_cli.dates import a_year_before, parse_date
    from aipm_cli.view_data import to_data

    calendar = ics is not None
    use.check_options(
        calendar=calendar, reminders=bool(remind), reviews=reviews, blocks=blocks is not None,
        hours=hours_per_week is not None,
    )  # fmt: skip
    reminders: list[Any] = []
    weekly = None
    if calendar or remind or blocks is not None:
        from aipm_cli.calendar import parse_blocks, parse_reminder

        reminders = [option_value("--remind", parse_reminder, r) for r in remind or ()]
        weekly = option_value("--blocks", parse_blocks, blocks) if blocks is not None else None
    today = app.learner.today()
    # A plan is for what is left, from now: a start more than a year back schedules study in weeks long
    # gone (`--start 1970-01-01` planned a year-long path in 1970). A late start is fine.
    first = (
        option_value(
            "--start",
            parse_date,
            start,
            today,
            allow_future=True,
            what="start date",
            earliest=(a_year_before(today), "more than a year ago: a plan schedules what is left, from about now"),
        )  # fmt: skip
        if start is not None
        else today
    )
    hours = None
    if hours_per_week is not None:
        from aipm_cli.config import parse_value

        hours = option_value("--hours-per-week", parse_value, "hours_per_week", hours_per_week)
    planned = use.study_plan(
        app.learner, first, hours_per_week=hours, blocks=weekly, calendar=calendar, reviews=reviews
    )
    schedule, events = planned.plan, planned.events
    cancelled = 0
    if ics is not None:
        made = use.calendar_file(app.learner, events, reminders)
        app.write_file(ics, made.text.encode(), "--ics", "ics")
        made.written()
        cancelled = made.cancelled
    if json:
        data = to_data(schedule)
        if limit is not None:
            data["items"] = data["items"][:limit]  # the totals and the finish stay those of the whole plan
        app.emit_json(data)
    else:
        from aipm_cli.render.plan_table import plan_view

        app.show(plan_view, schedule, limit)
    if ics is not None:
        from aipm_cli.wording import count as counted

        what = (
            f"{counted(len(events), 'session')} of {counted(len(schedule.items), 'item')}"
            if planned.in_blocks
            else counted(len(events), "event")
        )
        what += f" and {cancelled} cancelled" if cancelled else ""
        app.say(f"[green]✓[/] Wrote {what} to {ics}; import it into your calendar.")


def export(
    app: App,
    fmt: str | None = None,
    output: Path | None = None,
    as_of: str | None = None,
    full: bool = False,
    with_notes: bool = False,
    notes: bool | None = None,
) -> None:
    from importlib import import_module

    from aipm_cli.dates import parse_date
    from aipm_cli.render import formats
    from aipm_cli.report import learner_report

    if output is not None and str(output) == "-":
        output = None  # `-o -` is stdout, as for most tools: the report is printed and no "Wrote" line follows
    if fmt is None and output is not None:
        suffix = output.suffix.lower()
        if suffix and suffix not in formats.extensions("export"):
            hint = " For a PDF, write HTML (-o report.html) and print it to PDF from a browser." if suffix in (
                ".pdf", ".docx", ".doc", ".odt", ".rtf",
            ) else ""  # fmt: skip
            raise UsageError(
                f"aipm does not write {suffix} files; it writes {formats.listed('export')}.{hint} "
                "To write one of those under this name anyway, give --format.",
                "-o",
            )
    fmt = formats.choose("export", fmt, output)
    if with_notes and fmt != "xapi":
        raise UsageError("--with-notes is for --format xapi (the other reports hold your notes).", "--with-notes")
    day = option_value("--as-of", parse_date, as_of, app.learner.today(), what="date") if as_of is not None else None
    if fmt == "xapi":
        export_xapi(app, output, day, with_notes)
        return
    report = learner_report(app.learner, fmt, day, notes=notes, full=full)
    if fmt == "json" and not (output is None and _on_terminal()):
        # The export streams (speed): its changes are read, written and let go a batch at a time.
        from aipm_cli.report import export_chunks

        app.warn()
        pieces = (piece.encode("utf-8") for piece in export_chunks(report))
        app.write_file(output or Path("-"), pieces, "-o", fmt)
        if output is not None:
            app.say(f"[green]✓[/] Wrote the {fmt} report to {output}.")
        return
    text: str = import_module(formats.renderer("export", fmt)).render(report)
    if output is None:
        app.write_report(text, fmt)
        return
    app.write_file(output, text.encode("utf-8"), "-o", fmt)
    app.say(f"[green]✓[/] Wrote the {fmt} report to {output}.")


def today(app: App, json: bool = False) -> None:
    from aipm_cli import study as core

    data = core.today_view(app.learner)
    if json:
        app.emit_json(data)
        return
    from aipm_cli.render.study_views import day_view

    app.show(day_view, data)


def review(app: App, every: bool = False, json: bool = False) -> None:
    from aipm_cli import review as core

    data = core.due_list(app.learner, every=every)
    if json:
        app.emit_json(data)
        return
    from aipm_cli.render.study_views import review_view

    app.show(review_view, data, every)


def export_xapi(app: App, output: Path | None, day: date | None, with_notes: bool) -> None:
    """The learner's changes as xAPI statements, one JSON object a line (aipm's profile: xapi/statements.py)."""
    from aipm_cli.xapi.statements import learner_lines

    made = learner_lines(app.learner, day, with_notes)
    if output is None:
        app.warn()
        out = sys.stdout.buffer
        for chunk in made:
            out.write(chunk)
        out.flush()
        app.warn()
        return
    app.write_file(output, b"".join(made), "-o", "xapi")
    app.say(f"[green]✓[/] Wrote the xAPI statements to {output}.")


def _on_terminal() -> bool:
    from aipm_cli.render.safe import is_terminal

    return is_terminal(sys.stdout)
