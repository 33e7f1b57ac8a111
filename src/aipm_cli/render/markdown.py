"""Markdown report, ready for a GitHub profile or a portfolio page.

Every string from the learner or a roadmap file is escaped so it shows as
text (no raw HTML, no injected links, no terminal control characters for
whoever `cat`s the file); only http(s) URLs become links.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aipm_cli.render.links import http_url
from aipm_cli.render.safe import clean

if TYPE_CHECKING:
    from aipm_cli.report import Report

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
MARK = {"done": "✅", "in_progress": "🟡", "skipped": "⏭️", "not_started": "⬜"}
WORD = {"done": "done", "in_progress": "in progress", "skipped": "skipped", "not_started": "not started"}


def md(text: object) -> str:
    """Escape text for Markdown: inline, one line, no HTML, control characters shown escaped (\\x1b)."""
    value = " ".join(clean(text).split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", value)


def link(label: str, url: str | None) -> str:
    safe = http_url(url)
    return f"[{md(label)}]({safe})" if safe else md(label)


def evidence(text: str) -> str:
    return link(text, text) if http_url(text) else md(text)


def render(report: Report) -> str:
    s = report.summary
    c = s.counts
    out: list[str] = []
    add = out.append
    add(f"# {md(report.roadmap.title)}: learning progress of {md(report.user)}")
    add("")
    add(f"**Roadmap:** {md(report.roadmap.title)} ({md(report.roadmap.id)} v{md(report.roadmap.version)})  ")
    add(f"**As of:** {report.as_of.isoformat()}  ")
    overall = f"**Overall:** {s.percent:.1f}% done: {c.done} of {c.total - c.skipped}"
    add(overall + f" ({c.in_progress} in progress, {c.skipped} skipped)" + ("  " if s.forecast.finish else ""))
    if s.forecast.finish:
        from aipm_cli.render.terminal import month_range

        line = f"**Forecast:** at {s.forecast.hours_per_week:g} h a week, done {month_range(*s.forecast.finish)}"
        if s.forecast.pace_finish:
            line += f"; at the pace so far, {month_range(*s.forecast.pace_finish)}"
        add(line)
    add("")
    add("| Phase | Done | Progress |")
    add("|---|---:|---:|")
    for p in s.phases:
        add(f"| {md(p.title)} | {p.counts.done}/{p.counts.total - p.counts.skipped} | {p.percent:.0f}% |")

    if s.in_progress:
        add("")
        add("## In progress")
        add("")
        for r in s.in_progress:
            add(f"- {md(r.title)} (`{r.id}`)" + (f", since {r.started_on.isoformat()}" if r.started_on else ""))
    if s.next:
        add("")
        add("## Next up")
        add("")
        for r in s.next:
            add(f"- {md(r.title)} (`{r.id}`)")

    completed = report.completed
    add("")
    add("## Completed")
    add("")
    if not completed:
        add("Nothing completed yet.")
    for r in completed:
        when = r.completed_on.isoformat() if r.completed_on else "date not recorded"
        proof = [evidence(e) for e in report.evidence(r.id)]
        add(f"- **{md(r.title)}** ({md(r.kind)}), {when}" + (f": {', '.join(proof)}" if proof else ""))
        for note in report.notes(r.id):
            add(f"  - {md(note)}")

    add("")
    add("## Projects")
    for r in report.projects:
        add("")
        add(f"### {md(r.title)} ({WORD[r.status]})")
        add("")
        for d in r.deliverables or []:
            box = "x" if d["status"] == "done" else " "
            extra = " (skipped)" if d["status"] == "skipped" else ""
            add(f"- [{box}] {md(d['title'])}{extra}")
        proof = [evidence(e) for e in report.evidence(r.id)]
        if proof:
            add(f"- Evidence: {', '.join(proof)}")

    add("")
    add("## Certifications")
    add("")
    if not s.certifications:
        add("None earned yet.")
    for cert in s.certifications:
        parts = [f"earned {cert.earned_on.isoformat()}" if cert.earned_on else "earned"]
        if cert.credential:
            parts.append("credential " + evidence(cert.credential))
        if cert.expires_on:
            parts.append(("expired " if cert.expired else "expires ") + cert.expires_on.isoformat())
        add(f"- **{md(cert.title)}**: {', '.join(parts)}")

    rated = [k for k in report.skills if k.rating is not None]
    if rated:
        add("")
        add("## Skills (self-assessed, 1-5)")
        add("")
        add("| Skill | Rating | Change | Items done |")
        add("|---|---:|---:|---:|")
        for k in rated:
            change = (k.rating or 0) - (k.first or 0)
            add(f"| {md(k.title)} | {k.rating} | {change:+d} | {k.items_done}/{k.items_total} |")

    add("")
    add("## The roadmap, phase by phase")
    for phase in report.roadmap.phases:
        add("")
        add(f"### {md(phase.title)}")
        add("")
        add("| | Item | Kind | Status | Completed |")
        add("|---|---|---|---|---|")
        ids = {i.id for m in phase.modules for i in m.items}
        for r in report.rows:
            if r.id in ids:
                done = r.completed_on.isoformat() if r.completed_on and r.status == "done" else ""
                add(f"| {MARK[r.status]} | {md(r.title)} | {md(r.kind)} | {WORD[r.status]} | {done} |")
    add("")
    add(f"_Generated by aipm on {report.generated_at.date().isoformat()}._")
    return "\n".join(out) + "\n"
