"""Changing a learner's progress: resolve what they named, check it, and say what to record.

Nothing here writes or prints: these functions read the derived state and
return the change to append (as plain data), or raise our errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from aipm_cli.errors import InputError, ItemNotFound
from aipm_cli.record.state import ItemState, State
from aipm_cli.roadmap.plain import Item, RoadmapIndex
from aipm_cli.unit_status import record, status_of

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
    import difflib

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
# Changes
# --------------------------------------------------------------------------- #

Verb = Literal["start", "done", "skip", "reset"]
_GOAL: dict[str, str] = {"start": "in_progress", "done": "done", "skip": "skipped", "reset": "not_started"}


@dataclass
class ChangeRequest:
    verb: Verb
    on: date
    note: str | None = None
    evidence: list[str] = field(default_factory=list)
    reason: str | None = None
    credential: str | None = None
    expires: date | None = None
    dated: bool = False  # the learner gave the date (--on): on a unit already in that status, it corrects it


@dataclass
class ChangeResult:
    verb: str
    changed: list[str] = field(default_factory=list)  # item/deliverable ids whose status changes
    unchanged: list[str] = field(default_factory=list)  # named, already in that state
    kept: list[str] = field(default_factory=list)  # covered by a module/phase, left as they are (e.g. done)
    change: dict[str, Any] | None = None  # what to record (None: nothing to record)
    correction: dict[str, Any] | None = None  # a date corrected on units already in that status
    # Items started or done before their prerequisites: item id -> the prerequisites still open.
    early: dict[str, list[str]] = field(default_factory=dict)
    redated: list[str] = field(default_factory=list)  # units whose start or completion date is corrected
    # Units whose completion date is corrected to before their start: the start moves back too (unit -> old start).
    moved_start: dict[str, date] = field(default_factory=dict)


def _dated(rec: ItemState) -> str:
    return f" on {rec.completed_on.isoformat()}" if rec.completed_on else ""


def plan_change(index: RoadmapIndex, state: State, targets: list[Target], req: ChangeRequest) -> ChangeResult:
    """The change that applies one verb to every unit the targets cover (one change, however many units)."""
    certifications = [i for t in targets for i in items_of(index, t) if i.kind == "certification"]
    if (req.credential or req.expires) and (req.verb != "done" or not certifications):
        raise InputError(
            "A credential and an expiry date are for certifications marked done.",
            "Name a certification item, e.g. `aipm done agile-certification --credential ID`.",
        )
    goal = _GOAL[req.verb]
    result = ChangeResult(req.verb)
    named = {t.id for t in targets}
    units: dict[str, Item | None] = {}
    for target in targets:
        if target.kind == "deliverable":
            units.setdefault(target.id, None)
        for item in items_of(index, target):
            units.setdefault(item.id, item)
            if req.verb == "start":
                continue
            for d in item.deliverables:
                if req.verb == "skip" and record(state, d.id).status == "done":
                    continue
                units.setdefault(d.id, None)
    # What the learner named directly (a project: its deliverables too) can have its date corrected,
    # but only when nothing else changes: marking a project or module done leaves its parts already
    # done with their own dates (one change, one undo); a correction is asked for on its own.
    correctable = set(named) | {d.id for t in targets if t.kind == "item" for d in index.items[t.id].item.deliverables}
    changing: list[str] = []
    settled: list[str] = []  # already in the goal status with another date than the one given
    for key in units:
        current = status_of(index, state, key)
        rec = record(state, key)
        if current == goal:
            if req.dated and key in correctable and _date_differs(rec, goal, req.on):
                settled.append(key)
            elif key in named:
                result.unchanged.append(key)
            continue
        if current == "done" and req.verb in ("start", "skip"):
            if key in named:
                what = "start" if req.verb == "start" else "skip"
                raise InputError(
                    f"'{key}' is already done{_dated(rec)}; it was left as it is.",
                    f"To {what} it again, reset it first: aipm reset {key}",
                )
            result.kept.append(key)
            continue
        if req.verb == "done" and rec.started_on and req.on < rec.started_on:
            raise InputError(
                f"'{key}' was started on {rec.started_on.isoformat()}, so it cannot be done on {req.on.isoformat()}.",
                "Give a date on or after the start, or reset it first.",
            )
        changing.append(key)
    if changing:
        # Parts already done keep their dates: left as they are, and said so.
        for key in settled:
            (result.unchanged if key in named else result.kept).append(key)
    else:
        result.redated = settled
        if goal == "done":
            for key in settled:
                rec = record(state, key)
                if rec.started_on is not None and rec.started_on > req.on:
                    result.moved_start[key] = rec.started_on
    result.changed = [k for k in changing if k in index.items or k in index.deliverables]
    if req.verb in ("start", "done"):
        result.early = _early(index, state, changing, req.verb)
    if req.expires is not None:
        for item in certifications:
            earned = record(state, item.id).completed_on if item.id not in changing else req.on
            if earned and req.expires < earned:
                raise InputError(
                    f"The expiry date {req.expires.isoformat()} is before '{item.id}' "
                    f"was earned ({earned.isoformat()}).",
                    "Give the expiry date printed on the certificate.",
                )
    if result.redated:
        result.correction = {
            "op": "redate",
            "on": req.on.isoformat(),
            "targets": [t.id for t in targets],
            "units": list(result.redated),
            "status": goal,
        }
    updates_cert = bool(req.credential or req.expires)
    if not changing and not req.note and not req.evidence and not updates_cert:
        return result
    # The project record itself moves with its deliverables.
    unit_ids = list(dict.fromkeys(changing + ([i.id for i in certifications] if updates_cert else [])))
    result.change = {
        "op": req.verb,
        "on": req.on.isoformat(),
        "targets": [t.id for t in targets],
        "units": unit_ids,
        "note": req.note,
        "reason": req.reason if req.verb == "skip" else None,
        "evidence": list(req.evidence),
        "credential": req.credential,
        "expires": req.expires.isoformat() if req.expires else None,
    }
    return result


def _date_differs(rec: ItemState, goal: str, on: date) -> bool:
    """Whether a unit's own record is in `goal` with another date than `on` (a project's record may hold none)."""
    if rec.status != goal:
        return False
    return (rec.started_on if goal == "in_progress" else rec.completed_on) != on


def plan_removal(state: State, target: Target, kind: str, number: int) -> dict[str, Any]:
    """The change that removes a target's note or evidence entry, numbered from 1 as `show` lists them."""
    rec = record(state, target.id)
    entries = rec.notes if kind == "note" else rec.evidence
    earlier = rec.earlier_notes if kind == "note" else rec.earlier_evidence  # counted, not held (state.py)
    total = earlier + len(entries)
    word = "note" if kind == "note" else "evidence entry"
    if not total:
        raise InputError(f"{target.title} ({target.id}) has no {'notes' if kind == 'note' else 'evidence'}.")
    if not 1 <= number <= total:
        from aipm_cli.wording import count

        raise InputError(
            f"{target.title} ({target.id}) has no {word} {number}; it has {count(total, word)}.",
            (f"Give a number from 1 to {total}" if total > 1 else "The only one is number 1")
            + f", as `aipm show {target.id}` numbers them.",
        )
    if number <= earlier:
        raise InputError(
            f"{word.capitalize()} {number} of {target.id} is older than the {len(entries)} `aipm show` lists; "
            "only those can be removed.",
            f"Give a number from {earlier + 1} to {total}.",
        )
    entry = entries[number - earlier - 1]
    if not entry.id:
        raise InputError(
            f"The {word} {number} of {target.id} was carried over from an old store and has no id to remove it by.",
            "Run `aipm doctor --rebuild` and try again.",
        )
    return {"op": "remove", "targets": [target.id], "entries": [entry.id], "on": entry.on.isoformat()}


def _early(index: RoadmapIndex, state: State, changing: list[str], verb: str) -> dict[str, list[str]]:
    """Items this change starts or completes while something they require is still open.

    A prerequisite done (or skipped) by the same change counts as settled.
    """
    settled = set(changing) if verb == "done" else set()
    early: dict[str, list[str]] = {}
    for key in changing:
        placed = index.items.get(key)
        if placed is None and key in index.deliverables:  # a deliverable waits for what its project waits for
            project = index.deliverables[key][1].id
            if project in changing:  # said once, for the project
                continue
            placed = index.items[project]
        if placed is None:
            continue
        open_ = [
            r for r in placed.requires
            if r not in settled and status_of(index, state, r) not in ("done", "skipped")
        ]  # fmt: skip
        if open_:
            early[key] = open_
    return early


def plan_note(target: Target, text: str, on: date) -> dict[str, Any]:
    return {"op": "note", "targets": [target.id], "text": text, "on": on.isoformat()}


def plan_rating(skill: str, level: int, on: date, note: str | None) -> dict[str, Any]:
    return {"op": "assess", "skill": skill, "level": level, "on": on.isoformat(), "note": note}
