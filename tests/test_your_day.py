"""Every date aipm takes from the clock is the learner's day in the learner's zone (README: Your day).

Each test pins the clock at an instant where UTC's date and the learner's differ, in both directions,
and sets TZ itself, so nothing here depends on the machine's zone.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import invoke_line

ITEM, OTHER, THIRD = "ai-for-everyone", "identifying-ai-opportunities", "cross-functional-collaboration"

# (zone, now, the learner's day, UTC's day): a Sunday and a Monday apart, so the weeks differ too.
HONOLULU = ("Pacific/Honolulu", "2026-11-16T06:00:00+00:00", "2026-11-15", "2026-11-16")  # Sunday 20:00 there
KIRITIMATI = ("Pacific/Kiritimati", "2026-11-15T12:00:00+00:00", "2026-11-16", "2026-11-15")  # Monday 02:00 there
ZONES = [HONOLULU, KIRITIMATI]


def monday(day: str) -> str:
    d = date.fromisoformat(day)
    return date.fromordinal(d.toordinal() - d.weekday()).isoformat()


def aipm(home: Path, now: str, *args: str, tz: str = "UTC", direct: bool = True) -> str:
    env = {"AIPM_HOME": str(home), "AIPM_NOW": now, "TZ": tz}
    result = invoke_line(list(args), env=env, direct=direct)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result.stdout


def learner_in(home: Path, zone: str, now: str, tz: str = "UTC") -> str:
    """A learner whose `timezone` setting is `zone`, on a machine whose TZ is `tz` (the setting wins)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "device").write_text("laptop\n")
    aipm(home, now, "config", "timezone", zone, tz=tz)
    return zone


def log(home: Path, now: str, *args: str) -> list[dict]:
    return json.loads(aipm(home, now, "log", "--json", *args))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- #
# The core
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("zone, now, mine, utc", ZONES)
def test_the_learner_s_today_and_the_date_a_change_is_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str, now: str, mine: str, utc: str
) -> None:
    from aipm_cli.learner import Learner

    monkeypatch.setenv("TZ", "UTC")
    moment = datetime.fromisoformat(now)
    learner = Learner(tmp_path / "home", user="ada", now=lambda: moment)
    learner.config.set("timezone", zone)
    assert learner.today() == date.fromisoformat(mine) != date.fromisoformat(utc)
    assert learner.now() == moment and learner.now().date() == learner.today()
    marked = learner.mark("done", [ITEM])
    assert marked.on.isoformat() == mine
    learner.add_note(ITEM, "a note")
    changes = list(learner.log())
    assert [c["on"] for c in changes] == [mine, mine]
    # When it was recorded stays an instant in UTC.
    assert {c["at"] for c in changes} == {moment.astimezone(UTC).isoformat()}
    assert learner.summary().today.isoformat() == mine


@pytest.mark.parametrize("zone, now, mine, utc", ZONES)
def test_tz_decides_when_no_zone_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str, now: str, mine: str, utc: str
) -> None:
    from aipm_cli.learner import Learner

    monkeypatch.setenv("TZ", zone)
    learner = Learner(tmp_path / "home", user="ada", now=lambda: datetime.fromisoformat(now))
    assert learner.today().isoformat() == mine
    assert learner.mark("start", [ITEM]).on.isoformat() == mine


# --------------------------------------------------------------------------- #
# The command line
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("zone, now, mine, utc", ZONES)
def test_done_today_and_yesterday_are_the_learner_s_days(
    tmp_path: Path, zone: str, now: str, mine: str, utc: str
) -> None:
    home = tmp_path / "a"
    learner_in(home, zone, now, tz="Asia/Tokyo")  # the setting wins over TZ
    assert json.loads(aipm(home, now, "today", "--json"))["today"] == mine
    aipm(home, now, "done", ITEM)
    aipm(home, now, "done", OTHER, "--on", "today", direct=False)  # the Typer path says the same
    aipm(home, now, "start", THIRD, "--on", "yesterday")
    yesterday = date.fromordinal(date.fromisoformat(mine).toordinal() - 1).isoformat()
    assert [(c["items"], c["on"]) for c in log(home, now)] == [
        ([THIRD], yesterday), ([OTHER], mine), ([ITEM], mine),
    ]  # fmt: skip
    # The learner's date is never "in the future", and a later one always is.
    aipm(home, now, "note", ITEM, "dated", "--on", mine)
    after = date.fromordinal(date.fromisoformat(max(mine, utc)).toordinal() + 1).isoformat()
    refused = invoke_line(
        ["note", ITEM, "later", "--on", after], env={"AIPM_HOME": str(home), "AIPM_NOW": now, "TZ": "UTC"}
    )
    assert refused.exit_code == 2 and "in the future" in refused.stderr


@pytest.mark.parametrize("zone, now, mine, utc", ZONES)
def test_log_since_today_and_the_times_it_shows(tmp_path: Path, zone: str, now: str, mine: str, utc: str) -> None:
    home = tmp_path / "a"
    learner_in(home, zone, now)
    aipm(home, now, "done", ITEM, "--on", "yesterday")
    aipm(home, now, "done", OTHER)
    assert [c["items"] for c in log(home, now, "--since", "today")] == [[OTHER]]
    assert [c["items"] for c in log(home, now, "--until", "yesterday")] == [[ITEM]]
    # --json keeps `at` as recorded, in UTC.
    assert {c["at"] for c in log(home, now)} == {now}
    # The text says the learner's time and names the zone once, above the first change.
    local = datetime.fromisoformat(now).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    text = aipm(home, now, "log")
    assert text.splitlines()[0] == f"Times are in your time zone, {zone}."
    assert text.count(zone) == 1 and text.count(f"recorded {local} on laptop") == 2
    assert text.splitlines()[1].startswith(mine)  # under the learner's day, with no "· for" another
    assert "· for" not in text.split(OTHER)[1].split("\n")[1]
    users = aipm(home, now, "users").splitlines()  # the day of the last change, as log says it
    assert users[1].split()[-1] == mine
    shown = aipm(home, now, "show", OTHER)
    assert f"History (times in {zone})" in shown and f"recorded {local} on laptop" in shown
    assert aipm(tmp_path / "empty", now, "log") == "No changes yet.\n"


@pytest.mark.parametrize("zone, now, mine, utc", ZONES)
def test_log_on_a_terminal_says_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str, now: str, mine: str, utc: str
) -> None:
    """The rich view (a terminal) says the learner's time and zone as the plain lines do."""
    home = tmp_path / "a"
    learner_in(home, zone, now)
    aipm(home, now, "done", ITEM)
    monkeypatch.setattr("aipm_cli.render.safe.is_terminal", lambda stream: True)
    local = datetime.fromisoformat(now).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    lines = aipm(home, now, "log").splitlines()
    assert lines[0] == f"Times are in your time zone, {zone}."
    assert lines[1].startswith(f"{mine}  done") and f"recorded {local} on laptop" in lines[2]


@pytest.mark.parametrize("zone, now, mine, utc", ZONES)
def test_status_week_and_active_weeks_are_the_learner_s(
    tmp_path: Path, zone: str, now: str, mine: str, utc: str
) -> None:
    home = tmp_path / "a"
    learner_in(home, zone, now)
    aipm(home, now, "done", ITEM)
    status = json.loads(aipm(home, now, "status", "--json"))
    assert status["today"] == mine and status["study"]["today"] == mine
    assert monday(mine) != monday(utc)
    week_before, this_week = status["weeks"][-2:]
    assert this_week["week_of"] == monday(mine) and this_week["active"]
    assert not week_before["active"] and status["active_weeks"] == 1


@pytest.mark.parametrize("zone, now, mine, utc", ZONES)
def test_plan_export_and_review_days_are_the_learner_s(
    tmp_path: Path, zone: str, now: str, mine: str, utc: str
) -> None:
    home = tmp_path / "a"
    learner_in(home, zone, now)
    aipm(home, now, "done", ITEM, "--on", "2026-11-01")
    assert json.loads(aipm(home, now, "plan", "--json"))["start"] == mine
    export = json.loads(aipm(home, now, "export", "--format", "json"))
    assert export["as_of"] == mine and export["exported_at"] == now  # when: an instant, in UTC
    assert f"_Generated by aipm on {mine}._" in aipm(home, now, "export", "--format", "md")
    scheduled = json.loads(aipm(home, now, "review", "--all", "--json"))["due"]
    assert [e["id"] for e in scheduled] == [ITEM]
    due = datetime.fromisoformat(scheduled[0]["due"])
    assert scheduled[0]["due_on"] == due.astimezone(ZoneInfo(zone)).date().isoformat()
    if zone == HONOLULU[0]:  # due at 00:00 UTC: the afternoon before, in Honolulu
        assert scheduled[0]["due_on"] != due.date().isoformat()
    assert f"due {scheduled[0]['due_on']}" in aipm(home, now, "review", "--all")
    # A change that names no date (a review rating, a study session) is for the learner's day too.
    rated = json.loads(aipm(home, now, "review", ITEM, "good", "--json"))
    assert rated["due_on"] == datetime.fromisoformat(rated["due"]).astimezone(ZoneInfo(zone)).date().isoformat()
    aipm(home, now, "study", "add", OTHER, "20m")
    assert [(c["action"], c["on"]) for c in log(home, now)][:2] == [("study", mine), ("review", mine)]


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham"]
)
def test_recorded_times_in_the_learner_s_zone_across_its_changes_of_offset(zone: str) -> None:
    """log's times, asked of the zone once an hour (render.history.recorded_at), are the zone's own minute by
    minute through a year of daylight-saving changes, in zones whose offsets are not whole hours too."""
    from datetime import timedelta

    from aipm_cli.render.history import recorded_at

    where = ZoneInfo(zone)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    wrong = []
    while moment.year == 2026:
        written = moment.isoformat(timespec="milliseconds")
        if recorded_at(written, where) != moment.astimezone(where).strftime("%Y-%m-%d %H:%M"):
            wrong.append(written)
        moment += timedelta(minutes=29)
    assert wrong == []
    assert recorded_at("2026-11-24T10:00:00+00:00", None) == "2026-11-24 10:00"  # as written
