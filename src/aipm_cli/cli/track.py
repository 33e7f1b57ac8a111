"""Commands that change progress: start, done, skip, reset, undo, note."""

from typing import Annotated

import typer

ItemsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="ITEM...", help="Item, deliverable, module or phase: id, alias, id prefix or title.", show_default=False
    ),
]
OnOpt = Annotated[
    str | None, typer.Option("--on", metavar="DATE", help="The date it happened: YYYY-MM-DD, today or yesterday.")
]
NoteOpt = Annotated[str | None, typer.Option("--note", "-m", metavar="TEXT", help="A note to keep with the change.")]
EvidenceOpt = Annotated[
    list[str] | None,
    typer.Option("--evidence", "-e", metavar="TEXT", help="Proof: a link, a credential id, a file name (repeatable)."),
]

_PAST = {"start": "Started", "done": "Done", "skip": "Skipped", "reset": "Reset"}
_STATE = {"start": "in progress", "done": "done", "skip": "skipped", "reset": "not started"}


def _describe(targets: list, count: int) -> str:
    if len(targets) == 1:
        t = targets[0]
        if t.kind in ("module", "phase"):
            return f"{t.title} ({t.id}, {count} item{'s' if count != 1 else ''})"
        return f"{t.title} ({t.id})"
    return f"{len(targets)} entries ({', '.join(t.id for t in targets[:3])}{', ...' if len(targets) > 3 else ''})"


def _change(
    ctx: typer.Context,
    verb: str,
    items: list[str],
    on: str | None,
    note: str | None,
    evidence: list[str] | None,
    reason: str | None = None,
    credential: str | None = None,
    expires: str | None = None,
) -> None:
    from rich.markup import escape

    from aipm_cli.dates import parse_date

    app = ctx.obj
    today = app.today()
    day = parse_date(on, today) if on else today
    expiry = parse_date(expires, today, allow_future=True, what="expiry date") if expires else None
    marked = app.learner.mark(
        verb, items, on=day, note=note, evidence=evidence, reason=reason, credential=credential, expires=expiry
    )
    result, targets = marked.result, marked.targets
    what = escape(_describe(targets, len(result.changed) + len(result.unchanged) + len(result.kept)))
    kept = f"; {len(result.kept)} already done, left as they are" if result.kept else ""
    if result.changed:
        when = f" on {day.isoformat()}" if verb != "reset" else ""
        extra = f"; {len(result.unchanged)} already {_STATE[verb]}" if result.unchanged else ""
        app.say(f"[green]✓[/] {_PAST[verb]}: {what}{when}{extra}{kept}.")
    elif result.change is not None:
        app.say(f"{what} is already {_STATE[verb]}; the details you gave were added.")
    else:
        app.say(f"{what} is already {_STATE[verb]}; nothing changed{kept}.")


def start(
    ctx: typer.Context, items: ItemsArg, on: OnOpt = None, note: NoteOpt = None, evidence: EvidenceOpt = None
) -> None:
    """Mark items as in progress."""
    _change(ctx, "start", items, on, note, evidence)


def done(
    ctx: typer.Context,
    items: ItemsArg,
    on: OnOpt = None,
    note: NoteOpt = None,
    evidence: EvidenceOpt = None,
    credential: Annotated[
        str | None, typer.Option("--credential", metavar="TEXT", help="Certifications: the credential id or URL.")
    ] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", metavar="DATE", help="Certifications: the expiry date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Mark items as done.

    A project: all its deliverables. A certification keeps --credential
    and --expires (given again on a done certification, they update it).
    """
    _change(ctx, "done", items, on, note, evidence, credential=credential, expires=expires)


def skip(
    ctx: typer.Context,
    items: ItemsArg,
    on: OnOpt = None,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why you skip it (kept with the item).")
    ] = None,
    note: NoteOpt = None,
) -> None:
    """Skip items (they leave the percentage)."""
    _change(ctx, "skip", items, on, note, None, reason=reason)


def reset(ctx: typer.Context, items: ItemsArg, on: OnOpt = None, note: NoteOpt = None) -> None:
    """Set items back to not started.

    Notes and evidence are kept.
    """
    _change(ctx, "reset", items, on, note, None)


def _undone(app: object, change: dict, verb: str) -> None:
    from rich.markup import escape

    from aipm_cli.tracker import describe_change

    when = str(change.get("at", ""))[:16].replace("T", " ")
    app.say(f"[green]✓[/] {verb} {escape(describe_change(change))} (recorded {when}).")  # type: ignore[attr-defined]


def undo(ctx: typer.Context) -> None:
    """Revert the last change (again: further back).

    The undo is a change too: `aipm redo` brings the change back.
    """
    app = ctx.obj
    _undone(app, app.learner.undo(), "Undid")


def redo(ctx: typer.Context) -> None:
    """Bring back what the last undo reverted."""
    app = ctx.obj
    _undone(app, app.learner.redo(), "Redid")


def note(
    ctx: typer.Context,
    item: Annotated[
        str,
        typer.Argument(
            metavar="ITEM", help="Item, module or phase: id, alias, id prefix or title.", show_default=False
        ),
    ],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note.", show_default=False)],
    on: OnOpt = None,
) -> None:
    """Add a note to an item, a module or a phase."""
    from rich.markup import escape

    from aipm_cli.dates import parse_date

    app = ctx.obj
    day = parse_date(on, app.today()) if on else None
    target = app.learner.add_note(item, text, day)
    app.say(f"[green]✓[/] Noted on {escape(target.title)} ({target.id}).")


def register(app: typer.Typer) -> None:
    for command in (start, done, skip, reset, undo, redo, note):
        app.command()(command)
