"""Dates as learners type them."""

from __future__ import annotations

import re
from datetime import date, timedelta

from aipm_cli.errors import InputError
from aipm_cli.wording import article

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(
    text: str,
    today: date,
    *,
    allow_future: bool = False,
    what: str = "date",
    earliest: tuple[date, str] | None = None,
) -> date:
    """A date as YYYY-MM-DD (2026-10-01), `today` or `yesterday`: only what the help says (Python's
    fromisoformat also takes 20261001 and 2026-W40-1; aipm does not). An empty value is refused, never
    read as no date. With `earliest` (a day, and what a date before it is: "more than a year ago"),
    none before that day."""
    value = text.strip().lower()
    forms = "Use YYYY-MM-DD (e.g. 2026-10-01)" + (", 'today' or 'yesterday'." if not allow_future else " or 'today'.")
    if not value:
        raise InputError(f"The {what} is empty.", forms)
    if value == "today":
        result = today
    elif value == "yesterday":
        result = today - timedelta(days=1)
    else:
        try:
            if not _ISO_DAY.fullmatch(value):
                raise ValueError(value)
            result = date.fromisoformat(value)
        except ValueError:
            raise InputError(f"'{text}' is not {article(what)} aipm understands.", forms) from None
    if result.year < 1970:
        raise InputError(f"The {what} {result.isoformat()} is before 1970.", "Give a date from 1970 on.")
    if allow_future and result.year > 2200:
        raise InputError(f"The {what} {result.isoformat()} is too far ahead.", "Give a date before 2200.")
    if earliest is not None and result < earliest[0]:
        raise InputError(
            f"The {what} {result.isoformat()} is {earliest[1]}.", f"Give {earliest[0].isoformat()} or a later date."
        )
    if not allow_future and result > today:
        raise InputError(f"The {what} {result.isoformat()} is in the future.", "Give today's date or an earlier one.")
    return result


def a_year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)
