"""A dated study plan for what is left (its calendar export: calendar.py).

Order: items in progress first, then roadmap order; an item is placed only
after everything it requires (done, skipped, or planned earlier). Items are
studied one after another at the learner's weekly hours; an item's hours are
the midpoint of its effort range (see progress.effort_hours) times the share
of it still to do.
"""

from __future__ import annotations

import heapq
import math
from datetime import date, datetime, timedelta

from aipm_cli.plain import Roadmap
from aipm_cli.plaindata import plain
from aipm_cli.progress import effort_hours
from aipm_cli.record.state import State as RoadmapProgress
from aipm_cli.standing import record, status_of


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
    finish: date | None
    total_hours: float
    items: list[PlannedItem]


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
    efforts = effort_hours(roadmap)
    days_per_hour = 7 / hours_per_week
    cursor = 0.0  # days since start
    items = []
    for item_id in order(roadmap, progress):
        item = roadmap.index.items[item_id].item
        low, high = efforts[item_id]
        hours = round((low + high) / 2 * _left(progress, roadmap, item_id), 1)
        begin = cursor
        cursor += hours * days_per_hour
        first = start + timedelta(days=math.floor(begin))
        last = max(first, start + timedelta(days=math.ceil(cursor) - 1))
        context = roadmap.index.items[item_id].module.title
        items.append(PlannedItem(item.id, item.title, item.kind, item.url, hours, first, last, context))
    total = round(sum(i.hours for i in items), 1)
    return Plan(hours_per_week, start, items[-1].end if items else None, total, items)


# --------------------------------------------------------------------------- #
# iCalendar (written by aipm_cli.calendar)
# --------------------------------------------------------------------------- #


def to_ics(plan: Plan, roadmap: Roadmap, user: str, stamp: datetime) -> str:
    """The plan as all-day calendar events, with no memory of earlier exports (see calendar.py for more)."""
    from aipm_cli.calendar import day_events
    from aipm_cli.calendar import to_ics as write

    return write(day_events(plan, roadmap, user), roadmap, user, stamp)
