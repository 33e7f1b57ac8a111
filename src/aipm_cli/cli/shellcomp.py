"""`aipm completion bash|zsh|fish|powershell`."""

from typing import Annotated

import typer


def completion(
    shell: Annotated[str, typer.Argument(metavar="SHELL", help="bash, zsh, fish or powershell.", show_default=False)],
) -> None:
    """Print a completion script for your shell.

    It completes commands, options, and the ids of the roadmap in use
    (items, modules, phases, deliverables, skills), roadmaps and learners.
    """
    from aipm_cli.completion import SCRIPTS

    script = SCRIPTS.get(shell.strip().lower())
    if script is None:
        raise typer.BadParameter(
            f"'{shell}' is not a shell aipm knows: use bash, zsh, fish or powershell.", param_hint="SHELL"
        )
    typer.echo(script, nl=False)


def register(app: typer.Typer) -> None:
    app.command("completion")(completion)
