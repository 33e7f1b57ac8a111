"""The error boundary's words, and the App a command line starts with (no CLI framework here).

Every error aipm prints, its own and the usage errors Typer finds, goes out
through `print_error`: shown as data (render.safe's rule), and with every long
value the learner gave on the command line cut to its start (see `cut_echoes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aipm_cli.cli.context import App

# The longest value from the command line an error quotes whole; a longer one is cut to
# its start, an ellipsis and its length ("xxxx… (120,000 characters)").
ECHO_CHARS = 80

# The arguments of the command line this process runs (set by cli.run), whose long values
# errors must not echo whole.
given: list[str] = []


def new_app(user: str | None, roadmap: str | None, debug: bool, command: str | None = None) -> App:
    """The App for the global options (`--user`, `--roadmap`, `--debug`) and the command it runs.

    A learner name that cannot be used is a usage error (exit 2), as the README's contract says."""
    import os

    from aipm_cli.cli.context import App
    from aipm_cli.errors import InputError, UsageError

    if user is None and os.environ.get("AIPM_USER") == "":
        user = ""  # Click reads an empty variable as unset; an empty name is a mistake to report
    if user is not None:
        from aipm_cli.paths import check_user_name

        try:
            check_user_name(user)  # '' would otherwise fall back to the login name silently
        except InputError as exc:
            raise UsageError(" ".join(exc.lines()), "--user") from None
    app = App(user=user, roadmap=roadmap, debug=debug)
    app.command = command
    return app


def unexpected(exc: BaseException, saved: bool) -> list[str]:
    """What to say about an error aipm did not expect (the traceback only with --debug)."""
    from aipm_cli.errors import excerpt

    if isinstance(exc, OSError):
        from aipm_cli.fs import write_hint

        hint = write_hint(exc)
        if hint is not None:  # a full disk, a read-only place: not a bug, and the learner can act on it
            where = f"{exc.filename}: " if exc.filename else ""
            return [
                f"{excerpt(where, 300)}{exc.strerror or exc}.",
                ("Your change was saved before the error. " if saved else "") + hint,
            ]
    return [
        f"aipm hit an unexpected error: {type(exc).__name__}: {excerpt(str(exc), 200)}",
        ("Your change was saved before the error. " if saved else "Nothing was saved. ")
        + "Run the command again with --debug and report the traceback.",
    ]


def _echoed_forms(args: list[str]) -> list[str]:
    """The long values of a command line as an error may quote them, longest first: each
    argument, the value of `--option=value` and `-xVALUE`, stripped and lower-cased too
    (as options are read), and the learner name from AIPM_USER."""
    import os

    forms: set[str] = set()
    for arg in [*args, os.environ.get("AIPM_USER", "")]:
        values = [arg]
        if arg.startswith("--") and "=" in arg:
            values.append(arg.partition("=")[2])
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            values.append(arg[2:])
        for value in values:
            forms.update((value, value.strip(), value.strip().lower()))
    long = (form for form in forms if len(form) > ECHO_CHARS and not _names_a_place(form))
    return sorted(long, key=len, reverse=True)


def _names_a_place(value: str) -> bool:
    """A file path in a folder that exists (at most PATH_MAX long): quoted whole, since the
    learner needs all of it to find the file ("No roadmap file at /a/long/path/x.yaml")."""
    import os
    from pathlib import Path

    from aipm_cli.render.safe import clean

    if os.sep not in value or len(value) > 4096 or clean(value) != value or "\n" in value:
        return False
    try:
        return Path(value).expanduser().parent.is_dir()
    except (OSError, ValueError, RuntimeError):
        return False


def cut_echoes(lines: list[str], args: list[str] | None = None) -> list[str]:
    """An error's lines with every long command-line value they quote cut to its start.

    `aipm show <120 KB>` says "No item ... matches 'xxxx… (120,000 characters)'"
    rather than echoing the whole value back: whichever error quotes it (an
    unknown id, a bad date, level, name or option value, Typer's own usage errors).
    A path in a folder that exists is quoted whole.
    """
    from aipm_cli.errors import excerpt

    forms = _echoed_forms(given if args is None else args)
    if not forms:
        return lines
    out = []
    for line in lines:
        for form in forms:
            if form in line:
                line = line.replace(form, excerpt(form, ECHO_CHARS))
        out.append(line)
    return out


def print_click_error(exc: Any) -> int:
    """A usage error Typer (Click) found, said as Click says it (usage, where to get help), its
    message through `print_error`; the exit code to leave with."""
    import typer

    ctx = getattr(exc, "ctx", None)
    if ctx is not None and hasattr(exc, "cmd"):  # a usage error: Click shows the usage first
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.\n"
        typer.echo(f"{ctx.get_usage()}\n{hint}", err=True)
    message = exc.format_message()
    name = getattr(exc, "option_name", None)
    if type(exc).__name__ == "NoSuchOption" and ctx is not None and name in _every_option():
        # Click suggests this command's options that look alike; for an option other aipm commands
        # have (`done --json`) that would name a different thing (`--on`): say what is true instead.
        message = f"`{ctx.command_path}` has no {name} option (other aipm commands have it)."
    print_error([message])
    return int(exc.exit_code)


def _every_option() -> set[str]:
    """The option names of every aipm command (on an error path only: it builds the whole app)."""
    from typer.main import get_command

    from aipm_cli.cli.typer_app import make_app

    names: set[str] = set()

    def walk(command: Any) -> None:
        for param in command.params:
            names.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("-"))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(get_command(make_app()))
    return names


def print_error(lines: list[str]) -> None:
    """Print an error's lines to stderr. The lines are data (they quote names, paths, values):
    shown as typed, never as markup or emoji codes, control and bidi characters escaped, a long
    value from the command line cut to its start (`cut_echoes`)."""
    from rich.console import Console
    from rich.text import Text

    from aipm_cli.render.safe import color_system, text

    console = Console(stderr=True, highlight=False, emoji=False, color_system=color_system())
    first, *rest = cut_echoes([line for line in lines if line])
    heading = Text("Error:", style="bold red")
    heading.append(" ")
    heading.append_text(text(first))
    console.print(heading, soft_wrap=True)
    for line in rest:
        console.print(text(line), soft_wrap=True)
