"""Importing an export into a learner's record: the new changes (by id) as one import file and one marker."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import AipmError, StoreError
from aipm_cli.fs import fsync_dir
from aipm_cli.record import changes as fmt
from aipm_cli.record import logs
from aipm_cli.record.fold import cancellations

if TYPE_CHECKING:
    from aipm_cli.record.ledger import Ledger


def known_ids(ledger: Ledger) -> set[str]:
    found: set[str] = set()
    for source in ledger.sources():
        for change, _offset in source.read(logs.Problems()):
            found.add(change["id"])
    return found


def held_ids(ledger: Ledger) -> set[str]:
    """The ids an import would not bring again: every change here but those an undone import took out
    (importing them again brings them back, as `import_changes` does)."""
    return ledger.known_ids() - cancellations(ledger.sources()).by_import


def import_changes(ledger: Ledger, incoming: Iterable[dict[str, Any]], source: str, *, replace: bool = False) -> int:
    """Add the changes not already here (by id) as one import; returns how many were new.

    The changes stream into a new import file (nothing is kept in memory but
    their ids), which takes its place only when all of them were read: an
    unreadable change part way leaves nothing behind. With `replace`, the
    import also takes every older change out of effect except those it
    brought (nothing is deleted: `undo` brings them back).
    """
    import secrets

    with ledger.locked():
        ledger.migrate_legacy()
        ledger.writable()
        held = held_ids(ledger)  # what an undone import took out comes back with an import that brings it again
        tmp = ledger.changes_dir / f".import-{os.getpid()}-{secrets.token_hex(4)}.tmp"
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
                    if change_id in held:
                        continue
                    seen.add(change_id)
                    markers_only = markers_only and change["op"] == "import"
                    ordered = ordered and change_id > last
                    last = change_id
                    out.write(fmt.line(change))
                    new_ids.append(change_id)
                out.flush()
                os.fsync(out.fileno())
            if not ordered:  # a hand-made export: sort it, so the file reads in id order
                sorted_lines = sorted(tmp.read_bytes().splitlines(keepends=True), key=lambda raw: json.loads(raw)["id"])
                tmp.write_bytes(b"".join(sorted_lines))
                new_ids.sort()
            if replace and not brought:
                raise AipmError(
                    f"{source} holds no changes: replacing the progress with it would take every change here "
                    "out of effect. Nothing was changed.",
                    "Import an export that holds the progress (`aipm export --format json` on the other machine).",
                )
            if not new_ids and not replace:
                return 0
            import hashlib

            digest = hashlib.sha256()
            with open(tmp, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            name = f"{ledger.device}.import-{digest.hexdigest()[:12]}{logs.SUFFIX}"
            path = ledger.changes_dir / name
            placed = False
            if new_ids and not path.exists():
                from aipm_cli.portable import replace as replace_file

                replace_file(tmp, path)  # retried while a reader holds the folder's files (Windows)
                placed = True
                fsync_dir(ledger.changes_dir)
        except OSError as exc:  # a full disk, a read-only folder: nothing was placed
            from aipm_cli.fs import write_hint

            raise StoreError(
                f"Cannot import into {ledger.changes_dir}: {exc.strerror or exc}. Nothing was changed.",
                write_hint(exc),
            ) from None
        finally:
            tmp.unlink(missing_ok=True)
        ledger.folded = None
        result = ledger.writable()
        if markers_only and not replace:
            # Only other machines' import markers were new: keep them (both sides then hold the same
            # changes) but add no marker of our own, or machines importing each other never settle.
            ledger.cache_file.unlink(missing_ok=True)
            ledger.import_marked = False
            return len(new_ids)
        ledger.import_marked = True
        marker = ledger.finish(
            {"op": "import", "file": name, "count": len(new_ids), "source": source[-200:],
             "ids": sorted(brought) if replace else new_ids, "replace": True if replace else None},
            result.max_id,
        )  # fmt: skip
        try:
            ledger.append_changes(result, [marker])
        except StoreError:
            if placed:  # without its marker the import could not be undone as one: take it back whole
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    pass
                fsync_dir(ledger.changes_dir)
                ledger.folded = None
            raise
        # The derived state is folded again by the next read (the cache no longer matches the logs):
        # an import of a million changes should not also pay for that fold here.
        ledger.folded = None
        ledger.cache_file.unlink(missing_ok=True)
        return len(new_ids)
