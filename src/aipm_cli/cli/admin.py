"""`aipm users`, `aipm doctor`, `aipm config`, `aipm backups`, `aipm restore`."""

import os
from typing import Annotated, Any

import typer

from aipm_cli import doctor as health
from aipm_cli import learners
from aipm_cli.cli.options import JsonOpt, option_value, usage_error

users_app = typer.Typer(
    help="The learners in this data directory; rename or remove one.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@users_app.callback()
def users(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The learners here, with percent done; `rename` and `remove` manage them."""
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.obj
    roadmap = app.learner.roadmap
    found = learners.users(app.learner)
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
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    from aipm_cli.render.history import recorded_at

    zone = app.learner.zone()  # the day of the last change, as `log` says it
    for u in found:
        done = Text(f"{u['percent']:.1f}%") if u["percent"] is not None else Text("unreadable", style="red")
        last = recorded_at(u["last_change"], zone)[:10] if u["last_change"] else ""
        table.add_row("*" if u["current"] else "", Text(u["user"]), done, last)
    app.show(lambda c: c.print(table))
    for u in found:
        if u.get("rename"):
            app.say_plain(u["rename"])


NameArg = Annotated[str, typer.Argument(metavar="NAME", help="A learner's name.", show_default=False)]


@users_app.command("rename")
def rename_user(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(metavar="OLD", help="The learner's name now.", show_default=False)],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The new name.", show_default=False)],
) -> None:
    """Give a learner another name; every change they recorded stays."""
    app = ctx.obj
    done = learners.rename(app.learner, old, new)
    app.say_plain(f"✓ {old} is now {new}.")
    if done["setting_updated"]:
        app.say_plain(f"The default learner setting now names {new} too.")


@users_app.command("remove")
def remove_user(
    ctx: typer.Context,
    name: NameArg,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Remove the learner your commands use without asking.")
    ] = False,
) -> None:
    """Remove a learner: their folder moves into the backups, and `aipm restore` brings it back.

    Removing the learner your commands use asks first (or takes --yes).
    """
    app = ctx.obj
    learner = app.learner
    current = learner.user == name
    if current:
        learners.check_removable(learner, name)
        app.confirm(
            f"'{name}' is the learner your commands use ({learner.user_source()}).",
            "Remove them?",
            yes,
            f"aipm users remove {name}",
        )
    done = learners.remove(learner, name)
    app.say_plain(f"✓ Removed {name}; their progress is kept as the backup {done['backup']}.")
    app.say_plain(f"Run `aipm restore {done['backup']}` to bring it back.")
    if not current:
        return
    if learner.config.get("user") == name:
        learner.config.set("user", None)
    from aipm_cli.paths import default_user_name

    if learner._user_option is not None:
        app.say_plain(
            f"Your commands still name {name} ({learner.user_source()}): name another learner, "
            f"or the next command lists those here."
        )
        return
    now = learner.config.get("user") or default_user_name()
    whose = "the `user` setting" if learner.config.get("user") else "your login name"
    known = learner.learner_names()
    if now in known and now != name:
        app.say_plain(f"Your commands now use the learner {now} ({whose}); change it with `aipm config user NAME`.")
        return
    # The learner the commands fall back on has no progress here (often: the one just removed).
    if not known:
        app.say_plain(
            f"No learner has progress here now: your next change starts {now} ({whose}) afresh, "
            f"and `aipm restore {done['backup']}` brings {name} back."
        )
        return
    app.say_plain(
        f"No learner with progress is in use now: {whose} names {now}, who has none here "
        f"(learners here: {', '.join(known)}). Choose one with `aipm config user NAME`."
    )


def backups(ctx: typer.Context, json: JsonOpt = False) -> None:
    """What aipm keeps aside: removed learners, stores before migration, torn lines."""
    app = ctx.obj
    found = learners.backups(app.learner)
    if json:
        app.emit_json(found)
        return
    if not found:
        app.say_plain(f"No backups in {app.layout.root}.")
        return
    from aipm_cli.render.lists import backups_view

    app.show(backups_view, found)
    if any(b["restorable"] for b in found):
        app.say_plain("Run `aipm restore BACKUP` to bring a removed learner back.")


def restore(
    ctx: typer.Context,
    backup: Annotated[
        str,
        typer.Argument(metavar="BACKUP", help="A backup's name as `aipm backups` lists it.", show_default=False),
    ],
) -> None:
    """Bring a removed learner back from the backups."""
    app = ctx.obj
    done = learners.restore(app.learner, backup)
    app.say_plain(f"✓ Restored {done['user']} from {done['backup']}.")


def doctor(
    ctx: typer.Context,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Fold every change again and rewrite the caches (migrates an old store).")
    ] = False,
    forget_orphans: Annotated[
        bool,
        typer.Option(
            "--forget-orphans",
            help="Forget progress on ids the roadmap no longer has (a change: `aipm undo` brings it back).",
        ),
    ] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Move damaged lines (and a torn last line) of the change logs into backups/, after saying"
            " exactly what moves and asking, so you can write again.",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --repair: move them without asking.")] = False,
    json: JsonOpt = False,
) -> None:
    """Check paths, change logs, caches and the roadmap.

    Exits 1 when something needs attention, and says how to recover.
    --repair moves lines no aipm can read into the learner's backups/
    (byte for byte, one file per log) and leaves every other line as it is.
    """
    app = ctx.obj
    if yes and not repair:
        raise usage_error("--yes goes with --repair.", "--yes")
    if repair:
        _repair(app, yes)
    if forget_orphans:
        from aipm_cli.wording import count, listed

        forgotten = app.learner.forget_orphans()
        if forgotten:
            app.say_plain(f"✓ Forgot the progress of {count(len(forgotten), 'id')} no longer in the roadmap: "
                          f"{listed(forgotten)}. Run `aipm undo` to bring it back.")  # fmt: skip
        else:
            app.say_plain("No orphaned progress to forget.")
    from aipm_cli.cli.longwork import long_work
    from aipm_cli.wording import count as counted

    with long_work(json) as progress:
        report = health.check(app.learner, rebuild=rebuild, progress=progress)
    problems = report["problems"]
    if json:
        app.emit_json(report)
    else:
        from rich.table import Table
        from rich.text import Text

        from aipm_cli.render.wrap import wrap, wrap_path

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        room = max(20, app.out.width - len("data dir") - 2)
        rm = report.get("roadmap")
        rows = [
            ("data dir", report["data_dir"]),
            ("learner", report["user"] or "?"),
            ("changes", f"{report['changes'] or 0} in {counted(len(report['logs']), 'log file')}"
             + (f" ({report['in_effect'] or 0} in effect)" if report["changes"] else "")),
            ("logs", report["changes_dir"] or "-"),
            ("config", report["config"]),
            ("roadmap", f"{rm['title']} ({rm['id']} v{rm['version']})" if rm else "unavailable"),
            ("backups", f"{len(report['backups'])}"),
        ]  # fmt: skip
        if report.get("rebuilt"):
            rows.append(("cache", "rebuilt from the change logs"))
        for key, value in rows:
            shown = wrap_path(str(value), room) if key in ("data dir", "logs", "config") else str(value)
            grid.add_row(key, Text(shown))
        app.show(lambda c: c.print(grid))
        if problems:
            for p in problems:
                app.out.print(Text("\n".join(wrap("✗ " + p, app.out.width, "  ")), style="red"))
            if report.get("orphans"):
                app.say_plain("Run `aipm doctor --forget-orphans` to forget them (`aipm undo` brings them back).")
        else:
            app.out.print(Text("✓ everything looks healthy", style="green"))
    if problems:
        raise typer.Exit(1)


def _repair(app: Any, yes: bool) -> None:
    """Say what `doctor --repair` moves, ask, then move it."""
    from aipm_cli import repair
    from aipm_cli.errors import excerpt
    from aipm_cli.wording import count

    ledger = app.learner.ledger
    planned = repair.plan(ledger)
    for line in planned.kept_newer:
        app.say_plain(f"Not moved (a newer aipm wrote it; upgrade aipm to read it): {line}.")
    for damage in planned.unrepairable:
        app.say_plain(health.advice(damage))
    if not planned.cuts:
        if planned.unrepairable:
            app.say_plain("No line for --repair to move: mend the file as said above.")
        else:
            app.say_plain("Nothing to repair: no damaged or torn line in the change logs.")
        return
    where = ledger.backups
    app.say_wrapped(
        f"doctor --repair will move {count(len(planned.cuts), 'line')} out of the change logs into {where}:"
    )
    for cut in planned.cuts:
        text = cut.data.rstrip(b"\n").decode("utf-8", "backslashreplace")
        app.say_wrapped(
            f"{cut.file.name}, line {cut.line} ({count(len(cut.data), 'byte')}, {cut.reason}): {excerpt(text, 100)}",
            indent=2,
        )
    app.say_wrapped("Every other line stays as it is.")
    if (app.layout.root / ".git").exists():
        app.say_wrapped(
            "This data directory is synced: other machines refuse a log that was rewritten, so where you can, "
            "restore the file from a copy instead."
        )
    one = len(planned.cuts) == 1
    app.confirm(f"{count(len(planned.cuts), 'line')} would move.", "Move it?" if one else "Move them?", yes,
                "aipm doctor --repair")  # fmt: skip
    kept = repair.repair(ledger, planned)
    ledger.rebuild()
    shown = ", ".join(p.name for p in kept)
    app.say_plain(f"✓ Moved {count(len(planned.cuts), 'line')} into {where} ({shown}); you can write again.")


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

    app = ctx.obj
    cfg = app.learner.config
    if key is None:
        if unset:
            raise usage_error(
                "--unset needs the KEY of the setting to reset, e.g. `aipm config hours_per_week --unset`."
            )
        if json:
            app.emit_json({k: cfg.get(k) for k in SETTINGS})
            return
        from rich.text import Text

        from aipm_cli.render.wrap import wrap

        width = app.out.width
        lines: list[str] = []
        for entry in app.learner.settings():
            source = entry["source"]
            if entry["key"] == "user" and source == "option" and os.environ.get("AIPM_USER") == entry["value"]:
                source = "AIPM_USER"
            where = {"option": f"--{entry['key']}", "config": "config.json", "default": "the default",
                     "login": "your login name"}.get(source, source)  # fmt: skip
            if source not in ("default", "login") and entry["default"] is not None:
                where += f"; default {_setting_text(entry['default'])}"
            lines += wrap(f"{entry['key']} = {_setting_text(entry['value'])}  ({where})", width, "    ")
            lines += wrap("  " + entry["description"], width, "  ")
        app.show(lambda c: c.print(Text("\n".join(lines))))
        return
    key = option_value("KEY", check_key, key.strip().lower().replace("-", "_"))
    if unset and value is not None:
        raise usage_error("give a VALUE or --unset, not both.")
    if unset:
        cfg.set(key, None)
        app.say(f"[green]✓[/] {key} is back to its default.")
        return
    if value is None:
        shown = cfg.get(key)
        if json:
            app.emit_json({key: shown})
        else:
            typer.echo("" if shown is None else _setting_text(shown))
        return
    if key == "roadmap":
        from aipm_cli.roadmap import finding, loading

        loading.load_roadmap_file(finding.find(value, app.layout.roadmaps, app.layout.cache))
    if not value.strip():
        raise usage_error(f"the value for {key} is empty; use --unset to go back to the default.")
    from aipm_cli.config import parse_value

    option_value("VALUE", parse_value, key, value)
    stored = cfg.set(key, value)
    app.say(f"[green]✓[/] {key} = {_setting_text(stored)}")


def _setting_text(value: object) -> str:
    """8.0 -> '8', None -> 'none', True -> 'yes'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value)


def register(app: typer.Typer) -> None:
    app.command("config")(config)
    app.add_typer(users_app, name="users")
    app.command("doctor")(doctor)
    app.command("backups")(backups)
    app.command("restore")(restore)
