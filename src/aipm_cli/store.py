"""The schema-1 store of the first release (one progress.json per learner), read only.

Since schema 2 a learner's record is the change log (record/); this module
reads an old store so that record/migrate.py can turn it into changes, and
keeps the atomic write the rest of aipm uses for its own files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aipm_cli.errors import StoreError

SCHEMA_VERSION = 1  # the last schema of the one-file store


def _unreadable(path: Path, why: str) -> StoreError:
    return StoreError(
        f"Cannot read the progress store {path}: {why}. It was left untouched.",
        f"Restore a copy from {path.parent / 'backups'} or run `aipm doctor` to see what is wrong.",
    )


_HISTORY_OPEN = b'"history": [\n'
_HISTORY_CLOSE = b"\n      ]"


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
    except RecursionError:
        raise _unreadable(path, "it is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        what = "it holds a number too large to read" if "integer string" in str(exc) else "it is not valid JSON"
        raise _unreadable(path, f"{what}{where}") from None
    if not isinstance(data, dict):
        raise _unreadable(path, "it is not a JSON object")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _unreadable(path, "it has no valid schema_version")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The progress store {path} was written by a newer aipm (schema {version}; "
            f"this aipm reads {SCHEMA_VERSION}). It was left untouched.",
            "Upgrade aipm (pip install -U aipm-cli) to use it.",
        )
    histories: dict[str, Any] = {}
    if blocks:
        from aipm_cli.history import History

        for roadmap_id, progress in (data.get("roadmaps") or {}).items():
            marker = progress.get("history") if isinstance(progress, dict) else None
            if isinstance(marker, str) and marker.startswith("@@aipm-history-block-"):
                number = int(marker.removeprefix("@@aipm-history-block-").rstrip("@"))
                histories[roadmap_id] = History(raw, *blocks[number], source=path)
                del progress["history"]
    original = version
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


from aipm_cli.fs import atomic_write, fsync_dir  # noqa: E402,F401 - kept importable from here for older callers


class Store:
    """A learner's schema-1 store, read only: the change logs replaced it (record/migrate.py)."""

    def __init__(self, path: Path, user: str) -> None:
        self.path = path
        self.user = user

    def read_raw(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise _unreadable(self.path, "it is a folder") from None
        except PermissionError:
            raise _unreadable(self.path, "permission denied") from None
        except OSError as exc:
            raise _unreadable(self.path, exc.strerror or "it cannot be read") from None

    def from_raw(self, raw: bytes) -> tuple[Any, int]:
        """The store document in these bytes, and the schema it had."""
        return decode(raw, self.path)
