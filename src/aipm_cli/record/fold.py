"""Folding changes into derived state.

The order is the changes' ids (recording time, then the random part), each
id taken once however many files hold it (a union: merging logs from several
devices or imports never counts a change twice and never conflicts).

Which changes are in effect:
- a redo cancels the undo it names; an undo that is not cancelled cancels the
  change it names; an import that is cancelled cancels every change it alone
  brought: a change that also lives in a device's own log (the log of the
  device that recorded it, or a migrated store), or that an import still in
  effect brought (importing again brings it back), stays in effect;
- the rest are in effect, and are applied in order (state.py has the rules).

As of a day D: the changes in effect (what is known now) whose date (`on`) is
on or before D, in the same order.
"""

from __future__ import annotations

import gc
import heapq
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import Any

from aipm_cli.plainclass import plain
from aipm_cli.record import logs
from aipm_cli.record import state as state_module
from aipm_cli.record.changes import SUBSTANTIVE
from aipm_cli.record.state import State, apply, record_from_data, shell_data

KEEP_UNDO = 100  # how many recent changes the cache can undo without a full fold
KEEP_REFS = 25  # recent changes remembered per unit, for `show`


@plain
class Source:
    """A log file, or changes held in memory (a store not yet migrated)."""

    path: Path | None = None
    changes: list[dict[str, Any]] | None = None
    name: str = ""
    seen: Any = None  # told (path, offset) after each block read: a caller's progress display (long work)

    def read(self, problems: logs.Problems) -> Iterator[tuple[dict[str, Any], int]]:
        for batch in self.batches(problems):
            yield from batch

    def batches(self, problems: logs.Problems) -> Iterator[list[tuple[dict[str, Any], int]]]:
        """(change, offset) a block at a time (in memory: the position stands for the offset)."""
        if self.path is not None:
            if self.seen is None:
                yield from logs.batches(self.path, problems)
                return
            for batch in logs.batches(self.path, problems):
                yield batch
                if batch:
                    self.seen(self.path, batch[-1][1])
        elif self.changes:
            yield [(change, number) for number, change in enumerate(self.changes)]

    def cancelling(self, counts: list[int]) -> Iterator[dict[str, Any]]:
        if self.path is not None:
            yield from logs.cancelling(self.path, counts)
        else:
            counts[0] += len(self.changes or ())
            yield from (c for c in self.changes or () if c["op"] in ("undo", "redo", "import"))


class _Unsorted(Exception):
    pass


class _Everything:
    """A set-like view of every change out of effect (cancelled, or replaced by an import)."""

    def __init__(self, cancel: Cancellation) -> None:
        self.cancel = cancel

    def __contains__(self, change_id: object) -> bool:
        return isinstance(change_id, str) and self.cancel.out(change_id)


def units_of(change: dict[str, Any], aliases: dict[str, str]) -> list[str]:
    """The units (and named records) a change touches, through aliases."""
    units = change.get("units")
    if units is not None and len(units) == 1 and not aliases:
        if change.get("targets") == units and "state" not in change:
            return list(units)  # the usual status change: one item
    keys = change.get("units", []) + change.get("targets", [])
    state = change.get("state")
    if state:
        keys += list(state)
    if aliases:
        keys = [aliases.get(k, k) for k in keys]
    return list(dict.fromkeys(keys)) if len(keys) > 1 else keys


class UndoRule:
    """The rule for undo and redo, decided from the newest change back (the one place it is written).

    Every undo and redo is newer than what it names (the gate refuses anything else), so whether a
    change is out depends only on newer ones: one pass from the newest decides each, with no rounds.
    A redo in effect cancels the undo it names; an undo in effect, not cancelled, cancels its target.
    `log` streams the changes through it; the fold feeds it the undos and redos, each round of an import's
    settling again with those an undone import took out marked as out.
    """

    __slots__ = ("cancelled", "redone")

    def __init__(self) -> None:
        self.cancelled: set[str] = set()
        self.redone: set[str] = set()

    def out(self, change: dict[str, Any], undone: bool = False) -> bool:
        """Whether `change` is out of effect (`undone`: already out by another rule); changes come newest first."""
        change_id = change["id"]
        undone = undone or change_id in self.cancelled
        op = change["op"]
        if op == "redo":
            if not undone:
                self.redone.add(change["target"])
        elif op == "undo" and not undone and change_id not in self.redone:
            self.cancelled.add(change["target"])
        return undone


@plain
class Cancellation:
    cancelled: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)  # import change id -> file name
    lines: int = 0  # complete lines in all sources
    # The newest replacing import in effect: changes older than it are out, except those it brought.
    floor: str | None = None
    kept: set[str] = field(default_factory=set)
    by_import: set[str] = field(default_factory=set)  # out only because an undone import brought them

    def out(self, change_id: str) -> bool:
        if change_id in self.cancelled:
            return True
        return self.floor is not None and change_id < self.floor and change_id not in self.kept


def cancellations(sources: list[Source]) -> Cancellation:
    undo: dict[str, str] = {}
    redo: dict[str, str] = {}
    imports: dict[str, str] = {}
    brought_by: dict[str, set[str]] = {}  # import id -> the changes it brought, when it says
    replacing: list[str] = []
    counts = [0]
    for source in sources:
        for change in source.cancelling(counts):
            if change["op"] == "undo":
                undo[change["id"]] = change["target"]
            elif change["op"] == "redo":
                redo[change["id"]] = change["target"]
            elif change["op"] == "import":  # (the quick scan may find the words elsewhere in a line)
                imports[change["id"]] = change["file"]
                if "ids" in change:
                    brought_by[change["id"]] = set(change["ids"])
                if change.get("replace"):
                    replacing.append(change["id"])
    moves = [{"id": u, "op": "undo", "target": t} for u, t in undo.items()]
    moves += [{"id": r, "op": "redo", "target": t} for r, t in redo.items()]
    moves.sort(key=lambda m: m["id"], reverse=True)
    if not imports:  # undos and redos alone: one pass from the newest decides
        rule = UndoRule()
        for move in moves:
            rule.out(move)
        return Cancellation(rule.cancelled, imports, counts[0])
    by_name = {s.path.name: s for s in sources if s.path is not None}
    brought: dict[str, set[str]] = {}
    home: set[str] | None = None  # the ids in devices' own logs (read only when an import is undone)

    def brought_of(marker: str) -> set[str]:
        """What an import brought: only changes older than its marker (no import brings its own future)."""
        if marker not in brought:
            if marker in brought_by:  # the import names what it brought: exact on any machine
                found_ids = brought_by[marker]
            else:
                found = by_name.get(imports[marker])
                found_ids = logs.ids_in(found.path) if found and found.path else set()
            brought[marker] = {i for i in found_ids if i < marker}
        return brought[marker]

    out: set[str] = set()
    direct: set[str] = set()
    # An undone import takes out what it alone brought, and that can be undos and redos (so the undo
    # rule runs again with them out) or imports (so what those brought comes back): settle until nothing
    # moves. Whether a change is out depends only on newer changes (an undo, a redo and an import are
    # each newer than what they name), so each round settles at least one more and the rounds are bounded.
    rounds = len(undo) + len(redo) + len(imports) + 2
    for _ in range(rounds):
        through_imports = out - direct  # out because an undone import alone brought it
        rule = UndoRule()
        for move in moves:
            rule.out(move, undone=move["id"] in through_imports)
        now = set(rule.cancelled)
        direct = set(now)  # cancelled by an undo itself (not through an import)
        undone = [marker for marker in imports if marker in now]
        if undone:
            if home is None:
                home = _home_ids(sources)
            # What a device's own log holds stays, and so does what an import still in effect brought
            # again without the undone import itself (importing again brings back what an undone import
            # took out; an export that carries the undone import carries its fate too).
            live = [m for m in imports if m not in now]
            for marker in undone:
                kept = set(home)
                for other in live:
                    again = brought_of(other)
                    if marker not in again:
                        kept |= again
                now |= brought_of(marker) - kept
        if now == out:
            break
        out = now
    else:
        from aipm_cli.errors import StoreError

        raise StoreError(
            "The undos, redos and imports in this record do not settle on one answer; nothing was changed.",
            "Please report this as a bug (run `aipm doctor` and include what it says).",
        )
    result = Cancellation(out, imports, counts[0])
    result.by_import = out - direct
    live = [marker for marker in replacing if marker not in out]
    if live:
        result.floor = max(live)
        result.kept = brought_by.get(result.floor, set())
    return result


def _home_ids(sources: list[Source]) -> set[str]:
    """The ids of the changes in devices' own logs (and migrated stores): not brought by an import.

    Undoing an import takes out only what the import alone brought: a change that also lives in the
    log of the device that recorded it was never the import's to take (another machine's own work).
    """
    found: set[str] = set()
    for source in sources:
        if source.path is not None and not logs.is_import_file(source.path.name):
            found |= logs.ids_in(source.path)
        elif source.path is None:
            found.update(change["id"] for change in source.changes or ())
    return found


@plain
class Fold:
    """The derived state and what the cache keeps beside it."""

    state: State
    max_id: str | None = None
    changes: int = 0  # distinct changes read
    in_effect: int = 0
    last_on: date | None = None
    last_at: str | None = None
    problems: logs.Problems = field(default_factory=logs.Problems)
    # Recent changes in effect that can be undone without a full fold: the
    # records they touched as they were before them.
    undo_stack: list[dict[str, Any]] = field(default_factory=list)
    # Undos in effect since the last change: what redo would bring back.
    redo_stack: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[str, list[list[Any]]] = field(default_factory=dict)  # unit -> [[id, file, offset], ...]
    cancelled_refs: set[str] = field(default_factory=set)
    activity: dict[str, int] = field(default_factory=dict)  # ISO date -> changes in effect that day


Run = tuple[str | None, list[tuple[dict[str, Any], int]]]  # a file's name (None: in memory), (change, offset)s


def _merged(sources: list[Source], problems: logs.Problems, strict: bool) -> Iterator[Run]:
    """Every readable change in id order, in runs from one source at a time.

    Strict: each source is read as a stream and must be sorted. The CALLER
    checks that the ids it gets never go down (a source out of order makes the
    merged order go down somewhere) and raises _Unsorted. Not strict:
    everything is read into memory and sorted.
    """

    def name_of(source: Source) -> str | None:
        return source.path.name if source.path is not None else None

    if strict and len(sources) == 1:  # one device, the usual case: no merge needed
        name = name_of(sources[0])
        for batch in sources[0].batches(problems):
            yield name, batch
        return
    if strict:

        def stream(position: int, source: Source) -> Iterator[tuple[str, int, dict[str, Any], int]]:
            for batch in source.batches(problems):
                for change, offset in batch:
                    yield change["id"], position, change, offset

        merged: Iterator[tuple[str, int, dict[str, Any], int]] = heapq.merge(
            *(stream(i, s) for i, s in enumerate(sources))
        )
    else:
        everything = [
            (change["id"], position, change, offset)
            for position, source in enumerate(sources)
            for batch in source.batches(problems)
            for change, offset in batch
        ]
        everything.sort(key=lambda e: (e[0], e[1]))
        merged = iter(everything)
    names = [name_of(s) for s in sources]
    run: list[tuple[dict[str, Any], int]] = []
    current = -1
    for _change_id, position, change, offset in merged:
        if position != current or len(run) >= 4096:
            if run:
                yield names[current], run
            run, current = [], position
        run.append((change, offset))
    if run:
        yield names[current], run


def ordered(sources: list[Source]) -> list[dict[str, Any]]:
    """Every distinct readable change, in fold order."""

    def distinct(strict: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        previous = None
        for _name, run in _merged(sources, logs.Problems(), strict):
            for change, _offset in run:
                change_id = change["id"]
                if previous is not None and change_id < previous:
                    raise _Unsorted
                if change_id != previous:
                    previous = change_id
                    out.append(change)
        return out

    try:
        return distinct(True)
    except _Unsorted:
        return distinct(False)


def ordered_stream(sources: list[Source]) -> Iterator[dict[str, Any]]:
    """ordered()'s changes as a stream (speed: an export of a million changes in flat memory).

    When every source is in id order, as aipm writes its logs, the changes stream from the files;
    otherwise they are read into memory and sorted, as ordered() does.
    """
    if not all(_in_order(source) for source in sources):
        yield from ordered(sources)
        return
    previous = None
    for _name, run in _merged(sources, logs.Problems(), True):
        for change, _offset in run:
            change_id = change["id"]
            if change_id != previous:
                previous = change_id
                yield change


def _in_order(source: Source) -> bool:
    """Whether the ids of a source never go down (every line that holds one; the unreadable are no matter)."""
    if source.path is None:
        ids = [c["id"] for c in source.changes or ()]
        return all(a <= b for a, b in zip(ids, ids[1:], strict=False))
    import json

    import orjson

    previous = ""
    try:
        with open(source.path, "rb") as handle:
            for raw in handle:
                try:
                    data = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    try:
                        data = json.loads(raw)
                    except (ValueError, RecursionError):
                        continue
                change_id = data.get("id") if type(data) is dict else None
                if type(change_id) is str:
                    if change_id < previous:
                        return False
                    previous = change_id
    except OSError:
        return False
    return True


def fold(
    sources: list[Source],
    aliases: dict[str, str],
    as_of: date | None = None,
    undo_all: bool = False,
    keep: int | None = -1,
) -> Fold:
    """Fold every change of these sources (see the module docstring).

    The undo stack is kept for the last changes only (a window of lines at the
    end), unless `undo_all`: then every change in effect can be reached.
    `keep`: the notes each record holds (state.py; -1: NOTES_KEPT); None for every one (reports).
    """
    if keep == -1:
        keep = state_module.NOTES_KEPT
    # A fold makes a great many short-lived objects and no reference cycles;
    # the cycle collector would only walk them again and again (a fifth of the time).
    with no_cycle_collection():
        try:
            return _fold(sources, aliases, as_of, strict=True, undo_all=undo_all, keep=keep)
        except _Unsorted:
            # A file whose lines are out of order (edited by hand, a clock that
            # went back): read everything into memory and sort it.
            return _fold(sources, aliases, as_of, strict=False, undo_all=undo_all, keep=keep)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused while a great many small objects with no reference cycles are made
    (a fold, the cohort's summaries read back): it would only walk them again and again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _fold(
    sources: list[Source], aliases: dict[str, str], as_of: date | None, strict: bool, undo_all: bool, keep: int | None
) -> Fold:
    cancel = cancellations(sources)
    cancelled: Any = cancel.cancelled
    if cancel.floor is not None:
        # A replacing import: what it did not bring, and is older, is out. Few learners ever replace.
        cancelled = _Everything(cancel)
    # Before-states are copied only near the end: what an undo can reach without folding again.
    window = 0 if undo_all or as_of is not None else max(0, cancel.lines - 4 * KEEP_UNDO)
    position = 0
    state = State()
    result = Fold(state)
    problems = result.problems
    undo_stack: deque[dict[str, Any]] = deque(maxlen=None if undo_all else KEEP_UNDO)
    recent_cancelled: dict[str, dict[str, Any]] = {}
    redo_stack: list[dict[str, Any]] = []
    refs: dict[str, deque[list[Any]]] = {}
    activity: dict[str, int] = {}
    previous = None
    limit = as_of.isoformat() if as_of is not None else None
    last_on = ""
    changes = 0
    substantive = frozenset(SUBSTANTIVE)
    in_effect = 0
    last_at = None
    days: dict[str, date] = {}  # each date string parsed once
    cancelled_refs = result.cancelled_refs
    for name, run in _merged(sources, problems, strict):
        for change, offset in run:
            change_id = change["id"]
            position += 1
            if change_id == previous:
                continue  # the same change from another file
            if previous is not None and change_id < previous:
                raise _Unsorted  # (only a strict read can be out of order)
            previous = change_id
            changes += 1
            op = change["op"]
            if op in substantive:
                touched = units_of(change, aliases)
                if name is not None:
                    entry = [change_id, name, offset]
                    for unit in touched:
                        kept = refs.get(unit)
                        if kept is None:
                            kept = refs[unit] = deque(maxlen=KEEP_REFS)
                        kept.append(entry)
                    if touched and change_id in cancelled:
                        cancelled_refs.add(change_id)
            if change_id in cancelled:
                if op in substantive:
                    recent_cancelled[change_id] = change
                    if len(recent_cancelled) > 2 * KEEP_UNDO:
                        recent_cancelled.pop(next(iter(recent_cancelled)))
                continue
            on = change["on"]
            if limit is not None and on > limit:
                continue
            in_effect += 1
            if op == "undo":
                target = recent_cancelled.get(change["target"])
                redo_stack.append(
                    {"id": change_id, "target": target, "target_id": change["target"], "device": change["device"]}
                )
                continue
            if op == "redo":
                # The undo it cancels is no longer one redo could bring back.
                if redo_stack:
                    redo_stack = [e for e in redo_stack if e["id"] != change["target"]]
                continue
            if op in substantive:
                if redo_stack:
                    redo_stack = []
                if position > window and limit is None:
                    undo_stack.append(before(state, change, touched, keep))
                if op != "import":
                    activity[on] = activity.get(on, 0) + 1
                if on > last_on:
                    last_on = on
                last_at = change["at"]
            day = days.get(on)
            if day is None:
                day = days[on] = date.fromisoformat(on)
            apply(state, change, aliases, day, keep)
            if "roadmap_version" in change:
                state.roadmap_version = change["roadmap_version"]
    result.in_effect = in_effect
    result.last_at = last_at
    result.changes = changes
    result.max_id = previous
    result.last_on = date.fromisoformat(last_on) if last_on else None
    result.undo_stack = list(undo_stack)
    result.redo_stack = redo_stack
    result.refs = {k: list(v) for k, v in refs.items()}
    # Only the undone changes `show` can still list are kept (bounded like the references themselves).
    listed = {entry[0] for kept in result.refs.values() for entry in kept}
    result.cancelled_refs &= listed
    result.activity = activity
    return result


# (study time and reviews live in aggregates an undo entry cannot cut back: folded again)
_REFOLD_OPS = frozenset(("import", "remove", "forget", "restore", "study_start", "study", "review"))


def before(state: State, change: dict[str, Any], touched: list[str], keep: int | None = -1) -> dict[str, Any]:
    """What undoing `change` needs when it is the newest change in effect: plain data of a bounded size.

    Each touched record without its notes (only how many it held: a change only ever adds notes at
    the end, so undoing it cuts them back); for a rating, its id. A change whose before-state could
    not be told that way -- an import (it may have brought anything), a removal, a forget, a
    restore, or notes pushed past the window -- is undone by folding again.
    """
    if keep == -1:
        keep = state_module.NOTES_KEPT
    entry: dict[str, Any] = {"id": change["id"], "change": change}
    op = change["op"]
    if op in _REFOLD_OPS or "state" in change:
        entry["refold"] = True
        return entry
    adds_notes = 1 if (change.get("note") if op != "note" else True) else 0
    adds_evidence = len(change.get("evidence") or ())
    units: dict[str, Any] = {}
    for key in touched:
        rec = state.items.get(key)
        if rec is None:
            units[key] = None
            continue
        if keep is not None and (len(rec.notes) + adds_notes > keep or len(rec.evidence) + adds_evidence > keep):
            entry["refold"] = True  # a note would leave the window: only a fold can bring it back
            return entry
        units[key] = shell_data(rec)
    entry["units"] = units
    entry["version"] = state.roadmap_version  # (the fold takes it from the newest change in effect that has one)
    if op == "assess":
        entry["rating"] = [change["skill"], change["id"]]
    return entry


def restore_before(state: State, entry: dict[str, Any]) -> None:
    """Undo the newest change in effect from its undo-stack entry."""
    if "version" in entry:
        state.roadmap_version = entry["version"]
    for key, data in entry.get("units", {}).items():
        if data is None:
            state.items.pop(key, None)
            continue
        now = state.items.get(key)
        rec = record_from_data(data)
        held_notes, held_evidence = data.get("held", (0, 0))
        if now is not None:
            rec.notes = now.notes[:held_notes]
            rec.evidence = now.evidence[:held_evidence]
        state.items[key] = rec
    if "rating" in entry:
        skill, rating_id = entry["rating"]
        ratings = [r for r in state.skills.get(skill, []) if r.id != rating_id]
        if ratings:
            state.skills[skill] = ratings
        else:
            state.skills.pop(skill, None)
