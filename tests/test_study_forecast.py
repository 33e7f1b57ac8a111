"""The forecast from logged study time (issue 26, from a new user's trial): never from one session,
blended with the reference pace, and the same in status, its study lines, plan and the reports."""

from __future__ import annotations

import json
from pathlib import Path

from test_study import ITEM, at

NOW = "2026-11-24T10:00:00+00:00"


def forecast(home: Path, moment: str = NOW) -> dict:
    return json.loads(at(home, moment, "status", "--json").stdout)["forecast"]  # type: ignore[attr-defined]


def test_one_session_gives_no_forecast_from_logged_time_and_says_what_is_missing(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, NOW, "study", "add", ITEM, "30m", device="laptop")
    f = forecast(home)
    assert f["studied_finish"] is None and f["studied_hours_per_week"] is None
    assert f["studied_logged_hours"] == 0.5
    assert f["studied_missing"] == "14 more days and time on 2 more days"
    text = " ".join(at(home, NOW, "status").stdout.split())  # type: ignore[attr-defined]
    assert "From your logged study time" not in text
    assert "Logged study time: 0.5 h so far; aipm forecasts from it once it spans 14 days" in text
    assert "Until then, the forecast is at your weekly hours." in text
    # The average is not 0m after a session this week: it is measured since the first session.
    assert "30m a week on average since 2026-11-24" in text
    study = json.loads(at(home, NOW, "status", "--json").stdout)["study"]  # type: ignore[attr-defined]
    assert study["average_minutes"] == 30 and study["pace_enough"] is False


def test_little_finished_work_cannot_move_the_finish_to_days_away(tmp_path: Path) -> None:
    """Thirty minutes logged on a finished 32-hour course is partial logging, not a 64x pace."""
    home = tmp_path / "a"
    at(home, NOW, "config", "hours_per_week", "8", device="laptop")
    for day in ("2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24"):
        at(home, NOW, "study", "add", ITEM, "2h" if day != "2026-11-03" else "10m", "--on", day)
    at(home, NOW, "done", ITEM)
    f = forecast(home)
    assert f["studied_per_source_hour"] >= 0.5  # blended and bounded (study_pace.FACTOR_RANGE)
    low, _high = f["studied_remaining_hours"]
    assert low >= f["source_hours"][0] * 0.5 + f["default_hours"][0] - 0.1
    first = f["studied_finish"][0]
    assert first > "2027-06-01"  # hundreds of hours left at about 1.6 h a week: years, not days


def test_status_its_study_lines_plan_and_the_reports_agree(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, NOW, "config", "hours_per_week", "6", device="laptop")
    for day in ("2026-10-20", "2026-11-01", "2026-11-09", "2026-11-16", "2026-11-23"):
        at(home, NOW, "study", "add", ITEM, "3h", "--on", day)
    status = json.loads(at(home, NOW, "status", "--json").stdout)  # type: ignore[attr-defined]
    f, study = status["forecast"], status["study"]
    # One measure: the forecast's hours a week are the study lines' average (the last four weeks).
    assert study["average_over_days"] == 28
    assert study["average_minutes"] == round(4 * 180 / 4)
    assert f["studied_hours_per_week"] == round(study["average_minutes"] / 60, 1) == 3.0
    text = " ".join(at(home, NOW, "status").stdout.split())  # type: ignore[attr-defined]
    assert "3h a week on average over the last four weeks" in text
    assert "From your logged study time (3 h a week on average since 2026-10-28;" in text
    # The plan at the weekly hours setting ends where status says the setting ends.
    plan = json.loads(at(home, NOW, "plan", "--json").stdout)  # type: ignore[attr-defined]
    assert plan["hours_per_week"] == f["hours_per_week"] == 6
    assert plan["finish_range"] == f["finish"]
    plan_text = " ".join(at(home, NOW, "plan").stdout.split())  # type: ignore[attr-defined]
    assert "From your logged study time (3 h a week on average" in plan_text
    # The reports carry the same forecast.
    report = json.loads(at(home, NOW, "export", "--format", "json").stdout)  # type: ignore[attr-defined]
    assert report["summary"]["forecast"] == f
    for fmt in ("md", "html"):
        out = " ".join(at(home, NOW, "export", "--format", fmt).stdout.split())  # type: ignore[attr-defined]
        assert "from your logged study time (3 h a week on average since 2026-10-28" in out, fmt
    # `today`: this week's time and the goal as status has them.
    today = json.loads(at(home, NOW, "today", "--json").stdout)  # type: ignore[attr-defined]
    assert today["week"]["minutes"] == study["week_minutes"] and today["goal_minutes"] == study["goal_minutes"]
