"""`aipm sync init`, `aipm sync` and `aipm sync --status`: the data directory itself is the git repository.

One sync, all under a sync lock (`.git/aipm-sync.lock`):

1. recover from an interrupted sync (stale git lock files, a half-done merge: recovery.py);
2. under every learner's write lock: commit this device's new lines (complete lines only; a torn
   last line stays out) and changed roadmaps (what travels: policy.py);
3. fetch; check what arrives before taking it (arriving.py); anything not allowed is refused and
   nothing here changes;
4. under the write locks again: `git merge --no-edit` (a fast-forward when possible; never a
   rebase); a textual conflict is aborted;
5. push (never forced); a push rejected because another device pushed first goes back to 3, a few
   times, then stops with an error that says so.

A remote's history unrelated to this repository's is joined only until this repository has
completed one exchange with its remote (a machine set up offline, or with local progress); after
that it is refused as a replaced remote. Schema-1 stores are migrated before committing, so they
travel. Only this device's own files (and migrations) are ever committed by a sync, so a
half-written file of another device never is.

Nothing here prints or exits: errors are SyncErrors (errors.py), results plain data (result.py).
Authentication is git's own; aipm never sees a password and strips any from a remote URL before
showing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aipm_cli import wording
from aipm_cli.sync.errors import SyncError, Unreachable
from aipm_cli.sync.git import REMOTE, harden, safe_url
from aipm_cli.sync.locks import SYNC_LOCK, file_lock, learner_locks
from aipm_cli.sync.policy import GITIGNORE
from aipm_cli.sync.recovery import read_state, recover, write_state
from aipm_cli.sync.repo import Repo
from aipm_cli.sync.result import SyncResult
from aipm_cli.sync.unsynced import count_unpushed

DEFAULT_BRANCH = "main"


def _finish(repo: Repo, result: SyncResult, started: float, error: str | None) -> None:
    result.seconds = time.perf_counter() - started
    result.git_seconds = repo.git.seconds
    previous = read_state(repo.git_dir)
    state = {
        "last_attempt": repo.now().isoformat(),
        "last_sync": previous.get("last_sync"),
        "received_at_last_sync": previous.get("received_at_last_sync", 0),
        "sent_at_last_sync": previous.get("sent_at_last_sync", 0),
        "last_error": error,
        # Whether this repository ever completed an exchange with its remote: until it has, the
        # remote's history may be joined even when unrelated (a machine set up offline).
        "joined": bool(previous.get("joined")) or (error is None and result.remote is not None),
    }
    if error is None:
        state.update(
            last_sync=state["last_attempt"],
            received_at_last_sync=sum(result.received.values()),
            sent_at_last_sync=sum(result.sent.values()),
        )
    write_state(repo.git_dir, state)


@contextmanager
def _sync_lock(repo: Repo) -> Iterator[None]:
    with file_lock(repo.git_dir / SYNC_LOCK, f"Another `aipm sync` in {repo.root}"):
        yield


def init(
    root: Path,
    remote: str | None = None,
    *,
    log: Callable[[str], None] | None = None,
    now: Callable[[], datetime] | None = None,
    accept_destructive: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> SyncResult:
    """Make the data directory a git repository (or use the one it is), commit what travels, join `remote`."""
    from aipm_cli.paths import ensure_private_dir

    started = time.perf_counter()
    repo = Repo(root, log=log, now=now)
    repo.progress = progress
    try:
        ensure_private_dir(root)
    except OSError as exc:
        raise SyncError(f"Cannot create {root}: {exc.strerror}.") from None
    created = not repo.exists()
    if created:
        repo.git.run("init", "-q")
        repo.git.run("symbolic-ref", "HEAD", f"refs/heads/{DEFAULT_BRANCH}")
    elif not repo.git_dir.is_dir():
        raise SyncError(f"{repo.git_dir} is not a folder; aipm sync needs the data directory to hold its own .git.")
    else:
        repo.check_safe()
        repo.check_only_ours()
    device = repo.device()
    result = SyncResult(str(root), device, DEFAULT_BRANCH, created=created)
    with _sync_lock(repo):
        result.recovered = recover(repo.git, repo.git_dir)
        harden(repo.git_dir)
        existing = repo.remote_url()
        had_remote = existing is not None
        if remote is not None:
            if existing is None:
                repo.git.run("remote", "add", REMOTE, remote)
            elif existing != remote:
                raise SyncError(
                    f"This data directory already syncs with {safe_url(existing)}.",
                    f"To switch, run `git -C {root} remote set-url {REMOTE} URL`, then `aipm sync`.",
                )
        url = repo.remote_url()
        result.remote = safe_url(url) if url else None
        head = repo.git.rev("HEAD")
        reached: str | None = None
        remote_ignore = False
        if url and head is None:
            # Before the first commit: learn the remote's branch (and its .gitignore) so this
            # machine's first commit sits on the same branch.
            try:
                repo.fetch(None)
            except Unreachable as exc:
                reached = str(exc)
            branches = [
                ref.removeprefix(f"refs/remotes/{REMOTE}/")
                for ref in repo.git.text("for-each-ref", "--format=%(refname)", f"refs/remotes/{REMOTE}/").split()
            ]
            chosen = next((b for b in (DEFAULT_BRANCH, "master") if b in branches), branches[0] if branches else None)
            remote_ignore = False
            if chosen:
                repo.git.run("symbolic-ref", "HEAD", f"refs/heads/{chosen}")
                remote_ignore = repo.git.ok("cat-file", "-e", f"{repo.tracking(chosen)}:.gitignore")
                result.joined = True
        # Joining a remote that has a .gitignore: its copy arrives with the merge.
        if not (root / ".gitignore").exists() and not (head is None and url and remote_ignore):
            _write_gitignore(root, GITIGNORE.encode())
        result.branch = repo.branch()
        repo.step("Committing this machine's changes", 0)
        with learner_locks(root, repo.legacy_folders()):
            repo.migrate()
            sent, roadmaps = repo.commit_local(device, everything=head is None)
        result.sent, result.roadmaps_sent = sent, roadmaps
        if reached is not None:
            _finish(repo, result, started, reached)
            raise _unreachable(result, url or "", reached)
        if url is None:
            _finish(repo, result, started, None)
            return result
        never_joined = not read_state(repo.git_dir).get("joined")
        unrelated_ok = created or not had_remote or never_joined
        return _exchange(repo, result, started, url, unrelated_ok, accept_destructive)


def _write_gitignore(root: Path, data: bytes) -> None:
    from aipm_cli.fs import atomic_write

    atomic_write(root / ".gitignore", data)


def _unreachable(result: SyncResult, url: str, reason: str) -> Unreachable:
    sent = sum(result.sent.values())
    kept = f"Committed {wording.count(sent, 'change')} here" if sent else "Nothing new to send from here"
    return Unreachable(
        f"Could not reach the remote {safe_url(url)}: {reason}. {kept}; nothing is lost.",
        "Run `aipm sync` again when the remote is reachable (`aipm --debug sync` shows git's messages).",
    )


def sync(
    root: Path,
    *,
    log: Callable[[str], None] | None = None,
    now: Callable[[], datetime] | None = None,
    accept_destructive: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> SyncResult:
    """Commit this device's new changes, fetch, check, merge and push.

    Destructive changes from other machines (record/provenance.py) in a learner's roadmap this
    machine holds changes of are refused (DestructiveRefused, nothing merged) unless `accept_destructive`.
    """
    started = time.perf_counter()
    repo = Repo(root, log=log, now=now)
    repo.progress = progress
    if not repo.git_dir.is_dir():
        raise SyncError(
            f"{root} is not set up for syncing yet.",
            "Run `aipm sync init REMOTE` (a git URL, or a path to a bare repository) first.",
        )
    repo.check_safe()  # before anything is written into a repository git would refuse
    with _sync_lock(repo):
        recovered = recover(repo.git, repo.git_dir)
        harden(repo.git_dir)
        device = repo.device()
        result = SyncResult(str(root), device, repo.branch(), recovered=recovered)
        url = repo.remote_url()
        result.remote = safe_url(url) if url else None
        repo.step("Committing this machine's changes", 0)
        with learner_locks(root, repo.legacy_folders()):
            repo.migrate()
            result.sent, result.roadmaps_sent = repo.commit_local(device, everything=repo.git.rev("HEAD") is None)
        if url is None:
            _finish(repo, result, started, "no remote")
            sent = sum(result.sent.values())
            raise Unreachable(
                f"This data directory has no remote to sync with. Committed {wording.count(sent, 'change')} here;"
                " nothing is lost.",
                "Add one with `aipm sync init REMOTE` (a git URL, or a path to a bare repository).",
            )
        unrelated_ok = not read_state(repo.git_dir).get("joined")
        return _exchange(repo, result, started, url, unrelated_ok, accept_destructive)


def _exchange(
    repo: Repo, result: SyncResult, started: float, url: str, unrelated_ok: bool, accept_destructive: bool
) -> SyncResult:
    """Fetch, merge and push (Repo.exchange), with the outcome recorded for `sync --status` either way."""
    try:
        repo.exchange(result.branch, result, unrelated_ok=unrelated_ok, accept_destructive=accept_destructive)
    except Unreachable as exc:
        _finish(repo, result, started, str(exc))
        raise _unreachable(result, url, str(exc)) from None
    except SyncError as exc:
        _finish(repo, result, started, exc.message)
        raise
    _finish(repo, result, started, None)
    return result


def status(root: Path, *, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Where syncing stands here: remote, branch, changes not pushed, the last sync (no network)."""
    repo = Repo(root, log=log)
    if not repo.git_dir.is_dir():
        return {
            "data_dir": str(root),
            "set_up": False,
            "remote": None,
            "branch": None,
            "not_pushed": 0,
            "not_pushed_by_learner": {},
            "received_at_last_sync": 0,
            "last_sync": None,
            "last_error": None,
        }
    branch = repo.branch()
    url = repo.remote_url()
    unpushed = count_unpushed(repo.git, root, branch)
    state = read_state(repo.git_dir)
    return {
        "data_dir": str(root),
        "set_up": True,
        "remote": safe_url(url) if url else None,
        "branch": branch,
        "not_pushed": sum(unpushed.values()),
        "not_pushed_by_learner": dict(sorted(unpushed.items())),
        "received_at_last_sync": state.get("received_at_last_sync", 0),
        "last_sync": state.get("last_sync"),
        "last_error": state.get("last_error"),
    }
