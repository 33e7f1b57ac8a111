"""The cohort report as one standalone HTML file: inline CSS, no JavaScript, no network.

It carries learners' text to another person's browser, so the template is
autoescaped: every name, title, note, path and reason is escaped, and only
plain http(s) URLs become links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aipm_cli.cohort.digest import digest_rows
from aipm_cli.cohort.model import CAP_ATTENTION, CAP_EVIDENCE, CAP_NAMES, CAP_NOTES, CAP_STUCK, RULES, capped
from aipm_cli.estimate import month_span
from aipm_cli.render.cohort_terminal import flags, pct, reached, studied, studying
from aipm_cli.view_data import WEEKS_SHOWN

if TYPE_CHECKING:
    from aipm_cli.cohort.model import CohortSummary, ItemFlow, LearnerSummary


def heat(percent: float) -> str:
    """The heatmap class of a phase's percent done (same bands as the cohort's distribution)."""
    if percent <= 0:
        return "h0"
    if percent >= 100:
        return "h5"
    return f"h{1 + min(3, int(percent // 25))}"


def percent_range(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"{low:.1f}–{high:.1f}%"


CAP_ITEMS = 5  # items listed under "where learners get stuck" and "skipped most" (--full: all)
STALLS_SHOWN = 5  # items named under "stalled most"


def rules_of(attention: list[LearnerSummary]) -> list[tuple[str, str]]:
    """The rules that flag someone, each once with its words (a rule measured two ways, once each), in the
    order of RULES."""
    found = dict.fromkeys((f.rule, f.rule_text) for x in attention for f in x.flags)
    return sorted(found, key=lambda pair: RULES.index(pair[0]) if pair[0] in RULES else len(RULES))


def stalls_most(dropoff: list[ItemFlow]) -> list[ItemFlow]:
    """The items most learners are stuck on, most first (roadmap order among equals)."""
    stalled = [f for f in dropoff if f.stalled]
    return sorted(stalled, key=lambda f: -f.stalled)[:STALLS_SHOWN]


def render(s: CohortSummary) -> str:
    from aipm_cli.render.html import environment

    page: str = (
        environment()
        .get_template("cohort.html.j2")
        .render(
            s=s,
            g=s.glance,
            o=s.options,
            peak=max((n for _, n in s.glance.bands), default=0) or 1,
            weeks=WEEKS_SHOWN,
            pct=pct,
            span=month_span,
            flags=flags,
            heat=heat,
            range_=percent_range,
            capped=capped,
            reached=reached,
            digest_rows=digest_rows,
            rules_of=rules_of,
            studied=studied,
            study=studying(s),
            stalls_most=stalls_most,
            caps={
                "listed": CAP_ITEMS,
                "attention": CAP_ATTENTION,
                "evidence": CAP_EVIDENCE,
                "stuck": CAP_STUCK,
                "names": CAP_NAMES,
                "notes": CAP_NOTES,
            },
        )  # fmt: skip
    )
    return page
