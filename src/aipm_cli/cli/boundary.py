"""The error boundary's words, and the App a command line starts with (no CLI framework here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.cli.context import App


def new_app(user: str | None, roadmap: str | None, debug: bool) -> App:
    """The App for the global options (`--user`, `--roadmap`, `--debug`)."""
    import os

    from aipm_cli.cli.context import App

    if user is None and os.environ.get("AIPM_USER") == "":
        user = ""  # Click reads an empty variable as unset; an empty name is a mistake to report
    if user is not None:
        from aipm_cli.paths import check_user_name

        check_user_name(user)  # '' would otherwise fall back to the login name silently
    return App(user=user, roadmap=roadmap, debug=debug)


def unexpected(exc: BaseException, saved: bool) -> list[str]:
    """What to say about an error aipm did not expect (the traceback only with --debug)."""
    from aipm_cli.errors import excerpt

    return [
        f"aipm hit an unexpected error: {type(exc).__name__}: {excerpt(str(exc), 200)}",
        ("Your change was saved before the error. " if saved else "Nothing was saved. ")
        + "Run the command again with --debug and report the traceback.",
    ]


def print_error(lines: list[str]) -> None:
    """Print an error's lines to stderr. The lines are data (they quote names, paths, values):
    shown as typed, never as markup or emoji codes, control characters escaped."""
    from rich.console import Console
    from rich.text import Text

    from aipm_cli.render.safe import text

    console = Console(stderr=True, highlight=False, emoji=False)
    first, *rest = [line for line in lines if line]
    heading = Text("Error:", style="bold red")
    heading.append(" ")
    heading.append_text(text(first))
    console.print(heading, soft_wrap=True)
    for line in rest:
        console.print(text(line), soft_wrap=True)
