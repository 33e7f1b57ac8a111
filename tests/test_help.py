"""Help and usage: every command ends its help with real examples, metavars are words, usage errors exit 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, log_bytes


def _commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    from typer.main import get_command

    from aipm_cli.cli.typer_app import make_app

    app = make_app()  # not `from aipm_cli.cli import app`: once a run imported cli/app.py, that is the module

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, (*path, name))

    yield from walk(get_command(app), ())


COMMANDS = [path for path, _command in _commands()]
LEAVES = [path for path, command in _commands() if not getattr(command, "commands", None)]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "aipm")
def test_help_ends_with_one_to_three_real_examples(run: Run, path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0
    text = result.stdout.rstrip("\n")
    head, _, tail = text.rpartition("Examples:\n\n")
    assert head, f"no examples in `aipm {' '.join(path)} --help`"
    examples = [line.strip() for line in tail.splitlines()]
    assert 1 <= len(examples) <= 3
    for example in examples:
        words = example.split()
        assert words[0] == "aipm"
        # The example runs the command it documents (the root's may run any).
        if path:
            assert tuple(words[1 : 1 + len(path)]) == path or words[1] == "restore", example
        assert all(len(line) <= 80 for line in tail.splitlines())


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "aipm")
def test_metavars_are_words(run: Run, path: tuple[str, ...]) -> None:
    text = run(*path, "--help").stdout
    assert not re.search(r"<[a-z][a-z ]*>", text), text
    assert not re.search(r"\{[A-Z]", text), text
    assert "Print JSON." not in text


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_an_unknown_option_is_a_usage_error_everywhere(run: Run, path: tuple[str, ...]) -> None:
    result = run(*path, "--no-such-option")
    assert result.exit_code == 2, result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("import", "--merge", "--replace", "export.json"),
        ("list", "--status", "finished"),
        ("list", "--kind", "video"),
        ("config", "--unset"),
        ("config", "hours_per_week", "6", "--unset"),
        ("done", "ai-for-everyone", "--on", "someday"),
        ("done", "ai-for-everyone", "--on", "2099-01-01"),
        ("start", "ai-for-everyone", "--on", "2026-13-01"),
        ("done", "agile-certification", "--expires", "never"),
        ("note", "ai-for-everyone", "--remove", "first"),
        ("note", "ai-for-everyone", "--remove", "0"),
        ("note", "ai-for-everyone", "text", "--on", "soon"),
        ("log", "--since", "last week"),
        ("log", "--limit", "0"),
        ("next", "-n", "0"),
        ("export", "--format", "pdf"),
        ("export", "--as-of", "tomorrowish"),
        ("plan", "--hours-per-week", "abc"),
        ("plan", "--start", "monday"),
        ("assess", "ethics", "9"),
        ("assess", "ethics", "3", "--on", "x"),
        ("cohort", "report", "--by", "foo", "."),
        ("cohort", "report", "--format", "pdf", "."),
        ("evidence", "ai-for-everyone"),
    ],
    ids=" ".join,
)
def test_bad_option_values_exit_2_and_change_nothing(run: Run, store_path: Path, args: tuple[str, ...]) -> None:
    run("note", "ai-for-everyone", "kept")
    before = log_bytes(store_path)
    result = run(*args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert log_bytes(store_path) == before


def test_config_shows_defaults_and_where_each_value_comes_from(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("config")
    assert result.exit_code == 0
    assert "hours_per_week = 8 (the default)" in result.stdout
    assert "8.0" not in result.stdout
    assert "user = ada (AIPM_USER; default " in result.stdout
    run("config", "hours_per_week", "6")
    assert "hours_per_week = 6 (config.json; default 8)" in run("config").stdout
    monkeypatch.delenv("AIPM_USER")
    shown = run("config").stdout
    assert re.search(r"user = \S+ \(your login name\)", shown), shown
    assert "user = sam (--user; default" in run("--user", "sam", "config").stdout


def test_the_readme_command_reference_shows_every_command_and_option() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    reference = readme[readme.index("## Command reference") : readme.index("## What counts")]
    for path, command in _commands():
        if not path:
            continue
        assert f"`aipm {' '.join(path)}" in reference, path
        for param in command.params:
            options = [o for o in param.opts if o.startswith("-") and o not in ("--help", "-h")]
            if options:
                assert any(f"{o} " in reference or f"{o}]" in reference for o in options), (path, options)


def test_the_readme_first_session_runs_as_written(run, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.search(r"## A first session\n\n```sh\n(.*?)```", readme, re.S).group(1)  # type: ignore[union-attr]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # `~/aipm-plan.ics` lands here
    for line in block.splitlines():
        args = shlex.split(line.split("   #")[0], comments=True)
        assert args[0] == "aipm"
        args = [str(tmp_path / "aipm-plan.ics") if a == "~/aipm-plan.ics" else a for a in args[1:]]
        result = run(*args)
        assert result.exit_code == 0, (line, result.stderr)
    assert (tmp_path / "progress.html").exists() and (tmp_path / "backup.json").exists()


def test_the_readme_json_table_names_every_field_the_commands_give(run: Run) -> None:
    """Each field of a `--json` document (top level, and an item row's) is named in the README's JSON
    section, so a field added to the output is documented with it."""
    import json

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## JSON output") :]
    section = section[: section.index("\n## ", 1)]
    item_row = section[section.index("**Item row**") : section.index("**Counts**")]

    def row(command: str) -> str:
        found = re.search(rf"^\| `{re.escape(command)} --json`[^\n]*", section, re.M)
        assert found, command
        return found.group(0)

    def missing(keys: Any, text: str) -> list[str]:
        return [key for key in keys if f"`{key}`" not in text]

    assert run("start", "ai-for-everyone").exit_code == 0
    for command in ("list", "next"):
        rows = json.loads(run(command, "--json").stdout)
        assert rows and not missing(rows[0], item_row), (command, missing(rows[0], item_row))
    for command in ("status", "plan", "config", "users", "doctor"):
        document = json.loads(run(*command.split(), "--json").stdout)
        assert not missing(document, row(command)), (command, missing(document, row(command)))
    plan = json.loads(run("plan", "--json").stdout)
    assert not missing(plan["items"][0], row("plan"))
    # config --json, as the README says: config.json's value, else the default; null where there is none
    config = json.loads(run("config", "--json").stdout)
    assert (config["hours_per_week"], config["roadmap"], config["report_notes"]) == (8.0, "ai-product-manager", True)
    assert config["user"] is None and config["name"] is None
    for command in ("roadmap list", "skills"):
        first = json.loads(run(*command.split(), "--json").stdout)[0]
        assert not missing(first, row(command)), (command, missing(first, row(command)))


def test_the_readme_quotes_the_forecast_of_a_blank_record_as_status_prints_it(run: Run) -> None:
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text().split())
    quoted = re.search(r'"(\d+-\d+ h of study left: [^"]+)" \(a blank record\)', readme)
    assert quoted, "the README's forecast example is not where it was"
    assert quoted.group(1) in " ".join(run("status").stdout.split())


def test_the_readme_lists_every_section_of_the_html_report() -> None:
    """Each <h2> of the HTML report's template is named (in bold) in the README's list of its sections."""
    root = Path(__file__).resolve().parent.parent
    template = (root / "src" / "aipm_cli" / "render" / "templates" / "report.html.j2").read_text()
    headings = [h.split(" (")[0].strip() for h in re.findall(r"<h2[^>]*>([^<{]+)</h2>", template)]
    assert "Study time" in headings and "Overview" in headings
    readme = (root / "README.md").read_text()
    listed = readme[readme.index("**HTML** (`-o report.html`)") : readme.index("On paper (print")]
    assert not [h for h in headings if f"**{h}**" not in listed]
