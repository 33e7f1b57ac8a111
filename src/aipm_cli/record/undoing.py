"""Undo and redo: which change each takes back or brings back, recorded as a change of its own.

The rule for what is out of effect is the fold's (fold.py `UndoRule`, `cancellations`); these pick the
change, record the undo or redo under the learner's lock, and keep the cached fold right.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import AipmError
from aipm_cli.record import changes as fmt
from aipm_cli.record.fold import Fold, Source, before, cancellations, fold, restore_before, units_of
from aipm_cli.record.state import apply

if TYPE_CHECKING:
    from aipm_cli.record.ledger import Ledger


def _is_own(ledger: Ledger, change: dict[str, Any]) -> bool:
    """Recorded by this device (or carried over from the old store, which was this learner's own)."""
    return change.get("device") in (ledger.device, "migrated")


def undo(ledger: Ledger, on: date, *, any_device: bool = False) -> dict[str, Any]:
    """Record an undo of this device's newest change in effect (with `any_device`: of the newest
    change in effect, whichever device recorded it); returns the change undone."""
    with ledger.locked():
        ledger.migrate_legacy()
        result = ledger.writable()
        ledger.set_aside_torn(result)
        result = ledger.writable()
        position = _undo_position(ledger, result, any_device)
        if position is None and result.in_effect:
            # The cache's stack ran out: fold again, keeping what every change needs.
            result = fold(ledger.sources(), ledger.aliases, undo_all=True)
            ledger.folded = result
            position = _undo_position(ledger, result, any_device)
        if position is None:
            if result.undo_stack and not any_device:
                raise AipmError(
                    "There is nothing of this machine's to undo: the changes in effect came from other machines.",
                    "Run `aipm undo --any` to undo the newest of them.",
                )
            raise AipmError(
                "There is nothing to undo.",
                "Changes you make with start, done, skip, reset, note, assess or import can be undone.",
            )
        entry = result.undo_stack.pop(position)
        newest = position == len(result.undo_stack)  # it was the last entry: the state before it is known
        about = fmt.describe(entry["change"])[:300]
        change = ledger.finish(
            {"op": "undo", "target": entry["id"], "about": about, "on": on.isoformat()}, result.max_id
        )
        ledger.append_changes(result, [change])
        target = entry["change"]
        if entry.get("refold") or not newest:
            # An import may have brought anything; an older change has newer ones on top: fold again.
            ledger.folded = None
            result = ledger.load(use_cache=False)
        else:
            restore_before(result.state, entry)
            result.in_effect -= 1  # the target leaves effect (the undo itself was counted by _append)
            result.redo_stack.append(
                {"id": change["id"], "target": target, "target_id": target["id"], "device": ledger.device}
            )
            for unit in units_of(target, ledger.aliases):
                if any(ref[0] == target["id"] for ref in result.refs.get(unit, ())):
                    result.cancelled_refs.add(target["id"])
            result.activity[target["on"]] = max(0, result.activity.get(target["on"], 0) - 1)
            ledger.save_fold(result)
        return dict(target)


def next_undo(ledger: Ledger) -> str | None:
    """The id of the change a plain `undo` would take back now (this device's newest in effect), when the
    kept undo stack says so without folding again; None otherwise."""
    result = ledger.load()
    position = _undo_position(ledger, result, False)
    return None if position is None else str(result.undo_stack[position]["id"])


def _undo_position(ledger: Ledger, result: Fold, any_device: bool) -> int | None:
    """Where in the undo stack the change to undo is (the newest, or this device's newest)."""
    for position in range(len(result.undo_stack) - 1, -1, -1):
        if any_device or _is_own(ledger, result.undo_stack[position]["change"]):
            return position
    return None


def redo(ledger: Ledger, on: date) -> dict[str, Any]:
    """Record a redo of the newest undo in effect; returns the change brought back.

    Refused, with the reason, when the fold's rules would keep the change out all the same
    (another machine's undo of it still stands): a redo does what it says or nothing.
    """
    with ledger.locked():
        ledger.migrate_legacy()
        result = ledger.writable()
        ledger.set_aside_torn(result)
        result = ledger.writable()
        if not result.redo_stack:
            raise AipmError("There is nothing to redo.", "Redo brings back what `aipm undo` just reverted.")
        # This device's newest undo (as undo takes this device's newest change), else the newest.
        position = len(result.redo_stack) - 1
        for number in range(len(result.redo_stack) - 1, -1, -1):
            if result.redo_stack[number].get("device") in (ledger.device, None):
                position = number
                break
        entry = result.redo_stack[position]
        target = entry.get("target")
        target_id = target["id"] if target else entry.get("target_id")
        if target is None and target_id:  # older than the cache remembers: read it from the logs
            target = next((c for c in ledger.changes() if c["id"] == target_id), None)
        about = fmt.describe(target)[:300] if target else None
        change = ledger.finish(
            {"op": "redo", "target": entry["id"], "about": about, "on": on.isoformat()}, result.max_id
        )
        if target_id:
            sources = [*ledger.sources(), Source(changes=[change], name="redo")]
            if cancellations(sources).out(target_id):
                what = fmt.describe(target)[:200] if target else f"change {target_id}"
                raise AipmError(
                    f"Cannot redo {what}: {_still_undone_by(ledger, target_id, sources)}. Nothing was changed.",
                    "To bring it back, record it again (for example `aipm done ITEM`).",
                )
        result.redo_stack.pop(position)
        ledger.append_changes(result, [change])
        newest = result.undo_stack[-1]["id"] if result.undo_stack else ""
        if (
            target is None
            or target["op"] not in (*fmt.STATUS_OPS, "note", "assess", "redate")
            or "state" in target
            or target["id"] < newest
        ):  # anything a fold must decide: what an import brought, a note beyond the window, an undo of an
            # undo (another machine's), a change older than the newest in effect
            ledger.folded = None
            result = ledger.load(use_cache=False)
        else:
            touched = units_of(target, ledger.aliases)
            result.undo_stack.append(before(result.state, target, touched))
            apply(result.state, target, ledger.aliases)
            result.state.roadmap_version = target.get("roadmap_version") or result.state.roadmap_version
            result.in_effect += 1  # the target is back in effect (the redo itself was counted by _append)
            result.cancelled_refs.discard(target["id"])
            result.activity[target["on"]] = result.activity.get(target["on"], 0) + 1
            ledger.save_fold(result)
        return dict(target) if target else {"id": entry["id"], "op": "undo"}


def _still_undone_by(ledger: Ledger, target_id: str, sources: list[Source]) -> str:
    """Who else keeps a change out, in words (another undo of it, or an undone import)."""
    cancel = cancellations(sources)
    found = [c for source in sources for c in source.cancelling([0]) if c["op"] in ("undo", "redo")]
    redone = {c["target"] for c in found if c["op"] == "redo" and not cancel.out(c["id"])}
    for change in found:
        if change["op"] == "undo" and change["target"] == target_id:
            if change["id"] not in redone and not cancel.out(change["id"]):
                when = str(change.get("at", ""))[:16].replace("T", " ")
                return f"the undo of it recorded on {change.get('device')} ({when}) still stands"
    return "it stays out of effect by the record's rules (an undone import brought it, or an import replaced it)"
