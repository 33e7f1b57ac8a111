"""Study time and review ratings in derived state: aggregates of a bounded size.

A learner may log a hundred thousand study sessions; derived state never
holds them one by one. It keeps (see `apply_study`):

- minutes per item;
- minutes per 15-minute slot of UTC time for sessions with a start time
  (`began`) in the newest SLOT_DAYS days: a day in any time zone (offsets are
  whole quarter hours) is the sum of its slots, so a learner in UTC-10 and
  one in UTC+13 each see their own days from the same data; a session counts
  on the day it began. Older sessions are summed per UTC day (`utc_days`):
  a heatmap years back is by UTC day;
- minutes per date (`on`) for time added by hand with a date only;
- the running sessions (a `study_start` not yet closed by a `study`), at most
  RUNNING_KEPT of them;
- each device's newest INTERVALS_KEPT timed sessions, to refuse an overlap;
- each item's newest REVIEWS_KEPT review ratings ([time, rating]): the review
  schedule is derived from them when read (review.py), never stored.

Undoing any of these changes folds again (fold.before marks them so).
"""

from __future__ import annotations

from dataclasses import field
from datetime import UTC, datetime
from typing import Any

from aipm_cli.plainclass import plain

SLOT_MINUTES = 15
SLOT_DAYS = 400  # sessions this many days before the newest keep their quarter hour; older ones their UTC day
SLOTS_KEPT = SLOT_DAYS * 24 * 60 // SLOT_MINUTES
RUNNING_KEPT = 100
INTERVALS_KEPT = 50
REVIEWS_KEPT = 200


def epoch_minutes(text: str) -> int:
    """An ISO time with an offset -> whole minutes since 1970 (UTC)."""
    moment = datetime.fromisoformat(text)
    return int(moment.astimezone(UTC).timestamp() // 60)


@plain
class Study:
    minutes: dict[str, int] = field(default_factory=dict)  # item -> minutes
    slots: dict[int, int] = field(default_factory=dict)  # UTC quarter-hour slot -> minutes begun in it
    utc_days: dict[int, int] = field(default_factory=dict)  # days since 1970 (UTC) -> minutes: older sessions
    newest: int = 0  # the newest slot seen
    days: dict[str, int] = field(default_factory=dict)  # ISO date -> minutes added with a date only
    sessions: int = 0
    running: dict[str, list[str]] = field(default_factory=dict)  # study_start id -> [item, began, device]
    intervals: dict[str, list[list[int]]] = field(default_factory=dict)  # device -> [[start, end]] (epoch min)
    reviews: dict[str, list[list[Any]]] = field(default_factory=dict)  # item -> [[at, rating]], oldest first


def apply_study(study: Study, change: dict[str, Any], key: str) -> None:
    """Apply a study_start, study or review change in effect (`key`: its item, through aliases)."""
    op = change["op"]
    if op == "review":
        kept = study.reviews.setdefault(key, [])
        kept.append([change["at"], change["rating"]])
        if len(kept) > REVIEWS_KEPT:
            del kept[0]
        return
    if op == "study_start":
        study.running[change["id"]] = [key, change["began"], change["device"]]
        if len(study.running) > RUNNING_KEPT:
            study.running.pop(next(iter(study.running)))
        return
    minutes = change["minutes"]
    study.sessions += 1
    study.minutes[key] = study.minutes.get(key, 0) + minutes
    closes = change.get("closes")
    if closes is not None:
        study.running.pop(closes, None)
    began = change.get("began")
    if began is None:
        study.days[change["on"]] = study.days.get(change["on"], 0) + minutes
        return
    start = epoch_minutes(began)
    slot = start // SLOT_MINUTES
    if slot > study.newest:
        study.newest = slot
    if slot < study.newest - SLOTS_KEPT:
        day = start // (24 * 60)
        study.utc_days[day] = study.utc_days.get(day, 0) + minutes
    else:
        study.slots[slot] = study.slots.get(slot, 0) + minutes
        if len(study.slots) > 4096 and len(study.slots) % 1024 == 0:
            _roll_up(study)
    if change.get("source") is None:  # sessions timed on a device: what a new one may not overlap
        recent = study.intervals.setdefault(change["device"], [])
        recent.append([start, start + minutes])
        if len(recent) > INTERVALS_KEPT:
            recent.sort()
            del recent[0]


def _roll_up(study: Study) -> None:
    """Slots older than SLOT_DAYS before the newest become UTC days (the views read them so already)."""
    floor = study.newest - SLOTS_KEPT
    for slot in [s for s in study.slots if s < floor]:
        day = slot * SLOT_MINUTES // (24 * 60)
        study.utc_days[day] = study.utc_days.get(day, 0) + study.slots.pop(slot)


def study_data(study: Study) -> dict[str, Any]:
    return {
        "minutes": study.minutes,
        "slots": {str(k): v for k, v in study.slots.items()},
        "utc_days": {str(k): v for k, v in study.utc_days.items()},
        "newest": study.newest,
        "days": study.days,
        "sessions": study.sessions,
        "running": study.running,
        "intervals": study.intervals,
        "reviews": study.reviews,
    }


def study_from_data(data: dict[str, Any] | None) -> Study:
    if not data:
        return Study()
    return Study(
        minutes=dict(data["minutes"]),
        slots={int(k): v for k, v in data["slots"].items()},
        utc_days={int(k): v for k, v in data["utc_days"].items()},
        newest=data["newest"],
        days=dict(data["days"]),
        sessions=data["sessions"],
        running=dict(data["running"]),
        intervals=dict(data["intervals"]),
        reviews=dict(data["reviews"]),
    )
