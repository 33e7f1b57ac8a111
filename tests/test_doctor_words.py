"""What `aipm doctor` advises for each kind of damage, and that the advice works; what `doctor --json`
always holds; the words reads use for a file they skip; `log` with a reversed range."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, Run

SECRET = b"someone-else's secret line\n"


def _fifo(path: Path, tmp_path: Path) -> None:
    os.mkfifo(path, 0o600)


def _folder(path: Path, tmp_path: Path) -> None:
    path.mkdir()


def _link(path: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(SECRET)
    path.symlink_to(outside)


PLANTED: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "fifo": (_fifo, "it is a FIFO (named pipe), not a regular file"),
    "folder": (_folder, "it is a folder, not a regular file"),
    "symlink": (_link, "it is a symbolic link, not a regular file"),
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_a_log_that_is_not_a_regular_file_is_said_as_such_and_never_sent_to_repair(
    run: Run, home: Path, store_path: Path, tmp_path: Path, kind: str
) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    plant, what = PLANTED[kind]
    planted = store_path / "other-device.jsonl"
    plant(planted, tmp_path)
    [own] = [p for p in store_path.glob("*.jsonl") if p != planted]
    kept = own.read_bytes()
    found = run("doctor")
    assert found.exit_code == 1
    said = " ".join(found.output.split())  # unwrapped
    assert f"{planted.name}: {what}" in said
    assert "move it out of" in said and "`aipm doctor --repair` cannot mend it" in said
    assert "to move the damaged line" not in said  # the advice that did not work
    assert "can be read by other users" not in said  # a link's or a FIFO's mode is not the problem
    repaired = run("doctor", "--repair", "--yes")
    again = " ".join(repaired.output.split())
    assert f"{planted.name}: {what}" in again and "move it out of" in again
    assert "Nothing to repair: no damaged or torn line" not in again  # it said there was damage
    assert "No line for --repair to move" in again
    assert own.read_bytes() == kept
    assert planted.is_symlink() == (kind == "symlink")  # left where it was, untouched
    backups = home / "learners" / "ada" / "backups"
    assert not backups.exists() or not any(backups.iterdir())
    status = run("status")
    assert status.exit_code == 0
    assert f"skipped a file that cannot be read: {planted}: {what}" in " ".join(status.stderr.split())
    assert "skipped a line" not in status.stderr


def test_a_log_that_is_a_symlink_is_never_read_nor_copied(
    run: Run, home: Path, store_path: Path, tmp_path: Path
) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    planted = store_path / "other-device.jsonl"
    _link(planted, tmp_path)
    secret = SECRET.decode().strip()
    report = run("doctor", "--json")
    data = json.loads(report.stdout)
    assert secret not in report.output
    [damaged] = data["damaged_lines"]
    assert damaged["line"] == 0 and damaged["kind"] == "not_regular" and "symbolic link" in damaged["reason"]
    [logged] = [entry for entry in data["logs"] if entry["file"] == str(planted)]
    assert logged["bytes"] == len(str(tmp_path / "outside.jsonl"))  # the link's own size, not its target's
    repaired = run("doctor", "--repair", "--yes")
    assert secret not in repaired.output
    for path in home.rglob("*"):
        assert path == planted or not path.is_file() or SECRET not in path.read_bytes(), path
    log = run("log")
    assert secret not in log.output
    assert f"skipped a file that cannot be read: {planted}" in " ".join(log.stderr.split())
    assert (tmp_path / "outside.jsonl").read_bytes() == SECRET


def test_a_log_with_cr_only_line_ends_is_told_the_fix_that_works(run: Run, store_path: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    [log] = list(store_path.glob("*.jsonl"))
    before = log.read_bytes()
    log.write_bytes(before.replace(b"\n", b"\r"))
    found = " ".join(run("doctor").output.split())
    assert "its lines end in a carriage return alone" in found and "tr '\\r' '\\n'" in found
    assert "to move the damaged line" not in found and "`aipm doctor --repair` cannot" in found
    repaired = run("doctor", "--repair", "--yes")
    again = " ".join(repaired.output.split())
    assert "tr '\\r' '\\n'" in again and "move that file out" not in again
    assert "Nothing to repair: no damaged or torn line" not in again
    assert log.read_bytes() == before.replace(b"\n", b"\r")  # left as it is
    status = run("status")
    assert "skipped lines that cannot be read" in " ".join(status.stderr.split())


def test_a_damaged_line_is_still_sent_to_repair(run: Run, store_path: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    [log] = list(store_path.glob("*.jsonl"))
    log.write_bytes(log.read_bytes() + b"{oops\n")
    found = " ".join(run("doctor").output.split())
    assert "run `aipm doctor --repair` to move the damaged line" in found
    assert "skipped a line that cannot be read" in " ".join(run("status").stderr.split())
    assert run("doctor", "--repair", "--yes").exit_code == 0
    assert run("doctor").exit_code == 0


def _documented_doctor_fields() -> set[str]:
    """The top-level fields README's `doctor --json` row names (those inside {...} belong to a list's entries)."""
    readme = (REPO / "README.md").read_text()
    [row] = [line for line in readme.splitlines() if line.startswith("| `doctor --json` |")]
    text = row.split("|")[2]
    while re.search(r"\{[^{}]*\}", text):
        text = re.sub(r"\{[^{}]*\}", "", text)
    text = re.sub(r"\([^()]*\)", "", text)  # what a field means, and its values
    return set(re.findall(r"`([a-z_]+)`", text))


def test_with_config_a_folder_doctor_says_each_problem_once_with_every_field(run: Run, home: Path) -> None:
    (home / "config.json").mkdir(parents=True)
    result = run("doctor", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    fields = _documented_doctor_fields()
    assert {"healthy", "problems", "damaged_lines", "cache_agrees", "rebuilt", "changes_dir"} <= fields
    assert fields <= set(data), sorted(fields - set(data))
    assert data["problems"] == [f"Cannot read the settings file {home / 'config.json'}: it is a folder."]
    assert data["roadmap"] is None and data["changes"] is None and data["odd_states"] == []
    text = run("doctor")
    assert text.exit_code == 1
    assert text.output.count("it is a folder") == 1
    assert "None" not in text.output


def test_every_documented_doctor_field_is_there_on_a_healthy_store(run: Run) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    data = json.loads(run("doctor", "--json").stdout)
    assert _documented_doctor_fields() <= set(data)
    assert set(data) <= _documented_doctor_fields()  # and nothing README does not say
    assert data["healthy"] is True and data["rebuilt"] is False


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "typer"])
def test_log_with_since_after_until_is_a_usage_error_naming_both(run: Run, direct: bool) -> None:
    from conftest import invoke_line

    assert run("done", "ai-for-everyone").exit_code == 0
    result = invoke_line(["log", "--since", "2026-11-01", "--until", "2026-10-01"], direct=direct)
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "2026-11-01" in said and "2026-10-01" in said
    assert "No changes yet" not in result.output
    same_day = invoke_line(["log", "--since", "2026-11-24", "--until", "2026-11-24"], direct=direct)
    assert same_day.exit_code == 0 and "AI for Everyone" in same_day.output
