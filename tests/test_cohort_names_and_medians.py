"""The cohort report: medians from exact values (rounded only when shown), module entries without a
`modules` list, and exports naming a learner aipm refuses everywhere else listed as unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import invoke_line

# --------------------------------------------------------------------------- #
# The cohort report: medians from exact values; learner names as aipm takes them
# --------------------------------------------------------------------------- #

CORE = ["product-strategy", "user-research", "product-lifecycle", "agile-methodologies", "stakeholder-management"]


def _cohort_json(tmp_path: Path, *sources: str) -> tuple[int, dict[str, object]]:
    result = invoke_line(["cohort", "report", *sources, "-f", "json"])
    return result.exit_code, json.loads(result.stdout)


def test_cohort_medians_are_computed_from_exact_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIPM_HOME", str(tmp_path / "class"))
    for user, done in (("amy", CORE[:3]), ("ben", CORE[:5])):  # 3 and 5 of the module's 7 items
        monkeypatch.setenv("AIPM_USER", user)
        assert invoke_line(["done", *done]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    code, data = _cohort_json(tmp_path, "class")
    assert code == 0
    phases: list[dict[str, object]] = data["phases"]  # type: ignore[assignment]
    [core] = [m for p in phases for m in p["modules"] if m["id"] == "core-product-management"]  # type: ignore[attr-defined]
    # 3/7 and 5/7: the median is 4/7 = 57.1%; from the rounded 42.9 and 71.4 it would be 57.2
    assert (core["median"], core["lowest"], core["highest"]) == (57.1, 42.9, 71.4)
    assert "modules" not in core  # a module has no modules of its own
    assert all("modules" in p for p in phases)
    spread = data["cohort"]  # the whole roadmap: exact too, each figure to a tenth
    assert all(round(v, 1) == v for v in (spread["median_percent"], spread["lowest_percent"]))  # type: ignore[index]


@pytest.mark.parametrize(
    "name", ["../../etc", "eve\x1b[31mred", "con", "a b"], ids=["path", "escape", "device", "space"]
)
def test_a_cohort_export_naming_an_unusable_learner_is_listed_as_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("AIPM_HOME", str(tmp_path / "own"))
    assert invoke_line(["done", "ai-for-everyone"]).exit_code == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert invoke_line(["export", "-f", "json", "-o", str(inbox / "good.json")]).exit_code == 0
    document = json.loads((inbox / "good.json").read_text())
    document["user"] = name
    (inbox / "bad.json").write_text(json.dumps(document))
    monkeypatch.chdir(tmp_path)
    code, data = _cohort_json(tmp_path, "inbox")
    assert code == 1  # something could not be read
    assert [learner["name"] for learner in data["learners"]] == ["ada"]  # type: ignore[index]
    [bad] = data["unreadable"]  # type: ignore[misc]
    assert bad["source"].endswith("bad.json")
    assert "is not a usable learner name" in bad["reason"] and repr(name) in bad["reason"]
    assert "\x1b" not in bad["reason"]
