"""One learner: their fold from every source they appear in, and their figures from it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from aipm_cli.cohort.discovery import Part, Skip, read_file, reason
from aipm_cli.cohort.model import (
    ACTIVE_DAYS,
    MAX_DAMAGE_SHOWN,
    STATUS_CODES,
    Entry,
    ItemRow,
    LearnerSummary,
    Options,
    Stuck,
    Unreadable,
)
from aipm_cli.record import logs
from aipm_cli.view_data import Counts
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from aipm_cli.cohort.index import Kept
    from aipm_cli.record.fold import Source
    from aipm_cli.record.state import State
    from aipm_cli.roadmap.plain import Roadmap


def _unrelated(parts: list[Part], sources: list[Source], owners: list[str]) -> list[list[str]]:
    """The groups of one name's sources (as shown) linked by changes in common; [] when there is one group.

    Two sources claim the same learner with some right when they hold one change in common (an
    export of a learner who also syncs to the shared repository); sources that share none with the
    others may be two people who chose one name, and are flagged rather than silently joined.
    """
    labels = list(dict.fromkeys(p.source for p in parts))
    if len(labels) < 2:
        return []
    ids: dict[str, set[str]] = {label: set() for label in labels}
    for source, owner in zip(sources, owners, strict=True):
        for change, _offset in source.read(logs.Problems()):
            ids[owner].add(change["id"])
    groups: list[tuple[list[str], set[str]]] = []
    for label in labels:
        if not ids[label]:
            continue  # nothing read from it: nothing to say it is someone else
        mine, seen = [label], set(ids[label])
        for group in [g for g in groups if not g[1].isdisjoint(seen)]:
            groups.remove(group)
            mine = group[0] + mine
            seen |= group[1]
        groups.append((mine, seen))
    if len(groups) < 2:
        return []
    order = {label: n for n, label in enumerate(labels)}
    return sorted((sorted(g[0], key=order.__getitem__) for g in groups), key=lambda g: order[g[0]])


def _sources(
    parts: list[Part], bad: list[Unreadable], problems: logs.Problems, owners: list[str] | None = None
) -> list[Source]:
    """Every source of one learner's changes; lines that cannot be read go to `problems`.

    `owners`, when given, gets the part's source (as shown) of each Source returned, in order.
    """
    from aipm_cli.errors import AipmError
    from aipm_cli.record.fold import Source
    from aipm_cli.record.migrate import changes_for, read_legacy
    from aipm_cli.report import read_export

    logs.fast_reading()
    out: list[Source] = []
    for part in parts:
        if part.export is not None:
            try:
                imported = read_export(read_file(part.export), str(part.export))
                changes = list(imported.changes)  # every change is checked here, where a bad one is caught
            except (Skip, OSError, AipmError) as exc:
                bad.append(Unreadable(str(part.export), reason(exc)))
                continue
            out.append(Source(changes=changes, name=str(part.export)))
        if owners is not None:
            owners += [part.source] * (len(out) - len(owners))
        if any(".import-" in p.name for p in part.files):
            # An undone import cancels the changes of its file, found by name: fold the files themselves.
            out.extend(Source(path=p, name=p.name) for p in part.files)
        else:
            # Read into memory: the fold then keeps no per-line references (a third of its time).
            for path in part.files:
                out.append(Source(changes=[c for c, _offset in logs.changes(path, problems)], name=path.name))
        if part.legacy is not None:
            doc = read_legacy(part.legacy)  # read once already: damage was named by discover()
            if doc is not None and part.roadmap in doc.roadmaps:
                legacy = changes_for(part.name, part.roadmap, doc.roadmaps[part.roadmap], doc.created)
                out.append(Source(changes=legacy, name=str(part.legacy)))
        if owners is not None:
            owners += [part.source] * (len(out) - len(owners))
    return out


def _entries(roadmap: Roadmap, state: State, kind: str) -> list[Entry]:
    from aipm_cli.render.links import http_url

    index = roadmap.index
    out: list[Entry] = []
    for key, rec in state.items.items():
        for note in getattr(rec, kind):
            project_title = None
            if key in index.items:
                item = index.items[key].item
                title, project = item.title, (key if item.deliverables or item.kind == "project" else None)
                project_title = title if project else None
            elif key in index.deliverables:
                deliverable, parent = index.deliverables[key]
                title, project, project_title = deliverable.title, parent.id, parent.title
            elif key in index.modules:
                title, project = index.modules[key][0].title, None
            elif key in index.phases:
                title, project = index.phases[key].title, None
            else:
                title, project = key, None
            link = http_url(note.text) if kind == "evidence" else None
            out.append(Entry(key, title, project, note.text, note.on, link, project_title))
    order = {k: n for n, k in enumerate(index.all_ids())}
    out.sort(key=lambda e: (order.get(e.item, len(order)), e.item, e.on))
    return out


def fold_learner(
    roadmap: Roadmap, name: str, parts: list[Part], options: Options, bad: list[Unreadable]
) -> Kept | None:
    """One learner's fold from every source they appear in (None: nothing could be read)."""
    from aipm_cli.cohort.index import Kept
    from aipm_cli.errors import AipmError
    from aipm_cli.record.fold import fold

    day = options.day
    problems = logs.Problems()
    try:
        owners: list[str] = []
        sources = _sources(parts, bad, problems, owners)
        if not sources:
            return None
        unrelated = _unrelated(parts, sources, owners)
        # Always as of a day (today by default): a change dated later is not counted, and the
        # fold keeps no undo stack (which only writes need).
        folded = fold(sources, roadmap.index.aliases, as_of=day)
    except (OSError, AipmError) as exc:  # a file that changed or vanished since it was found
        bad.append(Unreadable(f"{name} in {', '.join(dict.fromkeys(p.source for p in parts))}", reason(exc)))
        return None
    damage = problems.damage + folded.problems.damage
    named: list[Unreadable] = []
    for problem in damage[:MAX_DAMAGE_SHOWN]:
        named.append(Unreadable(f"{problem.file}, line {problem.line}", f"{problem.reason} (the line was skipped)"))
    if len(damage) > MAX_DAMAGE_SHOWN:
        more = counted(len(damage) - MAX_DAMAGE_SHOWN, "more line")
        named.append(Unreadable(f"{name}'s change logs", f"{more} cannot be read"))
    latest: str | None = ""
    for source in sources:
        if source.changes is None:
            latest = None  # read from its file by the fold: not known here
            break
        for change in source.changes:
            if change["on"] > latest:
                latest = change["on"]
    return Kept(folded.state, folded.activity, folded.changes, named, unrelated, day, latest)


def summary_of(roadmap: Roadmap, name: str, parts: list[Part], options: Options, folded: Kept) -> LearnerSummary:
    """One learner's figures from their fold."""
    from aipm_cli.progress import activity_weeks, counts_for, forecast
    from aipm_cli.unit_status import orphans, status_of

    day = options.day
    unrelated = folded.unrelated
    state = folded.state
    index = roadmap.index

    phases: dict[str, float] = {}
    modules: dict[str, float] = {}
    exact: dict[str, float] = {}
    total = Counts()
    for phase in roadmap.phases:
        phase_counts = Counts()
        for module in phase.modules:
            c = counts_for(roadmap, state, list(module.items))
            modules[module.id] = c.percent
            exact[module.id] = c.exact_percent
            for key in ("total", "done", "in_progress", "skipped", "not_started"):
                setattr(phase_counts, key, getattr(phase_counts, key) + getattr(c, key))
        phases[phase.id] = phase_counts.percent
        exact[phase.id] = phase_counts.exact_percent
        for key in ("total", "done", "in_progress", "skipped", "not_started"):
            setattr(total, key, getattr(total, key) + getattr(phase_counts, key))

    dated = [d for d in folded.activity if d <= day.isoformat()]
    last = date.fromisoformat(max(dated)) if dated else None
    first = date.fromisoformat(min(dated)) if dated else None
    days_inactive = (day - last).days if last else None
    stuck: list[Stuck] = []
    skipped: list[str] = []
    limit = day - timedelta(weeks=options.stuck_weeks)
    codes: list[str] = []
    for item_id, placed in index.items.items():
        status = status_of(index, state, item_id)
        codes.append(STATUS_CODES[status])
        if status == "skipped":
            skipped.append(item_id)
        if status != "in_progress":
            continue
        starts = [state.record(u).started_on for u in (item_id, *(d.id for d in placed.item.deliverables))]
        known = [s for s in starts if s is not None]
        if known and min(known) < limit:
            since = min(known)
            stuck.append(Stuck(item_id, placed.item.title, since, (day - since).days // 7))
    plan = forecast(roadmap, state, day, options.hours_per_week)
    weeks = activity_weeks(state, day)
    newest = sorted(parts, key=lambda p: p.stamp, reverse=True)  # the newest export first
    versions = sorted((p for p in parts if p.version), key=lambda p: p.stamp)
    version = versions[-1].version if versions else None
    return LearnerSummary(
        name=name,
        sources=list(dict.fromkeys(p.source for p in parts)),
        roadmap_version=version,
        other_version=any(p.version not in (None, roadmap.version) for p in parts),
        percent=total.percent,
        counts=total,
        last_activity=last,
        active_lately=days_inactive is not None and days_inactive < ACTIVE_DAYS,
        active_weeks=sum(1 for w in weeks if w["active"]),
        inactive=days_inactive is None or days_inactive > options.inactive_days,
        days_inactive=days_inactive,
        pace_hours_per_week=plan.pace_hours_per_week,
        finish=plan.finish,
        pace_finish=plan.pace_finish,
        stuck=stuck,
        skipped=skipped,
        phases=phases,
        modules=modules,
        exact=exact,
        skills={skill: ratings[-1].level for skill, ratings in sorted(state.skills.items()) if ratings},
        evidence=_entries(roadmap, state, "evidence"),
        notes=_entries(roadmap, state, "notes") if options.with_notes else [],
        orphans=orphans(index, state),
        changes=folded.changes,
        items=_item_rows(roadmap, state) if options.items else [],
        unrelated_sources=unrelated,
        first_activity=first,
        statuses="".join(codes),
        contact=next((p.contact for p in newest if p.contact), None),
        minutes_studied=sum(state.study.minutes.values()),
        minutes_this_week=_minutes_in_week(state, day),
        plan_hours_per_week=next((p.plan_hours for p in newest if p.plan_hours), None),
        hours_done=_hours_done(roadmap, state),
    )


def _minutes_in_week(state: State, day: date) -> int:
    """Minutes studied in the week (Monday to Sunday, UTC: a learner's own zone is not in their files) of `day`."""
    from datetime import UTC

    from aipm_cli.study import minutes_by_day, week_of

    if not state.study.minutes:
        return 0
    monday, sunday = week_of(day)
    return sum(minutes_by_day(state.study, UTC, monday, min(sunday, day)).values())


def _hours_done(roadmap: Roadmap, state: State) -> float:
    """aipm's estimate (the middle of its low-high range) of the study hours of the items finished."""
    from aipm_cli.progress import effort_hours
    from aipm_cli.unit_status import status_of

    efforts = effort_hours(roadmap)
    done = 0.0
    for item_id in roadmap.index.items:
        if status_of(roadmap.index, state, item_id) == "done":
            low, high = efforts[item_id]
            done += (low + high) / 2
    return round(done, 1)


def _item_rows(roadmap: Roadmap, state: State) -> list[ItemRow]:
    from aipm_cli.progress import rows

    out = []
    for r in rows(roadmap, state):
        rec = state.record(r.id)
        out.append(
            ItemRow(
                r.id, r.title, r.kind, r.phase, r.module, None, r.status, rec.started_on, r.completed_on, rec.skipped_on
            )
        )
        for d in r.deliverables or ():
            drec = state.record(d["id"])
            out.append(
                ItemRow(d["id"], d["title"], "deliverable", r.phase, r.module, r.id, d["status"],
                        drec.started_on, drec.completed_on, drec.skipped_on)
            )  # fmt: skip
    return out
