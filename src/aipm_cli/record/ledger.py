"""One learner's change log on one roadmap: read it, append to it, undo, redo, import.

Layout (inside the data directory):

    learners/<learner>/<roadmap>/changes/<device>.jsonl            this device's changes (append-only)
    learners/<learner>/<roadmap>/changes/<device>.import-<h>.jsonl  changes an import brought (written once)
    learners/<learner>/<roadmap>/changes/migrated-<h>.jsonl         a schema-1 store, migrated (written once)
    learners/<learner>/<roadmap>/write.lock                         held over validate -> append -> cache
    learners/<learner>/backups/                                     what was replaced or set aside
    cache/state/<learner>/<roadmap>.json                            derived state (a cache, never the truth)

A device appends only to its own file; other files are only ever created
whole. So files from several machines join without conflicts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aipm_cli.errors import AipmError, InputError, StoreError
from aipm_cli.fs import code_stamp, sha256_hex
from aipm_cli.paths import Layout, write_lock
from aipm_cli.plainclass import plain
from aipm_cli.record import cache, history, ids, imports, locking, logs, undoing
from aipm_cli.record import changes as fmt
from aipm_cli.record.fold import (
    KEEP_REFS,
    KEEP_UNDO,
    Fold,
    Source,
    before,
    fold,
    units_of,
)
from aipm_cli.record.state import State, apply

CACHE_FORMAT = 2  # 2: records hold a window of notes; undo entries hold no notes
_CODE = ("state.py", "fold.py", "changes.py", "logs.py", "studying.py")  # what decides a fold's result


def cache_stamp() -> str:
    """aipm's version and the fold's own code: a cache from other code is never used."""
    return code_stamp(Path(__file__).resolve().parent, str(CACHE_FORMAT), _CODE)


@plain
class Recorded:
    """What a write appended, and the state after it."""

    changes: list[dict[str, Any]]
    state: State


class Ledger:
    def __init__(
        self,
        root: Path,
        user: str,
        roadmap_id: str,
        aliases: dict[str, str] | None = None,
        *,
        device: Callable[[], str] | None = None,
        now: Callable[[], datetime] | None = None,
        legacy: Callable[[], list[dict[str, Any]] | None] | None = None,
        roadmap_version: str | None = None,
    ) -> None:
        self.root = root
        self.user = user
        self.roadmap_id = roadmap_id
        self.aliases = aliases or {}
        layout = Layout(root)
        self.learner_dir = layout.learner_dir(user, old=True)
        self.dir = layout.roadmap_dir(user, roadmap_id)
        self.changes_dir = layout.changes_dir(user, roadmap_id, old=True)
        self.backups = layout.backups(user, old=True)
        self.cache_file = layout.state_file(user, roadmap_id)
        self._device = device
        self._now = now or (lambda: datetime.now(UTC))
        # Changes of a schema-1 store not migrated yet, folded in memory by reads.
        self.legacy = legacy
        self.folded: Fold | None = None
        self.roadmap_version = roadmap_version  # recorded with every change: which version it was made against
        self.import_marked = False  # whether the last import wrote a marker of its own (undo can take it back)

    # -- reading ------------------------------------------------------------ #

    @property
    def device(self) -> str:
        if self._device is None:
            raise StoreError("No device id is known for this data directory.")
        return self._device()

    @property
    def own_file(self) -> Path:
        return self.changes_dir / f"{self.device}{logs.SUFFIX}"

    def files(self) -> list[Path]:
        return logs.log_files(self.changes_dir)

    # Told (what, done, total) as a full fold reads the logs (bytes) or an old store is migrated: a
    # caller's progress display.
    progress: Callable[[str, int, int | None], None] | None = None

    def sources(self) -> list[Source]:
        seen = self._progress_seen() if self.progress is not None else None
        found = [Source(path=p, name=p.name, seen=seen) for p in self.files()]
        legacy = self.legacy() if self.legacy else None
        if legacy:
            found.append(Source(changes=legacy, name="progress.json"))
        return found

    def _progress_seen(self) -> Callable[[Path, int], None]:
        report = self.progress
        assert report is not None
        total = 0
        for path in self.files():
            try:
                total += os.stat(path).st_size
            except OSError:
                pass
        read: dict[Path, int] = {}

        def seen(path: Path, offset: int) -> None:
            read[path] = offset
            report("Reading the change logs", sum(read.values()), total)

        return seen

    def signature(self) -> list[Any]:
        sig: list[Any] = []
        for path in self.files():
            try:
                info = os.stat(path)
            except OSError:
                continue
            sig.append([path.name, info.st_size, info.st_mtime_ns, info.st_ino])
        if self.legacy is not None:
            legacy = self.learner_dir / "progress.json"
            try:
                info = os.stat(legacy)
                sig.append(["progress.json", info.st_size, info.st_mtime_ns, info.st_ino])
            except OSError:
                pass
        return sig

    def _key(self, signature: list[Any]) -> str:
        aliases = json.dumps(sorted(self.aliases.items()))
        raw = json.dumps([cache_stamp(), self.roadmap_id, aliases, signature])
        return sha256_hex(raw.encode())

    def load(self, *, use_cache: bool = True) -> Fold:
        """The fold of every change: from the cache when it matches the logs, else folded and cached."""
        if self.folded is not None:
            return self.folded
        signature = self.signature()
        key = self._key(signature)
        if use_cache:
            cached = cache.read(self, key)
            if cached is not None:
                self.folded = cached
                return cached
        result = fold(self.sources(), self.aliases)
        self.folded = result
        if not result.problems.damage:
            cache.write(self, key, result)
        return result

    def state(self) -> State:
        return self.load().state

    def cached(self) -> Fold | None:
        """The cache as the next command would take it (it matches the logs' sizes and times), or None."""
        return cache.read(self, self._key(self.signature()))

    def as_of(self, day: date) -> State:
        """The state as it stood at the end of `day`, with what is known now (every note: for reports)."""
        return fold(self.sources(), self.aliases, as_of=day, keep=None).state

    def full_state(self) -> State:
        """The state with every note and evidence entry (a report): the cache's, unless a record holds
        only the newest of them; then everything is folded again."""
        state = self.state()
        if any(rec.windowed() for rec in state.items.values()):
            return fold(self.sources(), self.aliases, keep=None).state
        return state

    def changes(self, until: date | None = None) -> Iterator[dict[str, Any]]:
        """Every change (each once), in fold order; with `until`, only those for that date or earlier. Streams."""
        from aipm_cli.record.fold import ordered_stream

        limit = until.isoformat() if until else None
        for change in ordered_stream(self.sources()):
            if limit is None or change["on"] <= limit:
                yield change

    def rebuild(self) -> Fold:
        """Fold every change again and rewrite the cache (migrating a schema-1 store first)."""
        with self.locked():
            self.migrate_legacy()
            try:
                self.cache_file.unlink()
            except OSError:
                pass
            return self.load(use_cache=False)

    def problems(self) -> logs.Problems:
        return self.load().problems

    # -- the cache ---------------------------------------------------------- #

    # -- writing ------------------------------------------------------------ #

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The learner's write lock, beside the resolved log folder."""
        from aipm_cli.paths import ensure_private_dir

        try:
            ensure_private_dir(self.changes_dir)
        except OSError as exc:
            from aipm_cli.fs import write_hint

            raise StoreError(
                f"Cannot create {self.changes_dir}: {exc.strerror}. Nothing was changed.", write_hint(exc)
            ) from None
        with locking.held(write_lock(self.changes_dir), self.dir):
            try:
                self.folded = None  # what another process wrote before we held the lock counts
                yield
            finally:
                self.folded = None

    def writable(self) -> Fold:
        """The fold, refusing when any line cannot be read (call with the lock held)."""
        result = self.load()
        damage = result.problems.damage
        if damage:
            first = damage[0]
            if first.newer:
                raise StoreError(
                    f"{first.file} holds changes from a newer aipm (line {first.line}). Nothing was changed.",
                    "Upgrade aipm (pip install -U aipm-cli) to write to it.",
                )
            raise StoreError(
                f"Cannot read {first}. Nothing was changed.",
                "Run `aipm doctor` to see what is wrong and how to recover.",
            )
        return result

    def backup_of(self, log: Path, kind: str) -> Path:
        """Where bytes cut out of one of this record's logs are kept: `backups/<kind>-<roadmap>-<log>-<time>.bin`,
        named by the clock that dates this record's changes (paths.backup_path)."""
        from aipm_cli.paths import backup_path

        return backup_path(self.backups, f"{kind}-{self.roadmap_id}-{log.stem}", self._now(), ".bin")

    def set_aside_torn(self, result: Fold) -> None:
        """A torn last line of this device's file (a crash mid-append) goes to backups/ before we append."""
        own = self.own_file
        for torn in result.problems.torn:
            if torn.file.name != own.name:
                continue
            from aipm_cli.fs import atomic_write, write_hint
            from aipm_cli.paths import ensure_private_dir

            try:
                with open(own, "rb") as handle:
                    handle.seek(torn.offset)
                    tail = handle.read()
                if not tail or tail.endswith(b"\n"):
                    continue
                ensure_private_dir(self.backups)
                keep = self.backup_of(own, "torn")
                atomic_write(keep, tail)  # a real copy first: the line is only cut once it is kept
                with open(own, "r+b") as handle:
                    handle.truncate(torn.offset)
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise StoreError(
                    f"Cannot set aside the torn last line of {own}: {exc.strerror or exc}. Nothing was changed.",
                    write_hint(exc) or "Run `aipm doctor` to see what is wrong.",
                ) from None
            self.folded = None

    def finish(self, partial: dict[str, Any], after: str | None) -> dict[str, Any]:
        """A complete, checked change from the operation and its arguments."""
        moment = self._now()  # in the learner's zone (Learner.now): its date is the learner's day
        # Empty optional lists are left out; `units` stays (a change may add details and move nothing).
        change = {key: value for key, value in partial.items() if value is not None and (value != [] or key == "units")}
        change.setdefault("on", moment.date().isoformat())
        if self.roadmap_version:
            change.setdefault("roadmap_version", str(self.roadmap_version)[:100])
        at = moment.astimezone(UTC).isoformat()  # an instant, the same words on every machine
        change.update(v=fmt.FORMAT, id=ids.new_id(moment, after), at=at, device=self.device)
        try:
            fmt.line(change)
        except UnicodeEncodeError:  # bytes that were not UTF-8 in an argument; the log is UTF-8 JSON
            raise InputError("The text you gave is not valid UTF-8.", "Type it again in a UTF-8 terminal.") from None
        for key, value in change.items():  # the learner's own words, longer than a change may hold
            texts = value if isinstance(value, list) else [value]
            longest = max((len(v) for v in texts if isinstance(v, str)), default=0)
            if longest > fmt.MAX_TEXT:
                what = {"text": "note", "note": "note", "evidence": "evidence entry", "reason": "reason"}.get(key, key)
                raise InputError(
                    f"The {what} is {longest:,} characters long; one change holds at most {fmt.MAX_TEXT:,}. "
                    "Nothing was saved.",
                    "Shorten it, or keep the long text in a file and add its link as evidence.",
                )
        try:
            return fmt.check(change)
        except fmt.BadChange as exc:  # a bug: never write what could not be read back
            raise AipmError(f"aipm refused to record a change it could not read back: {exc}.") from None

    def append_changes(self, result: Fold, made: list[dict[str, Any]]) -> None:
        own = self.own_file
        payload = b"".join(fmt.line(c) for c in made)
        try:
            offset = own.stat().st_size if own.exists() else 0
            logs.append(own, payload)
        except OSError as exc:
            from aipm_cli.fs import write_hint

            raise StoreError(
                f"Cannot write {own}: {exc.strerror or exc}. Nothing was changed.", write_hint(exc)
            ) from None
        for change in made:
            result.changes += 1
            result.in_effect += 1
            result.max_id = change["id"]
            touched = units_of(change, self.aliases) if change["op"] in fmt.SUBSTANTIVE else []
            for unit in touched:
                kept = result.refs.setdefault(unit, [])
                kept.append([change["id"], own.name, offset])
                del kept[:-KEEP_REFS]
            offset += len(fmt.line(change))
            if change["op"] in fmt.SUBSTANTIVE:
                result.activity[change["on"]] = result.activity.get(change["on"], 0) + 1
                if result.last_on is None or change["on"] > result.last_on.isoformat():
                    result.last_on = date.fromisoformat(change["on"])
                result.last_at = change["at"]

    def save_fold(self, result: Fold) -> None:
        self.folded = result
        cache.write(self, self._key(self.signature()), result)

    def record(self, build: Callable[[State], list[dict[str, Any]]]) -> Recorded:
        """Lock, check, build the changes from the current state, append them, update the cache."""
        with self.locked():
            self.migrate_legacy()
            result = self.writable()
            self.set_aside_torn(result)
            result = self.writable()
            made: list[dict[str, Any]] = []
            after = result.max_id
            for partial in build(result.state):
                change = self.finish(partial, after)
                after = change["id"]
                made.append(change)
            if not made:
                return Recorded([], result.state)
            self.append_changes(result, made)
            if any(change["op"] == "remove" for change in made):
                # A removal may name a note older than those a record holds: fold again (rare).
                self.folded = None
                result = self.load(use_cache=False)
                return Recorded(made, result.state)
            for change in made:
                result.undo_stack.append(before(result.state, change, units_of(change, self.aliases)))
                result.redo_stack = []
                apply(result.state, change, self.aliases)
                result.state.roadmap_version = change.get("roadmap_version") or result.state.roadmap_version
            del result.undo_stack[:-KEEP_UNDO]
            self.save_fold(result)
            return Recorded(made, result.state)

    # -- imports ------------------------------------------------------------ #

    # -- migration ---------------------------------------------------------- #

    def migrate_legacy(self) -> None:
        """Turn a schema-1 progress.json into change logs (call with the lock held)."""
        from aipm_cli.record.migrate import migrate_store

        if migrate_store(self.root, self.user, progress=self.progress):
            self.legacy = None
            self.folded = None

    # -- reading lines for views ------------------------------------------- #

    # -- undo, redo, import, history: record/undoing.py, record/imports.py, record/history.py -- #

    def undo(self, on: date, *, any_device: bool = False) -> dict[str, Any]:
        """Record an undo of this device's newest change in effect (`any_device`: the newest of any device)."""
        return undoing.undo(self, on, any_device=any_device)

    def next_undo(self) -> str | None:
        """The id of the change a plain `undo` would take back now (None when unknown without a fold)."""
        return undoing.next_undo(self)

    def redo(self, on: date) -> dict[str, Any]:
        """Record a redo of the newest undo in effect; refused with the reason when the record keeps it out."""
        return undoing.redo(self, on)

    def known_ids(self) -> set[str]:
        return imports.known_ids(self)

    def held_ids(self) -> set[str]:
        """The ids an import would not bring again (not those an undone import took out)."""
        return imports.held_ids(self)

    def import_changes(self, incoming: Iterable[dict[str, Any]], source: str, *, replace: bool = False) -> int:
        """Add the changes not already here (by id) as one import; returns how many were new."""
        return imports.import_changes(self, incoming, source, replace=replace)

    def recent_for(self, unit: str) -> list[tuple[dict[str, Any], bool]]:
        """The latest changes that touched a unit (oldest first), with whether each was undone."""
        return history.recent_for(self, unit)

    def newest_first(self, skipped: Callable[[str, bool], None] | None = None) -> Iterator[tuple[dict[str, Any], bool]]:
        """Every change, newest first, with whether it is undone (the fold's rule); streams from the files' ends."""
        return history.newest_first(self, skipped)


def device_id(root: Path) -> str:
    """This data directory's device id: made once (host name and a short random suffix), never synced."""
    import re
    import secrets
    import socket

    from aipm_cli.fs import read_device_file

    path = Layout(root).device_file
    text, why = read_device_file(path)
    if text is not None:
        from aipm_cli.paths import unportable

        if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", text) and unportable(text) is None:
            return text
        raise StoreError(
            f"The device id in {path} cannot be read{why}.",
            "Delete that file; aipm makes a new one on the next change.",
        )
    host = re.sub(r"[^a-z0-9]+", "-", socket.gethostname().lower()).strip("-")[:40] or "device"
    made = f"{host}-{secrets.token_hex(2)}"
    from aipm_cli.paths import ensure_private_dir

    try:
        ensure_private_dir(root)
        # Never replace a device id another process just made.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(made + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except FileExistsError:
        return device_id(root)
    except OSError as exc:
        raise StoreError(f"Cannot write {path}: {exc.strerror}.") from None
    return made
