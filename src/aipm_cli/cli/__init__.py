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
            saved = bool(getattr(ctx.obj, "saved", False))
            _print_error(
                [
                    f"aipm hit an unexpected error: {type(exc).__name__}: {str(exc)[:200]}",
                    ("Your change was saved before the error. " if saved else "Nothing was saved. ")
                    + "Run the command again with --debug and report the traceback.",
                ]
            )
            raise typer.Exit(ExitCode.ERROR) from None


def _debugging(ctx: Any) -> bool:
    obj = ctx.obj
    return bool(getattr(obj, "debug", False) or ctx.params.get("debug"))


def _print_error(lines: list[str]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False)
    first, *rest = [line for line in lines if line]
    console.print(f"[bold red]Error:[/] {escape(first)}", soft_wrap=True)
    for line in rest:
        console.print(escape(line), soft_wrap=True)


app = typer.Typer(
    cls=AipmGroup,
    name="aipm",
    help="Track your progress on the road to becoming an AI product manager.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    # Plain help text: rich help pulls in a Markdown parser and doubles `aipm --help`'s start-up.
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aipm {__version__}")
        raise typer.Exit()


@app.callback()
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
    from aipm_cli.cli.context import App

    ctx.obj = App(user=user, roadmap=roadmap, debug=debug)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _register() -> None:
    from aipm_cli.cli import admin, cohort, learning, reports, roadmaps, track, views

    for module in (views, track, learning, reports, roadmaps, admin, cohort):
        module.register(app)
    __import__("aipm_cli.cli.sync", fromlist=["register"]).register(app)
    from aipm_cli.cli.examples import apply

    apply(app)


_register()


def main() -> None:
    import os

    # aipm uses no pydantic plugins; looking for them scans every installed
    # package's entry points on the first model build (about 20 ms).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        app(prog_name="aipm")
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
