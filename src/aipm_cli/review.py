"""Spaced review of finished items: the schedule derived from the ratings in the log.

The log stores ratings (`review` changes: 1 again, 2 hard, 3 good, 4 easy),
never due dates. Each finished topic, course or resource (and any other
finished item the learner has rated) is a card of the FSRS scheduler (the
`fsrs` library) with its fuzz off, so every machine folding the same log
computes the same due dates:

- finishing the item is its first recall, rated good, at 00:00 UTC of the
  completion date (done again after a reset: the schedule starts again);
- each rating since then is a review at the time it was recorded;
- no learning steps: a card goes straight to FSRS's review state, with
  intervals in days.

`review` off (a setting) hides the schedule; ratings already in the log stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError

if TYPE_CHECKING:
    from aipm_cli.learner import Learner
    from aipm_cli.record.state import State
    from aipm_cli.roadmap.plain import Roadmap

REVIEWED_KINDS = ("topic", "course", "resource")
RATINGS = {"again": 1, "hard": 2, "good": 3, "easy": 4}
WORDS = {number: word for word, number in RATINGS.items()}


def scheduler() -> Any:
    """aipm's FSRS scheduler: the library's default parameters, no learning steps, no fuzz."""
    from fsrs import Scheduler

    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def card_for(completed_on: Any, ratings: list[list[Any]], fsrs_scheduler: Any = None) -> Any:
    """The FSRS card after the completion and the ratings recorded since (each [time, rating])."""
    from fsrs import Card, Rating

    fsrs_scheduler = fsrs_scheduler or scheduler()
    start = datetime.combine(completed_on, time(0, 0), tzinfo=UTC)
    card = Card(card_id=0, due=start)
    card, _log = fsrs_scheduler.review_card(card, Rating.Good, review_datetime=start)
    for moment, rating in sorted((datetime.fromisoformat(at).astimezone(UTC), value) for at, value in ratings):
        if moment < start:
            continue  # rated before this completion (the item was done again since)
        card, _log = fsrs_scheduler.review_card(card, Rating(rating), review_datetime=moment)
    return card


def _eligible(roadmap: Roadmap, state: State) -> list[str]:
    """Finished items in the schedule: topics, courses, resources, and any other the learner rated."""
    from aipm_cli.unit_status import status_of

    index = roadmap.index
    out = []
    for item_id, placed in index.items.items():
        if placed.item.kind not in REVIEWED_KINDS and item_id not in state.study.reviews:
            continue
        if status_of(index, state, item_id) == "done" and state.items.get(item_id) is not None:
            out.append(item_id)
    return out


def schedule(learner: Learner, state: State) -> dict[str, dict[str, Any]]:
    """Each item in the schedule -> its due time, stability and how many times it was rated."""
    roadmap = learner.roadmap
    fsrs_scheduler = scheduler()
    out: dict[str, dict[str, Any]] = {}
    for item_id in _eligible(roadmap, state):
        rec = state.items[item_id]
        if rec.completed_on is None:
            continue
        ratings = state.study.reviews.get(item_id, [])
        try:
            card = card_for(rec.completed_on, ratings, fsrs_scheduler)
            due: str | None = card.due.astimezone(UTC).isoformat()
        except OverflowError:  # a completion date near the end of the calendar: never due
            due = None
        out[item_id] = {"due": due, "ratings": len(ratings), "stability": round(card.stability or 0, 4)}
    return out


def is_on(learner: Learner) -> bool:
    return bool(learner.config.get("review") != "off")


def due_list(learner: Learner, *, every: bool = False) -> dict[str, Any]:
    """What `aipm review` shows: the items due now (or every scheduled item), with their context."""
    state = learner.read_state()
    now = learner.now().astimezone(UTC)
    if not is_on(learner):
        return {"on": False, "now": now.isoformat(), "due": [], "scheduled": 0}
    index = learner.roadmap.index
    planned = schedule(learner, state)
    zone = learner.zone()
    entries = []
    for item_id, info in planned.items():
        due = info["due"]
        is_due = due is not None and datetime.fromisoformat(due) <= now
        if not (is_due or every):
            continue
        placed = index.items[item_id]
        entries.append({
            "id": item_id, "title": placed.item.title, "kind": placed.item.kind,
            "module": placed.module.id, "module_title": placed.module.title, "phase_title": placed.phase.title,
            "completed_on": state.items[item_id].completed_on.isoformat(),  # type: ignore[union-attr]
            "due": due, "due_on": _day(due, zone), "is_due": is_due, "reviews": info["ratings"],
        })  # fmt: skip
    entries.sort(key=lambda e: (e["due"] or "9999", e["id"]))
    return {"on": True, "now": now.isoformat(), "due": entries, "scheduled": len(planned)}


def rate(learner: Learner, spec: str, word: str) -> dict[str, Any]:
    """Record how well a finished item was recalled; returns its next due time."""
    rating = RATINGS.get(word.strip().lower())
    if rating is None:
        raise InputError(f"'{word[:40]}' is not a rating.", "Rate it again, hard, good or easy.")
    if not is_on(learner):
        raise InputError("Review is off.", "Turn it on with `aipm review --on`.")
    from aipm_cli.wording import article

    target = learner.resolve(spec)
    if target.kind != "item":
        raise InputError(f"{target.title} ({target.id}) is {article(target.kind)}; reviews are of items.")
    from aipm_cli.unit_status import status_of

    moment = learner.now()

    def build(state: State) -> list[dict[str, Any]]:
        if status_of(learner.roadmap.index, state, target.id) != "done":
            raise InputError(
                f"{target.title} ({target.id}) is not done; only finished items are reviewed.",
                f"Mark it done first (`aipm done {target.id}`).",
            )
        return [{"op": "review", "targets": [target.id], "rating": rating}]

    recorded = learner.record(build)
    at = recorded.changes[0]["at"] if recorded.changes else moment.isoformat()
    planned = schedule(learner, recorded.state).get(target.id, {})
    due = planned.get("due")
    return {"item": target.id, "title": target.title, "rating": WORDS[rating], "at": at, "due": due,
            "due_on": _day(due, learner.zone())}  # fmt: skip


def _day(due: str | None, zone: tzinfo) -> str | None:
    """The learner's day (in their zone) of a due time (UTC), as `review` says it."""
    return datetime.fromisoformat(due).astimezone(zone).date().isoformat() if due else None


def review_events(learner: Learner, state: State) -> list[Any]:
    """Each item in the review schedule as an all-day calendar event on its due day (in the learner's
    zone; a day already past is today): one event per item, moved as new ratings move its date."""
    from datetime import timedelta

    from aipm_cli.calendar import Event
    from aipm_cli.study import local_today, zone_of

    if not is_on(learner):
        return []
    zone = zone_of(learner)
    today = local_today(learner)
    roadmap = learner.roadmap
    events = []
    for item_id, info in sorted(schedule(learner, state).items()):
        if info["due"] is None:
            continue
        day = max(today, datetime.fromisoformat(info["due"]).astimezone(zone).date())
        item = roadmap.index.items[item_id].item
        description = (f"Review {item.title}: revisit it, then record how well you recalled it:\n"
                       f"aipm review {item_id} again|hard|good|easy")  # fmt: skip
        events.append(Event(f"{learner.user}.{roadmap.id}.{item_id}.review@aipm", item_id, f"Review: {item.title}",
                            description, None, day, day + timedelta(days=1)))  # fmt: skip
    return events
