"""How much the learner really studies a week, measured from logged time, and when that is enough to forecast.

One measure for every view: `status` (its study lines and its forecast), the reports and the
cohort's forecast all take the hours a week from `measured_pace`, so they agree. A forecast from one
30-minute session would put the finish years or days away; the measured hours are used only when the
logged time spans MIN_SPAN_DAYS days with time on MIN_STUDY_DAYS different days, and the hours a
week are the average over the last MEASURE_DAYS days (or since the first session, when that is
later). Until then the views say what is missing and forecast at the weekly hours setting.

The hours logged per hour of the sources' durations (on finished items) are blended with the
reference pace: with little finished work the reference pace dominates (`blend`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from aipm_cli.record.studying import SLOT_MINUTES, Study

MEASURE_DAYS = 28  # the window of the hours-a-week average
MIN_SPAN_DAYS = 14  # from the first session to today
MIN_STUDY_DAYS = 3  # different days with time logged
BLEND_HOURS = 40.0  # reference hours of finished work at which measured and reference weigh the same
FACTOR_RANGE = (0.5, 2.0)  # a measured rate outside this is more likely partial logging than real pace
WEEKS_MEASURED = 8
_EPOCH = date(1970, 1, 1)


def first_day(study: Study, zone: tzinfo) -> date | None:
    """The first day with time logged, in `zone`."""
    days = [date.fromisoformat(d) for d, m in study.days.items() if m]
    if study.utc_days:
        days.append(_EPOCH + timedelta(days=min(study.utc_days)))
    if study.slots:
        moment = datetime.fromtimestamp(min(study.slots) * SLOT_MINUTES * 60, UTC)
        days.append(moment.astimezone(zone).date())
    return min(days) if days else None


def measured_pace(study: Study, zone: tzinfo, today: date) -> dict[str, Any]:
    """The hours a week the learner studied (the average over the last MEASURE_DAYS days, or since the
    first session when later), and whether there is enough to forecast from (`enough`).

    Keys: minutes_per_week, since (the window's first day), first (the first session's day),
    study_days (days with time in the window), enough, missing (what is still needed, for the views)."""
    from aipm_cli.study import minutes_by_day

    first = first_day(study, zone)
    if first is None or first > today:
        return {"minutes_per_week": 0, "since": None, "first": None, "study_days": 0, "enough": False,
                "missing": "no time logged yet"}  # fmt: skip
    since = max(first, today - timedelta(days=MEASURE_DAYS - 1))
    days = minutes_by_day(study, zone, since, today)
    weeks = max(1.0, ((today - since).days + 1) / 7)
    per_week = round(sum(days.values()) / weeks)
    studied = sum(1 for m in days.values() if m)
    span = (today - first).days
    from aipm_cli.wording import count

    missing = []
    if span < MIN_SPAN_DAYS:
        missing.append(count(MIN_SPAN_DAYS - span, "more day"))
    if studied < MIN_STUDY_DAYS:
        missing.append(f"time on {count(MIN_STUDY_DAYS - studied, 'more day')}")
    return {
        "minutes_per_week": per_week,
        "since": since,
        "first": first,
        "study_days": studied,
        "enough": not missing and per_week > 0,
        "missing": " and ".join(missing) or ("" if per_week else "time logged in the last four weeks"),
    }


def blend(spent_hours: float, estimated_hours: float) -> float:
    """Hours per reference hour: the measured ratio on finished work, weighed against the reference
    pace (1.0) by how much finished work it rests on, and kept within FACTOR_RANGE."""
    if estimated_hours <= 0:
        return 1.0
    weight = estimated_hours / (estimated_hours + BLEND_HOURS)
    factor = weight * (spent_hours / estimated_hours) + (1 - weight)
    return min(max(factor, FACTOR_RANGE[0]), FACTOR_RANGE[1])


def weekly_goal(study: Study, zone: tzinfo, today: date, goal_minutes: int) -> dict[str, Any]:
    """A forgiving measure: the weeks of the last WEEKS_MEASURED (this one included) whose time met the
    weekly goal, and the measured hours a week (`measured_pace`); one missed day breaks nothing."""
    from aipm_cli.study import minutes_by_day, week_of

    monday = week_of(today)[0]
    first = monday - timedelta(weeks=WEEKS_MEASURED - 1)
    days = minutes_by_day(study, zone, first, monday + timedelta(days=6))
    weeks: list[dict[str, Any]] = []
    for number in range(WEEKS_MEASURED):
        start = first + timedelta(weeks=number)
        spent = sum(m for d, m in days.items() if start <= d < start + timedelta(days=7))
        weeks.append({"week_of": start.isoformat(), "minutes": spent, "met": spent >= goal_minutes > 0})
    pace = measured_pace(study, zone, today)
    return {
        "weeks": weeks,
        "weeks_met": sum(1 for w in weeks if w["met"]),
        "average_minutes": pace["minutes_per_week"] if pace["since"] else None,  # no time logged: no average
        "average_since": pace["since"].isoformat() if pace["since"] else None,
        "average_over_days": (today - pace["since"]).days + 1 if pace["since"] else 0,
        "pace_enough": pace["enough"],
        "pace_missing": pace["missing"],
    }
