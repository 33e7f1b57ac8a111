"""aipm where learners are: names every platform can hold, one place for platform
differences, and a platform check that runs on Linux (issue 29)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aipm_cli.errors import InputError
from aipm_cli.paths import check_user_name, unportable
from conftest import Run

# --------------------------------------------------------------------------- #
# Names every platform can hold
# --------------------------------------------------------------------------- #

WINDOWS_RESERVED = ["CON", "con", "Prn", "aux", "NUL", "nul.jsonl", "COM1", "com9.txt", "LPT1", "lpt9.log", "Aux.x.y"]


@pytest.mark.parametrize("name", WINDOWS_RESERVED)
def test_a_windows_device_name_is_refused_as_a_learner_name(name: str) -> None:
    with pytest.raises(InputError) as caught:
        check_user_name(name)
    assert "device name on Windows" in str(caught.value)


@pytest.mark.parametrize("name", ["a.", "name..", "x" * 65])
def test_a_name_windows_would_change_or_cannot_hold_is_refused(name: str) -> None:
    with pytest.raises(InputError):
        check_user_name(name)


@pytest.mark.parametrize("name", ["a:b", "a<b", "a>b", 'a"b', "a/b", "a\\b", "a|b", "a?b", "a*b", "a ", "a\x01"])
def test_the_characters_windows_refuses_make_a_name_unportable(name: str) -> None:
    assert unportable(name) is not None


@pytest.mark.parametrize("name", ["console", "com0", "comA", "lpt", "nully", "ada", "maya.k", "x" * 64])
def test_names_that_only_look_reserved_are_kept(name: str) -> None:
    assert unportable(name) is None
    assert check_user_name(name) == name


def test_a_reserved_learner_name_is_refused_on_the_command_line(run: Run, home: Path) -> None:
    result = run("done", "ai-for-everyone", "--user", "nul")
    assert result.exit_code == 1
    assert "'nul' is not a usable learner name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "learners" / "nul").exists()


def test_two_learners_differing_only_in_case_are_refused_as_one(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone", "--user", "Maya").exit_code == 0
    result = run("done", "user-research", "--user", "maya")
    assert result.exit_code == 1
    assert "There is already a learner called 'Maya'" in result.stderr
    assert sorted(p.name for p in (home / "learners").iterdir()) == ["Maya"]
    # Reads are refused too: on macOS and Windows they would show Maya's record as maya's.
    assert run("status", "--user", "maya").exit_code == 1
    assert run("status", "--user", "Maya").exit_code == 0


def test_renaming_into_a_case_twin_is_refused_but_a_case_only_rename_is_not(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone", "--user", "maya").exit_code == 0
    assert run("done", "ai-for-everyone", "--user", "bob").exit_code == 0
    refused = run("users", "rename", "bob", "Maya")
    assert refused.exit_code == 1
    assert "'maya'" in refused.stderr
    assert run("users", "rename", "maya", "Maya").exit_code == 0
    assert sorted(p.name for p in (home / "learners").iterdir()) == ["Maya", "bob"]


def test_a_device_id_windows_cannot_hold_as_a_file_name_is_refused(home: Path) -> None:
    from aipm_cli.errors import StoreError
    from aipm_cli.record.ledger import device_id

    home.mkdir(parents=True)
    (home / "device").write_text("nul\n")  # its log would be nul.jsonl: the NUL device on Windows
    with pytest.raises(StoreError):
        device_id(home)
    (home / "device").write_text("nully\n")
    assert device_id(home) == "nully"


@pytest.mark.parametrize("roadmap_id", ["con", "aux", "com3", "lpt1", "x" * 65])
def test_a_roadmap_id_that_names_an_unportable_folder_is_refused(roadmap_id: str) -> None:
    from pydantic import ValidationError

    from aipm_cli.models import Roadmap

    with pytest.raises(ValidationError) as caught:
        Roadmap.model_validate({"id": roadmap_id, "title": "T", "version": "1"})
    assert "cannot be a roadmap id" in str(caught.value)


def test_the_default_learner_name_is_portable(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    from aipm_cli.paths import default_user_name

    monkeypatch.setattr(getpass, "getuser", lambda: "CON")
    assert default_user_name() == "CON-learner"
    monkeypatch.setattr(getpass, "getuser", lambda: "a" * 80)
    assert unportable(default_user_name()) is None


# --------------------------------------------------------------------------- #
# One place for platform differences
# --------------------------------------------------------------------------- #

SRC = Path(__file__).resolve().parent.parent / "src" / "aipm_cli"
POSIX_ONLY = {
    "O_NOFOLLOW", "O_DIRECTORY", "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "fchmod", "fchown", "lchown", "chown",
    "geteuid", "getuid", "getegid", "getgid", "getpwuid", "mkfifo", "mknod", "fork", "setsid", "killpg", "getpgid",
    "replace",  # os.replace: Windows refuses it while another process has the file open (portable.replace retries)
}  # fmt: skip
POSIX_MODULES = {"pwd", "grp", "fcntl", "termios", "resource"}


def _posix_only_uses(path: Path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr in POSIX_ONLY:
                found.append(f"{path.name}:{node.lineno}: os.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}:
            if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value in POSIX_ONLY:
                found.append(f"{path.name}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{path.name}:{node.lineno}: from os import {a.name}" for a in node.names if a.name in POSIX_ONLY]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{path.name}:{node.lineno}: import {n}" for n in names if n.split(".")[0] in POSIX_MODULES]
    return found


def test_no_posix_only_call_outside_the_platform_module() -> None:
    uses = [use for path in sorted(SRC.rglob("*.py")) if path.name != "portable.py" for use in _posix_only_uses(path)]
    assert uses == [], "POSIX-only calls outside src/aipm_cli/portable.py:\n" + "\n".join(uses)


def test_the_source_check_sees_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, fcntl\nos.fchmod(1, 0)\nflags = getattr(os, 'O_NOFOLLOW', 0)\nos.replace('a', 'b')\n"
        "from os import geteuid\nx = os.path.join('a')\n"
    )
    assert sorted(use.split(": ", 1)[1] for use in _posix_only_uses(sample)) == sorted(
        ["import fcntl", "os.fchmod", "getattr(..., 'O_NOFOLLOW')", "os.replace", "from os import geteuid"]
    )


def test_without_o_nofollow_a_planted_link_is_still_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from aipm_cli.fs import read_device_file, read_private_file

    monkeypatch.delattr(os, "O_NOFOLLOW")
    secret = tmp_path / "elsewhere"
    secret.write_text("someone-else\n")
    secret.chmod(0o600)
    link = tmp_path / "device"
    link.symlink_to(secret)
    text, why = read_device_file(link)
    assert text == "" and "symbolic link" in why
    assert read_private_file(link) is None
    assert read_private_file(secret) == b"someone-else\n"


def test_a_replace_refused_by_a_sharing_violation_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    from aipm_cli.fs import atomic_write

    real = os.replace
    refused: list[str] = []

    def busy_once(source: str, target: str) -> None:
        if not refused:
            refused.append(str(target))
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        real(source, target)

    monkeypatch.setattr(os, "replace", busy_once)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    target = tmp_path / "store.json"
    target.write_bytes(b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and refused == [str(target)]
    assert [p.name for p in tmp_path.iterdir()] == ["store.json"]  # no temporary file left


def test_a_lasting_permission_error_is_raised_after_a_bounded_number_of_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    from aipm_cli import portable
    from aipm_cli.fs import atomic_write

    tries: list[str] = []
    pauses: list[float] = []

    def always_busy(source: str, target: str) -> None:
        tries.append(source)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", always_busy)
    monkeypatch.setattr(time, "sleep", pauses.append)
    target = tmp_path / "store.json"
    target.write_bytes(b"old")
    with pytest.raises(PermissionError):
        atomic_write(target, b"new")
    assert len(tries) == portable.REPLACE_TRIES and len(pauses) == portable.REPLACE_TRIES - 1
    assert sum(pauses) < 2
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["store.json"]
