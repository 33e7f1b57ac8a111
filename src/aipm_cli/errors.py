"""Our exceptions and exit codes.

The core raises these and never prints or exits; the CLI's one error boundary
turns them into a short message on stderr and an exit code.
"""

from __future__ import annotations

from enum import IntEnum

from aipm_cli.plainclass import plain

EXCERPT_CHARS = 60


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of a value, for quoting a bad value in a message.

    A message must never echo a whole file or a 20 MB value back: it quotes
    the start of the value, on one line, and says how much was left out.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return f"a number of about {int(value.bit_length() * 0.30103):,} digits"
    try:
        text = value if isinstance(value, str) else repr(value)
    except (ValueError, RecursionError):
        text = f"a {type(value).__name__} too large to show"
    head = " ".join(text[: limit * 4].split()) if text.strip() else text[: limit * 4]
    if len(text) <= limit and head == text:
        return text
    if len(head) <= limit and len(text) <= limit * 4:
        return head
    return f"{head[: limit - 1]}… ({len(text):,} characters)"


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # a user-facing error: message on stderr
    USAGE = 2  # bad command-line usage (Typer's own)


class AipmError(Exception):
    """An error the learner can act on: a message and, optionally, what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        return [self.message] + ([self.hint] if self.hint else [])


class UsageError(AipmError):
    """A command-line value that cannot be used (exit 2): the CLI says it in Typer's usual form."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


@plain(frozen=True)
class Problem:
    """One thing wrong with a roadmap file: where it is and what is wrong."""

    file: str
    where: str  # e.g. "phases[2].modules[0].items[3].duration", or "" for the file
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        if self.where:
            return f"{place}: {self.where}: {self.message}"
        return f"{place}: {self.message}"


class RoadmapError(AipmError):
    """A roadmap file that cannot be used; carries every problem found."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"{file} is not a valid roadmap ({count} {noun}).",
            "Fix the places listed and run `aipm roadmap validate FILE` again.",
        )
        self.file = file
        self.problems = problems

    def lines(self) -> list[str]:
        return [self.message] + [f"  {p}" for p in self.problems] + [self.hint or ""]


class RoadmapNotFound(AipmError):
    pass


class StoreError(AipmError):
    """A learner's store that cannot be read or written; it is left untouched."""


class ItemNotFound(AipmError):
    pass


class InputError(AipmError):
    """A bad value given by the learner (date, level, hours, name...)."""
