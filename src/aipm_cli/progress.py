"""Pure functions: roadmap + learner's progress -> summaries. No I/O.

Counting rules (PRODUCT.md, "Percentages and forecasts"):
- the trackable units are items without deliverables, and deliverables; a
  project is as done as its deliverables, a module or phase as its items;
- percent = done / (units - skipped) x 100: skipped units leave the fraction.

Effort model (used by the forecast and the study plan):
- an item's study hours come from its own duration; an item without one
  shares what is left of its module's duration with its siblings, weighted
  by kind (KIND_WEIGHT); otherwise a per-kind default applies (KIND_HOURS);
- days, weeks and months are study time at the roadmap's reference pace
  (`hours_per_week`, 8 unless the roadmap says otherwise).
"""

from __future__ import annotations

from datetime import UTC, date, timedelta, tzinfo
from typing import Any

from aipm_cli.record.state import State
from aipm_cli.roadmap.plain import Item, Roadmap
from aipm_cli.unit_status import orphans, record, status_of
from aipm_cli.view_data import (
    ORPHANS_LISTED,
    WEEKS_SHOWN,
    Certificate,
    Counts,
    Forecast,
    ModuleSummary,
    PhaseSummary,
    Row,
    Summary,
)

# Study hours (low, high) for an item that has no duration of its own and no
# module duration to share.
KIND_HOURS: dict[str, tuple[float, float]] = {
    "course": (20, 40),
    "resource": (4, 8),
    "topic": (2, 4),
    "exercise": (2, 4),
    "project": (10, 20),
    "certification": (8, 16),
    "community": (0.5, 1),
    "practice": (1, 2),
}
# How an item without a duration shares its module's duration with its siblings:
# a course takes four times the share of a topic.
KIND_WEIGHT: dict[str, float] = {
    "course": 4, "project": 4, "resource": 2, "certification": 2,
    "topic": 1, "exercise": 1, "practice": 1, "community": 0.5,
}  # fmt: skip
DEFAULT_HOURS_PER_WEEK = 8.0
# A pace claim needs this much history: completions spread over two weeks.
PACE_MIN_DONE = 2
PACE_MIN_DAYS = 14


def row(roadmap: Roadmap, progress: State, item_id: str) -> Row:
    placed = roadmap.index.items[item_id]
    item = placed.item
    rec = record(progress, item_id)
    deliverables: list[dict[str, Any]] | None = None
    if item.deliverables:
        deliverables = [
            {"id": d.id, "title": d.title, "status": record(progress, d.id).status,
             "completed_on": record(progress, d.id).completed_on}
            for d in item.deliverables
        ]  # fmt: skip
    completed = rec.completed_on
    status = status_of(roadmap.index, progress, item_id)
    if deliverables and status == "done" and completed is None:
        dates = [rec_date for d in item.deliverables if (rec_date := record(progress, d.id).completed_on)]
        completed = max(dates) if dates else None
    return Row(
        id=item.id,
        title=item.title,
        kind=item.kind,
        phase=placed.phase.id,
        module=placed.module.id,
        status=status,
        priority=item.priority,
        duration=item.duration,
        started_on=rec.started_on,
        completed_on=completed,
        skipped_on=rec.skipped_on,
        deliverables=deliverables,
        context=placed.module.title,
    )


def rows(roadmap: Roadmap, progress: State) -> list[Row]:
    return [row(roadmap, progress, item_id) for item_id in roadmap.index.items]


def _units(item: Item) -> list[str]:
    return [d.id for d in item.deliverables] if item.deliverables else [item.id]


def counts_for(roadmap: Roadmap, progress: State, items: list[Item]) -> Counts:
    counts = Counts()
    for item in items:
        for unit in _units(item):
            counts.add(record(progress, unit).status)  # type: ignore[arg-type]
    return counts


def requirements_met(roadmap: Roadmap, progress: State, item_id: str) -> bool:
    """Every required item is done (or skipped: a learner who skips a
    prerequisite has decided they do not need it)."""
    index = roadmap.index
    return all(status_of(index, progress, r) in ("done", "skipped") for r in index.items[item_id].requires)


def next_items(roadmap: Roadmap, progress: State, limit: int | None = None) -> list[Row]:
    """Not done or skipped, prerequisites met: in-progress first; then the first open item of each
    phase in turn (the role's duties do not crowd out Phase 1 after the foundation course), the
    second of each, and so on; ongoing habits and communities last, in roadmap order."""
    from aipm_cli.roadmap.kinds import is_ongoing

    index = roadmap.index
    started: list[str] = []
    per_phase: dict[str, list[str]] = {}
    ongoing: list[str] = []
    for item_id, placed in index.items.items():
        status = status_of(index, progress, item_id)
        if status in ("done", "skipped") or not requirements_met(roadmap, progress, item_id):
            continue
        if status == "in_progress":
            started.append(item_id)
        elif is_ongoing(placed.item, placed.module):
            ongoing.append(item_id)
        else:
            per_phase.setdefault(placed.phase.id, []).append(item_id)
    fresh: list[str] = []
    queues = list(per_phase.values())
    for depth in range(max((len(q) for q in queues), default=0)):
        fresh.extend(q[depth] for q in queues if depth < len(q))
    chosen = (started + fresh + ongoing)[: limit if limit is not None else None]
    return [row(roadmap, progress, i) for i in chosen]


# --------------------------------------------------------------------------- #
# Effort and forecast
# --------------------------------------------------------------------------- #


def effort_hours(roadmap: Roadmap) -> dict[str, tuple[float, float]]:
    """Study hours (low, high) per item, by the effort model in this module's docstring."""
    return {item_id: (low, high) for item_id, (low, high, _source) in effort(roadmap).items()}


def effort(roadmap: Roadmap) -> dict[str, tuple[float, float, bool]]:
    """Study hours (low, high) per item, and whether they come from a source's duration (the item's
    own, or its share of its module's) rather than from aipm's per-kind default."""
    pace = roadmap.hours_per_week
    out: dict[str, tuple[float, float, bool]] = {}
    for phase in roadmap.phases:
        for module in phase.modules:
            known: dict[str, tuple[float, float]] = {}
            unknown: list[Item] = []
            for item in module.items:
                d = item.parsed_duration
                if d is not None:
                    known[item.id] = d.study_hours(pace)
                else:
                    unknown.append(item)
            out.update({k: (v[0], v[1], True) for k, v in known.items()})
            share: tuple[float, float] | None = None
            md = module.parsed_duration
            weights = sum(KIND_WEIGHT[i.kind] for i in unknown)
            if md is not None and unknown:
                low, high = md.study_hours(pace)
                low -= sum(k[0] for k in known.values())
                high -= sum(k[1] for k in known.values())
                if high > 0:
                    share = (max(low, 0) / weights, high / weights)
            for item in unknown:
                weight = KIND_WEIGHT[item.kind]
                if share:
                    out[item.id] = (share[0] * weight, share[1] * weight, True)
                else:
                    out[item.id] = (*KIND_HOURS[item.kind], False)
    return out


def _remaining_fraction(roadmap: Roadmap, progress: State, item: Item) -> float:
    units = _units(item)
    left = sum(1 for u in units if record(progress, u).status in ("not_started", "in_progress"))
    return left / len(units)


def _done_fraction(progress: State, item: Item) -> float:
    units = _units(item)
    return sum(1 for u in units if record(progress, u).status == "done") / len(units)


def _from_study_time(
    roadmap: Roadmap,
    progress: State,
    today: date,
    result: Forecast,
    efforts: dict[str, tuple[float, float, bool]],
    source: list[float],
    default: list[float],
    zone: tzinfo,
) -> None:
    """The forecast from logged study time, once there is enough of it (study_pace.measured_pace): the
    measured hours a week, and the hours logged per estimated source hour on finished items, blended
    with the reference pace (study_pace.blend), applied to what the sources' durations say is left
    (aipm's defaults stand where the learner has no data). Before that, only what is missing."""
    from aipm_cli.study_pace import blend, measured_pace

    study = progress.study
    if sum(study.minutes.values()) <= 0:
        return
    pace = measured_pace(study, zone, today)
    result.studied_logged_hours = round(sum(study.minutes.values()) / 60, 1)
    result.studied_since = pace["first"]
    if not pace["enough"]:
        result.studied_missing = pace["missing"]
        return
    per_week = pace["minutes_per_week"] / 60
    spent = estimated = 0.0
    finished = 0
    for item_id, (low, high, from_source) in efforts.items():
        minutes = study.minutes.get(item_id, 0)
        if from_source and minutes and status_of(roadmap.index, progress, item_id) == "done":
            spent += minutes / 60
            estimated += (low + high) / 2
            finished += 1
    factor = blend(spent, estimated)
    low = source[0] * factor + default[0]
    high = source[1] * factor + default[1]
    result.studied_hours_per_week = round(per_week, 1)
    result.studied_window_since = pace["since"]
    result.studied_per_source_hour = round(factor, 2) if finished else None
    result.studied_finished_items = finished
    result.studied_remaining_hours = (round(low, 1), round(high, 1))
    if high > 0 and per_week > 0:
        result.studied_finish = (today + timedelta(weeks=low / per_week), today + timedelta(weeks=high / per_week))


def forecast(roadmap: Roadmap, progress: State, today: date, hours_per_week: float, zone: tzinfo = UTC) -> Forecast:
    """Study hours left and a finish range: aipm's estimate, its parts kept apart (see Forecast).

    Ongoing habits and communities (kinds.is_ongoing) have no end, so they are
    neither in the hours left nor in the pace.
    """
    from aipm_cli.roadmap.kinds import is_ongoing

    efforts = effort(roadmap)
    source = [0.0, 0.0]
    default = [0.0, 0.0]
    ongoing_left = 0
    for placed in roadmap.index.items.values():
        fraction = _remaining_fraction(roadmap, progress, placed.item)
        if is_ongoing(placed.item, placed.module):
            ongoing_left += fraction > 0
            continue
        e_low, e_high, from_source = efforts[placed.item.id]
        part = source if from_source else default
        part[0] += e_low * fraction
        part[1] += e_high * fraction
    low, high = source[0] + default[0], source[1] + default[1]
    result = Forecast(
        hours_per_week=hours_per_week,
        remaining_hours=(round(low, 1), round(high, 1)),
        finish=None,
        source_hours=(round(source[0], 1), round(source[1], 1)),
        default_hours=(round(default[0], 1), round(default[1], 1)),
        reference_hours_per_week=roadmap.hours_per_week,
        ongoing_left=ongoing_left,
    )
    if high <= 0:
        result.basis = "nothing left to do"
        return result
    result.finish = (today + timedelta(weeks=low / hours_per_week), today + timedelta(weeks=high / hours_per_week))
    from aipm_cli.wording import span

    result.basis = f"aipm's estimate: {span(low, high, 'study hour')} left at {hours_per_week:g} h a week"

    # The learner's own pace: estimated hours of the items they completed, per week since they began.
    done_dates = []
    done_hours = 0.0
    first: date | None = None
    for placed in roadmap.index.items.values():
        item = placed.item
        for unit in _units(item):
            rec = record(progress, unit)
            for d in (rec.started_on, rec.completed_on):
                if d and (first is None or d < first):
                    first = d
            if rec.status == "done" and rec.completed_on:
                done_dates.append(rec.completed_on)
        if is_ongoing(item, placed.module):
            continue
        e = efforts[item.id]
        done_hours += (e[0] + e[1]) / 2 * _done_fraction(progress, item)
    _from_study_time(roadmap, progress, today, result, efforts, source, default, zone)
    if first is None or len(done_dates) < PACE_MIN_DONE or (today - first).days < PACE_MIN_DAYS:
        return result
    weeks = (today - first).days / 7
    pace = done_hours / weeks
    if pace <= 0:
        return result
    result.pace_hours_per_week = round(pace, 1)
    result.pace_finish = (today + timedelta(weeks=low / pace), today + timedelta(weeks=high / pace))
    result.pace_since = first
    return result


def activity_weeks(progress: State, today: date, count: int = WEEKS_SHOWN, zone: tzinfo = UTC) -> list[dict[str, Any]]:
    """Per ISO week (Monday first), how many dated events the learner's records
    hold (starts, completions, skips, notes, evidence, skill ratings, and each day
    with study time, in the learner's zone); oldest first.

    Read from the records, not the history, so it costs the same after years
    of changes; an undone change has already left the records.
    """
    this_monday = today - timedelta(days=today.weekday())
    starts = [this_monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    changes = dict.fromkeys(starts, 0)
    first = starts[0]

    def add(day: date | None) -> None:
        if day is not None and first <= day <= today:
            changes[day - timedelta(days=day.weekday())] += 1

    for rec in progress.items.values():
        for day in (rec.started_on, rec.completed_on, rec.skipped_on):
            add(day)
        for note in rec.notes:
            add(note.on)
        for proof in rec.evidence:
            add(proof.on)
    for ratings in progress.skills.values():
        for rating in ratings:
            add(rating.on)
    if progress.study.minutes:  # a week spent studying is an active week, whatever else it recorded
        from aipm_cli.study import minutes_by_day

        for day in minutes_by_day(progress.study, zone, first, today):
            add(day)
    return [{"week_of": s, "changes": n, "active": n > 0} for s, n in changes.items()]


def certifications(roadmap: Roadmap, progress: State, today: date) -> list[Certificate]:
    out = []
    for placed in roadmap.index.items.values():
        item = placed.item
        if item.kind != "certification" or status_of(roadmap.index, progress, item.id) != "done":
            continue
        rec = record(progress, item.id)
        expires = rec.expires_on
        out.append(
            Certificate(
                id=item.id,
                title=item.title,
                earned_on=rec.completed_on,
                credential=rec.credential,
                expires_on=expires,
                expired=bool(expires and expires < today),
            )
        )
    return out


def summarize(
    roadmap: Roadmap,
    progress: State,
    user: str,
    today: date,
    hours_per_week: float = DEFAULT_HOURS_PER_WEEK,
    next_count: int = 3,
    zone: tzinfo = UTC,
) -> Summary:
    phases = []
    total = Counts()
    for phase in roadmap.phases:
        modules = []
        phase_counts = Counts()
        for module in phase.modules:
            c = counts_for(roadmap, progress, list(module.items))
            modules.append(ModuleSummary(module.id, module.title, c.percent, c))
            for name in ("total", "done", "in_progress", "skipped", "not_started"):
                setattr(phase_counts, name, getattr(phase_counts, name) + getattr(c, name))
        for name in ("total", "done", "in_progress", "skipped", "not_started"):
            setattr(total, name, getattr(total, name) + getattr(phase_counts, name))
        phases.append(PhaseSummary(phase.id, phase.title, phase_counts.percent, phase_counts, modules))
    index = roadmap.index
    in_progress = [row(roadmap, progress, i) for i in index.items if status_of(index, progress, i) == "in_progress"]
    upcoming = [r for r in next_items(roadmap, progress) if r.status != "in_progress"][:next_count]
    lost = orphans(index, progress)  # counted once; views name the first few (reports list every one)
    return Summary(
        roadmap={"id": roadmap.id, "title": roadmap.title, "version": roadmap.version},
        user=user,
        today=today,
        percent=total.percent,
        counts=total,
        phases=phases,
        in_progress=in_progress,
        next=upcoming,
        forecast=forecast(roadmap, progress, today, hours_per_week, zone),
        weeks=activity_weeks(progress, today, zone=zone or UTC),
        certifications=certifications(roadmap, progress, today),
        orphans=lost[:ORPHANS_LISTED],
        orphan_count=len(lost),
    )
