"""`aipm import`: an export's changes this learner does not have, added as one import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aipm_cli.learner import Learner, Progress


def import_file(
    learner: Learner,
    file: Path,
    *,
    user: str | None = None,
    replace: bool = False,
    accept_destructive: bool = False,
    progress: Progress | None = None,
) -> Imported:
    """Add an export's changes this learner does not have (by id), as one import.

    Destructive changes in the export (record/provenance.py) that are not here yet stop the
    import (DestructiveChanges, nothing imported) unless `accept_destructive`.
    """
    from aipm_cli.errors import InputError
    from aipm_cli.fs import NotReadable, read_regular_file
    from aipm_cli.paths import check_not_case_twin, check_user_name
    from aipm_cli.report import MAX_EXPORT_BYTES, read_export

    hint = "Import a file written by `aipm export --format json`."
    try:  # the careful reader: a regular file of bounded size (never a FIFO, a device or a folder)
        raw = read_regular_file(file, MAX_EXPORT_BYTES)
    except FileNotFoundError:
        raise InputError(f"No file at {file}.") from None
    except IsADirectoryError:
        raise InputError(f"{file} is a folder, not an export.", hint) from None
    except NotReadable as exc:
        if "larger than" in str(exc.strerror):
            raise InputError(f"Cannot import {file}: {exc.strerror}.", "Split it or import a smaller export.") from None
        raise InputError(f"Cannot import {file}: {exc.strerror}.", hint) from None
    except OSError as exc:
        raise InputError(f"Cannot read {file}: {exc.strerror}.") from None
    # `--user` names a learner as every other way does (Learner.user): not one that differs only in case
    # from a learner here; refused before anything is written.
    name = check_not_case_twin(learner.layout.learners, check_user_name(user)) if user is not None else learner.user
    imported = read_export(raw, str(file))
    roadmap = learner.roadmap
    if imported.roadmap_id != roadmap.id:
        from aipm_cli.roadmap import finding

        roadmap = finding.load(
            finding.read_roadmap_bytes(
                finding.find(imported.roadmap_id, learner.layout.roadmaps, learner.layout.cache)
            ),
            imported.roadmap_id,
            learner.layout.cache,
        )
    changes: Iterable[dict[str, Any]] = imported.changes
    if not learner.has_data(name) and not replace:
        # A learner new here: an export with no changes brings nothing, so nothing is made (an empty
        # learner folder would be taken for a learner, and lock out the one in use).
        import itertools

        stream = iter(changes)
        first = next(stream, None)
        if first is None:
            return Imported(0, name, roadmap.id, 0)
        changes = itertools.chain([first], stream)
    ledger = learner.ledger_for(name, roadmap)
    from aipm_cli.record.provenance import Watch

    watched = Watch(
        changes,
        file.name,
        ledger.known_ids,
        accept=accept_destructive,
        hint=f"If you mean to take them, run `aipm import {file} --accept-destructive`.",
    )
    counted = _Counted(watched)
    if progress is not None:
        expected = raw.count(b"\n")  # about one line a change in an export aipm wrote
        counted.told = lambda done: progress("Importing changes", done, expected)
        ledger.progress = progress
    added = ledger.import_changes(counted, file.name, replace=replace)
    learner.saved = bool(added) or replace
    return Imported(added, name, roadmap.id, counted.count, undoable=ledger.import_marked)


class _Counted:
    """An iterable that counts what went through it."""

    def __init__(self, items: Any) -> None:
        self.items = items
        self.count = 0
        self.told: Callable[[int], None] | None = None  # told the count every 5,000 items (progress)

    def __iter__(self) -> Iterator[Any]:
        told = self.told
        for item in self.items:
            self.count += 1
            if told is not None and self.count % 5000 == 0:
                told(self.count)
            yield item


class Imported:
    def __init__(self, added: int, user: str, roadmap_id: str, total: int, undoable: bool = True) -> None:
        self.added, self.user, self.roadmap_id, self.total = added, user, roadmap_id, total
        self.undoable = undoable  # False: only other machines' import records were new (no marker of its own)
