"""Lists and one thing in full: item rows and the roadmap tree (`list`, `next`, `roadmap show`), `show` on
an item, a module or a phase, and `skills`."""

from __future__ import annotations

from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any

from rich.padding import Padding
from rich.text import Text

from aipm_cli.render.entries import (
    LEGEND,
    STATUS_WORDS,
    description,
    entry_lines,
    heading,
    mark,
    print_lines,
    print_rows,
    print_unbroken,
)
from aipm_cli.render.history import print_change
from aipm_cli.render.safe import clean

if TYPE_CHECKING:
    from rich.console import Console

    from aipm_cli.roadmap.plain import Roadmap
    from aipm_cli.view_data import Row


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
    print_lines(console, out)


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
        console.print(heading("Sources"))
        for number, source in enumerate(roadmap.sources, 1):
            line = f"{number}. {source.title}"
            if source.author:
                line += f", {source.author}"
            if source.url:
                line += f" <{source.url}>"
            print_unbroken(console, clean(line), 2)
            if source.description:
                console.print(Padding(Text(clean(" ".join(source.description.split())), style="dim"), (0, 0, 0, 5)))
    if roadmap.assumptions:
        console.print()
        # The authors' choices: aipm's in the bundled roadmap, yours in your own (which may name no source).
        where = " (where its sources are silent)" if roadmap.sources else ""
        console.print(heading(f"The roadmap's assumptions{where}"))
        for assumption in roadmap.assumptions:
            console.print(Padding(Text(clean("• " + " ".join(assumption.split()))), (0, 0, 0, 2)))
    out: list[Text] = []
    for phase in roadmap.phases:
        out.append(Text(""))
        out += entry_lines(console, 0, None, phase.title, phase.id, f"phase  {phase.duration or '':>10}", "bold")
        out += description(console, phase.description, 2)
        for module in phase.modules:
            right = f"module  {module.duration or '':>10}"
            out += entry_lines(console, 2, None, module.title, module.id, right, "bold")
            out += description(console, module.description, 4)
            for item in module.items:
                out += entry_lines(console, 4, None, item.title, item.id, f"{item.kind}  {item.duration or '':>10}")
                for d in item.deliverables:
                    out += entry_lines(console, 6, None, d.title, d.id, f"deliverable  {'':>10}")
    print_lines(console, out)
    if roadmap.skills:
        console.print()
        console.print(heading("Skills"))
        for skill in roadmap.skills:
            console.print(Text(clean(f"  {skill.title} ({skill.id})")))
    if roadmap.success_metrics:
        console.print()
        console.print(heading("Success metrics"))
        for metric in roadmap.success_metrics:
            console.print(Text(clean(f"  {metric.title}: " + ", ".join(metric.measures))))


def item_view(console: Console, data: dict[str, Any], zone: tzinfo | None = None) -> None:
    """`aipm show`: one item in full (its history recorded at times in the learner's `zone`)."""
    head = Text(clean(data["title"]), style="bold")
    head.append(clean(f"  {data['id']}"), style="dim")
    console.print(head)
    grid: list[tuple[str, Text]] = []  # label, value: print_rows keeps a long URL whole
    status = Text()
    status.append_text(mark(data["status"]))
    status.append(" " + STATUS_WORDS[data["status"]])
    for key in ("started_on", "completed_on", "skipped_on"):
        if data.get(key):
            status.append(clean(f" · {key.split('_')[0]} {data[key]}"))
    grid.append(("status", status))
    if data.get("minutes_studied"):
        from aipm_cli.study import spent_text

        grid.append(("studied", Text(spent_text(data["minutes_studied"]))))
    if data.get("skip_reason"):
        grid.append(("skip reason", Text(clean(data["skip_reason"]))))
    where = data["phase_title"] + " › " + data["module_title"]
    # A priority only where the roadmap gives one (the bundled roadmap's sources rank nothing).
    kind = f"{data['kind']} · {data['priority']}" if data.get("priority") else data["kind"]
    grid.append(("kind", Text(clean(kind))))
    grid.append(("in", Text(clean(where))))
    if data.get("project"):
        grid.append(("project", Text(clean(f"{data.get('project_title') or data['project']} ({data['project']})"))))
    for key in ("provider", "author", "duration", "url"):
        if data.get(key):
            grid.append((key, Text(clean(data[key]))))
    # A bare title ("Transparency") needs context: the item's own description, else what its
    # module says (labelled, so it is not read as the item's own), else its phase; a phase's
    # paragraph is not repeated on each of its items when the module says something.
    if data.get("description"):
        grid.append(("about", Text(clean(data["description"]))))
    elif data.get("module_description"):
        grid.append(("module", Text(clean(data["module_description"]))))
    elif data.get("phase_description"):
        grid.append(("phase", Text(clean(data["phase_description"]))))
    if data.get("done_means"):
        means = Text(clean(data["done_means"]))
        means.append("  (aipm's reading)", style="dim")
        grid.append(("done means", means))
    if data.get("assumption"):
        grid.append(("aipm's note", Text(clean(data["assumption"]))))
    if data.get("module_assumption"):
        grid.append(("on the module", Text(clean("aipm's note: " + data["module_assumption"]))))
    if data.get("phase_assumption"):
        grid.append(("on the phase", Text(clean("aipm's note: " + data["phase_assumption"]))))
    if data["requires"]:
        req = Text()
        for i, r in enumerate(data["requires"]):
            if i:
                req.append("\n")
            req.append_text(mark(r["status"]))
            req.append(clean(f" {r['title']} ({r['id']})"))
        grid.append(("requires", req))
    if data["skills"]:
        builds = Text(clean(", ".join(s["title"] for s in data["skills"])))
        if data.get("skills_note"):
            builds.append(clean(f"  ({data['skills_note']})"), style="dim")
        grid.append(("builds", builds))
    if data["outcomes"]:
        grid.append(("outcomes", Text("\n".join("• " + clean(o) for o in data["outcomes"]))))
    cert = data.get("certification")
    if cert:
        parts = [f"earned {cert['earned_on']}" if cert.get("earned_on") else None,
                 f"credential {cert['credential']}" if cert.get("credential") else None,
                 f"expires {cert['expires_on']}" if cert.get("expires_on") else None]  # fmt: skip
        grid.append(("certificate", Text(clean(" · ".join(p for p in parts if p)))))
    print_rows(console, grid)
    if data.get("deliverables"):
        console.print()
        console.print(heading("Deliverables"))
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
            console.print(line)
            for e in d.get("evidence") or ():
                print_unbroken(console, clean(f"evidence {e['on']}  {e['text']}"), 6)
    if data.get("links"):
        console.print()
        console.print(heading("Links"))
        for link in data["links"]:
            print_unbroken(console, clean(f"{link['title']} ({link['type']}): {link['url']}"), 2)
    for key, label in (("notes", "Notes"), ("evidence", "Evidence")):
        if data.get(key):
            console.print()
            console.print(heading(label))
            _numbered(console, data[key], data.get(f"earlier_{key}", 0), key)
    if data.get("history"):
        console.print()
        console.print(heading(f"History (times in {zone})" if zone is not None else "History"))
        for h in data["history"]:
            print_change(console, h, 2, zone=zone)


def _numbered(console: Any, entries: list[dict[str, Any]], earlier: int, key: str) -> None:
    """Notes or evidence numbered as `note --remove N` takes them; older ones counted, not listed."""
    from aipm_cli.wording import count

    if earlier:
        what = count(earlier, "earlier note" if key == "notes" else "earlier evidence entry")
        console.print(Padding(Text(f"{what} (`aipm export` lists every one)", style="dim"), (0, 0, 0, 2)))
    for number, n in enumerate(entries, earlier + 1):
        print_unbroken(console, clean(f"{number}. {n['on']}  {n['text']}"), 2)


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
        console.print(heading("Notes"))
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


def backups_view(console: Console, found: list[dict[str, Any]]) -> None:
    """`aipm backups`: each backup's name on a line of its own (what `aipm restore` takes, folded only
    when wider than the terminal), then what it is, whose, and since when: readable at any width."""
    for number, b in enumerate(found):
        if number:
            console.print()
        console.print(Text(clean(b["name"]), style="bold"), overflow="fold")
        line = f"{b['kind']} · {b['user']} · kept since {b['modified'][:10]}"
        console.print(Padding(Text(clean(line)), (0, 0, 0, 2)))
