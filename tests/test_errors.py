"""One error boundary: our errors are short lines on stderr and exit 1; tracebacks only with --debug."""

from __future__ import annotations

from pathlib import Path

from conftest import aipm_process


def test_user_error_is_one_or_two_lines_and_exit_1(tmp_path: Path) -> None:
    result = aipm_process("roadmap", "show", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2
    assert lines[0] == f"Error: No roadmap file at {tmp_path / 'missing.yaml'}."
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = aipm_process("--debug", "roadmap", "show", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "RoadmapNotFound" in result.stderr


def test_usage_error_exits_2() -> None:
    result = aipm_process("status", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_unknown_item_suggests_close_ids(run) -> None:  # type: ignore[no-untyped-def]
    result = run("done", "ai-for-evryone")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: No item, module or phase matches 'ai-for-evryone'.",
        "Did you mean: ai-for-everyone, ai-product-evaluation, the-ai-pm-role?",
    ]


def test_bad_user_name_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    result = run("--user", "../etc", "status")
    assert result.exit_code == 2  # a usage error (README: exit codes)
    assert "'../etc' is not a usable learner name" in result.stderr


def test_version() -> None:
    from aipm_cli import __version__

    result = aipm_process("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"aipm {__version__}"


def test_every_command_has_help(run) -> None:  # type: ignore[no-untyped-def]
    from typer.main import get_command

    from aipm_cli.cli.typer_app import make_app

    app = make_app()  # not `from aipm_cli.cli import app`: once a run imported cli/app.py, that is the module

    group = get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert {"status", "list", "show", "next", "log", "start", "done", "skip", "reset", "undo", "note"} <= set(names)
    for name in names:
        command = group.commands[name]  # type: ignore[attr-defined]
        assert command.help, f"{name} has no help"
        assert run(name, "--help").exit_code == 0


def test_global_options_work_after_the_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from aipm_cli.cli import hoist_global_options

    assert hoist_global_options(["status", "--user", "sam"]) == ["--user", "sam", "status"]
    assert hoist_global_options(["done", "x", "--debug", "-r", "r.yaml"]) == ["--debug", "-r", "r.yaml", "done", "x"]
    assert hoist_global_options(["list", "--roadmap=r.yaml"]) == ["--roadmap=r.yaml", "list"]
    assert hoist_global_options(["import", "f.json", "--user", "grace"]) == ["import", "f.json", "--user", "grace"]
    assert hoist_global_options(["cohort", "report", "-r", "x", "--user", "u"]) == [
        "--user",
        "u",
        "cohort",
        "report",
        "-r",
        "x",
    ]
    assert hoist_global_options(["note", "x", "--", "-u", "text"]) == ["note", "x", "--", "-u", "text"]
    env = {"AIPM_HOME": str(tmp_path / "home"), "AIPM_NOW": "2026-11-24T10:00:00+00:00"}
    assert aipm_process("done", "ai-for-everyone", "--user", "sam", env=env).returncode == 0
    shown = aipm_process("status", "--json", "--user", "sam", env=env)
    assert '"user": "sam"' in shown.stdout
