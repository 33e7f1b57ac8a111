"""The cohort report as CSV: one row per learner, or (`--by item`) one per learner and item.

RFC 4180, UTF-8, a header row. A cell that a spreadsheet would read as a
formula (starting with = + - @, a tab or a carriage return) gets a leading
apostrophe, so a learner's name or note can never run in the reader's
spreadsheet.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from aipm_cli.render.csv_export import cell as safe_cell
from aipm_cli.view_data import WEEKS_SHOWN

if TYPE_CHECKING:
    from aipm_cli.cohort.model import CohortSummary

LEARNER_COLUMNS = [
    "learner",
    "percent",
    "done",
    "in_progress",
    "skipped",
    "not_started",
    "total",
    "last_activity",
    "active_last_7_days",
    "active_weeks",
    "inactive",
    "days_inactive",
    "pace_hours_per_week",
    "finish_from",
    "finish_to",
    "pace_finish_from",
    "pace_finish_to",
    "stuck",
    "roadmap_version",
    "other_version",
    "sources",
    "two_learners_with_one_name",
    "at_risk",
    "at_risk_rules",
    "at_risk_reasons",
    "percentile_band",
    "behind_weeks",
    "minutes_studied",
    "minutes_studied_this_week",
    "behind_basis",
    "plan_hours_per_week",
]
ITEM_COLUMNS = [
    "learner",
    "item",
    "title",
    "kind",
    "phase",
    "module",
    "project",
    "status",
    "started",
    "completed",
    "skipped",
    "stuck",
    "evidence",
    "notes",
]


def cell(value: object) -> str:
    """A value as a CSV cell that no spreadsheet will evaluate."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = str(value)
    else:
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return safe_cell(text)


def render(s: CohortSummary, by: str = "learner") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if by == "item":
        writer.writerow(ITEM_COLUMNS)
        for values in item_rows(s):
            writer.writerow([cell(v) for v in values])
        return out.getvalue()
    writer.writerow(LEARNER_COLUMNS)
    for learner in s.learners:
        c = learner.counts
        finish = learner.finish or (None, None)
        pace = learner.pace_finish or (None, None)
        row: list[object] = [
            learner.name,
            learner.percent,
            c.done,
            c.in_progress,
            c.skipped,
            c.not_started,
            c.total,
            learner.last_activity,
            learner.active_lately,
            f"{learner.active_weeks}/{WEEKS_SHOWN}",
            learner.inactive,
            learner.days_inactive,
            learner.pace_hours_per_week,
            finish[0],
            finish[1],
            pace[0],
            pace[1],
            " ".join(x.id for x in learner.stuck),
            learner.roadmap_version,
            learner.other_version,
            " ".join(learner.sources),
            " / ".join(" ".join(group) for group in learner.unrelated_sources),
            bool(learner.flags),
            " ".join(f.rule for f in learner.flags),
            "; ".join(f.reason for f in learner.flags),
            learner.percentile_band,
            learner.behind_weeks,
            learner.minutes_studied,
            learner.minutes_this_week,
            learner.behind_basis,
            learner.plan_hours_per_week,
        ]
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def item_rows(s: CohortSummary) -> list[list[object]]:
    """One row per learner and roadmap item (and project deliverable), from the summary alone."""
    rows: list[list[object]] = []
    for learner in s.learners:
        stuck = {x.id for x in learner.stuck}
        evidence: dict[str, list[str]] = {}
        for e in learner.evidence:
            evidence.setdefault(e.item, []).append(e.text)
        notes: dict[str, list[str]] = {}
        for n in learner.notes:
            notes.setdefault(n.item, []).append(n.text)
        for item in learner.items:
            rows.append(
                [learner.name, item.id, item.title, item.kind, item.phase, item.module, item.project, item.status,
                 item.started_on, item.completed_on, item.skipped_on, item.id in stuck,
                 "\n".join(evidence.get(item.id, [])), "\n".join(notes.get(item.id, []))]
            )  # fmt: skip
    return rows
