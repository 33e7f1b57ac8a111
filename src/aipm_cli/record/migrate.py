"""Migration of a schema-1 store (one progress.json per learner) into change logs.

Deterministic: the same old file gives the same changes with the same ids on
any machine (ids derive from the learner, the roadmap and each entry), so two
machines that migrate copies of one store never double it.

Each old history entry becomes a change of the same operation that carries
the records exactly as the old store left them (`state`), so folding the
migrated changes replays what the released version did; old undos become
undos of the changes they reverted. Where the old history cannot explain the
stored state (a merge that kept local records, hand edits), one `restore`
change at the end sets the difference. The old file is kept in backups/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aipm_cli.fs import fsync_dir, sha256_hex
from aipm_cli.paths import Layout
from aipm_cli.record import changes as fmt
from aipm_cli.record import ids as idmaker
from aipm_cli.record import logs
from aipm_cli.record.fold import Source, fold
from aipm_cli.record.state import rating_data, record_data

DEVICE = "migrated"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def legacy_path(root: Path, user: str) -> Path:
    return Layout(root).legacy_store(user)


def read_legacy(path: Path) -> Any | None:
    """The schema-1 document (validated), or None when there is no file."""
    from aipm_cli.record.legacy import Store

    store = Store(path, path.parent.name)
    raw = store.read_raw()
    if raw is None:
        return None
    return store.from_raw(raw)[0]


def _record(progress: Any) -> dict[str, Any] | None:
    """An old ItemProgress as a record in the change format."""
    if progress is None:
        return None
    data: dict[str, Any] = {"status": progress.status}
    for key in ("started_on", "completed_on", "skipped_on"):
        value = getattr(progress, key)
        if value is not None:
            data[key] = value.isoformat()
    if progress.skip_reason is not None:
        data["skip_reason"] = progress.skip_reason
    cert = progress.certification
    if cert is not None:
        if cert.credential is not None:
            data["credential"] = cert.credential
        if cert.expires_on is not None:
            data["expires_on"] = cert.expires_on.isoformat()
    if progress.notes:
        data["notes"] = [
            {"text": n.text, "on": n.at.date().isoformat(), "at": n.at.isoformat()} for n in progress.notes
        ]
    if progress.evidence:
        data["evidence"] = [
            {"text": e.text, "on": e.at.date().isoformat(), "at": e.at.isoformat()} for e in progress.evidence
        ]
    return data


def _comparable(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    out = dict(data)
    for key in ("notes", "evidence"):
        if key in out:
            out[key] = [{"text": n["text"], "on": n["on"]} for n in out[key]]
    return None if out == {"status": "not_started"} else out


def _newest_record(progress: Any) -> datetime | None:
    """The latest moment the stored records mention (for a store that has no history or creation time)."""
    moments: list[datetime] = []
    for rec in progress.items.values():
        for day in (rec.started_on, rec.completed_on, rec.skipped_on):
            if day is not None:
                moments.append(datetime(day.year, day.month, day.day, tzinfo=UTC))
        for note in [*rec.notes, *rec.evidence]:
            moments.append(note.at if note.at.tzinfo else note.at.replace(tzinfo=UTC))
    for ratings in progress.skills.values():
        for rating in ratings:
            moments.append(datetime(rating.on.year, rating.on.month, rating.on.day, tzinfo=UTC))
    return max(moments) if moments else None


def _no_later_than_now(moment: datetime) -> datetime:
    """An id's time: the store's own (the same on every machine), unless the store dates it in the
    future, which no id may be (the gate refuses ids no real clock made): then the start of today
    (UTC), so machines that migrate the same store on one day still make the same ids."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) if moment > now else moment


def changes_for(user: str, roadmap_id: str, progress: Any, created: datetime | None) -> list[dict[str, Any]]:
    """The changes that stand for one roadmap's progress in a schema-1 store."""
    out: list[dict[str, Any]] = []
    ids: dict[int, str] = {}
    latest = created or _newest_record(progress) or _EPOCH
    for entry in progress.history:
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
        latest = max(latest, at)
        change_id = idmaker.derived_id(
            _no_later_than_now(at), "schema-1", user, roadmap_id, str(entry.seq), at.isoformat(), entry.action
        )
        ids[entry.seq] = change_id
        on = (entry.on or at.date()).isoformat()
        base: dict[str, Any] = {"v": fmt.FORMAT, "id": change_id, "at": at.isoformat(), "on": on, "device": DEVICE}
        action = entry.action
        if action in fmt.STATUS_OPS or action == "note":
            targets = list(entry.items) or sorted(entry.after) or ["unknown"]
            change = {
                **base,
                "op": action,
                "targets": targets,
                "state": {k: _record(v) for k, v in entry.after.items()},
            }
            if action == "note":
                change["text"] = entry.note or ""
            else:
                change["units"] = sorted(entry.after)
                if entry.note:
                    change["reason" if action == "skip" else "note"] = entry.note
        elif action == "assess" and entry.skill and entry.level:
            change = {**base, "op": "assess", "skill": entry.skill, "level": entry.level}
            if entry.note:
                change["note"] = entry.note
        elif action == "undo" and entry.undoes in ids:
            change = {**base, "op": "undo", "target": ids[entry.undoes]}
        else:
            continue  # an import marker or an entry nothing can stand on: the restore covers it
        out.append(fmt.check(change))
    # What the stored state holds that the history does not explain.
    folded = fold([Source(changes=sorted(out, key=lambda c: c["id"]))], {}).state
    state: dict[str, Any] = {}
    # Only what the store holds is set: a record the history made under an id
    # the store no longer has was moved by a roadmap rename, and the roadmap's
    # aliases carry it to the same place when folded.
    for key in sorted(progress.items):
        stored = _record(progress.items.get(key))
        derived = record_data(folded.items[key]) if key in folded.items else None
        if _comparable(stored) != _comparable(derived):
            state[key] = stored
    skills: dict[str, Any] = {}
    for skill in sorted(set(progress.skills) | set(folded.skills)):
        stored_ratings = [
            {"level": r.level, "on": r.on.isoformat(), **({"note": r.note} if r.note is not None else {})}
            for r in sorted(progress.skills.get(skill, []), key=lambda r: r.on)
        ]
        derived_ratings = [
            {k: v for k, v in rating_data(r).items() if k in ("level", "on", "note")}
            for r in folded.skills.get(skill, [])
        ]
        if stored_ratings != derived_ratings:
            skills[skill] = stored_ratings
    if state or skills:
        at = latest + timedelta(milliseconds=1)
        digest = sha256_hex(json.dumps([state, skills], sort_keys=True).encode())
        restore: dict[str, Any] = {
            "v": fmt.FORMAT,
            "id": idmaker.derived_id(_no_later_than_now(at), "schema-1", user, roadmap_id, "restore", digest),
            "at": at.isoformat(),
            "on": at.date().isoformat(),
            "device": DEVICE,
            "op": "restore",
            "state": state,
        }
        if skills:
            restore["skills"] = skills
        out.append(fmt.check(restore))
    return sorted(out, key=lambda c: c["id"])


def legacy_changes(root: Path, user: str, roadmap_id: str) -> list[dict[str, Any]] | None:
    """The migrated changes of a roadmap in a store not yet migrated (read-only: nothing is written)."""
    doc = read_legacy(legacy_path(root, user))
    if doc is None or roadmap_id not in doc.roadmaps:
        return None
    return _checked_changes(legacy_path(root, user), user, roadmap_id, doc.roadmaps[roadmap_id], doc.created)


def _checked_changes(path: Path, user: str, roadmap_id: str, progress: Any, created: Any) -> list[dict[str, Any]]:
    """changes_for, with a value the record's gate refuses (a lone surrogate...) named as the store's fault."""
    from aipm_cli.errors import StoreError

    try:
        return changes_for(user, roadmap_id, progress, created)
    except fmt.BadChange as exc:
        raise StoreError(
            f"Cannot read {path}: a change made from it {exc}. Nothing was changed.",
            "Correct that value in the file (or restore it from a copy); aipm migrates it on the next change.",
        ) from None


def migrate_store(root: Path, user: str, progress: Callable[[str, int, int | None], None] | None = None) -> bool:
    """Write the change logs of a schema-1 store and move the old file into backups/.

    Returns False when there is nothing to migrate. A store that cannot be
    read raises StoreError and nothing is written. `progress(what, done, total)`
    is told each roadmap migrated (a caller's display).
    """
    from aipm_cli.fs import atomic_write
    from aipm_cli.paths import ensure_private_dir

    path = legacy_path(root, user)
    doc = read_legacy(path)
    if doc is None:
        return False
    try:
        for number, (roadmap_id, held) in enumerate(sorted(doc.roadmaps.items())):
            if progress is not None:
                progress("Migrating the old store", number, len(doc.roadmaps))
            made = _checked_changes(path, user, roadmap_id, held, doc.created)
            if not made:
                continue
            payload = b"".join(fmt.line(c) for c in made)
            folder = Layout(root).changes(user, roadmap_id)
            ensure_private_dir(folder)
            target = folder / f"migrated-{sha256_hex(payload)[:12]}{logs.SUFFIX}"
            if not target.exists():
                atomic_write(target, payload)
        backups = Layout(root).learner_backups(user)
        ensure_private_dir(backups)
        from aipm_cli.record.legacy import Store

        raw = Store(path, user).read_raw()  # bounded, never waits (read_legacy read it a moment ago)
        if raw is None:
            return True  # moved away meanwhile: its changes are written
        keep = backups / f"progress-schema1-{sha256_hex(raw)[:12]}.json"
        atomic_write(keep, raw)  # a real copy, never a link to the live file (nor written through a planted one)
        path.unlink(missing_ok=True)  # a symlinked store: only the link goes; its target stays where it was
    except OSError as exc:  # a full disk, a read-only folder: the old store stays, and keeps working
        from aipm_cli.errors import StoreError
        from aipm_cli.fs import write_hint

        raise StoreError(
            f"Cannot migrate {path}: {exc.strerror or exc}. It was left as it is and still counts.",
            write_hint(exc),
        ) from None
    fsync_dir(path.parent)
    if progress is not None:
        progress("Migrating the old store", len(doc.roadmaps), len(doc.roadmaps))
    return True
