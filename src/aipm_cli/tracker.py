"""Changing a learner's progress: resolve what they named, apply, record, undo.

Every function here works on models in memory; the caller holds the store's
transaction. Nothing prints; problems are raised as our errors.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from aipm_cli.errors import AipmError, ItemNotFound
from aipm_cli.models import (
    Certification,
    Evidence,
    HistoryEntry,
    Item,
    ItemProgress,
    Note,
    Roadmap,
    RoadmapIndex,
    RoadmapProgress,
    SkillRating,
    Status,
)

TargetKind = Literal["phase", "module", "item", "deliverable"]


@dataclass(frozen=True)
class Target:
    """Something the learner named: a phase, module, item or deliverable."""

    kind: TargetKind
    id: str
    title: str


def _targets(index: RoadmapIndex) -> list[Target]:
    out = [Target("phase", p.id, p.title) for p in index.phases.values()]
    out += [Target("module", m.id, m.title) for m, _ in index.modules.values()]
    out += [Target("item", p.item.id, p.item.title) for p in index.items.values()]
    out += [Target("deliverable", d.id, d.title) for d, _ in index.deliverables.values()]
    return out


def resolve(index: RoadmapIndex, spec: str) -> Target:
    """An id, an alias, a title (case-insensitive) or a unique id prefix."""
    targets = _targets(index)
    by_id = {t.id: t for t in targets}
    wanted = spec.strip()
    if wanted in by_id:
        return by_id[wanted]
    if wanted in index.aliases:
        return by_id[index.aliases[wanted]]
    lowered = wanted.lower()
    titled = [t for t in targets if t.title.lower() == lowered]
    if len(titled) == 1:
        return titled[0]
    prefixed = [t for t in targets if t.id.startswith(lowered)] if lowered else []
    if len(prefixed) == 1:
        return prefixed[0]
    candidates = prefixed or titled
    if not candidates and len(lowered) >= 3:
        candidates = [t for t in targets if lowered in t.title.lower()]
        if len(candidates) == 1:
            return candidates[0]
    if len(candidates) > 1:
        shown = ", ".join(t.id for t in candidates[:8])
        if len(candidates) > 8:
            shown += f" and {len(candidates) - 8} more"
        raise ItemNotFound(
            f"'{spec}' matches {len(candidates)} entries: {shown}.",
            "Type more of the id to pick one.",
        )
    close = difflib.get_close_matches(lowered, list(by_id), n=3, cutoff=0.4)
    hint = f"Did you mean: {', '.join(close)}?" if close else "Run `aipm list` to see the ids."
    raise ItemNotFound(f"No item, module or phase matches '{spec}'.", hint)


def items_of(index: RoadmapIndex, target: Target) -> list[Item]:
    """The roadmap items a target covers (a deliverable covers none)."""
    if target.kind == "item":
        return [index.items[target.id].item]
    if target.kind == "module":
        return list(index.modules[target.id][0].items)
    if target.kind == "phase":
        return [i for m in index.phases[target.id].modules for i in m.items]
    return []


# --------------------------------------------------------------------------- #
# Status of a unit, derived status of projects
# --------------------------------------------------------------------------- #


def record(progress: RoadmapProgress, key: str) -> ItemProgress:
    return progress.items.get(key) or ItemProgress()


def status_of(index: RoadmapIndex, progress: RoadmapProgress, key: str) -> Status:
    """The status of an item or deliverable; a project is as done as its deliverables."""
    placed = index.items.get(key)
    if placed is None or not placed.item.deliverables:
        return record(progress, key).status
    states = [record(progress, d.id).status for d in placed.item.deliverables]
    own = record(progress, key).status
    if all(s == "done" for s in states):
        return "done"
    if all(s in ("done", "skipped") for s in states):
        return "skipped" if own == "skipped" or "done" not in states else "done"
    if any(s in ("done", "in_progress") for s in states) or own == "in_progress":
        return "in_progress"
    return "skipped" if own == "skipped" else "not_started"


# --------------------------------------------------------------------------- #
# Changes
# --------------------------------------------------------------------------- #

Verb = Literal["start", "done", "skip", "reset"]
_GOAL: dict[str, Status] = {"start": "in_progress", "done": "done", "skip": "skipped", "reset": "not_started"}


@dataclass
class ChangeResult:
    verb: str
    changed: list[str] = field(default_factory=list)  # item/deliverable ids whose status changed
    unchanged: list[str] = field(default_factory=list)  # already in that state
    entry: HistoryEntry | None = None


@dataclass
class ChangeRequest:
    verb: Verb
    on: date
    at: datetime
    note: str | None = None
    evidence: str | None = None
    reason: str | None = None
    credential: str | None = None
    expires: date | None = None


def _apply(rec: ItemProgress, req: ChangeRequest) -> ItemProgress:
    new = rec.model_copy(deep=True)
    if req.verb == "start":
        new.status = "in_progress"
        new.started_on = new.started_on if rec.status == "in_progress" and rec.started_on else req.on
        new.completed_on = None
        new.skipped_on = None
        new.skip_reason = None
    elif req.verb == "done":
        new.status = "done"
        new.started_on = rec.started_on or req.on
        new.completed_on = req.on
        new.skipped_on = None
        new.skip_reason = None
    elif req.verb == "skip":
        new.status = "skipped"
        new.skipped_on = req.on
        new.skip_reason = req.reason
        new.completed_on = None
    else:  # reset: back to not started; the learner's notes and evidence stay
        new.status = "not_started"
        new.started_on = new.completed_on = new.skipped_on = None
        new.skip_reason = None
        new.certification = None
    return new


def _annotate(rec: ItemProgress, req: ChangeRequest, item: Item | None) -> ItemProgress:
    if req.note:
        rec.notes.append(Note(at=req.at, text=req.note))
    if req.evidence:
        rec.evidence.append(Evidence(at=req.at, text=req.evidence))
    if item is not None and item.kind == "certification" and req.verb == "done":
        old = rec.certification or Certification()
        rec.certification = Certification(
            earned_on=req.on,
            credential=req.credential if req.credential is not None else old.credential,
            expires_on=req.expires if req.expires is not None else old.expires_on,
        )
    return rec


def _store(progress: RoadmapProgress, key: str, rec: ItemProgress) -> None:
    if rec.is_blank():
        progress.items.pop(key, None)
    else:
        progress.items[key] = rec


def change(roadmap: Roadmap, progress: RoadmapProgress, targets: list[Target], req: ChangeRequest) -> ChangeResult:
    """Apply one verb to every unit the targets cover, as one history entry."""
    index = roadmap.index
    if (req.credential or req.expires) and not any(
        i.kind == "certification" for t in targets for i in items_of(index, t)
    ):
        raise AipmError(
            "--credential and --expires are for certifications only.",
            "Name a certification item, e.g. `aipm done agile-certification --credential ID`.",
        )
    goal = _GOAL[req.verb]
    result = ChangeResult(req.verb)
    named = {t.id for t in targets}
    # unit id -> its item (None for a deliverable). A project's own record
    # always changes with it; its deliverables follow done, skip and reset
    # (skip leaves the deliverables already done as they are).
    units: dict[str, Item | None] = {}
    for target in targets:
        if target.kind == "deliverable":
            units.setdefault(target.id, None)
        for item in items_of(index, target):
            units.setdefault(item.id, item)
            if req.verb == "start":
                continue
            for d in item.deliverables:
                if req.verb == "skip" and record(progress, d.id).status == "done":
                    continue
                units.setdefault(d.id, None)

    before: dict[str, ItemProgress | None] = {}
    after: dict[str, ItemProgress | None] = {}
    for key, unit_item in units.items():
        old = progress.items.get(key)
        rec = record(progress, key)
        current = status_of(index, progress, key)
        # Notes and evidence go on what the learner named, or on items a
        # module/phase covers; not on every deliverable of a project.
        annotate = key in named or unit_item is not None
        if current == goal:
            new = rec.model_copy(deep=True)
            if key in named:
                result.unchanged.append(key)
        else:
            new = _apply(rec, req)
            result.changed.append(key)
        if annotate:
            new = _annotate(new, req, unit_item)
        if old != new and not (old is None and new.is_blank()):
            before[key] = old.model_copy(deep=True) if old else None
            after[key] = None if new.is_blank() else new.model_copy(deep=True)
            _store(progress, key, new)

    if before:
        entry = HistoryEntry(
            seq=progress.next_seq(),
            at=req.at,
            action=req.verb,
            items=[t.id for t in targets],
            on=req.on,
            note=req.note or req.reason,
            before=before,
            after=after,
        )
        progress.history.append(entry)
        result.entry = entry
    return result


def add_note(roadmap: Roadmap, progress: RoadmapProgress, target: Target, text: str, at: datetime) -> HistoryEntry:
    keys = [target.id] if target.kind in ("item", "deliverable") else [i.id for i in items_of(roadmap.index, target)]
    before: dict[str, ItemProgress | None] = {}
    after: dict[str, ItemProgress | None] = {}
    for key in keys:
        old = progress.items.get(key)
        new = record(progress, key).model_copy(deep=True)
        new.notes.append(Note(at=at, text=text))
        before[key] = old.model_copy(deep=True) if old else None
        after[key] = new.model_copy(deep=True)
        progress.items[key] = new
    entry = HistoryEntry(
        seq=progress.next_seq(), at=at, action="note", items=[target.id], note=text, before=before, after=after
    )
    progress.history.append(entry)
    return entry


def add_rating(
    progress: RoadmapProgress, skill: str, level: int, on: date, at: datetime, note: str | None
) -> HistoryEntry:
    progress.skills.setdefault(skill, []).append(SkillRating(on=on, level=level, note=note))
    entry = HistoryEntry(
        seq=progress.next_seq(), at=at, action="assess", items=[], on=on, note=note, skill=skill, level=level
    )
    progress.history.append(entry)
    return entry


def undo(progress: RoadmapProgress, at: datetime) -> HistoryEntry:
    """Revert the newest change not yet undone; returns the entry reverted."""
    target = next(
        (h for h in reversed(progress.history) if h.action not in ("undo", "import") and not h.undone),
        None,
    )
    if target is None:
        raise AipmError(
            "There is nothing to undo.", "Changes you make with start, done, skip, reset, note or assess can be undone."
        )
    before: dict[str, ItemProgress | None] = {}
    after: dict[str, ItemProgress | None] = {}
    for key, old in target.before.items():
        current = progress.items.get(key)
        before[key] = current.model_copy(deep=True) if current else None
        if old is None or old.is_blank():
            progress.items.pop(key, None)
            after[key] = None
        else:
            progress.items[key] = old.model_copy(deep=True)
            after[key] = old.model_copy(deep=True)
    if target.action == "assess" and target.skill:
        ratings = progress.skills.get(target.skill, [])
        if ratings:
            ratings.pop()
        if not ratings:
            progress.skills.pop(target.skill, None)
    target.undone = True
    progress.history.append(
        HistoryEntry(
            seq=progress.next_seq(),
            at=at,
            action="undo",
            items=list(target.items),
            undoes=target.seq,
            before=before,
            after=after,
            skill=target.skill,
            level=target.level,
        )
    )
    return target


# --------------------------------------------------------------------------- #
# Roadmap upgrades: aliases and orphans
# --------------------------------------------------------------------------- #


def reconcile(roadmap: Roadmap, progress: RoadmapProgress) -> list[tuple[str, str]]:
    """Move progress recorded under an old id (an alias) to the item's current id."""
    index = roadmap.index
    moved = []
    for key in list(progress.items):
        if index.known(key) or key not in index.aliases:
            continue
        new_id = index.aliases[key]
        if new_id in progress.items:
            continue  # both exist: keep both rather than guess; the old one shows as orphaned
        progress.items[new_id] = progress.items.pop(key)
        moved.append((key, new_id))
    if progress.roadmap_version != roadmap.version:
        progress.roadmap_version = roadmap.version
    return moved


def orphans(roadmap: Roadmap, progress: RoadmapProgress) -> list[str]:
    """Ids with progress that this roadmap no longer has (kept, never dropped)."""
    index = roadmap.index
    return sorted(k for k in progress.items if not index.known(k) and k not in index.aliases)
