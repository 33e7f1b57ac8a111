"""The calendar that keeps up: read by two independent parsers, reminders, sequence, cancellations,
no overlaps, weekly study blocks, awkward titles."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import vobject

from conftest import Run


def events(path: Path) -> list[Any]:
    return list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def by_uid(path: Path) -> dict[str, Any]:
    return {str(e["UID"]): e for e in events(path)}


def vevents(path: Path) -> list[Any]:
    calendar = vobject.readOne(path.read_text(encoding="utf-8"))
    return list(calendar.vevent_list)


UID = "ada.ai-product-manager.{}@aipm"


def test_both_parsers_read_reminders_and_the_same_events(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    result = run("plan", "--ics", str(target), "--remind", "1d", "--remind", "2h")
    assert result.exit_code == 0, result.stderr
    ours = events(target)
    theirs = vevents(target)
    assert [str(e["UID"]) for e in ours] == [v.uid.value for v in theirs]
    assert [str(e["SUMMARY"]) for e in ours] == [v.summary.value for v in theirs]
    assert [e.decoded("DTSTART") for e in ours] == [v.dtstart.value for v in theirs]
    for event, vevent in zip(ours, theirs, strict=True):
        alarms = [a for a in event.subcomponents if a.name == "VALARM"]
        assert sorted(a.decoded("TRIGGER") for a in alarms) == [-timedelta(days=1), -timedelta(hours=2)]
        assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
        assert sorted(a.trigger.value for a in vevent.valarm_list) == [-timedelta(days=1), -timedelta(hours=2)]
        assert int(event["SEQUENCE"]) == int(vevent.sequence.value) == 0
        assert str(event["STATUS"]) == vevent.status.value == "CONFIRMED"


def test_sequence_grows_when_an_event_changes_and_finished_items_are_cancelled(
    run: Run, tmp_path: Path, home: Path
) -> None:
    first, second, third = (tmp_path / f"{n}.ics" for n in ("first", "second", "third"))
    run("plan", "--ics", str(first))
    assert run("plan", "--ics", str(tmp_path / "again.ics")).exit_code == 0
    unchanged = by_uid(tmp_path / "again.ics")
    assert {int(e["SEQUENCE"]) for e in unchanged.values()} == {0}  # nothing changed: the same sequence

    run("done", "ai-for-everyone")
    result = run("plan", "--ics", str(second))
    assert "and 1 cancelled" in result.stderr
    before, after = by_uid(first), by_uid(second)
    gone = after[UID.format("ai-for-everyone")]
    assert str(gone["STATUS"]) == "CANCELLED" and int(gone["SEQUENCE"]) == 1
    assert gone.decoded("DTSTART") == before[UID.format("ai-for-everyone")].decoded("DTSTART")
    assert not [c for c in gone.subcomponents if c.name == "VALARM"]
    moved = after[UID.format("identifying-ai-opportunities")]
    assert moved.decoded("DTSTART") != before[UID.format("identifying-ai-opportunities")].decoded("DTSTART")
    assert int(moved["SEQUENCE"]) == 1 and str(moved["STATUS"]) == "CONFIRMED"
    vgone = next(v for v in vevents(second) if v.uid.value == UID.format("ai-for-everyone"))
    assert (vgone.status.value, int(vgone.sequence.value)) == ("CANCELLED", 1)

    # Later exports keep the cancellation (a calendar that only sees them still learns of it),
    # without raising its sequence again; an item that comes back is confirmed with a higher one.
    run("plan", "--ics", str(third))
    assert int(by_uid(third)[UID.format("ai-for-everyone")]["SEQUENCE"]) == 1
    run("reset", "ai-for-everyone")
    run("plan", "--ics", str(third))
    back = by_uid(third)[UID.format("ai-for-everyone")]
    assert (str(back["STATUS"]), int(back["SEQUENCE"])) == ("CONFIRMED", 2)

    state = home / "cache" / "calendar" / "ada.json"
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert oct(state.parent.stat().st_mode & 0o777) == "0o700"
    assert json.loads(state.read_text())["format"] == "aipm-calendar"


def test_a_damaged_state_file_only_starts_the_sequence_over(run: Run, tmp_path: Path, home: Path) -> None:
    state = home / "cache" / "calendar" / "ada.json"
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    assert run("plan", "--ics", str(tmp_path / "p.ics")).exit_code == 0
    assert json.loads(state.read_text())["events"]


def test_all_day_events_do_not_overlap(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    run("plan", "--ics", str(target), "--hours-per-week", "3")
    spans = [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events(target)]
    assert all(isinstance(s, date) and not isinstance(s, datetime) for s, _ in spans)
    for (start, end), (next_start, _) in zip(spans, spans[1:], strict=False):
        assert end > start
        # Each event ends (exclusively) by the day the next starts; only one-day events share a day.
        assert end <= next_start or (end - start == timedelta(days=1) and start == next_start)
    long_ones = [(s, e) for s, e in spans if e - s > timedelta(days=1)]
    assert long_ones
    for s, e in long_ones:
        assert not any(s2 < e and s < e2 for s2, e2 in spans if (s2, e2) != (s, e))


def test_weekly_blocks_carve_the_plan_into_timed_sessions(run: Run, run_json, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "plan.ics"
    result = run("plan", "--ics", str(target), "--blocks", "Tue,Thu 19:00-21:00; Sat 09:30-12:00", "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["hours_per_week"] == 6.5
    sessions = [(e.decoded("DTSTART"), e.decoded("DTEND"), str(e["UID"])) for e in events(target)]
    assert all(isinstance(s, datetime) and s.tzinfo is None for s, _, _ in sessions)  # floating local time
    allowed = {1: ("19:00", "21:00"), 3: ("19:00", "21:00"), 5: ("09:30", "12:00")}
    for start, end, _ in sessions:
        low, high = allowed[start.weekday()]
        assert start.date() == end.date() and low <= f"{start:%H:%M}" < f"{end:%H:%M}" <= high
    ordered = sorted(sessions)
    assert all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:], strict=False))  # no overlaps
    minutes = sum((e - s).total_seconds() / 60 for s, e, _ in sessions)
    assert minutes == sum(max(1, round(i["hours"] * 60)) for i in plan["items"])
    assert sessions[0][2] == UID.format("ai-for-everyone").replace("@aipm", ".1@aipm")
    assert sessions[0][0] == datetime(2026, 11, 24, 19, 0)  # the first block on or after the start
    first = plan["items"][0]
    assert (
        first["start"] == "2026-11-24"
        and first["end"] == f"{max(s for s, _, u in sessions if '.ai-for-everyone.' in u):%Y-%m-%d}"
    )
    assert len(vevents(target)) == len(sessions)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--blocks", "Tue 19-21"), "'Tue 19-21' is not a weekly study block."),
        (("--blocks", "Funday 10:00-11:00"), "'funday' in 'Funday 10:00-11:00' is not a weekday."),
        (("--blocks", "Tue 21:00-19:00"), "In 'Tue 21:00-19:00' the block ends before it starts."),
        (("--blocks", "Tue 25:00-26:00"), "'25:00' in 'Tue 25:00-26:00' is not a time of day."),
        (("--blocks", "Tue 19:00-21:00; tuesday 20:00-22:00"), "Two study blocks overlap on Tuesdays."),
        (("--blocks", "Tue 19:00-21:00", "-w", "4"), "Choose one of --blocks and --hours-per-week"),
        (("--remind", "1d"), "--remind needs --ics"),
        (("--ics", "x.ics", "--remind", "soon"), "'soon' is not a reminder time."),
        (("--ics", "x.ics", "--remind", "5w"), "A reminder 5w before is out of range."),
    ],
)
def test_bad_calendar_options_are_clean_errors(run: Run, home: Path, args: tuple[str, ...], message: str) -> None:
    """A value `plan` cannot use, or options that do not go together, are usage errors (exit 2) in our words."""
    result = run("plan", *args)
    assert result.exit_code == 2, result.stderr
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not (home / "cache" / "calendar").exists()


def test_titles_with_line_breaks_and_control_characters(run: Run, tmp_path: Path) -> None:
    title = "Line\\rbreak\\nand\\u2028separator\\u0007bell\\u001bescape; comma, done"
    plan_file = tmp_path / "odd.yaml"
    plan_file.write_text(
        'id: odd\ntitle: "Odd\\r\\ncalendar"\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n'
        "      - id: m\n        title: M\n        items:\n"
        f'          - {{id: odd-item, title: "{title}", kind: topic, duration: 2h}}\n'
    )
    target = tmp_path / "odd.ics"
    result = run("--roadmap", str(plan_file), "plan", "--ics", str(target), "--remind", "30m")
    assert result.exit_code == 0, result.stderr
    raw = target.read_bytes()
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert not any(b < 0x20 and b != 0x09 for line in lines for b in line)  # no bare CR, LF or control byte
    summary = str(events(target)[0]["SUMMARY"])
    assert summary == vevents(target)[0].summary.value
    assert "\r" not in summary and "\x07" not in summary and "\x1b" not in summary
    assert summary.startswith("Line\nbreak\nand\nseparator\ufffdbell\ufffdescape") and summary.endswith("; comma, done")


def test_the_calendar_library_is_imported_only_for_a_calendar() -> None:
    import subprocess
    import sys

    code = "import sys; from aipm_cli.cli import main; import aipm_cli.plan; print('icalendar' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
