"""Derived state: what a learner's changes add up to, and how one change applies.

Plain dataclasses (no pydantic): reading commands build these from the cache
or the fold without importing a validation library.

Fold rules, per unit (an item without deliverables, a deliverable, or a
project/module/phase record that holds notes):

- start: in progress; started_on = the change's date unless it was already in
  progress; completion and skip cleared.
- done: done; started_on kept (else the change's date); completed_on = the
  change's date. On a unit already done only the credential and expiry given
  are updated: dates are never lost.
- skip: skipped on the change's date with its reason (unless already skipped).
- reset: not started, dates, skip reason, credential and expiry cleared;
  notes and evidence stay.
- note / evidence: appended to the targets as named, with the change's date.
  A record holds its newest NOTES_KEPT notes (and as many evidence entries)
  and counts the older ones (`earlier_notes`, `earlier_evidence`): derived
  state, its cache and every write stay the same size however many notes
  arrive. Reports fold again with every note (`keep=None`).
- assess: a rating kept in date order (ties in recording order); the latest
  rating is the one with the latest date.
- restore / migrated `state`: the unit's record set exactly as given.
- redate (a correction): each unit whose status is the change's `status`
  gets its date replaced by the change's date: in progress -> started_on;
  done -> completed_on (and started_on moves back to it when it was later).
  A unit in another status is left alone (the correction no longer applies).
- remove: the notes and evidence entries whose ids are listed leave the
  record named; a record left blank is dropped.
- forget: the units' records are dropped whole (orphaned progress).
- study_start, study, review: added to the bounded study aggregates
  (studying.py): minutes per item and per time slot, running sessions,
  each item's review ratings.
- undo, redo and import change nothing themselves: they decide which changes
  are in effect (see fold.py).
Ids pass through the roadmap's aliases, so renamed items keep progress.
"""

from __future__ import annotations

import bisect
from dataclasses import field
from datetime import date
from typing import Any

from aipm_cli.plainclass import plain
from aipm_cli.record.studying import Study, apply_study, study_data, study_from_data

NOTES_KEPT = 50  # notes (and evidence entries) a record holds in derived state: the newest

# Derived state is built change by change in a fold of up to millions: these
# classes write their own constructors (fast) and keep slots (small); @plain
# gives them repr and equality.


@plain
class Note:
    """A note or an evidence entry."""

    __slots__ = ("text", "on", "at", "id")
    text: str
    on: date
    at: str
    id: str

    def __init__(self, text: str, on: date, at: str = "", id: str = "") -> None:
        self.text, self.on, self.at, self.id = text, on, at, id


@plain
class Rating:
    __slots__ = ("level", "on", "note", "at", "id")
    level: int
    on: date
    note: str | None
    at: str
    id: str

    def __init__(self, level: int, on: date, note: str | None = None, at: str = "", id: str = "") -> None:
        self.level, self.on, self.note, self.at, self.id = level, on, note, at, id


@plain
class ItemState:
    __slots__ = (
        "status", "started_on", "completed_on", "skipped_on", "skip_reason", "credential", "expires_on", "notes",
        "evidence", "earlier_notes", "earlier_evidence", "older_ids",
    )  # fmt: skip
    status: str
    started_on: date | None
    completed_on: date | None
    skipped_on: date | None
    skip_reason: str | None
    credential: str | None
    expires_on: date | None
    notes: list[Note]
    evidence: list[Note]
    earlier_notes: int  # notes in effect older than those held (folded with a window)
    earlier_evidence: int
    # (slot `older_ids`: their ids while folding, as a removal may name one; never cached nor compared)

    def __init__(
        self,
        status: str = "not_started",
        started_on: date | None = None,
        completed_on: date | None = None,
        skipped_on: date | None = None,
        skip_reason: str | None = None,
        credential: str | None = None,
        expires_on: date | None = None,
        notes: list[Note] | None = None,
        evidence: list[Note] | None = None,
        earlier_notes: int = 0,
        earlier_evidence: int = 0,
    ) -> None:
        self.status, self.started_on, self.completed_on, self.skipped_on = status, started_on, completed_on, skipped_on
        self.skip_reason, self.credential, self.expires_on = skip_reason, credential, expires_on
        self.notes = [] if notes is None else notes
        self.evidence = [] if evidence is None else evidence
        self.earlier_notes, self.earlier_evidence = earlier_notes, earlier_evidence
        self.older_ids: set[str] | None = None

    def is_blank(self) -> bool:
        return (
            self.status == "not_started"
            and self.started_on is None
            and self.completed_on is None
            and self.skipped_on is None
            and self.skip_reason is None
            and self.credential is None
            and self.expires_on is None
            and not self.notes
            and not self.evidence
            and not self.earlier_notes
            and not self.earlier_evidence
        )

    def copy(self) -> ItemState:
        return ItemState(
            self.status, self.started_on, self.completed_on, self.skipped_on, self.skip_reason,
            self.credential, self.expires_on, list(self.notes), list(self.evidence), self.earlier_notes,
            self.earlier_evidence,
        )  # fmt: skip

    @property
    def note_count(self) -> int:
        return self.earlier_notes + len(self.notes)

    @property
    def evidence_count(self) -> int:
        return self.earlier_evidence + len(self.evidence)

    def windowed(self) -> bool:
        """Whether older notes or evidence are only counted here (a report folds again for them)."""
        return bool(self.earlier_notes or self.earlier_evidence)


@plain
class State:
    """A learner's derived progress on one roadmap."""

    items: dict[str, ItemState] = field(default_factory=dict)
    skills: dict[str, list[Rating]] = field(default_factory=dict)
    roadmap_version: str | None = None
    study: Study = field(default_factory=Study)  # study time and review ratings (studying.py)

    def record(self, key: str) -> ItemState:
        return self.items.get(key) or ItemState()


def _day(text: Any) -> date | None:
    return date.fromisoformat(text) if text else None


# --------------------------------------------------------------------------- #
# Applying one change
# --------------------------------------------------------------------------- #


def _rating_day(rating: Rating) -> date:
    return rating.on


def _keep_window(rec: ItemState, kind: str, keep: int | None) -> None:
    """Hold no more than `keep` notes (kind "notes") or evidence entries ("evidence"): the oldest go
    out of the window, counted, their ids kept while folding (a removal may name one)."""
    entries: list[Note] = getattr(rec, kind)
    if keep is None or len(entries) <= keep:
        return
    extra = entries[: len(entries) - keep]
    del entries[: len(entries) - keep]
    setattr(rec, f"earlier_{kind}", getattr(rec, f"earlier_{kind}") + len(extra))
    if rec.older_ids is None:
        rec.older_ids = set()
    rec.older_ids.update(n.id for n in extra)


def _add_note(rec: ItemState, note: Note, keep: int | None) -> None:
    rec.notes.append(note)
    _keep_window(rec, "notes", keep)


def _add_evidence(rec: ItemState, entry: Note, keep: int | None) -> None:
    rec.evidence.append(entry)
    _keep_window(rec, "evidence", keep)


def _trim(rec: ItemState, keep: int | None) -> ItemState:
    """A record set whole (a restore) holds no more than the window either."""
    _keep_window(rec, "notes", keep)
    _keep_window(rec, "evidence", keep)
    return rec


def apply(
    state: State, change: dict[str, Any], aliases: dict[str, str], on: date | None = None, keep: int | None = -1
) -> None:
    """Apply one change that is in effect, in fold order (`on`: its date, when already parsed).

    `keep`: how many notes (and evidence entries) a record holds (-1: NOTES_KEPT); None: every one."""
    if keep == -1:
        keep = NOTES_KEPT
    op = change["op"]
    if on is None:
        on = date.fromisoformat(change["on"])
    items = state.items
    legacy = change.get("state")
    if legacy is not None:
        for unit, data in legacy.items():
            key = aliases.get(unit, unit)
            if data is None:
                items.pop(key, None)
            else:
                items[key] = _trim(record_from_data(data), keep)
        if op == "restore":
            for skill, ratings in (change.get("skills") or {}).items():
                kept = sorted((rating_from_data(r) for r in ratings), key=lambda r: r.on)
                if kept:
                    state.skills[skill] = kept
                else:
                    state.skills.pop(skill, None)
        return
    if op == "restore":
        for skill, ratings in (change.get("skills") or {}).items():
            state.skills[skill] = sorted((rating_from_data(r) for r in ratings), key=lambda r: r.on)
        return
    if op in ("start", "done", "skip", "reset"):
        for unit in change["units"]:
            key = aliases.get(unit, unit)
            rec = items.get(key)
            if rec is None:
                rec = items[key] = ItemState()
            _transition(rec, op, on, change)
            if op == "reset" and rec.is_blank():
                del items[key]
        note = change.get("note")
        evidence = change.get("evidence") or ()
        if note or evidence:
            for target in change["targets"]:
                key = aliases.get(target, target)
                rec = items.get(key)
                if rec is None:
                    rec = items[key] = ItemState()
                if note:
                    _add_note(rec, Note(note, on, change["at"], change["id"]), keep)
                for number, text in enumerate(evidence):
                    _add_evidence(rec, Note(text, on, change["at"], f"{change['id']}.{number}"), keep)
        return
    if op == "note":
        for target in change["targets"]:
            key = aliases.get(target, target)
            rec = items.get(key)
            if rec is None:
                rec = items[key] = ItemState()
            _add_note(rec, Note(change["text"], on, change["at"], change["id"]), keep)
        return
    if op == "redate":
        status = change["status"]
        for unit in change["units"]:
            rec = items.get(aliases.get(unit, unit))
            if rec is None or rec.status != status:
                continue
            if status == "in_progress":
                rec.started_on = on
            else:
                rec.completed_on = on
                if rec.started_on is None or rec.started_on > on:
                    rec.started_on = on
        return
    if op == "remove":
        key = aliases.get(change["targets"][0], change["targets"][0])
        rec = items.get(key)
        if rec is not None:
            gone = set(change["entries"])
            rec.notes = [n for n in rec.notes if n.id not in gone]
            rec.evidence = [e for e in rec.evidence if e.id not in gone]
            if rec.older_ids:  # an entry older than those held: counted no more
                for entry_id in gone & rec.older_ids:
                    rec.older_ids.discard(entry_id)
                    if "." in entry_id:
                        rec.earlier_evidence -= 1
                    else:
                        rec.earlier_notes -= 1
            if rec.is_blank():
                del items[key]
        return
    if op == "forget":
        for unit in change["units"]:
            items.pop(aliases.get(unit, unit), None)
        return
    if op == "assess":
        ratings = state.skills.setdefault(change["skill"], [])
        rating = Rating(change["level"], on, change.get("note"), change["at"], change["id"])
        # After every rating of the same date or earlier: recording order breaks ties.
        position = bisect.bisect_right(ratings, on, key=_rating_day)  # (no list of dates per rating: O(log n))
        ratings.insert(position, rating)
        return
    if op in ("study_start", "study", "review"):
        target = change["targets"][0]
        apply_study(state.study, change, aliases.get(target, target))
        return
    # undo, redo, import: no effect of their own.


def _transition(rec: ItemState, op: str, on: date, change: dict[str, Any]) -> None:
    if op == "start":
        if rec.status != "in_progress" or rec.started_on is None:
            rec.started_on = on
        rec.status = "in_progress"
        rec.completed_on = rec.skipped_on = None
        rec.skip_reason = None
    elif op == "done":
        if rec.status != "done":
            rec.status = "done"
            rec.started_on = rec.started_on or on
            rec.completed_on = on
            rec.skipped_on = None
            rec.skip_reason = None
        if change.get("credential") is not None:
            rec.credential = change["credential"]
        if change.get("expires") is not None:
            rec.expires_on = date.fromisoformat(change["expires"])
    elif op == "skip":
        if rec.status != "skipped":
            rec.status = "skipped"
            rec.skipped_on = on
            rec.skip_reason = change.get("reason")
            rec.completed_on = None
    else:  # reset
        rec.status = "not_started"
        rec.started_on = rec.completed_on = rec.skipped_on = None
        rec.skip_reason = rec.credential = None
        rec.expires_on = None


# --------------------------------------------------------------------------- #
# Plain data (the cache, exports, restore changes)
# --------------------------------------------------------------------------- #


def _note_data(note: Note) -> dict[str, Any]:
    data: dict[str, Any] = {"text": note.text, "on": note.on.isoformat()}
    if note.at:
        data["at"] = note.at
    if note.id:
        data["id"] = note.id
    return data


def record_data(rec: ItemState) -> dict[str, Any]:
    data: dict[str, Any] = {"status": rec.status}
    for key in ("started_on", "completed_on", "skipped_on", "expires_on"):
        value = getattr(rec, key)
        if value is not None:
            data[key] = value.isoformat()
    for key in ("skip_reason", "credential"):
        value = getattr(rec, key)
        if value is not None:
            data[key] = value
    if rec.notes:
        data["notes"] = [_note_data(n) for n in rec.notes]
    if rec.evidence:
        data["evidence"] = [_note_data(n) for n in rec.evidence]
    if rec.earlier_notes:
        data["earlier_notes"] = rec.earlier_notes
    if rec.earlier_evidence:
        data["earlier_evidence"] = rec.earlier_evidence
    return data


def shell_data(rec: ItemState) -> dict[str, Any]:
    """A record without its notes and evidence, with how many it holds (an undo entry: bounded)."""
    data = record_data(ItemState(
        rec.status, rec.started_on, rec.completed_on, rec.skipped_on, rec.skip_reason, rec.credential,
        rec.expires_on, None, None, rec.earlier_notes, rec.earlier_evidence,
    ))  # fmt: skip
    data["held"] = [len(rec.notes), len(rec.evidence)]
    return data


def _note_from(data: dict[str, Any]) -> Note:
    return Note(data["text"], date.fromisoformat(data["on"]), data.get("at", ""), data.get("id", ""))


def record_from_data(data: dict[str, Any]) -> ItemState:
    return ItemState(
        status=data.get("status", "not_started"),
        started_on=_day(data.get("started_on")),
        completed_on=_day(data.get("completed_on")),
        skipped_on=_day(data.get("skipped_on")),
        skip_reason=data.get("skip_reason"),
        credential=data.get("credential"),
        expires_on=_day(data.get("expires_on")),
        notes=[_note_from(n) for n in data.get("notes", ())],
        evidence=[_note_from(n) for n in data.get("evidence", ())],
        earlier_notes=data.get("earlier_notes", 0),
        earlier_evidence=data.get("earlier_evidence", 0),
    )


def rating_data(rating: Rating) -> dict[str, Any]:
    data: dict[str, Any] = {"level": rating.level, "on": rating.on.isoformat()}
    if rating.note is not None:
        data["note"] = rating.note
    if rating.at:
        data["at"] = rating.at
    if rating.id:
        data["id"] = rating.id
    return data


def rating_from_data(data: dict[str, Any]) -> Rating:
    return Rating(
        data["level"], date.fromisoformat(data["on"]), data.get("note"), data.get("at", ""), data.get("id", "")
    )


def state_data(state: State) -> dict[str, Any]:
    return {
        "items": {k: record_data(v) for k, v in sorted(state.items.items())},
        "skills": {k: [rating_data(r) for r in v] for k, v in sorted(state.skills.items())},
        "roadmap_version": state.roadmap_version,
        "study": study_data(state.study),
    }


def state_from_data(data: dict[str, Any]) -> State:
    return State(
        items={k: record_from_data(v) for k, v in data.get("items", {}).items()},
        skills={k: [rating_from_data(r) for r in v] for k, v in data.get("skills", {}).items()},
        roadmap_version=data.get("roadmap_version"),
        study=study_from_data(data.get("study")),
    )
