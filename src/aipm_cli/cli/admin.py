"""`aipm users`, `aipm doctor`, `aipm config`."""

from typing import Annotated, Any

import typer

from aipm_cli.cli.options import JsonOpt


def _learners(app: Any) -> list[str]:
    folder = app.layout.learners
    try:
        return sorted(e.name for e in folder.iterdir() if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def users(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The learners here, with percent done."""
    from aipm_cli.errors import AipmError
    from aipm_cli.paths import check_user_name
    from aipm_cli.progress import counts_for

    app = ctx.obj
    roadmap = app.roadmap
    items = [placed.item for placed in roadmap.index.items.values()]
    found: list[dict[str, Any]] = []
    for name in _learners(app):
        info: dict[str, Any] = {"user": name, "folder": str(app.layout.learners / name), "current": name == app.user}
        try:
            check_user_name(name)
            ledger = app.ledger_for(name)
            result = ledger.load()
            if not result.changes:
                continue
            counts = counts_for(roadmap, result.state, items)
            info.update(percent=counts.percent, done=counts.done, readable=not result.problems.damage,
                        changes=result.changes, last_change=result.last_at)  # fmt: skip
        except AipmError as exc:
            info.update(percent=None, done=None, readable=False, error=exc.message, last_change=None)
        found.append(info)
    if json:
        app.emit_json({"roadmap": roadmap.id, "users": found})
        return
    if not found:
        app.say(f"No learners yet in {app.layout.root}. Your first `aipm start` or `aipm done` creates one.")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, padding=(0, 2), pad_edge=False)
    for name, justify in (("", "left"), ("learner", "left"), ("done", "right"), ("last change", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for u in found:
        done = Text(f"{u['percent']:.1f}%") if u["percent"] is not None else Text("unreadable", style="red")
        table.add_row("*" if u["current"] else "", Text(u["user"]), done, (u["last_change"] or "")[:10])
    app.show(lambda c: c.print(table))


def doctor(
    ctx: typer.Context,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Fold every change again and rewrite the caches (migrates an old store).")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Check paths, change logs, caches and the roadmap.

    Exits 1 when something needs attention, and says how to recover.
    """
    import os

    from aipm_cli.errors import AipmError
    from aipm_cli.record.changes import FORMAT

    app = ctx.obj
    problems: list[str] = []
    report: dict[str, Any] = {"data_dir": str(app.layout.root), "config": str(app.layout.config)}
    report["change_format"] = FORMAT
    try:
        report["user"] = app.user
    except AipmError as exc:
        problems.append(exc.message)
    try:
        report["settings"] = {k: app.config.get(k) for k in ("hours_per_week", "roadmap", "user")}
    except AipmError as exc:
        problems.append(exc.message)
    roadmap = None
    try:
        roadmap = app.roadmap
        report["roadmap"] = {"id": roadmap.id, "title": roadmap.title, "version": roadmap.version}
    except AipmError as exc:
        problems.append(" ".join(exc.lines()[:1]))
        report["roadmap"] = None
    report["orphans"] = []
    report["backups"] = []
    report["logs"] = []
    report["damaged_lines"] = []
    report["torn_lines"] = []
    if roadmap is not None and "user" in report:
        try:
            ledger = app.ledger
            report["changes_dir"] = str(ledger.changes_dir)
            report["legacy_store"] = (app.layout.learners / app.user / "progress.json").exists()
            if rebuild:
                result = ledger.rebuild()
                report["rebuilt"] = True
            else:
                result = ledger.load(use_cache=False)  # every line checked, not the cache's word
            report["changes"] = result.changes
            report["in_effect"] = result.in_effect
            for path in ledger.files():
                info = path.stat()
                report["logs"].append({"file": str(path), "bytes": info.st_size, "mode": oct(info.st_mode & 0o777)})
                if info.st_mode & 0o077:
                    problems.append(
                        f"{path} can be read by others (mode {oct(info.st_mode & 0o777)}); run chmod 600 on it."
                    )
            for damage in result.problems.damage:
                report["damaged_lines"].append({"file": str(damage.file), "line": damage.line, "reason": damage.reason})
                problems.append(
                    f"Cannot read {damage}. Writes are stopped until it is fixed: restore the file from a copy "
                    "or move the damaged line out of it (into backups/), then run `aipm doctor --rebuild`."
                )
            for torn in result.problems.torn:
                report["torn_lines"].append({"file": str(torn.file), "offset": torn.offset, "bytes": torn.size})
                problems.append(
                    f"{torn.file} ends in a torn line ({torn.size} bytes, a write cut short); it is ignored and "
                    "moved into backups/ by the next change on that device."
                )
            from aipm_cli.tracker import orphans

            report["orphans"] = orphans(roadmap.index, result.state)
            if ledger.backups.is_dir():
                report["backups"] = sorted(str(p) for p in ledger.backups.iterdir())
            report["cache"] = str(ledger.cache_file)
        except AipmError as exc:
            problems.append(exc.message)
        except OSError as exc:
            problems.append(f"Cannot read {exc.filename}: {exc.strerror}.")
    if report["orphans"]:
        count = len(report["orphans"])
        problems.append(
            f"{count} {'entry' if count == 1 else 'entries'} with progress are not in this roadmap: "
            f"{', '.join(report['orphans'])} (kept, not counted)."
        )
    if not os.access(app.layout.root if app.layout.root.exists() else app.layout.root.parent, os.W_OK):
        problems.append(f"The data directory {app.layout.root} is not writable.")
    report["problems"] = problems
    report["healthy"] = not problems
    if json:
        app.emit_json(report)
    else:
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        rm = report.get("roadmap")
        rows = [
            ("data dir", report["data_dir"]),
            ("learner", report.get("user", "?")),
            ("changes", f"{report.get('changes', 0)} in {len(report['logs'])} log files"
             + (f" ({report.get('in_effect', 0)} in effect)" if report.get("changes") else "")),
            ("logs", report.get("changes_dir", "-")),
            ("config", report["config"]),
            ("roadmap", f"{rm['title']} ({rm['id']} v{rm['version']})" if rm else "unavailable"),
            ("backups", f"{len(report['backups'])}"),
        ]  # fmt: skip
        if report.get("rebuilt"):
            rows.append(("cache", "rebuilt from the change logs"))
        for key, value in rows:
            grid.add_row(key, Text(str(value)))
        app.show(lambda c: c.print(grid))
        if problems:
            for p in problems:
                app.out.print(Text("✗ " + p, style="red"))
        else:
            app.out.print(Text("✓ everything looks healthy", style="green"))
    if problems:
        raise typer.Exit(1)


def config(
    ctx: typer.Context,
    key: Annotated[
        str | None,
        typer.Argument(metavar="KEY", help="A setting: hours_per_week, roadmap, user, name, headline, links."),
    ] = None,
    value: Annotated[str | None, typer.Argument(metavar="VALUE", help="The new value.")] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Go back to the default for KEY.")] = False,
    json: JsonOpt = False,
) -> None:
    """Show or change settings.

    No KEY: list the settings. KEY: print one. KEY VALUE: change it.
    """
    from aipm_cli.config import SETTINGS, check_key
    from aipm_cli.errors import InputError

    app = ctx.obj
    cfg = app.config
    if key is None:
        if json:
            app.emit_json({k: cfg.get(k) for k in SETTINGS})
            return
        from rich.table import Table

        table = Table(box=None, padding=(0, 2), pad_edge=False)
        for name in ("setting", "value", "what it does"):
            table.add_column(name, overflow="fold")
        for k, s in SETTINGS.items():
            shown = cfg.get(k)
            table.add_row(
                k, "" if shown is None else str(shown) + ("" if cfg.is_set(k) else " (default)"), s.description
            )
        app.show(lambda c: c.print(table))
        return
    key = check_key(key.strip().lower().replace("-", "_"))
    if unset:
        cfg.set(key, None)
        app.say(f"[green]✓[/] {key} is back to its default.")
        return
    if value is None:
        shown = cfg.get(key)
        if json:
            app.emit_json({key: shown})
        else:
            typer.echo("" if shown is None else str(shown))
        return
    if key == "roadmap":
        from aipm_cli import catalog

        catalog.load_roadmap_file(catalog.find(value, app.layout.roadmaps))
    if not value.strip():
        raise InputError(f"The value for {key} is empty.", "Use --unset to go back to the default.")
    stored = cfg.set(key, value)
    app.say(f"[green]✓[/] {key} = {stored}")


def register(app: typer.Typer) -> None:

    app.command("config")(config)
    app.command("users")(users)
    app.command("doctor")(doctor)
