"""The words every view puts beside hours and finish dates: they are aipm's estimate, and from what.

The sources give durations in weeks and months for some parts only; aipm turns
them into study hours at the roadmap's reference pace and fills the rest with
its own per-kind defaults (progress.py). A view that shows hours or a date says
so with these sentences, in ranges, never one day or one decimal.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.view_data import Forecast

WORD = "estimate"  # what the tests look for in every view that shows hours or a date


def hours(low: float, high: float) -> str:
    """'384-512 h': whole hours, a range only when the ends differ."""
    a, b = round(low), round(high)
    return f"{a} h" if a == b else f"{a}-{b} h"


def month_range(first: date, last: date) -> str:
    a, b = first.strftime("%B %Y"), last.strftime("%B %Y")
    if a == b:
        return f"in {a}"
    if first.year == last.year:
        return f"between {first.strftime('%B')} and {b}"
    return f"between {a} and {b}"


def origin_of(source: tuple[float, float], default: tuple[float, float], reference: float) -> str:
    """'342-467 h from the sources' durations (8 study hours a source week) + 90-180 h of aipm's defaults ...'."""
    parts = []
    if source[1] > 0:
        parts.append(f"{hours(*source)} from the sources' durations ({reference:g} study hours a source week)")
    if default[1] > 0:
        parts.append(f"{hours(*default)} of aipm's defaults for items the sources give no time")
    return " + ".join(parts)


def origin(f: Forecast) -> str:
    """What the hours left are made of."""
    return origin_of(f.source_hours, f.default_hours, f.reference_hours_per_week)


def forecast_lines(f: Forecast) -> list[str]:
    """The forecast in a few short sentences, each saying what it rests on."""
    from aipm_cli.wording import count

    if f.finish is None:
        lines = ["Nothing left to do with an end: every item is done or skipped."]
        if f.ongoing_left:
            lines.append(f"{count(f.ongoing_left, 'ongoing habit or community', 'ongoing habits and communities')} "
                         "still open: they have no end date.")  # fmt: skip
        return lines
    lines = [
        f"{hours(*f.remaining_hours)} of study left: {origin(f)}.",
    ]
    studied = studied_sentence(f)
    if studied:
        lines.append(studied + ".")
    if f.pace_hours_per_week is not None and f.pace_finish is not None:
        since = f" since {f.pace_since.isoformat()}" if f.pace_since else ""
        lines.append(
            f"From your own pace ({f.pace_hours_per_week:.0f} estimated h a week{since}): "
            f"done {month_range(*f.pace_finish)}."
        )
        lines.append(f"At {f.hours_per_week:g} h a week (`aipm config hours_per_week`): done {month_range(*f.finish)}.")
    else:
        lines.append(f"At {f.hours_per_week:g} h a week (`aipm config hours_per_week`): done {month_range(*f.finish)}.")
        lines.append("No pace yet: finish a few items over two weeks and aipm will forecast from your own pace.")
    if f.ongoing_left:
        lines.append(
            f"Not counted: {count(f.ongoing_left, 'ongoing habit or community', 'ongoing habits and communities')} "
            "(no end date)."
        )
    return lines


def studied_sentence(f: Forecast) -> str | None:
    """The forecast from logged study time, saying what it rests on; before there is enough logged time,
    what is still missing (None before any time is logged)."""
    if f.studied_finish is None or f.studied_hours_per_week is None or f.studied_remaining_hours is None:
        if not f.studied_logged_hours or not f.studied_missing:
            return None
        from aipm_cli.study_pace import MIN_SPAN_DAYS, MIN_STUDY_DAYS
        from aipm_cli.wording import count

        return (
            f"Logged study time: {f.studied_logged_hours:g} h so far; aipm forecasts from it once it spans "
            f"{count(MIN_SPAN_DAYS, 'day')} with time on {count(MIN_STUDY_DAYS, 'different day')} "
            f"(still needed: {f.studied_missing}). Until then, the forecast is at your weekly hours"
        )
    since = f" since {f.studied_window_since.isoformat()}" if f.studied_window_since else ""
    if f.studied_per_source_hour is not None:
        from aipm_cli.wording import count

        rate = (f"{f.studied_per_source_hour:g} h per hour of the sources' durations, from "
                f"{count(f.studied_finished_items, 'finished item')} with time logged blended with the "
                f"reference pace, so {hours(*f.studied_remaining_hours)} left")  # fmt: skip
    else:
        rate = "the sources' durations at the reference pace (no finished item with time logged yet)"
    return (
        f"From your logged study time ({f.studied_hours_per_week:g} h a week on average{since}; {rate}): "
        f"done {month_range(*f.studied_finish)}"
    )


def short(f: Forecast, *, compact: bool = False) -> str:
    """One line for a header: 'aipm's estimate: done Feb 2028–Sep 2028 at 8 h a week'. `compact`: the same
    numbers in fewer words, for a narrow terminal: 'estimate: done Feb–Sep 2028 at 8 h a week'."""
    if f.finish is None:
        return "nothing left with an end"
    if f.studied_finish is not None and f.studied_hours_per_week is not None:
        a, b = f.studied_finish
        if compact:
            return f"estimate: done {month_span((a, b))} (logged time, {f.studied_hours_per_week:g} h a week)"
        return f"estimate from your logged time ({f.studied_hours_per_week:g} h a week): done {a:%b %Y}–{b:%b %Y}"
    if f.pace_finish is not None and f.pace_hours_per_week is not None:
        a, b = f.pace_finish
        if compact:
            return f"estimate: done {month_span((a, b))} (your pace, {f.pace_hours_per_week:.0f} h a week)"
        return f"estimate from your pace ({f.pace_hours_per_week:.0f} h a week): done {a:%b %Y}–{b:%b %Y}"
    a, b = f.finish
    if compact:
        return f"estimate: done {month_span((a, b))} at {f.hours_per_week:g} h a week"
    return f"aipm's estimate: done {a:%b %Y}–{b:%b %Y} at {f.hours_per_week:g} h a week"


def month_span(span: tuple[date, date] | None, short: bool = False) -> str:
    """A finish range in a few characters: 'Mar–May 2027', 'Dec 2027–Jun 2028' ('Dec 27–Jun 28' when short)."""
    if span is None:
        return "–"
    first, last = span
    year = "%b %y" if short else "%b %Y"
    if (first.year, first.month) == (last.year, last.month):
        return first.strftime(year)
    if first.year == last.year:
        return f"{first:%b}–{last.strftime(year)}"
    return f"{first.strftime(year)}–{last.strftime(year)}"


def report_sentence(f: Forecast) -> str | None:
    """The forecast as two sentences for a report someone else reads (Markdown and HTML)."""
    if f.finish is None:
        return None
    text = (
        f"aipm's estimate, {hours(*f.remaining_hours)} of study left: {origin(f)}. "
        f"At {f.hours_per_week:g} h a week, done {month_range(*f.finish)}"
    )
    if f.pace_finish is not None and f.pace_hours_per_week is not None:
        since = f" since {f.pace_since.isoformat()}" if f.pace_since else ""
        text += (
            f"; from the learner's own pace ({f.pace_hours_per_week:.0f} estimated h a week{since}), "
            f"{month_range(*f.pace_finish)}"
        )
    studied = studied_sentence(f)
    if studied:
        text += "; " + studied[0].lower() + studied[1:]
    return text + "."
