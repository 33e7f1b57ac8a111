"""The cohort summary over every learner in the sources (see the package docstring)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.cohort.discovery import Part, discover
from aipm_cli.cohort.fold import fold_learner, summary_of
from aipm_cli.cohort.model import BANDS, CohortSummary, Elsewhere, Glance, LearnerSummary, Options, Unreadable
from aipm_cli.cohort.rules import listed, triage
from aipm_cli.cohort.statistics import band, by_item, item_flow, quartiles, skill_stats, spread_of, unit_stats

if TYPE_CHECKING:
    from aipm_cli.cohort.index import Index, Kept
    from aipm_cli.roadmap.plain import Roadmap


PARALLEL_FROM = 64  # learners: below this, starting worker processes costs more than it saves
_JOB: tuple[Any, ...] = ()  # what forked workers inherit: (roadmap, jobs, options, marking)

# One learner to report on: their name, their parts, and their fold when the index has it.
Job = tuple[str, list[Part], "Kept | None"]
# What comes back, pickled where it was made (a worker): the summary and what could not be read (None:
# nothing could be read), the fold when it was made here (None: taken from the index), and the marks
# of the files it was made from. The parent reads the summary once and keeps the fold as it came.
Done = tuple[bytes, "bytes | None", "dict[str, list[Any]] | None"]


def _work(roadmap: Roadmap, job: Job, options: Options, marking: bool) -> Done:
    from aipm_cli.cohort.index import dumps

    name, parts, kept = job
    bad: list[Unreadable] = []
    if kept is not None:
        bad.extend(kept.damage)
        return dumps((summary_of(roadmap, name, parts, options, kept), bad)), None, None
    marks = None
    if marking:
        from aipm_cli.cohort.index import files_of
        from aipm_cli.cohort.index import marks as marks_of

        try:
            marks = marks_of(files_of(parts))  # before the fold: a file growing meanwhile is read again next time
        except OSError:
            marks = None  # the fold names what cannot be read
    kept = fold_learner(roadmap, name, parts, options, bad)
    if kept is None:
        return dumps((None, bad)), None, None
    bad.extend(kept.damage)
    summary = summary_of(roadmap, name, parts, options, kept)
    return dumps((summary, bad)), dumps(kept) if marking else None, marks


def _one(position: int) -> Done:
    roadmap, jobs, options, marking = _JOB
    return _work(roadmap, jobs[position], options, marking)


def _each_learner(
    roadmap: Roadmap, jobs: list[Job], options: Options, workers: int | None, marking: bool = False
) -> Iterator[Done]:
    """Each learner's summary, in order; folded in worker processes when the cohort is large.

    Learners are independent, and folding is CPU-bound Python: with N cores a
    large cohort takes about 1/N of the time. Workers are forked (they inherit
    the roadmap and the sources found), so only the summaries travel back.
    """
    global _JOB
    import multiprocessing

    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(jobs) >= PARALLEL_FROM else 1
    # Fork only on Linux: on macOS forking a process that has loaded system frameworks can crash.
    if workers <= 1 or not sys.platform.startswith("linux"):
        for job in jobs:
            yield _work(roadmap, job, options, marking)
        return
    _JOB = (roadmap, jobs, options, marking)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_one, range(len(jobs)), chunksize=max(1, len(jobs) // (workers * 8)))
    finally:
        _JOB = ()


def _fingerprint(roadmap: Roadmap, options: Options) -> str:
    """What a learner's summary depends on besides their files: the roadmap, the settings, the day."""
    import hashlib

    from aipm_cli import __version__
    from aipm_cli.cohort.index import INDEX_VERSION

    made = json.dumps(roadmap.data(), sort_keys=True, default=str).encode()
    return json.dumps(
        [INDEX_VERSION, __version__, hashlib.sha256(made).hexdigest(), options.today.isoformat(),
         options.day.isoformat(), options.hours_per_week, options.stuck_weeks, options.inactive_days,
         options.with_notes, options.items]
    )  # fmt: skip


def _canon(roadmap: Roadmap) -> dict[str, str]:
    """The roadmap's ids and titles, each its one string object (see `share`)."""
    index = roadmap.index
    words: list[str] = [*index.items, *index.deliverables, *index.modules, *index.phases]
    words += [p.item.title for p in index.items.values()] + [d.title for d, _ in index.deliverables.values()]
    words += [m.title for m, _ in index.modules.values()] + [p.title for p in index.phases.values()]
    words += [s.id for s in roadmap.skills]
    return {w: w for w in words}


def share(summary: LearnerSummary | None, canon: dict[str, str]) -> LearnerSummary | None:
    """The summary with its ids and titles the roadmap's own strings: read back from a worker or the index,
    each learner's would otherwise be copies of their own (a tenth of a large cohort's memory)."""
    if summary is None:
        return None
    for entries in (summary.evidence, summary.notes):
        for e in entries:
            e.item = canon.get(e.item, e.item)
            e.title = canon.get(e.title, e.title)
            if e.project is not None:
                e.project = canon.get(e.project, e.project)
            if e.project_title is not None:
                e.project_title = canon.get(e.project_title, e.project_title)
    for k in summary.stuck:
        k.id = canon.get(k.id, k.id)
        k.title = canon.get(k.title, k.title)
    summary.skipped = [canon.get(i, i) for i in summary.skipped]
    summary.phases = {canon.get(i, i): v for i, v in summary.phases.items()}
    summary.modules = {canon.get(i, i): v for i, v in summary.modules.items()}
    summary.exact = {canon.get(i, i): v for i, v in summary.exact.items()}
    summary.skills = {canon.get(i, i): v for i, v in summary.skills.items()}
    return summary


def _summaries(
    roadmap: Roadmap,
    groups: list[tuple[str, list[Part]]],
    options: Options,
    workers: int | None,
    index: Index | None,
    rebuild: bool,
    bad: list[Unreadable],
    notices: list[str],
    keep: bool,
    progress: Callable[[str, int, int | None], None] | None,
) -> list[LearnerSummary]:
    """Every learner's summary: from the index where it holds, folded where it does not
    (`progress(what, done, total)` is told each learner folded)."""
    from itertools import chain

    from aipm_cli.cohort.index import loads

    key = _fingerprint(roadmap, options) if index is not None else ""
    canon = _canon(roadmap)
    made: dict[int, tuple[LearnerSummary | None, list[Unreadable]]] = {}
    pending: list[tuple[int, int]] = []  # (position, row): kept summaries, read while the workers fold
    jobs: list[Job] = []
    positions: list[int] = []
    for position, (name, parts) in enumerate(groups):
        kept = None
        if index is not None and not rebuild:
            found = index.look(roadmap.id, name, parts, key, options.day)
            notices.extend(found.notices)
            if found.row is not None:
                pending.append((position, found.row))
                if keep:
                    index.used(roadmap.id, name, parts, options.today)
                continue
            kept = found.kept
        jobs.append((name, parts, kept))
        positions.append(position)

    def take(position: int, done: Done) -> None:
        summary_blob, kept_blob, marks = done
        summary, problems = loads(summary_blob)
        made[position] = (share(summary, canon), problems)
        if index is not None and summary is not None and keep:
            name, parts = groups[position]
            index.keep(roadmap.id, name, parts, marks, kept_blob, key, summary_blob, options.today)

    results = _each_learner(roadmap, jobs, options, workers, marking=index is not None)
    first = next(results, None)  # the workers are folding now: read the kept summaries meanwhile
    for position, row in pending:
        got = index.summary_at(row) if index is not None else None
        if got is not None:
            made[position] = (share(got[0], canon), got[1])
        else:  # a damaged row: fold here
            name, parts = groups[position]
            take(position, _work(roadmap, (name, parts, None), options, True))
    for done, (position, result) in enumerate(
        zip(positions, chain([first] if first is not None else [], results), strict=True), 1
    ):
        if progress is not None:
            progress("Summarizing learners", done, len(jobs))
        take(position, result)
    if index is not None and keep:
        index.commit(options.today)
    out: list[LearnerSummary] = []
    for position in range(len(groups)):
        summary, problems = made[position]
        bad.extend(problems)
        if summary is not None:
            out.append(summary)
    return out


def build(
    roadmap: Roadmap,
    paths: Iterable[Path],
    options: Options,
    now: datetime,
    *,
    workers: int | None = None,
    index: Index | None = None,
    rebuild: bool = False,
    keep: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> CohortSummary:
    """The cohort report over every learner in these sources (see the module docstring).

    `workers`: processes to fold learners in (default: one per core, up to 8, for 64 learners or more).
    `index`: an open cohort index (cohort/index.py) to take unchanged learners from and keep new folds
    in; `rebuild` folds every learner again (and keeps the new folds); `keep`: False reads the index
    without writing to it (a look back at another day, which must not displace today's folds).
    `progress(what, done, total)` is told each learner summarized (a caller's display).
    """
    parts, bad = discover(paths)
    ours: dict[str, list[Part]] = {}
    other: dict[tuple[str, str], list[Part]] = {}
    for part in parts:
        if part.roadmap == roadmap.id:
            ours.setdefault(part.name, []).append(part)
        else:
            other.setdefault((part.name, part.roadmap), []).append(part)
    names = sorted(ours, key=lambda n: (n.casefold(), n))
    notices: list[str] = []
    from aipm_cli.record.fold import no_cycle_collection

    # Summaries read back are a great many small objects and no reference cycles (two fifths of a
    # second report's time went to the cycle collector walking them).
    with no_cycle_collection():
        learners = _summaries(
            roadmap, [(n, ours[n]) for n in names], options, workers, index, rebuild, bad, notices, keep, progress
        )
    elsewhere = [
        Elsewhere(name, roadmap_id, list(dict.fromkeys(p.source for p in found)))
        for (name, roadmap_id), found in sorted(other.items())
        if name not in ours  # a learner on both roadmaps is reported here, on this one
    ]

    percents = [learner.counts.exact_percent for learner in learners]  # rounded only when shown
    spread = spread_of(percents)
    bands = dict.fromkeys(BANDS, 0)
    for learner in learners:
        bands[band(learner)] += 1
    glance = Glance(
        learners=len(learners),
        median=spread.median,
        lowest=spread.lowest,
        highest=spread.highest,
        quartiles=quartiles(percents),
        active_lately=sum(1 for learner in learners if learner.active_lately),
        inactive=sum(1 for learner in learners if learner.inactive),
        stuck=sum(1 for learner in learners if learner.stuck),
        bands=list(bands.items()),
    )
    glance.at_risk, glance.percentiles = triage(learners, options)
    dropoff = item_flow(roadmap, learners)
    attention = sorted((x for x in learners if x.flags), key=lambda x: (-len(x.flags), x.percent, x.name.casefold()))
    stuck = by_item(roadmap, ((s.id, learner.name) for learner in learners for s in learner.stuck))
    skipped = by_item(roadmap, ((i, learner.name) for learner in learners for i in learner.skipped))
    everyone = len(learners)
    shown = listed(roadmap, learners, options)
    phases = unit_stats(roadmap, learners)
    skills = skill_stats(roadmap, learners)
    return CohortSummary(
        roadmap={"id": roadmap.id, "title": roadmap.title, "version": roadmap.version},
        generated_at=now,
        as_of=options.day,
        options=options,
        glance=glance,
        learners=shown,
        phases=phases,
        stuck=stuck,
        skipped=skipped,
        skills=skills,
        elsewhere=elsewhere,
        unreadable=bad,
        notices=notices,
        attention=[x for x in attention if x in shown] if options.filters else attention,
        dropoff=dropoff,
        shown_of=everyone,
        everyone=learners,
    )
