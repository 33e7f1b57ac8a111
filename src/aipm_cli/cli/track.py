"""Commands that change progress: start, done, skip, reset, undo, note."""

from typing import Annotated

import typer

from aipm_cli.cli.options import option_value

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


def _change(ctx: typer.Context, verb: str, items: list[str], on: str | None, note: str | None,
            evidence: list[str] | None, **details: str | None) -> None:  # fmt: skip
    from aipm_cli.cli.tracking import change

    change(ctx.obj, verb, items, on, note, evidence, **details, option_value=option_value)


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


def undo(
    ctx: typer.Context,
    any_device: Annotated[
        bool,
        typer.Option(
            "--any", help="Undo the newest change whichever machine recorded it (default: this machine's newest)."
        ),
    ] = False,
) -> None:
    """Revert this machine's last change (again: further back).

    The undo is a change too: `aipm redo` brings the change back. After a sync,
    changes other machines recorded are left alone unless you say `--any`.
    """
    from aipm_cli.cli import tracking

    tracking.undo(ctx.obj, any_device)


def redo(ctx: typer.Context) -> None:
    """Bring back what the last undo reverted."""
    from aipm_cli.cli import tracking

    tracking.redo(ctx.obj)


def note(
    ctx: typer.Context,
    item: Annotated[
        str,
        typer.Argument(
            metavar="ITEM", help="Item, module or phase: id, alias, id prefix or title.", show_default=False
        ),
    ],
    text: Annotated[str | None, typer.Argument(metavar="TEXT", help="The note.", show_default=False)] = None,
    on: OnOpt = None,
    remove: Annotated[
        int | None,
        typer.Option("--remove", metavar="N", min=1, help="Remove note N (numbered as `aipm show ITEM` lists them)."),
    ] = None,
) -> None:
    """Add a note to an item, a module or a phase, or remove one.

    A removal is a change: `aipm undo` brings the note back.
    """
    app = ctx.obj
    if remove is not None:
        if text is not None:
            raise typer.BadParameter("give either TEXT to add a note or --remove N, not both.", param_hint="'TEXT'")
        _remove(app, item, "note", remove)
        return
    if text is None:
        raise typer.BadParameter("give the note's text, or --remove N to remove one.", param_hint="'TEXT'")
    from aipm_cli.cli import tracking

    tracking.note(app, item, text, on, option_value=option_value)


def evidence(
    ctx: typer.Context,
    item: Annotated[
        str,
        typer.Argument(metavar="ITEM", help="Item or deliverable: id, alias, id prefix or title.", show_default=False),
    ],
    remove: Annotated[
        int,
        typer.Option(
            "--remove", metavar="N", min=1, help="Remove evidence entry N (numbered as `aipm show ITEM` lists them)."
        ),
    ],
) -> None:
    """Remove an evidence entry from an item.

    Evidence is added with `aipm done ITEM --evidence TEXT`. A removal is a
    change: `aipm undo` brings the entry back.
    """
    _remove(ctx.obj, item, "evidence", remove)


def _remove(app: object, item: str, kind: str, number: int) -> None:
    from rich.text import Text

    from aipm_cli.cli.context import check_learner
    from aipm_cli.render.safe import clean

    check_learner(app.learner, "remove")  # type: ignore[attr-defined]  # nothing to remove: refused, nothing made
    target, removed = app.learner.remove_entry(item, kind, number)  # type: ignore[attr-defined]
    word = "note" if kind == "note" else "evidence entry"
    message = Text("✓ ", style="green")
    # (data: its control characters shown escaped, never sent to the terminal)
    said = f"Removed {word} {number} of {target.title} ({target.id}): {removed['on']}  {removed['text']}"
    message.append(clean(said))
    app.err.print(message, soft_wrap=True)  # type: ignore[attr-defined]
    app.say("Run `aipm undo` to bring it back.")  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    for command in (start, done, skip, reset, undo, redo, note, evidence):
        app.command()(command)
