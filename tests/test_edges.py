"""Issue 25: the rough edges a new user hit (dates, learners, sharing, counting, own roadmaps, help, TUI, repair)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Run

PROJECT = "ai-feature-analysis"
FIRST = "feature-analysis-market-research"


# --------------------------------------------------------------------------- #
# 1. Dates: a project or module done with --on leaves its done parts as they are
# --------------------------------------------------------------------------- #


def _deliverables(run_json: Any) -> dict[str, str | None]:
    return {d["id"]: d["completed_on"] for d in run_json("show", PROJECT)["deliverables"]}


def test_done_project_on_a_date_keeps_the_dates_of_parts_already_done(run: Run, run_json: Any) -> None:
    run("done", FIRST, "--on", "2026-11-08")
    result = run("done", PROJECT, "--on", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    assert "1 entry already done keeps its date" in result.stderr
    assert "Corrected" not in result.stderr
    dates = _deliverables(run_json)
    assert dates[FIRST] == "2026-11-08"
    assert {d for k, d in dates.items() if k != FIRST} == {"2026-11-20"}
    # One change: one undo takes it all back, and the part done before stays done on its date.
    run("undo")
    dates = _deliverables(run_json)
    assert dates[FIRST] == "2026-11-08"
    assert [d for k, d in dates.items() if k != FIRST] == [None, None, None]


def test_done_module_on_a_date_keeps_the_dates_of_items_already_done(run: Run, run_json: Any) -> None:
    run("done", "product-strategy", "--on", "2026-11-02")
    result = run("done", "core-product-management", "--on", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    assert run_json("show", "product-strategy")["completed_on"] == "2026-11-02"
    assert run_json("show", "user-research")["completed_on"] == "2026-11-20"
    run("undo")
    assert run_json("show", "product-strategy")["completed_on"] == "2026-11-02"
    assert run_json("show", "user-research")["status"] == "not_started"


def test_a_correction_before_the_start_says_that_the_start_moved(run: Run, run_json: Any) -> None:
    run("start", "user-research", "--on", "2026-11-10")
    run("done", "user-research", "--on", "2026-11-20")
    result = run("done", "user-research", "--on", "2026-11-05")
    assert result.exit_code == 0, result.stderr
    assert "Corrected the completion date of user-research to 2026-11-05" in result.stderr
    assert "Its start date moved back to 2026-11-05 too: user-research (from 2026-11-10)." in result.stderr
    assert run_json("show", "user-research")["started_on"] == "2026-11-05"
