"""Durations as people write them ("4 weeks", "6-8 weeks", "90 minutes", "2h").

A duration is a range (low..high) in one unit. Converting it to study hours
uses the documented assumption in `study_hours`.
"""

from __future__ import annotations

import re

from aipm_cli.plainclass import plain

# Unit spellings -> canonical unit.
_UNITS = {
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
    "hour": "hour", "hours": "hour", "h": "hour", "hr": "hour", "hrs": "hour",
    "day": "day", "days": "day", "d": "day",
    "week": "week", "weeks": "week", "w": "week", "wk": "week", "wks": "week",
    "month": "month", "months": "month", "mo": "month", "mos": "month",
}  # fmt: skip

_NUMBER = r"(\d+(?:\.\d+)?)"
_PATTERN = re.compile(
    rf"^\s*(?:about\s+|~\s*)?{_NUMBER}\s*(?:(?:-|–|—|to)\s*{_NUMBER})?\s*([a-z]+)\.?\s*$",
    re.IGNORECASE,
)

WEEKS_PER_MONTH = 52 / 12


@plain(frozen=True)
class Duration:
    low: float
    high: float
    unit: str  # minute, hour, day, week, month
    text: str

    def __str__(self) -> str:
        return self.text

    def weeks(self) -> tuple[float, float]:
        """The range in weeks of study at the roadmap's reference pace."""
        factor = {"day": 1 / 7, "week": 1.0, "month": WEEKS_PER_MONTH}.get(self.unit)
        if factor is None:
            return (0.0, 0.0)
        return (self.low * factor, self.high * factor)

    def study_hours(self, reference_hours_per_week: float) -> tuple[float, float]:
        """Study hours for this duration.

        Minutes and hours are taken literally. Days, weeks and months are
        calendar time at the roadmap's reference pace (its `hours_per_week`,
        8 by default): "4 weeks" of a course is 4 x 8 = 32 study hours.
        """
        if self.unit == "minute":
            return (self.low / 60, self.high / 60)
        if self.unit == "hour":
            return (self.low, self.high)
        low, high = self.weeks()
        return (low * reference_hours_per_week, high * reference_hours_per_week)


def parse_duration(text: str) -> Duration:
    """Parse a duration or raise ValueError with a plain sentence."""
    match = _PATTERN.match(text)
    unit = _UNITS.get(match.group(3).lower()) if match else None
    if not match or unit is None:
        raise ValueError(
            f"'{text}' is not a duration; write it as people do, "
            "e.g. '4 weeks', '6-8 weeks', '3-4 months', '90 minutes' or '2h'"
        )
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) else low
    if high < low:
        raise ValueError(f"'{text}' is a range that ends before it starts")
    if high <= 0:
        raise ValueError(f"'{text}' is not a positive duration")
    return Duration(low, high, unit, text.strip())
