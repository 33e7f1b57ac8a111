"""`aipm users`, `aipm doctor`, `aipm config`."""

from typing import Annotated

import typer

from aipm_cli.cli.options import JsonOpt


def users(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The learners here, with percent done."""
    app = ctx.obj
    roadmap = app.roadmap
    found = app.learner.users()
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
    app = ctx.obj
    report = app.learner.doctor(rebuild=rebuild)
    problems = report["problems"]
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

        catalog.load_roadmap_file(catalog.find(value, app.layout.roadmaps, app.layout.cache))
    if not value.strip():
        raise InputError(f"The value for {key} is empty.", "Use --unset to go back to the default.")
    stored = cfg.set(key, value)
    app.say(f"[green]✓[/] {key} = {stored}")


def register(app: typer.Typer) -> None:

    app.command("config")(config)
    app.command("users")(users)
    app.command("doctor")(doctor)
