"""Where a learner stands on a unit: its record in the derived state, its status (a project's from its deliverables)."""

from __future__ import annotations

from aipm_cli.record.state import ItemState, State
from aipm_cli.roadmap.plain import RoadmapIndex
from aipm_cli.roadmap.vocabulary import Status


def record(state: State, key: str) -> ItemState:
    return state.items.get(key) or ItemState()


def status_of(index: RoadmapIndex, state: State, key: str) -> Status:
    """The status of an item or deliverable; a project is as done as its deliverables."""
    placed = index.items.get(key)
    if placed is None or not placed.item.deliverables:
        return record(state, key).status  # type: ignore[return-value]
    states = [record(state, d.id).status for d in placed.item.deliverables]
    own = record(state, key).status
    if all(s == "done" for s in states):
        return "done"
    if all(s in ("done", "skipped") for s in states):
        return "skipped" if own == "skipped" or "done" not in states else "done"
    if any(s in ("done", "in_progress") for s in states) or own == "in_progress":
        return "in_progress"
    return "skipped" if own == "skipped" else "not_started"


def orphans(index: RoadmapIndex, state: State) -> list[str]:
    """Ids with progress that this roadmap no longer has (kept, never dropped)."""
    return sorted(k for k in state.items if not index.known(k) and k not in index.phases and k not in index.modules)
