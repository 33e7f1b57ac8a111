"""Terminal views. Each takes a rich Console and plain data; none reads files.

Every piece of data goes through render.safe.clean and into a Text: never markup,
never a control sequence.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.padding import Padding
from rich.text import Text

from aipm_cli.render.safe import clean
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from aipm_cli.roadmap.plain import Roadmap
    from aipm_cli.view_data import Forecast, Row, Summary

MARKS = {"done": ("✓", "green"), "in_progress": ("◐", "yellow"), "skipped": ("–", "dim"), "not_started": ("○", "")}
IN_PROGRESS_SHOWN = 5
STATUS_WORDS = {"done": "done", "in_progress": "in progress", "skipped": "skipped", "not_started": "not started"}


def mark(status: str) -> Text:
    symbol, style = MARKS[status]
    return Text(symbol, style=style)


def bar(percent: float, width: int) -> Text:
    """A progress bar drawn with block characters (reads fine without colour)."""
    width = max(width, 4)
    filled = round(percent / 100 * width)
    text = Text("█" * filled, style="green")
    text.append("░" * (width - filled), style="dim")
    return text


def fit(text: str, width: int) -> str:
    """Shorten to `width` at a word boundary, with an ellipsis."""
    if len(text) <= width:
        return text
    cut = text[: width - 1].rstrip()
    if " " in cut and len(cut) - cut.rfind(" ") < 8:
        cut = cut[: cut.rfind(" ")].rstrip(" :,-")
    return cut + "…"


def forecast_lines(f: Forecast) -> list[str]:
    from aipm_cli.estimate import forecast_lines as lines

    return lines(f)


def _heading(text: str) -> Text:
    return Text(text, style="bold")


def status_view(console: Console, s: Summary) -> None:
    width = console.width
    title = Text(clean(s.roadmap["title"]), style="bold")
    title.append(clean(f"  v{s.roadmap['version']}  ·  {s.user}"), style="dim")
    console.print(title)
    c = s.counts
    figures = f"{s.percent:5.1f}%  {c.done}/{c.total - c.skipped} done"
    bar_width = max(10, width - len(figures) - 1)
    line = bar(s.percent, bar_width)
    line.append(" " + figures)
    console.print(line)
    # One counting rule for every figure: units (an item, or each deliverable of a project), so they add up.
    detail = f"{c.in_progress} in progress · {c.not_started} not started · {c.skipped} skipped"
    detail += f", of {counted(c.total, 'unit')}"
    console.print(Text(detail, style="dim"))

    console.print()
    console.print(_heading("Phases"))
    phase_bar = max(6, min(20, width // 5))
    figures_width = 13  # " 100%  12/345"
    longest = max(len(clean(p.title)) for p in s.phases)
    title_width = max(12, min(longest, width - 2 - phase_bar - figures_width - 1))
    for p in s.phases:
        pc = p.counts
        line = Text("  " + fit(clean(p.title), title_width).ljust(title_width) + " ")
        if pc.total and pc.skipped == pc.total:
            line.append("skipped", style="dim")
        else:
            line.append_text(bar(p.percent, phase_bar))
            line.append(f"{p.percent:5.0f}%  {pc.done}/{pc.total - pc.skipped}")
        console.print(line, no_wrap=True, overflow="ellipsis")

    if s.in_progress:
        console.print()
        console.print(_heading("In progress"))
        _item_lines(console, s.in_progress[:IN_PROGRESS_SHOWN])
        hidden = len(s.in_progress) - IN_PROGRESS_SHOWN
        if hidden > 0:
            console.print(Text(f"  and {hidden} more: aipm list --status in_progress", style="dim"))
    console.print()
    console.print(_heading("Next up"))
    if s.next:
        _item_lines(console, s.next)
    else:
        console.print("  Nothing is waiting: every item left needs something in progress first.")
    if c.done == 0 and c.in_progress == 0 and s.next:
        console.print(Text(f"  Start here: aipm start {s.next[0].id}", style="bold"))

    console.print()
    console.print(_heading("Forecast (aipm's estimate)"))
    for text in forecast_lines(s.forecast):
        console.print(Padding(Text(text), (0, 0, 0, 2)))

    console.print()
    weeks = Text(f"  {len(s.weeks)} weeks ago ", style="dim")
    for w in s.weeks:
        weeks.append("■ " if w["active"] else "□ ", style="green" if w["active"] else "dim")
    weeks.append("this week", style="dim")
    weeks.append(f" · active in {s.active_weeks} of {len(s.weeks)}")
    console.print(_heading("Consistency"))
    console.print(weeks)
    study_lines(console, s.study, s.phases)

    if s.certifications:
        console.print()
        console.print(_heading("Certifications"))
        for cert in s.certifications:
            parts = [f"earned {cert.earned_on.isoformat()}" if cert.earned_on else "earned"]
            if cert.expires_on:
                parts.append(("expired " if cert.expired else "expires ") + cert.expires_on.isoformat())
            line = Text("  ")
            line.append_text(mark("done"))
            line.append(f" {clean(cert.title)} ({', '.join(parts)})")
            console.print(line)
    if s.orphans:
        console.print()
        count = len(s.orphans)
        what = "1 entry with progress is" if count == 1 else f"{count} entries with progress are"
        console.print(
            Text(
                f"{what} not in this roadmap version (kept, not counted): {clean(', '.join(s.orphans))}. "
                "See `aipm doctor`.",
                style="yellow",
            )
        )


def _item_lines(console: Console, rows: list[Row]) -> None:
    rows_table(console, rows, tree=False, indent=2, context=True)


LEGEND = "○ not started  ◐ in progress  ✓ done  – skipped"


def entry_lines(
    console: Console,
    indent: int,
    status: str | None,
    title: str,
    ident: str,
    right: str = "",
    style: str = "",
    context: str = "",
) -> list[Text]:
    """One entry: mark, title (and where it sits) and id, wrapped between words with a
    hanging indent (an id never breaks), and `right` (e.g. a duration) at the end of the first line."""
    width = console.width
    lead = indent + (2 if status is not None else 0)
    room = max(10, width - lead - (len(right) + 2 if right else 0))
    body = Text(clean(title), style=style)
    if context:
        body.append(" — " + clean(context), style="italic")
    lines = list(body.wrap(console, room, overflow="fold"))
    ident = clean(ident)
    if ident:
        # The id goes at the end of the last line when it fits there, else on a line of its own, so it
        # is never cut (only an id wider than the whole line is folded).
        last = lines[-1]
        last.rstrip()
        limit = room if len(lines) == 1 else width - lead
        if last.cell_len + 2 + len(ident) <= limit:
            last.append("  " + ident, style="dim")
        else:
            lines += list(Text(ident, style="dim").wrap(console, max(10, width - lead), overflow="fold"))
    out = []
    right = clean(right)
    for number, line in enumerate(lines):
        text = Text(" " * indent)
        if status is not None:
            text.append_text(mark(status) if number == 0 else Text(" "))
            text.append(" ")
        line.rstrip()
        text.append_text(line)
        if number == 0 and right:
            text.append(" " * max(2, width - len(right) - text.cell_len))
            text.append(right, style="dim")
        out.append(text)
    return out


def _print_lines(console: Console, lines: list[Text]) -> None:
    if lines:  # one print: each print has a fixed cost that a long list would pay per line
        console.print(Text("\n").join(lines), no_wrap=True, overflow="ignore", crop=False)


def rows_table(
    console: Console,
    rows: list[Row],
    *,
    tree: bool,
    names: dict[str, list[Any]] | None = None,
    indent: int = 0,
    context: bool = False,
    legend: bool = False,
) -> None:
    """Items with status marks; as a phase -> module -> item tree when `tree`.

    Each entry is the title with its id beside it; a long one wraps between
    words (an id never breaks); its kind and duration sit at the right edge.
    Phases and modules show their ids too (what `aipm done` takes). Outside a
    tree, `context` says where each item sits.
    """
    names = names or {}
    phase = module = None
    indent = 4 if tree else indent
    out: list[Text] = []
    for r in rows:
        if tree and r.phase != phase:
            if phase is not None:
                out.append(Text(""))
            title, duration = names.get(r.phase, [r.phase, None])
            out += entry_lines(console, 0, None, title, r.phase, duration or "", style="bold")
            phase, module = r.phase, None
        if tree and r.module != module:
            title, duration = names.get(r.module, [r.module, None])
            out += entry_lines(console, 2, None, title, r.module, duration or "", style="bold")
            module = r.module
        right = f"{r.kind} · {r.duration}" if r.duration else r.kind
        where = r.context if context and not tree else ""
        out += entry_lines(console, indent, r.status, r.title, r.id, right, context=where)
        for d in r.deliverables or []:
            out += entry_lines(console, indent + 2, d["status"], d["title"], d["id"])
    if legend:
        out += [Text(""), Text(LEGEND, style="dim")]
    _print_lines(console, out)


def _description(console: Console, text: str, indent: int) -> list[Text]:
    """A phase's or module's description, wrapped between words under its heading."""
    if not text:
        return []
    lines = Text(" ".join(text.split()), style="italic dim").wrap(console, max(20, console.width - indent))
    return [Text(" " * indent) + line for line in lines]


def roadmap_tree(console: Console, roadmap: Roadmap, path: str | None = None) -> None:
    """Every phase, module and item with full title, kind and duration."""
    from aipm_cli.wording import count

    head = Text(clean(roadmap.title), style="bold")
    head.append(clean(f"  {roadmap.id} v{roadmap.version}"), style="dim")
    console.print(head)
    if path:
        console.print(Text(clean(path), style="dim"))
    index = roadmap.index
    console.print(
        Text(
            f"{count(len(roadmap.phases), 'phase')} · {count(len(index.modules), 'module')} · "
            f"{count(len(index.items), 'item')} · {count(len(index.deliverables), 'deliverable')} · "
            f"{count(len(roadmap.skills), 'skill')}",
            style="dim",
        )
    )
    # What the roadmap is, what it is taken from, and what its authors chose: a learner
    # reading the tree should not need the sources to tell the two apart.
    if roadmap.description:
        console.print()
        console.print(Padding(Text(clean(" ".join(roadmap.description.split()))), (0, 0, 0, 0)))
    if roadmap.sources:
        console.print()
        console.print(_heading("Sources"))
        for number, source in enumerate(roadmap.sources, 1):
            line = f"{number}. {source.title}"
            if source.author:
                line += f", {source.author}"
            if source.url:
                line += f" <{source.url}>"
            console.print(Padding(Text(clean(line)), (0, 0, 0, 2)))
            if source.description:
                console.print(Padding(Text(clean(" ".join(source.description.split())), style="dim"), (0, 0, 0, 5)))
    if roadmap.assumptions:
        console.print()
        console.print(_heading("aipm's assumptions (where the sources are silent)"))
        for assumption in roadmap.assumptions:
            console.print(Padding(Text(clean("• " + " ".join(assumption.split()))), (0, 0, 0, 2)))
    out: list[Text] = []
    for phase in roadmap.phases:
        out.append(Text(""))
        out += entry_lines(console, 0, None, phase.title, phase.id, f"phase  {phase.duration or '':>10}", "bold")
        out += _description(console, phase.description, 2)
        for module in phase.modules:
            right = f"module  {module.duration or '':>10}"
            out += entry_lines(console, 2, None, module.title, module.id, right, "bold")
            out += _description(console, module.description, 4)
            for item in module.items:
                out += entry_lines(console, 4, None, item.title, item.id, f"{item.kind}  {item.duration or '':>10}")
                for d in item.deliverables:
                    out += entry_lines(console, 6, None, d.title, d.id, f"deliverable  {'':>10}")
    _print_lines(console, out)
    if roadmap.skills:
        console.print()
        console.print(_heading("Skills"))
        for skill in roadmap.skills:
            console.print(Text(clean(f"  {skill.title} ({skill.id})")))
    if roadmap.success_metrics:
        console.print()
        console.print(_heading("Success metrics"))
        for metric in roadmap.success_metrics:
            console.print(Text(clean(f"  {metric.title}: " + ", ".join(metric.measures))))


HEAT = " ░▒▓█"  # no time, then quarters of the day's share of the weekly goal (and more)


def study_lines(console: Console, study: dict[str, Any], phases: list[Any]) -> None:
    """`status`: study time, when any was logged or a session runs (see study.status_block)."""
    if not study or not (study.get("total_minutes") or study.get("running")):
        return
    from aipm_cli.study import spent_text
    from aipm_cli.wording import count

    console.print()
    console.print(_heading("Study time"))
    for run in study.get("running", ()):
        since = run["began"][:16].replace("T", " ")
        console.print(Text(clean(f"  running: {run['item']} since {since} UTC (on {run['device']})")))
    goal = study.get("goal_minutes") or 0
    console.print(
        f"  this week {spent_text(study.get('week_minutes', 0))} of {spent_text(goal)}"
        f" · all time {spent_text(study['total_minutes'])} in {count(study['sessions'], 'session')}"
    )
    if study.get("weeks"):
        console.print(
            f"  goal met in {study['weeks_met']} of the last {count(len(study['weeks']), 'week')}"
            f" · last four weeks' average {spent_text(study['average_minutes'])} a week"
        )
    days = study.get("days") or []
    if days:
        daily_goal = max(1, goal / 7)
        heat = Text("  ")
        for day in days:
            minutes = day["minutes"]
            level = 0 if not minutes else min(4, 1 + int(minutes / daily_goal * 3))
            heat.append(HEAT[level] if level else "·", style="green" if level else "dim")
        zone = clean(study.get("timezone", "UTC"))
        heat.append(f"  the last {count(len(days), 'day')}, to {days[-1]['day']} ({zone})", style="dim")
        console.print(heat)
    by_phase = study.get("phases") or {}
    for p in phases:
        if by_phase.get(p.id):
            console.print(Text(clean(f"  {spent_text(by_phase[p.id]):>7}  {p.title}")))


def day_view(console: Console, data: dict[str, Any]) -> None:
    """`aipm today` and the terminal UI's day screen (study.today_view's data)."""
    from aipm_cli.render.safe import text as safe
    from aipm_cli.study import spent_text as _spent

    console.print(Text(f"Today, {data['today']} ({data['timezone']})", style="bold"))
    for run in data["running"]:
        where = "" if run["this_machine"] else f" on {run['device']}"
        line = Text("  studying ")
        line.append_text(safe(f"{run['title']} ({run['item']})"))
        line.append(f" for {_spent(run['minutes'])}{where}")
        console.print(line)
    console.print(
        f"  studied {_spent(data['studied_today_minutes'])} today (your share: {_spent(data['share_minutes'])}); "
        f"this week {_spent(data['week']['minutes'])} of {_spent(data['goal_minutes'])}"
    )
    reviews = data["reviews"]
    if reviews["on"]:
        console.print()
        if reviews["due"]:
            console.print(f"Review ({len(reviews['due'])} due; `aipm review ITEM good` when done):")
            for entry in reviews["due"][:5]:
                console.print(safe(f"  {entry['title']} ({entry['id']})"))
            if len(reviews["due"]) > 5:
                console.print(f"  and {len(reviews['due']) - 5} more: aipm review")
        else:
            console.print("Nothing to review today.")
    if data["in_progress"]:
        console.print()
        console.print("In progress:")
        for entry in data["in_progress"][:5]:
            console.print(safe(f"  {entry['title']} ({entry['id']})"))
    if data["next"]:
        console.print()
        console.print("Fits today:")
        for entry in data["next"]:
            line = safe(f"  {entry['title']} ({entry['id']})")
            line.append(f"  ~{entry['hours']:g} h", style="dim")
            console.print(line)


def review_view(console: Console, data: dict[str, Any], every: bool) -> None:
    """`aipm review`: what is due (or every item in the schedule) with its module and due date."""
    from aipm_cli.render.safe import text as safe

    if not data["on"]:
        console.print("Spaced review is off (`aipm review --on` turns it on).")
        return
    if not data["due"]:
        if data["scheduled"]:
            from aipm_cli.wording import count

            scheduled = count(data["scheduled"], "finished item")
            console.print(f"Nothing to review today; {scheduled} in the schedule (see --all).")
        else:
            console.print("Nothing to review yet: finished topics, courses and resources come back here.")
        return
    what = "In the schedule" if every else "Due for review"
    console.print(f"{what} ({len(data['due'])}); rate each with `aipm review ITEM again|hard|good|easy`:")
    for entry in data["due"]:
        line = Text("  " + ("● " if entry["is_due"] else "○ "))
        line.append_text(safe(f"{entry['title']} ({entry['id']})"))
        line.append_text(safe(f"  {entry['module_title']} · due {entry['due'][:10]}", "dim"))
        console.print(line)


def item_view(console: Console, data: dict[str, Any]) -> None:
    """`aipm show`: one item in full."""
    head = Text(clean(data["title"]), style="bold")
    head.append(clean(f"  {data['id']}"), style="dim")
    console.print(head)
    from rich.table import Table  # (only the views that draw tables pay for importing them)

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    status = Text()
    status.append_text(mark(data["status"]))
    status.append(" " + STATUS_WORDS[data["status"]])
    for key in ("started_on", "completed_on", "skipped_on"):
        if data.get(key):
            status.append(clean(f" · {key.split('_')[0]} {data[key]}"))
    grid.add_row("status", status)
    if data.get("minutes_studied"):
        from aipm_cli.study import spent_text

        grid.add_row("studied", Text(spent_text(data["minutes_studied"])))
    if data.get("skip_reason"):
        grid.add_row("skip reason", Text(clean(data["skip_reason"])))
    where = data["phase_title"] + " › " + data["module_title"]
    # A priority only where the roadmap gives one (the bundled roadmap's sources rank nothing).
    kind = f"{data['kind']} · {data['priority']}" if data.get("priority") else data["kind"]
    grid.add_row("kind", Text(clean(kind)))
    grid.add_row("in", Text(clean(where)))
    if data.get("project"):
        grid.add_row("project", Text(clean(f"{data.get('project_title') or data['project']} ({data['project']})")))
    for key in ("provider", "author", "duration", "url"):
        if data.get(key):
            grid.add_row(key, Text(clean(data[key])))
    # A bare title ("Transparency") needs context: the item's own description, else what its
    # module says (labelled, so it is not read as the item's own), else its phase; a phase's
    # paragraph is not repeated on each of its items when the module says something.
    if data.get("description"):
        grid.add_row("about", Text(clean(data["description"])))
    elif data.get("module_description"):
        grid.add_row("module", Text(clean(data["module_description"])))
    elif data.get("phase_description"):
        grid.add_row("phase", Text(clean(data["phase_description"])))
    if data.get("done_means"):
        means = Text(clean(data["done_means"]))
        means.append("  (aipm's reading)", style="dim")
        grid.add_row("done means", means)
    if data.get("assumption"):
        grid.add_row("aipm's note", Text(clean(data["assumption"])))
    if data.get("module_assumption"):
        grid.add_row("on the module", Text(clean("aipm's note: " + data["module_assumption"])))
    if data.get("phase_assumption"):
        grid.add_row("on the phase", Text(clean("aipm's note: " + data["phase_assumption"])))
    if data["requires"]:
        req = Text()
        for i, r in enumerate(data["requires"]):
            if i:
                req.append("\n")
            req.append_text(mark(r["status"]))
            req.append(clean(f" {r['title']} ({r['id']})"))
        grid.add_row("requires", req)
    if data["skills"]:
        builds = Text(clean(", ".join(s["title"] for s in data["skills"])))
        builds.append("  (aipm's reading of the sources)", style="dim")
        grid.add_row("builds", builds)
    if data["outcomes"]:
        grid.add_row("outcomes", Text("\n".join("• " + clean(o) for o in data["outcomes"])))
    cert = data.get("certification")
    if cert:
        parts = [f"earned {cert['earned_on']}" if cert.get("earned_on") else None,
                 f"credential {cert['credential']}" if cert.get("credential") else None,
                 f"expires {cert['expires_on']}" if cert.get("expires_on") else None]  # fmt: skip
        grid.add_row("certificate", Text(clean(" · ".join(p for p in parts if p))))
    console.print(grid)
    if data.get("deliverables"):
        console.print()
        console.print(_heading("Deliverables"))
        for d in data["deliverables"]:
            line = Text("  ")
            line.append_text(mark(d["status"]))
            line.append(clean(f" {d['title']}"))
            line.append(clean(f"  {d['id']}"), style="dim")
            started, status = d.get("started_on"), d["status"]
            when = STATUS_WORDS.get(status, status)
            if status == "done" and d.get("completed_on"):
                when = f"done {d['completed_on']}" + (
                    f" (started {started})" if started and started != d["completed_on"] else ""
                )
            elif status == "in_progress" and started:
                when = f"in progress since {started}"
            elif status == "skipped" and d.get("skipped_on"):
                when = f"skipped {d['skipped_on']}"
            line.append(clean(f"\n      {when}"), style="dim")
            for e in d.get("evidence") or ():
                line.append(clean(f"\n      evidence {e['on']}  {e['text']}"))
            console.print(line)
    if data.get("links"):
        console.print()
        console.print(_heading("Links"))
        for link in data["links"]:
            console.print(Padding(Text(clean(f"{link['title']} ({link['type']}): {link['url']}")), (0, 0, 0, 2)))
    for key, label in (("notes", "Notes"), ("evidence", "Evidence")):
        if data.get(key):
            console.print()
            console.print(_heading(label))
            _numbered(console, data[key], data.get(f"earlier_{key}", 0), key)
    if data.get("history"):
        console.print()
        console.print(_heading("History"))
        for h in data["history"]:
            console.print(Padding(change_line(h), (0, 0, 0, 2)))


def _numbered(console: Any, entries: list[dict[str, Any]], earlier: int, key: str) -> None:
    """Notes or evidence numbered as `note --remove N` takes them; older ones counted, not listed."""
    from aipm_cli.wording import count

    if earlier:
        what = count(earlier, "earlier note" if key == "notes" else "earlier evidence entry")
        console.print(Padding(Text(f"{what} (`aipm export` lists every one)", style="dim"), (0, 0, 0, 2)))
    for number, n in enumerate(entries, earlier + 1):
        console.print(Padding(Text(clean(f"{number}. {n['on']}  {n['text']}")), (0, 0, 0, 2)))


def _change_parts(e: dict[str, Any], titles: bool) -> tuple[str, str, list[str], str]:
    """What `log` shows of one change: what happened, the italic extras (note, reason), and where it was recorded.

    Shared by the rich line (a terminal) and the plain one (a pipe or a file), so both say the same.
    """
    if e.get("skill"):
        what = f"{e['skill']} → {e['level']}"
    elif e["action"] in ("undo", "redo"):
        what = f"of {e['about']}" if e.get("about") else f"of change {e.get('target', '?')}"
    elif e["action"] == "import":
        from aipm_cli.wording import count

        number = e.get("count")
        changes = count(number, "change") if isinstance(number, int) else "changes"
        what = f"{changes} from {e.get('source') or 'an export'}"
    elif e["action"] == "restore":
        what = "progress carried over from the old store"
    elif titles and e.get("titles"):
        what = ", ".join(f"{t} ({i})" if t != i else i for t, i in zip(e["titles"], e["items"], strict=False))
    else:
        what = ", ".join(e["items"])
    extras = [clean(e[key]) for key in ("note", "reason") if e.get(key)]
    recorded = str(e["at"])[:16].replace("T", " ")
    # A change recorded for an earlier date (--on) says so: that is why the dates on the left may jump.
    backdated = ", for an earlier date" if str(e["on"]) < recorded[:10] else ""
    where = f"recorded {recorded} on {e.get('device', '?')}{backdated}"
    return clean(what), clean(where), extras, clean(str(e["on"]))


def change_line(e: dict[str, Any], titles: bool = False) -> Table:
    """One change: the date it is for, what happened, when and where it was recorded (a hanging indent)."""
    what, recorded, extras, on = _change_parts(e, titles)
    body = Text()
    body.append(e["action"], style="bold" if not e.get("undone") else "dim")
    body.append(f"  {what}")
    if e.get("undone"):
        body.append("  (undone)", style="yellow")
    for extra in extras:
        body.append(f" — {extra}", style="italic")
    body.append("\n" + recorded, style="dim")
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text(on), body)
    return grid


def change_text(e: dict[str, Any], titles: bool = False, width: int | None = None) -> str:
    """One change as plain lines (a pipe or a file): the terminal's words, the hanging indent kept, folded
    at words to `width` when one is given (COLUMNS set), else unwrapped.

    Drawing a rich table per change cost about a millisecond; this is a string join.
    """
    what, recorded, extras, on = _change_parts(e, titles)
    body = f"{e['action']}  {what}"
    if e.get("undone"):
        body += "  (undone)"
    for extra in extras:
        body += f" — {extra}"
    pad = " " * (len(on) + 2)
    lines = f"{body}\n{recorded}".split("\n")
    if width is not None and any(len(line) + len(pad) > width for line in lines):
        import textwrap

        room = max(width - len(pad), 10)
        lines = [part for line in lines for part in textwrap.wrap(line, room, break_on_hyphens=False) or [""]]
    return f"{on}  " + ("\n" + pad).join(line.rstrip() for line in lines) + "\n"


def group_view(console: Console, data: dict[str, Any], names: dict[str, list[Any]]) -> None:
    """`aipm show` on a module or phase: its description, notes and items."""
    from aipm_cli.view_data import Row

    head = Text(clean(data["title"]), style="bold")
    head.append(clean(f"  {data['kind']} {data['id']} · {data['percent']:.0f}% done"), style="dim")
    if data.get("minutes_studied"):
        from aipm_cli.study import spent_text

        head.append(f" · {spent_text(data['minutes_studied'])} studied", style="dim")
    console.print(head)
    if data.get("description"):
        console.print(Text(clean(data["description"])))
    if data.get("assumption"):
        console.print(Text(clean("aipm's note: " + data["assumption"]), style="dim"))
    if data.get("notes"):
        console.print(_heading("Notes"))
        _numbered(console, data["notes"], data.get("earlier_notes", 0), "notes")
    console.print()
    from aipm_cli.plainclass import fields

    rows = []
    known = fields(Row)
    for r in data["items"]:
        values = dict(r)
        for key in ("started_on", "completed_on", "skipped_on"):
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        rows.append(Row(**{k: v for k, v in values.items() if k in known}))
    rows_table(console, rows, tree=data["kind"] == "phase", names=names)


def log_view(console: Console, entries: list[dict[str, Any]]) -> None:
    """`aipm log`: newest first, two lines a change."""
    if not entries:
        console.print("No changes yet.")
        return
    for e in entries:
        console.print(change_line(e, titles=True))


def skills_view(console: Console, views: list[Any], full: bool = False) -> None:
    """`aipm skills`: rating, change and coverage per skill area; `full` adds what each area covers."""
    from rich import box
    from rich.table import Table

    from aipm_cli.roadmap.vocabulary import LEVELS

    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, show_edge=False)
    table.add_column("skill", ratio=1, overflow="fold")
    table.add_column("rating", no_wrap=True)
    table.add_column("change", no_wrap=True, justify="right")
    table.add_column("items done", no_wrap=True, justify="right")
    for v in views:
        if v.rating is None:
            rating = Text("not rated", style="dim")
            change = ""
        else:
            rating = Text("●" * v.rating, style="green")
            rating.append("○" * (5 - v.rating), style="dim")
            rating.append(f" {v.rating} {LEVELS[v.rating][0]}")
            change = f"{v.change:+d}" if v.change else "±0"
        cov = v.coverage
        name = Text(clean(v.title))
        name.append(f"\n{clean(v.id)}", style="dim")  # the id `aipm assess` takes
        table.add_row(name, rating, change, f"{cov['done']}/{cov['total']}")
    console.print(table)
    if full:
        for v in views:
            console.print()
            head = Text(v.title, style="bold")
            head.append(f"  {v.id}", style="dim")
            console.print(head)
            if v.description:
                console.print(Padding(Text(v.description), (0, 0, 0, 2)))
            for bullet in v.includes:
                console.print(Padding(Text("• " + bullet), (0, 0, 0, 2)))
            if v.assumption:
                console.print(Padding(Text("aipm's note: " + v.assumption, style="dim"), (0, 0, 0, 2)))
    if all(v.rating is None for v in views):
        console.print(
            Text("Rate yourself with `aipm assess SKILL LEVEL`, e.g. aipm assess product-management 2.", style="dim")
        )


def plan_view(console: Console, plan: Any, limit: int | None = None) -> None:
    """`aipm plan`: items with start and end dates, and the finish date (`limit`: only the first items
    are listed; the totals stay those of the whole plan).

    Drawn as lines rather than a rich Table: a plan has a hundred rows, and a
    Table measures every cell twice (most of what the command cost).
    """
    if not plan.items:
        console.print("Nothing left to plan: every item is done or skipped.")
        return

    shown = plan.items[:limit] if limit is not None else plan.items
    # Narrow terminals leave out the end dates (the next start says them) and put the hours after the
    # id, so that ids fit whole.
    narrow = console.width < 80
    gap = " " * 3
    # Whole hours: the estimate behind them is a range, not a decimal.
    hours = [f"{round(item.hours)}" if item.hours >= 0.5 else "<1" for item in shown]
    hours_width = max(len("hours"), *(len(h) for h in hours))
    dates_width = len("2026-01-01") * (1 if narrow else 2) + (0 if narrow else len(gap))
    entries = []
    for item, spent in zip(shown, hours, strict=True):
        entry = Text(clean(item.title))
        if item.context:
            entry.append(" — " + clean(item.context), style="italic")
        entry.append("  " + clean(item.id), style="dim")
        if narrow:
            entry.append(f" · {spent} h", style="dim")
        entries.append(entry)
    # The item column takes the room left, up to its widest entry (as a table would); in a very
    # narrow terminal it shrinks and folds rather than run past the edge.
    room = console.width - dates_width - len(gap) - (0 if narrow else len(gap) + hours_width)
    room = max(4, min(room, max(len("item"), *(e.cell_len for e in entries))))
    head = Text("start".ljust(10), style="bold") + gap
    if not narrow:
        head += Text("end".ljust(10), style="bold") + gap
    head += Text("item".ljust(room), style="bold")
    if not narrow:
        head += Text(gap) + Text("hours".rjust(hours_width), style="bold")
    lines = [head, Text("─" * head.cell_len)]
    for item, spent, entry in zip(shown, hours, entries, strict=True):
        wrapped = list(entry.wrap(console, room, overflow="fold"))
        for number, part in enumerate(wrapped):
            part.rstrip()
            if number == 0:
                line = Text(item.start.isoformat()) + gap
                if not narrow:
                    line += item.end.isoformat() + gap
            else:
                line = Text(" " * (dates_width + len(gap)))
            line += part
            if number == 0 and not narrow:
                line += " " * (room - part.cell_len) + gap + spent.rjust(hours_width)
            lines.append(line)
    if len(shown) < len(plan.items):
        lines.append(Text(f"… and {len(plan.items) - len(shown)} more (without --limit: every one)", style="dim"))
    _print_lines(console, lines)
    for number, text in enumerate(plan_summary(plan)):
        console.print(Text(text, style="bold" if number == 0 else ""))


def plan_summary(plan: Any) -> list[str]:
    """What the plan adds up to, as aipm's estimate in ranges (the dates above use each range's middle)."""
    from aipm_cli.estimate import hours, month_range, origin_of
    from aipm_cli.wording import count

    origin = origin_of(plan.source_hours, plan.default_hours, plan.reference_hours_per_week)
    lines = [f"aipm's estimate: {count(len(plan.items), 'item')}, {hours(*plan.hours_range)} of study = {origin}."]
    if plan.finish_range is not None:
        lines.append(
            f"At {plan.hours_per_week:g} h a week: done {month_range(*plan.finish_range)}. "
            "The dates above take the middle of each item's range."
        )
    if plan.ongoing:
        lines.append(
            f"Not scheduled: {count(len(plan.ongoing), 'ongoing habit or community', 'ongoing habits and communities')}"
            " (no end date); keep them up alongside and mark each done once it is part of how you work."
        )
    return lines
