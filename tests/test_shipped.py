"""The bundled roadmaps' validated data ships inside the package (shipped.py), keyed so that a changed
roadmap or changed code never uses a stale copy."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from aipm_cli.paths import bundled_roadmaps_dir
from aipm_cli.roadmap import finding, shipped


def test_the_shipped_data_is_current() -> None:
    """Made and checked here: `_plain/` holds exactly the validated documents of today's bundled roadmaps
    under today's code. If this fails, run `python -m aipm_cli.roadmap.shipped` and commit src/aipm_cli/roadmap/_plain/."""
    wanted = shipped.expected(bundled_roadmaps_dir())
    found = {p.name: p.read_bytes() for p in shipped.FOLDER.glob("*.json")}
    assert found == wanted, "stale: run `python -m aipm_cli.roadmap.shipped` and commit src/aipm_cli/roadmap/_plain/"


def test_the_first_command_uses_it_without_pydantic_or_yaml(run, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for name in [
        m for m in sys.modules if m == "pydantic" or m.startswith(("pydantic.", "yaml", "aipm_cli.roadmap.loading"))
    ]:
        monkeypatch.delitem(sys.modules, name)
    assert not (home / "cache").exists()
    result = run("status")
    assert result.exit_code == 0, result.stderr
    assert "pydantic" not in sys.modules and "yaml" not in sys.modules


def test_a_changed_roadmap_or_changed_code_never_uses_a_stale_copy(tmp_path: Path) -> None:
    data = (bundled_roadmaps_dir() / "ai-product-manager.yaml").read_bytes()
    assert shipped.document(data) is not None
    # A changed roadmap: another key, nothing shipped under it.
    changed = data.replace(b"title: AI for Everyone\n", b"title: AI for Everybody\n", 1)
    assert changed != data and shipped.key(changed) != shipped.key(data)
    assert shipped.document(changed) is None
    roadmap = finding.load(changed, "changed.yaml", None)
    assert roadmap.index.items["ai-for-everyone"].item.title == "AI for Everybody"
    # Changed code (any of the validating sources): another key.
    code = tmp_path / "code"
    code.mkdir()
    for name in shipped.SOURCES:
        shutil.copy(shipped.HERE / name, code / name)
    assert shipped.key(data, folder=code) == shipped.key(data)
    with open(code / "models.py", "a") as handle:
        handle.write("\n# a change\n")
    assert shipped.key(data, folder=code) != shipped.key(data)
    (code / "plain.py").unlink()
    assert shipped.key(data, folder=code) is None


def test_a_damaged_shipped_file_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (bundled_roadmaps_dir() / "ai-product-manager.yaml").read_bytes()
    folder = tmp_path / "_plain"
    shutil.copytree(shipped.FOLDER, folder)
    monkeypatch.setattr(shipped, "FOLDER", folder)
    (target,) = folder.glob("*.json")
    target.write_bytes(target.read_bytes().replace(b"AI for Everyone", b"AI for Everyone!"))
    assert shipped.document(data) is None  # the checksum no longer matches
    assert finding.load(data, "ai-product-manager.yaml", None).index.items["ai-for-everyone"].item.title == (
        "AI for Everyone"
    )
