"""A dated study plan for what is left (its calendar export: calendar.py).

Order: items in progress first, then roadmap order; an item is placed only
after everything it requires (done, skipped, or planned earlier). Items are
studied one after another at the learner's weekly hours; an item's hours are
the midpoint of its effort range (see progress.effort) times the share
of it still to do. The plan keeps the whole range too (`hours_range`,
`finish_range`), which views show rather than the midpoint's one day.
Ongoing habits and communities (kinds.is_ongoing) are not scheduled: they are
listed in `ongoing`.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import field
from datetime import date, timedelta

from aipm_cli.plainclass import plain
from aipm_cli.progress import effort
from aipm_cli.record.state import State as RoadmapProgress
from aipm_cli.roadmap.plain import Roadmap
from aipm_cli.unit_status import record, status_of


@plain
class PlannedItem:
    id: str
    title: str
    kind: str
    url: str | None
    hours: float
    start: date
    end: date  # inclusive
    context: str = ""  # the module it sits in: a title such as "Transparency" is not understood alone


@plain
class Plan:
    hours_per_week: float
    start: date
    finish: date | None  # where the midpoints end; views show `finish_range`
    total_hours: float  # the midpoints' sum
    items: list[PlannedItem]
    # aipm's estimate, as a range and by origin (see progress.effort).
    hours_range: tuple[float, float] = (0.0, 0.0)
    finish_range: tuple[date, date] | None = None
    source_hours: tuple[float, float] = (0.0, 0.0)
    default_hours: tuple[float, float] = (0.0, 0.0)
    reference_hours_per_week: float = 8.0
    ongoing: list[str] = field(default_factory=list)  # open habits and communities, not scheduled


def _left(progress: RoadmapProgress, roadmap: Roadmap, item_id: str) -> float:
    item = roadmap.index.items[item_id].item
    units = [d.id for d in item.deliverables] or [item.id]
    return sum(1 for u in units if record(progress, u).status in ("not_started", "in_progress")) / len(units)


def order(roadmap: Roadmap, progress: RoadmapProgress) -> list[str]:
    """Items left to do: in progress first, then roadmap order, requirements before what needs them.

    At each step the first item in that ranking whose requirements are all
    settled (done, skipped or placed) comes next: a topological sort with a
    heap on the ranking, O(n log n + requirements) even for long chains.
    """
    index = roadmap.index
    statuses = {i: status_of(index, progress, i) for i in index.items}
    left = [i for i in index.items if statuses[i] not in ("done", "skipped")]
    ranked = sorted(left, key=lambda i: (statuses[i] != "in_progress", index.items[i].order))
    rank = {item_id: position for position, item_id in enumerate(ranked)}
    settled = {i for i in index.items if i not in rank}
    pending: dict[str, int] = {}  # item -> its requirements not settled yet
    needed_by: dict[str, list[str]] = {}
    ready: list[int] = []
    for item_id in ranked:
        unsettled = {r for r in index.items[item_id].requires if r not in settled}
        pending[item_id] = len(unsettled)
        for requirement in unsettled:
            needed_by.setdefault(requirement, []).append(item_id)
        if not unsettled:
            ready.append(rank[item_id])
    heapq.heapify(ready)
    placed: list[str] = []
    while ready:
        item_id = ranked[heapq.heappop(ready)]
        placed.append(item_id)
        for dependent in needed_by.get(item_id, ()):
            pending[dependent] -= 1
            if pending[dependent] == 0:
                heapq.heappush(ready, rank[dependent])
    if len(placed) < len(ranked):  # cannot happen in a validated roadmap (no cycles); keep the rest in order
        done = set(placed)
        placed.extend(i for i in ranked if i not in done)
    return placed


def make_plan(roadmap: Roadmap, progress: RoadmapProgress, start: date, hours_per_week: float) -> Plan:
    from aipm_cli.roadmap.kinds import is_ongoing

    efforts = effort(roadmap)
    days_per_hour = 7 / hours_per_week
    cursor = 0.0  # days since start
    items = []
    ongoing: list[str] = []
    source = [0.0, 0.0]
    default = [0.0, 0.0]
    for item_id in order(roadmap, progress):
        placed = roadmap.index.items[item_id]
        item = placed.item
        if is_ongoing(item, placed.module):
            ongoing.append(item_id)
            continue
        low, high, from_source = efforts[item_id]
        share = _left(progress, roadmap, item_id)
        part = source if from_source else default
        part[0] += low * share
        part[1] += high * share
        hours = round((low + high) / 2 * share, 1)
        begin = cursor
        cursor += hours * days_per_hour
        first = start + timedelta(days=math.floor(begin))
        last = max(first, start + timedelta(days=math.ceil(cursor) - 1))
        context = placed.module.title
        items.append(PlannedItem(item.id, item.title, item.kind, item.url, hours, first, last, context))
    total = round(sum(i.hours for i in items), 1)
    low_total, high_total = source[0] + default[0], source[1] + default[1]
    finish_range = (
        (start + timedelta(weeks=low_total / hours_per_week), start + timedelta(weeks=high_total / hours_per_week))
        if items
        else None
    )
    return Plan(
        hours_per_week, start, items[-1].end if items else None, total, items,
        hours_range=(round(low_total, 1), round(high_total, 1)),
        finish_range=finish_range,
        source_hours=(round(source[0], 1), round(source[1], 1)),
        default_hours=(round(default[0], 1), round(default[1], 1)),
        reference_hours_per_week=roadmap.hours_per_week,
        ongoing=ongoing,
    )  # fmt: skip
