"""Housekeeping of a data directory's learners: rename, remove into backups, restore, list.

Functions of the core (they take the `Learner` in use); they never print and never exit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError
from aipm_cli.paths import check_user_name

if TYPE_CHECKING:
    from aipm_cli.learner import Learner


def backups_dir(learner: Learner) -> Path:
    """The data directory's own backups: whole learners removed with `users remove`."""
    return learner.layout.removed


def _existing_learner(learner: Learner, name: str, *, old: bool = False) -> Path:
    folder = learner.layout.learner_dir(name, old=old)
    if not folder.is_dir() or folder.is_symlink():
        known = learner.learner_names()
        hint = f"Learners here: {', '.join(known)}." if known else "There are no learners here yet."
        raise InputError(f"There is no learner called '{name}' in {learner.layout.root}.", hint)
    return folder


@contextmanager
def _learner_locked(learner: Learner, name: str, *, old: bool = False) -> Iterator[None]:
    """Every write lock of a learner (one per roadmap), so no change is half-way while their folder moves."""
    from contextlib import ExitStack

    from aipm_cli.paths import write_lock
    from aipm_cli.record import locking

    folder = learner.layout.learner_dir(name, old=old)
    with ExitStack() as stack:
        for roadmap in sorted(folder.iterdir()):
            changes = roadmap / "changes"
            if roadmap.is_dir() and not roadmap.is_symlink() and changes.is_dir():
                stack.enter_context(locking.held(write_lock(changes), roadmap))
        yield


def _forget_cache(learner: Learner, name: str) -> None:
    import shutil

    shutil.rmtree(learner.layout.cache / "state" / name, ignore_errors=True)


def _refuse_when_synced(learner: Learner, what: str, name: str) -> None:
    # Sync only ever adds to each device's logs: a moved or removed folder would come back from
    # another machine, and the learner would be split between two names. A folder no commit holds
    # (a sync refused to take it in: policy.refuse_case_twins) has gone nowhere yet, and may move.
    if (learner.layout.root / ".git").exists() and _committed(learner.layout.root, name):
        raise InputError(
            f"This data directory is synced with git, so a learner cannot be {what} here: "
            "the other machines would bring the old folder back.",
            "Do it before `aipm sync init`, or keep the name and use another learner for new progress.",
        )


def _committed(root: Path, name: str) -> bool:
    """Whether any commit here (this machine's, or a remote's as fetched) holds the learner's folder."""
    from aipm_cli.errors import AipmError
    from aipm_cli.sync.git import Git

    try:
        return bool(Git(root).text("rev-list", "-1", "--all", "--", f"learners/{name}/"))
    except AipmError:
        return True  # cannot tell: as if it had travelled


def rename(learner: Learner, old: str, new: str) -> dict[str, Any]:
    """Give a learner another name: their folder moves, every change stays as it is."""
    from aipm_cli.paths import case_twins, check_old_user_name

    # `old` may be a name made before names had to suit every platform: renaming is the way out.
    _refuse_when_synced(learner, "renamed", check_old_user_name(old))
    folder = _existing_learner(learner, old, old=True)
    # A case-only rename (`maya` to `Maya`) is the learner's own twin; any other is another learner.
    others = [twin for twin in case_twins(learner.layout.learners, check_user_name(new)) if twin != old]
    if others:
        raise InputError(
            f"There is already a learner called '{others[0]}': '{new}' differs from it only in case, and macOS"
            " and Windows keep both in one folder.",
            "Choose a name that differs in more than case.",
        )
    target = learner.layout.learner_dir(new)
    if target.exists() or target.is_symlink():
        raise InputError(
            f"There is already a learner called '{new}'.", "Choose another name, or remove that learner first."
        )
    with _refused_move(f"rename the learner '{old}'"), _learner_locked(learner, old, old=True):
        os.rename(folder, target)
    _forget_cache(learner, old)
    # The learner your commands use follows the rename, wherever that name came from (the
    # setting, or your login name).
    moved_setting = learner.config.get("user") == old or (learner.user_option is None and learner.user == old)
    if moved_setting:
        learner.config.set("user", new)
    return {"old": old, "new": new, "folder": str(target), "setting_updated": moved_setting}


def check_removable(learner: Learner, name: str) -> None:
    """Raise what `remove_learner` would refuse (before the learner is asked to confirm)."""
    _refuse_when_synced(learner, "removed", check_user_name(name))
    _existing_learner(learner, name)


def remove(learner: Learner, name: str) -> dict[str, Any]:
    """Move a learner's folder into the data directory's backups (`restore` brings it back)."""
    from aipm_cli.paths import backup_path, ensure_private_dir

    _refuse_when_synced(learner, "removed", check_user_name(name))
    folder = _existing_learner(learner, name)
    with _refused_move(f"move the learner '{name}' into {backups_dir(learner)}"):
        ensure_private_dir(backups_dir(learner))
        backup = backup_path(backups_dir(learner), f"learner-{name}", learner.now())
        with _learner_locked(learner, name):
            os.rename(folder, backup)
    _forget_cache(learner, name)
    return {"user": name, "backup": backup.name, "path": str(backup)}


def backups(learner: Learner) -> list[dict[str, Any]]:
    """What aipm keeps aside: removed learners, replaced stores, torn lines; newest first within each kind."""

    found: list[dict[str, Any]] = []

    def add(path: Path, kind: str, user: str, restorable: bool) -> None:
        try:
            info = path.lstat()
        except OSError:
            return
        when = datetime.fromtimestamp(info.st_mtime, UTC).isoformat(timespec="seconds")
        found.append({"name": path.name, "kind": kind, "user": user, "path": str(path),
                      "modified": when, "restorable": restorable})  # fmt: skip

    if backups_dir(learner).is_dir():
        for entry in sorted(backups_dir(learner).iterdir(), reverse=True):
            if entry.name.startswith("learner-") and entry.is_dir() and not entry.is_symlink():
                add(entry, "removed learner", backup_user(entry.name), True)
    for name in learner.learner_names():
        try:
            folder = learner.layout.backups(name, old=True)
        except InputError:
            continue
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), reverse=True):
            if entry.name.startswith("progress-schema1-"):
                kind = "store before migration"
            elif entry.name.startswith("torn-"):
                kind = "torn line set aside"
            else:
                kind = "set aside"
            add(entry, kind, name, False)
    return found


def restore(learner: Learner, spec: str) -> dict[str, Any]:
    """Bring a removed learner back from the backups (by the backup's name, or the learner's if only one)."""
    candidates = [b for b in backups(learner) if spec in (b["name"], b["path"])]
    if not candidates:
        candidates = [b for b in backups(learner) if b["restorable"] and b["user"] == spec]
        if len(candidates) > 1:
            names = ", ".join(b["name"] for b in candidates)
            raise InputError(f"'{spec}' has {len(candidates)} backups: {names}.", "Name the one to restore.")
    if not candidates:
        raise InputError(f"There is no backup called '{spec}'.", "Run `aipm backups` to see them.")
    backup = candidates[0]
    if not backup["restorable"]:
        raise InputError(
            f"{backup['name']} is a file aipm set aside ({backup['kind']}); it is kept for you to read, not restored.",
            f"It is at {backup['path']}.",
        )
    from aipm_cli.paths import check_not_case_twin

    user = backup["user"]
    target = learner.layout.learner_dir(check_not_case_twin(learner.layout.learners, user))
    if target.exists() or target.is_symlink():
        raise InputError(
            f"There is already a learner called '{user}'.",
            f"Rename that learner first (`aipm users rename {user} NEW`), then restore.",
        )
    from aipm_cli.paths import ensure_private_dir

    with _refused_move(f"bring back {backup['name']}"):
        ensure_private_dir(learner.layout.learners)
        os.rename(backup["path"], target)
    _forget_cache(learner, user)
    return {"user": user, "backup": backup["name"], "folder": str(target)}


def users(learner: Learner) -> list[dict[str, Any]]:
    """Every learner here with their progress on the roadmap in use."""
    from aipm_cli.errors import AipmError
    from aipm_cli.paths import case_collisions, check_old_user_name, check_user_name
    from aipm_cli.progress import counts_for

    roadmap = learner.roadmap
    items = [placed.item for placed in roadmap.index.items.values()]
    found: list[dict[str, Any]] = []
    try:
        current: str | None = learner.user
    except InputError:
        current = None  # a name that is no learner's exactly, but several learners' in case: the list still shows
    names = learner.learner_names()
    twins = {name: group for group in case_collisions(names) for name in group}
    for name in names:
        info: dict[str, Any] = {
            "user": name,
            "folder": str(learner.layout.learners / name),
            "current": name == current,
        }
        try:
            check_old_user_name(name)  # a name from before names had to suit every platform still reads
            try:
                check_user_name(name)
            except InputError as exc:
                info["rename"] = f"{exc.message} Rename it: `aipm users rename {name} NEW`."
            if name in twins and "rename" not in info:
                others = " and ".join(f"'{other}'" for other in twins[name] if other != name)
                info["rename"] = (
                    f"'{name}' differs only in case from {others}: macOS and Windows keep them in one folder."
                    " `aipm doctor` says how to join or part them."
                )
            ledger = learner.ledger_for(name)
            result = ledger.load()
            if not result.changes:
                continue
            counts = counts_for(roadmap, result.state, items)
            info.update(percent=counts.percent, done=counts.done, readable=not result.problems.damage,
                        changes=result.changes, last_change=result.last_at)  # fmt: skip
        except AipmError as exc:
            info.update(percent=None, done=None, readable=False, error=exc.message, last_change=None)
        found.append(info)
    return found


@contextmanager
def _refused_move(what: str) -> Iterator[None]:
    """A learner's folder that the system would not move (a read-only or full disk): one clear error."""
    try:
        yield
    except OSError as exc:
        from aipm_cli.errors import StoreError
        from aipm_cli.fs import write_hint

        where = f" ({exc.filename})" if exc.filename else ""
        raise StoreError(
            f"Cannot {what}: {exc.strerror or exc}{where}. Nothing was changed.", write_hint(exc)
        ) from None


def backup_user(name: str) -> str:
    """'learner-ada-20261124T100000' (or '...-2') -> 'ada'."""
    import re

    match = re.fullmatch(r"learner-(.+)-\d{8}T\d{6}(?:-\d+)?", name)
    return match.group(1) if match else name.removeprefix("learner-")
