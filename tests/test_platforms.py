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
