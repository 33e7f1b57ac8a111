"""A wheel built from the checkout carries the bundled roadmaps, and they are found from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("aipm_cli-*.whl"))


def test_wheel_carries_the_roadmaps(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "aipm_cli/_roadmaps/ai-product-manager.yaml" in names
    assert "aipm_cli/cli/__init__.py" in names
    assert "aipm_cli/render/templates/report.html.j2" in names


def test_installed_wheel_finds_its_roadmap_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "AIPM_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-c", "import aipm_cli.paths as p; print(p.bundled_roadmaps_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == str(site / "aipm_cli" / "_roadmaps")
    shown = subprocess.run(
        [sys.executable, "-m", "aipm_cli", "roadmap", "show", "ai-product-manager"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "AI for Everyone" in shown.stdout


def test_wheel_carries_the_bundled_roadmaps_validated_data(wheel: Path, tmp_path: Path) -> None:
    """The first command after an install reads the shipped plain data: no YAML parser, no pydantic."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    package = site / "aipm_cli"
    sys.path.insert(0, str(REPO / "src"))
    from aipm_cli.roadmap import shipped

    name = shipped.key((package / "_roadmaps" / "ai-product-manager.yaml").read_bytes(), folder=package / "roadmap")
    assert f"aipm_cli/roadmap/_plain/{name}.json" in zipfile.ZipFile(wheel).namelist()
    probe = (
        "import sys\n"
        "from aipm_cli.entry import main\n"
        "sys.argv = ['aipm', 'status']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pydantic', 'yaml') if m in sys.modules), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "AIPM_HOME": str(tmp_path / "fresh-home"), "AIPM_USER": "new"}
    first = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "0%" in first.stdout
    assert first.stderr.strip().splitlines()[-1] == "[]", first.stderr
