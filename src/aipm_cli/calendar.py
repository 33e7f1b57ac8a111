"""The study plan as a calendar (RFC 5545) that keeps up with the learner.

- Every event has a UID that stays the same for a learner and an item (and a
  session number, with study blocks), so importing a newer export updates the
  events instead of adding copies.
- What was last exported is kept in a small state file (a cache: see
  `CalendarState`); an event whose content changed since then gets a higher
  SEQUENCE, and an event that has left the plan (the item was done or
  skipped, or the roadmap dropped it) is written once more as
  STATUS:CANCELLED with the same UID, so calendar apps remove it.
- Without study blocks each item is an all-day event that ends (DTEND is
  exclusive) the day the next one starts: events do not overlap, except short
  items that share their one day. With blocks (`Tue,Thu 19:00-21:00`) the plan
  is carved into timed sessions in those hours, one after another.
- Reminders are VALARMs before each event's start.

The file is written by the `icalendar` package, imported only here, only when
a calendar is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from aipm_cli.errors import InputError
from aipm_cli.plainclass import replace
from aipm_cli.plan import Plan, PlannedItem
from aipm_cli.roadmap.plain import Roadmap

STATE_FORMAT = "aipm-calendar"
STATE_VERSION = 1
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_REMINDER = timedelta(weeks=4)
_REMIND = re.compile(r"^\s*(\d{1,4})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*$", re.IGNORECASE)
# RFC 5545 TEXT allows no control character but tab (CR and LF are escaped by icalendar);
# Unicode line separators become line breaks, other controls (C0, DEL, C1) a replacement mark.
_LINE_BREAK = re.compile("[\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


# --------------------------------------------------------------------------- #
# Options: reminders and weekly study blocks
# --------------------------------------------------------------------------- #


def parse_reminder(text: str) -> timedelta:
    """`1d`, `2h`, `30m`, `1w` (also `2 hours`, `1 day`) -> how long before the event."""
    found = _REMIND.match(text)
    if not found:
        raise InputError(f"'{text}' is not a reminder time.", "Use e.g. --remind 1d, --remind 2h or --remind 30m.")
    amount = int(found.group(1))
    unit = found.group(2)[0].lower()
    before = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount),
              "w": timedelta(weeks=amount)}[unit]  # fmt: skip
    if not timedelta(0) < before <= MAX_REMINDER:
        raise InputError(f"A reminder {text} before is out of range.", "Give a time above 0 and at most 4 weeks.")
    return before


@dataclass(frozen=True)
class Block:
    """A weekly study block: a weekday (0 = Monday) and a time range on it."""

    weekday: int
    start: time
    end: time

    @property
    def hours(self) -> float:
        return (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)).seconds / 3600


def _clock(text: str, whole: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InputError(f"'{text}' in '{whole}' is not a time of day.", "Write times as 19:00 or 7:30.") from None


def parse_blocks(text: str) -> list[Block]:
    """`Tue,Thu 19:00-21:00` (several groups with `;`: `Tue 19:00-21:00; Sat 09:00-12:00`)."""
    hint = 'Write blocks as "Tue,Thu 19:00-21:00", several separated by ";".'
    blocks: list[Block] = []
    for group in (g.strip() for g in text.split(";")):
        if not group:
            continue
        found = re.fullmatch(r"([A-Za-z ,]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", group)
        if not found:
            raise InputError(f"'{group}' is not a weekly study block.", hint)
        begin, end = _clock(found.group(2), group), _clock(found.group(3), group)
        if end <= begin:
            raise InputError(f"In '{group}' the block ends before it starts.", "Blocks end on the day they start.")
        for name in (n.strip().lower() for n in found.group(1).split(",")):
            day = next((i for i, d in enumerate(DAYS) if len(name) >= 3 and d.startswith(name)), None)
            if day is None:
                raise InputError(f"'{name}' in '{group}' is not a weekday.", "Use Mon, Tue, Wed, Thu, Fri, Sat, Sun.")
            blocks.append(Block(day, begin, end))
    if not blocks:
        raise InputError("No study blocks given.", hint)
    blocks.sort(key=lambda b: (b.weekday, b.start))
    for a, b in zip(blocks, blocks[1:], strict=False):
        if a.weekday == b.weekday and b.start < a.end:
            raise InputError(f"Two study blocks overlap on {DAYS[a.weekday].title()}s.", "Give each hour once.")
    return blocks


def weekly_hours(blocks: list[Block]) -> float:
    return round(sum(b.hours for b in blocks), 2)


# --------------------------------------------------------------------------- #
# Events
# --------------------------------------------------------------------------- #


@dataclass
class Event:
    uid: str
    item_id: str
    summary: str
    description: str
    url: str | None
    start: date | datetime  # a date: all day; a datetime: floating local time
    end: date | datetime  # exclusive


def _uid(user: str, roadmap: Roadmap, item_id: str, session: int | None = None) -> str:
    return f"{user}.{roadmap.id}.{item_id}" + (f".{session}" if session is not None else "") + "@aipm"


def _description(item: PlannedItem, hours_per_week: float, url: str | None) -> str:
    text = (
        f"{item.kind}, about {item.hours:g} study hours at {hours_per_week:g} h a week.\n"
        f"When finished: aipm done {item.id}"
    )
    return text + (f"\n{url}" if url else "")


def day_events(plan: Plan, roadmap: Roadmap, user: str) -> list[Event]:
    """One all-day event per item; each ends the day the next one starts (DTEND is exclusive)."""
    from aipm_cli.render.links import http_url

    events = []
    for position, item in enumerate(plan.items):
        end = item.end + timedelta(days=1)
        following = plan.items[position + 1] if position + 1 < len(plan.items) else None
        if following is not None:
            # An item shares its last day with the next one: that day is the next one's.
            end = min(end, following.start) if following.start > item.start else item.start + timedelta(days=1)
        url = http_url(item.url)
        events.append(
            Event(_uid(user, roadmap, item.id), item.id, item.title, _description(item, plan.hours_per_week, url),
                  url, item.start, end)
        )  # fmt: skip
    return events


def block_events(plan: Plan, roadmap: Roadmap, user: str, blocks: list[Block]) -> tuple[list[Event], Plan]:
    """The plan carved into timed study sessions in the weekly blocks, and the plan re-dated to match.

    Items are studied one after another, a session ending when its item's hours
    are used up (the next item starts in the same block) or when the block ends.
    """
    from aipm_cli.render.links import http_url

    per_week = weekly_hours(blocks)
    sessions: dict[str, list[tuple[datetime, datetime]]] = {}
    day = plan.start
    queue = [(item, max(1, round(item.hours * 60))) for item in plan.items]  # minutes to study
    position = 0
    while position < len(queue):
        for block in (b for b in blocks if b.weekday == day.weekday()):
            cursor = datetime.combine(day, block.start)
            close = datetime.combine(day, block.end)
            while cursor < close and position < len(queue):
                item, left = queue[position]
                take = min(left, int((close - cursor).total_seconds() // 60))
                sessions.setdefault(item.id, []).append((cursor, cursor + timedelta(minutes=take)))
                cursor += timedelta(minutes=take)
                if take == left:
                    position += 1
                else:
                    queue[position] = (item, left - take)
        day += timedelta(days=1)
    events = []
    dated = []
    for item in plan.items:
        times = sessions[item.id]
        url = http_url(item.url)
        description = _description(item, per_week, url)
        for number, (begin, end) in enumerate(times, start=1):
            title = item.title if len(times) == 1 else f"{item.title} ({number}/{len(times)})"
            events.append(Event(_uid(user, roadmap, item.id, number), item.id, title, description, url, begin, end))
        dated.append(replace(item, start=times[0][0].date(), end=times[-1][1].date()))
    finish = dated[-1].end if dated else None
    return events, replace(plan, hours_per_week=per_week, finish=finish, items=dated)


# --------------------------------------------------------------------------- #
# What was exported last time
# --------------------------------------------------------------------------- #


def _fingerprint(event: Event, reminders: Iterable[timedelta]) -> str:
    parts = [event.summary, event.description, event.url or "", event.start.isoformat(), event.end.isoformat(),
             *(str(r.total_seconds()) for r in reminders)]  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class CalendarState:
    """The events of the last export, per UID: sequence, fingerprint, status, and what a
    cancellation needs (summary, start, end). A cache: unreadable means "no export yet"."""

    def __init__(self, path: Path) -> None:
        from aipm_cli.fs import read_private_file

        self.path = path
        self.events: dict[str, dict[str, Any]] = {}
        raw = read_private_file(path, limit=64 * 1024 * 1024)  # a private regular file of ours, else none
        if raw is None:
            return
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return
        if isinstance(data, dict) and data.get("format") == STATE_FORMAT and isinstance(data.get("events"), dict):
            self.events = {k: v for k, v in data["events"].items() if isinstance(v, dict) and _valid(v)}

    def save(self) -> None:
        """Write the state (0600 in a 0700 folder); never in place of something that is not a regular file."""
        from aipm_cli.fs import atomic_write
        from aipm_cli.paths import ensure_private_dir

        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):
            return
        ensure_private_dir(self.path.parent)
        document = {"format": STATE_FORMAT, "version": STATE_VERSION, "events": dict(sorted(self.events.items()))}
        atomic_write(self.path, (json.dumps(document, indent=1) + "\n").encode(), mode=0o600)


def _valid(entry: dict[str, Any]) -> bool:
    return (
        isinstance(entry.get("sequence"), int)
        and entry.get("status") in ("CONFIRMED", "CANCELLED")
        and all(isinstance(entry.get(k), str) for k in ("fingerprint", "summary", "start", "end", "roadmap"))
    )


def _moment(text: str) -> date | datetime:
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


# --------------------------------------------------------------------------- #
# Writing
# --------------------------------------------------------------------------- #


def _text(value: str) -> str:
    # icalendar escapes CR and LF; other control characters are not allowed in TEXT at all.
    return _CONTROL.sub("\ufffd", _LINE_BREAK.sub("\n", value))


def to_ics(
    events: list[Event],
    roadmap: Roadmap,
    user: str,
    stamp: datetime,
    *,
    reminders: Iterable[timedelta] = (),
    state: CalendarState | None = None,
) -> str:
    """The calendar text; `state` (when given) is compared with and updated to this export."""
    import icalendar

    from aipm_cli import __version__

    reminders = sorted(set(reminders), reverse=True)
    previous = state.events if state is not None else {}
    current: dict[str, dict[str, Any]] = {}
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//aipm//aipm {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", icalendar.vText(_text(f"{roadmap.title} study plan ({user})")))
    dtstamp = stamp.astimezone(UTC)

    def add_event(uid: str, summary: str, description: str, url: str | None, start: date | datetime,
                  end: date | datetime, sequence: int, cancelled: bool) -> None:  # fmt: skip
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", dtstamp)
        event.add("sequence", sequence)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", _text(summary))
        event.add("description", _text(description))
        if url:
            event.add("url", url)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if not isinstance(start, datetime) else "OPAQUE")
        if not cancelled:
            for before in reminders:
                alarm = icalendar.Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", _text(f"Study: {summary}"))
                alarm.add("trigger", -before)
                event.add_component(alarm)
        calendar.add_component(event)

    for e in events:
        fingerprint = _fingerprint(e, reminders)
        old = previous.get(e.uid)
        if old is None:
            sequence = 0
        elif old["fingerprint"] == fingerprint and old["status"] == "CONFIRMED":
            sequence = old["sequence"]
        else:
            sequence = old["sequence"] + 1
        add_event(e.uid, e.summary, e.description, e.url, e.start, e.end, sequence, False)
        current[e.uid] = {"sequence": sequence, "fingerprint": fingerprint, "status": "CONFIRMED",
                          "summary": e.summary, "start": e.start.isoformat(), "end": e.end.isoformat(),
                          "roadmap": roadmap.id, "item": e.item_id}  # fmt: skip
    # Events of the last export that left the plan: cancelled, with the same UID. They stay
    # in later exports too, so a calendar that only sees a later file still learns of it.
    for uid, old in previous.items():
        if uid in current or old["roadmap"] != roadmap.id:
            continue
        sequence = old["sequence"] + (1 if old["status"] == "CONFIRMED" else 0)
        description = "No longer in the study plan: done, skipped, or taken out of the roadmap."
        add_event(uid, old["summary"], description, None, _moment(old["start"]), _moment(old["end"]), sequence, True)
        current[uid] = {**old, "sequence": sequence, "status": "CANCELLED"}
    if state is not None:
        kept = {uid: old for uid, old in previous.items() if old["roadmap"] != roadmap.id}
        state.events = {**kept, **current}
    text: str = calendar.to_ical().decode("utf-8")
    return text
