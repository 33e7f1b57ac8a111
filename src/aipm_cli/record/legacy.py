"""The schema-1 store of the first release (one progress.json per learner), read only.

Since schema 2 a learner's record is the change log (record/); this module
reads an old store so that record/migrate.py can turn it into changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aipm_cli.errors import StoreError

SCHEMA_VERSION = 1  # the last schema of the one-file store
MAX_STORE_BYTES = 512 * 1024 * 1024  # the first release kept everything in one file; far more is not a store


def _unreadable(path: Path, why: str) -> StoreError:
    return StoreError(
        f"Cannot read the progress store {path}: {why}. It was left untouched.",
        f"Restore a copy from {path.parent / 'backups'} or run `aipm doctor` to see what is wrong.",
    )


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    if not raw.strip():
        raise _unreadable(path, "the file is empty")
    try:
        data = json.loads(raw)
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
    return data


def validate(data: dict[str, Any], path: Path) -> Any:
    from pydantic import ValidationError

    from aipm_cli.roadmap.models import StoreDoc

    try:
        return StoreDoc.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise _unreadable(path, f"{loc}: {first['msg']}") from None


def decode(raw: bytes, path: Path) -> tuple[Any, int]:
    """The store document in these bytes, and the schema version they had.

    The whole history is parsed: migration reads every entry anyway.
    """
    data = _parse(raw, path)
    return validate(data, path), data["schema_version"]


class Store:
    """A learner's schema-1 store, read only: the change logs replaced it (record/migrate.py)."""

    def __init__(self, path: Path, user: str) -> None:
        self.path = path
        self.user = user

    def read_raw(self) -> bytes | None:
        """The file's bytes, or None when there is none. Only a regular file of at most
        MAX_STORE_BYTES is read: a FIFO or device in its place is refused before a byte is read."""
        from aipm_cli.fs import read_regular_file

        try:
            return read_regular_file(self.path, MAX_STORE_BYTES)
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
