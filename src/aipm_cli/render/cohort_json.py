"""The cohort report as one JSON document (field names documented in the README)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from aipm_cli.cohort.model import COHORT_FORMAT, COHORT_VERSION
from aipm_cli.view_data import WEEKS_SHOWN, to_data

if TYPE_CHECKING:
    from aipm_cli.cohort.model import CohortSummary, Entry, LearnerSummary


def _range(value: Any) -> list[str] | None:
    return [d.isoformat() for d in value] if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _entries(entries: list[Entry]) -> list[dict[str, Any]]:
    # Built by hand, not with dataclasses.asdict: a cohort holds thousands (asdict deep-copies each).
    return [
        {"item": e.item, "title": e.title, "project": e.project, "project_title": e.project_title,
         "text": e.text, "on": e.on.isoformat(), "link": e.link}
        for e in entries
    ]  # fmt: skip


def learner_data(learner: LearnerSummary) -> dict[str, Any]:
    return {
        "name": learner.name,
        "sources": learner.sources,
        "roadmap_version": learner.roadmap_version,
        "other_version": learner.other_version,
        "two_learners_with_one_name": learner.same_name(),
        "unrelated_sources": learner.unrelated_sources,
        "percent": learner.percent,
        "counts": dict(vars(learner.counts)),
        "last_activity": _day(learner.last_activity),
        "active_last_7_days": learner.active_lately,
        "active_weeks": learner.active_weeks,
        "weeks_shown": WEEKS_SHOWN,
        "inactive": learner.inactive,
        "days_inactive": learner.days_inactive,
        "pace_hours_per_week": learner.pace_hours_per_week,
        "finish": _range(learner.finish),
        "pace_finish": _range(learner.pace_finish),
        "stuck": [
            {"id": x.id, "title": x.title, "since": x.since.isoformat(), "weeks": x.weeks} for x in learner.stuck
        ],
        "skipped": learner.skipped,
        "phases": learner.phases,
        "modules": learner.modules,
        "skills": learner.skills,
        "evidence": _entries(learner.evidence),
        "notes": _entries(learner.notes),
        "orphans": learner.orphans,
        "changes": learner.changes,
        "first_activity": _day(learner.first_activity),
        "at_risk": bool(learner.flags),
        "flags": flags_data(learner),
        "percentile_band": learner.percentile_band,
        "behind_weeks": learner.behind_weeks,
        "expected_percent": learner.expected_percent,
        "minutes_studied": learner.minutes_studied,
        "minutes_studied_this_week": learner.minutes_this_week,
        "plan_hours_per_week": learner.plan_hours_per_week,
        "hours_done": learner.hours_done,
        "behind_basis": learner.behind_basis,
        "hours_expected": learner.hours_expected,
    }


def _phases(s: CohortSummary) -> list[dict[str, Any]]:
    """Each phase with its modules; a module has no modules of its own, so says none."""
    out: list[dict[str, Any]] = to_data(s.phases)
    for phase in out:
        for module in phase["modules"]:
            del module["modules"]
    return out


def _digest(s: CohortSummary) -> dict[str, Any] | None:
    d = s.digest
    if d is None:
        return None
    return {
        "since": d.since.isoformat(),
        "finished": [{"name": name, "items": items} for name, items in d.finished],
        "joined": d.joined,
        "went_quiet": d.went_quiet,
        "active_again": d.active_again,
        "newly_at_risk": [{"name": name, "rules": rules} for name, rules in d.newly_at_risk],
        "no_longer_at_risk": d.no_longer_at_risk,
        "left": d.left,
    }


def flags_data(learner: LearnerSummary) -> list[dict[str, str]]:
    return [{"rule": f.rule, "rule_text": f.rule_text, "seen": f.seen, "reason": f.reason} for f in learner.flags]


def document(s: CohortSummary, learners: bool = True) -> dict[str, Any]:
    g = s.glance
    o = s.options
    return {
        "format": COHORT_FORMAT,
        "cohort_version": COHORT_VERSION,
        "generated_at": s.generated_at.isoformat(),
        "as_of": s.as_of.isoformat(),
        "roadmap": s.roadmap,
        "settings": {
            "stuck_weeks": o.stuck_weeks,
            "inactive_days": o.inactive_days,
            "with_notes": o.with_notes,
            "hours_per_week": o.hours_per_week,
            "rules": {
                "on": list(o.rules.on),
                "under_percent": o.rules.under_percent,
                "idle_days": o.rules.idle_days,
                "behind_weeks": o.rules.behind_weeks,
            },
            "sort": o.sort,
            "filters": list(o.filters),
        },
        "could_not_read": len(s.unreadable),
        "notices": s.notices,
        "since": _digest(s),
        "attention": [{"name": x.name, "percent": x.percent, "flags": flags_data(x)} for x in s.attention],
        "cohort": {
            "learners": g.learners,
            "median_percent": g.median,
            "lowest_percent": g.lowest,
            "highest_percent": g.highest,
            "middle_half": list(g.quartiles) if g.quartiles else None,
            "active_last_7_days": g.active_lately,
            "inactive": g.inactive,
            "stuck": g.stuck,
            "bands": [{"band": band, "learners": n} for band, n in g.bands],
            "at_risk": g.at_risk,
            "percentile_15_85": list(g.percentiles) if g.percentiles else None,
            "shown": len(s.learners),
        },
        "learners": [learner_data(learner) for learner in s.learners] if learners else None,
        "dropoff": to_data(s.dropoff),
        "phases": _phases(s),
        "stuck": [{"id": x.id, "title": x.title, "learners": x.learners} for x in s.stuck],
        "skipped": [{"id": x.id, "title": x.title, "learners": x.learners} for x in s.skipped],
        "skills": to_data(s.skills),
        "other_roadmaps": to_data(s.elsewhere),
        "unreadable": to_data(s.unreadable),
    }


def chunks(s: CohortSummary) -> Iterator[str]:
    """The document in pieces, each learner on one line, made one learner at a time: a cohort of ten
    thousand is written without its whole text (or every learner's data) in memory at once.

    Written with orjson (the same text json.dumps(indent=2) writes, several times faster; each learner's
    line compact)."""
    import os

    import orjson

    def dumps(value: Any, indent: bool = False) -> str:
        try:
            return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else None).decode("utf-8")
        except TypeError:  # a path that is not valid UTF-8 (orjson takes none): json writes it as it is
            return json.dumps(value, indent=2 if indent else None, ensure_ascii=False,
                              separators=None if indent else (",", ":"))  # fmt: skip

    data = document(s, learners=False)
    token = f"@@aipm-cohort-learners-{os.urandom(8).hex()}@@"
    data["learners"] = token
    text = dumps(data, indent=True)
    head, tail = text.split(json.dumps(token), 1)
    if not s.learners:
        yield head + "[]" + tail + "\n"
        return
    yield head + "[\n    "
    for n, learner in enumerate(s.learners):
        line = dumps(learner_data(learner))
        yield (",\n    " if n else "") + line
    yield "\n  ]" + tail + "\n"


def render(s: CohortSummary) -> str:
    """The document, indented; each learner on one line (a cohort of a thousand stays fast and greppable)."""
    return "".join(chunks(s))
