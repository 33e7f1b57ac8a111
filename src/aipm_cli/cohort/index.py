"""The cohort index: each learner's fold and summary, kept so that a second report folds only what changed.

Kept in the instructor's own cache (`<data dir>/cache/cohort-index.sqlite3`),
never in a source. One row per learner as found (roadmap, name, the sources
they were found in), with what it was built from:

- each log file's size, modification time, a checksum of its last block and
  of its whole content; a file whose size and time are unchanged is not read
  again (as git does); one whose time changed is read and compared by content;
- each export's (and schema-1 progress file's) content hash.

A learner whose files are all unchanged is not folded again: their summary
is taken as it is when the report's settings and day are the same, or made
again from the kept fold (no log is read) when only the day or settings
changed, as long as no change is dated after either day. Anything else is
folded from scratch, the same fold a report without the index makes. A log
that shrank, vanished or changed before its end (not only added to) is named
in `Lookup.notices`: the learner is folded again from the start.

The rows are pickled objects of aipm's own classes, read back with an
unpickler that refuses every other class; a file that is not ours (another
owner, writable by others) or that cannot be read is not used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sqlite3
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

INDEX_FILE = "cohort-index.sqlite3"
INDEX_VERSION = 4  # 2: the cohort package's classes, statuses one character an item; 3: own plans; 4: exact
BLOCK = 4096  # the last block of a log, whose checksum tells "only added to" from "rewritten"
FORGET_DAYS = 90  # rows not used for this long are dropped

_SCHEMA = """
CREATE TABLE IF NOT EXISTS learners (
    roadmap TEXT NOT NULL,
    name TEXT NOT NULL,
    sources TEXT NOT NULL,
    files TEXT NOT NULL,
    fold BLOB,
    summary_key TEXT,
    summary BLOB,
    used TEXT NOT NULL,
    PRIMARY KEY (roadmap, name, sources)
)
"""

# What a row may hold: aipm's own classes and the few standard ones they use.
_ALLOWED_MODULES = ("aipm_cli.", "collections")
_ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta")}


_FOUND: dict[tuple[str, str], Any] = {}  # classes allowed and found once (a report reads thousands of rows)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _FOUND.get((module, name))
        if found is not None:
            return found
        if (module, name) in _ALLOWED or any(module.startswith(m) for m in _ALLOWED_MODULES):
            found = _FOUND[(module, name)] = super().find_class(module, name)
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cohort index")


def loads(blob: bytes) -> Any:
    return _Unpickler(io.BytesIO(blob)).load()


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileMark:
    """What a source file was when it was read: enough to tell whether it changed, and how."""

    size: int
    mtime: int  # nanoseconds
    tail: str  # checksum of the last BLOCK bytes
    whole: str  # checksum of every byte

    def data(self) -> list[Any]:
        return [self.size, self.mtime, self.tail, self.whole]


RACY_NS = 2_000_000_000  # a file changed this recently may change again within its clock's tick


def mark(path: Path) -> FileMark:
    """A file's mark (raises OSError when it cannot be read).

    A file modified in the last two seconds is marked with time 0: rewritten
    again within the file system's clock tick, it could keep its size and time,
    so the next report compares its content (git's "racily clean" files).
    """
    import time

    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        data = handle.read()
    mtime = 0 if time.time_ns() - info.st_mtime_ns < RACY_NS else info.st_mtime_ns
    return FileMark(len(data), mtime, _digest(data[-BLOCK:]), _digest(data))


@dataclass
class Kept:
    """A learner's fold as kept in the index (everything a summary is made from)."""

    state: Any  # record.state.State
    activity: dict[str, int]
    changes: int
    damage: list[Any]  # cohort.Unreadable, one per unreadable line named
    unrelated: list[list[str]]
    day: date  # the fold was made as of this day
    latest: str | None  # the latest date of any change read ("" none; None: not known)

    def holds_for(self, day: date) -> bool:
        """Whether a fold as of `day` would be this one: the same day, or no change dated after either."""
        if day == self.day:
            return True
        return self.latest is not None and self.latest <= min(day, self.day).isoformat()


@dataclass
class Found:
    """What the index has for one learner."""

    row: int | None = None  # the row whose kept summary holds as it is, to read with `summary_at`
    kept: Kept | None = None  # the fold, when the files are unchanged
    notices: list[str] = field(default_factory=list)  # logs rewritten, shrunk or gone


def identity(parts: Iterable[Any]) -> str:
    """The sources a learner was found in, as the row's key."""
    return json.dumps(sorted({str(p.source) for p in parts}))


def files_of(parts: Iterable[Any]) -> list[tuple[str, Path]]:
    """Every file a learner's figures are read from: (kind, path)."""
    out: list[tuple[str, Path]] = []
    for part in parts:
        if part.export is not None:
            out.append(("export", part.export))
        out.extend(("log", p) for p in part.files)
        if part.legacy is not None:
            out.append(("legacy", part.legacy))
    return out


def marks(files: list[tuple[str, Path]]) -> dict[str, list[Any]]:
    """Each file's kind and mark, made before the files are folded (one that grows meanwhile is folded next time)."""
    return {str(path): [kind, *mark(path).data()] for kind, path in files}


class Index:
    """The cohort index in a cache folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / INDEX_FILE
        self.problem: str | None = None  # why the index could not be used, when it could not
        self._db: sqlite3.Connection | None = None
        self._rows: dict[str, dict[tuple[str, str], tuple[int, str, str | None]]] = {}
        self._used: list[tuple[str, int]] = []  # (day, rowid) of rows used, written at commit

    def open(self) -> bool:
        from aipm_cli.paths import ensure_private_dir

        try:
            ensure_private_dir(self.path.parent)
            if self.path.is_symlink():
                raise OSError(0, "it is a symbolic link")
            if self.path.exists():
                info = self.path.stat()
                if not stat.S_ISREG(info.st_mode):
                    raise OSError(0, "it is not a regular file")
                from aipm_cli.portable import user_id

                me = user_id()
                if (me is not None and info.st_uid != me) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                    raise OSError(0, "it belongs to someone else or others can write it")
            db = sqlite3.connect(self.path, timeout=30)
            os.chmod(self.path, 0o600)
            db.execute(_SCHEMA)
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if row is None or row[0] != str(INDEX_VERSION):
                db.execute("DELETE FROM learners")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(INDEX_VERSION),))
            db.commit()
        except (OSError, sqlite3.Error) as exc:
            self.problem = f"the cohort index {self.path} cannot be used ({getattr(exc, 'strerror', None) or exc})"
            return False
        self._db = db
        return True

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def look(self, roadmap: str, name: str, parts: list[Any], summary_key: str, day: date) -> Found:
        """What the index holds for this learner, and what changed in their files since. A summary that
        holds is not read here, only its row named (`summary_at` reads it)."""
        found = Found()
        row = self._known(roadmap).get((name, identity(parts)))
        if row is None:
            return found
        rowid, files, stored_key = row
        try:
            stored: dict[str, list[Any]] = json.loads(files)
        except ValueError:
            return found
        changed = False
        now = {str(path): kind for kind, path in files_of(parts)}
        for path in sorted(set(stored) - set(now)):
            if stored[path][0] == "log":
                found.notices.append(f"{name}: {path} is gone; folded again from the start")
            changed = True
        for path, kind in now.items():
            old = stored.get(path)
            if old is None:
                changed = True
                continue
            _kind, size, mtime, tail, whole = old
            try:
                info = os.stat(path)
                if info.st_size == size and info.st_mtime_ns == mtime:
                    continue
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                changed = True  # the fold names it
                continue
            if _digest(data) == whole:
                continue
            changed = True
            if kind != "log":
                continue  # an export or progress file replaced: simply read again
            if len(data) < size:
                found.notices.append(f"{name}: {path} shrank; folded again from the start")
            elif _digest(data[max(0, size - BLOCK) : size]) != tail:
                found.notices.append(f"{name}: {path} changed before its end; folded again from the start")
        if changed:
            return found
        if self._db is None:
            return found
        if stored_key == summary_key:
            found.row = rowid
            return found
        try:
            (blob,) = self._db.execute("SELECT fold FROM learners WHERE rowid = ?", (rowid,)).fetchone()
            kept = loads(blob) if blob is not None else None
            if isinstance(kept, Kept) and kept.holds_for(day):
                found.kept = kept
        except Exception:  # a damaged or foreign row: fold again
            found.kept = None
        return found

    def summary_at(self, rowid: int) -> Any:
        """The summary (with its unreadable lines) kept in a row `look` named, or None when it cannot be read."""
        if self._db is None:
            return None
        try:
            (blob,) = self._db.execute("SELECT summary FROM learners WHERE rowid = ?", (rowid,)).fetchone()
            return loads(blob) if blob is not None else None
        except Exception:  # a damaged or foreign row
            return None

    def _known(self, roadmap: str) -> dict[tuple[str, str], tuple[int, str, str | None]]:
        """Every row of a roadmap without its blobs, read at once: (name, sources) -> (rowid, files, summary key)."""
        if roadmap not in self._rows:
            self._rows[roadmap] = {}
            if self._db is not None:
                try:
                    query = "SELECT rowid, name, sources, files, summary_key FROM learners WHERE roadmap = ?"
                    for rowid, name, sources, files, key in self._db.execute(query, (roadmap,)):
                        self._rows[roadmap][(name, sources)] = (rowid, files, key)
                except sqlite3.Error:
                    self._rows[roadmap] = {}
        return self._rows[roadmap]

    def keep(
        self,
        roadmap: str,
        name: str,
        parts: list[Any],
        files: dict[str, list[Any]] | None,
        kept: bytes | None,
        summary_key: str,
        summary: bytes,
        today: date,
    ) -> None:
        """Store a learner's fold (when newly made, with the marks of its files) and summary, both pickled
        (`dumps`) where they were made."""
        if self._db is None:
            return
        key = (roadmap, name, identity(parts))
        try:
            if files is not None and kept is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO learners VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*key, json.dumps(files), kept, summary_key, summary, today.isoformat()),
                )
            else:
                self._db.execute(
                    "UPDATE learners SET summary_key = ?, summary = ?, used = ? "
                    "WHERE roadmap = ? AND name = ? AND sources = ?",
                    (summary_key, summary, today.isoformat(), *key),
                )
        except sqlite3.Error:
            return

    def used(self, roadmap: str, name: str, parts: list[Any], today: date) -> None:
        """Note that a learner's row was used today (written with `commit`, all at once)."""
        row = self._known(roadmap).get((name, identity(parts)))
        if row is not None:
            self._used.append((today.isoformat(), row[0]))

    def commit(self, today: date) -> None:
        if self._db is None:
            return
        from datetime import timedelta

        try:
            self._db.executemany(
                "UPDATE learners SET used = ? WHERE rowid = ? AND used != ?",
                [(day, rowid, day) for day, rowid in self._used],
            )
            self._used.clear()
            self._rows.clear()  # read again by the next report: rows were added or replaced
            forget = (today - timedelta(days=FORGET_DAYS)).isoformat()
            self._db.execute("DELETE FROM learners WHERE used < ?", (forget,))
            self._db.commit()
        except sqlite3.Error:
            return
