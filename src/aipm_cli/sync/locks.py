"""The locks a sync takes: its own (one sync at a time in a data directory) and every learner's write
lock (the one `aipm done` takes), so that no change lands in a log while a sync commits or merges it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from aipm_cli.paths import CHANGES_FOLDER, Layout, ensure_private_dir, write_lock
from aipm_cli.sync.errors import SyncError
from aipm_cli.sync.policy import LEARNER_FOLDER

SYNC_LOCK = "aipm-sync.lock"  # inside .git


def roadmap_folders(root: Path, extra: set[tuple[str, str]] = frozenset()) -> list[tuple[str, str]]:  # type: ignore[assignment]
    """(learner, roadmap) of every learner's roadmap folder here, plus `extra`."""
    found = set(extra)
    learners = Layout(root).learners
    try:
        people = list(os.scandir(learners))
    except OSError:
        people = []
    for person in people:
        if not person.is_dir(follow_symlinks=False) or not LEARNER_FOLDER.fullmatch(person.name):
            continue
        try:
            for roadmap in os.scandir(person.path):
                if roadmap.is_dir(follow_symlinks=False) and roadmap.name != "backups":
                    if os.path.isdir(os.path.join(roadmap.path, CHANGES_FOLDER)):
                        found.add((person.name, roadmap.name))
        except OSError:
            continue
    return sorted(found)


@contextmanager
def file_lock(path: Path, what: str) -> Iterator[None]:
    """A lock a sync takes (its own, or a learner's write lock), through the record's one lock helper."""
    from aipm_cli.record import locking

    with locking.held(path, what, busy=f"{what} is busy", error=SyncError):
        yield


@contextmanager
def learner_locks(
    root: Path,
    extra: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    *,
    create: bool = True,
) -> Iterator[None]:
    """Every learner's write lock (the one `aipm done` takes), in one order, so no write lands mid-commit.

    `extra` folders are locked too; without `create`, only those that exist already (a merge that
    brings a new learner or roadmap leaves nothing behind when it is refused).
    """
    layout = Layout(root)
    with ExitStack() as stack:
        for learner, roadmap in roadmap_folders(root, extra):
            changes = layout.changes_dir(learner, roadmap, old=True)
            if not create and not changes.is_dir():
                continue
            try:
                ensure_private_dir(changes)
            except OSError as exc:
                raise SyncError(f"Cannot create {changes}: {exc.strerror}.") from None
            stack.enter_context(file_lock(write_lock(changes), f"The progress of {learner} on {roadmap}"))
        yield
