"""The usual command lines, run without the CLI framework.

`aipm status`, `aipm list --status done`, `aipm show ITEM --json`, and the
writes made many times a day (`aipm done ITEM --on DATE`, `aipm note ITEM
TEXT`, `aipm undo`, `aipm study start ITEM`...): such a command does little
work, so importing and assembling Typer was most of what it cost. A command
line made only of the global options and the command's own options below
runs here; anything else (help, `--version`, an option written another way
or not listed here, a value Typer would refuse, a usage error from the
command itself) goes to Typer, which says it in its usual form. A command
checks its options before it writes anything, so handing over is always safe
(and a usage error after a write is said here, never run again).

The options here are the Typer commands' own (tests/test_direct.py checks
that every one is declared there with the same parameter and kind, and that
both paths say and record the same).
"""

from __future__ import annotations

import os
from typing import Any

from aipm_cli.cli import GLOBAL_WITH_VALUE

FLAG, TEXT, COUNT = "flag", "text", "count"  # COUNT: a whole number, at least 1

_JSON = {"--json": ("json", FLAG)}
_NOTE = dict.fromkeys(("--note", "-m"), ("note", TEXT))
# command -> (function in cli/reading.py, {option: (parameter, kind)}, positional parameters)
READS: dict[str, tuple[str, dict[str, tuple[str, str]], tuple[str, ...]]] = {
    "status": ("status", _JSON, ()),
    "list": (
        "list_items",
        {
            **dict.fromkeys(("--phase", "-p"), ("phase", TEXT)),
            **dict.fromkeys(("--module", "-m"), ("module", TEXT)),
            **dict.fromkeys(("--kind", "-k"), ("kind", TEXT)),
            **dict.fromkeys(("--status", "-s"), ("status", TEXT)),
            **_JSON,
        },
        (),
    ),
    "show": ("show", _JSON, ("item",)),
    "next": ("next_up", {**dict.fromkeys(("--count", "-n"), ("count", COUNT)), **_JSON}, ()),
    "log": (
        "log",
        {
            "--since": ("since", TEXT),
            "--until": ("until", TEXT),
            **dict.fromkeys(("--limit", "-n"), ("limit", COUNT)),
            **_JSON,
        },
        (),
    ),
    "skills": ("skills", {"--full": ("full", FLAG), **_JSON}, ()),
    "plan": (
        "plan",
        {
            **dict.fromkeys(("--hours-per-week", "-w"), ("hours_per_week", TEXT)),
            "--start": ("start", TEXT),
            **dict.fromkeys(("--limit", "-n"), ("limit", COUNT)),
            **_JSON,
        },
        (),
    ),
    "today": ("today", _JSON, ()),
    # The list only: rating an item (`review ITEM good`) and --on/--off go to Typer.
    "review": ("review", {"--all": ("every", FLAG), **_JSON}, ()),
    # Two writes started and stopped many times a day, as quick as a read: cli/study_session.py.
    "study": ("study_session:overview", _JSON, ()),  # (with a subcommand other than these two: Typer)
    "study start": ("study_session:start", {}, ("item",)),
    "study stop": ("study_session:stop", {"--spent": ("spent", TEXT)}, ("item?",)),
    # The writes learners make most often, as quick as a read: cli/tracking.py (--evidence, which may be
    # given many times, goes to Typer).
    "start": ("tracking:start", {"--on": ("on", TEXT), **_NOTE}, ("items+",)),
    "done": (
        "tracking:done",
        {"--on": ("on", TEXT), **_NOTE, "--credential": ("credential", TEXT), "--expires": ("expires", TEXT)},
        ("items+",),
    ),
    "skip": ("tracking:skip", {"--on": ("on", TEXT), "--reason": ("reason", TEXT), **_NOTE}, ("items+",)),
    "reset": ("tracking:reset", {"--on": ("on", TEXT), **_NOTE}, ("items+",)),
    "note": ("tracking:note", {"--on": ("on", TEXT)}, ("item", "text")),  # (removing one, --remove: Typer)
    "undo": ("tracking:undo", {"--any": ("any_device", FLAG)}, ()),
    "redo": ("tracking:redo", {}, ()),
    "export": (
        "export",
        {
            **dict.fromkeys(("--format", "-f"), ("fmt", TEXT)),
            "--as-of": ("as_of", TEXT),
            "--full": ("full", FLAG),
            "--with-notes": ("with_notes", FLAG),
        },
        (),
    ),
}
# Commands the direct path runs only some lines of (the rest, and every other option, go to Typer).
PARTIAL = {"review", "study"}
# Commands the direct path runs without some of their options (a line with one of those goes to Typer).
SOME_OPTIONS = {"start", "done", "skip", "reset", "note"}


def parse(args: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """(command, global options, the command's parameters), or None: not a line this module runs."""
    options: dict[str, Any] = {"user": None, "roadmap": None, "debug": False}
    given: set[str] = set()
    position = 0
    while position < len(args) and args[position].startswith("-"):
        name, equals, inline = args[position].partition("=")
        if name == "--debug" and not equals:
            options["debug"] = True
        elif name in GLOBAL_WITH_VALUE:
            if not equals:
                position += 1
                if position == len(args):
                    return None
                inline = args[position]
            elif not name.startswith("--"):
                return None  # -u=NAME: Click reads it its own way
            if name in given or inline.startswith("-"):
                return None
            given.add(name)
            options[GLOBAL_WITH_VALUE[name]] = inline
        else:
            return None
        position += 1
    if position == len(args):
        return None
    command = args[position]
    if position + 1 < len(args) and f"{command} {args[position + 1]}" in READS:  # study start, study stop
        position += 1
        command = f"{command} {args[position]}"
    if command not in READS:
        return None
    function, known, wanted = READS[command]
    values: dict[str, Any] = {}
    positional: list[str] = []
    rest = args[position + 1 :]
    at = 0
    while at < len(rest):
        arg = rest[at]
        at += 1
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in known:
            return None  # --help, --, an option of Typer's only, -n5...
        parameter, kind = known[name]
        if parameter in values:
            return None
        if kind == FLAG:
            if equals:
                return None
            values[parameter] = True
            continue
        if not equals:
            if at == len(rest):
                return None
            value = rest[at]
            at += 1
        if value.startswith("-"):
            return None
        if kind == COUNT:
            if not (value.isascii() and value.isdigit()) or int(value) < 1:
                return None
            values[parameter] = int(value)
        else:
            values[parameter] = value
    if wanted and wanted[-1].endswith("+"):  # one or more, as a list (ITEM...)
        if not positional:
            return None
        values[wanted[-1].rstrip("+")] = positional
        positional = []
        wanted = wanted[:-1]
    required = [w for w in wanted if not w.endswith("?")]
    if not len(required) <= len(positional) <= len(wanted):
        return None
    values.update(zip((w.rstrip("?") for w in wanted), positional, strict=False))
    options["command"] = command.split()[0]
    return function, options, values


def run_read(args: list[str]) -> int | None:
    """Run a read command line; its exit code, or None when Typer must run it."""
    parsed = parse(args)
    if parsed is None:
        return None
    function, options, values = parsed
    import importlib

    from aipm_cli.cli.boundary import new_app, print_error, unexpected
    from aipm_cli.errors import AipmError, ExitCode, UsageError

    if options["user"] is None and os.environ.get("AIPM_USER"):
        options["user"] = os.environ["AIPM_USER"]
    debug = options["debug"]
    app = None
    try:
        app = new_app(options["user"], options["roadmap"], debug, options["command"])
        module, _colon, name = function.rpartition(":")
        getattr(importlib.import_module(f"aipm_cli.cli.{module or 'reading'}"), name)(app, **values)
    except UsageError as exc:
        if app is not None and app.saved:  # (never: a write checks its options first) not run again by Typer
            print_error(exc.lines())
            return ExitCode.USAGE
        return None  # Typer says it, in its usual form (nothing was written)
    except AipmError as exc:
        if debug:
            raise
        print_error(exc.lines())
        return ExitCode.ERROR
    except BrokenPipeError:
        # The reader went away (`aipm log | head`): stop quietly, as Click does on the Typer path.
        _silence_stdout()
        return ExitCode.ERROR
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        if debug:
            raise
        print_error(unexpected(exc, saved=app is not None and app.saved))
        return ExitCode.ERROR
    return ExitCode.OK


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again on the closed pipe."""
    import sys

    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (tests)
        pass
