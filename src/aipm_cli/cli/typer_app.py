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
USAGE_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class AipmGroup(TyperGroup):
    """Turns our errors into one or two lines on stderr and exit 1.

    Unexpected exceptions get a one-line apology too; tracebacks only with --debug.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except CLICK_ERROR as exc:  # a usage error in the global options
            raise typer.Exit(print_click_error(exc)) from None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _refuse_repeated_options(ctx, command, rest)
        return name, command, rest

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


def _refuse_repeated_options(ctx: Any, command: Any, args: list[str]) -> None:
    """An option that takes one value, given twice (`done X -m first -m second`), is a usage error: Click
    would keep the last and drop the first without a word. (A subcommand's own options are looked at too.)"""
    while True:
        once = {}
        for param in command.params:
            if getattr(param, "param_type_name", "") != "option":
                continue
            if not (param.multiple or getattr(param, "count", False) or getattr(param, "is_flag", False)):
                for spelling in param.opts:
                    once[spelling] = max(param.opts, key=len)
        seen: dict[str, str] = {}
        sub = None
        for position, arg in enumerate(args):
            if arg == "--":
                break
            if not arg.startswith("-") or arg == "-":
                if hasattr(command, "get_command") and sub is None:
                    sub = position
                    break
                continue
            spelling = arg.partition("=")[0] if arg.startswith("--") else arg
            name = once.get(spelling)
            if name is None:
                continue
            if name in seen:
                raise USAGE_ERROR(
                    f"{name} is given twice ({seen[name]} and {spelling}); give it once: a second value would "
                    "replace the first."
                )
            seen[name] = spelling
        if sub is None:
            return
        command = command.get_command(ctx, args[sub])
        if command is None:
            return
        args = args[sub + 1 :]


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
    from aipm_cli.cli.options import usage_errors

    with usage_errors():
        ctx.obj = new_app(user, roadmap, debug, ctx.invoked_subcommand)
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
