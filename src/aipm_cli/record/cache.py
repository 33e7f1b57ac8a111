"""The derived-state cache of a learner's record: the fold, written beside nothing it could be mistaken for.

Keyed by aipm's version, the fold's own code and the logs' sizes and times: a cache from other code or
other logs is never used, and one that cannot be read only costs a fold.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from aipm_cli.record import logs
from aipm_cli.record.fold import Fold
from aipm_cli.record.state import state_data, state_from_data

if TYPE_CHECKING:
    from aipm_cli.record.ledger import Ledger


def read(ledger: Ledger, key: str) -> Fold | None:
    from aipm_cli.fs import read_private_file

    raw = read_private_file(ledger.cache_file)  # only a private file of ours: anything else may be planted
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
        result.problems.torn = [logs.Torn(ledger.changes_dir / t[0], t[1], t[2]) for t in data["torn"]]
        return result
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def write(ledger: Ledger, key: str, result: Fold) -> None:
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
        ensure_private_dir(ledger.cache_file.parent)
        atomic_write(ledger.cache_file, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # a cache that cannot be written only costs speed
