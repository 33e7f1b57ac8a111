"""Progress reports: one summary computed once, rendered per format.

Also the JSON export document (the learner's changes, plus the derived
summary for readers) and reading it back for `aipm import`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aipm_cli import __version__
from aipm_cli.errors import AipmError
from aipm_cli.progress import rows, summarize
from aipm_cli.record.state import ItemState, Note, Rating, State, state_data
from aipm_cli.roadmap.plain import Roadmap
from aipm_cli.unit_status import record
from aipm_cli.view_data import Row, Summary, to_data

if TYPE_CHECKING:
    from aipm_cli.learner import Learner

EXPORT_FORMAT = "aipm-export"
EXPORT_VERSION = 2
MAX_EXPORT_BYTES = 1 << 30
MAX_ACTIVITY_WEEKS = 26


@dataclass
class SkillLine:
    id: str
    title: str
    rating: int | None
    first: int | None
    rated_on: date | None
    items_done: int
    items_total: int
    note: str | None = None  # the latest rating's note


@dataclass
class Person:
    """Who the report is about: the `name`, `headline` and `links` settings (the learner id when unset)."""

    name: str
    headline: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class GroupNotes:
    """Notes and evidence kept on a module or a phase (a module-wide note is one note on the module)."""

    id: str
    kind: str  # "module" or "phase"
    title: str
    phase: str
    notes: list[Note]
    evidence: list[Note]


@dataclass
class Report:
    """Everything a report shows, computed once."""

    roadmap: Roadmap
    progress: State
    summary: Summary
    user: str
    as_of: date
    generated_at: datetime
    rows: list[Row]
    skills: list[SkillLine] = field(default_factory=list)
    changes: Iterable[dict[str, Any]] = ()  # the changes behind it, for the JSON export
    person: Person | None = None
    full: bool = False  # the whole roadmap table too (Markdown; HTML print)
    heatmap: list[dict[str, Any]] = field(default_factory=list)  # days with time or changes (HTML; study.heatmap)
    # The state every figure is counted from (activity per week, the first activity), when `progress`
    # leaves something out that still happened (`export --no-notes`: notes are not shown, but counted).
    counted: State | None = None
    plan_hours: float | None = None  # the weekly hours the learner set (their plan), shared in the JSON export
    notes_left_out: bool = False  # `--no-notes`: a report to share, not a backup (its JSON holds no changes)

    @property
    def who(self) -> Person:
        return self.person or Person(self.user)

    @property
    def completed(self) -> list[Row]:
        done = [r for r in self.rows if r.status == "done"]
        return sorted(done, key=lambda r: (r.completed_on or date.min, r.id))

    @property
    def projects(self) -> list[Row]:
        return [r for r in self.rows if r.deliverables]

    @property
    def started(self) -> list[Row]:
        """In progress, oldest start first."""
        doing = [r for r in self.rows if r.status == "in_progress"]
        return sorted(doing, key=lambda r: (r.started_on or date.min, r.id))

    @property
    def skipped(self) -> list[Row]:
        gone = [r for r in self.rows if r.status == "skipped"]
        return sorted(gone, key=lambda r: (r.skipped_on or date.min, r.id))

    def record(self, unit_id: str) -> ItemState:
        """The record of an item, a deliverable, a module or a phase."""
        return record(self.progress, unit_id)

    def evidence(self, item_id: str) -> list[str]:
        return [e.text for e in record(self.progress, item_id).evidence]

    def notes(self, item_id: str) -> list[str]:
        return [n.text for n in record(self.progress, item_id).notes]

    def evidence_entries(self, unit_id: str) -> list[Note]:
        """Evidence with the date each is for."""
        return list(record(self.progress, unit_id).evidence)

    def note_entries(self, unit_id: str) -> list[Note]:
        return list(record(self.progress, unit_id).notes)

    @property
    def noted_not_started(self) -> list[Row]:
        """Items not started that carry notes or evidence (a note taken before starting is on record too)."""
        out = []
        for r in self.rows:
            if r.status == "not_started" and not r.deliverables:
                rec = self.progress.items.get(r.id)
                if rec is not None and (rec.notes or rec.evidence):
                    out.append(r)
        return out

    @property
    def group_notes(self) -> list[GroupNotes]:
        """Modules and phases that carry notes or evidence, in roadmap order."""
        out = []
        for phase in self.roadmap.phases:
            groups = [("phase", phase.id, phase.title)] + [("module", m.id, m.title) for m in phase.modules]
            for kind, group_id, title in groups:
                rec = self.progress.items.get(group_id)
                if rec is not None and (rec.notes or rec.evidence):
                    out.append(GroupNotes(group_id, kind, title, phase.id, rec.notes, rec.evidence))
        return out

    @property
    def orphans(self) -> list[tuple[str, ItemState]]:
        """Records kept for ids this roadmap no longer has (progress is never dropped)."""
        from aipm_cli.unit_status import orphans

        return [(i, self.progress.record(i)) for i in orphans(self.roadmap.index, self.progress)]

    def first_activity(self) -> date | None:
        days: list[date] = []
        for rec in (self.counted or self.progress).items.values():
            days += [d for d in (rec.started_on, rec.completed_on, rec.skipped_on) if d]
            days += [n.on for n in rec.notes] + [n.on for n in rec.evidence]
        for ratings in (self.counted or self.progress).skills.values():
            days += [r.on for r in ratings]
        days = [d for d in days if d <= self.as_of]
        return min(days) if days else None

    def weekly_activity(self, weeks: int | None = None) -> list[tuple[date, int]]:
        """Events per week (Monday first) from the week of the learner's first activity,
        at most MAX_ACTIVITY_WEEKS weeks; empty before any activity."""
        from aipm_cli.progress import activity_weeks

        if weeks is None:
            first = self.first_activity()
            if first is None:
                return []
            span = (self.as_of - (first - timedelta(days=first.weekday()))).days // 7 + 1
            weeks = min(MAX_ACTIVITY_WEEKS, span)
        return [(w["week_of"], w["changes"]) for w in activity_weeks(self.counted or self.progress, self.as_of, weeks)]


def person_of(config: Any, user: str) -> Person:
    """The person a report is about, from the settings (a `config.Config`)."""
    from aipm_cli.config import parse_links

    links = config.get("links")
    return Person(config.get("name") or user, config.get("headline"), parse_links(links) if links else [])


def skill_lines(roadmap: Roadmap, progress: State) -> list[SkillLine]:
    from aipm_cli.unit_status import status_of

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
                note=ratings[-1].note if ratings else None,
            )
        )
    return out


def build(
    roadmap: Roadmap,
    state: State,
    user: str,
    day: date,
    now: datetime,
    hours_per_week: float,
    changes: Iterable[dict[str, Any]] = (),
    *,
    person: Person | None = None,
    full: bool = False,
    counted: State | None = None,
    plan_hours: float | None = None,
) -> Report:
    """The report of `state` (the current state, or the state as of `day`); its figures are counted from
    `counted` when given (the whole state, when `state` leaves the notes out)."""
    from aipm_cli.study import time_block

    summary = summarize(roadmap, counted or state, user, day, hours_per_week)
    if state.study.minutes or state.study.reviews:
        summary.study = time_block(roadmap, state.study)
    return Report(
        roadmap=roadmap,
        progress=state,
        summary=summary,
        user=user,
        as_of=day,
        generated_at=now,
        rows=rows(roadmap, state),
        skills=skill_lines(roadmap, state),
        changes=changes,
        person=person,
        full=full,
        counted=counted,
        plan_hours=plan_hours,
    )


def learner_report(
    learner: Learner, fmt: str, day: date | None = None, *, notes: bool | None = None, full: bool = False
) -> Report:
    """The use case behind `aipm export`: the learner's report (as of a day), with or without notes.

    `notes` None: the learner's `report_notes` setting decides. The JSON report carries the changes
    (up to the day) only with notes: the log holds notes in many places (note changes, an undo's words),
    so a report without them is a report, not a backup (`aipm import` adds nothing from it).
    """
    if notes is None:
        notes = bool(learner.config.get("report_notes"))
    ledger = learner.ledger
    state = ledger.as_of(day) if day is not None else learner.read_state(every_note=True)
    changes = ledger.changes(until=day) if fmt == "json" and notes else ()
    counted = state  # every figure counts what happened, notes included: without notes they are only unsaid
    if not notes:
        state = without_notes(state)
    until = day or learner.today()
    report = build(
        learner.roadmap, state, learner.user, until, learner.now(), learner.hours_per_week(), changes,
        person=person_of(learner.config, learner.user), full=full, counted=counted,
        plan_hours=learner.hours_per_week() if learner.config.is_set("hours_per_week") else None,
    )  # fmt: skip
    report.notes_left_out = not notes
    if fmt == "html" and (state.study.minutes or ledger.load().activity):
        from aipm_cli.study import heatmap

        limit = until.isoformat()
        activity = {d: n for d, n in ledger.load().activity.items() if d <= limit}
        report.heatmap = heatmap(learner, state.study, until, activity)
    return report


def without_notes(state: State) -> State:
    """The state with every note left out (items, modules, phases, skill ratings): for a report
    that is shared (`export --no-notes`). Evidence, dates and statuses stay."""
    import copy

    items: dict[str, ItemState] = {}
    for key, rec in state.items.items():
        if rec.notes or rec.earlier_notes:
            rec = copy.copy(rec)
            rec.notes = []
            rec.earlier_notes = 0
            if rec.is_blank():
                continue
        items[key] = rec
    skills = {
        skill: [Rating(r.level, r.on, None, r.at, r.id) for r in ratings] for skill, ratings in state.skills.items()
    }
    return State(items=items, skills=skills, roadmap_version=state.roadmap_version, study=state.study)


# --------------------------------------------------------------------------- #
# The JSON export document, and reading it back
# --------------------------------------------------------------------------- #


def export_text(report: Report) -> str:
    """The export document as JSON text; the changes are written one per line."""
    return "".join(export_chunks(report))


def export_chunks(report: Report) -> Iterator[str]:
    """export_text's text in pieces, the changes a batch at a time: memory stays flat at any size."""
    import json
    import os

    from aipm_cli.record.changes import line

    token = f"@@aipm-export-changes-{os.urandom(8).hex()}@@"
    document = export_document(report, changes=token)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    head, _token, tail = text.partition(json.dumps(token))
    yield head
    batch: list[str] = []
    first = True
    for change in report.changes:
        batch.append(line(change).decode("utf-8").rstrip("\n"))
        if len(batch) >= 2000:
            yield ("[\n    " if first else ",\n    ") + ",\n    ".join(batch)
            batch, first = [], False
    if batch:
        yield ("[\n    " if first else ",\n    ") + ",\n    ".join(batch)
        first = False
    yield ("[]" if first else "\n  ]") + tail + "\n"


def export_document(report: Report, *, changes: Any) -> dict[str, Any]:
    """The export document; `changes` stands in for the change list (see export_text)."""
    summary = to_data(report.summary)
    summary["active_weeks"] = report.summary.active_weeks
    return {
        "format": EXPORT_FORMAT,
        "export_version": EXPORT_VERSION,
        "aipm_version": __version__,
        "exported_at": report.generated_at.astimezone(UTC).isoformat(),  # an instant (a cohort sorts by it)
        "as_of": report.as_of.isoformat(),
        "user": report.user,
        "person": {
            "name": report.who.name,
            "headline": report.who.headline,
            "links": [{"label": label, "url": url} for label, url in report.who.links],
        },
        "roadmap": {"id": report.roadmap.id, "title": report.roadmap.title, "version": report.roadmap.version},
        # The learner's own plan, when they set their weekly hours (a cohort report measures them against it)
        **({"plan": {"hours_per_week": report.plan_hours}} if report.plan_hours is not None else {}),
        "summary": summary,
        "skills": to_data(report.skills),
        "state": state_data(report.progress),
        # A report made with --no-notes leaves the changes out (notes live in many of them): it says so,
        # so that `aipm import` and a cohort report never take it for a learner with no progress.
        **({"notes_left_out": True} if report.notes_left_out else {}),
        "changes": changes,
    }


@dataclass
class Imported:
    roadmap_id: str
    user: str
    changes: Iterable[dict[str, Any]]  # checked as they are read: a bad one raises before anything is imported


def header_fault(data: Any) -> str | None:
    """What keeps decoded JSON from being read as an export (None: it is one), the one rule for an export's
    head (import and the cohort word it each their way): 'not_export', 'no_version', 'newer', 'no_roadmap'
    or 'notes_left_out' (a report made with --no-notes: it holds no changes)."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        return "not_export"
    version = data.get("export_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return "no_version"
    if version > EXPORT_VERSION:
        return "newer"
    roadmap = data.get("roadmap")
    if not isinstance(roadmap, dict) or not isinstance(roadmap.get("id"), str):
        return "no_roadmap"
    if data.get("notes_left_out") is True:
        return "notes_left_out"
    return None


def read_export(raw: bytes, source: str) -> Imported:
    """Parse an aipm JSON export (version 1 or 2); refuse anything else with a clear error."""
    import json

    from aipm_cli.record.changes import BadChange, check, unique_keys

    not_export = AipmError(f"{source} is not an aipm export.", "Import a file written by `aipm export --format json`.")
    # An export aipm wrote holds its changes one per line at the end: read the rest alone and the
    # changes a batch at a time, so a million changes never sit in memory as one document.
    streamed: Iterator[dict[str, Any]] | None = None
    block = raw.find(_CHANGES_OPEN)
    close = raw.rfind(_CHANGES_CLOSE)
    first = block + len(_CHANGES_OPEN)
    stop = raw.find(b"\n", first)
    first_line = raw[first:stop].strip().rstrip(b",")  # a whole change, as aipm writes one (not re-indented)
    if (
        block >= 0
        and close > block
        and not raw[close + len(_CHANGES_CLOSE) :].strip(b"}\n\r\t ")
        and first_line.startswith(b"{")
        and first_line.endswith(b"}")
    ):
        streamed = _change_lines(raw, first, close, source)
        raw = raw[: block + len(_CHANGES_OPEN) - 2] + b"[]" + raw[close + len(_CHANGES_CLOSE) :]
    try:
        data = json.loads(raw, object_pairs_hook=unique_keys)  # a key twice is refused, as in a log line
    except RecursionError:
        raise AipmError(f"Cannot read {source}: it is nested too deeply.") from None
    except BadChange as exc:
        raise AipmError(f"Cannot read {source}: {exc}. Nothing was imported.") from None
    except (UnicodeDecodeError, ValueError):
        raise not_export from None
    fault = header_fault(data)
    if fault == "newer":
        raise AipmError(
            f"{source} was written by a newer aipm (export version {data['export_version']}; "
            f"this aipm reads {EXPORT_VERSION}).",
            "Upgrade aipm to import it.",
        )
    if fault == "notes_left_out":
        raise AipmError(
            f"{source} is a report made with --no-notes: it leaves the changes out, so there is nothing "
            "to import. Nothing was imported.",
            "To move progress, export it again without --no-notes (`aipm export --format json -o FILE`).",
        )
    if fault is not None:
        raise not_export
    version, roadmap = data["export_version"], data["roadmap"]
    user = str(data.get("user", ""))
    if version == 1:
        return Imported(roadmap["id"], user, _v1_changes(data, roadmap["id"], user, source))
    found = data.get("changes")
    if not isinstance(found, list):
        raise AipmError(f"{source} has no list of changes.", "Export it again with `aipm export --format json`.")
    if streamed is not None:
        return Imported(roadmap["id"], user, streamed)

    def checked() -> Iterator[dict[str, Any]]:
        for number, change in enumerate(found, start=1):
            try:
                yield check(change)
            except BadChange as exc:
                raise AipmError(f"{source}: change {number} cannot be read: {exc}. Nothing was imported.") from None

    return Imported(roadmap["id"], user, checked())


_CHANGES_OPEN = b'\n  "changes": [\n'
_CHANGES_CLOSE = b"\n  ]"


def _change_lines(raw: bytes, start: int, end: int, source: str) -> Iterator[dict[str, Any]]:
    """The changes written one per line between `start` and `end`, each through the record's gate."""
    from aipm_cli.record.changes import BadChange, gate

    loads: Any
    if end - start > (1 << 20):  # orjson reads a big export's lines faster; the gate's verdict stays json's
        import orjson

        loads = orjson.loads
    else:
        import json

        loads = json.loads
    number = 0
    position = start
    while position < end:
        stop = raw.find(b"\n", position, end)
        stop = end if stop < 0 else stop
        line = raw[position:stop].strip().rstrip(b",")
        position = stop + 1
        number += 1
        try:
            yield gate(line, loads)
        except BadChange as exc:
            raise AipmError(f"{source}: change {number} cannot be read: {exc}. Nothing was imported.") from None


def _v1_changes(data: dict[str, Any], roadmap_id: str, user: str, source: str) -> list[dict[str, Any]]:
    """An export of the released version: its progress, migrated like a schema-1 store."""
    from pydantic import ValidationError

    from aipm_cli.record.migrate import changes_for
    from aipm_cli.roadmap.models import RoadmapProgress

    try:
        progress = RoadmapProgress.model_validate(data.get("progress", {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AipmError(f"{source} has damaged progress data at progress.{where}: {first['msg']}.") from None
    return changes_for(user or "learner", roadmap_id, progress, None)
