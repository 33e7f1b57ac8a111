"""Progress reports: one summary computed once, rendered per format.

Also the as-of reconstruction (the store as it stood at the end of a day,
rebuilt from the history) and the JSON export/import document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aipm_cli import __version__
from aipm_cli.errors import AipmError
from aipm_cli.models import Roadmap, RoadmapProgress
from aipm_cli.progress import rows, summarize
from aipm_cli.summary import Row, Summary, to_data
from aipm_cli.tracker import reconcile, record

EXPORT_FORMAT = "aipm-export"
EXPORT_VERSION = 1
FORMATS = ("md", "html", "json", "csv")
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}


def progress_as_of(progress: RoadmapProgress, roadmap: Roadmap, day: date) -> RoadmapProgress:
    """The progress as it stood at the end of `day`.

    Replays the history: each change that was not undone, in the order of
    the date it was recorded for (`--on`, else when it was made), applying
    the states it left. Backdated changes therefore count from their date.
    """
    replay = sorted(
        (h for h in progress.history if not h.undone and h.action not in ("undo", "import")),
        key=lambda h: (h.effective_date, h.seq),
    )
    items: dict[str, Any] = {}
    for entry in replay:
        if entry.effective_date > day:
            break
        for key, state in entry.after.items():
            if state is None:
                items.pop(key, None)
            else:
                items[key] = state.model_copy(deep=True)
    result = RoadmapProgress(
        roadmap_version=progress.roadmap_version,
        items=items,
        skills={
            skill: kept
            for skill, ratings in progress.skills.items()
            if (kept := [r.model_copy() for r in ratings if r.on <= day])
        },
        history=[h.model_copy(deep=True) for h in progress.history if h.effective_date <= day],
    )
    reconcile(roadmap, result)
    return result


@dataclass
class SkillLine:
    id: str
    title: str
    rating: int | None
    first: int | None
    rated_on: date | None
    items_done: int
    items_total: int


@dataclass
class Report:
    """Everything a report shows, computed once."""

    roadmap: Roadmap
    progress: RoadmapProgress
    summary: Summary
    user: str
    as_of: date
    generated_at: datetime
    rows: list[Row]
    skills: list[SkillLine] = field(default_factory=list)

    @property
    def completed(self) -> list[Row]:
        done = [r for r in self.rows if r.status == "done"]
        return sorted(done, key=lambda r: (r.completed_on or date.min, r.id))

    @property
    def projects(self) -> list[Row]:
        return [r for r in self.rows if r.deliverables]

    def evidence(self, item_id: str) -> list[str]:
        return [e.text for e in record(self.progress, item_id).evidence]

    def notes(self, item_id: str) -> list[str]:
        return [n.text for n in record(self.progress, item_id).notes]

    def weekly_activity(self, weeks: int = 26) -> list[tuple[date, int]]:
        from aipm_cli.progress import activity_weeks

        return [(w["week_of"], w["changes"]) for w in activity_weeks(self.progress, self.as_of, weeks)]


def skill_lines(roadmap: Roadmap, progress: RoadmapProgress) -> list[SkillLine]:
    from aipm_cli.tracker import status_of

    index = roadmap.index
    out = []
    for skill in roadmap.skills:
        builders = [p.item.id for p in index.items.values() if skill.id in p.item.skills]
        done = sum(1 for i in builders if status_of(index, progress, i) == "done")
        ratings = progress.skills.get(skill.id, [])
        out.append(
            SkillLine(
                id=skill.id,
                title=skill.title,
                rating=ratings[-1].level if ratings else None,
                first=ratings[0].level if ratings else None,
                rated_on=ratings[-1].on if ratings else None,
                items_done=done,
                items_total=len(builders),
            )
        )
    return out


def build(
    roadmap: Roadmap,
    progress: RoadmapProgress,
    user: str,
    today: date,
    now: datetime,
    hours_per_week: float,
    as_of: date | None = None,
) -> Report:
    day = as_of or today
    state = progress_as_of(progress, roadmap, day) if as_of is not None and as_of < today else progress
    summary = summarize(roadmap, state, user, day, hours_per_week)
    return Report(
        roadmap=roadmap,
        progress=state,
        summary=summary,
        user=user,
        as_of=day,
        generated_at=now,
        rows=rows(roadmap, state),
        skills=skill_lines(roadmap, state),
    )


# --------------------------------------------------------------------------- #
# The JSON export document, and reading it back
# --------------------------------------------------------------------------- #


def export_text(report: Report) -> str:
    """The export document as JSON text; the history is written one entry per line."""
    import os

    from aipm_cli.history import dumps_with_blocks, lines_of

    token = f"@@aipm-export-history-{os.urandom(8).hex()}@@"
    document = export_document(report, history=token)
    return dumps_with_blocks(document, {token: lines_of(report.progress.history)}, sort_keys=False).decode() + "\n"


def export_document(report: Report, *, history: Any) -> dict[str, Any]:
    """The export document; `history` stands in for the history entries (see export_text)."""
    summary = to_data(report.summary)
    summary["active_weeks"] = report.summary.active_weeks
    return {
        "format": EXPORT_FORMAT,
        "export_version": EXPORT_VERSION,
        "aipm_version": __version__,
        "exported_at": report.generated_at.isoformat(),
        "as_of": report.as_of.isoformat(),
        "user": report.user,
        "roadmap": {"id": report.roadmap.id, "title": report.roadmap.title, "version": report.roadmap.version},
        "progress": {
            "items": {},
            "skills": {},
            **report.progress.model_dump(mode="json", exclude_defaults=True, exclude={"history"}),
            "history": history,
        },
        "summary": summary,
        "skills": to_data(report.skills),
    }


@dataclass
class Imported:
    roadmap_id: str
    user: str
    progress: RoadmapProgress


def read_export(raw: bytes, source: str) -> Imported:
    """Parse an aipm JSON export; refuse anything else with a clear error."""
    import json

    from pydantic import ValidationError

    not_export = AipmError(f"{source} is not an aipm export.", "Import a file written by `aipm export --format json`.")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise not_export from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise not_export
    version = data.get("export_version")
    if not isinstance(version, int) or version < 1:
        raise not_export
    if version > EXPORT_VERSION:
        raise AipmError(
            f"{source} was written by a newer aipm (export version {version}; this aipm reads {EXPORT_VERSION}).",
            "Upgrade aipm to import it.",
        )
    roadmap = data.get("roadmap")
    if not isinstance(roadmap, dict) or not isinstance(roadmap.get("id"), str):
        raise not_export
    try:
        progress = RoadmapProgress.model_validate(data.get("progress", {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AipmError(f"{source} has damaged progress data at progress.{where}: {first['msg']}.") from None
    return Imported(roadmap_id=roadmap["id"], user=str(data.get("user", "")), progress=progress)


def merge(into: RoadmapProgress, incoming: RoadmapProgress) -> tuple[int, int]:
    """Add what the store does not have yet: items it has no record of, history
    entries it has not seen (by time, action and items), skill ratings.
    Returns (items added, history entries added)."""
    added_items = 0
    for key, state in incoming.items.items():
        if key not in into.items:
            into.items[key] = state.model_copy(deep=True)
            added_items += 1
    seen = {(h.at, h.action, tuple(h.items)): h.seq for h in into.history}
    renumbered: dict[int, int] = {}
    added_history = 0
    for entry in sorted(incoming.history, key=lambda h: (h.at, h.seq)):
        identity = (entry.at, entry.action, tuple(entry.items))
        if identity in seen:
            renumbered[entry.seq] = seen[identity]
            continue
        copy = entry.model_copy(deep=True)
        copy.seq = into.next_seq()
        renumbered[entry.seq] = copy.seq
        if copy.undoes is not None:
            copy.undoes = renumbered.get(copy.undoes)
        into.history.append(copy)
        added_history += 1
    for skill, ratings in incoming.skills.items():
        mine = into.skills.setdefault(skill, [])
        for rating in ratings:
            if rating not in mine:
                mine.append(rating.model_copy())
        mine.sort(key=lambda r: r.on)
    return added_items, added_history
