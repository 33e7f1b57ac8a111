"""Study time: sessions started and stopped, time added by hand, days and weeks in the learner's zone.

Every session is a change in the learner's log (record/changes.py: study_start,
study), so it syncs, merges, undoes and shows in as-of reports like the rest.
Times in the log are UTC; days and weeks are the learner's own: the
`timezone` setting, else the system's zone. Nothing here prints or exits.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError, UsageError, excerpt
from aipm_cli.record.changes import MAX_SESSION_MINUTES
from aipm_cli.record.studying import SLOT_MINUTES, SLOTS_KEPT, Study, epoch_minutes
from aipm_cli.wording import count

if TYPE_CHECKING:
    from aipm_cli.learner import Learner
    from aipm_cli.marking import Target
    from aipm_cli.record.state import State

_SPENT = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?|s)?)?)?\s*$", re.I)


def parse_spent(text: str) -> int:
    """'1h30m', '90m', '2h', '1.5h', '45' (minutes) -> whole minutes, 1 to a day."""
    value = text.strip()
    minutes: float | None = None
    if value.isdigit():
        minutes = int(value)
    else:
        match = _SPENT.match(value)
        if match and (match.group(1) or match.group(2)):
            minutes = float(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if minutes is None:
        raise InputError(f"'{excerpt(text)}' is not a study time.", "Write it like 1h30m, 90m, 2h or 1.5h.")
    whole = round(minutes)
    if not 1 <= whole <= MAX_SESSION_MINUTES:
        raise InputError(
            f"{excerpt(text)} is out of range.", f"Give from 1 minute to {count(MAX_SESSION_MINUTES // 60, 'hour')}."
        )
    return whole


def spent_text(minutes: int) -> str:
    """90 -> '1h30m', 45 -> '45m', 120 -> '2h'."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"


# --------------------------------------------------------------------------- #
# Time zones, days and weeks
# --------------------------------------------------------------------------- #


def zone_of(learner: Learner) -> tzinfo:
    """The learner's zone: the `timezone` setting, else TZ, else the system's (Learner.zone)."""
    return learner.zone()


def local_now(learner: Learner) -> datetime:
    return learner.now()


def local_today(learner: Learner) -> date:
    return learner.today()


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday around a day."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def day_of(moment_text: str, zone: tzinfo) -> date:
    return datetime.fromisoformat(moment_text).astimezone(zone).date()


def minutes_by_day(study: Study, zone: tzinfo, first: date | None = None, last: date | None = None) -> dict[date, int]:
    """Minutes studied per day in `zone` (a session counts on the day it began), between two days."""
    out: dict[date, int] = {}
    for text, minutes in study.days.items():
        day = date.fromisoformat(text)
        if (first is None or day >= first) and (last is None or day <= last):
            out[day] = out.get(day, 0) + minutes
    # Only the slots and UTC days within a day of the range are looked at (a zone is less than a day off).
    low = (first - _EPOCH).days - 1 if first is not None else None
    high = (last - _EPOCH).days + 1 if last is not None else None
    floor = study.newest - SLOTS_KEPT  # older slots count by UTC day, as if already rolled up
    per_day = 24 * 60 // SLOT_MINUTES
    for slot, minutes in study.slots.items():
        number = slot // per_day
        if (low is not None and number < low) or (high is not None and number > high):
            continue
        if slot < floor:
            day = _EPOCH + timedelta(days=number)
        else:
            # A zone's offset is whole quarter hours: every minute of a slot falls on one local day.
            day = datetime.fromtimestamp(slot * SLOT_MINUTES * 60, UTC).astimezone(zone).date()
        if (first is None or day >= first) and (last is None or day <= last):
            out[day] = out.get(day, 0) + minutes
    for number, minutes in study.utc_days.items():
        if (low is not None and number < low) or (high is not None and number > high):
            continue
        day = _EPOCH + timedelta(days=number)
        if (first is None or day >= first) and (last is None or day <= last):
            out[day] = out.get(day, 0) + minutes
    return out


_EPOCH = date(1970, 1, 1)


# --------------------------------------------------------------------------- #
# Recording sessions
# --------------------------------------------------------------------------- #


def _item(learner: Learner, spec: str) -> Target:
    from aipm_cli.wording import article

    target = learner.resolve(spec)
    if target.kind not in ("item", "deliverable"):
        raise InputError(
            f"{target.title} ({target.id}) is {article(target.kind)}; time is logged on an item.",
            f"Name one of its items (see `aipm show {target.id}`).",
        )
    return target


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _overlap(state: State, device: str, start: int, end: int) -> list[int] | None:
    """A session of this device's that shares more than a minute with [start, end) (a moment, when
    start == end: one that holds it, more than a minute before its end). A minute is what rounding
    a session to whole minutes can add."""
    for interval in state.study.intervals.get(device, ()):
        if start == end:
            if interval[0] < start < interval[1] - 1:
                return interval
        elif min(end, interval[1]) - max(start, interval[0]) > 1:
            return interval
    return None


def _refuse_overlap(state: State, device: str, start: int, end: int, zone: tzinfo) -> None:
    found = _overlap(state, device, start, end)
    if found is None:
        return

    def clock(minutes: int) -> str:
        return datetime.fromtimestamp(minutes * 60, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    raise InputError(
        f"That session ({clock(start)} to {clock(end)}) overlaps one already recorded on this machine "
        f"({clock(found[0])} to {clock(found[1])}).",
        "Record only the time not already counted (or `aipm undo` the other session first).",
    )


DAY_MINUTES = 24 * 60  # one day's study time at most, per learner, in the learner's zone


def day_room(study: Study, zone: tzinfo, day: date) -> tuple[int, int]:
    """(minutes already recorded on a day in `zone`, minutes it still has room for): what minutes_by_day
    says of that day, read from the day's own quarter hours (a write should not walk every slot)."""
    first = int(datetime.combine(day, datetime.min.time(), zone).timestamp()) // 60 // SLOT_MINUTES
    after = int(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).timestamp()) // 60 // SLOT_MINUTES
    if first - 2 * 24 * 60 // SLOT_MINUTES < study.newest - SLOTS_KEPT:  # near the slots kept by UTC day: the walk
        held = minutes_by_day(study, zone, day, day).get(day, 0)
    else:
        held = study.days.get(day.isoformat(), 0) + study.utc_days.get((day - _EPOCH).days, 0)
        held += sum(study.slots.get(slot, 0) for slot in range(first, after))
    return held, max(0, DAY_MINUTES - held)


def _refuse_full_day(study: Study, zone: tzinfo, day: date, minutes: int) -> None:
    """Refuse time that would make one day's total more than the day holds (a session counts on its first day)."""
    held, room = day_room(study, zone, day)
    if minutes <= room:
        return
    more = f"at most {spent_text(room)} more fits" if room else "nothing more fits"
    raise InputError(
        f"{day.isoformat()} already has {spent_text(held)} of study time; {spent_text(minutes)} more would make "
        f"{spent_text(held + minutes)}, more than a day of {count(DAY_MINUTES // 60, 'hour')} ({more}).",
        "Record only the time you really studied that day; `aipm undo` takes back time added by mistake.",
    )


def start(learner: Learner, spec: str) -> dict[str, Any]:
    """Start a session on an item: refused while this machine has one running."""
    target = _item(learner, spec)
    now = learner.now()
    zone = zone_of(learner)
    device = learner.device

    def build(state: State) -> list[dict[str, Any]]:
        for running in state.study.running.values():
            if running[2] == device:
                since = datetime.fromisoformat(running[1]).astimezone(zone)
                raise InputError(
                    f"A study session on {running[0]} has been running on this machine since {since:%Y-%m-%d %H:%M}.",
                    "Stop it first with `aipm study stop`.",
                )
        minute = epoch_minutes(utc_text(now))
        _refuse_overlap(state, device, minute, minute, zone)  # a moment inside a session recorded
        return [
            {
                "op": "study_start",
                "targets": [target.id],
                "began": utc_text(now),
                "on": now.astimezone(zone).date().isoformat(),
            }
        ]

    learner.record(build)
    return {"item": target.id, "title": target.title, "began": utc_text(now), "began_local": _local(now, zone)}


def _local(moment: datetime | str, zone: tzinfo) -> str:
    """A time of day in the learner's zone, with the zone's name: '20:00 HST' (what a session's start says)."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    local = when.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or zone}"


def stop(learner: Learner, spec: str | None = None, spent: int | None = None) -> dict[str, Any]:
    """End the running session (this machine's, or the one named, or the only one on any machine)."""
    now = learner.now()
    zone = zone_of(learner)
    device = learner.device
    wanted = _item(learner, spec).id if spec else None
    done: dict[str, Any] = {}

    def build(state: State) -> list[dict[str, Any]]:
        running = list(state.study.running.items())
        if wanted is not None:
            running = [r for r in running if r[1][0] == wanted]
        if not running:
            raise InputError(
                "No study session is running" + (f" on {wanted}." if wanted else "."),
                "Start one with `aipm study start ITEM`, or add time with `aipm study add ITEM 1h30m`.",
            )
        own = [r for r in running if r[1][2] == device]
        if own:
            start_id, (item, began, _device) = own[-1]
        elif len(running) == 1:
            start_id, (item, began, _device) = running[0]
        else:
            names = ", ".join(f"{r[1][0]} (on {r[1][2]})" for r in running[:5])
            raise InputError(f"Sessions run on other machines: {names}.", "Name the item: `aipm study stop ITEM`.")
        first = epoch_minutes(began)
        elapsed = max(0, epoch_minutes(utc_text(now)) - first)
        if spent is not None and spent > max(1, elapsed):  # (a session under a minute counts one)
            ran = spent_text(max(1, elapsed))
            raise UsageError(
                f"{spent_text(spent)} is longer than the session on {item}, which began {ran} ago "
                f"({_local(began, zone)}). Give {ran} or less (without --spent: the clock's {ran}); "
                f"add time studied elsewhere with `aipm study add {item} TIME --on DATE`.",
                "--spent",
            )
        minutes = spent if spent is not None else max(1, elapsed)
        if minutes > MAX_SESSION_MINUTES:
            raise InputError(
                f"The session on {item} has been running since {_local(began, zone)}: {spent_text(elapsed)}, "
                "more than a day.",
                "Say how long you really studied: `aipm study stop --spent 2h`.",
            )
        if _device == device:  # the time the clock ran (or less): what rounding adds is no overlap
            _refuse_overlap(state, device, first, first + min(minutes, elapsed), zone)
        _refuse_full_day(state.study, zone, day_of(began, zone), minutes)
        done.update(item=item, minutes=minutes, began=began, device=_device)
        return [{"op": "study", "targets": [item], "minutes": minutes, "began": began, "closes": start_id,
                 "on": day_of(began, zone).isoformat()}]  # fmt: skip

    learner.record(build)
    return done


def add(learner: Learner, spec: str, minutes: int, on: date | None = None) -> dict[str, Any]:
    """Time studied away from the terminal, on a day (default: today in the learner's zone)."""
    target = _item(learner, spec)
    day = on or local_today(learner)
    zone = zone_of(learner)

    now = learner.now().astimezone(zone)

    def build(state: State) -> list[dict[str, Any]]:
        _refuse_full_day(state.study, zone, day, minutes)
        if day == now.date():  # today: no more time than the day has had so far
            held, _room = day_room(state.study, zone, day)
            so_far = now.hour * 60 + now.minute
            if held + minutes > so_far:
                recorded = f", {spent_text(held)} of it recorded already" if held else ""
                raise InputError(
                    f"It is {now:%H:%M}: today has had {spent_text(so_far)} so far{recorded}, so "
                    f"{spent_text(minutes)} more cannot have been studied today.",
                    "Give the day it was studied (`--on DATE`), or the time you really studied.",
                )
        return [{"op": "study", "targets": [target.id], "minutes": minutes, "on": day.isoformat()}]

    learner.record(build)
    return {"item": target.id, "title": target.title, "minutes": minutes, "on": day.isoformat()}


def reopened(learner: Learner, undone: dict[str, Any]) -> dict[str, Any] | None:
    """After an undo of a session's stop: the session running again (its start is open once more), how
    long since it began, and whether a second plain `undo` would discard it; None for any other undo."""
    closes = undone.get("closes") if undone.get("op") == "study" else None
    running = learner.read_state().study.running.get(closes) if isinstance(closes, str) else None
    if running is None:
        return None
    item, began, device = running
    minutes = max(0, epoch_minutes(utc_text(learner.now())) - epoch_minutes(began))
    return {"item": item, "began": began, "began_local": _local(began, zone_of(learner)), "device": device,
            "this_machine": device == learner.device, "minutes": minutes, "over_a_day": minutes > MAX_SESSION_MINUTES,
            "undo_discards": learner.ledger.next_undo() == closes}  # fmt: skip


# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #


def minutes_for(study: Study, ids: list[str] | set[str]) -> int:
    return sum(study.minutes.get(i, 0) for i in ids)


def overview(learner: Learner) -> dict[str, Any]:
    """What `aipm study` shows: running sessions, this week's time per day, time per item."""
    state = learner.read_state()
    study = state.study
    zone = zone_of(learner)
    now = learner.now()
    today = now.astimezone(zone).date()
    monday, sunday = week_of(today)
    days = minutes_by_day(study, zone, monday, sunday)
    titles = _titles(learner)
    minute = epoch_minutes(utc_text(now))
    running = [
        {"item": item, "title": titles.get(item, item), "began": began, "device": device,
         "minutes": max(0, minute - epoch_minutes(began)), "this_machine": device == learner.device}
        for item, began, device in study.running.values()
    ]  # fmt: skip
    week = [{"day": (monday + timedelta(days=n)).isoformat(), "minutes": days.get(monday + timedelta(days=n), 0)}
            for n in range(7)]  # fmt: skip
    items = sorted(study.minutes.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "today": today.isoformat(),
        "timezone": str(zone),
        "running": running,
        "week": {"from": monday.isoformat(), "to": sunday.isoformat(), "minutes": sum(days.values()), "days": week},
        "goal_minutes": round(learner.hours_per_week() * 60),
        "total_minutes": sum(study.minutes.values()),
        "sessions": study.sessions,
        "items": [{"id": k, "title": titles.get(k, k), "minutes": v} for k, v in items],
    }


def _titles(learner: Learner) -> dict[str, str]:
    index = learner.roadmap.index
    titles = {i: p.item.title for i, p in index.items.items()}
    titles.update({d: dl.title for d, (dl, _item) in index.deliverables.items()})
    return titles


def time_block(roadmap: Any, study: Study) -> dict[str, Any]:
    """Time per item, module and phase (no dates: the same in any zone), for status, show and reports."""
    index = roadmap.index
    items: dict[str, int] = {}
    modules: dict[str, int] = {}
    phases: dict[str, int] = {}
    for unit, minutes in study.minutes.items():
        owner = unit
        if unit in index.deliverables:
            owner = index.deliverables[unit][1].id
        placed = index.items.get(owner)
        items[unit] = items.get(unit, 0) + minutes
        if placed is None:  # an id the roadmap no longer has: counted in the total only
            continue
        modules[placed.module.id] = modules.get(placed.module.id, 0) + minutes
        phases[placed.phase.id] = phases.get(placed.phase.id, 0) + minutes
    return {
        "total_minutes": sum(study.minutes.values()),
        "sessions": study.sessions,
        "reviews": sum(len(r) for r in study.reviews.values()),
        "phases": phases,
        "modules": modules,
        "items": items,
    }


HEATMAP_DAYS = 28


def status_block(learner: Learner, roadmap: Any, study: Study) -> dict[str, Any]:
    """What `status` adds about study time: the time block, this week against the goal, the running
    sessions, and the last HEATMAP_DAYS days (minutes per day, in the learner's zone)."""
    block = time_block(roadmap, study)
    zone = zone_of(learner)
    now = learner.now()
    today = now.astimezone(zone).date()
    monday, sunday = week_of(today)
    first = min(monday, today - timedelta(days=HEATMAP_DAYS - 1))
    days = minutes_by_day(study, zone, first, sunday)
    from aipm_cli.study_pace import weekly_goal

    block.update(weekly_goal(study, zone, today, round(learner.hours_per_week() * 60)))
    block.update(
        timezone=str(zone),
        today=today.isoformat(),
        week_minutes=sum(m for d, m in days.items() if monday <= d <= sunday),
        goal_minutes=round(learner.hours_per_week() * 60),
        running=[
            {"item": item, "began": began, "began_local": _local(began, zone), "device": device}
            for item, began, device in study.running.values()
        ],
        days=[
            {"day": (today - timedelta(days=n)).isoformat(), "minutes": days.get(today - timedelta(days=n), 0)}
            for n in range(HEATMAP_DAYS - 1, -1, -1)
        ],
    )
    return block


# --------------------------------------------------------------------------- #
# The day
# --------------------------------------------------------------------------- #


def today_view(learner: Learner) -> dict[str, Any]:
    """What `aipm today` shows: the running session, reviews due, what is in progress, the next items
    that fit today's share of the weekly hours, and this week's time against the goal."""
    from aipm_cli.progress import effort_hours, next_items, row
    from aipm_cli.unit_status import status_of
    from aipm_cli.view_data import to_data

    state = learner.read_state()
    roadmap = learner.roadmap
    index = roadmap.index
    data = overview(learner)
    zone = zone_of(learner)
    today = date.fromisoformat(data["today"])
    day_minutes = minutes_by_day(state.study, zone, today, today).get(today, 0)
    share = round(learner.hours_per_week() * 60 / 7)
    reviews: dict[str, Any] = {"on": False, "due": []}
    from aipm_cli.review import is_on

    if is_on(learner) and any(rec.status == "done" for rec in state.items.values()):
        from aipm_cli.review import due_list

        reviews = due_list(learner)
    elif is_on(learner):
        reviews = {"on": True, "due": []}
    in_progress = [to_data(row(roadmap, state, i)) for i in index.items if status_of(index, state, i) == "in_progress"]
    hours = effort_hours(roadmap)
    fits: list[dict[str, Any]] = []
    planned = 0.0
    for candidate in next_items(roadmap, state):
        if candidate.status == "in_progress":
            continue
        low, high = hours.get(candidate.id, (0.0, 0.0))
        entry = to_data(candidate)
        entry["hours"] = round((low + high) / 2, 1)
        if fits and planned * 60 >= share:
            break
        fits.append(entry)
        planned += entry["hours"]
        if len(fits) >= 3:
            break
    return {
        "today": data["today"],
        "timezone": data["timezone"],
        "running": data["running"],
        "studied_today_minutes": day_minutes,
        "share_minutes": share,
        "week": {"from": data["week"]["from"], "to": data["week"]["to"], "minutes": data["week"]["minutes"]},
        "goal_minutes": data["goal_minutes"],
        "reviews": {"on": reviews["on"], "due": reviews["due"]},
        "in_progress": in_progress,
        "next": fits,
    }


HEATMAP_WEEKS = 26


def heatmap(learner: Learner, study: Study, last: date, activity: dict[str, int]) -> list[dict[str, Any]]:
    """The last HEATMAP_WEEKS weeks to `last` (Monday first), a day each: minutes studied in the learner's
    zone and changes recorded for that day (`activity`: ISO date -> changes)."""
    zone = zone_of(learner)
    monday = week_of(last)[0] - timedelta(weeks=HEATMAP_WEEKS - 1)
    minutes = minutes_by_day(study, zone, monday, last)
    out = []
    day = monday
    while day <= last:
        out.append(
            {"day": day.isoformat(), "minutes": minutes.get(day, 0), "changes": activity.get(day.isoformat(), 0)}
        )
        day += timedelta(days=1)
    return out
