"""Over time: what changed between the cohort as of an earlier day and as of the report's day."""

from __future__ import annotations

from aipm_cli.cohort.model import CAP_NAMES, CohortSummary, Digest, capped
from aipm_cli.wording import count as counted


def digest(before: CohortSummary, after: CohortSummary) -> Digest:
    """The digest between two summaries of the same sources (before: as of the earlier day), over every
    learner (whatever --filter lists)."""
    then = {x.name: x for x in before.everyone or before.learners}
    now = {x.name: x for x in after.everyone or after.learners}
    items = after.dropoff  # every item, in roadmap order (as statuses are)
    finished = []
    joined, quiet, again, risk, safe = [], [], [], [], []
    for name, x in now.items():
        old = then.get(name)
        if old is None or old.last_activity is None:
            if x.last_activity is not None:
                joined.append(name)
        was = old.statuses if old is not None else ""
        done = [n for n, code in enumerate(x.statuses) if code == "d" and (n >= len(was) or was[n] != "d")]
        if done:
            finished.append((name, [items[n].title for n in done]))
        if old is None:
            continue
        if x.inactive and not old.inactive and old.last_activity is not None:
            quiet.append(name)
        if old.inactive and not x.inactive and old.last_activity is not None:
            again.append(name)
        rules_then = {f.rule for f in old.flags}
        new_rules = [f.rule for f in x.flags if f.rule not in rules_then]
        if new_rules:
            risk.append((name, new_rules))
        if old.flags and not x.flags:
            safe.append(name)
    left = [name for name in then if name not in now]
    return Digest(before.as_of, finished, joined, quiet, again, risk, safe, left)


def digest_rows(d: Digest, full: bool) -> list[tuple[str, str]]:
    """The digest as (label, text) lines for the text, Markdown and HTML formats (empty: nothing changed)."""

    def names(values: list[str]) -> str:
        shown, more = capped(values, CAP_NAMES, full)
        return ", ".join(shown) + (f" and {more} more" if more else "")

    rows = []
    if d.finished:
        shown, more = capped(d.finished, CAP_NAMES, full)
        text = "; ".join(f"{name}: {', '.join(items)}" for name, items in shown)
        rows.append(("Finished", text + (f"; and {counted(more, 'more learner')}" if more else "")))
    for label, values in (("Joined", d.joined), ("Went quiet", d.went_quiet), ("Active again", d.active_again)):
        if values:
            rows.append((label, names(values)))
    if d.newly_at_risk:
        rows.append(("Newly at risk", names([f"{name} ({', '.join(rules)})" for name, rules in d.newly_at_risk])))
    if d.no_longer_at_risk:
        rows.append(("No longer at risk", names(d.no_longer_at_risk)))
    if d.left:
        rows.append(("No longer in the sources", names(d.left)))
    return rows
