"""Skills self-assessment, settings, the study plan and its calendar export."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest

from conftest import Run


def test_ratings_are_kept_with_their_dates(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    assert (
        run(
            "assess", "product-management", "2", "--note", "first try", env={"AIPM_NOW": "2026-09-01T10:00:00+00:00"}
        ).exit_code
        == 0
    )
    result = run("assess", "Product Management Skills", "4")
    assert result.stderr == "✓ Product Management Skills: 4 Advanced (was 2).\n"
    skills = run_json("skills")
    pm = next(s for s in skills if s["id"] == "product-management")
    assert set(pm) >= {"id", "title", "rating", "history", "coverage"}
    assert pm["rating"] == 4
    assert pm["change"] == 2
    assert pm["history"] == [
        {"on": "2026-09-01", "level": 2, "note": "first try"},
        {"on": "2026-11-24", "level": 4, "note": None},
    ]
    assert next(s for s in skills if s["id"] == "ethics")["rating"] is None


def test_coverage_counts_done_items_that_build_the_skill(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    before = next(s for s in run_json("skills") if s["id"] == "ethics")["coverage"]
    assert before["done"] == 0
    run("done", "bias-detection", "transparency", "user-research")
    after = next(s for s in run_json("skills") if s["id"] == "ethics")["coverage"]
    assert after["done"] == 2
    assert after["total"] == before["total"] == 10
    assert after["items_done"] == ["bias-detection", "transparency"]


def test_skills_view(run: Run) -> None:
    run("assess", "ethics", "3")
    run("assess", "ethics", "4")
    text = run("skills").stdout
    assert "Ethical Understanding" in text
    assert "●●●●○ 4 Advanced" in text
    assert "+1" in text
    assert "not rated" in text


def test_undo_reverts_a_rating(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("assess", "ethics", "3")
    run("assess", "ethics", "5")
    assert run("undo").stderr.startswith("✓ Undid assess ethics 5")
    assert next(s for s in run_json("skills") if s["id"] == "ethics")["rating"] == 3


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("assess", "ethics", "0"), "'0' is not a level from 1 to 5.", 2),
        (("assess", "ethics", "6"), "'6' is not a level from 1 to 5.", 2),
        (("assess", "ethics", "high"), "'high' is not a level from 1 to 5.", 2),
        (("assess", "cooking", "3"), "No skill matches 'cooking'.", 1),
        (("assess", "ethics", "3", "--on", "someday"), "'someday' is not a date aipm understands.", 2),
        (("plan", "--hours-per-week", "0"), "0 hours a week is out of range.", 2),
        (("plan", "--hours-per-week", "-5"), "-5 hours a week is out of range.", 2),
        (("plan", "--hours-per-week", "lots"), "'lots' is not a number of hours.", 2),
        (("plan", "--start", "2026-02-30"), "'2026-02-30' is not a start date aipm understands.", 2),
        (("config", "colour", "blue"), "There is no setting called 'colour'.", 2),
        (("config", "hours_per_week", "zero"), "'zero' is not a number of hours.", 2),
        (("config", "user", "a/b"), "'a/b' is not a usable learner name.", 2),
        (("config", "roadmap", "nonexistent"), "No roadmap called 'nonexistent'.", 1),
    ],
)
def test_bad_input_is_a_clean_error_and_changes_nothing(
    run: Run, home: Path, args: tuple[str, ...], message: str, code: int
) -> None:
    # A value given to an option or argument that cannot be used is a usage error (exit 2).
    result = run(*args)
    assert result.exit_code == code
    if code == 1:
        assert result.stderr.splitlines()[0] == f"Error: {message}"
    else:
        assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not (home / "learners").exists()
    assert not (home / "config.json").exists()


# --------------------------------------------------------------------------- #
# Settings
# --------------------------------------------------------------------------- #


def test_config_list_get_set_unset(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    assert run_json("config") == {
        "hours_per_week": 8.0, "roadmap": "ai-product-manager", "user": None, "name": None, "headline": None,
        "links": None, "lrs_endpoint": None, "lrs_home_page": None,
    }  # fmt: skip
    assert run("config", "hours_per_week", "6").stderr == "✓ hours_per_week = 6\n"
    assert run("config", "hours_per_week").stdout == "6\n"
    assert run("config", "hours-per-week").stdout == "6\n"
    assert "hours_per_week = 6 (config.json; default 8)" in run("config").stdout
    run("config", "--unset", "hours_per_week")
    assert run_json("config")["hours_per_week"] == 8.0


def test_weekly_hours_setting_drives_forecast_and_plan(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    slow_status = run_json("status")["forecast"]
    slow_plan = run_json("plan")
    run("config", "hours_per_week", "16")
    fast_status = run_json("status")["forecast"]
    fast_plan = run_json("plan")
    assert fast_status["hours_per_week"] == 16
    assert fast_status["finish"][1] < slow_status["finish"][1]
    assert fast_plan["finish"] < slow_plan["finish"]


def test_default_user_setting(run: Run, run_json, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AIPM_USER")
    run("config", "user", "grace")
    run("done", "ai-for-everyone")
    assert run_json("status")["user"] == "grace"
    assert run_json("users")["users"][0]["user"] == "grace"


def test_roadmap_use_sets_the_default(run: Run, run_json, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "mine.yaml"
    plan.write_text(
        'id: mine\ntitle: Mine\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n'
        "        title: M\n        items:\n          - {id: only, title: Only, kind: topic}\n"
    )
    assert run("roadmap", "use", str(plan)).stderr == "✓ Now using Mine (mine v1).\n"
    assert run_json("status")["roadmap"]["id"] == "mine"


# --------------------------------------------------------------------------- #
# The plan
# --------------------------------------------------------------------------- #


def test_plan_order_in_progress_first_and_requires_respected(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("start", "agile-certification")  # late in the roadmap, no prerequisites
    run("start", "ml-pipeline")  # in progress, but its prerequisite is not done yet
    run("start", "follow-ai-product-blogs")  # a habit: ongoing, never scheduled
    plan = run_json("plan")
    ids = [i["id"] for i in plan["items"]]
    assert ids[:3] == ["agile-certification", "ai-for-everyone", "ml-pipeline"]
    assert "follow-ai-product-blogs" not in ids and "follow-ai-product-blogs" in plan["ongoing"]
    position = {item_id: n for n, item_id in enumerate(ids)}
    assert position["ai-for-everyone"] < position["digital-product-management"]
    assert max(position["ai-feature-analysis"], position["ai-product-prototype"]) < position["end-to-end-ai-product"]
    # dates run forward without gaps, from the start date
    assert plan["items"][0]["start"] == "2026-11-24"
    for a, b in zip(plan["items"], plan["items"][1:], strict=False):
        assert a["start"] <= a["end"] <= b["start"]
    assert plan["finish"] == plan["items"][-1]["end"]
    assert set(plan["items"][0]) >= {"id", "title", "start", "end", "hours"}


def test_plan_leaves_out_what_is_done_or_skipped(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "foundation")
    run("skip", "phase-4")
    ids = {i["id"] for i in run_json("plan")["items"]}
    assert "ai-for-everyone" not in ids and "team-leadership" not in ids
    assert "digital-product-management" in ids


def test_more_hours_finish_sooner(run_json) -> None:  # type: ignore[no-untyped-def]
    finishes = [run_json("plan", "--hours-per-week", str(h))["finish"] for h in (4, 8, 20)]
    assert finishes[0] > finishes[1] > finishes[2]


def test_plan_start_date(run_json) -> None:  # type: ignore[no-untyped-def]
    plan = run_json("plan", "--start", "2027-01-04")
    assert plan["start"] == "2027-01-04"
    assert plan["items"][0]["start"] == "2027-01-04"


def test_plan_view(run: Run) -> None:
    text = run("plan").stdout
    assert "AI for Everyone — Foundation Course" in text and "ai-for-everyone" in text
    assert "aipm's estimate: " in text and " items, " in text and " h of study = " in text
    assert "At 8 h a week: done between " in text and "done by" not in text


# --------------------------------------------------------------------------- #
# Calendar export
# --------------------------------------------------------------------------- #


def test_calendar_parses_with_icalendar(run: Run, run_json, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "plan.ics"
    result = run("plan", "--ics", str(target))
    assert result.exit_code == 0
    raw = target.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF everywhere
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    plan = run_json("plan")
    assert len(events) == len(plan["items"])
    first = events[0]
    assert str(first["SUMMARY"]) == "AI for Everyone"
    assert str(first["UID"]) == "ada.ai-product-manager.ai-for-everyone@aipm"
    assert first.decoded("DTSTART") == date(2026, 11, 24)
    # DTEND is exclusive: the day after the item's last day, or the day the next item starts if that is sooner
    ends = date.fromisoformat(plan["items"][0]["end"]) + timedelta(days=1)
    assert first.decoded("DTEND") == min(ends, date.fromisoformat(plan["items"][1]["start"]))
    assert str(first["URL"]) == "https://www.coursera.org/learn/ai-for-everyone"
    assert "aipm done ai-for-everyone" in str(first["DESCRIPTION"])


def test_calendar_uids_are_stable_per_learner_and_item(run: Run, tmp_path: Path) -> None:
    def uids(path: Path) -> list[str]:
        return [str(e["UID"]) for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")]

    run("plan", "--ics", str(tmp_path / "a.ics"))
    run("plan", "--ics", str(tmp_path / "b.ics"), env={"AIPM_NOW": "2026-12-24T10:00:00+00:00"})
    run("--user", "grace", "plan", "--ics", str(tmp_path / "c.ics"))
    assert uids(tmp_path / "a.ics") == uids(tmp_path / "b.ics")
    assert uids(tmp_path / "c.ics")[0] == "grace.ai-product-manager.ai-for-everyone@aipm"


def test_calendar_folds_and_escapes_long_and_special_titles(run: Run, tmp_path: Path) -> None:
    title = "Ünïcödé; commas, semicolons; a back\\slash and 🚀 emoji — " + "very long title " * 8
    plan_file = tmp_path / "odd.yaml"
    plan_file.write_text(
        'id: odd\ntitle: Odd\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n'
        f"        title: M\n        items:\n          - id: odd-item\n            title: {json.dumps(title, ensure_ascii=False)}\n"
        "            kind: topic\n            duration: 2h\n"
    )
    target = tmp_path / "odd.ics"
    assert run("--roadmap", str(plan_file), "plan", "--ics", str(target)).exit_code == 0
    raw = target.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    raw.decode("utf-8")  # folding never splits a character
    assert b"\\;" in raw and b"\\," in raw and b"\\\\" in raw
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert str(event["SUMMARY"]) == title.strip()


def test_calendar_to_a_missing_folder_is_a_clean_error(run: Run, tmp_path: Path) -> None:
    result = run("plan", "--ics", str(tmp_path / "nope" / "plan.ics"))
    assert result.exit_code == 1
    assert "does not exist" in result.stderr


def test_settings_keep_keys_this_aipm_does_not_know(run: Run, home) -> None:  # type: ignore[no-untyped-def]
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps({"from_a_newer_aipm": {"x": 1}, "hours_per_week": 6}))
    assert run("config", "hours_per_week", "5").exit_code == 0
    data = json.loads((home / "config.json").read_text())
    assert data == {"from_a_newer_aipm": {"x": 1}, "hours_per_week": 5.0}
    assert oct((home / "config.json").stat().st_mode & 0o777) == "0o600"
