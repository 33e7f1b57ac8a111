"""`aipm tui`."""

import typer


def tui(ctx: typer.Context) -> None:
    """Walk the roadmap and mark items with a key.

    Keys: s start, d done, k skip, r reset, u undo, U redo, n note,
    e evidence, o open the link, / filter, f status filter, g next,
    D date, ? help, q quit.
    """
    from aipm_cli.tui.app import AipmApp

    app = ctx.obj
    app.learner.read_state()  # a store that cannot be read is an error here, before the screen changes
    AipmApp(app.learner).run()


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)
