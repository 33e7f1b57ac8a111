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
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from aipm_cli.record.state import Note
    from aipm_cli.report import Report

# Backslash-escaped (CommonMark: any ASCII punctuation may be): emphasis, code, links,
# tables, strikethrough; `<` before what could open a tag or an autolink; `&` before
# what could be an entity; and a line-start marker (list, heading, quote).
_SPECIAL = re.compile(r"([\\`*_\[\]|~])|<(?=[A-Za-z/!?])|&(?=#?\w+;)")
_LINE_START = re.compile(r"^(?:(>)|([#+=-])(?=[\s#=-]|$)|(\d{1,9})([.)])(?=\s|$))")
MARK = {"done": "✅", "in_progress": "🟡", "skipped": "⏭️", "not_started": "⬜"}
WORD = {"done": "done", "in_progress": "in progress", "skipped": "skipped", "not_started": "not started"}


def md(text: object) -> str:
    """Escape text for Markdown: inline, one line, plain text (no HTML entities, no live markup),
    control characters shown escaped (\\x1b)."""
    value = " ".join(clean(str(text)).split())
    value = _SPECIAL.sub(lambda m: "\\" + m.group(0), value)
    return _LINE_START.sub(_escape_start, value)


def _escape_start(m: re.Match[str]) -> str:
    if m.group(3):  # "12. x" would start an ordered list
        return f"{m.group(3)}\\{m.group(4)}"
    return "\\" + (m.group(1) or m.group(2))


def link(label: str, url: str | None) -> str:
    safe = http_url(url)
    return f"[{md(label)}]({safe})" if safe else md(label)


def evidence(text: str) -> str:
    return link(text, text) if http_url(text) else md(text)


def dated(entries: list[Note], *, quote: bool = False) -> list[str]:
    """Evidence or notes, each with the date it is for."""
    out = []
    for e in entries:
        text = f"“{md(e.text)}”" if quote else evidence(e.text)
        out.append(f"{text} ({e.on.isoformat()})")
    return out


def entry_lines(report: Report, unit: str, indent: str = "  ") -> list[str]:
    proof = dated(report.evidence_entries(unit))
    notes = dated(report.note_entries(unit), quote=True)
    return [f"{indent}- Evidence: {p}" for p in proof] + [f"{indent}- Note: {n}" for n in notes]


def render(report: Report) -> str:
    s = report.summary
    c = s.counts
    who = report.who
    out: list[str] = []
    add = out.append
    add(f"# {md(who.name)}")
    add("")
    if who.headline:
        add(f"**{md(who.headline)}**")
        add("")
    if who.links:
        add(" · ".join(link(label, url) for label, url in who.links))
        add("")
    path = f"Learning path: **{md(report.roadmap.title)}** ({md(report.roadmap.id)} v{md(report.roadmap.version)})"
    learner = f", learner {md(report.user)}" if who.name != report.user else ""
    add(f"{path}, as of {report.as_of.isoformat()}{learner}")
    add("")
    add("## Overview")
    add("")
    overall = f"**Overall:** {s.percent:.1f}% done: {c.done} of {counted(c.total - c.skipped, 'unit')}"
    figures = f" ({c.in_progress} in progress, {c.not_started} not started, {c.skipped} skipped;"
    figures += " a unit is an item, or one deliverable of a project)"
    add(overall + figures + ("  " if s.forecast.finish else ""))
    if s.forecast.finish:
        from aipm_cli.estimate import report_sentence

        add(f"**Forecast:** {md(report_sentence(s.forecast))}")
    add("")
    add("| Phase | Done | Progress |")
    add("|---|---:|---:|")
    for p in s.phases:
        add(f"| {md(p.title)} | {p.counts.done}/{p.counts.total - p.counts.skipped} | {p.percent:.0f}% |")
    study = s.study
    if study.get("total_minutes"):
        from aipm_cli.study import spent_text
        from aipm_cli.wording import count

        by_phase = study["phases"]
        add("")
        parts = [f"{md(p.title)} {spent_text(by_phase[p.id])}" for p in s.phases if by_phase.get(p.id)]
        add(f"**Study time:** {spent_text(study['total_minutes'])} in {count(study['sessions'], 'session')}" + "".join(
            f"; {part}" for part in parts))  # fmt: skip
    weeks = report.weekly_activity()
    if weeks:
        total = sum(n for _, n in weeks)
        active = sum(1 for _, n in weeks if n)
        add("")
        from aipm_cli.wording import count

        add(f"**Activity:** {count(total, 'event')} in {count(len(weeks), 'week')} since the week of "
            f"{weeks[0][0].isoformat()}, active in {active}; events per active week: "
            + ", ".join(f"{w.day} {w:%b}: {n}" for w, n in weeks if n))  # fmt: skip

    add("")
    add("## Projects")
    for r in report.projects:
        add("")
        when = f", {r.completed_on.isoformat()}" if r.status == "done" and r.completed_on else ""
        add(f"### {md(r.title)} ({WORD[r.status]}{when})")
        add("")
        out.extend(entry_lines(report, r.id, indent=""))
        for d in r.deliverables or []:
            rec = report.record(d["id"])
            box = "x" if d["status"] == "done" else " "
            extra = ""
            if d["status"] == "done" and rec.completed_on:
                extra = f", {rec.completed_on.isoformat()}"
            elif d["status"] != "not_started":
                since = rec.skipped_on if d["status"] == "skipped" else rec.started_on
                extra = f" ({WORD[d['status']]}" + (f" {since.isoformat()}" if since else "")
                extra += (f": {md(rec.skip_reason)}" if rec.skip_reason else "") + ")"
            add(f"- [{box}] {md(d['title'])}{extra}")
            out.extend(entry_lines(report, d["id"]))

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
        out.extend(entry_lines(report, cert.id))

    certs = {cert.id for cert in s.certifications}
    completed = [r for r in report.completed if not r.deliverables and r.id not in certs]
    add("")
    add("## Completed")
    add("")
    if not completed:
        add("Nothing completed yet.")
    for r in completed:
        when = r.completed_on.isoformat() if r.completed_on else "date not recorded"
        add(f"- **{md(r.title)}** ({md(r.kind)}), {when}")
        out.extend(entry_lines(report, r.id))

    rated = [k for k in report.skills if k.rating is not None]
    if rated:
        add("")
        add("## Skills (self-assessed, 1-5)")
        add("")
        add("| Skill | Rating | Change | Items done | Note |")
        add("|---|---:|---:|---:|---|")
        for k in rated:
            change = (k.rating or 0) - (k.first or 0)
            note = f"{md(k.note)} ({k.rated_on.isoformat()})" if k.note and k.rated_on else ""
            add(f"| {md(k.title)} | {k.rating} | {change:+d} | {k.items_done}/{k.items_total} | {note} |")

    started = report.started
    upcoming = [r for r in s.next if r.status != "in_progress"]
    if started or upcoming:
        add("")
        add("## In progress and next")
        add("")
        for r in started:
            started_on = f" since {r.started_on.isoformat()}" if r.started_on else ""
            where = f" — {md(r.context)}" if r.context else ""
            add(f"- {md(r.title)}{where} (`{r.id}`), in progress{started_on}")
            out.extend(entry_lines(report, r.id))
        for r in upcoming:
            where = f" — {md(r.context)}" if r.context else ""
            add(f"- {md(r.title)}{where} (`{r.id}`), next")

    if report.skipped or report.noted_not_started or report.group_notes or report.orphans:
        add("")
        add("## Also on record")
        if report.skipped:
            add("")
            add("Skipped:")
            add("")
            for r in report.skipped:
                rec = report.record(r.id)
                when = f" {r.skipped_on.isoformat()}" if r.skipped_on else ""
                add(f"- {md(r.title)}, skipped{when}" + (f": {md(rec.skip_reason)}" if rec.skip_reason else ""))
                out.extend(entry_lines(report, r.id))
        if report.noted_not_started:
            add("")
            add("Notes on items not started yet:")
            add("")
            for r in report.noted_not_started:
                add(f"- {md(r.title)} (`{r.id}`)")
                out.extend(entry_lines(report, r.id))
        if report.group_notes:
            add("")
            add("Notes on modules and phases:")
            add("")
            for g in report.group_notes:
                add(f"- **{md(g.title)}** ({g.kind})")
                out.extend(entry_lines(report, g.id))
        if report.orphans:
            add("")
            add("Kept from an earlier version of the roadmap:")
            add("")
            for oid, rec in report.orphans:
                when = f" {rec.completed_on.isoformat()}" if rec.completed_on else ""
                add(f"- `{oid}`, {WORD.get(rec.status, md(rec.status))}{when}")
                out.extend(entry_lines(report, oid))

    if report.full:
        add("")
        add("## The roadmap, phase by phase")
        for phase in report.roadmap.phases:
            add("")
            add(f"### {md(phase.title)}")
            add("")
            add("| | Item | Kind | Status | Date |")
            add("|---|---|---|---|---|")
            ids = {i.id for m in phase.modules for i in m.items}
            for r in report.rows:
                if r.id in ids:
                    day = {"done": r.completed_on, "in_progress": r.started_on, "skipped": r.skipped_on}.get(r.status)
                    shown = day.isoformat() if day else ""
                    add(f"| {MARK[r.status]} | {md(r.title)} | {md(r.kind)} | {WORD[r.status]} | {shown} |")
    else:
        add("")
        add("_The whole roadmap, item by item: `aipm export --full`._")
    add("")
    add(f"_Generated by aipm on {report.generated_at.date().isoformat()}._")
    return "\n".join(out) + "\n"
