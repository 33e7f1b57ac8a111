"""Reading a learner's changes for views: newest first with whether each is undone, and a unit's latest."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.record import changes as fmt
from aipm_cli.record import ids, logs
from aipm_cli.record.fold import UndoRule, cancellations

if TYPE_CHECKING:
    from aipm_cli.record.ledger import Ledger


def recent_for(ledger: Ledger, unit: str) -> list[tuple[dict[str, Any], bool]]:
    """The latest changes that touched a unit (oldest first), with whether each was undone."""
    result = ledger.load()
    out = []
    for change_id, file, offset in result.refs.get(unit, ()):
        change = logs.read_at(ledger.changes_dir / file, offset)
        if change is not None and change["id"] == change_id:
            out.append((change, change_id in result.cancelled_refs))
    return out


def newest_first(
    ledger: Ledger, skipped: Callable[[str, bool], None] | None = None
) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every change, newest first, with whether it is undone; streams from the files' ends.

    A line that cannot be read is skipped and told to `skipped` (where it is, and why; False), and so
    is a file that cannot be read at all (True).
    """
    import heapq

    # Speed (a full `log` of a million changes): orjson, and a line in aipm's usual shape checked
    # whole; for small logs json alone (importing orjson costs more than it saves there).
    loads: Any = json.loads
    files = ledger.files()
    if "orjson" in sys.modules or sum(_size(p) for p in files) > logs.ORJSON_FROM:
        import orjson

        loads = orjson.loads
    ceiling = ids.id_ceiling() if loads is not json.loads else ""

    def stream(path: Path) -> Iterator[tuple[str, dict[str, Any], str]]:
        whole = logs.Problems()  # a file not read at all (not a regular file...)
        for offset, raw in logs.reverse_lines(path, whole):
            try:
                change = (ceiling and fmt.quick(raw, loads, ceiling)) or fmt.gate(raw, loads)
            except fmt.BadChange as exc:
                if skipped is not None:
                    skipped(f"{path}, the line at byte {offset}: {exc}", False)
                continue
            yield change["id"], change, path.name
        for damage in whole.damage:
            if skipped is not None:
                skipped(str(damage), True)

    streams = [stream(p) for p in files]
    legacy = ledger.legacy() if ledger.legacy else None
    if legacy:
        streams.append(iter(sorted(((c["id"], c, "") for c in legacy), key=lambda e: e[0], reverse=True)))
    if legacy or any(logs.is_import_file(p.name) for p in files):
        # With imports, what is out is the fold's own set (an undone import's fate depends on
        # imports older and newer than it); without, the fold's undo rule decides as it streams.
        folded = cancellations(ledger.sources())
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
            later = cancellations(ledger.sources())  # an import acts only on older changes
        yield change, later.out(change_id) if later is not None else rule.out(change)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
