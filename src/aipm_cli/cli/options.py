"""Options shared by several commands."""

from typing import Annotated, Any

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the view.")]


def option_value(option: str, parse: Any, *args: Any, **kwargs: Any) -> Any:
    """Parse an option's value; a value that cannot be used is a usage error (exit 2), said in our words."""
    from aipm_cli.errors import InputError

    try:
        return parse(*args, **kwargs)
    except InputError as exc:
        raise typer.BadParameter(" ".join(exc.lines()), param_hint=f"'{option}'") from None


def usage_error(message: str, option: str | None = None) -> typer.BadParameter:
    """A usage error (exit 2) about an option, or about the command line as a whole."""
    return typer.BadParameter(message, param_hint=f"'{option}'" if option else None)
