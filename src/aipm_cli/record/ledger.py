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
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aipm_cli.errors import AipmError, InputError, StoreError
from aipm_cli.fs import code_stamp, fsync_dir, sha256_hex
from aipm_cli.paths import Layout
from aipm_cli.plainclass import plain
from aipm_cli.record import changes as fmt
from aipm_cli.record import locking, logs
from aipm_cli.record.fold import (
    KEEP_REFS,
    KEEP_UNDO,
    Fold,
    Source,
    UndoRule,
    before,
    cancellations,
    fold,
    restore_before,
    units_of,
)
from aipm_cli.record.state import State, apply, state_data, state_from_data

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
        self.learner_dir = layout.learners / user
        self.dir = layout.roadmap_dir(user, roadmap_id)
        self.changes_dir = layout.changes(user, roadmap_id)
        self.backups = layout.learner_backups(user)
        self.cache_file = layout.state_cache(user, roadmap_id)
        self._device = device
        self._now = now or (lambda: datetime.now(UTC))
        # Changes of a schema-1 store not migrated yet, folded in memory by reads.
        self._legacy = legacy
        self._fold: Fold | None = None
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
        legacy = self._legacy() if self._legacy else None
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
        if self._legacy is not None:
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
        if self._fold is not None:
            return self._fold
        signature = self.signature()
        key = self._key(signature)
        if use_cache:
            cached = self._read_cache(key)
            if cached is not None:
                self._fold = cached
                return cached
        result = fold(self.sources(), self.aliases)
        self._fold = result
        if not result.problems.damage:
            self._write_cache(key, result)
        return result

    def state(self) -> State:
        return self.load().state

    def cached(self) -> Fold | None:
        """The cache as the next command would take it (it matches the logs' sizes and times), or None."""
        return self._read_cache(self._key(self.signature()))

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

    def _read_cache(self, key: str) -> Fold | None:
        from aipm_cli.fs import read_private_file

        raw = read_private_file(self.cache_file)  # only a private file of ours: anything else may be planted
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        try:
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            result = Fold(state_from_data(data["state"]))
            result.max_id = data["max_id"]
            result.changes = data["changes"]
            result.in_effect = data["in_effect"]
            result.last_on = date.fromisoformat(data["last_on"]) if data["last_on"] else None
            result.last_at = data["last_at"]
            result.undo_stack = data["undo"]
            result.redo_stack = data["redo"]
            result.refs = data["refs"]
            result.cancelled_refs = set(data["cancelled_refs"])
            result.activity = data["activity"]
            result.problems.torn = [logs.Torn(self.changes_dir / t[0], t[1], t[2]) for t in data["torn"]]
            return result
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def _write_cache(self, key: str, result: Fold) -> None:
        from aipm_cli.fs import atomic_write
        from aipm_cli.paths import ensure_private_dir

        data = {
            "key": key,
            "state": state_data(result.state),
            "max_id": result.max_id,
            "changes": result.changes,
            "in_effect": result.in_effect,
            "last_on": result.last_on.isoformat() if result.last_on else None,
            "last_at": result.last_at,
            "undo": result.undo_stack,
            "redo": result.redo_stack,
            "refs": result.refs,
            "cancelled_refs": sorted(result.cancelled_refs & {e[0] for kept in result.refs.values() for e in kept}),
            "activity": result.activity,
            "torn": [[t.file.name, t.offset, t.size] for t in result.problems.torn],
        }
        try:
            ensure_private_dir(self.cache_file.parent)
            atomic_write(self.cache_file, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except OSError:
            pass  # a cache that cannot be written only costs speed

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
        with locking.held(Layout.write_lock(self.changes_dir), self.dir):
            try:
                self._fold = None  # what another process wrote before we held the lock counts
                yield
            finally:
                self._fold = None

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

    def _set_aside_torn(self, result: Fold) -> None:
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
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
                keep = self.backups / f"torn-{self.roadmap_id}-{own.stem}-{stamp}.bin"
                atomic_write(keep, tail)  # a real copy first: the line is only cut once it is kept
                with open(own, "r+b") as handle:
                    handle.truncate(torn.offset)
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise StoreError(
                    f"Cannot set aside the torn last line of {own}: {exc.strerror or exc}. Nothing was changed.",
                    write_hint(exc) or "Run `aipm doctor` to see what is wrong.",
                ) from None
            self._fold = None

    def finish(self, partial: dict[str, Any], after: str | None) -> dict[str, Any]:
        """A complete, checked change from the operation and its arguments."""
        moment = self._now()
        # Empty optional lists are left out; `units` stays (a change may add details and move nothing).
        change = {key: value for key, value in partial.items() if value is not None and (value != [] or key == "units")}
        change.setdefault("on", moment.date().isoformat())
        if self.roadmap_version:
            change.setdefault("roadmap_version", str(self.roadmap_version)[:100])
        change.update(v=fmt.FORMAT, id=fmt.new_id(moment, after), at=moment.isoformat(), device=self.device)
        try:
            fmt.line(change)
        except UnicodeEncodeError:  # bytes that were not UTF-8 in an argument; the log is UTF-8 JSON
            raise InputError("The text you gave is not valid UTF-8.", "Type it again in a UTF-8 terminal.") from None
        try:
            return fmt.check(change)
        except fmt.BadChange as exc:  # a bug: never write what could not be read back
            raise AipmError(f"aipm refused to record a change it could not read back: {exc}.") from None

    def _append(self, result: Fold, made: list[dict[str, Any]]) -> None:
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

    def _save(self, result: Fold) -> None:
        self._fold = result
        self._write_cache(self._key(self.signature()), result)

    def record(self, build: Callable[[State], list[dict[str, Any]]]) -> Recorded:
        """Lock, check, build the changes from the current state, append them, update the cache."""
        with self.locked():
            self.migrate_legacy()
            result = self.writable()
            self._set_aside_torn(result)
            result = self.writable()
            made: list[dict[str, Any]] = []
            after = result.max_id
            for partial in build(result.state):
                change = self.finish(partial, after)
                after = change["id"]
                made.append(change)
            if not made:
                return Recorded([], result.state)
            self._append(result, made)
            if any(change["op"] == "remove" for change in made):
                # A removal may name a note older than those a record holds: fold again (rare).
                self._fold = None
                result = self.load(use_cache=False)
                return Recorded(made, result.state)
            for change in made:
                result.undo_stack.append(before(result.state, change, units_of(change, self.aliases)))
                result.redo_stack = []
                apply(result.state, change, self.aliases)
                result.state.roadmap_version = change.get("roadmap_version") or result.state.roadmap_version
            del result.undo_stack[:-KEEP_UNDO]
            self._save(result)
            return Recorded(made, result.state)

    def _is_own(self, change: dict[str, Any]) -> bool:
        """Recorded by this device (or carried over from the old store, which was this learner's own)."""
        return change.get("device") in (self.device, "migrated")

    def undo(self, on: date, *, any_device: bool = False) -> dict[str, Any]:
        """Record an undo of this device's newest change in effect (with `any_device`: of the newest
        change in effect, whichever device recorded it); returns the change undone."""
        with self.locked():
            self.migrate_legacy()
            result = self.writable()
            self._set_aside_torn(result)
            result = self.writable()
            position = self._undo_position(result, any_device)
            if position is None and result.in_effect:
                # The cache's stack ran out: fold again, keeping what every change needs.
                result = fold(self.sources(), self.aliases, undo_all=True)
                self._fold = result
                position = self._undo_position(result, any_device)
            if position is None:
                if result.undo_stack and not any_device:
                    raise AipmError(
                        "There is nothing of this machine's to undo: the changes in effect came from other machines.",
                        "Run `aipm undo --any` to undo the newest of them.",
                    )
                raise AipmError(
                    "There is nothing to undo.",
                    "Changes you make with start, done, skip, reset, note, assess or import can be undone.",
                )
            entry = result.undo_stack.pop(position)
            newest = position == len(result.undo_stack)  # it was the last entry: the state before it is known
            about = fmt.describe(entry["change"])[:300]
            change = self.finish(
                {"op": "undo", "target": entry["id"], "about": about, "on": on.isoformat()}, result.max_id
            )
            self._append(result, [change])
            target = entry["change"]
            if entry.get("refold") or not newest:
                # An import may have brought anything; an older change has newer ones on top: fold again.
                self._fold = None
                result = self.load(use_cache=False)
            else:
                restore_before(result.state, entry)
                result.in_effect -= 1  # the target leaves effect (the undo itself was counted by _append)
                result.redo_stack.append(
                    {"id": change["id"], "target": target, "target_id": target["id"], "device": self.device}
                )
                for unit in units_of(target, self.aliases):
                    if any(ref[0] == target["id"] for ref in result.refs.get(unit, ())):
                        result.cancelled_refs.add(target["id"])
                result.activity[target["on"]] = max(0, result.activity.get(target["on"], 0) - 1)
                self._save(result)
            return dict(target)

    def _undo_position(self, result: Fold, any_device: bool) -> int | None:
        """Where in the undo stack the change to undo is (the newest, or this device's newest)."""
        for position in range(len(result.undo_stack) - 1, -1, -1):
            if any_device or self._is_own(result.undo_stack[position]["change"]):
                return position
        return None

    def redo(self, on: date) -> dict[str, Any]:
        """Record a redo of the newest undo in effect; returns the change brought back.

        Refused, with the reason, when the fold's rules would keep the change out all the same
        (another machine's undo of it still stands): a redo does what it says or nothing.
        """
        with self.locked():
            self.migrate_legacy()
            result = self.writable()
            self._set_aside_torn(result)
            result = self.writable()
            if not result.redo_stack:
                raise AipmError("There is nothing to redo.", "Redo brings back what `aipm undo` just reverted.")
            # This device's newest undo (as undo takes this device's newest change), else the newest.
            position = len(result.redo_stack) - 1
            for number in range(len(result.redo_stack) - 1, -1, -1):
                if result.redo_stack[number].get("device") in (self.device, None):
                    position = number
                    break
            entry = result.redo_stack[position]
            target = entry.get("target")
            target_id = target["id"] if target else entry.get("target_id")
            if target is None and target_id:  # older than the cache remembers: read it from the logs
                target = next((c for c in self.changes() if c["id"] == target_id), None)
            about = fmt.describe(target)[:300] if target else None
            change = self.finish(
                {"op": "redo", "target": entry["id"], "about": about, "on": on.isoformat()}, result.max_id
            )
            if target_id:
                sources = [*self.sources(), Source(changes=[change], name="redo")]
                if cancellations(sources).out(target_id):
                    what = fmt.describe(target)[:200] if target else f"change {target_id}"
                    raise AipmError(
                        f"Cannot redo {what}: {self._still_undone_by(target_id, sources)}. Nothing was changed.",
                        "To bring it back, record it again (for example `aipm done ITEM`).",
                    )
            result.redo_stack.pop(position)
            self._append(result, [change])
            newest = result.undo_stack[-1]["id"] if result.undo_stack else ""
            if (
                target is None
                or target["op"] not in (*fmt.STATUS_OPS, "note", "assess", "redate")
                or "state" in target
                or target["id"] < newest
            ):  # anything a fold must decide: what an import brought, a note beyond the window, an undo of an
                # undo (another machine's), a change older than the newest in effect
                self._fold = None
                result = self.load(use_cache=False)
            else:
                touched = units_of(target, self.aliases)
                result.undo_stack.append(before(result.state, target, touched))
                apply(result.state, target, self.aliases)
                result.state.roadmap_version = target.get("roadmap_version") or result.state.roadmap_version
                result.in_effect += 1  # the target is back in effect (the redo itself was counted by _append)
                result.cancelled_refs.discard(target["id"])
                result.activity[target["on"]] = result.activity.get(target["on"], 0) + 1
                self._save(result)
            return dict(target) if target else {"id": entry["id"], "op": "undo"}

    def _still_undone_by(self, target_id: str, sources: list[Source]) -> str:
        """Who else keeps a change out, in words (another undo of it, or an undone import)."""
        cancel = cancellations(sources)
        found = [c for source in sources for c in source.cancelling([0]) if c["op"] in ("undo", "redo")]
        redone = {c["target"] for c in found if c["op"] == "redo" and not cancel.out(c["id"])}
        for change in found:
            if change["op"] == "undo" and change["target"] == target_id:
                if change["id"] not in redone and not cancel.out(change["id"]):
                    when = str(change.get("at", ""))[:16].replace("T", " ")
                    return f"the undo of it recorded on {change.get('device')} ({when}) still stands"
        return "it stays out of effect by the record's rules (an undone import brought it, or an import replaced it)"

    # -- imports ------------------------------------------------------------ #

    def known_ids(self) -> set[str]:
        found: set[str] = set()
        for source in self.sources():
            for change, _offset in source.read(logs.Problems()):
                found.add(change["id"])
        return found

    def import_changes(self, incoming: Iterable[dict[str, Any]], source: str, *, replace: bool = False) -> int:
        """Add the changes not already here (by id) as one import; returns how many were new.

        The changes stream into a new import file (nothing is kept in memory but
        their ids), which takes its place only when all of them were read: an
        unreadable change part way leaves nothing behind. With `replace`, the
        import also takes every older change out of effect except those it
        brought (nothing is deleted: `undo` brings them back).
        """
        import secrets

        with self.locked():
            self.migrate_legacy()
            self.writable()
            present = self.known_ids()
            # What an undone import took out comes back with an import that brings it again.
            cancel = cancellations(self.sources())
            tmp = self.changes_dir / f".import-{os.getpid()}-{secrets.token_hex(4)}.tmp"
            new_ids: list[str] = []
            seen: set[str] = set()
            brought: set[str] = set()
            last = ""
            ordered = True
            markers_only = True  # every new change is another import's marker: bookkeeping, not progress
            try:
                with open(tmp, "xb") as out:
                    os.chmod(tmp, 0o600)
                    for change in incoming:
                        change_id = change["id"]
                        if replace:
                            brought.add(change_id)
                        if change_id in seen:
                            continue
                        if change_id in present and change_id not in cancel.by_import:
                            continue  # (only what an undone import took out is brought again)
                        seen.add(change_id)
                        markers_only = markers_only and change["op"] == "import"
                        ordered = ordered and change_id > last
                        last = change_id
                        out.write(fmt.line(change))
                        new_ids.append(change_id)
                    out.flush()
                    os.fsync(out.fileno())
                if not ordered:  # a hand-made export: sort it, so the file reads in id order
                    sorted_lines = sorted(
                        tmp.read_bytes().splitlines(keepends=True), key=lambda raw: json.loads(raw)["id"]
                    )
                    tmp.write_bytes(b"".join(sorted_lines))
                    new_ids.sort()
                if not new_ids and not replace:
                    return 0
                import hashlib

                digest = hashlib.sha256()
                with open(tmp, "rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
                name = f"{self.device}.import-{digest.hexdigest()[:12]}{logs.SUFFIX}"
                path = self.changes_dir / name
                placed = False
                if new_ids and not path.exists():
                    from aipm_cli.portable import replace as replace_file

                    replace_file(tmp, path)  # retried while a reader holds the folder's files (Windows)
                    placed = True
                    fsync_dir(self.changes_dir)
            except OSError as exc:  # a full disk, a read-only folder: nothing was placed
                from aipm_cli.fs import write_hint

                raise StoreError(
                    f"Cannot import into {self.changes_dir}: {exc.strerror or exc}. Nothing was changed.",
                    write_hint(exc),
                ) from None
            finally:
                tmp.unlink(missing_ok=True)
            self._fold = None
            result = self.writable()
            if markers_only and not replace:
                # Only other machines' import markers were new: keep them (both sides then hold the same
                # changes) but add no marker of our own, or machines importing each other never settle.
                self.cache_file.unlink(missing_ok=True)
                self.import_marked = False
                return len(new_ids)
            self.import_marked = True
            marker = self.finish(
                {"op": "import", "file": name, "count": len(new_ids), "source": source[-200:],
                 "ids": sorted(brought) if replace else new_ids, "replace": True if replace else None},
                result.max_id,
            )  # fmt: skip
            try:
                self._append(result, [marker])
            except StoreError:
                if placed:  # without its marker the import could not be undone as one: take it back whole
                    try:
                        path.unlink(missing_ok=True)
                    except OSError:
                        pass
                    fsync_dir(self.changes_dir)
                    self._fold = None
                raise
            # The derived state is folded again by the next read (the cache no longer matches the logs):
            # an import of a million changes should not also pay for that fold here.
            self._fold = None
            self.cache_file.unlink(missing_ok=True)
            return len(new_ids)

    # -- migration ---------------------------------------------------------- #

    def migrate_legacy(self) -> None:
        """Turn a schema-1 progress.json into change logs (call with the lock held)."""
        from aipm_cli.record.migrate import migrate_store

        if migrate_store(self.root, self.user, progress=self.progress):
            self._legacy = None
            self._fold = None

    # -- reading lines for views ------------------------------------------- #

    def recent_for(self, unit: str) -> list[tuple[dict[str, Any], bool]]:
        """The latest changes that touched a unit (oldest first), with whether each was undone."""
        result = self.load()
        out = []
        for change_id, file, offset in result.refs.get(unit, ()):
            change = logs.read_at(self.changes_dir / file, offset)
            if change is not None and change["id"] == change_id:
                out.append((change, change_id in result.cancelled_refs))
        return out

    def newest_first(self, skipped: Callable[[str], None] | None = None) -> Iterator[tuple[dict[str, Any], bool]]:
        """Every change, newest first, with whether it is undone; streams from the files' ends.

        A line that cannot be read is skipped and told to `skipped` (where it is, and why).
        """
        import heapq

        # Speed (a full `log` of a million changes): orjson, and a line in aipm's usual shape checked
        # whole; for small logs json alone (importing orjson costs more than it saves there).
        loads: Any = json.loads
        files = self.files()
        if "orjson" in sys.modules or sum(_size(p) for p in files) > logs.ORJSON_FROM:
            import orjson

            loads = orjson.loads
        ceiling = fmt.id_ceiling() if loads is not json.loads else ""

        def stream(path: Path) -> Iterator[tuple[str, dict[str, Any], str]]:
            for offset, raw in logs.reverse_lines(path):
                try:
                    change = (ceiling and fmt.quick(raw, loads, ceiling)) or fmt.gate(raw, loads)
                except fmt.BadChange as exc:
                    if skipped is not None:
                        skipped(f"{path}, the line at byte {offset}: {exc}")
                    continue
                yield change["id"], change, path.name

        streams = [stream(p) for p in files]
        legacy = self._legacy() if self._legacy else None
        if legacy:
            streams.append(iter(sorted(((c["id"], c, "") for c in legacy), key=lambda e: e[0], reverse=True)))
        if legacy or any(logs.is_import_file(p.name) for p in files):
            # With imports, what is out is the fold's own set (an undone import's fate depends on
            # imports older and newer than it); without, the fold's undo rule decides as it streams.
            folded = cancellations(self.sources())
            previous = None
            for change_id, change, _file in heapq.merge(
                *streams, key=lambda e: (e[0], not logs.is_import_file(e[2])), reverse=True
            ):
                if change_id != previous:
                    previous = change_id
                    yield change, folded.out(change_id)
            return
        rule = UndoRule()
        later: Any = None  # from the newest import marker back (one that brought nothing, or replaced): the fold's set
        previous = None
        for change_id, change, _file in heapq.merge(*streams, key=lambda e: e[0], reverse=True):
            if change_id == previous:
                continue
            previous = change_id
            if later is None and change["op"] == "import":
                later = cancellations(self.sources())  # an import acts only on older changes
            yield change, later.out(change_id) if later is not None else rule.out(change)


def device_id(root: Path) -> str:
    """This data directory's device id: made once (host name and a short random suffix), never synced."""
    import re
    import secrets
    import socket

    from aipm_cli.fs import read_device_file

    path = root / "device"
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


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
