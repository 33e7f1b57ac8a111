"""Finding the learners in the sources: exports, folders of exports, data directories (flat or sharded)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aipm_cli.cohort.model import Unreadable
from aipm_cli.paths import BACKUPS_FOLDER, CHANGES_FOLDER, LEARNERS_FOLDER, STORE_FILE, Layout
from aipm_cli.record import logs

MAX_EXPORT_BYTES = 1 << 30


@dataclass
class Part:
    """One learner on one roadmap as found in one source."""

    name: str
    roadmap: str
    source: str  # as shown to the reader
    version: str | None = None
    stamp: str = ""  # when it was exported (the newest export's version wins)
    export: Path | None = None
    files: list[Path] = field(default_factory=list)
    legacy: Path | None = None  # a data directory whose learner has a schema-1 progress.json
    contact: str | None = None  # an email address the learner chose to share in their export
    plan_hours: float | None = None  # the weekly study hours of the learner's own plan, as their export shares it


def read_file(path: Path) -> bytes:
    """An export's bytes, read as every careful reader reads (fs.read_regular_file: a regular file of
    bounded size, never a FIFO or device, which would hang); what it is not is a Skip that says why."""
    from aipm_cli.fs import NotReadable, read_regular_file

    try:
        return read_regular_file(path, MAX_EXPORT_BYTES)
    except (NotReadable, IsADirectoryError) as exc:
        raise Skip(str(exc.strerror)) from None


class Skip(Exception):
    """A source that cannot be read; the message says why."""


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    from aipm_cli.errors import AipmError

    if isinstance(exc, AipmError):
        return exc.message
    return str(exc)


_CHANGES_KEY = b',\n  "changes": ['


def _head(raw: bytes) -> Any:
    """An export as `aipm export` writes it, without its change list (parsed later, once), or None.

    The change list comes last and its key starts a line of its own; a newline
    can only be structure in JSON (inside strings it is escaped), so cutting
    there leaves a complete document. Anything else is parsed whole.
    """
    cut = raw.find(_CHANGES_KEY)
    if cut < 0 or raw.find(_CHANGES_KEY, cut + 1) >= 0:
        return None
    try:
        head = json.loads(raw[:cut] + b"\n}")
    except (UnicodeDecodeError, ValueError):
        return None
    return head if isinstance(head, dict) and "changes" not in head else None


_FAULTS = {  # report.header_fault's findings, in the cohort's words
    "not_export": "it is not an aipm export",
    "no_version": "it is not an aipm export (no export version)",
    "newer": "it was written by a newer aipm (export version {version}; this aipm reads {known})",
    "no_roadmap": "it is not an aipm export (no roadmap)",
    "notes_left_out": (
        "it is a report made with --no-notes, which leaves the changes out; ask the learner for "
        "`aipm export --format json` (a cohort report shows notes only with --with-notes)"
    ),
}


def _export_header(path: Path) -> Part:
    """Who and which roadmap an export is for (its changes are read later, one learner at a time)."""
    from aipm_cli.report import EXPORT_VERSION, header_fault

    raw = read_file(path)
    try:
        data = _head(raw)
        if data is None:
            data = json.loads(raw)
    except RecursionError:
        raise Skip("it is nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise Skip("it is not an aipm export (not JSON)") from None
    fault = header_fault(data)
    if fault is not None:
        raise Skip(_FAULTS[fault].format(version=data.get("export_version"), known=EXPORT_VERSION))
    version, roadmap = data["export_version"], data["roadmap"]
    name = data.get("user")
    if not isinstance(name, str) or not name.strip():
        raise Skip("it names no learner")
    name = name.strip()
    why = _not_a_learner_name(name)
    if why is not None:
        raise Skip(why)
    shown_version = roadmap.get("version")
    if version == 1:  # the released format kept the version beside the progress
        progress = data.get("progress")
        if isinstance(progress, dict) and isinstance(progress.get("roadmap_version"), str):
            shown_version = progress["roadmap_version"]
    stamp = data.get("exported_at")
    contact = data.get("contact")
    return Part(
        name=name,
        roadmap=roadmap["id"],
        source=str(path),
        version=shown_version if isinstance(shown_version, str) else None,
        stamp=stamp if isinstance(stamp, str) else "",
        export=path,
        contact=email_address(contact.get("email")) if isinstance(contact, dict) else None,
        plan_hours=plan_hours(data.get("plan")),
    )


def _not_a_learner_name(name: str) -> str | None:
    """Why an export's learner name is one aipm refuses everywhere else (paths.check_user_name: an import,
    `--user`, a learner's folder), or None. The name is quoted with its control characters escaped."""
    from aipm_cli.errors import InputError
    from aipm_cli.paths import check_user_name, unportable

    try:
        check_user_name(name)
    except InputError:
        quoted = repr(name[:40]) + ("..." if len(name) > 40 else "")
        why = unportable(name)
        return f"the learner it names, {quoted}, is not a usable learner name" + (
            f" ({why})" if why else " (letters, digits, '.', '_' or '-', at most 64 characters)"
        )
    return None


def plan_hours(plan: object) -> float | None:
    """The weekly hours of the learner's own plan, as their export shares it (`plan.hours_per_week`, written
    when they set their weekly hours), or None."""
    hours = plan.get("hours_per_week") if isinstance(plan, dict) else None
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 168:
        return None
    return float(hours)


def email_address(value: object) -> str | None:
    """A plain email address (local@domain.tld, nothing that could add a header or a recipient), or None."""
    import re

    if not isinstance(value, str) or len(value) > 254:
        return None
    return value if re.fullmatch(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", value) else None


def _data_dir(root: Path, found: list[Part], bad: list[Unreadable]) -> None:
    """Every learner on every roadmap of a data directory (read-only)."""
    from aipm_cli.errors import InputError
    from aipm_cli.paths import check_user_name

    folder = Layout(root).learners
    try:
        learners = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        bad.append(Unreadable(str(root), f"cannot list its learners: {reason(exc)}"))
        return
    expanded: list[os.DirEntry[str]] = []
    for entry in learners:
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if not _is_shard(entry):
            expanded.append(entry)
            continue
        # A shard (learners/<first two characters of the name>/<name>/): its learners, read as flat ones.
        try:
            inside = sorted(os.scandir(entry.path), key=lambda e: e.name)
        except OSError as exc:
            bad.append(Unreadable(str(Path(entry.path)), f"cannot list it: {reason(exc)}"))
            continue
        for learner in inside:
            if learner.name.startswith(".") or not learner.is_dir():
                continue
            if learner.name[:2].casefold() != entry.name.casefold():
                bad.append(
                    Unreadable(str(Path(learner.path)), f"it is not in its shard (learners/{shard(learner.name)}/)")
                )
                continue
            expanded.append(learner)
    for learner in expanded:
        where = learner.path
        try:
            name = check_user_name(learner.name)
        except InputError:
            bad.append(Unreadable(where, "the folder's name is not a learner name"))
            continue
        try:
            entries = sorted(os.scandir(learner.path), key=lambda e: e.name)
        except OSError as exc:
            bad.append(Unreadable(where, f"cannot list it: {reason(exc)}"))
            continue
        has_legacy = False
        for entry in entries:
            if entry.name == STORE_FILE:
                has_legacy = True
            if entry.name.startswith(".") or entry.name == BACKUPS_FOLDER or not entry.is_dir():
                continue
            changes = Path(entry.path, CHANGES_FOLDER)
            try:
                files = logs.log_files(changes)  # one listing (a folder that cannot be listed raises)
            except OSError as exc:
                bad.append(Unreadable(str(changes), f"cannot list it: {reason(exc)}"))
                continue
            if files or changes.is_dir():
                found.append(Part(name, entry.name, str(root), files=files))
        if has_legacy:
            legacy = Path(learner.path, STORE_FILE)
            from aipm_cli.record.migrate import read_legacy

            try:
                doc = read_legacy(legacy)
            except Exception as exc:  # any damage: named, and the rest of the cohort still reported
                bad.append(Unreadable(str(legacy), reason(exc)))
                continue
            for roadmap_id, progress in sorted((doc.roadmaps if doc else {}).items()):
                part = next(
                    (p for p in found if p.name == name and p.roadmap == roadmap_id and p.source == str(root)), None
                )
                if part is None:
                    part = Part(name, roadmap_id, str(root))
                    found.append(part)
                part.legacy = legacy
                part.version = progress.roadmap_version


def shard(name: str) -> str:
    """The shard folder of a learner in the sharded layout: the first two characters of the name, lowercased."""
    return name[:2].casefold()


def _is_shard(entry: os.DirEntry[str]) -> bool:
    """A two-character folder of learners/ holding learners rather than roadmaps (a learner's own folder holds
    `<roadmap>/changes/`, `progress.json` or `backups/`; a shard's holds learners' folders)."""
    if len(entry.name) != 2:
        return False
    try:
        children = [c for c in os.scandir(entry.path) if not c.name.startswith(".")]
    except OSError:
        return False
    if not children or any(c.name in (STORE_FILE, BACKUPS_FOLDER) for c in children):
        return False
    for child in children:
        if not child.is_dir() or os.path.isdir(os.path.join(child.path, CHANGES_FOLDER)):
            return False
    return True


def _walk(folder: Path) -> tuple[list[Path], list[Path]]:
    """The exports (*.json) and data directories (folders with learners/) in a folder and below it.

    A data directory is read as one (its own JSON files are caches and settings,
    not exports); hidden folders such as .git are skipped.
    """
    if (folder / LEARNERS_FOLDER).is_dir():
        return [], [folder]
    exports: list[Path] = []
    data_dirs: list[Path] = []
    for top, dirs, files in os.walk(folder):
        here = Path(top)
        if here != folder and (here / LEARNERS_FOLDER).is_dir():
            data_dirs.append(here)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        exports.extend(here / f for f in files if f.endswith(".json") and not f.startswith("."))
    return sorted(exports), sorted(data_dirs)


def discover(paths: Iterable[Path]) -> tuple[list[Part], list[Unreadable]]:
    """Every learner-and-roadmap in the sources, and what could not be read."""
    found: list[Part] = []
    bad: list[Unreadable] = []

    def export(path: Path) -> None:
        try:
            found.append(_export_header(path))
        except Skip as exc:
            bad.append(Unreadable(str(path), str(exc)))
        except OSError as exc:
            bad.append(Unreadable(str(path), reason(exc)))

    for path in paths:
        try:
            if not path.exists():
                bad.append(Unreadable(str(path), "there is no such file or folder"))
            elif path.is_dir():
                exports, data_dirs = _walk(path)
                if not exports and not data_dirs:
                    bad.append(Unreadable(str(path), "it is not an aipm data directory and holds no JSON exports"))
                for folder in data_dirs:
                    _data_dir(folder, found, bad)
                for file in exports:
                    export(file)
            else:
                export(path)
        except OSError as exc:
            bad.append(Unreadable(str(path), reason(exc)))
    return found, bad
