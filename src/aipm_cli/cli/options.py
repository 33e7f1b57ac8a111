"""Options shared by several commands."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the view.")]


def option_value(option: str, parse: Any, *args: Any, **kwargs: Any) -> Any:
    """Parse an option's value; a value that cannot be used is a usage error (exit 2), said in our words."""
    from aipm_cli.cli.reading import option_value as parsed

    with usage_errors():
        return parsed(option, parse, *args, **kwargs)


def usage_error(message: str, option: str | None = None) -> typer.BadParameter:
    """A usage error (exit 2) about an option, or about the command line as a whole."""
    return typer.BadParameter(message, param_hint=f"'{option}'" if option else None)


@contextmanager
def usage_errors() -> Iterator[None]:
    """Our UsageError from a command's body, said by Typer as a usage error (exit 2)."""
    from aipm_cli.errors import UsageError

    try:
        yield
    except UsageError as exc:
        raise typer.BadParameter(exc.message, param_hint=f"'{exc.option}'" if exc.option else None) from None
