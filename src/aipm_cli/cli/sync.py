"""`aipm sync` and `aipm sync init`: the same progress on every machine, through git."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from aipm_cli.cli.options import JsonOpt

sync_app = typer.Typer(
    name="sync",
    short_help="The same progress on every machine, through git.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


CHANGED_SHOWN = 8  # items other machines changed, named after a sync; the rest are counted


def _git_log(app: Any) -> Any:
    """Git's own output, on stderr, only with --debug."""
    if not getattr(app, "debug", False):
        return None

    def log(text: str) -> None:
        sys.stderr.write(f"{text}\n")
        sys.stderr.flush()

    return log


def _received_line(result: Any) -> str:
    from aipm_cli.wording import count

    sent = sum(result.sent.values())
    received = sum(result.received.values())
    parts = [f"sent {count(sent, 'change')}", f"received {count(received, 'change')}"]
    if result.roadmaps_received:
        parts.append(f"roadmaps {', '.join(sorted(set(result.roadmaps_received)))}")
    return ", ".join(parts)


AcceptOpt = Annotated[
    bool,
    typer.Option(
        "--accept-destructive",
        help="Take changes from other machines that undo a lot at once (a replacing import, a forget,"
        " a reset of many items); without it they are listed and nothing is merged.",
    ),
]


def _changed_lines(result: Any) -> list[str]:
    """What other machines changed here: a short list, then what needs a look."""
    from aipm_cli.render.safe import clean
    from aipm_cli.wording import count

    changed = result.changed
    if not changed:
        return []
    learners = {(c["learner"], c["roadmap"]) for c in changed}

    def name(c: dict[str, Any]) -> str:
        return c["unit"] if len(learners) == 1 else f"{c['unit']} ({c['learner']}, {c['roadmap']})"

    def state(status: str | None) -> str:
        return (status or "not_started").replace("_", " ")  # no record: never touched (or forgotten)

    lines = [f"Other machines changed {count(len(changed), 'item')}:"]
    for c in changed[:CHANGED_SHOWN]:
        by = ", ".join(c["devices"]) or "another machine"
        lines.append(f"  {name(c)}: {'; '.join(c['what'])}, by {by}")
    if len(changed) > CHANGED_SHOWN:
        lines.append(f"  and {len(changed) - CHANGED_SHOWN} more (`aipm sync --json` lists them all)")
    for c in changed:
        if c["reopened"]:
            how = " and ".join(c["reopened_by"]) or ", ".join(c["devices"]) or "another machine"
            what = "'s start or reset" if c["reopened_by"] else ""
            lines.append(
                f"Reopened: {name(c)} was done here and is {state(c['after'])} now ({how}{what});"
                f" `aipm done {c['unit']}` marks it done again."
            )
        if c["done_before_started"]:
            lines.append(
                f"Dates out of order: {name(c)} is done on {c['completed_on']} but started on {c['started_on']}"
                f" (by {', '.join(c['devices']) or 'another machine'}), which aipm refuses here;"
                f" `aipm done {c['unit']} --on DATE` corrects the completion date."
            )
    return [clean(line) for line in lines]


@sync_app.callback()
def sync_command(
    ctx: typer.Context,
    status: Annotated[
        bool, typer.Option("--status", help="Where syncing stands: remote, changes not pushed, the last sync.")
    ] = False,
    accept_destructive: AcceptOpt = False,
    json: JsonOpt = False,
) -> None:
    """Send this machine's new changes and take the others' (commit, fetch, check, merge, push).

    Set up with `aipm sync init [REMOTE]` first. Nothing is ever rewritten: a
    remote whose logs were rewritten or damaged, that adds lines to this
    machine's own log, or brings a file over the size limit is refused and
    nothing here changes. Changes from other machines that undo a lot at once
    are listed and need --accept-destructive. After a sync, the items other
    machines changed are named. Exit 1 when the remote cannot be reached (your
    changes are then committed here and sent next time).
    """
    if ctx.invoked_subcommand is not None:
        return
    from aipm_cli.sync import service as sync

    app = ctx.obj
    root = app.layout.root
    if status:
        info = sync.status(root, log=_git_log(app))
        if json:
            app.emit_json(info)
            return
        _show_status(app, info)
        return
    from aipm_cli.cli.longwork import long_work

    with long_work(json or bool(getattr(app, "debug", False))) as progress:
        result = sync.sync(
            root, log=_git_log(app), now=app.learner.now, accept_destructive=accept_destructive, progress=progress
        )
    if json:
        app.emit_json(result.data())
        return
    app.say_plain(f"Synced with {result.remote} ({result.branch}): {_received_line(result)}.")
    for line in _accepted_lines(result) + _changed_lines(result):
        app.say_plain(line)


def _accepted_lines(result: Any) -> list[str]:
    from aipm_cli.record.provenance import listing
    from aipm_cli.render.safe import clean
    from aipm_cli.wording import count

    if not result.accepted:
        return []
    taken = count(len(result.accepted), "destructive change")
    return [clean(f"Took {taken}, as asked:\n{listing(result.accepted)}")]


def _show_status(app: Any, info: dict[str, Any]) -> None:
    from aipm_cli.wording import count

    if not info["set_up"]:
        app.say_plain(f"{info['data_dir']} is not synced. Run `aipm sync init REMOTE` to set it up.")
        return
    lines = [
        ("data directory", info["data_dir"]),
        ("remote", info["remote"] or "none (run `aipm sync init REMOTE`)"),
        ("branch", info["branch"]),
        ("not pushed", count(info["not_pushed"], "change")),
        ("last sync", info["last_sync"] or "never"),
        ("received then", str(info["received_at_last_sync"])),
    ]
    if info.get("last_error"):
        lines.append(("last attempt failed", info["last_error"]))
    width = max(len(k) for k, _ in lines)
    sys.stdout.write("".join(f"{key.ljust(width)}  {value}\n" for key, value in lines))


@sync_app.command("init")
def init_command(
    ctx: typer.Context,
    remote: Annotated[
        str | None,
        typer.Argument(
            metavar="[REMOTE]", help="A git URL or a path to a bare repository (may already hold aipm data)."
        ),
    ] = None,
    accept_destructive: AcceptOpt = False,
    json: JsonOpt = False,
) -> None:
    """Make this data directory a git repository and join REMOTE.

    Commits what travels (every learner's change logs and your own roadmaps),
    with a .gitignore that keeps out caches, backups, locks, the device id and
    config.json. With a REMOTE that already holds aipm data, its history is
    fetched, checked and joined.
    """
    from aipm_cli.sync import service as sync

    app = ctx.obj
    from aipm_cli.cli.longwork import long_work

    with long_work(json or bool(getattr(app, "debug", False))) as progress:
        result = sync.init(
            app.layout.root, remote, log=_git_log(app), now=app.learner.now, accept_destructive=accept_destructive,
            progress=progress,
        )  # fmt: skip
    if json:
        app.emit_json(result.data())
        return
    where = app.layout.root
    made = "Made" if result.created else "Using"
    app.say_plain(f"{made} the git repository in {where} (branch {result.branch}).")
    if result.remote is None:
        from aipm_cli.wording import count

        app.say_plain(f"Committed {count(sum(result.sent.values()), 'change')} here. No remote yet:")
        app.say_plain("add one with `aipm sync init REMOTE` (a git URL, or a path to a bare repository).")
        return
    app.say_plain(f"Synced with {result.remote}: {_received_line(result)}.")
    for line in _accepted_lines(result) + _changed_lines(result) + _whose_lines(app, result):
        app.say_plain(line)
    app.say_plain("From now on, run `aipm sync` on each machine to send and take changes.")


def _whose_lines(app: Any, result: Any) -> list[str]:
    """Whose progress arrived, when it is not the learner this machine's commands use (issue 25)."""
    learner = app.learner
    learners = result.received_for_others(learner.user, learner.has_data)
    if not learners:
        return []
    first = learners[0]
    whose = learners[0] if len(learners) == 1 else ", ".join(learners)
    return [
        f"The progress received is {whose}'s; your commands here use '{learner.user}' ({learner.user_source()}).",
        f"To use it: `aipm config user {first}` (or --user {first}).",
    ]


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")
