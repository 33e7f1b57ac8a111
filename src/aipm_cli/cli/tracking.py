"""start, done, skip, reset, note, undo and redo: what they record and what they say, without Typer.

The direct path (cli/direct.py) runs their usual lines (`aipm done ITEM --on DATE`, `aipm note ITEM TEXT`,
`aipm undo`...) here, so the writes learners make most often cost what a read costs; the Typer commands
(cli/track.py) run the same code for every other line, so both paths say and record the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aipm_cli.cli.context import App


def start(app: App, items: list[str], on: str | None = None, note: str | None = None) -> None:
    change(app, "start", items, on, note)


def done(
    app: App,
    items: list[str],
    on: str | None = None,
    note: str | None = None,
    credential: str | None = None,
    expires: str | None = None,
) -> None:
    change(app, "done", items, on, note, credential=credential, expires=expires)


def skip(app: App, items: list[str], on: str | None = None, reason: str | None = None, note: str | None = None) -> None:
    change(app, "skip", items, on, note, reason=reason)


def reset(app: App, items: list[str], on: str | None = None, note: str | None = None) -> None:
    change(app, "reset", items, on, note)


_PAST = {"start": "Started", "done": "Done", "skip": "Skipped", "reset": "Reset"}
_STATE = {"start": "in progress", "done": "done", "skip": "skipped", "reset": "not started"}


def _describe(targets: list[Any], index: object) -> str:
    """What the learner named, in words: a title and id; a module or phase with how many items it holds."""
    from aipm_cli.marking import items_of
    from aipm_cli.wording import count, listed

    if len(targets) == 1:
        t = targets[0]
        if t.kind in ("module", "phase"):
            items = items_of(index, t)  # type: ignore[arg-type]
            deliverables = sum(len(i.deliverables) for i in items)
            projects = [i for i in items if i.deliverables]
            held = count(len(items), "item")
            if projects and len(projects) == len(items):
                held = count(len(items), "project")
            if deliverables:
                held += f" with {count(deliverables, 'deliverable')}"
            return f"{t.title} ({t.id}, {held})"
        return f"{t.title} ({t.id})"
    kinds = {t.kind for t in targets}
    word = next(iter(kinds)) if len(kinds) == 1 else "entry"
    return f"{count(len(targets), word)} ({listed([t.id for t in targets])})"


def change(
    app: Any,
    verb: str,
    items: list[str],
    on: str | None,
    note: str | None,
    evidence: list[str] | None = None,
    reason: str | None = None,
    credential: str | None = None,
    expires: str | None = None,
    option_value: Any = None,
) -> None:
    """Record a start, done, skip or reset and say what it changed.

    `option_value` parses an option's value (cli/reading.py's by default: a UsageError; the Typer
    commands pass their own, which Typer says as a usage error).
    """
    from aipm_cli.cli import reading
    from aipm_cli.dates import parse_date

    value = option_value or reading.option_value
    for option, text in (("--note", note), ("--reason", reason), ("--credential", credential)):
        if text is not None:  # given empty: a usage error, as `aipm note ITEM ""` is (never kept as an empty text)
            value(option, _not_empty, text, option.lstrip("-"))
    today = app.learner.today()
    given = value("--on", parse_date, on, today) if on is not None else None
    expiry = (
        value("--expires", parse_date, expires, today, allow_future=True, what="expiry date")
        if expires is not None
        else None
    )
    app.learner_before_change()
    marked = app.learner.mark(
        verb, items, on=given, note=note, evidence=evidence, reason=reason, credential=credential, expires=expiry
    )
    _said(app, verb, marked, on)
    app.new_learner_note()


def _said(app: Any, verb: str, marked: Any, on: str | None) -> None:
    """What a start/done/skip/reset changed, in words."""
    from rich.markup import escape

    from aipm_cli.wording import count, listed

    day = marked.on
    result, targets = marked.result, marked.targets
    if result.early:
        early = list(result.early)
        still_open = list(dict.fromkeys(r for key in early for r in result.early[key]))
        verb_text = "started" if verb == "start" else "done"
        who = f"{early[0]} is" if len(early) == 1 else f"{count(len(early), 'item')} ({listed(early)}) are"
        wants = "it requires" if len(early) == 1 else "they require"
        app.say_plain(f"Warning: {who} {verb_text} before what {wants}: {listed(still_open)} (not done yet).")
    what = escape(_describe(targets, app.learner.roadmap.index))
    kept = ""
    if result.kept:
        n = len(result.kept)
        kept = f"; {count(n, 'entry')} already done, left as {'it is' if n == 1 else 'they are'}"
        if on and verb == "done":
            kept = f"; {count(n, 'entry')} already done {'keeps its date' if n == 1 else 'keep their dates'}"
    if result.redated:
        field = "start" if verb == "start" else "completion"
        app.say(
            f"[green]✓[/] Corrected the {field} date of {escape(listed(result.redated))} to {day.isoformat()} "
            "(`aipm undo` reverts it)."
        )
        if result.moved_start:
            moved = [f"{key} (from {started.isoformat()})" for key, started in result.moved_start.items()]
            whose = "Its start date" if len(moved) == 1 else "The start dates"
            app.say(f"{whose} moved back to {day.isoformat()} too: {escape(listed(moved))}.")
        if not result.changed and result.change is None:
            return
    if result.changed:
        when = f" on {day.isoformat()}" if verb != "reset" else ""
        extra = f"; {len(result.unchanged)} already {_STATE[verb]}" if result.unchanged else ""
        app.say(f"[green]✓[/] {_PAST[verb]}: {what}{when}{extra}{kept}.")
    elif result.change is not None:
        app.say(f"{what} is already {_STATE[verb]}; the details you gave were added.")
    else:
        app.say(f"{what} is already {_STATE[verb]}; nothing changed{kept}.")


def _not_empty(text: str, what: str) -> str:
    from aipm_cli.errors import InputError

    if not text.strip():
        raise InputError(f"The {what} is empty.", f"Give its text, or leave --{what} out.")
    return text


def note(app: App, item: str, text: str, on: str | None = None, option_value: Any = None) -> None:
    """Add a note (`option_value`: as for change())."""
    from rich.markup import escape

    from aipm_cli.cli import reading
    from aipm_cli.dates import parse_date

    value = option_value or reading.option_value
    day = value("--on", parse_date, on, app.learner.today()) if on is not None else None
    app.learner_before_change()
    target = app.learner.add_note(item, text, day)
    app.say(f"[green]✓[/] Noted on {escape(target.title)} ({target.id}).")
    app.new_learner_note()


def undo(app: App, any_device: bool = False) -> None:
    change = app.learner.undo(any_device=any_device)
    _undone(app, change, "Undid")
    if change.get("op") == "study" and change.get("closes"):  # a session's stop: the session runs again
        _running_again(app, change)


def _running_again(app: App, change: dict[str, Any]) -> None:
    """Say that undoing a session's stop set the session running again, and how to end or discard it."""
    from aipm_cli import study

    session = study.reopened(app.learner, change)
    if session is None:
        return
    where = "" if session["this_machine"] else f" on {session['device']}"
    ways = ["`aipm study stop` ends it"]
    if session["over_a_day"]:
        ways = ["`aipm study stop --spent TIME` records the time you really studied"]
    if session["undo_discards"]:
        ways.append("`aipm undo` again discards it")
    app.say_plain(f"The session on {session['item']}{where} is running again, since {session['began_local']} "
                  f"({study.spent_text(session['minutes'])} ago): {'; '.join(ways)}.")  # fmt: skip


def redo(app: App) -> None:
    _undone(app, app.learner.redo(), "Redid")


def _undone(app: App, change: dict[str, Any], verb: str) -> None:
    from rich.markup import escape

    from aipm_cli.record.changes import describe

    when = str(change.get("at", ""))[:16].replace("T", " ")
    device = str(change.get("device", ""))
    where = f" on {device}" if device and device not in ("migrated", app.learner.device) else ""
    app.say(f"[green]✓[/] {verb} {escape(describe(change))} (recorded {when}{escape(where)}).")
