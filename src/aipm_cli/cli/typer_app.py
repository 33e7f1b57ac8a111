"""The Typer app: the root callback builds one App; one error boundary for all commands."""

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from aipm_cli import __version__
from aipm_cli.cli import COMMANDS, MODULES
from aipm_cli.cli.boundary import print_click_error, print_error, unexpected
from aipm_cli.errors import AipmError, ExitCode

# Click's base exception, wherever this Typer keeps Click (its own copy in newer releases).
CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class AipmGroup(TyperGroup):
    """Turns our errors into one or two lines on stderr and exit 1.

    Unexpected exceptions get a one-line apology too; tracebacks only with --debug.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except CLICK_ERROR as exc:  # a usage error in the global options
            raise typer.Exit(print_click_error(exc)) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CLICK_ERROR as exc:  # a usage error in a command's line, said through our boundary
            raise typer.Exit(print_click_error(exc)) from None
        except AipmError as exc:
            if _debugging(ctx):
                raise
            print_error(exc.lines())
            raise typer.Exit(ExitCode.ERROR) from None
        except (KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("click", "typer") or _debugging(ctx):
                raise
            print_error(unexpected(exc, saved=bool(getattr(ctx.obj, "saved", False))))
            raise typer.Exit(ExitCode.ERROR) from None


def _debugging(ctx: Any) -> bool:
    obj = ctx.obj
    return bool(getattr(obj, "debug", False) or ctx.params.get("debug"))


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
    from aipm_cli.cli.boundary import new_app

    ctx.obj = new_app(user, roadmap, debug)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def make_app(command: str | None = None) -> typer.Typer:
    """The Typer app: with `command`, only the module that registers it."""
    import importlib

    built = typer.Typer(**_SETTINGS)
    built.callback()(root)
    modules = (COMMANDS[command],) if command in COMMANDS else MODULES
    for name in modules:
        importlib.import_module(f"aipm_cli.cli.{name}").register(built)
    from aipm_cli.cli.examples import apply

    apply(built)  # every --help ends with real examples
    return built
