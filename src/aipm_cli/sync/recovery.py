"""Picking up after a sync that was stopped: git lock files a killed git left, an interrupted merge,
files a merge half-wrote; and this machine's own record of its syncs (`.git/aipm-sync.json`, never
synced), which says whether this repository has ever completed an exchange with its remote.

Git lock files (`.git/index.lock`, ref locks) are removed when no git process works in the data
directory (seen in /proc on Linux; elsewhere when the lock is over a minute old), else explained; an
interrupted merge is forgotten and the index reset to HEAD; files a merge half-wrote are put back to
HEAD's copy before the next merge, only when what is there is part of what arrives.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from aipm_cli.sync.arriving import Incoming
from aipm_cli.sync.errors import SyncError
from aipm_cli.sync.git import Git

GIT_LOCK_WAIT = 10.0  # how long a git lock held by a running git is waited for
STATE_FILE = "aipm-sync.json"  # inside .git: this machine's own record of its syncs, never synced
_GIT_LOCKS = ("index.lock", "HEAD.lock", "ORIG_HEAD.lock", "config.lock", "packed-refs.lock", "shallow.lock")


def _git_running_in(root: Path) -> bool | None:
    """Whether a git process is working in `root` (None: cannot tell on this system)."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    target = os.path.realpath(root)
    me = os.getpid()
    for entry in os.scandir(proc):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(os.path.join(entry.path, "comm"), "rb") as handle:
                name = handle.read().strip()
            if not name.startswith(b"git"):
                continue
            cwd = os.readlink(os.path.join(entry.path, "cwd"))
        except OSError:
            continue
        if cwd == target or cwd.startswith(target + os.sep):
            return True
    return False


def _stale_locks(git_dir: Path) -> list[Path]:
    found = [git_dir / name for name in _GIT_LOCKS if (git_dir / name).exists()]
    refs = git_dir / "refs"
    if refs.is_dir():
        found += sorted(p for p in refs.rglob("*.lock") if p.is_file())
    return found


def recover(git: Git, git_dir: Path) -> list[str]:
    """Clear what a killed sync left behind; returns what was done (for --debug)."""
    done: list[str] = []
    locks = _stale_locks(git_dir)
    # A git that outlived a killed aipm finishes on its own and removes its locks: give it a moment.
    deadline = time.monotonic() + GIT_LOCK_WAIT
    while locks and _git_running_in(git.root) and time.monotonic() < deadline:
        time.sleep(0.05)
        locks = _stale_locks(git_dir)
    if locks:
        running = _git_running_in(git.root)
        for lock in locks:
            try:
                age = time.time() - lock.stat().st_mtime
            except OSError:
                continue
            if running or (running is None and age < 60):
                raise SyncError(
                    f"Another git command is working in {git.root} ({lock.relative_to(git.root)} exists).",
                    f"Wait for it to finish and run `aipm sync` again. If no git is running, delete {lock}.",
                )
            try:
                lock.unlink()
                done.append(f"removed {lock.name}, left by a git that was stopped")
            except OSError as exc:
                raise SyncError(f"Cannot remove the stale git lock {lock}: {exc.strerror}.") from None
    # A merge that was interrupted: forget it; its files are settled by the next merge.
    for name in ("MERGE_HEAD", "MERGE_MODE", "MERGE_MSG", "AUTO_MERGE"):
        try:
            (git_dir / name).unlink()
            done.append(f"forgot an interrupted merge ({name})")
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise SyncError(f"Cannot remove {git_dir / name}: {exc.strerror}.") from None
    return done


def clear_the_way(git: Git, changes: list[Incoming]) -> None:
    """Files the merge writes that differ from HEAD here (an interrupted merge left them): put HEAD's back.

    Only when what is here is part of what arrives (a prefix of it, or the same), so nothing is lost.
    """
    wanted = [c for c in changes if c.theirs]
    blobs = git.blobs([oid for c in wanted for oid in (c.ours, c.theirs) if oid])
    restore: list[str] = []
    for change in wanted:
        path = git.root / change.path
        try:
            here = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        except OSError:
            here = None
        if not path.exists() and not path.is_symlink():
            if change.ours is not None:
                restore.append(change.path)  # deleted here: HEAD's copy back, then the merge moves on
            continue
        ours = blobs.get(change.ours) if change.ours else None
        if here is not None and ours is not None and here == ours:
            continue
        theirs = blobs[change.theirs] if change.theirs else b""
        same_or_prefix = here is not None and (here == theirs or (change.kind == "log" and theirs.startswith(here)))
        if not same_or_prefix:
            raise SyncError(
                f"{path} has changes here that are not committed and that the remote also changes.",
                "Nothing was changed. Run `aipm sync` again; if this persists, look at the file with"
                f" `git -C {git.root} diff -- {change.path}`.",
            )
        if change.ours is not None:
            restore.append(change.path)
        else:
            path.unlink()
    if restore:
        git.run("checkout", "-q", "HEAD", "--", *restore)


def read_state(git_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((git_dir / STATE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_state(git_dir: Path, data: dict[str, Any]) -> None:
    from aipm_cli.fs import atomic_write

    try:
        atomic_write(git_dir / STATE_FILE, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))
    except OSError:
        pass  # only --status reads it
