"""`aipm sync`: three data directories as three devices, local bare repositories as remotes.

Every test runs git with HOME in tmp_path (never the real one) and a fixed
identity. Most commands run in-process; races and kills use real processes.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from aipm_cli.cli import app
from aipm_cli.record import locking
from aipm_cli.sync import git as sync_git
from aipm_cli.sync import policy, recovery, unsynced

NOW = "2026-11-24T10:00:00+00:00"  # as in conftest.py

MINI_ROADMAP = """\
id: mini
title: Mini plan
version: "1"
phases:
  - id: basics
    title: Basics
    modules:
      - id: reading
        title: Reading
        items:
          - {id: first-book, title: First book, kind: resource, duration: 2 weeks}
          - {id: second-book, title: Second book, kind: resource, duration: 1 week}
"""


@pytest.fixture(autouse=True)
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key, value in {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }.items():
        monkeypatch.setenv(key, value)


def _world_env(mp: pytest.MonkeyPatch, base: Path) -> None:
    """The environment of the autouse fixtures, for fixtures that build a world once per module."""
    mp.setenv("HOME", str(base))
    mp.setenv("XDG_CONFIG_HOME", str(base / ".config"))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_AUTHOR", "GIT_COMMITTER"):
        mp.setenv(f"{key}_NAME", "Test")
        mp.setenv(f"{key}_EMAIL", "test@example.org")
    mp.setenv("AIPM_USER", "ada")
    mp.setenv("AIPM_NOW", NOW)
    mp.setenv("NO_COLOR", "1")
    mp.setenv("COLUMNS", "80")


def copy_world(template: Path, tmp_path: Path, names: tuple[str, ...]) -> tuple[Path, list[Path]]:
    """A copy of a world (a remote and its devices) built once: each test gets its own."""
    target = tmp_path / "w"
    shutil.copytree(template, target, symlinks=True)
    remote = target / "remote.git"
    devices = [target / name for name in names]
    for home in devices:
        git(home, "remote", "set-url", "origin", str(remote))
    return remote, devices


def make_remote(tmp_path: Path, name: str = "remote.git") -> Path:
    remote = tmp_path / name
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    return remote


def make_device(tmp_path: Path, name: str) -> Path:
    home = tmp_path / name
    home.mkdir()
    (home / "device").write_text(name + "\n")
    return home


def aipm(home: Path, *args: str, expect: int | None = 0) -> Result:
    result = CliRunner().invoke(app, list(args), env={"AIPM_HOME": str(home)}, catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def git(home: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(home), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def log_ids(home: Path) -> list[str]:
    return [c["id"] for c in json.loads(aipm(home, "log", "--json").stdout)]


def file_ids(home: Path) -> set[str]:
    """Every change id in every log file of a data directory, read straight from the files."""
    found = set()
    for path in (home / "learners").glob("*/*/changes/*.jsonl"):
        for line in path.read_bytes().split(b"\n"):
            if line.strip():
                try:
                    found.add(json.loads(line)["id"])
                except ValueError:
                    pass  # a torn last line
    return found


def export(home: Path) -> dict:
    doc = json.loads(aipm(home, "export", "--format", "json").stdout)
    doc.pop("exported_at", None)
    return doc


def snapshot_files(home: Path) -> dict[str, bytes]:
    """Every file that travels, and HEAD: what a refused sync must leave exactly as it was."""
    out = {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file() and ".git" not in p.parts}
    out = {k: v for k, v in out.items() if not k.startswith("cache") and not k.endswith(".lock")}
    out["HEAD"] = git(home, "rev-parse", "HEAD").encode()
    return out


def is_ancestor(home: Path, old: str, new: str) -> bool:
    return subprocess.run(["git", "-C", str(home), "merge-base", "--is-ancestor", old, new]).returncode == 0


# --------------------------------------------------------------------------- #
# Units
# --------------------------------------------------------------------------- #


def test_safe_url_strips_passwords() -> None:
    assert sync_git.safe_url("https://maya:s3cret@example.org/me/aipm.git") == "https://maya@example.org/me/aipm.git"
    assert sync_git.safe_url("https://:tok@example.org/x.git") == "https://example.org/x.git"
    assert sync_git.safe_url("git@example.org:me/aipm.git") == "git@example.org:me/aipm.git"
    assert sync_git.safe_url("/srv/aipm.git") == "/srv/aipm.git"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("learners/maya/ai-product-manager/changes/laptop-3f9a.jsonl", "log"),
        ("learners/maya/ai-product-manager/changes/laptop-3f9a.import-0123abcd.jsonl", "log"),
        ("learners/maya/ai-product-manager/changes/migrated-0123abcd.jsonl", "log"),
        ("roadmaps/mine.yaml", "roadmap"),
        (".gitignore", "other"),
        ("README.md", "other"),
        ("device", None),
        ("config.json", None),
        ("cache/state/maya/ai-product-manager.json", None),
        ("learners/maya/backups/x.jsonl", None),
        ("learners/maya/backups/changes/x.jsonl", None),
        ("learners/maya/progress.json", None),
        ("learners/maya/ai-product-manager/write.lock", None),
        ("learners/maya/ai-product-manager/changes/.x.jsonl.tmp", None),
        ("learners/../ai/changes/x.jsonl", None),
        (".gitattributes", None),
        ("roadmaps/sub/x.yaml", None),
        ("learners/maya/ai-product-manager/changes/Laptop.jsonl", None),
        ("learners/maya/ai-product-manager/changes/laptop.import-xyz.jsonl", None),
        ("learners/maya/ai-product-manager/changes/laptop.jsonl.bak", None),
        ("roadmaps/My plan (v2).yaml", "roadmap"),
        ("roadmaps/.hidden.yaml", None),
        ("roadmaps/notes.txt", None),
    ],
)
def test_only_logs_roadmaps_and_harmless_files_travel(path: str, kind: str | None) -> None:
    assert policy.classify(path) == kind


# --------------------------------------------------------------------------- #
# Setting up, and what travels
# --------------------------------------------------------------------------- #


def test_init_commits_what_travels_and_nothing_else(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "config", "hours_per_week", "5")
    result = aipm(a, "sync", "init", str(remote))
    assert "Synced with" in result.stderr
    assert result.stdout == ""
    tracked = set(git(a, "ls-files").split("\n"))
    assert tracked == {".gitignore", "learners/ada/ai-product-manager/changes/laptop-a.jsonl"}
    assert git(a, "log", "-1", "--format=%s") == "aipm: 1 change by ada on laptop-a"
    assert git(a, "status", "--porcelain") == ""  # caches, device, config, locks: all ignored
    assert git(tmp_path / "remote.git", "rev-parse", "main") == git(a, "rev-parse", "HEAD")
    # A second init is harmless: the repository is used as it is.
    aipm(a, "sync", "init", str(remote))
    other = aipm(a, "sync", "init", str(tmp_path / "elsewhere.git"), expect=1)
    assert "already syncs with" in other.stderr


def test_status_json_and_unsynced_summary(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    assert unsynced.unsynced_summary(a) is None  # not a git repository: no git is even run
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init")
    assert unsynced.unsynced_summary(a) is None  # no remote
    info = json.loads(aipm(a, "sync", "--status", "--json").stdout)
    assert info["remote"] is None and info["not_pushed"] == 1 and info["branch"] == "main"
    assert aipm(a, "sync", expect=1).stderr.startswith("Error: This data directory has no remote")
    aipm(a, "sync", "init", str(remote))
    assert unsynced.unsynced_summary(a) is None
    aipm(a, "skip", "product-strategy")
    aipm(a, "note", "ai-for-everyone", "loved it")
    assert unsynced.unsynced_summary(a) == "2 changes not synced yet: run `aipm sync`."
    info = json.loads(aipm(a, "sync", "--status", "--json").stdout)
    assert info["not_pushed"] == 2 and info["not_pushed_by_learner"] == {"ada": 2}
    assert info["last_sync"] is not None and info["last_error"] is None
    text = aipm(a, "sync", "--status").stdout
    assert "not pushed      2 changes" in text
    aipm(a, "sync")
    assert unsynced.unsynced_summary(a) is None
    assert json.loads(aipm(a, "sync", "--status", "--json").stdout)["not_pushed"] == 0


def test_sync_before_init_says_what_to_do(tmp_path: Path) -> None:
    a = make_device(tmp_path, "laptop-a")
    result = aipm(a, "sync", expect=1)
    assert "is not set up for syncing yet" in result.stderr and "aipm sync init" in result.stderr
    assert not (a / ".git").exists()
    assert "is not synced" in aipm(a, "sync", "--status").stderr
    assert json.loads(aipm(a, "sync", "--status", "--json").stdout)["set_up"] is False


def test_status_never_shows_a_password(tmp_path: Path) -> None:
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "sync", "init")
    git(a, "remote", "add", "origin", "https://maya:hunter2@127.0.0.1:9/aipm.git")
    info = aipm(a, "sync", "--status", "--json").stdout
    assert "hunter2" not in info and "https://maya@127.0.0.1:9/aipm.git" in info
    result = aipm(a, "sync", expect=1)
    assert "hunter2" not in result.stderr + result.stdout and "maya@127.0.0.1" in result.stderr
    # --debug shows git's messages and the traceback: still no password.
    debug = CliRunner().invoke(app, ["--debug", "sync"], env={"AIPM_HOME": str(a)})
    assert debug.exit_code != 0 and "$ git" in debug.stderr
    assert "hunter2" not in debug.stderr + debug.stdout + str(debug.exception)


def test_offline_commits_locally_and_sends_later(tmp_path: Path) -> None:
    a = make_device(tmp_path, "laptop-a")
    b = make_device(tmp_path, "work-b")
    missing = tmp_path / "later.git"
    aipm(a, "done", "ai-for-everyone")
    result = aipm(a, "sync", "init", str(missing), expect=1)
    assert "Could not reach the remote" in result.stderr and "Committed 1 change here" in result.stderr
    assert "$ git" not in result.stderr  # git's own output only with --debug
    aipm(a, "skip", "product-strategy")
    result = aipm(a, "sync", expect=1)
    assert "Committed 1 change here" in result.stderr
    assert git(a, "log", "--format=%s").split("\n") == [
        "aipm: 1 change by ada on laptop-a",
        "aipm: 1 change by ada on laptop-a",
    ]
    assert json.loads(aipm(a, "sync", "--status", "--json").stdout)["last_error"]
    # The second machine is set up offline too, with progress of its own.
    aipm(b, "note", "ai-for-everyone", "from work")
    aipm(b, "sync", "init", str(missing), expect=1)
    make_remote(tmp_path, "later.git")
    aipm(a, "sync")
    result = aipm(b, "sync")  # joins the history a pushed first: it never synced before
    assert "sent 1 change, received 2 changes" in result.stderr  # its offline note went out
    aipm(a, "sync")
    assert sorted(log_ids(b)) == sorted(log_ids(a)) and len(log_ids(a)) == 3


def test_a_local_only_repository_joins_a_remote_later(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "skip", "product-strategy")
    aipm(b, "sync", "init")  # local only, first
    aipm(b, "note", "ai-for-everyone", "later")
    result = aipm(b, "sync", "init", str(remote))
    assert "received 1 change" in result.stderr
    aipm(a, "sync")
    assert sorted(log_ids(a)) == sorted(log_ids(b)) and len(log_ids(a)) == 3


def test_debug_shows_git_on_stderr_only(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    result = aipm(a, "--debug", "sync", "init", str(remote))
    assert "$ git push" in result.stderr and "git" not in result.stdout


def test_no_git_on_path_is_one_clear_error(tmp_path: Path) -> None:
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    empty = tmp_path / "bin"
    empty.mkdir()
    result = CliRunner().invoke(
        app, ["sync", "init"], env={"AIPM_HOME": str(a), "PATH": str(empty)}, catch_exceptions=False
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: aipm sync needs git")
    assert "Install git" in result.stderr and "Traceback" not in result.stderr
    assert not (a / ".git").exists()
    aipm(a, "status")


def test_own_roadmap_travels(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    b = make_device(tmp_path, "work-b")
    (a / "roadmaps").mkdir()
    (a / "roadmaps" / "mini.yaml").write_text(MINI_ROADMAP)
    aipm(a, "--roadmap", "mini", "done", "first-book")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "sync", "init", str(remote))
    status = json.loads(aipm(b, "--roadmap", "mini", "status", "--json").stdout)
    assert status["roadmap"]["id"] == "mini" and status["counts"]["done"] == 1
    # An edit to it travels too.
    (b / "roadmaps" / "mini.yaml").write_text(MINI_ROADMAP.replace("Mini plan", "Mini plan, revised"))
    aipm(b, "sync")
    result = aipm(a, "sync")
    assert "roadmaps mini.yaml" in result.stderr
    assert json.loads(aipm(a, "--roadmap", "mini", "status", "--json").stdout)["roadmap"]["title"] == (
        "Mini plan, revised"
    )


def test_torn_last_line_is_never_committed(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    b = make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    own = a / "learners/ada/ai-product-manager/changes/laptop-a.jsonl"
    with open(own, "ab") as handle:
        handle.write(b'{"at":"2026-11-24T10:0')  # a crash mid-append
    aipm(a, "sync", "init", str(remote))
    committed = git(a, "show", "HEAD:learners/ada/ai-product-manager/changes/laptop-a.jsonl")
    assert committed.count("\n") == 0 and committed.endswith("}")  # one whole line (git strips its newline)
    aipm(a, "skip", "product-strategy")  # sets the torn bytes aside, then appends
    assert list((a / "learners/ada/backups").iterdir())
    aipm(a, "sync")
    assert git(a, "status", "--porcelain") == ""  # backups stay on this machine
    aipm(b, "sync", "init", str(remote))
    assert len(log_ids(b)) == 2


def test_stale_git_lock_from_a_killed_sync_is_removed(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(a, "skip", "product-strategy")
    (a / ".git" / "index.lock").write_bytes(b"")
    (a / ".git" / "refs" / "heads" / "main.lock").write_bytes(b"")
    aipm(a, "sync")
    assert not (a / ".git" / "index.lock").exists()
    assert unsynced.unsynced_summary(a) is None


def test_git_lock_held_by_a_running_git_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init")
    (a / ".git" / "index.lock").write_bytes(b"")
    monkeypatch.setattr(recovery, "_git_running_in", lambda root: True)
    monkeypatch.setattr(recovery, "GIT_LOCK_WAIT", 0.2)
    result = aipm(a, "sync", expect=1)
    assert "Another git command is working in" in result.stderr and "index.lock" in result.stderr
    assert (a / ".git" / "index.lock").exists()


# --------------------------------------------------------------------------- #
# What arrives is checked
# --------------------------------------------------------------------------- #


def _tamper(tmp_path: Path, remote: Path, how: str) -> None:
    clone = tmp_path / "hand"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(remote), str(clone)], check=True)
    log = clone / "learners/ada/ai-product-manager/changes/work-b.jsonl"
    data = log.read_bytes()
    if how == "rewrite":
        log.write_bytes(data.replace(b'"skip"', b'"done"', 1))
    elif how == "truncate":
        log.write_bytes(data.split(b"\n", 1)[1])
    elif how == "damage":
        log.write_bytes(data + b'{"id": "not a change"}\n')
    elif how == "delete":
        log.unlink()
    elif how == "forbidden":
        (clone / "device").write_text("laptop-a\n")
    elif how == "symlink":
        (clone / "roadmaps").mkdir()
        os.symlink("/etc/passwd", clone / "roadmaps" / "evil.yaml")
    subprocess.run(["git", "-C", str(clone), "add", "-A", "-f"], check=True)
    subprocess.run(["git", "-C", str(clone), "commit", "-q", "-m", "hand edit"], check=True)
    subprocess.run(["git", "-C", str(clone), "push", "-q"], check=True)


@pytest.fixture(scope="module")
def two_synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("two")
    with pytest.MonkeyPatch.context() as mp:
        _world_env(mp, base)
        remote = make_remote(base)
        a = make_device(base, "laptop-a")
        b = make_device(base, "work-b")
        aipm(a, "done", "ai-for-everyone")
        aipm(a, "sync", "init", str(remote))
        aipm(b, "skip", "product-strategy")
        aipm(b, "done", "user-research")
        aipm(b, "sync", "init", str(remote))
        aipm(a, "sync")
        aipm(a, "note", "ai-for-everyone", "a change not synced yet")
    return base


def test_a_line_added_here_to_another_machines_log_is_not_waiting_to_be_sent(tmp_path: Path, two_synced: Path) -> None:
    """Sync never sends a log another machine wrote that changed here, so status never says such a
    line is waiting (it said "1 change not synced yet" after every sync, forever); this device's own
    new change is still counted."""
    remote, (a, _b) = copy_world(two_synced, tmp_path, ("laptop-a", "work-b"))
    aipm(a, "sync")
    assert unsynced.unsynced_summary(a) is None
    theirs = a / "learners/ada/ai-product-manager/changes/work-b.jsonl"
    from datetime import UTC, datetime

    from aipm_cli.record.changes import line
    from aipm_cli.record.ids import new_id

    moment = datetime.now(UTC)
    forged = {"v": 1, "id": new_id(moment), "at": moment.isoformat(), "on": moment.date().isoformat(),
              "device": "work-b", "op": "done", "targets": ["user-research"], "units": ["user-research"]}  # fmt: skip
    with open(theirs, "ab") as handle:
        handle.write(line(forged))
    assert unsynced.unsynced_summary(a) is None
    aipm(a, "skip", "market-analysis")
    assert unsynced.unsynced_summary(a) == "1 change not synced yet: run `aipm sync`."


@pytest.mark.parametrize("how", ["rewrite", "truncate", "damage", "delete", "forbidden", "symlink"])
def test_a_tampered_remote_is_refused_and_nothing_changes(tmp_path: Path, two_synced: Path, how: str) -> None:
    remote, (a, _b) = copy_world(two_synced, tmp_path, ("laptop-a", "work-b"))
    before = snapshot_files(a)
    view = aipm(a, "status", "--json").stdout
    _tamper(tmp_path, remote, how)
    result = aipm(a, "sync", expect=1)
    assert "Nothing was changed here" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    after = snapshot_files(a)
    # This device's new line was committed (it is its own), nothing else moved.
    assert after.pop("HEAD") != before.pop("HEAD")
    assert after == before
    assert git(a, "status", "--porcelain") == ""
    assert aipm(a, "status", "--json").stdout == view
    assert not (a / ".git" / "MERGE_HEAD").exists()


def test_a_hand_edited_roadmap_on_both_sides_is_a_clean_error(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    b = make_device(tmp_path, "work-b")
    (a / "roadmaps").mkdir()
    (a / "roadmaps" / "mini.yaml").write_text(MINI_ROADMAP)
    aipm(a, "sync", "init", str(remote))
    aipm(b, "sync", "init", str(remote))
    (a / "roadmaps" / "mini.yaml").write_text(MINI_ROADMAP.replace("Mini plan", "Plan A"))
    (b / "roadmaps" / "mini.yaml").write_text(MINI_ROADMAP.replace("Mini plan", "Plan B"))
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync")
    head = git(b, "rev-parse", "HEAD")
    result = aipm(b, "sync", expect=1)
    assert "roadmaps/mini.yaml conflicts" in result.stderr and "Nothing was changed here" in result.stderr
    assert (b / "roadmaps" / "mini.yaml").read_text() == MINI_ROADMAP.replace("Mini plan", "Plan B")
    assert not (b / ".git" / "MERGE_HEAD").exists()
    assert git(b, "status", "--porcelain") == ""
    assert is_ancestor(b, head, git(b, "rev-parse", "HEAD"))
    # The way out the message gives works.
    assert "show origin/main:roadmaps/mini.yaml" in result.stderr
    (b / "roadmaps" / "mini.yaml").write_text(git(b, "show", "origin/main:roadmaps/mini.yaml") + "\n")
    aipm(b, "sync")
    assert (b / "roadmaps" / "mini.yaml").read_text() == MINI_ROADMAP.replace("Mini plan", "Plan A")


def test_a_replaced_remote_history_is_refused(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    other = make_device(tmp_path, "stranger-c")
    aipm(other, "skip", "product-strategy")
    aipm(other, "sync", "init")
    git(other, "push", "-q", "-f", str(remote), "main")
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "unrelated" in result.stderr
    assert snapshot_files(a) == before


# --------------------------------------------------------------------------- #
# Convergence
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def three_offline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three devices joined to one remote, each with changes of its own made offline."""
    base = tmp_path_factory.mktemp("three")
    with pytest.MonkeyPatch.context() as mp:
        _world_env(mp, base)
        _three_devices_offline(base)
    return base


def _three_devices_offline(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b, c = (make_device(tmp_path, n) for n in ("laptop-a", "work-b", "tablet-c"))
    aipm(a, "done", "ai-for-everyone")
    for home in (a, b, c):
        aipm(home, "sync", "init", str(remote))
    # Laptop: the same item as the others, a skip, a note, a rating, an undo.
    aipm(a, "done", "digital-product-management", "--note", "from the laptop")
    aipm(a, "skip", "user-research", "--reason", "done it at work")
    aipm(a, "note", "ai-for-everyone", "laptop note")
    aipm(a, "assess", "product-management", "3")
    aipm(a, "start", "product-strategy")
    aipm(a, "undo")
    # Work machine: a module-wide change, the same item, a rating of the same skill.
    aipm(b, "done", "core-product-management")
    aipm(b, "start", "business-strategy-specialization")
    aipm(b, "assess", "product-management", "4", "--note", "after the review")
    aipm(b, "note", "ai-for-everyone", "work note")
    # Tablet: an import of another data directory's export, a reset, an undo.
    other = make_device(tmp_path, "old-d")
    aipm(other, "done", "product-lifecycle")
    aipm(other, "note", "product-lifecycle", "from the old machine")
    (tmp_path / "old.json").write_text(aipm(other, "export", "--format", "json").stdout)
    aipm(c, "skip", "agile-methodologies")
    aipm(c, "import", str(tmp_path / "old.json"), "--merge")
    aipm(c, "reset", "ai-for-everyone")
    aipm(c, "assess", "ai-technical", "2")
    aipm(c, "undo")


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_three_devices_converge_in_any_order(tmp_path: Path, three_offline: Path, order: tuple[int, ...]) -> None:
    remote, devices = copy_world(three_offline, tmp_path, ("laptop-a", "work-b", "tablet-c"))
    everything = set().union(*(file_ids(d) for d in devices))
    heads = {d: git(d, "rev-parse", "HEAD") for d in devices}
    remote_heads = [git(remote, "rev-parse", "main")]
    for _round in range(2):
        for index in order:
            aipm(devices[index], "sync")
            remote_heads.append(git(remote, "rev-parse", "main"))
    exports = [export(d) for d in devices]
    assert exports[0] == exports[1] == exports[2]
    for home in devices:
        ids = log_ids(home)
        assert len(ids) == len(set(ids)) and set(ids) == everything
        assert is_ancestor(home, heads[home], git(home, "rev-parse", "HEAD"))  # history only grows
        assert git(home, "status", "--porcelain") == ""
        assert unsynced.unsynced_summary(home) is None
        subjects = git(home, "log", "--format=%s").split("\n")
        assert all(s.startswith("aipm: ") for s in subjects), subjects
        assert not any("onflict" in s for s in subjects)
    for old, new in itertools.pairwise(remote_heads):
        assert is_ancestor(devices[0], old, new)  # never force-pushed
    # Each device's changes are attributed to it in the log.
    devices_seen = {c["device"] for c in json.loads(aipm(devices[0], "log", "--json").stdout)}
    assert {"laptop-a", "work-b", "tablet-c"} <= devices_seen
    aipm(devices[1], "status")


def test_a_mentor_remote_holds_several_learners(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    mentor = make_device(tmp_path, "mentor-m")
    maya = make_device(tmp_path, "maya-laptop")
    aipm(maya, "--user", "maya", "done", "ai-for-everyone")
    aipm(maya, "sync", "init", str(remote))
    aipm(mentor, "--user", "sam", "skip", "product-strategy")
    result = aipm(mentor, "sync", "init", str(remote))
    assert "received 1 change" in result.stderr
    users = json.loads(aipm(mentor, "users", "--json").stdout)["users"]
    assert sorted(u["user"] for u in users) == ["maya", "sam"]
    aipm(maya, "sync")
    assert not any(p.name.startswith("mentor-m") for p in (maya / "learners" / "maya").rglob("*.jsonl"))


# --------------------------------------------------------------------------- #
# Real processes: races and kills
# --------------------------------------------------------------------------- #


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "AIPM_HOME": str(home)}


def _spawn(home: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "aipm_cli", *args],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so a kill can take its git with it
    )


def test_two_devices_syncing_at_the_same_moment_both_end_with_everything(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "sync", "init", str(remote))
    items = ["digital-product-management", "product-strategy", "user-research", "product-lifecycle"]
    for round_ in range(3):
        aipm(a, "done", items[round_])
        aipm(b, "skip", items[round_ + 1])
        aipm(b, "note", "ai-for-everyone", f"round {round_}")
        procs = [_spawn(a, "sync"), _spawn(b, "sync")]
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()
        # The remote holds everything; the first to finish takes the rest on its next sync.
        clone = tmp_path / f"check-{round_}"
        subprocess.run(["git", "clone", "-q", "-b", "main", str(remote), str(clone)], check=True)
        assert file_ids(clone) == file_ids(a) | file_ids(b)
        aipm(a, "sync")
        aipm(b, "sync")
        assert file_ids(a) == file_ids(b)
        assert log_ids(a) == log_ids(b)
    assert export(a) == export(b)


def _kill_rounds(tmp_path: Path, rounds: int) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "sync", "init", str(remote))
    items = ["digital-product-management", "product-strategy", "user-research", "product-lifecycle"]
    rng = random.Random(12)
    for round_ in range(rounds):
        aipm(a, "note", items[round_ % 4], f"laptop {round_}")
        aipm(b, "note", items[round_ % 4], f"work {round_}")
        aipm(b, "sync")
        known = file_ids(a)
        committed = git(a, "rev-parse", "HEAD")
        proc = _spawn(a, "sync")
        time.sleep(rng.uniform(0.2, 0.9))
        if round_ % 2:
            os.kill(proc.pid, signal.SIGKILL)  # aipm only: a git it started finishes as an orphan
        else:
            os.killpg(proc.pid, signal.SIGKILL)  # aipm and its git, as a power cut would
        proc.wait()
        # Readable at once, nothing lost, nothing committed lost.
        aipm(a, "status")
        assert known <= file_ids(a)
        assert is_ancestor(a, committed, git(a, "rev-parse", "HEAD"))
        # And the next sync converges.
        aipm(a, "sync")
        aipm(b, "sync")
        assert file_ids(a) == file_ids(b)
        assert export(a) == export(b)
    assert not (a / ".git" / "index.lock").exists()
    assert git(a, "status", "--porcelain") == ""


def test_kill_during_sync_loses_nothing_and_the_next_sync_converges(tmp_path: Path) -> None:
    _kill_rounds(tmp_path, 3)


@pytest.mark.slow
def test_kill_during_sync_twenty_times(tmp_path: Path) -> None:
    _kill_rounds(tmp_path, 20)


def test_a_merge_killed_halfway_is_settled_by_the_next_sync(tmp_path: Path, two_synced: Path) -> None:
    """What a kill mid-merge leaves: files half-written, a new file, a staged index, MERGE_HEAD, index.lock."""
    remote, (a, b) = copy_world(two_synced, tmp_path, ("laptop-a", "work-b"))
    aipm(b, "sync")
    aipm(b, "assess", "product-management", "2")
    aipm(b, "--user", "sam", "done", "ai-for-everyone")
    aipm(b, "sync")
    theirs = b / "learners/ada/ai-product-manager/changes/work-b.jsonl"
    new = b / "learners/sam/ai-product-manager/changes/work-b.jsonl"
    mine = a / "learners/ada/ai-product-manager/changes/work-b.jsonl"
    assert len(theirs.read_bytes()) > len(mine.read_bytes())
    mine.write_bytes(theirs.read_bytes()[: len(mine.read_bytes()) + 40])  # half of a line written
    (a / "learners/sam/ai-product-manager/changes").mkdir(parents=True)
    (a / "learners/sam/ai-product-manager/changes/work-b.jsonl").write_bytes(new.read_bytes()[:10])
    git(a, "fetch", "-q", "origin")
    (a / ".git" / "MERGE_HEAD").write_text(git(a, "rev-parse", "origin/main") + "\n")
    git(a, "read-tree", "origin/main")  # the index as the merge left it
    (a / ".git" / "index.lock").write_bytes(b"")
    aipm(a, "status")  # readable meanwhile
    aipm(a, "sync")
    assert not (a / ".git" / "MERGE_HEAD").exists() and not (a / ".git" / "index.lock").exists()
    aipm(b, "sync")
    assert file_ids(a) == file_ids(b)
    assert export(a) == export(b)
    assert git(a, "status", "--porcelain") == ""
    assert mine.read_bytes() == theirs.read_bytes()


def test_two_data_directories_sharing_a_device_id_are_told_so(tmp_path: Path, two_synced: Path) -> None:
    remote, (a, _b) = copy_world(two_synced, tmp_path, ("laptop-a", "work-b"))
    twin = tmp_path / "w" / "laptop-twin"
    shutil.copytree(a, twin, symlinks=True)  # copied with its `device` file
    aipm(a, "sync")
    aipm(twin, "done", "product-lifecycle")
    before = snapshot_files(twin)
    result = aipm(twin, "sync", expect=1)
    assert "share the device id 'laptop-a'" in result.stderr
    after = snapshot_files(twin)
    assert after.pop("HEAD") != before.pop("HEAD") and after == before


SCHEMA_1 = {
    "schema_version": 1,
    "user": "ada",
    "roadmaps": {
        "ai-product-manager": {
            "items": {"ai-for-everyone": {"status": "done", "completed_on": "2026-11-01"}},
            "skills": {},
            "history": [],
        }
    },
}


def test_an_old_schema_1_store_is_migrated_so_it_travels(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    (a / "learners" / "ada").mkdir(parents=True)
    (a / "learners" / "ada" / "progress.json").write_text(json.dumps(SCHEMA_1))
    (a / "learners" / "zoe").mkdir(parents=True)
    (a / "learners" / "zoe" / "progress.json").write_text("{not json")  # unreadable: left alone, not a blocker
    result = aipm(a, "sync", "init", str(remote))
    assert "sent 1 change" in result.stderr
    assert (a / "learners" / "zoe" / "progress.json").read_text() == "{not json"
    aipm(b, "sync", "init", str(remote))
    assert json.loads(aipm(b, "show", "ai-for-everyone", "--json").stdout)["status"] == "done"


def test_writes_during_a_sync_are_never_lost(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "sync", "init", str(remote))
    aipm(b, "note", "ai-for-everyone", "from work")
    aipm(b, "sync")
    procs = [_spawn(a, "sync")] + [_spawn(a, "note", "ai-for-everyone", f"written meanwhile {n}") for n in range(4)]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    notes = [c for c in json.loads(aipm(a, "log", "--json").stdout) if c["action"] == "note"]
    assert len(notes) == 5
    aipm(a, "sync")
    aipm(b, "sync")
    assert file_ids(a) == file_ids(b) and len(file_ids(a)) == 6


def test_sync_takes_each_learners_write_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filelock import FileLock

    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init")
    aipm(a, "skip", "product-strategy")
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", 0.2)
    head = git(a, "rev-parse", "HEAD")
    with FileLock(str(a / "learners/ada/ai-product-manager/write.lock")):  # an `aipm done` mid-write
        result = aipm(a, "sync", expect=1)
    assert "The progress of ada on ai-product-manager is busy" in result.stderr
    assert git(a, "rev-parse", "HEAD") == head


def test_status_mentions_unsynced_changes_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aipm_cli.cli import app as cli

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    home = tmp_path / "home"
    env = {"AIPM_HOME": str(home), "AIPM_USER": "ada", "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "a",
           "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org"}  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(cli, ["done", "ai-for-everyone"], env=env).exit_code == 0
    assert runner.invoke(cli, ["sync", "init", str(remote)], env=env).exit_code == 0
    assert "not synced" not in runner.invoke(cli, ["status"], env=env).stderr
    assert runner.invoke(cli, ["done", "user-research"], env=env).exit_code == 0
    lines = [line for line in runner.invoke(cli, ["status"], env=env).stderr.splitlines() if "sync" in line]
    assert len(lines) == 1 and "aipm sync" in lines[0]


# --------------------------------------------------------------------------- #
# The retry rounds end in an error that says what happened and what to do
# --------------------------------------------------------------------------- #


def test_a_remote_that_keeps_moving_stops_the_sync_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipm_cli.sync import repo

    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(a, "done", "user-research")
    pushes: list[str] = []
    monkeypatch.setattr(repo.Repo, "push", lambda self, branch: pushes.append(branch) or "rejected")
    monkeypatch.setattr(repo.time, "sleep", lambda seconds: None)
    result = aipm(a, "sync", expect=1)
    assert len(pushes) == repo.PUSH_ATTEMPTS  # every round was tried, then the sync stopped
    assert "The remote kept moving: other devices pushed 5 times while this one tried." in result.stderr
    assert "Run `aipm sync` again in a moment." in result.stderr and "Traceback" not in result.stderr
    assert git(a, "log", "-1", "--format=%s").startswith("aipm: 1 change by ada")  # committed here, nothing lost
    status = json.loads(aipm(a, "sync", "--status", "--json").stdout)
    assert status["last_error"].startswith("The remote kept moving")


def test_a_ref_lock_that_stays_stops_the_fetch_with_a_clear_error_not_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipm_cli.sync import repo, service

    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "sync", "init", str(remote))
    aipm(a, "done", "user-research")
    aipm(a, "sync")
    lock = b / ".git" / "refs" / "remotes" / "origin" / "main.lock"
    recover = service.recover

    def recover_then_a_git_takes_the_ref(git, git_dir):  # type: ignore[no-untyped-def]
        done = recover(git, git_dir)
        lock.write_text("")  # a git that keeps the remote branch's ref locked
        return done

    monkeypatch.setattr(service, "recover", recover_then_a_git_takes_the_ref)
    monkeypatch.setattr(repo.time, "sleep", lambda seconds: None)
    result = aipm(b, "sync", expect=1)
    assert "Could not reach" not in result.stderr  # the remote was reached; a lock here stopped it
    assert "another git holds its lock" in result.stderr and "3 tries" in result.stderr
    assert str(lock) in result.stderr and "Traceback" not in result.stderr
    lock.unlink()
    monkeypatch.setattr(service, "recover", recover)
    aipm(b, "sync")  # the lock gone, the sync goes through
    assert len(log_ids(b)) == 2


def test_sync_takes_every_data_directory_path_from_the_layout() -> None:
    """One layout (paths.Layout): the sync package builds no path under the data directory of its own
    (the repository paths policy.py classifies are git's, not the file system's)."""
    import re

    source = Path(__file__).resolve().parent.parent / "src" / "aipm_cli" / "sync"
    own_rules = [
        re.compile(r'/ "(learners|cache|roadmaps|changes|state|backups)"'),
        re.compile(r'"(write\.lock|progress\.json)"'),
        re.compile(r'os\.path\.join\([^)]*"(changes|learners|cache)"'),
    ]
    found = [
        f"{module.name}:{number}: {line.strip()}"
        for module in sorted(source.glob("*.py"))
        for number, line in enumerate(module.read_text().splitlines(), 1)
        if any(rule.search(line) for rule in own_rules)
    ]
    assert found == []


def test_a_remote_made_by_plain_git_init_bare_is_cloned_and_pulled_as_it_is(tmp_path: Path) -> None:
    """`git init --bare` (no -b main) leaves HEAD at master, a branch aipm never pushes: the first push
    points it at main, so a plain `git clone` (an instructor's) has the learners, and `cohort pull` fetches
    main by name, so it works on such a remote even when its HEAD still names nothing."""
    remote = make_remote(tmp_path)
    assert git(remote, "symbolic-ref", "HEAD") == "refs/heads/master"  # what plain `git init --bare` made
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "sync", "init", str(remote))
    assert git(remote, "symbolic-ref", "HEAD") == "refs/heads/main"
    clone = tmp_path / "instructor"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    assert list((clone / "learners").rglob("*.jsonl")), "the clone checked nothing out"
    # A HEAD that names a branch the remote has is someone's choice, and stays.
    git(remote, "branch", "chosen", "main")
    git(remote, "symbolic-ref", "HEAD", "refs/heads/chosen")
    aipm(a, "note", "ai-for-everyone", "more")
    aipm(a, "sync")
    assert git(remote, "symbolic-ref", "HEAD") == "refs/heads/chosen"
    # cohort pull asks for main, not HEAD: a remote whose HEAD names no branch is pulled all the same.
    git(remote, "symbolic-ref", "HEAD", "refs/heads/master")
    mentor = make_device(tmp_path, "mentor")
    pulled = aipm(mentor, "cohort", "pull", str(remote))
    folder = Path(pulled.stdout.split()[0])
    assert list((folder / "learners").rglob("*.jsonl"))
