"""A cache of what the read-only views show, keyed by everything they depend on.

`status`, `list` and `next` run many times a day on an unchanged store. Their
output is a pure function of the roadmap file's bytes, the store's bytes, the
learner, the day and the weekly hours, so it is computed once and kept in
`<data dir>/cache/snapshots/<learner>.json`, keyed by a hash of all of those.
A snapshot is never trusted when stale (any change to an input changes the
key), is safe to delete, and lets those views skip building pydantic models
and validating the store: the bytes they would validate are the very bytes
that were validated when the snapshot was made. Every change warms it.

Stored as JSON (not pickle: the data directory may be synced elsewhere), with
our dataclasses and dates tagged so they come back as themselves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli import __version__
from aipm_cli import summary as summary_module
from aipm_cli.summary import Row, Summary

if TYPE_CHECKING:
    from aipm_cli.plain import Roadmap
    from aipm_cli.record.state import State as RoadmapProgress

FORMAT = 2
_TYPES: dict[str, type] = {
    name: getattr(summary_module, name)
    for name in ("Counts", "Row", "ModuleSummary", "PhaseSummary", "Forecast", "Certificate", "Summary")
}


@dataclass
class Snapshot:
    """What status, list and next show."""

    summary: Summary
    rows: list[Row]
    upcoming_ids: list[str]  # every item `next` would list, in order
    names: dict[str, list[Any]]  # phase or module id -> [title, duration]

    def upcoming(self, count: int) -> list[Row]:
        by_id = {r.id: r for r in self.rows}
        return [by_id[i] for i in self.upcoming_ids[:count]]


_TYPES["Snapshot"] = Snapshot


def cache_key(*, roadmap: bytes, store: bytes | None, user: str, today: date, hours_per_week: float) -> str:
    digest = hashlib.sha256()
    for part in (f"aipm {__version__} snapshot {FORMAT}", user, today.isoformat(), repr(float(hours_per_week))):
        digest.update(part.encode() + b"\0")
    digest.update(hashlib.sha256(roadmap).digest())
    digest.update(hashlib.sha256(store).digest() if store is not None else b"no store")
    return digest.hexdigest()


_PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is date:
        return {"__d": value.isoformat()}
    if kind is list or kind is tuple:
        return [_encode(v) for v in value]
    if kind is dict:
        return {k: _encode(v) for k, v in value.items()}
    if kind.__name__ in _TYPES and _TYPES[kind.__name__] is kind:
        out = {k: _encode(v) for k, v in vars(value).items()}
        out["__t"] = kind.__name__
        return out
    raise TypeError(f"cannot keep {kind.__name__} in a snapshot")


def _decode(obj: dict[str, Any]) -> Any:
    if "__d" in obj and len(obj) == 1:
        return date.fromisoformat(obj["__d"])
    name = obj.pop("__t", None)
    if name is None:
        return obj
    return _TYPES[name](**obj)


def load(path: Path, key: str) -> Snapshot | None:
    """The snapshot stored for `key`, or None (missing, stale or unreadable: recompute)."""
    try:
        data = json.loads(path.read_bytes(), object_hook=_decode)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("snapshot"), Snapshot):
        return None
    snapshot: Snapshot = data["snapshot"]
    return snapshot


def save(path: Path, key: str, snapshot: Snapshot) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    from aipm_cli.paths import ensure_private_dir
    from aipm_cli.store import atomic_write

    try:
        ensure_private_dir(path.parent)
        atomic_write(path, json.dumps({"key": key, "snapshot": _encode(snapshot)}).encode())
    except OSError:
        pass


def compute(roadmap: Roadmap, progress: RoadmapProgress, user: str, today: date, hours_per_week: float) -> Snapshot:
    from aipm_cli.progress import next_items, rows, summarize

    return Snapshot(
        summary=summarize(roadmap, progress, user, today, hours_per_week),
        rows=rows(roadmap, progress),
        upcoming_ids=[r.id for r in next_items(roadmap, progress)],
        names=names_of(roadmap),
    )


def names_of(roadmap: Roadmap) -> dict[str, list[Any]]:
    """Phase and module ids -> [title, duration], for the tree views."""
    names: dict[str, list[Any]] = {}
    for phase in roadmap.phases:
        names[phase.id] = [phase.title, phase.duration]
        for module in phase.modules:
            names[module.id] = [module.title, module.duration]
    return names
