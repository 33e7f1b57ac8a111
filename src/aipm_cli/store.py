"""The learner's JSON store: load, migrate, lock, back up and save atomically.

Guarantees (see PRODUCT.md, "The learner's store"):
- a lock (filelock) is held over the whole read-modify-write;
- a save writes a temporary file in the store's own folder, fsyncs it,
  renames it over the store and fsyncs the folder, so a kill at any moment
  leaves the old or the new store; a symlinked store stays a symlink;
- the file is private (0600) and its folders 0700;
- before every save the old file is kept in `backups/` (a hard link, so it
  costs no copy), the last ten are kept, and a backup that holds more history
  than the store being saved is never rotated away;
- a save that would shrink the history is refused unless asked for;
- a store that cannot be read is never written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aipm_cli.errors import StoreError
from aipm_cli.paths import ensure_private_dir

SCHEMA_VERSION = 1
KEEP_BACKUPS = 10
LOCK_TIMEOUT = 60.0
_BACKUP_NAME = re.compile(r"^progress-(\d{8}T\d{6}\.\d{6}Z)-h(\d+)(?:-\d+)?\.json$")

# Ordered, named migrations: MIGRATIONS[n] turns a schema-n document into n+1.
# Schema 1 is the first published schema, so the list starts empty; each new
# schema adds one function here and one test in tests/test_migrations.py.
Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, tuple[str, Migration]] = {}


def _unreadable(path: Path, why: str) -> StoreError:
    return StoreError(
        f"Cannot read the progress store {path}: {why}. It was left untouched.",
        f"Restore a copy from {path.parent / 'backups'} or run `aipm doctor` to see what is wrong.",
    )


_HISTORY_OPEN = b'"history": [\n'
_HISTORY_CLOSE = b"\n      ]"


def dumps(data: dict[str, Any], histories: dict[str, list[bytes | memoryview]]) -> bytes:
    """Pretty-printed JSON, stable key order, one history entry per line.

    Keeping each history entry on one line keeps a store with years of
    history readable, and lets loading split the history out without parsing
    it (see history.py).
    """
    from aipm_cli.history import dumps_with_blocks

    blocks: dict[str, list[bytes | memoryview]] = {}
    salt = os.urandom(8).hex()  # no learner's text can collide with the placeholder
    for number, (roadmap_id, lines) in enumerate(histories.items()):
        if lines:
            token = f"@@aipm-history-{salt}-{number}@@"
            data["roadmaps"][roadmap_id]["history"] = token
            blocks[token] = lines
    return dumps_with_blocks(data, blocks) + b"\n"


def _split_history(raw: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """Cut the one-entry-per-line history blocks out of a store file.

    Returns the file with each block replaced by a numbered placeholder, and
    where each block (its lines, untouched) starts and ends in `raw`. A file laid out differently (edited
    by hand) is returned whole, and its history is parsed the ordinary way.
    """
    pieces: list[bytes] = []
    blocks: list[tuple[int, int]] = []
    position = 0
    while True:
        start = raw.find(_HISTORY_OPEN, position)
        if start < 0:
            break
        end = raw.find(_HISTORY_CLOSE, start)
        first = start + len(_HISTORY_OPEN)
        while first < end and raw[first] == 0x20:  # the entries' indentation
            first += 1
        if end < 0 or raw[first : first + 1] != b"{" or raw[end - 1 : end] != b"}":
            return raw, []
        pieces += [raw[position:start], b'"history": "@@aipm-history-block-%d@@"' % len(blocks)]
        blocks.append((first, end))
        position = end + len(_HISTORY_CLOSE)
    pieces.append(raw[position:])
    return b"".join(pieces), blocks


def _parse(raw: bytes, path: Path, split: bool = True) -> tuple[dict[str, Any], int, dict[str, Any]]:
    if not raw.strip():
        raise _unreadable(path, "the file is empty")
    small, blocks = _split_history(raw) if split else (raw, [])
    try:
        data = json.loads(small)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise _unreadable(path, f"it is not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise _unreadable(path, "it is not a JSON object")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _unreadable(path, "it has no valid schema_version")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The progress store {path} was written by a newer aipm (schema {version}; "
            f"this aipm knows {SCHEMA_VERSION}). It was left untouched.",
            "Upgrade aipm (pip install -U aipm-cli) to use it.",
        )
    histories: dict[str, Any] = {}
    if blocks:
        from aipm_cli.history import History

        if version < SCHEMA_VERSION:  # migrations see the whole document
            return _parse(raw, path, split=False)
        for roadmap_id, progress in (data.get("roadmaps") or {}).items():
            marker = progress.get("history") if isinstance(progress, dict) else None
            if isinstance(marker, str) and marker.startswith("@@aipm-history-block-"):
                number = int(marker.removeprefix("@@aipm-history-block-").rstrip("@"))
                histories[roadmap_id] = History(raw, *blocks[number], source=path)
                del progress["history"]
    original = version
    while version < SCHEMA_VERSION:
        name, migrate = MIGRATIONS[version]
        try:
            data = migrate(data)
        except Exception as exc:  # a migration that cannot apply: refuse, touch nothing
            raise _unreadable(path, f"migration '{name}' failed ({exc})") from None
        version += 1
        data["schema_version"] = version
    return data, original, histories


def validate(data: dict[str, Any], path: Path) -> Any:
    from pydantic import ValidationError

    from aipm_cli.models import StoreDoc

    try:
        return StoreDoc.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise _unreadable(path, f"{loc}: {first['msg']}") from None


def decode(raw: bytes, path: Path) -> tuple[Any, int]:
    """The store document in these bytes, and the schema version they had."""
    data, version, histories = _parse(raw, path)
    doc = validate(data, path)
    for roadmap_id, history in histories.items():
        doc.roadmaps[roadmap_id].history = history
    return doc, version


def serialize(doc: Any) -> bytes:
    from aipm_cli.history import lines_of

    data = doc.model_dump(mode="json", exclude_defaults=True, exclude={"roadmaps": {"__all__": {"history"}}})
    return dumps(data, {roadmap_id: lines_of(p.history) for roadmap_id, p in doc.roadmaps.items()})


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically; a symlink is followed, not replaced."""
    target = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(target.parent)


class Store:
    """One learner's store file, with its lock and backups."""

    def __init__(self, path: Path, user: str, now: Callable[[], datetime] | None = None) -> None:
        self.path = path
        self.user = user
        self.backups = path.parent / "backups"
        self.lock_path = path.parent / (path.name + ".lock")
        self._now = now or (lambda: datetime.now(UTC))
        self.written: bytes | None = None  # what the last transaction saved, if it saved

    # -- reading ---------------------------------------------------------- #

    def read_raw(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            if self.path.is_symlink():
                return None  # a dangling link: the first save creates its target
            return None
        except IsADirectoryError:
            raise _unreadable(self.path, "it is a folder") from None
        except PermissionError:
            raise _unreadable(self.path, "permission denied") from None

    def new_doc(self) -> Any:
        from aipm_cli.models import StoreDoc

        return StoreDoc(schema_version=SCHEMA_VERSION, user=self.user, created=self._now())

    def load(self) -> Any:
        """The store as a model (a fresh one when there is no file yet)."""
        doc, _raw, _version = self._load()
        return doc

    def _load(self) -> tuple[Any, bytes | None, int]:
        raw = self.read_raw()
        doc, version = self.from_raw(raw)
        return doc, raw, version

    def from_raw(self, raw: bytes | None) -> tuple[Any, int]:
        """The store document for these bytes (None: no file yet), and the schema it had."""
        if raw is None:
            return self.new_doc(), SCHEMA_VERSION
        return decode(raw, self.path)

    # -- writing ---------------------------------------------------------- #

    @contextmanager
    def transaction(self, allow_shrink: bool = False) -> Iterator[Any]:
        """Lock, load, let the caller change the document, save if it changed."""
        from filelock import FileLock, Timeout

        ensure_private_dir(self.path.parent)
        lock = FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"Another aipm is still writing {self.path} (waited {LOCK_TIMEOUT:.0f} s).",
                f"Try again; if no aipm is running, delete {self.lock_path}.",
            ) from None
        self.written = None
        try:
            doc, raw, version = self._load()
            old_size = doc.history_size()
            yield doc
            after = serialize(doc)
            # Unchanged: what we would write is what is there (a store laid
            # out by hand is rewritten in aipm's layout on its first change).
            if after == raw and version == SCHEMA_VERSION:
                return
            if raw is not None:
                if doc.history_size() < old_size and not allow_shrink:
                    raise StoreError(
                        f"Refusing to save {self.path}: it would drop {old_size - doc.history_size()} history entries.",
                        "Nothing was changed. This is a bug in aipm; please report it with --debug output.",
                    )
                if version < SCHEMA_VERSION:
                    self._keep_old_schema(raw, version)
                self._backup(old_size)
            atomic_write(self.path, after)
            self.written = after
            self._prune(doc.history_size())
        finally:
            lock.release()

    def _keep_old_schema(self, raw: bytes, version: int) -> None:
        keep = self.path.with_name(f"{self.path.stem}.schema-{version}{self.path.suffix}")
        if not keep.exists():
            atomic_write(keep, raw)

    def _backup(self, history_size: int) -> None:
        ensure_private_dir(self.backups)
        # The wall clock, not the learner's pinned AIPM_NOW: a backup is named for when it was written.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"progress-{stamp}-h{history_size}.json"
        dest = self.backups / name
        counter = 1
        while dest.exists():
            dest = self.backups / f"progress-{stamp}-h{history_size}-{counter}.json"
            counter += 1
        source = Path(os.path.realpath(self.path))
        try:
            # The save renames a new file over the store, so the old inode can
            # simply be kept under a second name: no copy, however big.
            os.link(source, dest)
        except OSError:
            shutil.copy2(source, dest)
            os.chmod(dest, 0o600)

    def list_backups(self) -> list[tuple[Path, int]]:
        """Backups, newest first, with the history size each one holds."""
        if not self.backups.is_dir():
            return []
        found = []
        for entry in self.backups.iterdir():
            match = _BACKUP_NAME.match(entry.name)
            if match:
                found.append((entry, int(match.group(2)), match.group(1)))
        found.sort(key=lambda f: (f[2], f[1]), reverse=True)
        return [(p, size) for p, size, _ in found]

    def _prune(self, saved_history: int) -> None:
        for path, size in self.list_backups()[KEEP_BACKUPS:]:
            if size > saved_history:
                continue  # it holds history the store no longer has: keep it
            try:
                path.unlink()
            except OSError:
                pass
