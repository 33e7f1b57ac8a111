"""The Typer app: the root callback builds one App; one error boundary for all commands."""

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from aipm_cli import __version__
from aipm_cli.errors import AipmError, ExitCode


class AipmGroup(TyperGroup):
    """Turns our errors into one or two lines on stderr and exit 1.

    Unexpected exceptions get a one-line apology too; tracebacks only with --debug.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AipmError as exc:
            if _debugging(ctx):
                raise
            _print_error(exc.lines())
            raise typer.Exit(ExitCode.ERROR) from None
        except (KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("click", "typer") or _debugging(ctx):
                raise
            from aipm_cli.errors import excerpt

            saved = bool(getattr(ctx.obj, "saved", False))
            _print_error(
                [
                    f"aipm hit an unexpected error: {type(exc).__name__}: {excerpt(str(exc), 200)}",
                    ("Your change was saved before the error. " if saved else "Nothing was saved. ")
                    + "Run the command again with --debug and report the traceback.",
                ]
            )
            raise typer.Exit(ExitCode.ERROR) from None


def _debugging(ctx: Any) -> bool:
    obj = ctx.obj
    return bool(getattr(obj, "debug", False) or ctx.params.get("debug"))


def _print_error(lines: list[str]) -> None:
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


_SETTINGS: dict[str, Any] = {
    "cls": AipmGroup,
    "name": "aipm",
    "help": "Track your progress on the road to becoming an AI product manager.",
    "no_args_is_help": False,
    "invoke_without_command": True,
    "pretty_exceptions_enable": False,
    # Plain help text: rich help pulls in a Markdown parser and doubles `aipm --help`'s start-up.
    "rich_markup_mode": None,
    "add_completion": False,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aipm {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            envvar="AIPM_USER",
            metavar="NAME",
            help="The learner (default: the `user` setting, else your login name).",
        ),
    ] = None,
    roadmap: Annotated[
        str | None,
        typer.Option(
            "--roadmap",
            "-r",
            metavar="ID|PATH",
            help="Roadmap id or file (default: the one set with `aipm roadmap use`).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks, for bug reports.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Track your progress on the road to becoming an AI product manager.

    Run `aipm status` to see where you stand, `aipm next` for what to do next.
    """
    import os

    from aipm_cli.cli.context import App

    if user is None and os.environ.get("AIPM_USER") == "":
        user = ""  # Click reads an empty variable as unset; an empty name is a mistake to report
    if user is not None:
        from aipm_cli.paths import check_user_name

        check_user_name(user)  # '' would otherwise fall back to the login name silently
    ctx.obj = App(user=user, roadmap=roadmap, debug=debug)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


# Which module registers each command. `aipm` builds only the command it runs
# (Typer inspects every registered command's parameters on each run);
# `--help` and anything unknown get them all.
_MODULES = ("views", "track", "learning", "reports", "roadmaps", "admin", "cohort", "sync", "shellcomp", "tui")
_COMMANDS = {
    **dict.fromkeys(("status", "list", "show", "next", "log"), "views"),
    **dict.fromkeys(("start", "done", "skip", "reset", "undo", "redo", "note", "evidence"), "track"),
    **dict.fromkeys(("skills", "assess", "plan"), "learning"),
    **dict.fromkeys(("export", "import"), "reports"),
    "roadmap": "roadmaps",
    **dict.fromkeys(("config", "users", "doctor", "backups", "restore"), "admin"),
    "cohort": "cohort",
    "sync": "sync",
    "completion": "shellcomp",
    "tui": "tui",
}
_GLOBAL_WITH_VALUE = ("--user", "-u", "--roadmap", "-r")
_OWN_OPTIONS = {"import": ("--user", "-u"), "cohort": ("--roadmap", "-r")}


def make_app(command: str | None = None) -> typer.Typer:
    """The Typer app: with `command`, only the module that registers it."""
    import importlib

    built = typer.Typer(**_SETTINGS)
    built.callback()(root)
    modules = (_COMMANDS[command],) if command in _COMMANDS else _MODULES
    for name in modules:
        importlib.import_module(f"aipm_cli.cli.{name}").register(built)
    from aipm_cli.cli.examples import apply

    apply(built)  # every --help ends with real examples
    return built


def command_name(args: list[str]) -> str | None:
    """The command an argument list runs (None for help, version or nothing)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _GLOBAL_WITH_VALUE:
            skip = True
            continue
        if arg.startswith("-"):
            if arg in ("-h", "--help", "--version"):
                return None
            continue
        return arg
    return None


def __getattr__(name: str) -> Any:
    # `from aipm_cli.cli import app` (tests, completion, other tools) gets every command;
    # `main()` builds only the one it runs, so running aipm never pays for the others.
    if name == "app":
        built = make_app()
        globals()["app"] = built
        return built
    raise AttributeError(name)


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options given after the command in front of it: `aipm status --user sam`
    works like `aipm --user sam status`. A command's own option of that name stays (`import --user`,
    `cohort report --roadmap`); nothing after `--` moves."""
    command = command_name(args)
    if command is None:
        return args
    at = args.index(command)
    front, rest, moved = args[:at], [], []
    own = _OWN_OPTIONS.get(command, ())
    tail = args[at:]
    position = 0
    while position < len(tail):
        arg = tail[position]
        if arg == "--":
            rest += tail[position:]
            break
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in own:
            rest.append(arg)
        elif name in _GLOBAL_WITH_VALUE and position > 0:
            if "=" in arg:
                moved.append(arg)
            elif position + 1 < len(tail):
                moved += [arg, tail[position + 1]]
                position += 1
            else:
                rest.append(arg)
        elif arg == "--debug" and position > 0:
            moved.append(arg)
        else:
            rest.append(arg)
        position += 1
    return front + moved + rest


def main() -> None:
    import os

    # aipm uses no pydantic plugins; looking for them scans every installed
    # package's entry points on the first model build (about 20 ms).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = hoist_global_options(sys.argv[1:])
    try:
        make_app(command_name(args))(args=args, prog_name="aipm")
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
