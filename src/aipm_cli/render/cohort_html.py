"""The cohort report as one standalone HTML file: inline CSS, no JavaScript, no network.

It carries learners' text to another person's browser, so the template is
autoescaped: every name, title, note, path and reason is escaped, and only
plain http(s) URLs become links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aipm_cli.cohort import CAP_ATTENTION, CAP_EVIDENCE, CAP_NAMES, CAP_NOTES, CAP_STUCK, capped, digest_rows
from aipm_cli.render.cohort_terminal import flags, month_span, pct, reached
from aipm_cli.view_data import WEEKS_SHOWN

if TYPE_CHECKING:
    from aipm_cli.cohort import CohortSummary


def heat(percent: float) -> str:
    """The heatmap class of a phase's percent done (same bands as the cohort's distribution)."""
    if percent <= 0:
        return "h0"
    if percent >= 100:
        return "h5"
    return f"h{1 + min(3, int(percent // 25))}"


def percent_range(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"{low:.1f}–{high:.1f}%"


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
            caps={
                "attention": CAP_ATTENTION,
                "evidence": CAP_EVIDENCE,
                "stuck": CAP_STUCK,
                "names": CAP_NAMES,
                "notes": CAP_NOTES,
            },
        )  # fmt: skip
    )
    return page
