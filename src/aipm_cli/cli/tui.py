"""`aipm tui`."""

import typer


def tui(ctx: typer.Context) -> None:
    """Walk the roadmap and mark items with a key.

    Keys: s start, d done, k skip, r reset, u undo, U redo, n note,
    e evidence, o open the link, / filter, f status filter, g next,
    D date, ? help, q quit.
    """
    import os

    from aipm_cli.tui.app import AipmApp

    app = ctx.obj
    app.learner.read_state()  # a store that cannot be read is an error here, before the screen changes
    # AIPM_TUI_FIRST_FRAME=1: draw the first screen headless and leave (how bench/run.py times start-up).
    once = os.environ.get("AIPM_TUI_FIRST_FRAME") == "1"
    AipmApp(app.learner, exit_after_first_frame=once).run(headless=once)


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)
