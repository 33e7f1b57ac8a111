"""Study time a learner cannot have studied is refused, and undo says what it set running again.

A new-user trial found: `study stop --spent 2h` half an hour into a session recorded a session ending
in the future; three `study add X 24h` made one day 72 hours; `undo` after `study stop` set the session
running again without a word (two days later `study` said 98 hours); `status` right after the first
`study start` said "0m a week on average since None".
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conftest import invoke_line

ITEM = "ai-for-everyone"
OTHER = "identifying-ai-opportunities"


def at(home: Path, moment: str, *args: str, expect: int = 0) -> object:
    """Run aipm on a data directory (device `laptop`, zone UTC unless set) at a moment."""
    if not home.exists():
        home.mkdir(parents=True)
        (home / "device").write_text("laptop\n")
    result = invoke_line(list(args), env={"AIPM_HOME": str(home), "AIPM_NOW": moment, "TZ": "UTC"})
    assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def logs(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((home / "learners").rglob("*.jsonl"))}


def overview(home: Path, moment: str) -> dict:
    return json.loads(at(home, moment, "study", "--json").stdout)  # type: ignore[attr-defined]


def learner_at(home: Path, moment: str) -> object:
    from aipm_cli.learner import Learner

    if not home.exists():
        home.mkdir(parents=True)
        (home / "device").write_text("laptop\n")
    when = datetime.fromisoformat(moment)
    learner = Learner(home, user="ada", now=lambda: when)
    learner.config.set("timezone", "UTC")
    return learner


# --------------------------------------------------------------------------- #
# 1. --spent is no longer than the session has run
# --------------------------------------------------------------------------- #


def test_spent_longer_than_the_session_is_refused_and_records_nothing(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "study", "start", ITEM)
    before = logs(home)
    refused = at(home, "2026-11-24T10:30:00+00:00", "study", "stop", "--spent", "2h", expect=2)  # as `--spent x`
    said = refused.stderr  # type: ignore[attr-defined]
    assert "2h is longer than the session on ai-for-everyone, which began 30m ago (2026-11-24 10:00 UTC)" in said
    assert f"`aipm study add {ITEM} TIME --on DATE`" in said and "Traceback" not in said
    assert logs(home) == before
    assert [r["item"] for r in overview(home, "2026-11-24T10:30:00+00:00")["running"]] == [ITEM]
    # The whole half hour is fine; after it, a new session at 11:00 is no overlap.
    at(home, "2026-11-24T10:30:00+00:00", "study", "stop", "--spent", "30m")
    at(home, "2026-11-24T11:00:00+00:00", "study", "start", ITEM)
    at(home, "2026-11-24T11:20:00+00:00", "study", "stop")
    assert overview(home, "2026-11-24T12:00:00+00:00")["total_minutes"] == 50


def test_the_core_refuses_spent_longer_than_the_session(tmp_path: Path) -> None:
    from aipm_cli import study
    from aipm_cli.errors import UsageError

    home = tmp_path / "a"
    study.start(learner_at(home, "2026-11-24T10:00:00+00:00"), ITEM)  # type: ignore[arg-type]
    before = logs(home)
    with pytest.raises(UsageError, match="31m is longer than the session") as refused:
        study.stop(learner_at(home, "2026-11-24T10:30:59+00:00"), None, 31)  # type: ignore[arg-type]
    assert refused.value.option == "--spent"
    assert logs(home) == before
    done = study.stop(learner_at(home, "2026-11-24T10:30:59+00:00"), None, 30)  # type: ignore[arg-type]
    assert done["minutes"] == 30


# --------------------------------------------------------------------------- #
# 2. undo after study stop: the session runs again, and undo says so
# --------------------------------------------------------------------------- #


def test_undoing_a_stop_says_the_session_runs_again_and_how_to_end_or_discard_it(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "study", "start", ITEM)
    at(home, "2026-11-24T12:00:00+00:00", "study", "stop")
    undone = at(home, "2026-11-24T12:05:00+00:00", "undo").stderr  # type: ignore[attr-defined]
    assert "Undid study session of 2h00m on ai-for-everyone" in undone
    assert (
        "The session on ai-for-everyone is running again, since 2026-11-24 10:00 UTC (2h05m ago): "
        "`aipm study stop` ends it; `aipm undo` again discards it." in undone
    )
    assert [r["minutes"] for r in overview(home, "2026-11-24T12:05:00+00:00")["running"]] == [125]
    # As said: undo again discards it.
    at(home, "2026-11-24T12:06:00+00:00", "undo")
    data = overview(home, "2026-11-24T12:06:00+00:00")
    assert data["running"] == [] and data["total_minutes"] == 0


def test_undo_does_not_promise_to_discard_when_another_change_comes_first(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "study", "start", ITEM)
    at(home, "2026-11-24T10:10:00+00:00", "note", OTHER, "read chapter 1")
    at(home, "2026-11-24T12:00:00+00:00", "study", "stop")
    undone = at(home, "2026-11-24T12:05:00+00:00", "undo").stderr  # type: ignore[attr-defined]
    assert "is running again, since 2026-11-24 10:00 UTC (2h05m ago): `aipm study stop` ends it." in undone
    assert "discards" not in undone
    plain = at(home, "2026-11-24T12:06:00+00:00", "undo").stderr  # type: ignore[attr-defined]
    assert "Undid note" in plain and "running again" not in plain


def test_a_session_running_again_for_days_is_never_recorded_at_the_clocks_time(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "study", "start", ITEM)
    at(home, "2026-11-24T12:00:00+00:00", "study", "stop")
    at(home, "2026-11-24T12:01:00+00:00", "study", "start", OTHER)
    at(home, "2026-11-24T12:30:00+00:00", "study", "stop")
    at(home, "2026-11-24T12:31:00+00:00", "undo")  # the OTHER session's stop
    later = "2026-11-26T12:36:00+00:00"
    shown = at(home, later, "study").stdout  # type: ignore[attr-defined]
    assert (
        "for 48h35m, more than a day; `aipm study stop --spent TIME` records the time you really studied"
        in " ".join(shown.split())
    )
    before = logs(home)
    refused = at(home, later, "study", "stop", expect=1).stderr  # type: ignore[attr-defined]
    assert "has been running since 2026-11-24 12:01 UTC: 48h35m, more than a day" in refused
    assert "--spent" in refused and logs(home) == before
    at(home, later, "study", "stop", "--spent", "25m")
    data = overview(home, later)
    assert data["running"] == [] and {i["id"]: i["minutes"] for i in data["items"]} == {ITEM: 120, OTHER: 25}


def test_undoing_a_stop_days_later_says_to_give_the_time_studied(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "study", "start", ITEM)
    at(home, "2026-11-24T10:05:00+00:00", "note", OTHER, "between")
    at(home, "2026-11-24T12:00:00+00:00", "study", "stop")
    undone = at(home, "2026-11-26T12:05:00+00:00", "undo").stderr  # type: ignore[attr-defined]
    assert (
        "running again, since 2026-11-24 10:00 UTC (50h05m ago): `aipm study stop --spent TIME` records the time "
        "you really studied." in undone
    )


def test_the_core_says_which_undo_set_a_session_running_again(tmp_path: Path) -> None:
    from aipm_cli import study

    home = tmp_path / "a"
    study.start(learner_at(home, "2026-11-24T10:00:00+00:00"), ITEM)  # type: ignore[arg-type]
    study.stop(learner_at(home, "2026-11-24T11:00:00+00:00"))  # type: ignore[arg-type]
    learner = learner_at(home, "2026-11-24T11:30:00+00:00")
    undone = learner.undo()  # type: ignore[attr-defined]
    session = study.reopened(learner, undone)  # type: ignore[arg-type]
    assert session is not None
    assert (session["item"], session["minutes"], session["undo_discards"], session["over_a_day"]) == (
        ITEM, 90, True, False
    )  # fmt: skip
    learner = learner_at(home, "2026-11-24T11:31:00+00:00")
    assert study.reopened(learner, learner.undo()) is None  # type: ignore[arg-type, attr-defined]  # the start


# --------------------------------------------------------------------------- #
# 3. No average before there is time
# --------------------------------------------------------------------------- #


def test_status_says_nothing_of_an_average_before_time_is_logged(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "study", "start", ITEM)
    now = "2026-11-24T10:01:00+00:00"
    text = at(home, now, "status").stdout  # type: ignore[attr-defined]
    assert "running: ai-for-everyone since 2026-11-24 10:00 UTC" in text
    assert "since None" not in text and "on average" not in text and "goal met" not in text
    block = json.loads(at(home, now, "status", "--json").stdout)["study"]  # type: ignore[attr-defined]
    assert (block["average_minutes"], block["average_since"], block["average_over_days"]) == (None, None, 0)
    assert "None" not in at(home, now, "study").stdout  # type: ignore[attr-defined]
    for fmt in ("md", "html", "csv", "json"):
        report = at(home, now, "export", "--format", fmt).stdout  # type: ignore[attr-defined]
        assert "since None" not in report and "on average" not in report and "average_" not in report
    # Once there is time, the average is said, with its day.
    at(home, "2026-11-24T11:00:00+00:00", "study", "stop")
    text = at(home, "2026-11-24T11:01:00+00:00", "status").stdout  # type: ignore[attr-defined]
    assert "1h a week on average since 2026-11-24" in text and "goal met in 0 of the last 8 weeks" in text


def test_the_weekly_measure_has_no_average_without_time() -> None:
    from aipm_cli.record.studying import Study
    from aipm_cli.study_pace import weekly_goal

    measure = weekly_goal(Study(), UTC, date(2026, 11, 24), 480)
    assert (measure["average_minutes"], measure["average_since"], measure["weeks_met"]) == (None, None, 0)


# --------------------------------------------------------------------------- #
# 4. A day holds 24 hours of study time
# --------------------------------------------------------------------------- #


def test_time_added_beyond_24_hours_a_day_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "a"
    now, day = "2026-11-27T11:00:00+00:00", "2026-11-26"  # (a day gone by: all of it had passed)
    at(home, now, "study", "add", ITEM, "10h", "--on", day)
    at(home, now, "study", "add", OTHER, "10h", "--on", day)
    before = logs(home)
    refused = at(home, now, "study", "add", ITEM, "10h", "--on", day, expect=1).stderr  # type: ignore[attr-defined]
    assert (
        "2026-11-26 already has 20h of study time; 10h more would make 30h, more than a day of 24 hours "
        "(at most 4h more fits)." in refused
    )
    assert logs(home) == before
    at(home, now, "study", "add", ITEM, "4h", "--on", day)
    refused = at(home, now, "study", "add", ITEM, "1m", "--on", day, expect=1).stderr  # type: ignore[attr-defined]
    assert "(nothing more fits)" in refused
    assert at(home, now, "study", "add", ITEM, "24h", "--on", "2026-11-25")  # another day: room
    days = {d["day"]: d["minutes"] for d in overview(home, now)["week"]["days"]}
    assert (days["2026-11-25"], days["2026-11-26"]) == (24 * 60, 24 * 60)


def test_time_added_for_today_is_no_more_than_the_day_has_had(tmp_path: Path) -> None:
    """At 09:00, 24 hours studied today cannot be true (it then blocked the real session stopped at noon)."""
    home = tmp_path / "a"
    refused = at(home, "2026-11-24T09:00:00+00:00", "study", "add", ITEM, "24h", expect=1).stderr  # type: ignore[attr-defined]
    assert "It is 09:00: today has had 9h so far, so 24h more cannot have been studied today." in refused
    assert not (home / "learners").exists() or logs(home) == {}
    at(home, "2026-11-24T09:00:00+00:00", "study", "add", ITEM, "8h")
    refused = at(home, "2026-11-24T09:00:00+00:00", "study", "add", ITEM, "2h", expect=1).stderr  # type: ignore[attr-defined]
    assert "today has had 9h so far, 8h of it recorded already" in refused
    at(home, "2026-11-24T09:00:00+00:00", "study", "add", ITEM, "2h", "--on", "yesterday")


def test_a_session_that_would_overfill_its_day_in_the_learners_zone_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T08:00:00+00:00", "config", "timezone", "Pacific/Honolulu")  # UTC-10
    # 08:00 UTC is 22:00 on the 23rd in Honolulu: 22 hours of that day have passed.
    at(home, "2026-11-24T08:00:00+00:00", "study", "add", ITEM, "22h", "--on", "2026-11-23")
    # 09:00 UTC is 23:00 on the 23rd in Honolulu: the session counts on the 23rd (in UTC it would be the 24th).
    at(home, "2026-11-24T09:00:00+00:00", "study", "start", OTHER)
    before = logs(home)
    refused = at(home, "2026-11-24T11:30:00+00:00", "study", "stop", expect=1).stderr  # type: ignore[attr-defined]
    assert "2026-11-23 already has 22h of study time; 2h30m more would make 24h30m" in refused
    assert logs(home) == before
    at(home, "2026-11-24T11:30:00+00:00", "study", "stop", "--spent", "1h")
    assert overview(home, "2026-11-24T11:30:00+00:00")["total_minutes"] == 23 * 60


def test_imported_intervals_beyond_24_hours_a_day_are_left_out(tmp_path: Path) -> None:
    home = tmp_path / "a"
    now = "2026-11-26T12:00:00+00:00"
    at(home, now, "study", "add", ITEM, "20h", "--on", "2026-11-24")
    start = int(datetime(2026, 11, 24, 9, tzinfo=UTC).timestamp())
    frames = [
        [start, start + 3 * 3600, ITEM, "a" * 32, [], start + 3 * 3600],  # 3h: fits (23h)
        [start + 4 * 3600, start + 6 * 3600, ITEM, "b" * 32, [], start + 6 * 3600],  # 2h more: 25h, left out
        [start + 86400, start + 86400 + 3600, ITEM, "c" * 32, [], start + 86400 + 3600],  # the next day: fits
    ]
    path = tmp_path / "frames"
    path.write_text(json.dumps(frames))
    result = json.loads(at(home, now, "study", "import", str(path), "--json").stdout)  # type: ignore[attr-defined]
    assert (result["added"], result["minutes_added"], result["over_a_day"]) == (2, 240, 1)
    assert [(u["start"], u["reason"]) for u in result["unmatched"]] == [
        ("2026-11-24 13:00", "2026-11-24 would have more than 24 hours")
    ]
    assert overview(home, now)["total_minutes"] == 20 * 60 + 240
    # Only the left-out one remains, and it still does not fit: nothing imported, said plainly.
    again = at(home, now, "study", "import", str(path))
    assert "Nothing new" in again.stderr  # type: ignore[attr-defined]
    assert "2026-11-24 13:00  ai-for-everyone: 2026-11-24 would have more than 24 hours" in again.stdout  # type: ignore[attr-defined]


def test_the_core_refuses_a_day_over_24_hours(tmp_path: Path) -> None:
    from aipm_cli import study
    from aipm_cli.errors import InputError

    home = tmp_path / "a"
    learner = learner_at(home, "2026-11-26T11:00:00+00:00")
    study.add(learner, ITEM, 24 * 60, date(2026, 11, 25))  # type: ignore[arg-type]
    before = logs(home)
    with pytest.raises(InputError, match="more than a day of 24 hours"):
        study.add(learner, OTHER, 1, date(2026, 11, 25))  # type: ignore[arg-type]
    assert logs(home) == before
    assert study.day_room(learner.read_state().study, UTC, date(2026, 11, 25)) == (24 * 60, 0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "zone", ["UTC", "Pacific/Honolulu", "Asia/Kathmandu", "Pacific/Chatham", "America/Santiago", "Europe/Berlin"]
)
def test_a_days_room_is_what_the_views_count_on_that_day(zone: str) -> None:
    """day_room reads a day's own quarter hours; the views walk every slot (minutes_by_day): the same
    minutes on every day, across changes of summer time and the slots kept by UTC day."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from aipm_cli.record.studying import SLOT_DAYS, Study, apply_study
    from aipm_cli.study import day_room, minutes_by_day

    study = Study()
    moment = datetime(2024, 1, 1, 0, 7, tzinfo=UTC)
    number = 0
    while moment < datetime(2026, 12, 31, tzinfo=UTC):
        began = moment.isoformat(timespec="seconds")
        apply_study(study, {"op": "study", "minutes": 1 + number % 90, "began": began, "device": "a",
                            "on": moment.date().isoformat(), "source": "x"}, ITEM)  # fmt: skip
        if number % 7 == 0:
            apply_study(study, {"op": "study", "minutes": 30, "on": moment.date().isoformat(), "device": "a"}, ITEM)
        moment += timedelta(minutes=97 + 131 * (number % 5))
        number += 1
    tz = ZoneInfo(zone)
    newest = datetime(2026, 12, 31, tzinfo=UTC).date()
    checked = 0
    for offset in range(0, 3 * 365, 3):
        day = newest - timedelta(days=offset)
        assert day_room(study, tz, day)[0] == minutes_by_day(study, tz, day, day).get(day, 0), day
        checked += 1
    assert checked > 300 and (newest - timedelta(days=SLOT_DAYS + 10)) >= datetime(2024, 1, 1).date()
