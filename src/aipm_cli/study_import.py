"""Study time from Timewarrior and Watson: their exports read, each interval matched to an item by a tag
(or Watson's project), and the sessions added as one import (`aipm study import`; `undo` takes it back).
Nothing here prints or exits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError
from aipm_cli.record.changes import MAX_SESSION_MINUTES
from aipm_cli.study import utc_text, zone_of
from aipm_cli.wording import count

if TYPE_CHECKING:
    from aipm_cli.learner import Learner


MAX_IMPORT_BYTES = 64 << 20


def _timew_moment(text: Any) -> datetime | None:
    """Timewarrior's '20261124T090000Z' (UTC)."""
    if not isinstance(text, str) or len(text) != 16:
        return None
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _watson_moment(value: Any) -> datetime | None:
    """Watson's seconds since 1970 (UTC)."""
    if type(value) is not int or not 0 <= value < 253402300800:
        return None
    return datetime.fromtimestamp(value, UTC)


def read_intervals(raw: bytes, name: str) -> tuple[str, list[dict[str, Any]]]:
    """A `timew export` document or a Watson frames file -> (tool, intervals).

    Each interval: `start`, `end` (UTC datetimes, `end` None while running), `names` (the tags, and
    Watson's project, that may name an item), `ref` (the interval's own identity: Timewarrior's
    start, a Watson frame's id), `label` (how to show it)."""
    import json

    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InputError(f"{name} is not JSON.", "Give the output of `timew export` or Watson's frames file.") from None
    if not isinstance(data, list):
        raise InputError(f"{name} is not a Timewarrior export or a Watson frames file (not a JSON list).")
    if not data:
        return "timewarrior", []
    intervals: list[dict[str, Any]] = []
    if all(isinstance(entry, dict) for entry in data):
        for number, entry in enumerate(data):
            start = _timew_moment(entry.get("start"))
            if start is None:
                raise InputError(f"{name}: interval {number + 1} has no start Timewarrior writes.")
            end = _timew_moment(entry.get("end")) if entry.get("end") is not None else None
            tags = entry.get("tags") or []
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise InputError(f"{name}: interval {number + 1} has tags that are not text.")
            intervals.append({"start": start, "end": end, "names": tags, "ref": entry["start"],
                              "label": " ".join(tags) or "(no tags)"})  # fmt: skip
        return "timewarrior", intervals
    if all(isinstance(entry, list) for entry in data):
        for number, entry in enumerate(data):
            if len(entry) < 4:
                raise InputError(f"{name}: frame {number + 1} is not a Watson frame.")
            start, stop, project, frame_id = entry[:4]
            tags = entry[4] if len(entry) > 4 and isinstance(entry[4], list) else []
            begun = _watson_moment(start)
            if begun is None or not isinstance(project, str) or not isinstance(frame_id, str):
                raise InputError(f"{name}: frame {number + 1} is not a Watson frame.")
            names = [project, *(t for t in tags if isinstance(t, str))]
            intervals.append({"start": begun, "end": _watson_moment(stop) if stop is not None else None,
                              "names": names, "ref": frame_id, "label": " ".join(names)})  # fmt: skip
        return "watson", intervals
    raise InputError(f"{name} is not a Timewarrior export or a Watson frames file.")


def import_time(learner: Learner, path: Any) -> dict[str, Any]:
    """Sessions from a Timewarrior export or Watson frames file, as one import (undo takes it back).

    An interval counts for the item its tag (or Watson project) names by id or alias; nothing is
    guessed: an interval that names no item, or more than one, is listed and left out. Each session's
    change id is made from the interval's own identity, so importing the same intervals again (here
    or on another machine) adds nothing."""
    from aipm_cli.fs import read_regular_file
    from aipm_cli.record import changes as fmt
    from aipm_cli.record import ids

    try:
        raw = read_regular_file(path, MAX_IMPORT_BYTES)
    except FileNotFoundError:
        raise InputError(f"No file at {path}.") from None
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    tool, intervals = read_intervals(raw, str(path))
    index = learner.roadmap.index
    known = set(index.items) | set(index.deliverables)
    zone = zone_of(learner)
    moment = learner.now()
    device = learner.device
    unmatched: list[dict[str, Any]] = []
    made: list[dict[str, Any]] = []
    labels: dict[str, tuple[str, str]] = {}
    for interval in intervals:
        start, end = interval["start"], interval["end"]
        named = {index.aliases.get(n, n) for n in interval["names"]}
        items = sorted(named & known)
        when = start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        minutes = round((end - start).total_seconds() / 60) if end is not None else 0
        reason = None
        if end is None:
            reason = "still running"
        elif not items:
            reason = "names no item"
        elif len(items) > 1:
            reason = f"names {count(len(items), 'item')} ({', '.join(items[:3])})"
        elif end < start:
            reason = "it ends before it starts"
        elif not 1 <= minutes <= MAX_SESSION_MINUTES:
            reason = "shorter than a minute" if minutes < 1 else "longer than a day"
        elif start > moment:
            reason = "in the future"
        if reason is not None:
            unmatched.append({"start": when, "label": interval["label"], "reason": reason})
            continue
        began = utc_text(start)
        change = {
            "v": fmt.FORMAT, "id": ids.derived_id(start, "study", tool, str(interval["ref"])),
            "at": moment.isoformat(), "on": start.astimezone(zone).date().isoformat(), "device": device,
            "op": "study", "targets": items, "minutes": minutes, "began": began, "source": tool,
            "ref": str(interval["ref"])[:200],
        }  # fmt: skip
        try:
            made.append(fmt.check(change))
        except fmt.BadChange as exc:
            unmatched.append({"start": when, "label": interval["label"], "reason": str(exc)})
        labels[change["id"]] = (when, interval["label"])
    made.sort(key=lambda c: c["id"])
    present = learner.ledger.held_ids() if made else set()  # what an undone import took out comes back
    new = [c for c in made if c["id"] not in present]
    over = _over_a_day(learner, zone, new)  # a day holds 24 hours of study time at most
    for change in over:
        when, label = labels[change["id"]]
        unmatched.append({"start": when, "label": label, "reason": f"{change['on']} would have more than 24 hours"})
    made = [c for c in made if c not in over]
    new = [c for c in new if c not in over]
    added = learner.ledger.import_changes(iter(new), getattr(path, "name", str(path))) if new else 0
    if added:
        learner.saved = True
    return {
        "tool": tool,
        "intervals": len(intervals),
        "matched": len(made),
        "added": added,
        "minutes_added": sum(c["minutes"] for c in new) if added else 0,
        "already": len(made) - len(new),
        "over_a_day": len(over),
        "unmatched": unmatched,
    }


def _over_a_day(learner: Learner, zone: Any, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sessions (oldest first) that would make their day's study time more than a day holds, with what
    the record has on that day and the sessions before them in this import."""
    from aipm_cli.study import day_room

    if not new:
        return []
    study = learner.read_state().study
    room: dict[str, int] = {}
    over = []
    for change in new:
        day = change["on"]
        if day not in room:
            room[day] = day_room(study, zone, date.fromisoformat(day))[1]
        if change["minutes"] > room[day]:
            over.append(change)
        else:
            room[day] -= change["minutes"]
    return over
