"""The cohort report in Markdown; every string from a learner or a file is escaped (see markdown.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aipm_cli.cohort.digest import digest_rows
from aipm_cli.cohort.model import CAP_ATTENTION, CAP_EVIDENCE, CAP_NAMES, CAP_NOTES, CAP_STUCK, capped
from aipm_cli.estimate import month_span
from aipm_cli.render.cohort_terminal import flags, pct, reached, studied, studying
from aipm_cli.render.markdown import evidence, md
from aipm_cli.view_data import WEEKS_SHOWN
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from aipm_cli.cohort.model import CohortSummary, ItemLearners


def _items(found: list[ItemLearners], empty: str, full: bool) -> list[str]:
    if not found:
        return [f"_{empty}_"]
    out = ["| Item | Learners | Who |", "|---|---:|---|"]
    for entry in found:
        names, more = capped(entry.learners, CAP_NAMES, full)
        who = md(", ".join(names)) + (f" and {more} more" if more else "")
        out.append(f"| {md(entry.title)} (`{md(entry.id)}`) | {len(entry.learners)} | {who} |")
    return out


def _top(s: CohortSummary) -> list[str]:
    """Unreadable sources (listed at the end), the index's notices, who needs attention, where the cohort drops off."""
    out: list[str] = []
    if s.unreadable:
        count = len(s.unreadable)
        out += [f"> **{count} sources or lines could not be read**: listed under *Could not read* at the end.", ""]
    for notice in s.notices:
        out += [f"> {md(notice)}  "]
    if s.notices:
        out.append("")
    if s.digest is not None:
        out += [f"## Since {s.digest.since.isoformat()}", ""]
        rows = digest_rows(s.digest, s.options.full)
        out += [f"- **{label}:** {md(value)}" for label, value in rows] or ["_Nothing changed._"]
        out.append("")
    if not s.glance.learners:
        return out
    out += [f"## Needs attention ({len(s.attention)})", ""]
    if not s.attention:
        out += ["_Nobody: no at-risk rule applies to anyone._", ""]
    shown, more = capped(s.attention, CAP_ATTENTION, s.options.full)
    for learner in shown:
        out.append(f"- **{md(learner.name)}** ({pct(learner.percent)})")
        for f in learner.flags:
            out.append(f"  - `{f.rule}`: {md(f.seen)} _(rule: {md(f.rule_text)})_")
    if more:
        out.append(f"- _and {more} more (`--filter at-risk` or `--full` lists every one)_")
    out += ["", "## Where the cohort drops off", ""]
    out += ["| Item | Reached | ✓ | ◐ (stalled) | – | Not yet |", "|---|---:|---:|---:|---:|---:|"]
    flows, unreached = reached(s)
    for f in flows:
        out.append(f"| {md(f.title)} | {f.reached} | {f.finished} | {f.in_progress} ({f.stalled}) | {f.skipped}"
                   f" | {f.not_started} |")  # fmt: skip
    if unreached:
        out += ["", f"_And {counted(unreached, 'item')} nobody has reached yet (`--full` lists every one)._"]
    out.append("")
    return out


def render(s: CohortSummary) -> str:
    g = s.glance
    o = s.options
    out: list[str] = []
    add = out.append
    add(f"# Cohort report: {md(s.roadmap['title'])}")
    add("")
    add(f"**Roadmap:** {md(s.roadmap['id'])} v{md(s.roadmap['version'])}  ")
    add(f"**As of:** {s.as_of.isoformat()}  ")
    add(f"**Learners:** {g.learners}  ")
    if g.learners:
        add(f"**At risk:** {g.at_risk}  ")
    if g.percentiles:
        add(f"**Bottom 15%:** {g.percentiles[0]:.1f}% done or less · **top 15%:** {g.percentiles[1]:.1f}% or more  ")
    add("")
    out.extend(_top(s))
    if g.learners:
        spread = f"**Percent done:** median {pct(g.median)}, lowest {pct(g.lowest)}, highest {pct(g.highest)}"
        if g.quartiles:
            spread += f", middle half {g.quartiles[0]:.1f}–{g.quartiles[1]:.1f}%"
        add(spread + "  ")
        add(
            f"**Active in the last 7 days:** {g.active_lately}"
            f" · **inactive over {counted(o.inactive_days, 'day')}:** {g.inactive}"
            f" · **stuck over {counted(o.stuck_weeks, 'week')}:** {g.stuck}"
        )
        add("")
        add("| Percent done | Learners |")
        add("|---|---:|")
        for band, n in g.bands:
            add(f"| {band} | {n} |")
        add("")
        shown = "" if len(s.learners) == s.shown_of else f"({len(s.learners)} of {s.shown_of}: {', '.join(o.filters)})"
        add(f"## Learners {md(shown)}".rstrip())
        add("")
        study = studying(s)
        add("| Learner | Done | ✓ / ◐ / – | Last active | Active weeks | Pace | Finish at pace |"
            + (" Studied (this week) |" if study else "") + " Flags |")  # fmt: skip
        add("|---|---:|---:|---|---:|---:|---|" + ("---:|" if study else "") + "---|")
        for learner in s.learners:
            c = learner.counts
            pace = f"{learner.pace_hours_per_week:g} h/wk" if learner.pace_hours_per_week is not None else "–"
            last = learner.last_activity.isoformat() if learner.last_activity else "never"
            add(
                f"| {md(learner.name)} | {pct(learner.percent)} | {c.done} / {c.in_progress} / {c.skipped} | {last}"
                f" | {learner.active_weeks}/{WEEKS_SHOWN} | {pace} | {month_span(learner.pace_finish)}"
                + (f" | {studied(learner)}" if study else "")
                + f" | {md(flags(learner))} |"
            )
        stuck = [learner for learner in s.learners if learner.stuck]
        if stuck:
            add("")
            add(f"Stuck (in progress over {counted(o.stuck_weeks, 'week')}):")
            add("")
            for learner in stuck:
                kept, more = capped(learner.stuck, CAP_STUCK, o.full)
                items = ", ".join(f"{md(x.title)} (since {x.since.isoformat()})" for x in kept)
                add(f"- **{md(learner.name)}:** {items}" + (f" and {more} more" if more else ""))
        add("")
        add("## Phases and modules")
        add("")
        add("| Phase / module | Median | Lowest | Highest | Finished by |")
        add("|---|---:|---:|---:|---:|")
        for phase in s.phases:
            for unit, label in [(phase, f"**{md(phase.title)}**")] + [
                (m, f"&nbsp;&nbsp;{md(m.title)}") for m in phase.modules
            ]:
                add(f"| {label} | {pct(unit.median)} | {pct(unit.lowest)} | {pct(unit.highest)} | {unit.finished} |")
        add("")
        add(f"## Where learners get stuck (in progress over {counted(o.stuck_weeks, 'week')})")
        add("")
        out.extend(_items(s.stuck, "Nobody is stuck.", o.full))
        add("")
        add("## Skipped most")
        add("")
        out.extend(_items(s.skipped, "Nobody skipped anything.", o.full))
        add("")
        add("## Skill self-ratings (latest, 1–5)")
        add("")
        add("| Skill | Rated by | Median | Lowest | Highest | 1 | 2 | 3 | 4 | 5 |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for k in s.skills:
            median = f"{k.median:g}" if k.median is not None else "–"
            levels = " | ".join(str(k.levels[str(n)]) for n in range(1, 6))
            add(f"| {md(k.title)} | {k.rated} | {median} | {k.lowest or '–'} | {k.highest or '–'} | {levels} |")
        add("")
        add("## Evidence")
        add("")
        shared = [learner for learner in s.learners if learner.evidence]
        if not shared:
            add("_No evidence yet._")
        for learner in shared:
            add(f"- **{md(learner.name)}**")
            entries, more = capped(learner.evidence, CAP_EVIDENCE, o.full)
            for e in entries:
                add(f"  - {md(e.title)}: {evidence(e.text)}")
            if more:
                add(f"  - _and {more} more (`--full` lists every one)_")
        if o.with_notes:
            add("")
            add("## Notes")
            add("")
            noted = [learner for learner in s.learners if learner.notes]
            if not noted:
                add("_No notes._")
            for learner in noted:
                add(f"- **{md(learner.name)}**")
                kept, more = capped(learner.notes, CAP_NOTES, o.full)
                for note in kept:
                    add(f"  - {note.on.isoformat()} {md(note.title)}: {md(note.text)}")
                if more:
                    add(f"  - _and {more} more (`--full` lists every one)_")
    if s.elsewhere:
        add("")
        add("## On other roadmaps (not counted)")
        add("")
        for other in s.elsewhere:
            add(f"- {md(other.name)} on {md(other.roadmap)} ({md(', '.join(other.sources))})")
    same = [learner.same_name() for learner in s.learners if learner.same_name()]
    if same:
        add("")
        add("## Two learners with one name?")
        add("")
        for flag in same:
            add(f"- {md(flag)}")
    if s.unreadable:
        add("")
        add("## Could not read")
        add("")
        for bad in s.unreadable:
            add(f"- {md(bad.source)}: {md(bad.reason)}")
    add("")
    add(f"_Generated by aipm on {s.generated_at.date().isoformat()}._")
    return "\n".join(out) + "\n"
