"""Sync names the real cause and recovers (issue 25, point 11): a changed remote URL, a data folder that
was a git repository of its own, the count after an offline backlog, and the words for a hand-edited own
log, a newer aipm's line and a wrong URL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from test_sync import aipm, git, git_env, log_ids, make_device, make_remote, snapshot_files  # noqa: F401


def _commit_all(home: Path, message: str) -> None:
    git(home, "add", "-A")
    git(home, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", message)


def test_a_changed_remote_url_works_after_the_old_remote_history_was_fetched(tmp_path: Path) -> None:
    """The remote was replaced (an unrelated history, refused); aipm advises `git remote set-url`; after it,
    `aipm sync` works: the old remote's tracking ref is not taken for the new remote's history."""
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    stranger = make_device(tmp_path, "stranger-c")
    aipm(stranger, "skip", "product-strategy")
    aipm(stranger, "sync", "init")
    git(stranger, "push", "-q", "-f", str(remote), "main")
    refused = aipm(a, "sync", expect=1)
    assert "remote set-url" in refused.stderr
    fresh = make_remote(tmp_path, "fresh.git")
    git(a, "remote", "set-url", "origin", str(fresh))
    result = aipm(a, "sync")
    assert "sent 1 change" in result.stderr, result.stderr
    assert (
        git(a, "rev-parse", "HEAD")
        == subprocess.run(
            ["git", "-C", str(fresh), "rev-parse", "main"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    assert json.loads(aipm(a, "sync", "--status", "--json").stdout)["not_pushed"] == 0


def test_a_data_folder_that_is_a_git_repository_with_other_files_is_refused(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    git(a, "init", "-q")
    (a / "diary.txt").write_text("my own notes\n")
    (a / "scripts").mkdir()
    (a / "scripts" / "backup.sh").write_text("echo\n")
    git(a, "add", "diary.txt", "scripts")
    git(a, "commit", "-q", "-m", "mine")
    head = git(a, "rev-parse", "HEAD")
    result = aipm(a, "sync", "init", str(remote), expect=1)
    assert "already a git repository that holds files aipm does not sync" in result.stderr
    assert "diary.txt" in result.stderr and "Nothing was committed or pushed" in result.stderr
    assert "Traceback" not in result.stderr
    assert git(a, "rev-parse", "HEAD") == head  # nothing committed
    branches = subprocess.run(["git", "-C", str(remote), "branch"], capture_output=True, text=True, check=True)
    assert branches.stdout == ""  # nothing pushed


def test_sent_counts_the_offline_backlog_that_went_out(tmp_path: Path) -> None:
    a = make_device(tmp_path, "laptop-a")
    missing = tmp_path / "later.git"
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(missing), expect=1)  # offline: committed here
    aipm(a, "skip", "product-strategy")
    aipm(a, "sync", expect=1)  # still offline
    make_remote(tmp_path, "later.git")
    result = aipm(a, "sync")
    assert "sent 2 changes, received 0 changes" in result.stderr, result.stderr
    assert "sent 0 changes" not in aipm(a, "sync", "--status").stderr + result.stderr


def _two_synced(tmp_path: Path) -> tuple[Path, Path, Path]:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "start", "user-research")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "sync", "init", str(remote))
    return remote, a, b


def test_a_hand_edit_of_a_machines_own_log_on_the_remote_is_named_as_one(tmp_path: Path) -> None:
    """Not "two data directories share the device id": the lines were changed, not added."""
    _remote, a, b = _two_synced(tmp_path)
    own = next((b / "learners").glob("*/*/changes/laptop-a.jsonl"))
    own.write_bytes(own.read_bytes().replace(b"user-research", b"product-strategy"))
    _commit_all(b, "a hand edit")
    git(b, "push", "-q", "origin", "main")
    aipm(a, "note", "ai-for-everyone", "more")
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "edited by hand" in result.stderr and "this machine's own log" in result.stderr
    assert "share the" not in result.stderr
    assert "git revert" in result.stderr
    assert {k: v for k, v in snapshot_files(a).items() if k != "HEAD"} == {
        k: v for k, v in before.items() if k != "HEAD"
    }


def test_a_copy_of_the_data_directory_is_still_named_as_one(tmp_path: Path) -> None:
    """Lines added to this machine's own log by another data directory with its device id: the old words."""
    _remote, a, b = _two_synced(tmp_path)
    own = next((b / "learners").glob("*/*/changes/laptop-a.jsonl"))
    (b / "device").write_text("laptop-a\n")  # a copy of a's data directory, device file and all
    aipm(b, "skip", "product-strategy")
    assert own.read_bytes().count(b"\n") == 3
    _commit_all(b, "the copy's own line")
    git(b, "push", "-q", "origin", "main")
    result = aipm(a, "sync", expect=1)
    assert "share the device id" in result.stderr


def test_a_newer_aipms_line_asks_for_an_upgrade_not_a_restore(tmp_path: Path) -> None:
    _remote, a, b = _two_synced(tmp_path)
    aipm(b, "skip", "product-strategy")
    own = next((b / "learners").glob("*/*/changes/work-b.jsonl"))
    line = json.loads(own.read_bytes().splitlines()[-1])
    line.update(v=9, id=line["id"][:-1] + "z")
    with open(own, "ab") as handle:
        handle.write(json.dumps(line).encode() + b"\n")
    _commit_all(b, "a newer aipm's change")
    git(b, "push", "-q", "origin", "main")
    result = aipm(a, "sync", expect=1)
    assert "newer aipm" in result.stderr and "upgrade aipm here" in result.stderr
    assert "Restore the remote" not in result.stderr


def test_a_wrong_url_is_named_as_one(tmp_path: Path) -> None:
    other = tmp_path / "project"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    (other / "main.py").write_text("print()\n")
    _commit_all(other, "a project")
    bare = tmp_path / "project.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(other), str(bare)], check=True)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    result = aipm(a, "sync", "init", str(bare), expect=1)
    assert "does not look like an aipm sync remote" in result.stderr and "set-url" in result.stderr
    assert "Restore the remote" not in result.stderr
    assert log_ids(a)
