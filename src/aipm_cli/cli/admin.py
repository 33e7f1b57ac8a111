"""`aipm users`, `aipm doctor`, `aipm config`."""

from typing import Annotated, Any

import typer

from aipm_cli.cli.options import JsonOpt


def users(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The learners here, with percent done."""
    from aipm_cli.errors import AipmError
    from aipm_cli.models import RoadmapProgress
    from aipm_cli.progress import counts_for
    from aipm_cli.store import Store

    app = ctx.obj
    roadmap = app.roadmap
    items = [placed.item for placed in roadmap.index.items.values()]
    found: list[dict[str, Any]] = []
    folder = app.layout.learners
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        path = entry / "progress.json"
        if not path.exists() and not path.is_symlink():
            continue
        info: dict[str, Any] = {"user": entry.name, "store": str(path), "current": entry.name == app.user}
        try:
            doc = Store(path, entry.name).load()
            progress = doc.roadmaps.get(roadmap.id) or RoadmapProgress()
            counts = counts_for(roadmap, progress, items)
            info.update(percent=counts.percent, done=counts.done, readable=True,
                        last_change=progress.history[-1].at.isoformat() if progress.history else None)  # fmt: skip
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

    table = Table(box=None, padding=(0, 2), pad_edge=False)
    for name, justify in (("", "left"), ("learner", "left"), ("done", "right"), ("last change", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for u in found:
        done = f"{u['percent']:.1f}%" if u["readable"] else "[red]unreadable[/]"
        table.add_row("*" if u["current"] else "", u["user"], done, (u["last_change"] or "")[:10])
    app.show(lambda c: c.print(table))


def doctor(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Check paths, store and roadmap health.

    Exits 1 when something needs attention.
    """
    import os

    from aipm_cli.errors import AipmError
    from aipm_cli.history import History
    from aipm_cli.store import SCHEMA_VERSION, decode

    app = ctx.obj
    problems: list[str] = []
    report: dict[str, Any] = {"data_dir": str(app.layout.root), "config": str(app.layout.config)}
    try:
        report["user"] = app.user
        store = app.store
        report["store"] = str(store.path.absolute())
        report["store_exists"] = store.path.exists()
        report["store_is_symlink"] = store.path.is_symlink()
    except AipmError as exc:
        problems.append(exc.message)
        store = None
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
    report["schema_version"] = None
    report["known_schema_version"] = SCHEMA_VERSION
    report["orphans"] = []
    report["backups"] = []
    if store is not None:
        report["backups"] = [{"path": str(p), "history": n} for p, n in store.list_backups()]
        if store.path.exists():
            mode = store.path.stat().st_mode & 0o777
            report["store_mode"] = oct(mode)
            if mode & 0o077:
                problems.append(f"{store.path} can be read by others (mode {oct(mode)}); run chmod 600 on it.")
            try:
                doc, version = decode(store.path.read_bytes(), store.path)
                report["schema_version"] = version
                report["history_entries"] = doc.history_size()
                for progress in doc.roadmaps.values():  # every history entry, not only those commands read
                    if isinstance(progress.history, History):
                        progress.history.validate_all()
                if roadmap is not None and roadmap.id in doc.roadmaps:
                    from aipm_cli.tracker import orphans, reconcile

                    progress = doc.roadmaps[roadmap.id]
                    report["recorded_roadmap_version"] = progress.roadmap_version
                    reconcile(roadmap, progress)
                    report["orphans"] = orphans(roadmap, progress)
            except AipmError as exc:
                problems.append(exc.message)
            except OSError as exc:
                problems.append(f"Cannot read {store.path}: {exc.strerror}.")
        if store.lock_path.exists():
            report["lock"] = str(store.lock_path)
    if report["orphans"]:
        problems.append(
            f"{len(report['orphans'])} item(s) with progress are not in this roadmap: "
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
            ("store", report.get("store", "?") + (" (symlink)" if report.get("store_is_symlink") else "")
             + ("" if report.get("store_exists") else " (not created yet)")),
            ("schema", f"{report['schema_version'] or '-'} (this aipm: {SCHEMA_VERSION})"),
            ("config", report["config"]),
            ("roadmap", f"{rm['title']} ({rm['id']} v{rm['version']})" if rm else "unavailable"),
            ("backups", f"{len(report['backups'])}"
             + (f", newest {report['backups'][0]['path']}" if report["backups"] else "")),
        ]  # fmt: skip
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
    key: Annotated[str | None, typer.Argument(metavar="KEY", help="A setting: hours_per_week, roadmap, user.")] = None,
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
