"""Learners whose names differ only in case (`Maya`, `maya`): one folder on macOS and Windows.

The name rule holds for every way of naming a learner (an option, AIPM_USER, `import --user`, a
folder a sync brings); a pair already on disk (an older aipm, or a hand, made it) locks nobody
out, and `aipm doctor` names it. The sync tests use real git: devices and a bare remote.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import Run
from test_sync import aipm, git, git_env, make_device, make_remote, snapshot_files  # noqa: F401 (git_env: autouse)

# --------------------------------------------------------------------------- #
# import --user
# --------------------------------------------------------------------------- #


def test_import_into_a_name_that_differs_only_in_case_is_refused_and_writes_nothing(
    run: Run, home: Path, tmp_path: Path
) -> None:
    assert run("--user", "Bob", "start", "ai-for-everyone").exit_code == 0
    report = tmp_path / "r.json"
    assert run("--user", "Bob", "export", "--format", "json", "-o", str(report)).exit_code == 0
    before = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    refused = run("import", str(report), "--user", "BOB")
    assert refused.exit_code == 1, refused.stdout
    assert "There is already a learner called 'Bob'" in refused.stderr
    assert "Imported" not in refused.stdout + refused.stderr
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == before
    # Every command still works for Bob, and an import into Bob's own name is taken as before.
    assert run("--user", "Bob", "status").exit_code == 0
    assert run("import", str(report), "--user", "Bob").exit_code == 0


# --------------------------------------------------------------------------- #
# A pair already on disk
# --------------------------------------------------------------------------- #


def _pair(run: Run, home: Path) -> None:
    """Bob (made by aipm) and BOB (a copy made by hand, or by an older aipm) with progress of its own."""
    assert run("--user", "Bob", "start", "ai-for-everyone").exit_code == 0
    shutil.copytree(home / "learners" / "Bob", home / "learners" / "BOB")
    assert run("--user", "BOB", "done", "ai-for-everyone").exit_code == 0


def test_a_pair_on_disk_locks_neither_learner_out(run: Run, home: Path, tmp_path: Path) -> None:
    _pair(run, home)
    for name in ("Bob", "BOB"):
        status = run("--user", name, "status", "--json")
        assert status.exit_code == 0, status.stderr
        out = tmp_path / f"{name}.json"
        assert run("--user", name, "export", "--format", "json", "-o", str(out)).exit_code == 0
        assert json.loads(out.read_text())["user"] == name
    assert run("--user", "BOB", "undo").exit_code == 0
    listed = run("--user", "BOB", "users")
    assert listed.exit_code == 0, listed.stderr
    assert "Bob" in listed.stdout and "BOB" in listed.stdout
    assert "'BOB' differs only in case from 'Bob'" in listed.stdout + listed.stderr
    # Even when the name in use is no learner's exactly, but several learners' in case alone.
    ambiguous = run("--user", "bob", "users", "--json")
    assert ambiguous.exit_code == 0, ambiguous.stderr
    assert not any(u["current"] for u in json.loads(ambiguous.stdout)["users"])
    users = run("--user", "Bob", "users", "--json")
    assert users.exit_code == 0, users.stderr
    assert sorted(u["user"] for u in json.loads(users.stdout)["users"]) == ["BOB", "Bob"]


def test_a_name_that_matches_no_folder_exactly_but_several_in_case_is_refused(run: Run, home: Path) -> None:
    _pair(run, home)
    refused = run("--user", "bob", "status")
    assert refused.exit_code == 1
    assert "There is no learner called 'bob'" in refused.stderr
    assert "'BOB' and 'Bob'" in refused.stderr
    assert not (home / "learners" / "bob").exists()


def test_doctor_names_the_pair_and_what_to_do(run: Run, home: Path) -> None:
    _pair(run, home)
    result = run("--user", "Bob", "doctor", "--json")
    report = json.loads(result.stdout)
    assert report["user"] == "Bob"
    assert report["case_collisions"] == [["BOB", "Bob"]]
    said = [p for p in report["problems"] if "differ only in case" in p]
    assert len(said) == 1, report["problems"]
    assert "'BOB' and 'Bob'" in said[0]
    # Joining into the learner in use, or parting them with a rename.
    assert "aipm import BOB.json --user Bob" in said[0]
    assert "aipm users rename BOB NEW" in said[0]
    text = run("--user", "BOB", "doctor")
    assert "differ only in case" in text.stdout + text.stderr


def test_the_way_out_doctor_gives_works(run: Run, home: Path, tmp_path: Path) -> None:
    _pair(run, home)
    assert run("--user", "Bob", "export", "--format", "json", "-o", str(tmp_path / "Bob.json")).exit_code == 0
    assert run("import", str(tmp_path / "Bob.json"), "--user", "BOB").exit_code == 0
    assert run("users", "remove", "Bob", "--yes").exit_code == 0
    assert sorted(p.name for p in (home / "learners").iterdir()) == ["BOB"]
    report = json.loads(run("--user", "BOB", "doctor", "--json").stdout)
    assert report["case_collisions"] == []
    assert not [p for p in report["problems"] if "differ only in case" in p]


def test_a_rename_out_of_a_pair_is_allowed_and_into_one_refused(run: Run, home: Path) -> None:
    _pair(run, home)
    refused = run("users", "rename", "BOB", "bob")
    assert refused.exit_code == 1
    assert "There is already a learner called 'Bob'" in refused.stderr
    assert run("users", "rename", "BOB", "Bobby").exit_code == 0
    assert sorted(p.name for p in (home / "learners").iterdir()) == ["Bob", "Bobby"]


# --------------------------------------------------------------------------- #
# Sync
# --------------------------------------------------------------------------- #


def _learners_on(remote: Path) -> set[str]:
    listed = git(remote, "ls-tree", "-r", "--name-only", "main", "learners")
    return {line.split("/")[1] for line in listed.splitlines()}


def test_joining_a_remote_with_a_case_twin_is_refused_before_anything_is_committed(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "a"), make_device(tmp_path, "b")
    aipm(a, "--user", "MAYA", "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "--user", "maya", "start", "user-research")
    refused = aipm(b, "sync", "init", str(remote), expect=1)
    assert "The learner 'maya' here and the learner 'MAYA' on the remote differ only in case" in refused.stderr
    assert "differ only in case" in refused.stderr
    assert "aipm users rename maya MAYA" in refused.stderr
    assert _learners_on(remote) == {"MAYA"}
    assert git(b, "rev-list", "--all", "--", "learners/maya") == ""
    # What it says to do works: the folder never travelled, so it may be renamed in a synced directory.
    aipm(b, "users", "rename", "maya", "MAYA")
    aipm(b, "sync")
    aipm(a, "sync")
    for home in (a, b):
        assert sorted(p.name for p in (home / "learners").iterdir()) == ["MAYA"]
        assert aipm(home, "--user", "MAYA", "status").exit_code == 0
    assert _learners_on(remote) == {"MAYA"}


def test_a_case_twin_arriving_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "a"), make_device(tmp_path, "b")
    aipm(b, "--user", "maya", "done", "ai-for-everyone")
    aipm(b, "sync", "init")  # committed here, offline
    aipm(a, "--user", "MAYA", "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    before = snapshot_files(b)
    head = git(b, "rev-parse", "HEAD")
    refused = aipm(b, "sync", "init", str(remote), expect=1)
    assert "The remote brings the learner 'MAYA'" in refused.stderr
    assert "the learner 'maya' here" in refused.stderr
    assert "Nothing was changed here" in refused.stderr
    assert "aipm import FILE --user MAYA" in refused.stderr
    assert snapshot_files(b) == before
    assert git(b, "rev-parse", "HEAD") == head
    assert sorted(p.name for p in (b / "learners").iterdir()) == ["maya"]
    assert _learners_on(remote) == {"MAYA"}
    assert aipm(b, "--user", "maya", "status").exit_code == 0


def test_sync_init_does_not_push_a_pair(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "a")
    aipm(a, "--user", "maya", "done", "ai-for-everyone")
    shutil.copytree(a / "learners" / "maya", a / "learners" / "Maya")  # an older aipm, or a hand
    refused = aipm(a, "sync", "init", str(remote), expect=1)
    assert "The learners 'Maya' and 'maya' here differ only in case" in refused.stderr
    assert "Nothing was committed or pushed" in refused.stderr
    assert "aipm users remove Maya" in refused.stderr
    assert git(remote, "for-each-ref") == ""
    # The way out it gives: the pair has not travelled, so one of them may go.
    aipm(a, "users", "remove", "Maya", "--yes")
    aipm(a, "sync")
    assert _learners_on(remote) == {"maya"}


def test_a_remote_holding_a_pair_is_refused_by_a_machine_that_joins(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, c = make_device(tmp_path, "a"), make_device(tmp_path, "c")
    aipm(a, "--user", "maya", "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    # An older aipm (or a hand) pushes a twin folder.
    work = tmp_path / "by-hand"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(work))
    shutil.copytree(work / "learners" / "maya", work / "learners" / "MAYA")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a twin")
    git(work, "push", "-q", "origin", "HEAD")
    aipm(c, "--user", "sam", "done", "ai-for-everyone")
    refused = aipm(c, "sync", "init", str(remote), expect=1)
    assert "The remote holds two learners whose names differ only in case, 'MAYA' and 'maya'" in refused.stderr
    assert sorted(p.name for p in (c / "learners").iterdir()) == ["sam"]
    # The machine that has maya is refused the arriving MAYA too: nothing changes there.
    before = snapshot_files(a)
    refused = aipm(a, "sync", expect=1)
    assert "'MAYA'" in refused.stderr and "'maya'" in refused.stderr
    assert snapshot_files(a) == before


def test_a_twin_of_a_folder_here_that_no_commit_holds_is_refused_too(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "a"), make_device(tmp_path, "b")
    aipm(b, "--user", "sam", "done", "ai-for-everyone")
    aipm(b, "sync", "init", str(remote))
    # maya's first change here was cut short (a torn line): her folder is here, and no commit holds it.
    changes = b / "learners" / "maya" / "ai-product-manager" / "changes"
    changes.mkdir(parents=True)
    (changes / "b.jsonl").write_bytes(b'{"id": "cut-sh')
    aipm(a, "--user", "MAYA", "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    before = snapshot_files(b)
    refused = aipm(b, "sync", expect=1)
    assert "The remote brings the learner 'MAYA'" in refused.stderr
    assert "aipm users rename maya MAYA" in refused.stderr  # nothing of hers travelled: a rename is the way
    assert snapshot_files(b) == before
    assert sorted(p.name for p in (b / "learners").iterdir()) == ["maya", "sam"]


def test_a_learner_that_has_been_synced_can_be_neither_renamed_nor_removed(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "a")
    aipm(a, "--user", "maya", "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    for args in (("users", "rename", "maya", "maia"), ("users", "remove", "maya", "--yes")):
        refused = aipm(a, *args, expect=1)
        assert "synced with git" in refused.stderr
    assert sorted(p.name for p in (a / "learners").iterdir()) == ["maya"]
    # One made since, that no commit holds yet, has gone nowhere: it may still move.
    aipm(a, "--user", "sam", "done", "ai-for-everyone")
    aipm(a, "users", "rename", "sam", "samuel")
    assert sorted(p.name for p in (a / "learners").iterdir()) == ["maya", "samuel"]
