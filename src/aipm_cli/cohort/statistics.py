"""Figures across the cohort: spreads, quartiles, bands, per-phase, per-skill and per-item (drop-off) counts."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aipm_cli.cohort.model import BANDS, ItemFlow, ItemLearners, LearnerSummary, SkillStats, Spread, UnitStats

if TYPE_CHECKING:
    from aipm_cli.roadmap.plain import Roadmap


def finished(percent: float) -> bool:
    return percent >= 100.0


# --------------------------------------------------------------------------- #
# The cohort
# --------------------------------------------------------------------------- #


def spread_of(values: list[float]) -> Spread:
    """Median, lowest and highest of exact values, each rounded to a tenth as it is shown."""
    if not values:
        return Spread(None, None, None)
    return Spread(round(statistics.median(values), 1), round(min(values), 1), round(max(values), 1))


def band(learner: LearnerSummary) -> str:
    c = learner.counts
    if c.done == 0:
        return BANDS[0]
    if c.done >= c.total - c.skipped:
        return BANDS[-1]
    p = c.done / (c.total - c.skipped) * 100
    return BANDS[1 + min(3, int(p // 25))]


def quartiles(values: list[float]) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return (round(q[0], 1), round(q[2], 1))


def unit_stats(roadmap: Roadmap, learners: list[LearnerSummary]) -> list[UnitStats]:
    out = []
    for phase in roadmap.phases:
        values = [learner.exact[phase.id] for learner in learners]
        s = spread_of(values)
        modules = []
        for module in phase.modules:
            mv = [learner.exact[module.id] for learner in learners]
            ms = spread_of(mv)
            modules.append(
                UnitStats(module.id, module.title, ms.median, ms.lowest, ms.highest, sum(1 for v in mv if finished(v)))
            )
        out.append(
            UnitStats(
                phase.id, phase.title, s.median, s.lowest, s.highest, sum(1 for v in values if finished(v)), modules
            )
        )
    return out


def by_item(roadmap: Roadmap, pairs: Iterable[tuple[str, str]]) -> list[ItemLearners]:
    """(item, learner) pairs -> items with their learners, most learners first, then roadmap order."""
    found: dict[str, list[str]] = {}
    for item_id, name in pairs:
        found.setdefault(item_id, []).append(name)
    order = list(roadmap.index.items)
    ranked = sorted(found, key=lambda i: (-len(found[i]), order.index(i)))
    return [ItemLearners(i, roadmap.index.items[i].item.title, sorted(found[i])) for i in ranked]


def skill_stats(roadmap: Roadmap, learners: list[LearnerSummary]) -> list[SkillStats]:
    out = []
    for skill in roadmap.skills:
        levels = [learner.skills[skill.id] for learner in learners if skill.id in learner.skills]
        out.append(
            SkillStats(
                id=skill.id,
                title=skill.title,
                rated=len(levels),
                median=round(statistics.median(levels), 1) if levels else None,
                lowest=min(levels) if levels else None,
                highest=max(levels) if levels else None,
                levels={str(n): levels.count(n) for n in range(1, 6)},
            )
        )
    return out


def item_flow(roadmap: Roadmap, learners: list[LearnerSummary]) -> list[ItemFlow]:
    """Every item in roadmap order with how many learners reached, finished, skipped or stalled on it."""
    stalled: dict[str, int] = {}
    for x in learners:
        for item_id in {k.id for k in x.stuck}:
            stalled[item_id] = stalled.get(item_id, 0) + 1
    size = len(roadmap.index.items)
    # One column an item: the learners' status characters on it (a statuses string of another length,
    # made for another version of the roadmap, counts as not started where it falls short).
    rows = [x.statuses if len(x.statuses) == size else x.statuses[:size].ljust(size, "-") for x in learners]
    columns: list[tuple[str, ...]] = list(zip(*rows, strict=True)) if rows else [()] * size
    out = []
    for (item_id, placed), column in zip(roadmap.index.items.items(), columns, strict=True):
        done, skipped, started = column.count("d"), column.count("s"), column.count("i")
        reached = done + skipped + started
        out.append(
            ItemFlow(item_id, placed.item.title, placed.phase.id, len(learners),
                     reached, done, skipped, started, stalled.get(item_id, 0), len(learners) - reached)
        )  # fmt: skip
    return out
