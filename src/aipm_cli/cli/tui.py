"""`aipm tui`."""

import typer


def tui(ctx: typer.Context) -> None:
    """Walk the roadmap and mark items with a key.

    Keys: s start, d done, k skip, r reset, u undo, U redo, n note,
    e evidence, o open the link, / filter, f status filter, g next,
    D date, ? help, q quit.
    """
    import os
    import sys

    app = ctx.obj
    # AIPM_TUI_FIRST_FRAME=1: draw the first screen headless and leave (how bench/run.py times start-up).
    once = os.environ.get("AIPM_TUI_FIRST_FRAME") == "1"
    if not once:
        not_terminal = [name for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)) if not _is_tty(stream)]
        if not_terminal:
            from aipm_cli.errors import InputError

            raise InputError(
                f"aipm tui needs a terminal, and its {' and '.join(not_terminal)} "
                f"{'is' if len(not_terminal) == 1 else 'are'} not one.",
                "Run it in a terminal; in scripts, use the commands (aipm status, aipm done ITEM...).",
            )
    from aipm_cli.tui.app import AipmApp

    app.learner.read_state()  # a store that cannot be read is an error here, before the screen changes
    AipmApp(app.learner, exit_after_first_frame=once).run(headless=once)


def _is_tty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):  # closed, or not a file at all
        return False


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)
