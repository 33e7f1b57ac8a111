"""The cohort report as a use case: an instructor's data directory, some sources, the settings -> the summary.

What the CLI's `cohort report` and `cohort nudge` parse goes in; the summary
comes out, with what the cohort index could not do in its notices. The roadmap
is read as `aipm status` reads it; the cohort index lives in the instructor's
cache, never in a source (none at all when a source is this data directory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from aipm_cli.cohort.model import (
    DEFAULT_INACTIVE_DAYS,
    DEFAULT_STUCK_WEEKS,
    FILTERS,
    RULES,
    SORTS,
    CohortSummary,
    Options,
    Rules,
)
from aipm_cli.errors import UsageError

if TYPE_CHECKING:
    from aipm_cli.learner import Learner
    from aipm_cli.roadmap.plain import Roadmap


def rules(chosen: str | None, under: float, idle: int, behind: float) -> Rules:
    """The at-risk rules from --rules (comma-separated; None: all of them) and their settings."""
    on: tuple[str, ...] = RULES
    if chosen is not None:
        on = tuple(dict.fromkeys(r.strip().lower() for r in chosen.split(",") if r.strip()))
        unknown = [r for r in on if r not in RULES]
        if unknown or not on:
            what = f"'{unknown[0]}' is not a rule" if unknown else "no rule is named"
            raise UsageError(f"{what}; use {', '.join(RULES)} (comma-separated).", "--rules")
    return Rules(under, idle, behind, on)


def sort_order(sort: str) -> str:
    sort = sort.strip().lower()
    if sort not in SORTS:
        raise UsageError(f"'{sort}' is not an order; use {', '.join(SORTS)}.", "--sort")
    return sort


def filters(wanted: list[str] | None) -> tuple[str, ...]:
    """--filter as given, checked (phase:ID is checked against the roadmap by `summarize`)."""
    out = tuple(f.strip() for f in wanted or ())
    for f in out:
        if f not in FILTERS and not (f.startswith("phase:") and len(f) > len("phase:")):
            raise UsageError(f"'{f}' is not a filter; use {', '.join(FILTERS)} or phase:ID.", "--filter")
    return out


def _roadmap(learner: Learner, spec: str | None, inside: bool) -> Roadmap:
    from aipm_cli.roadmap import finding, loading

    layout = learner.layout
    path = finding.find(spec or learner.roadmap_spec, layout.roadmaps, layout.cache)
    # A source may be this data directory itself: then not even the roadmap cache is written.
    roadmap: Roadmap = loading.parse_roadmap_text(
        finding.read_roadmap_bytes(path), str(path), cache_dir=None if inside else layout.cache
    )
    return roadmap


def summarize(
    learner: Learner,
    sources: list[Path],
    roadmap: str | None,
    as_of: date | None,
    *,
    since: date | None = None,
    rebuild: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
    stuck_weeks: int = DEFAULT_STUCK_WEEKS,
    inactive_days: int = DEFAULT_INACTIVE_DAYS,
    with_notes: bool = False,
    items: bool = False,
    at_risk: Rules | None = None,
    sort: str = "name",
    wanted: tuple[str, ...] = (),
    full: bool = False,
) -> CohortSummary:
    """The cohort summary over these sources, read through the cohort index in the learner's data
    directory's cache (the settings are Options'; `since` adds the digest since that day)."""
    from aipm_cli.cohort.build import build
    from aipm_cli.cohort.digest import digest
    from aipm_cli.cohort.index import Index

    home = learner.layout.root.resolve()
    inside = any(home == s.resolve() or home in s.resolve().parents for s in sources if s.exists())
    chosen = _roadmap(learner, roadmap, inside)
    phases = {p.id for p in chosen.phases}
    for f in wanted:
        if f.startswith("phase:") and f[len("phase:") :] not in phases:
            raise UsageError(f"'{f[len('phase:') :]}' is not a phase of {chosen.id}.", "--filter")
    today = learner.today()
    if since is not None and since >= (as_of or today):
        raise UsageError(
            f"--since {since.isoformat()} is not before the report's day; give an earlier date.", "--since"
        )
    options = Options(
        today=today, as_of=as_of, hours_per_week=learner.hours_per_week(), stuck_weeks=stuck_weeks,
        inactive_days=inactive_days, with_notes=with_notes, items=items, rules=at_risk or Rules(), sort=sort,
        filters=wanted, full=full,
    )  # fmt: skip
    notices: list[str] = []
    # The index lives in this data directory's cache, never in a source (none when the cache is in one).
    index = None if inside else Index(learner.layout.cache)
    if index is not None and not index.open():
        notices.append(f"{index.problem}; every learner is folded")
        index = None
    try:
        summary = build(chosen, sources, options, learner.now(), index=index, rebuild=rebuild, progress=progress)
        if since is not None:
            earlier = replace(options, as_of=since, filters=(), items=False)
            before = build(chosen, sources, earlier, learner.now(), index=index, keep=False)
            summary.digest = digest(before, summary)
    finally:
        if index is not None:
            index.close()
    summary.notices[:0] = notices
    return summary
