"""`aipm cohort pull`: one repository per learner, fetched into the instructor's cache.

Each remote is fetched (never pushed to: the learner's repository is only
read) into its own folder of `<data dir>/cache/cohort-pulled/`, named by a
hash of the remote's address, and its newest commit checked out there, so
the folder is a data directory the cohort report reads as it is. Git runs
with aipm's clean environment (sync.Git): no hook, no fsmonitor, no `ext::`
transport; symbolic links are checked out as plain files, so a learner's
repository cannot point the report at a file outside it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

FOLDER = "cohort-pulled"
REMOTE_FILE = ".aipm-remote"  # beside each checkout: the address it was fetched from


@dataclass
class Pulled:
    remote: str
    path: Path
    problem: str | None = None  # why it could not be fetched; None: fetched


def folder_for(cache: Path, remote: str) -> Path:
    return cache / FOLDER / hashlib.sha256(remote.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def pulled(cache: Path) -> list[Pulled]:
    """Every repository pulled so far (from the cache alone: nothing is fetched)."""
    base = cache / FOLDER
    out = []
    if base.is_dir():
        for remote_file in sorted(base.glob(f"*{REMOTE_FILE}")):
            checkout = base / remote_file.name[: -len(REMOTE_FILE)]
            if checkout.is_dir():
                out.append(Pulled(remote_file.read_text("utf-8", "replace").strip(), checkout))
    return out


def pull(cache: Path, remote: str) -> Pulled:
    """Fetch one learner's repository into the cache and check its newest commit out there."""
    from aipm_cli.errors import AipmError
    from aipm_cli.paths import ensure_private_dir
    from aipm_cli.sync.git import Git

    target = folder_for(cache, remote)
    if remote.startswith("-") or not remote.strip():
        return Pulled(remote, target, "it is not a repository address")
    try:
        ensure_private_dir(target)
        git = Git(target)
        safe = ("-c", "core.symlinks=false", "-c", "submodule.recurse=false", "-c", "fetch.recurseSubmodules=false")
        if not (target / ".git").is_dir():
            git.run("init", "-q", extra=safe)
        # `main`, the branch aipm syncs, by name: a bare repository made with plain `git init --bare` has
        # a HEAD (master) naming no branch. HEAD only where there is no main (a repository on another branch).
        for ref in ("refs/heads/main", "HEAD"):
            fetched = git.run(
                "fetch", "--quiet", "--no-tags", "--depth=1", "--", remote, ref, check=False, network=True, extra=safe
            )
            if fetched.returncode == 0 or b"couldn't find remote ref" not in fetched.stderr:
                break
        if fetched.returncode != 0:
            reason = fetched.stderr.decode("utf-8", "replace").strip().splitlines()
            return Pulled(remote, target, reason[-1] if reason else f"git fetch exited with {fetched.returncode}")
        checked = git.run("checkout", "--quiet", "--force", "--detach", "FETCH_HEAD", check=False, extra=safe)
        if checked.returncode != 0:
            reason = checked.stderr.decode("utf-8", "replace").strip().splitlines()
            return Pulled(remote, target, reason[-1] if reason else "git checkout failed")
        git.run("clean", "-q", "-f", "-d", "-x", check=False, extra=safe)  # files the new commit no longer has
        (target.parent / (target.name + REMOTE_FILE)).write_text(remote + "\n", "utf-8", "surrogateescape")
    except (OSError, AipmError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else getattr(exc, "message", str(exc))
        return Pulled(remote, target, str(problem or type(exc).__name__))
    return Pulled(remote, target)
