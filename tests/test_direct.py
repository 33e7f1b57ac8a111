"""The usual read command lines run without Typer (cli/direct.py): the same options, the same output.

Every option the direct path reads is the Typer command's own (same parameter,
same kind), and every command line below prints the same bytes and exits with
the same code whichever path runs it.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer

from aipm_cli.cli import direct, hoist_global_options
from aipm_cli.cli.typer_app import make_app
from conftest import Run, invoke_line


def typer_command(name: str) -> Any:
    """The Click command Typer builds for `name` ('study start': a group's subcommand; Typer's own copy
    of Click: looked at, not imported)."""
    first, *sub = name.split()
    command = typer.main.get_command(make_app(first)).commands[first]  # type: ignore[attr-defined]
    return command.commands[sub[0]] if sub else command


def direct_body(function: str) -> Any:
    import importlib

    module, _colon, name = function.rpartition(":")
    return getattr(importlib.import_module(f"aipm_cli.cli.{module or 'reading'}"), name)


@pytest.mark.parametrize("name", sorted(direct.READS))
def test_every_direct_option_is_the_typer_command_s_own(name: str) -> None:
    function, options, positional = direct.READS[name]
    command = typer_command(name)
    by_opt = {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for opt, (parameter, kind) in options.items():
        param = by_opt[opt]
        assert param.name == parameter, opt
        assert param.param_type_name == "option", opt
        assert param.is_flag == (kind == direct.FLAG), opt
        assert not param.multiple and param.nargs == 1, opt
        if kind == direct.COUNT:
            assert param.type.name == "int range" and param.type.min == 1 and param.type.max is None, opt
        elif kind == direct.TEXT:
            assert param.type.name == "str", opt
    arguments = [p.name for p in command.params if p.param_type_name == "argument"]
    body = inspect.signature(direct_body(function)).parameters
    if name in direct.PARTIAL:  # only lines without arguments, and some of the options
        assert positional == () and set(list(body)[1:]) <= {p.name for p in command.params}
        return
    assert arguments == [p.rstrip("?+") for p in positional]
    for p in command.params:  # ITEM...: one or more on both paths
        if p.param_type_name == "argument" and p.nargs == -1:
            assert p.required and f"{p.name}+" in positional, p.name
    if name in direct.SOME_OPTIONS:  # some of the options (the body takes them by name), the arguments
        taken = set(list(body)[1:]) - {"option_value"}
        assert taken <= {p.name for p in command.params}
        assert taken == {p.rstrip("?+") for p in positional} | {parameter for parameter, _kind in options.values()}
        for p in command.params:  # a required argument is required on the direct path too
            if p.param_type_name == "argument" and p.required:
                assert p.name in positional or f"{p.name}+" in positional, p.name
        return
    for p in command.params:  # an optional argument is optional on both paths
        if p.param_type_name == "argument":
            assert (not p.required) == (f"{p.name}?" in positional), p.name
    # the body takes exactly the Typer command's parameters
    assert list(body)[1:] == [p.name for p in command.params]


LINES = [
    ["status"], ["status", "--json"], ["--user", "sam", "status"], ["status", "--user", "sam"],
    ["list"], ["list", "--status", "done"], ["list", "-s", "in-progress", "--json"], ["list", "--phase=foundation"],
    ["list", "--kind", "course", "-m", "foundation-course"], ["list", "--status", "bogus"], ["list", "--phase", "nope"],
    ["show", "ai-for-everyone"], ["show", "foundation", "--json"], ["show", "nope"], ["show"],
    ["next"], ["next", "-n", "2"], ["next", "--count=1", "--json"], ["next", "-n", "0"],
    ["log"], ["log", "-n", "2"], ["log", "--limit", "1", "--json"], ["log", "--since", "2026-10-01"],
    ["log", "--until", "someday"], ["log", "--since", ""], ["log", "--until="], ["log", "--since", "20261001"],
    ["skills"], ["skills", "--full"], ["skills", "--json"],
    ["plan"], ["plan", "-w", "4"], ["plan", "--start", "2026-12-01", "--json"], ["plan", "--hours-per-week", "x"],
    ["export"], ["export", "--format", "md"], ["export", "-f", "json"], ["export", "--as-of", "2026-10-02"], ["export", "--as-of", ""], ["plan", "--start", ""],
    ["export", "--format", "pdf"], ["--roadmap", "nope", "status"], ["--user", "", "status"],
    ["today"], ["today", "--json"], ["review"], ["review", "--all"], ["review", "--json"], ["study"], ["study", "--json"],
]  # fmt: skip
# A flag never takes a value, however it is spelled (Typer refuses it: so must the direct path).
FLAG_VALUES = [
    ["--debug=1", "status"], ["status", "--debug=1"], ["status", "--json=1"], ["skills", "--full=yes"],
    ["export", "--full=1"], ["list", "--json=true"],
]  # fmt: skip


@pytest.mark.parametrize("line", LINES + FLAG_VALUES, ids=" ".join)
def test_both_paths_print_the_same(run: Run, line: list[str]) -> None:
    run("start", "ai-for-everyone", "--on", "2026-10-01")
    run("done", "ai-for-everyone", "--on", "2026-10-02")
    run("note", "user-research", "read the [bold]guide[/]")
    run("assess", "product-management", "3")
    fast, slow = invoke_line(line), invoke_line(line, direct=False)
    assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr)


@pytest.mark.parametrize(
    "lines",
    [[["study", "start", "ai-for-everyone"], ["study", "stop"]], [["study", "start", "ai-f"], ["study", "stop", "--spent", "1m"]],
     [["study", "start", "ai-f"], ["study", "stop", "--spent", "5m"]],  # longer than the session ran: exit 2
     [["study", "start", "nope"]], [["study", "stop"]], [["study", "start", "ai-for-everyone"], ["study", "stop", "--spent", "x"]],
     [["study", "start", "ai-for-everyone"], ["study", "start", "user-research"]],
     [["study", "start", "ai-f"], ["study", "stop", "--spent="]]],  # an empty time: exit 2, not the clock's
    ids=str,
)  # fmt: skip
def test_study_start_and_stop_say_and_record_the_same_on_both_paths(tmp_path: Path, lines: list[list[str]]) -> None:
    """The two writes the direct path runs (cli/study_session.py): the same words, codes and log lines."""
    seen = _on_both_paths(tmp_path, lines)
    assert seen[0] == seen[1]


def _on_both_paths(tmp_path: Path, lines: list[list[str]]) -> list[tuple[list[tuple[int, str, str]], list[Any]]]:
    """For the direct path, then Typer's, each in a data directory of its own: what each line printed and
    exited with, and the changes recorded (without what differs by nature: ids, times, the device; a
    change an undo, a redo or a session's stop names is given by its place in the log)."""
    import json

    seen = []
    for direct_path in (True, False):
        home = tmp_path / str(direct_path)
        env = {"AIPM_HOME": str(home), "AIPM_NOW": "2026-11-24T10:00:00+00:00"}
        results = [invoke_line(line, env=env, direct=direct_path) for line in lines]
        logs = sorted((home / "learners").rglob("*.jsonl")) if (home / "learners").exists() else []
        found = [json.loads(raw) for log in logs for raw in log.read_text().splitlines()]
        number = {change["id"]: n for n, change in enumerate(found)}
        changes = [{k: number.get(v, v) if k in ("target", "closes") else v for k, v in change.items()
                    if k not in ("id", "at", "device")} for change in found]  # fmt: skip
        seen.append(([(r.exit_code, r.stdout, r.stderr) for r in results], changes))
    return seen


MARKING = [
    [["done", "ai-for-everyone"]], [["start", "ai-f", "user-research", "--on", "yesterday", "-m", "week 1"]],
    [["start", "foundation"], ["done", "foundation", "--on=2026-11-20"]],
    [["done", "ai-for-everyone", "--on", "2026-11-30"]], [["done", "ai-for-everyone", "--on", "someday"]],
    [["skip", "ai-for-everyone", "--reason", "known it", "--note", "[bold]x[/]"]], [["reset", "ai-for-everyone"]],
    [["done", "ai-for-everyone"], ["done", "ai-for-everyone"], ["reset", "ai-for-everyone", "--on", "today"]],
    [["done", "nope"]], [["done", "ai-for-everyone", "nope"]], [["--user", "", "done", "ai-for-everyone"]],
    [["done", "product-management-certification", "--expires", "2027-01-01", "--credential", "c-1"]],
    [["done", "product-management-certification", "--expires", "not a date"]],
    [["done", "ai-for-everyone", "--credential", "c-1"]],
    [["done", "ai-for-everyone"], ["note", "ai-for-everyone", "[red]read[/] it", "--on", "2026-11-20"], ["undo"], ["redo"]],
    [["note", "foundation", "a module's note"], ["note", "nope", "x"], ["note", "ai-for-everyone", "x", "--on", "no"]],
    [["undo"]], [["redo"]], [["done", "ai-for-everyone"], ["undo", "--any"], ["undo"], ["redo"], ["redo"]],
    # an empty date is a usage error, never "no date" (today); only YYYY-MM-DD, as the help says
    [["done", "ai-for-everyone", "--on", ""]], [["start", "ai-for-everyone", "--on="]], [["skip", "x", "--on", " "]],
    [["reset", "ai-for-everyone", "--on", ""]], [["note", "ai-for-everyone", "x", "--on", ""]],
    [["done", "ai-for-everyone", "--on", "20261101"]], [["done", "product-management-certification", "--expires", ""]],
    # an empty text is refused too, as `note ITEM ""` is (it was kept as an empty note or reason)
    [["done", "ai-for-everyone", "--note", ""]], [["skip", "ai-for-everyone", "--reason", ""]],
    [["done", "ai-for-everyone", "-m", "  "]], [["done", "product-management-certification", "--credential="]],
]  # fmt: skip


@pytest.mark.parametrize("lines", MARKING, ids=str)
def test_start_done_skip_and_reset_say_and_record_the_same_on_both_paths(
    tmp_path: Path, lines: list[list[str]]
) -> None:
    """The usual marking lines run on the direct path (cli/tracking.py): the same words, codes and log lines
    as Typer's, usage errors (a bad --on) included."""
    seen = _on_both_paths(tmp_path, lines)
    assert seen[0] == seen[1]
    if any("" in line or "  " in line or "20261101" in line or any(a.endswith("=") for a in line) for line in lines):
        # a date or a text refused: exit 2, nothing recorded
        assert [code for code, _out, _err in seen[0][0]] == [2] and seen[0][1] == [], seen[0]
    if all(line[0] != "--user" for line in lines):
        assert all(direct.parse(hoist_global_options(line)) is not None for line in lines)


@pytest.mark.parametrize("line", FLAG_VALUES, ids=" ".join)
def test_a_flag_with_a_value_is_a_usage_error_on_both_paths(line: list[str]) -> None:
    for direct_path in (True, False):
        result = invoke_line(line, direct=direct_path)
        assert result.exit_code == 2, (direct_path, result.stderr)
        assert "--debug" in result.stderr or "does not take a value" in result.stderr


def test_the_usual_lines_take_the_direct_path() -> None:
    taken = [line for line in LINES if direct.parse(hoist_global_options(line)) is not None]
    assert ["status"] in taken and ["list", "--phase=foundation"] in taken and ["--user", "sam", "status"] in taken
    assert len(taken) >= len(LINES) - 2  # all but `show` with no item and `next -n 0`


@pytest.mark.parametrize(
    "line",
    [["status", "--help"], ["-h", "status"], ["--version"], ["status", "--", "x"], ["list", "-sdone"],
     ["list", "--status"], ["status", "--json", "--json"], ["show", "a", "b"], ["status", "--json=1"],
     ["-u=sam", "status"], ["list", "--phase", "-p"], ["next", "-n", "2.5"], ["next", "-n", "\u0663"], ["done"],
     ["done", "x", "--evidence", "y"], ["done", "x", "-e", "y"], ["skip", "x", "--on"], ["done", "x", "--on", "-1"],
     ["start", "x", "--note", "a", "-m", "b"], ["reset", "--help", "x"], ["done", "x", "--", "--y"],
     ["note", "x"], ["note", "x", "--remove", "1"], ["note", "x", "a", "b"], ["undo", "x"], ["redo", "--any"],
     ["review", "x", "good"], ["review", "--off"], ["study", "start"], ["study", "add", "x", "1h"],
     ["study", "stop", "a", "b"], ["study", "start", "--help"], ["study", "add", "x", "1h"], ["study", "import", "f"]],
    ids=" ".join,
)  # fmt: skip
def test_other_lines_go_to_typer(line: list[str]) -> None:
    assert direct.parse(line) is None


def test_a_reader_that_goes_away_ends_the_output_quietly(home: Path) -> None:
    """`aipm log | head -1`: no traceback when the pipe closes, on the direct path too."""
    import os
    import subprocess
    import sys

    from aipm_cli.record import changes as fmt
    from aipm_cli.record import ids

    folder = home / "learners" / "ada" / "ai-product-manager" / "changes"
    folder.mkdir(parents=True)
    moment = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    lines = []
    for n in range(1500):  # several streamed batches
        at = moment + timedelta(minutes=n)
        lines.append(fmt.line({"v": 1, "id": ids.new_id(at), "at": at.isoformat(), "on": at.date().isoformat(),
                               "device": "dev-a", "op": "note", "targets": ["ai-for-everyone"], "text": f"n{n}"}))  # fmt: skip
    (folder / "dev-a.jsonl").write_bytes(b"".join(lines))
    for args in (["log"], ["log", "--json"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "aipm_cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ
        )
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()  # the reader goes away
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
        assert "Traceback" not in err and "Error" not in err, err
        assert proc.returncode in (0, 1)


def test_a_terminal_that_cannot_take_utf8_gets_ascii_not_an_error(run: Run) -> None:
    import os
    import subprocess
    import sys

    run("done", "ai-for-everyone")
    for args in (["status"], ["done", "user-research"], ["show", "nope"]):
        env = {**os.environ, "PYTHONIOENCODING": "ascii"}
        result = subprocess.run([sys.executable, "-m", "aipm_cli", *args], capture_output=True, env=env)
        assert b"unexpected error" not in result.stderr and b"Traceback" not in result.stderr, (args, result.stderr)
        assert result.returncode == (1 if args[0] == "show" else 0)
    listed = subprocess.run(
        [sys.executable, "-m", "aipm_cli", "list"], capture_output=True, env={**os.environ, "PYTHONIOENCODING": "ascii"}
    ).stdout
    assert b"+ done" in listed and b"\\u2713" not in listed  # the done mark in ASCII (tests/test_platforms.py)
