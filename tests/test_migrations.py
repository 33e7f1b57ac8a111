"""The migration mechanism: ordered, named migrations with the old file kept beside the store.

Schema 1 is the first published schema, so aipm ships no migration yet. These
tests drive the mechanism with a migration registered for the test; when
schema 2 arrives, its real migration gets a test of its own here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aipm_cli import store as store_module
from aipm_cli.errors import StoreError
from aipm_cli.store import Store


def _rename_learner_key(data: dict[str, Any]) -> dict[str, Any]:
    data["user"] = data.pop("learner")
    return data


@pytest.fixture
def schema_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(store_module, "MIGRATIONS", {1: ("rename-learner-to-user", _rename_learner_key)})


def test_older_schema_is_migrated_on_load_and_kept_beside(schema_two: None, tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    old = json.dumps({"schema_version": 1, "learner": "ada", "roadmaps": {}}).encode()
    path.write_bytes(old)
    store = Store(path, "ada")
    assert store.load().user == "ada"
    assert path.read_bytes() == old  # reading alone writes nothing
    with store.transaction():
        pass  # the first write saves the migrated store
    assert json.loads(path.read_text())["schema_version"] == 2
    assert (tmp_path / "progress.schema-1.json").read_bytes() == old


def test_a_failing_migration_leaves_the_file_untouched(schema_two: None, tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    old = json.dumps({"schema_version": 1, "user": "ada"}).encode()  # no 'learner' key: the migration fails
    path.write_bytes(old)
    with pytest.raises(StoreError, match="migration 'rename-learner-to-user' failed"):
        with Store(path, "ada").transaction():
            pass
    assert path.read_bytes() == old


def test_migrations_are_numbered_without_gaps() -> None:
    assert sorted(store_module.MIGRATIONS) == list(range(1, store_module.SCHEMA_VERSION))
