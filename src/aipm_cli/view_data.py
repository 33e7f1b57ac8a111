"""What the views show, as plain dataclasses (no pydantic: the fast path loads these from a cache)."""

from __future__ import annotations

from dataclasses import field
from datetime import date
from typing import Any

from aipm_cli.plainclass import fields, is_plain, plain
from aipm_cli.roadmap.vocabulary import Status

WEEKS_SHOWN = 8
ORPHANS_LISTED = 20  # a view names this many ids with progress the roadmap lacks, and counts the rest


@plain
class Counts:
    total: int = 0
    done: int = 0
    in_progress: int = 0
    skipped: int = 0
    not_started: int = 0

    def add(self, status: Status) -> None:
        self.total += 1
        setattr(self, status, getattr(self, status) + 1)

    @property
    def percent(self) -> float:
        return round(self.exact_percent, 1)

    @property
    def exact_percent(self) -> float:
        """Percent done, not rounded: what figures across learners (a median) are computed from."""
        denominator = self.total - self.skipped
        return self.done / denominator * 100 if denominator > 0 else 0.0


@plain
class Row:
    """One item as views show it."""

    id: str
    title: str
    kind: str
    phase: str
    module: str
    status: Status
    priority: str | None
    duration: str | None
    started_on: date | None
    completed_on: date | None
    skipped_on: date | None
    deliverables: list[dict[str, Any]] | None = None
    context: str = ""  # the module it sits in: a title such as "Transparency" is not understood alone


@plain
class ModuleSummary:
    id: str
    title: str
    percent: float
    counts: Counts


@plain
class PhaseSummary:
    id: str
    title: str
    percent: float
    counts: Counts
    modules: list[ModuleSummary]


@plain
class Forecast:
    hours_per_week: float
    remaining_hours: tuple[float, float]
    finish: tuple[date, date] | None  # at the planned weekly hours
    pace_hours_per_week: float | None = None  # measured from history, when there is enough
    pace_finish: tuple[date, date] | None = None
    basis: str = ""
    # Where the remaining hours come from: the sources' durations (at the roadmap's reference
    # pace, `reference_hours_per_week` study hours a source week) and aipm's defaults for items
    # the sources give no time; ongoing habits and communities are left out (`ongoing_left`).
    source_hours: tuple[float, float] = (0.0, 0.0)
    default_hours: tuple[float, float] = (0.0, 0.0)
    reference_hours_per_week: float = 8.0
    ongoing_left: int = 0
    pace_since: date | None = None  # the first date on record the pace is measured from
    # From logged study time (aipm study, study_pace.py), once there is enough of it: the hours a week
    # averaged since `studied_window_since`; the hours logged on finished items per estimated hour of
    # their sources' durations, blended with the reference pace (None: no such item yet, the reference
    # pace stands); the hours left so adjusted, and the finish at the measured hours a week. Before
    # there is enough: `studied_logged_hours` and what is still missing (`studied_missing`).
    studied_hours_per_week: float | None = None
    studied_per_source_hour: float | None = None
    studied_remaining_hours: tuple[float, float] | None = None
    studied_finish: tuple[date, date] | None = None
    studied_since: date | None = None  # the first session's day
    studied_window_since: date | None = None
    studied_finished_items: int = 0
    studied_logged_hours: float = 0.0
    studied_missing: str = ""


@plain
class Certificate:
    id: str
    title: str
    earned_on: date | None
    credential: str | None
    expires_on: date | None
    expired: bool


@plain
class Summary:
    roadmap: dict[str, str]
    user: str
    today: date
    percent: float
    counts: Counts
    phases: list[PhaseSummary]
    in_progress: list[Row]
    next: list[Row]
    forecast: Forecast
    weeks: list[dict[str, Any]] = field(default_factory=list)  # last WEEKS_SHOWN weeks, oldest first: events per week
    certifications: list[Certificate] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # the first ORPHANS_LISTED of them, sorted
    orphan_count: int = 0  # every id with progress this roadmap does not have, counted once
    study: dict[str, Any] = field(default_factory=dict)  # study time (study.py: time_block, status_block)

    @property
    def active_weeks(self) -> int:
        return sum(1 for w in self.weeks if w["active"])


def to_data(value: Any) -> Any:
    """Plain data classes and dataclasses, dates and tuples -> JSON-ready data."""
    if is_plain(value):
        return {name: to_data(getattr(value, name)) for name in fields(value)}
    if hasattr(value, "__dataclass_fields__"):  # the report's and the cohort's own classes
        import dataclasses

        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
