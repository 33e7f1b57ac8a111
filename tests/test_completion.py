"""Shell completion: the scripts for bash, zsh and fish, exercised in the real shells."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Run

AIPM = Path(sys.executable).with_name("aipm")
OWN = """\
id: mine
title: Mine
version: "1"
skills: [{id: craft, title: Craft}]
phases:
  - id: own-phase
    title: Own phase
    modules:
      - id: own-module
        title: Own module
        items:
          - {id: own-item, title: Own item, kind: topic}
"""


@pytest.fixture
def shell_env(run: Run, home: Path, tmp_path: Path) -> dict[str, str]:
    """aipm on PATH, a learner with progress (so the roadmap cache is warm), a second learner."""
    if not AIPM.exists():
        pytest.skip("the aipm script is not installed beside this Python")
    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("--user", "grace", "start", "user-research").exit_code == 0
    (tmp_path / "own.yaml").write_text(OWN)
    return {**os.environ, "PATH": f"{AIPM.parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def bash(env: dict[str, str], line: str) -> list[str]:
    """COMPREPLY for a command line ending where the cursor is (a trailing space starts a new word)."""
    script = subprocess.run([str(AIPM), "completion", "bash"], env=env, capture_output=True, text=True, check=True)
    words = line.split(" ")
    program = (
        script.stdout
        + "COMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")\n"
        + f"COMP_CWORD={len(words) - 1}\n"
        + "_aipm_complete\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )  # fmt: skip
    out = subprocess.run(["bash", "-c", program], env=env, capture_output=True, text=True, check=True)
    return [w for w in out.stdout.splitlines() if w]


def fish(env: dict[str, str], line: str) -> list[str]:
    if not shutil.which("fish"):
        pytest.skip("fish is not installed")
    script = subprocess.run([str(AIPM), "completion", "fish"], env=env, capture_output=True, text=True, check=True)
    program = script.stdout + f"complete -C '{line}'\n"
    out = subprocess.run(["fish", "--no-config", "-c", program], env=env, capture_output=True, text=True, check=True)
    return [w.split("\t")[0] for w in out.stdout.splitlines() if w]


def zsh(env: dict[str, str], line: str) -> list[str]:
    """The candidates zsh's completion function hands to _describe (run with compadd captured)."""
    if not shutil.which("zsh"):
        pytest.skip("zsh is not installed")
    script = subprocess.run([str(AIPM), "completion", "zsh"], env=env, capture_output=True, text=True, check=True)
    words = line.split(" ")
    program = (
        "compdef() { : }\n_files() { : }\n"
        "_describe() { local -a found; found=(\"${(@P)${@[-1]}}\"); printf '%s\\n' \"${found[@]%%:*}\" }\n"
        + script.stdout
        + "words=(" + " ".join(f"'{w}'" for w in words) + ")\n"
        + f"CURRENT={len(words)}\n_aipm\n"
    )  # fmt: skip
    out = subprocess.run(["zsh", "-f", "-c", program], env=env, capture_output=True, text=True, check=True)
    return [w for w in out.stdout.splitlines() if w]


def test_scripts_hold_no_path_of_this_machine(shell_env: dict[str, str]) -> None:
    for shell in ("bash", "zsh", "fish"):
        script = subprocess.run([str(AIPM), "completion", shell], env=shell_env, capture_output=True, text=True)
        assert script.returncode == 0 and "aipm" in script.stdout
        for path in (sys.prefix, str(AIPM.parent), os.getcwd(), shell_env["HOME"], str(Path.home())):
            assert path not in script.stdout
    bad = subprocess.run([str(AIPM), "completion", "tcsh"], env=shell_env, capture_output=True, text=True)
    assert bad.returncode == 2 and "bash, zsh, fish or powershell" in bad.stderr


@pytest.mark.parametrize("complete", [bash, zsh, fish])
def test_ids_skills_roadmaps_and_learners(complete, shell_env: dict[str, str], home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(home)
    assert "ai-for-everyone" in complete(shell_env, "aipm done ai-f")
    assert complete(shell_env, "aipm done core-p") == ["core-product-management"]  # a module after done
    assert "phase-1" in complete(shell_env, "aipm start phase-")
    assert "feature-analysis-market-research" in complete(shell_env, "aipm done feature-analysis-m")  # a deliverable
    assert "product-management" in complete(shell_env, "aipm assess prod")
    assert "ai-product-manager" in complete(shell_env, "aipm roadmap use ai-")
    assert set(complete(shell_env, "aipm --user ")) == {"ada", "grace"}
    assert sorted(complete(shell_env, "aipm st")) == ["start", "status", "study"]
    own = str(tmp_path / "own.yaml")
    assert sorted(complete(shell_env, f"aipm --roadmap {own} done own-")) == ["own-item", "own-module", "own-phase"]
    assert "md" in complete(shell_env, "aipm export --format ")
    assert snapshot(home) == before  # completing never writes


@pytest.mark.parametrize("complete", [bash, fish])
def test_nothing_for_an_empty_or_broken_data_directory(complete, shell_env: dict[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty"
    env = {**shell_env, "AIPM_HOME": str(empty)}
    assert complete(env, "aipm --user ") == []
    assert not empty.exists()
    broken = tmp_path / "file-not-folder"
    broken.write_text("x")
    assert complete({**shell_env, "AIPM_HOME": str(broken)}, "aipm done ai-f") == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("phases: [: not yaml")
    assert complete(shell_env, f"aipm --roadmap {bad} done a") == []


def test_a_completion_request_imports_no_framework(shell_env: dict[str, str]) -> None:
    code = (
        "import sys, os\nsys.argv = ['aipm', 'done', 'ai-f']\n"
        "os.environ['_AIPM_COMPLETE'] = 'bash'; os.environ['_AIPM_CWORD'] = '2'\n"
        "from aipm_cli.entry import main\nmain()\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=shell_env, capture_output=True, text=True, check=True)
    loaded = set(out.stderr.splitlines())
    assert "ai-for-everyone" in out.stdout
    assert not {"typer", "rich", "pydantic", "yaml", "click"} & {m.split(".")[0] for m in loaded}


def test_the_completion_table_is_the_cli_s_own() -> None:
    """Completion reads a table made from the Typer app: every command, subcommand and valued option."""
    from aipm_cli import command_table
    from aipm_cli.cli.table import table

    made = table()
    assert command_table.COMMANDS == made["commands"], (
        "run: python -m aipm_cli.cli.table > src/aipm_cli/command_table.py"
    )
    assert command_table.SUBCOMMANDS == made["subcommands"]
    assert command_table.VALUED == {tuple(v) for v in made["valued"]}
    assert command_table.ARGUMENTS == made["arguments"]
    assert command_table.CHOICES == made["choices"]
    assert command_table.FORMATS == made["formats"]


@pytest.mark.parametrize("complete", [bash, fish])
def test_item_ids_after_study_and_review_and_ratings_after_the_item(complete, shell_env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """What each argument is comes from the CLI's own metavars (command_table.ARGUMENTS), not a list
    of commands kept by hand: the item after `study start`, `study add`, `study stop` and `review`,
    and the four ratings after `review ITEM`."""
    for line in ("aipm study start ai-f", "aipm study add ai-f", "aipm study stop ai-f", "aipm review ai-f"):
        assert "ai-for-everyone" in complete(shell_env, line), line
    assert sorted(complete(shell_env, "aipm review ai-for-everyone ")) == ["again", "easy", "good", "hard"]
    assert complete(shell_env, "aipm review ai-for-everyone g") == ["good"]
    assert complete(shell_env, "aipm study add ai-for-everyone 1") == []  # a time: nothing to offer
    assert complete(shell_env, "aipm study start ai-for-everyone ") == []  # one item only
    assert "ai-for-everyone" in complete(shell_env, "aipm done user-research ai-f")  # ITEM... repeats
    assert complete(shell_env, "aipm assess product-management 3") == ["3"]


def test_every_command_and_subcommand_is_completed(home: Path, run: Run) -> None:
    from typer.main import get_command

    from aipm_cli.cli import make_app
    from aipm_cli.completion import candidates

    assert run("status").exit_code == 0  # a data directory
    group = get_command(make_app())
    offered = {value for value, _ in candidates([""], 0)}
    assert offered == {name for name, c in group.commands.items() if not c.hidden}  # type: ignore[attr-defined]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        inner = getattr(command, "commands", None)
        if inner:
            subs = {value for value, _ in candidates([name, ""], 1)}
            assert subs == set(inner), name
    assert {"evidence", "backups", "restore"} <= offered
    assert {"rename", "remove"} <= {value for value, _ in candidates(["users", ""], 1)}


@pytest.mark.parametrize("command", ["export", "cohort"])
def test_every_format_a_report_takes_is_completed_and_in_its_help(home: Path, run: Run, command: str) -> None:
    """One format registry (render/formats.py) serves --format, -o, --help and completion: they cannot drift
    (completion once left xapi out of export's formats)."""
    from aipm_cli.completion import candidates
    from aipm_cli.render.formats import choose, formats, listed

    assert run("status").exit_code == 0
    argv = [command, "report"] if command == "cohort" else [command]
    for option in ("--format", "-f"):
        offered = [value for value, _ in candidates([*argv, option, ""], len(argv) + 1)]
        assert offered == [f.name for f in formats(command)]
    assert "xapi" in [f.name for f in formats("export")]
    helped = run(*argv, "--help", env={"COLUMNS": "400"}).output
    assert listed(command) in " ".join(helped.split())
    for f in formats(command):
        assert choose(command, f.name.upper(), None) == f.name
        for alias in f.aliases:
            assert choose(command, alias, None) == f.name
        for ext in f.extensions:
            assert choose(command, None, Path("out" + ext.upper())) == f.name
