"""The use case behind `aipm plan`: the learner's dated plan, and its calendar file.

Plain data out (the plan, the events, the calendar's text); the CLI parses the options,
writes the file and renders. Nothing here prints or exits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import UsageError

if TYPE_CHECKING:
    from aipm_cli.calendar import Block, CalendarState
    from aipm_cli.learner import Learner
    from aipm_cli.plan import Plan


@dataclass
class Planned:
    """A plan and, when a calendar is wanted, its events (sessions in blocks, or one event a day)."""

    plan: Plan
    events: list[Any] = field(default_factory=list)
    in_blocks: bool = False


def check_options(*, calendar: bool, reminders: bool, reviews: bool, blocks: bool, hours: bool) -> None:
    """What `plan` refuses whatever the values (usage errors): options that need a calendar, or two ways of
    saying the hours."""
    if reviews and not calendar:
        raise UsageError(
            "--reviews needs --ics: add --ics FILE to write the reviews due into the calendar.", "--reviews"
        )
    if reminders and not calendar:
        raise UsageError("--remind needs --ics: add --ics FILE to write the calendar with its reminders.", "--remind")
    if blocks and hours:
        raise UsageError(
            "Choose one of --blocks and --hours-per-week (with --blocks, the blocks' total is the weekly hours).",
            "--blocks",
        )


def study_plan(
    learner: Learner,
    first: date,
    *,
    hours_per_week: float | None = None,
    blocks: list[Block] | None = None,
    calendar: bool = False,
    reviews: bool = False,
) -> Planned:
    """The plan from `first` at the learner's weekly hours (or the given hours, or the blocks' total)."""
    from aipm_cli.plan import make_plan
    from aipm_cli.study import zone_of

    roadmap, state = learner.roadmap, learner.read_state()
    if blocks is not None:
        from aipm_cli.calendar import block_events, weekly_hours

        schedule = make_plan(roadmap, state, first, weekly_hours(blocks), zone_of(learner))
        events, schedule = block_events(schedule, roadmap, learner.user, blocks)
        planned = Planned(schedule, events, in_blocks=True)
    else:
        hours = hours_per_week if hours_per_week is not None else learner.hours_per_week()
        planned = Planned(make_plan(roadmap, state, first, hours, zone_of(learner)))
        if calendar:
            from aipm_cli.calendar import day_events

            planned.events = day_events(planned.plan, roadmap, learner.user)
    if reviews:
        from aipm_cli.review import review_events

        planned.events = [*planned.events, *review_events(learner, state)]
    return planned


@dataclass
class CalendarFile:
    """A calendar's text, how many earlier events it cancels, and its memory to keep once the file is written."""

    text: str
    cancelled: int
    state: CalendarState

    def written(self) -> None:
        """Remember these events (call once the file is safely written): the next calendar updates them."""
        self.state.save()


def calendar_file(learner: Learner, events: list[Any], reminders: list[timedelta]) -> CalendarFile:
    """The events as an iCalendar file that keeps up with earlier exports (same UIDs, removed ones cancelled)."""
    from aipm_cli.calendar import CalendarState, to_ics

    state = CalendarState(learner.layout.cache / "calendar" / f"{learner.user}.json")
    text = to_ics(events, learner.roadmap, learner.user, learner.now(), reminders=reminders, state=state)
    ours = [e for e in state.events.values() if e["roadmap"] == learner.roadmap.id]
    cancelled = sum(1 for e in ours if e["status"] == "CANCELLED")
    return CalendarFile(text, cancelled, state)
