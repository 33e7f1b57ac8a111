"""Who needs help, and why: the at-risk rules applied to each learner, and --filter and --sort."""

from __future__ import annotations

import statistics
from datetime import date
from typing import TYPE_CHECKING

from aipm_cli.cohort.model import Flag, LearnerSummary, Options
from aipm_cli.cohort.statistics import finished
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from aipm_cli.roadmap.plain import Roadmap


def triage(learners: list[LearnerSummary], options: Options) -> tuple[int, tuple[float, float] | None]:
    """Each learner's at-risk flags, percentile band and pace against the cohort; (flagged, percentiles)."""
    rules = options.rules
    day = options.day
    percents = [x.percent for x in learners]
    bounds = None
    if len(percents) >= 2:
        cuts = statistics.quantiles(percents, n=100, method="inclusive")
        bounds = (round(cuts[14], 1), round(cuts[84], 1))
    # The cohort's median pace: percent done per week since each learner's first change (a week in at least).
    rates = []
    for x in learners:
        if x.first_activity is not None and (day - x.first_activity).days >= 7:
            rates.append(x.percent / ((day - x.first_activity).days / 7))
    pace = statistics.median(rates) if len(rates) >= 3 else None
    words = {rule: rules.describe(rule, options.stuck_weeks) for rule in rules.on}
    for x in learners:
        x.flags = []
        x.percentile_band = None
        if bounds is not None and bounds[0] < bounds[1]:
            if x.percent <= bounds[0]:
                x.percentile_band = "bottom 15%"
            elif x.percent >= bounds[1]:
                x.percentile_band = "top 15%"
        x.behind_weeks = x.expected_percent = x.hours_expected = x.behind_basis = None
        in_for = (day - x.first_activity).days / 7 if x.first_activity is not None else 0.0
        if x.plan_hours_per_week and in_for >= 1:  # their own plan, shared in their export
            x.behind_basis = "own plan"
            x.hours_expected = round(x.plan_hours_per_week * in_for, 1)
            x.behind_weeks = round(max(0.0, (x.hours_expected - x.hours_done) / x.plan_hours_per_week), 1)
        elif pace and x.first_activity is not None:
            x.behind_basis = "cohort pace"
            x.expected_percent = round(min(100.0, pace * in_for), 1)
            x.behind_weeks = round(max(0.0, (x.expected_percent - x.percent) / pace), 1)

        def flag(rule: str, seen: str, who: LearnerSummary = x, text: str | None = None) -> None:
            if rule in rules.on:
                who.flags.append(Flag(rule, text or words[rule], seen))

        c = x.counts
        if c.done == 0 and c.in_progress == 0 and c.skipped == 0:
            flag("never-started", "nothing started" + (f" in {counted(x.changes, 'change')}" if x.changes else ""))
        idle = x.days_inactive is None or x.days_inactive >= rules.idle_days
        if x.percent < rules.under_percent and idle:
            since = "no change yet" if x.days_inactive is None else f"no change for {counted(x.days_inactive, 'day')}"
            flag("low-and-idle", f"{x.percent:.1f}% done, {since}")
        if x.behind_weeks is not None and x.behind_weeks >= rules.behind_weeks:
            weeks = (day - x.first_activity).days // 7 if x.first_activity else 0
            if x.behind_basis == "own plan":
                flag(
                    "behind",
                    f"{x.behind_weeks:g} weeks behind their own plan: {x.hours_done:g} h of study finished after"
                    f" {counted(weeks, 'week')}, their {x.plan_hours_per_week:g} h a week gives {x.hours_expected:g} h",
                    text=f"{rules.behind_weeks:g} weeks or more behind the learner's own plan (the weekly hours"
                    " their export shares)",
                )
            else:
                flag(
                    "behind",
                    f"{x.behind_weeks:g} weeks behind: {x.percent:.1f}% done after {counted(weeks, 'week')},"
                    f" the cohort's median pace gives {x.expected_percent:.1f}%",
                )
        if x.stuck:
            worst = max(x.stuck, key=lambda k: k.weeks)
            more = f" and {len(x.stuck) - 1} more" if len(x.stuck) > 1 else ""
            flag(
                "stuck",
                f"{worst.title} in progress since {worst.since.isoformat()} ({counted(worst.weeks, 'week')}){more}",
            )
    return sum(1 for x in learners if x.flags), bounds


def current_phase(roadmap: Roadmap, learner: LearnerSummary) -> str | None:
    """The first phase, in roadmap order, the learner has not finished."""
    return next((p.id for p in roadmap.phases if not finished(learner.phases.get(p.id, 0.0))), None)


def listed(roadmap: Roadmap, learners: list[LearnerSummary], options: Options) -> list[LearnerSummary]:
    """The learners to list: those matching every --filter, in --sort order."""
    out = list(learners)
    for wanted in options.filters:
        if wanted == "at-risk":
            out = [x for x in out if x.flags]
        elif wanted == "inactive":
            out = [x for x in out if x.inactive]
        elif wanted == "behind":
            out = [x for x in out if any(f.rule == "behind" for f in x.flags)]
        elif wanted == "stuck":
            out = [x for x in out if x.stuck]
        elif wanted.startswith("phase:"):
            out = [x for x in out if current_phase(roadmap, x) == wanted[len("phase:") :]]
    if options.sort == "attention":
        out.sort(key=lambda x: (-len(x.flags), x.percent if x.flags else 0.0))  # stable: by name within
    elif options.sort == "percent":
        out.sort(key=lambda x: x.percent)
    elif options.sort == "last-active":
        out.sort(key=lambda x: x.last_activity or date.min)
    return out
