"""What a sync carries, and what it never does.

What travels is what can never conflict: each learner's change logs (a device only ever appends to
its own file; other log files are written once) and the learner's own roadmap files (`roadmaps/`),
plus a few harmless top-level files. Everything else stays on each machine (GITIGNORE). A path
another machine sends that is none of these is refused (see arriving.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from aipm_cli.errors import AipmError
from aipm_cli.paths import CHANGES_FOLDER, Layout
from aipm_cli.sync.errors import NewerLine, SyncError

# The largest file a sync takes from a remote (README, "Use aipm on several machines"): a change
# log of 64 MB holds some 300,000 changes; a roadmap aipm itself reads is at most 10 MB.
MAX_LOG_BYTES = 64 << 20
MAX_ROADMAP_BYTES = 10 << 20
MAX_OTHER_BYTES = 1 << 20  # .gitignore, a README, a LICENSE
LIMITS = {"log": MAX_LOG_BYTES, "roadmap": MAX_ROADMAP_BYTES, "other": MAX_OTHER_BYTES}
GITIGNORE = """\
# Written by `aipm sync init`. What travels between your machines: every
# learner's change logs (learners/*/*/changes/*.jsonl) and your own roadmaps
# (roadmaps/). What stays on each machine: everything below.
/cache/
/device
/config.json
/learners/*/backups/
/learners/*/progress.json
*.lock
.*.tmp
*.tmp
"""

LEARNER_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # used with fullmatch
_ROADMAP_DIR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# A device's own log, an import it wrote, or a migration: the only names the record package writes.
_LOG_NAME = re.compile(r"^(?:migrated-[0-9a-f]{1,64}|[a-z0-9][a-z0-9-]{0,62}(?:\.import-[0-9a-f]{1,64})?)\.jsonl$")
_ROADMAP_FILE = re.compile(r"^[^./\x00-\x1f\x7f][^/\x00-\x1f\x7f]{0,200}\.(yaml|yml|json)$")
_TOP_LEVEL_OK = re.compile(r"^(\.gitignore|README(\.[A-Za-z]+)?|LICENSE(\.[A-Za-z]+)?)$")
REGULAR_MODES = ("100644", "100755")


def classify(path: str) -> str | None:
    """'log', 'roadmap' or 'other' (a harmless top-level file) for a path that may travel; None otherwise."""
    parts = path.split("/")
    if len(parts) == 5 and parts[0] == "learners" and parts[3] == "changes":
        _, learner, roadmap, _, name = parts
        if (
            _learner_name(learner)
            and _ROADMAP_DIR.fullmatch(roadmap)
            and roadmap != "backups"
            and _LOG_NAME.fullmatch(name)
        ):
            return "log"
        return None
    if len(parts) == 2 and parts[0] == "roadmaps" and _ROADMAP_FILE.fullmatch(parts[1]):
        return "roadmap"
    if len(parts) == 1 and _TOP_LEVEL_OK.fullmatch(parts[0]):
        return "other"
    return None


def _learner_name(name: str) -> bool:
    """Whether a folder name is a learner name the rest of aipm accepts (`bob\\n` is not)."""
    from aipm_cli.paths import check_user_name

    if not LEARNER_FOLDER.fullmatch(name):
        return False
    try:
        check_user_name(name)
    except AipmError:
        return False
    return True


def learner_folders(paths: Iterable[str]) -> set[str]:
    """The learner folders that repository paths (`learners/NAME/...`) lie in."""
    return {parts[1] for parts in (path.split("/") for path in paths) if len(parts) > 2 and parts[0] == "learners"}


def folders_here(root: Path) -> set[str]:
    """Every entry of the data directory's learners folder (a file of that name would collide too)."""
    try:
        return {name for name in os.listdir(Layout(root).learners) if not name.startswith(".")}
    except OSError:
        return set()


def case_twin_among(names: Iterable[str], among: Iterable[str]) -> tuple[str, str] | None:
    """The first (name, other): `name` from `names`, `other` from `among`, differing only in case; or None.

    `Maya` and `maya` are one folder on macOS and Windows: two learner folders so named cannot
    both be checked out there, and would mix one learner's record with another's.
    """
    folded: dict[str, list[str]] = {}
    for other in sorted(set(among)):
        folded.setdefault(other.casefold(), []).append(other)
    for name in sorted(set(names)):
        for other in folded.get(name.casefold(), []):
            if other != name:
                return name, other
    return None


def own_log(name: str, device: str) -> bool:
    """Whether a log (by file name) is one this device commits: its own, its imports, a migrated store.
    Another device's log changes here only by a merge."""
    return name.startswith((f"{device}.jsonl", f"{device}.import-", "migrated-"))


def log_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(repository path, file) of every change-log file in the data directory (regular files only)."""
    learners = Layout(root).learners
    try:
        people = sorted(os.scandir(learners), key=lambda e: e.name)
    except OSError:
        return
    for person in people:
        if not person.is_dir(follow_symlinks=False) or not LEARNER_FOLDER.fullmatch(person.name):
            continue
        try:
            roadmaps = sorted(os.scandir(person.path), key=lambda e: e.name)
        except OSError:
            continue
        for roadmap in roadmaps:
            if not roadmap.is_dir(follow_symlinks=False) or roadmap.name == "backups":
                continue
            folder = os.path.join(roadmap.path, CHANGES_FOLDER)
            try:
                files = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in files:
                rel = f"learners/{person.name}/{roadmap.name}/changes/{entry.name}"
                if entry.is_file(follow_symlinks=False) and classify(rel) == "log":
                    yield rel, Path(entry.path)


def roadmap_files(root: Path) -> Iterator[tuple[str, Path]]:
    try:
        entries = sorted(os.scandir(Layout(root).roadmaps), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        rel = f"roadmaps/{entry.name}"
        if entry.is_file(follow_symlinks=False) and classify(rel) == "roadmap":
            yield rel, Path(entry.path)


def blob_id(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def complete_lines(data: bytes) -> bytes:
    """The complete lines of a log (a torn last line, from a crash mid-append, left out)."""
    cut = data.rfind(b"\n")
    return data[: cut + 1] if cut >= 0 else b""


def new_lines(path: str, data: bytes, start: int, each: Callable[[dict[str, Any]], None] | None = None) -> int:
    """How many changes `data[start:]` holds (each told to `each`); SyncError when one is not a readable change."""
    from aipm_cli.record.changes import BadChange, NewerChange, parse

    count = 0
    number = data.count(b"\n", 0, start)
    for raw in data[start:].split(b"\n")[:-1]:
        number += 1
        if not raw.strip():
            continue
        try:
            change = parse(raw)
        except NewerChange as exc:
            raise NewerLine(f"{path}, line {number} was written by a newer aipm: {exc}.") from None
        except BadChange as exc:
            raise SyncError(f"{path}, line {number} is not a readable change: {exc}.") from None
        if each is not None:
            each(change)
        count += 1
    return count
