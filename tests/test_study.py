"""Study time (issue 26): sessions as changes in the learner's log."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Run, invoke_line

ITEM = "ai-for-everyone"


def at(home: Path, moment: str, *args: str, expect: int = 0, device: str | None = None) -> object:
    """Run aipm on a data directory at a moment."""
    if device is not None:
        home.mkdir(parents=True, exist_ok=True)
        (home / "device").write_text(device + "\n")
    result = invoke_line(list(args), env={"AIPM_HOME": str(home), "AIPM_NOW": moment})
    assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def overview(home: Path, moment: str = "2026-11-26T12:00:00+00:00") -> dict:
    return json.loads(at(home, moment, "study", "--json").stdout)  # type: ignore[attr-defined]


def changes_dir(home: Path) -> Path:
    return home / "learners" / "ada" / "ai-product-manager" / "changes"


def test_start_stop_add_and_the_week(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T09:00:00+00:00", "study", "start", ITEM, device="laptop")
    running = overview(home, "2026-11-24T09:20:00+00:00")["running"]
    assert [(r["item"], r["minutes"], r["this_machine"]) for r in running] == [(ITEM, 20, True)]
    at(home, "2026-11-24T10:30:00+00:00", "study", "stop")
    at(home, "2026-11-24T11:00:00+00:00", "study", "add", ITEM, "1h30m", "--on", "2026-11-23")
    at(home, "2026-11-24T11:00:00+00:00", "study", "add", ITEM, "20m", "--on", "2026-11-20")  # the week before
    data = overview(home)
    assert data["running"] == []
    assert data["week"]["from"] == "2026-11-23" and data["week"]["minutes"] == 90 + 90
    days = {d["day"]: d["minutes"] for d in data["week"]["days"]}
    assert days["2026-11-23"] == 90 and days["2026-11-24"] == 90
    assert data["items"] == [{"id": ITEM, "title": "AI for Everyone", "minutes": 200}]
    assert data["sessions"] == 3


def test_undo_removes_a_session(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T09:00:00+00:00", "study", "add", ITEM, "45m", device="laptop")
    at(home, "2026-11-24T09:00:00+00:00", "study", "add", ITEM, "1h", device="laptop")
    assert overview(home)["total_minutes"] == 105
    result = at(home, "2026-11-24T09:05:00+00:00", "undo")
    assert "study session of 1h00m" in result.stderr  # type: ignore[attr-defined]
    assert overview(home)["total_minutes"] == 45
    at(home, "2026-11-24T09:06:00+00:00", "redo")
    assert overview(home)["total_minutes"] == 105


def test_one_session_at_a_time_on_a_machine_and_no_overlaps(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T09:00:00+00:00", "study", "start", ITEM, device="laptop")
    refused = at(home, "2026-11-24T09:10:00+00:00", "study", "start", "identifying-ai-opportunities", expect=1)
    assert "already" not in refused.stdout  # type: ignore[attr-defined]
    assert "running on this machine since 2026-11-24 09:00" in refused.stderr  # type: ignore[attr-defined]
    at(home, "2026-11-24T10:00:00+00:00", "study", "stop")
    # A start inside the session just recorded (a clock set back) overlaps it: refused, nothing written.
    before = {p.name: p.read_bytes() for p in changes_dir(home).glob("*.jsonl")}
    refused = at(home, "2026-11-24T09:30:00+00:00", "study", "start", ITEM, expect=1)
    assert "overlaps one already recorded on this machine" in refused.stderr  # type: ignore[attr-defined]
    assert {p.name: p.read_bytes() for p in changes_dir(home).glob("*.jsonl")} == before


def test_a_killed_process_leaves_a_running_session_that_stop_ends(tmp_path: Path) -> None:
    home = tmp_path / "a"
    home.mkdir()
    (home / "device").write_text("laptop\n")
    env = {**os.environ, "AIPM_HOME": str(home), "AIPM_NOW": "2026-11-24T09:00:00+00:00"}
    code = (
        "import os, signal, sys\n"
        "from aipm_cli.cli import run\n"
        "try:\n    run(['study', 'start', 'ai-for-everyone'])\nexcept SystemExit:\n    pass\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    later = {**env, "AIPM_NOW": "2026-11-24T09:50:00+00:00"}
    shown = subprocess.run([sys.executable, "-m", "aipm_cli", "study"], env=later, capture_output=True, text=True)
    assert "Studying AI for Everyone (ai-for-everyone) for 50m" in shown.stdout
    stop = subprocess.run(
        [sys.executable, "-m", "aipm_cli", "study", "stop"], env=later, capture_output=True, text=True
    )
    assert stop.returncode == 0, stop.stderr
    assert "Recorded 50m on ai-for-everyone" in stop.stderr
    assert overview(home)["running"] == [] and overview(home)["total_minutes"] == 50


def _join(target: Path, *sources: Path) -> None:
    """What sync does to the logs: every device's files in every data directory."""
    for source in sources:
        for path in changes_dir(source).glob("*.jsonl"):
            there = changes_dir(target) / path.name
            if not there.exists() or there.stat().st_size < path.stat().st_size:  # logs only ever grow
                shutil.copy2(path, there)


def test_two_devices_add_up_by_sync_and_by_import_in_any_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    at(a, "2026-11-24T09:00:00+00:00", "study", "start", ITEM, device="laptop")
    at(b, "2026-11-24T09:10:00+00:00", "study", "start", ITEM, device="desktop")  # other machine: allowed
    at(a, "2026-11-24T10:00:00+00:00", "study", "stop")
    at(b, "2026-11-24T09:40:00+00:00", "study", "stop")
    at(b, "2026-11-24T09:45:00+00:00", "study", "add", ITEM, "15m")
    # By the files (what sync moves), both ways.
    ab, ba = tmp_path / "ab", tmp_path / "ba"
    for joined, first, second in ((ab, a, b), (ba, b, a)):
        shutil.copytree(first, joined)
        _join(joined, second)
        assert overview(joined)["total_minutes"] == 60 + 30 + 15
    # By export and import, both ways.
    for sender in (a, b):
        exported = tmp_path / f"{sender.name}.json"
        exported.write_text(at(sender, "2026-11-25T08:00:00+00:00", "export", "--format", "json").stdout)  # type: ignore[attr-defined]
    at(a, "2026-11-25T08:00:00+00:00", "import", str(tmp_path / "b.json"))
    at(b, "2026-11-25T08:00:00+00:00", "import", str(tmp_path / "a.json"))
    assert overview(a) == overview(b) | {"running": overview(a)["running"]}
    assert overview(a)["total_minutes"] == 105 and overview(a)["sessions"] == 3


def test_a_session_started_on_one_machine_is_stopped_on_another(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    at(a, "2026-11-24T09:00:00+00:00", "study", "start", ITEM, device="laptop")
    at(b, "2026-11-24T08:00:00+00:00", "study", "add", ITEM, "5m", device="desktop")
    _join(b, a)
    running = overview(b, "2026-11-24T09:30:00+00:00")["running"]
    assert [(r["device"], r["this_machine"]) for r in running] == [("laptop", False)]
    at(b, "2026-11-24T09:30:00+00:00", "study", "stop")
    _join(a, b)
    assert overview(a)["running"] == [] and overview(a)["total_minutes"] == 35


def test_bad_times_and_targets_are_plain_errors(run: Run) -> None:
    for bad in ("soon", "0m", "25h", "1h99x"):
        result = run("study", "add", ITEM, bad)
        assert result.exit_code == 2, bad
        assert "Traceback" not in result.output
    result = run("study", "add", "foundation", "1h")
    assert result.exit_code == 1 and "time is logged on an item" in result.stderr
    result = run("study", "stop")
    assert result.exit_code == 1 and "No study session is running" in result.stderr


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"op": "study", "targets": [ITEM], "minutes": 0}, "minutes"),
        ({"op": "study", "targets": [ITEM], "minutes": 2000}, "minutes"),
        ({"op": "study", "targets": [ITEM], "minutes": True}, "minutes"),
        ({"op": "study", "targets": [ITEM, "x"], "minutes": 5}, "more or less than one"),
        ({"op": "study", "targets": [ITEM], "minutes": 5, "began": "yesterday"}, "began"),
        ({"op": "study", "targets": [ITEM], "minutes": 5, "began": "2026-11-24T09:00:00"}, "UTC offset"),
        ({"op": "study", "targets": [ITEM], "minutes": 5, "closes": "x"}, "closes"),
        ({"op": "study", "targets": [ITEM], "minutes": 5, "began": "9999-01-01T00:00:00+00:00"}, "later than"),
        ({"op": "study_start", "targets": [ITEM], "began": "2026-11-24T10:00:01+00:00"}, "later than"),
        ({"op": "study", "targets": [ITEM], "minutes": 5, "ref": "\ud800"}, "Unicode"),
        ({"op": "study", "targets": [ITEM], "minutes": 5, "extra": 1}, "unknown field"),
        ({"op": "study_start", "targets": [ITEM]}, "without began"),
        ({"op": "review", "targets": [ITEM], "rating": 5}, "rating"),
        ({"op": "review", "targets": [ITEM]}, "without rating"),
    ],
)
def test_the_gate_refuses_bad_study_changes(change: dict, reason: str) -> None:
    from aipm_cli.record import changes as fmt

    line = {"v": 1, "id": "01KAT0000000000000000000AB", "at": "2026-11-24T10:00:00+00:00", "on": "2026-11-24",
            "device": "laptop", **change}  # fmt: skip
    with pytest.raises(fmt.BadChange, match=reason):
        fmt.gate(json.dumps(line).encode())


def test_derived_state_stays_bounded_whatever_the_sessions(tmp_path: Path) -> None:
    """20,000 sessions: the fold keeps sums, not sessions."""
    from aipm_cli.record.fold import Source, fold
    from aipm_cli.record.studying import INTERVALS_KEPT

    lines = []
    for number in range(20_000):
        hour, minute = divmod(number % 48 * 30, 60)
        day = 1 + number // 48 % 28
        lines.append({
            "v": 1, "id": f"01KAT{number:021d}", "at": "2026-11-24T10:00:00+00:00", "on": f"2026-10-{day:02d}",
            "device": "laptop", "op": "study", "targets": [ITEM], "minutes": 10,
            "began": f"2026-10-{day:02d}T{hour:02d}:{minute:02d}:00+00:00",
        })  # fmt: skip
    path = tmp_path / "laptop.jsonl"
    path.write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in lines))
    study = fold([Source(path=path, name=path.name)], {}).state.study
    assert study.minutes == {ITEM: 200_000} and study.sessions == 20_000
    assert len(study.slots) == 28 * 48 and len(study.intervals["laptop"]) == INTERVALS_KEPT


def test_time_shows_in_status_show_and_every_report_and_as_of_reports_stop_at_the_day(tmp_path: Path) -> None:
    import csv
    import io

    home = tmp_path / "a"
    at(home, "2026-11-20T18:00:00+00:00", "study", "add", ITEM, "2h", "--on", "2026-11-20", device="laptop")
    at(home, "2026-11-24T09:00:00+00:00", "study", "start", "identifying-ai-opportunities")
    at(home, "2026-11-24T09:45:00+00:00", "study", "stop")
    now = "2026-11-24T18:00:00+00:00"
    status = json.loads(at(home, now, "status", "--json").stdout)["study"]  # type: ignore[attr-defined]
    assert status["total_minutes"] == 165 and status["week_minutes"] == 45 and status["sessions"] == 2
    assert status["phases"] == {"foundation": 120, "ai-product-manager-role": 45}
    assert status["items"] == {ITEM: 120, "identifying-ai-opportunities": 45}
    assert [d["minutes"] for d in status["days"] if d["minutes"]] == [120, 45]
    text = at(home, now, "status").stdout  # type: ignore[attr-defined]
    assert "Study time" in text and "this week 45m of 8h · all time 2h45m in 2 sessions" in text
    assert json.loads(at(home, now, "show", ITEM, "--json").stdout)["minutes_studied"] == 120  # type: ignore[attr-defined]
    assert "studied     2h" in at(home, now, "show", ITEM).stdout  # type: ignore[attr-defined]
    assert json.loads(at(home, now, "show", "foundation", "--json").stdout)["minutes_studied"] == 120  # type: ignore[attr-defined]
    md = at(home, now, "export", "--format", "md").stdout  # type: ignore[attr-defined]
    assert "**Study time:** 2h45m in 2 sessions" in md
    html = at(home, now, "export", "--format", "html").stdout  # type: ignore[attr-defined]
    assert 'id="study"' in html and "2h45m studied in 2 sessions" in html
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(at(home, now, "export", "--format", "csv").stdout))}  # type: ignore[attr-defined]
    assert rows[ITEM]["minutes_studied"] == "120" and rows["identifying-ai-opportunities"]["minutes_studied"] == "45"
    doc = json.loads(at(home, now, "export", "--format", "json").stdout)  # type: ignore[attr-defined]
    assert doc["summary"]["study"]["total_minutes"] == 165
    # As of the 21st: only the time dated up to that day.
    old = json.loads(at(home, now, "export", "--format", "json", "--as-of", "2026-11-21").stdout)  # type: ignore[attr-defined]
    assert old["summary"]["study"]["total_minutes"] == 120
    before = at(home, now, "export", "--format", "md", "--as-of", "2026-11-19").stdout  # type: ignore[attr-defined]
    assert "Study time" not in before


def test_status_without_study_time_is_unchanged(run: Run) -> None:
    result = run("status")
    assert "Study time" not in result.stdout


# --------------------------------------------------------------------------- #
# Importing time from Timewarrior and Watson
# --------------------------------------------------------------------------- #


def _timew_export(tmp_path: Path) -> Path:
    """A real `timew export` (Timewarrior from Debian; CI installs it)."""
    timew = shutil.which("timew")
    if timew is None:
        pytest.skip("Timewarrior is not installed (apt-get install timewarrior)")
    db = tmp_path / "timewarrior"
    db.mkdir()
    env = {**os.environ, "TIMEWARRIORDB": str(db), "TZ": "UTC"}
    for interval in (
        ["2026-11-23T20:00:00", "-", "2026-11-23T20:45:00", ITEM, "evening"],
        ["2026-11-24T09:00:00", "-", "2026-11-24T10:30:00", ITEM],
        ["2026-11-24T11:00:00", "-", "2026-11-24T11:20:00", "lunch"],
        ["2026-11-24T12:00:00", "-", "2026-11-24T12:30:00", ITEM, "identifying-ai-opportunities"],
    ):
        subprocess.run(
            [timew, "track", *interval, ":yes"], env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL
        )
    exported = subprocess.run([timew, "export"], env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    path = tmp_path / "timew.json"
    path.write_bytes(exported.stdout)
    return path


def _watson_frames(tmp_path: Path) -> Path:
    """A real Watson frames file, written by Watson itself (td-watson)."""
    arrow = pytest.importorskip("arrow")
    watson_module = pytest.importorskip("watson")
    folder = tmp_path / "watson"
    folder.mkdir()
    watson = watson_module.Watson(config_dir=str(folder))
    watson.add(ITEM, arrow.get("2026-11-24T07:00:00+00:00"), arrow.get("2026-11-24T07:40:00+00:00"), [])
    watson.add("side-project", arrow.get("2026-11-24T08:00:00+00:00"), arrow.get("2026-11-24T08:30:00+00:00"),
               ["identifying-ai-opportunities"])  # fmt: skip
    watson.add("email", arrow.get("2026-11-24T13:00:00+00:00"), arrow.get("2026-11-24T13:10:00+00:00"), [])
    watson.save()
    return folder / "frames"


def _import(home: Path, path: Path, device: str | None = None) -> dict:
    result = at(home, "2026-11-25T10:00:00+00:00", "study", "import", str(path), "--json", device=device)
    return json.loads(result.stdout)  # type: ignore[attr-defined]


def test_a_real_timewarrior_export_imports_with_the_right_minutes_once(tmp_path: Path) -> None:
    path = _timew_export(tmp_path)
    home = tmp_path / "a"
    first = _import(home, path, device="laptop")
    assert (first["tool"], first["intervals"], first["added"], first["minutes_added"]) == ("timewarrior", 4, 2, 135)
    assert [(u["start"], u["reason"]) for u in first["unmatched"]] == [
        ("2026-11-24 11:00", "names no item"),
        ("2026-11-24 12:00", "names 2 items (ai-for-everyone, identifying-ai-opportunities)"),
    ]
    again = _import(home, path)
    assert (again["added"], again["already"]) == (0, 2)
    data = overview(home)
    assert data["total_minutes"] == 135
    assert {d["day"]: d["minutes"] for d in data["week"]["days"] if d["minutes"]} == {
        "2026-11-23": 45,
        "2026-11-24": 90,
    }
    text = at(home, "2026-11-25T10:00:00+00:00", "study", "import", str(path))
    assert "Nothing new" in text.stderr and "lunch: names no item" in text.stdout  # type: ignore[attr-defined]
    at(home, "2026-11-25T10:05:00+00:00", "undo")
    assert overview(home)["total_minutes"] == 0
    # Imported again after the undo: the time comes back (as `aipm import` brings back what an undone
    # import took out), once.
    back = _import(home, path)
    assert (back["added"], back["minutes_added"]) == (2, 135)
    assert overview(home)["total_minutes"] == 135
    assert _import(home, path)["added"] == 0


def test_a_real_watson_frames_file_imports_by_project_or_tag(tmp_path: Path) -> None:
    path = _watson_frames(tmp_path)
    home = tmp_path / "a"
    first = _import(home, path, device="laptop")
    assert (first["tool"], first["added"], first["minutes_added"]) == ("watson", 2, 70)
    assert [u["label"] for u in first["unmatched"]] == ["email"]
    assert _import(home, path)["added"] == 0
    items = {i["id"]: i["minutes"] for i in overview(home)["items"]}
    assert items == {ITEM: 40, "identifying-ai-opportunities": 30}


def test_the_same_intervals_imported_on_two_machines_count_once(tmp_path: Path) -> None:
    path = _watson_frames(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    _import(a, path, device="laptop")
    _import(b, path, device="desktop")
    at(b, "2026-11-25T11:00:00+00:00", "study", "add", ITEM, "10m")
    _join(a, b)
    _join(b, a)
    assert overview(a)["total_minutes"] == overview(b)["total_minutes"] == 80


@pytest.mark.parametrize(
    "content, words",
    [
        (b"not json", "is not JSON"),
        (b"{}", "not a JSON list"),
        (b'[{"start": "yesterday"}]', "has no start"),
        (b"[[1, 2]]", "not a Watson frame"),
        (b'[["x", 2, "p", "id"]]', "not a Watson frame"),
        (b"[1, 2]", "not a Timewarrior export or a Watson frames file"),
    ],
)
def test_files_that_are_not_time_exports_are_refused_plainly(
    run: Run, tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "time.json"
    path.write_bytes(content)
    result = run("study", "import", str(path))
    assert result.exit_code == 1 and words in result.stderr and "Traceback" not in result.output


def test_a_fifo_is_refused_without_waiting(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "frames"
    os.mkfifo(fifo)
    result = run("study", "import", str(fifo))
    assert result.exit_code == 1 and "not a regular file" in result.stderr


# --------------------------------------------------------------------------- #
# Spaced review
# --------------------------------------------------------------------------- #


def _reference_due(completed_on: str, ratings: list[tuple[str, int]]) -> str:
    """The fsrs library's own scheduler run directly: fuzz off, no learning steps, the completion a good recall."""
    from datetime import UTC, datetime

    from fsrs import Card, Rating, Scheduler

    scheduler = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    start = datetime.fromisoformat(completed_on + "T00:00:00+00:00")
    card, _ = scheduler.review_card(Card(due=start), Rating.Good, review_datetime=start)
    for moment, rating in ratings:
        card, _ = scheduler.review_card(card, Rating(rating), review_datetime=datetime.fromisoformat(moment))
    return card.due.astimezone(UTC).isoformat()


def _scheduled(home: Path, moment: str = "2027-06-01T00:00:00+00:00") -> dict:
    data = json.loads(at(home, moment, "review", "--all", "--json").stdout)  # type: ignore[attr-defined]
    return {e["id"]: e["due"] for e in data["due"]}


def test_due_dates_are_the_fsrs_reference_schedulers_on_two_devices(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    at(a, "2026-11-01T10:00:00+00:00", "done", ITEM, device="laptop")
    shutil.copytree(a, b)
    (b / "device").write_text("desktop\n")
    at(a, "2026-11-04T08:00:00+00:00", "review", ITEM, "good")
    at(b, "2026-11-20T21:30:00+00:00", "review", ITEM, "hard")
    at(a, "2026-12-10T07:15:00+00:00", "review", ITEM, "good")
    _join(a, b)
    _join(b, a)
    expected = _reference_due(
        "2026-11-01",
        [("2026-11-04T08:00:00+00:00", 3), ("2026-11-20T21:30:00+00:00", 2), ("2026-12-10T07:15:00+00:00", 3)],
    )
    assert _scheduled(a) == _scheduled(b) == {ITEM: expected}
    # A new device folding the same log from scratch (no cache) agrees.
    fresh = tmp_path / "c"
    shutil.copytree(a, fresh)
    shutil.rmtree(fresh / "cache", ignore_errors=True)
    assert _scheduled(fresh) == {ITEM: expected}


def test_review_lists_what_is_due_with_its_context_and_undo_takes_a_rating_back(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-01T10:00:00+00:00", "done", ITEM, "product-school", device="laptop")  # a course, a community
    first = json.loads(at(home, "2026-11-01T12:00:00+00:00", "review", "--json").stdout)  # type: ignore[attr-defined]
    assert first["due"] == []
    due = json.loads(at(home, "2026-11-05T12:00:00+00:00", "review", "--json").stdout)  # type: ignore[attr-defined]
    assert [(e["id"], e["module_title"]) for e in due["due"]] == [(ITEM, "Foundation Course")]
    shown = at(home, "2026-11-05T12:00:00+00:00", "review").stdout  # type: ignore[attr-defined]
    assert "● AI for Everyone  ai-for-everyone\n    Foundation Course · due 2026-11-03" in shown
    before = _scheduled(home)
    assert list(before) == [ITEM]  # a community is not reviewed unless the learner rates it
    at(home, "2026-11-05T12:00:00+00:00", "review", "product-school", "good")
    assert list(_scheduled(home)) == [ITEM, "product-school"]
    at(home, "2026-11-05T12:00:30+00:00", "undo")
    at(home, "2026-11-05T12:00:00+00:00", "review", ITEM, "easy")
    assert _scheduled(home) != before
    at(home, "2026-11-05T12:01:00+00:00", "undo")
    assert _scheduled(home) == before


def test_only_finished_items_are_rated_and_review_can_be_turned_off(tmp_path: Path) -> None:
    home = tmp_path / "a"
    refused = at(home, "2026-11-01T10:00:00+00:00", "review", ITEM, "good", expect=1, device="laptop")
    assert "is not done; only finished items are reviewed" in refused.stderr  # type: ignore[attr-defined]
    assert at(home, "2026-11-01T10:00:00+00:00", "review", ITEM, "meh", expect=2)
    at(home, "2026-11-01T10:00:00+00:00", "done", ITEM)
    at(home, "2026-11-01T10:00:00+00:00", "review", "--off")
    off = json.loads(at(home, "2026-11-09T10:00:00+00:00", "review", "--json").stdout)  # type: ignore[attr-defined]
    assert off == {"on": False, "now": "2026-11-09T10:00:00+00:00", "due": [], "scheduled": 0}
    refused = at(home, "2026-11-09T10:00:00+00:00", "review", ITEM, "good", expect=1)
    assert "Review is off" in refused.stderr  # type: ignore[attr-defined]
    at(home, "2026-11-09T10:00:00+00:00", "review", "--on")
    assert _scheduled(home) != {}


def test_as_of_reports_count_only_time_and_reviews_dated_up_to_the_day(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-01T10:00:00+00:00", "done", ITEM, device="laptop")
    at(home, "2026-11-04T10:00:00+00:00", "review", ITEM, "good")
    at(home, "2026-11-04T11:00:00+00:00", "study", "add", ITEM, "30m")
    at(home, "2026-11-20T10:00:00+00:00", "review", ITEM, "hard")
    at(home, "2026-11-20T11:00:00+00:00", "study", "add", ITEM, "1h")

    def study_as_of(day: str) -> dict:
        doc = at(home, "2026-11-24T10:00:00+00:00", "export", "--format", "json", "--as-of", day).stdout  # type: ignore[attr-defined]
        return json.loads(doc)["summary"]["study"]

    assert (study_as_of("2026-11-10")["reviews"], study_as_of("2026-11-10")["total_minutes"]) == (1, 30)
    assert (study_as_of("2026-11-24")["reviews"], study_as_of("2026-11-24")["total_minutes"]) == (2, 90)


def test_views_without_review_never_import_the_scheduler(run: Run) -> None:
    from test_startup import imported_by

    run("done", ITEM)
    for args in (("status",), ("show", ITEM), ("study",), ("list",)):
        assert "fsrs" not in imported_by(*args), args
    assert "fsrs" in imported_by("review")


# --------------------------------------------------------------------------- #
# The day, in the learner's time zone
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "zone, today, monday_session_counts, day_of_session",
    [
        # 2026-11-24T20:00Z is Tuesday 10:00 in Honolulu (UTC-10) and Wednesday 09:00 in Tonga (UTC+13).
        ("Pacific/Honolulu", "2026-11-24", False, "2026-11-22"),
        ("Pacific/Tongatapu", "2026-11-25", True, "2026-11-23"),
        ("UTC", "2026-11-24", True, "2026-11-23"),
    ],
)
def test_a_learner_sees_their_own_day_week_and_heatmap(
    tmp_path: Path, zone: str, today: str, monday_session_counts: bool, day_of_session: str
) -> None:
    home = tmp_path / "a"
    now = "2026-11-24T20:00:00+00:00"
    at(home, now, "config", "timezone", zone, device="laptop")
    # Monday 05:00 UTC: Sunday evening in Honolulu, Monday evening in Tonga.
    at(home, "2026-11-23T05:00:00+00:00", "study", "start", ITEM)
    at(home, "2026-11-23T06:00:00+00:00", "study", "stop")
    day = json.loads(at(home, now, "today", "--json").stdout)  # type: ignore[attr-defined]
    assert day["today"] == today and day["timezone"] == zone
    assert day["week"]["minutes"] == (60 if monday_session_counts else 0)
    status = json.loads(at(home, now, "status", "--json").stdout)["study"]  # type: ignore[attr-defined]
    assert status["today"] == today and status["week_minutes"] == day["week"]["minutes"]
    assert [d["day"] for d in status["days"] if d["minutes"]] == [day_of_session]
    assert status["days"][-1]["day"] == today
    # Time added without a date counts on the learner's today.
    at(home, now, "study", "add", ITEM, "20m")
    assert json.loads(at(home, now, "today", "--json").stdout)["studied_today_minutes"] == 20  # type: ignore[attr-defined]


def test_the_system_zone_is_used_when_no_zone_is_set(tmp_path: Path) -> None:
    home = tmp_path / "a"
    home.mkdir()
    (home / "device").write_text("laptop\n")
    env = {"AIPM_HOME": str(home), "AIPM_NOW": "2026-11-24T20:00:00+00:00", "TZ": "Pacific/Tongatapu"}
    result = invoke_line(["today", "--json"], env=env)
    assert json.loads(result.stdout)["today"] == "2026-11-25"


def test_today_lists_reviews_in_progress_and_what_fits(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-01T10:00:00+00:00", "done", ITEM, device="laptop")
    at(home, "2026-11-01T10:00:00+00:00", "start", "identifying-ai-opportunities")
    day = json.loads(at(home, "2026-11-05T10:00:00+00:00", "today", "--json").stdout)  # type: ignore[attr-defined]
    assert [e["id"] for e in day["reviews"]["due"]] == [ITEM]
    assert [e["id"] for e in day["in_progress"]] == ["identifying-ai-opportunities"]
    assert day["next"] and all(e["status"] == "not_started" for e in day["next"])
    assert day["share_minutes"] == round(8 * 60 / 7)
    text = at(home, "2026-11-05T10:00:00+00:00", "today").stdout  # type: ignore[attr-defined]
    assert "Review (1 due" in text and "In progress:" in text
    # A 3 h item is more than a day's share of 8 h a week (1h09m): said so, never "fits today".
    assert "Fits today:" not in text and "Next (more than today's share of 1h09m):" in text
    assert "about 3 h, 3 days at your share" in " ".join(text.split())
    at(home, "2026-11-05T10:00:00+00:00", "config", "hours_per_week", "40")  # a day's share: 5h43m
    assert "Fits today:" in at(home, "2026-11-05T10:00:00+00:00", "today").stdout  # type: ignore[attr-defined]
    at(home, "2026-11-05T10:00:00+00:00", "review", "--off")
    assert json.loads(at(home, "2026-11-05T10:00:00+00:00", "today", "--json").stdout)["reviews"] == {
        "on": False,
        "due": [],
    }  # type: ignore[attr-defined]


def test_a_bad_time_zone_setting_is_refused(run: Run) -> None:
    for bad in ("Mars/Olympus", "../../etc/passwd", "Europe/Berlin; rm", "x" * 500):
        result = run("config", "timezone", bad)
        assert result.exit_code == 2 and "time zone" in result.stderr and "Traceback" not in result.output


def test_a_session_under_a_minute_counts_one_and_a_new_one_may_start_at_once(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T09:00:10+00:00", "study", "start", ITEM, device="laptop")
    at(home, "2026-11-24T09:00:40+00:00", "study", "stop")
    at(home, "2026-11-24T09:00:50+00:00", "study", "start", ITEM)  # what rounding added is no overlap
    at(home, "2026-11-24T09:30:50+00:00", "study", "stop")
    assert overview(home)["total_minutes"] == 1 + 30


def test_the_forecast_uses_logged_hours_and_says_so(tmp_path: Path) -> None:
    home = tmp_path / "a"
    now = "2026-11-15T10:00:00+00:00"
    before = json.loads(at(home, now, "status", "--json", device="laptop").stdout)["forecast"]  # type: ignore[attr-defined]
    assert before["studied_finish"] is None  # no time logged: no claim
    at(home, "2026-11-01T10:00:00+00:00", "study", "add", ITEM, "10h", "--on", "2026-11-01")
    at(home, "2026-11-08T10:00:00+00:00", "study", "add", ITEM, "6h")
    at(home, "2026-11-10T10:00:00+00:00", "study", "add", ITEM, "6h")
    unfinished = json.loads(at(home, now, "status", "--json").stdout)["forecast"]  # type: ignore[attr-defined]
    assert unfinished["studied_hours_per_week"] == round(22 / (15 / 7), 1)  # 22 h in the 15 days since the first
    assert unfinished["studied_per_source_hour"] is None  # nothing finished: the sources' durations stand
    assert unfinished["studied_remaining_hours"] == unfinished["remaining_hours"]
    at(home, now, "done", ITEM)  # "4 weeks" at 8 h a week: 32 estimated hours, 22 logged
    after = json.loads(at(home, now, "status", "--json").stdout)["forecast"]  # type: ignore[attr-defined]
    weight = 32 / (32 + 40)  # study_pace.blend: 32 h of finished work against the reference pace
    factor = weight * 22 / 32 + (1 - weight)
    assert after["studied_per_source_hour"] == round(factor, 2)
    source, default = after["source_hours"], after["default_hours"]
    assert after["studied_remaining_hours"] == [round(source[0] * factor + default[0], 1),
                                                round(source[1] * factor + default[1], 1)]  # fmt: skip
    text = " ".join(at(home, now, "status").stdout.split())  # type: ignore[attr-defined]
    assert "From your logged study time (10.3 h a week on average since 2026-11-01; 0.86 h per hour of" in text
    assert "1 finished item with time logged blended with the reference pace" in text
    md = at(home, now, "export", "--format", "md").stdout  # type: ignore[attr-defined]
    assert "from your logged study time (10.3 h a week" in md


def test_the_html_heatmap_shows_days_with_time_or_changes_in_the_learners_zone(tmp_path: Path) -> None:
    import re

    home = tmp_path / "a"
    now = "2026-11-24T20:00:00+00:00"
    at(home, now, "config", "timezone", "Pacific/Tongatapu", device="laptop")
    at(home, "2026-11-23T05:00:00+00:00", "study", "start", ITEM)  # Monday 18:00 in Tonga
    at(home, "2026-11-23T06:00:00+00:00", "study", "stop")
    at(home, "2026-11-10T10:00:00+00:00", "start", "identifying-ai-opportunities", "--on", "2026-11-10")
    html = at(home, now, "export", "--format", "html").stdout  # type: ignore[attr-defined]
    titles = dict(re.findall(r"<title>(\d{4}-\d\d-\d\d): ([^<]*)</title>", html))
    assert titles["2026-11-23"] == "60 min, 2 changes"  # the start and the stop
    assert titles["2026-11-10"] == "no time logged, 1 change"
    assert titles["2026-11-22"] == "no time logged"
    assert max(titles) == "2026-11-25"  # the report's day (as of today): Wednesday 09:00 in Tonga


def test_weeks_meeting_the_goal_forgive_a_missed_day(tmp_path: Path) -> None:
    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "config", "hours_per_week", "2", device="laptop")
    for day, spent in (("2026-11-02", "2h"), ("2026-11-10", "1h"), ("2026-11-12", "1h"), ("2026-11-16", "30m")):
        at(home, "2026-11-24T10:00:00+00:00", "study", "add", ITEM, spent, "--on", day)
    study = json.loads(at(home, "2026-11-24T10:00:00+00:00", "status", "--json").stdout)["study"]  # type: ignore[attr-defined]
    met = {w["week_of"]: w["met"] for w in study["weeks"]}
    assert met["2026-11-02"] and met["2026-11-09"] and not met["2026-11-16"] and not met["2026-11-23"]
    assert study["weeks_met"] == 2
    # The hours a week since the first session (less than four weeks ago): 23 days, this one included.
    assert study["average_minutes"] == round((120 + 120 + 30) / (23 / 7))
    assert study["average_since"] == "2026-11-02"


def test_plan_ics_carries_reviews_due_and_moves_them_with_ratings(tmp_path: Path) -> None:
    import vobject

    home = tmp_path / "a"
    at(home, "2026-11-01T10:00:00+00:00", "done", ITEM, device="laptop")
    ics = tmp_path / "plan.ics"

    def reviews() -> dict[str, tuple[str, str]]:
        at(home, "2026-11-02T10:00:00+00:00", "plan", "--ics", str(ics), "--reviews")
        calendar = vobject.readOne(ics.read_text())
        return {e.uid.value: (e.summary.value, e.dtstart.value.isoformat()) for e in calendar.vevent_list
                if e.summary.value.startswith("Review:")}  # fmt: skip

    uid = f"ada.ai-product-manager.{ITEM}.review@aipm"
    first = _reference_due("2026-11-01", [])[:10]
    assert reviews() == {uid: ("Review: AI for Everyone", first)}
    at(home, "2026-11-02T10:00:00+00:00", "review", ITEM, "easy")
    moved = _reference_due("2026-11-01", [("2026-11-02T10:00:00+00:00", 4)])[:10]
    assert moved != first and reviews() == {uid: ("Review: AI for Everyone", moved)}
    refused = at(home, "2026-11-02T10:00:00+00:00", "plan", "--reviews", expect=2)
    assert "--reviews needs --ics" in refused.stderr  # type: ignore[attr-defined]


def test_the_cohort_report_counts_each_learners_study_time(tmp_path: Path) -> None:
    import csv
    import io

    home = tmp_path / "a"
    at(home, "2026-11-24T10:00:00+00:00", "study", "add", ITEM, "1h30m", device="laptop")
    at(home, "2026-11-24T10:00:00+00:00", "--user", "sam", "study", "add", ITEM, "20m")
    doc = json.loads(at(home, "2026-11-24T10:00:00+00:00", "cohort", "report", str(home), "--format", "json").stdout)  # type: ignore[attr-defined]
    assert {learner["name"]: learner["minutes_studied"] for learner in doc["learners"]} == {"ada": 90, "sam": 20}
    table = at(home, "2026-11-24T10:00:00+00:00", "cohort", "report", str(home), "--format", "csv").stdout  # type: ignore[attr-defined]
    assert {r["learner"]: r["minutes_studied"] for r in csv.DictReader(io.StringIO(table))} == {
        "ada": "90",
        "sam": "20",
    }


def test_the_terminal_ui_shows_the_same_day(run: Run, home: Path) -> None:
    import asyncio

    pytest.importorskip("textual")
    from aipm_cli.learner import Learner
    from aipm_cli.tui.app import AipmApp, Day

    run("study", "add", ITEM, "25m")
    expected = run("today").stdout.strip().splitlines()

    async def drive() -> list[str]:
        app = AipmApp(Learner(home, user="ada"), refresh_seconds=0.2)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("t")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, Day)
            return screen.text.splitlines()

    shown = asyncio.run(drive())
    assert shown[0] == expected[0] == "Today, 2026-11-24 (UTC)"
    assert "studied 25m today" in " ".join(shown) and "\x1b" not in "".join(shown)


def test_sessions_and_ratings_from_two_machines_joined_by_a_real_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aipm sync` through a bare git remote: both machines end with the same time and due dates."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{key}_NAME", "Test")
        monkeypatch.setenv(f"{key}_EMAIL", "test@example.org")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    a, b = tmp_path / "a", tmp_path / "b"
    at(a, "2026-11-01T10:00:00+00:00", "done", ITEM, device="laptop")
    at(a, "2026-11-01T10:00:00+00:00", "sync", "init", str(remote))
    at(b, "2026-11-01T11:00:00+00:00", "sync", "init", str(remote), device="desktop")
    at(a, "2026-11-04T09:00:00+00:00", "study", "start", ITEM)
    at(b, "2026-11-04T09:10:00+00:00", "study", "start", ITEM)
    at(a, "2026-11-04T10:00:00+00:00", "study", "stop")
    at(b, "2026-11-04T09:40:00+00:00", "study", "stop")
    at(b, "2026-11-04T12:00:00+00:00", "review", ITEM, "hard")
    at(a, "2026-11-05T12:00:00+00:00", "review", ITEM, "good")
    for home in (a, b, a):
        at(home, "2026-11-06T10:00:00+00:00", "sync")
    expected = _reference_due("2026-11-01", [("2026-11-04T12:00:00+00:00", 2), ("2026-11-05T12:00:00+00:00", 3)])
    for home in (a, b):
        assert overview(home)["total_minutes"] == 60 + 30
        assert _scheduled(home) == {ITEM: expected}


def test_old_sessions_are_kept_as_day_sums_and_still_count(tmp_path: Path) -> None:
    """Sixteen years of daily sessions: quarter hours for the newest, UTC days for those more than 400 days
    older (rolled up as the slots grow); every minute counts, and an old session counts on its UTC day."""
    from datetime import UTC, date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from aipm_cli.record.fold import Source, fold
    from aipm_cli.study import minutes_by_day

    first = datetime(2010, 1, 1, 23, 30, tzinfo=UTC)
    count = 16 * 365
    lines = []
    for number in range(count):
        began = first + timedelta(days=number)
        lines.append({
            "v": 1, "id": f"01KAT{number:021d}", "at": "2026-11-24T10:00:00+00:00", "on": began.date().isoformat(),
            "device": "laptop", "op": "study", "targets": [ITEM], "minutes": 20, "began": began.isoformat(),
        })  # fmt: skip
    path = tmp_path / "laptop.jsonl"
    path.write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in lines))
    study = fold([Source(path=path, name=path.name)], {}).state.study
    assert study.utc_days and len(study.slots) <= 4096 + 1024
    assert len(study.slots) + len(study.utc_days) == count
    tonga = minutes_by_day(study, ZoneInfo("Pacific/Tongatapu"))
    assert sum(tonga.values()) == count * 20
    assert tonga[date(2010, 1, 1)] == 20  # an old session: its UTC day
    newest = (first + timedelta(days=count - 1)).date()
    assert tonga[newest + timedelta(days=1)] == 20  # a recent one: 23:30 UTC is the next morning in Tonga


def test_review_all_and_today_wrap_between_words_at_60_columns(tmp_path: Path) -> None:
    home = tmp_path / "a"
    long = "defining-ai-product-strategy-and-roadmap"
    at(home, "2026-11-01T10:00:00+00:00", "done", ITEM, long, "cross-functional-collaboration", device="laptop")
    for args in (["review", "--all"], ["today"]):
        shown = invoke_line(args, env={"AIPM_HOME": str(home), "AIPM_NOW": "2026-11-24T10:00:00+00:00",
                                       "COLUMNS": "60"}).stdout  # fmt: skip
        lines = shown.splitlines()
        assert all(len(line) <= 60 for line in lines), shown
        assert f"    {long}" in lines, shown  # an id too long to share the title's line: whole, under the title
        assert not any(line.startswith(("(", "due", "Responsibilities")) for line in lines), shown
    shown = invoke_line(["review", "--all"], env={"AIPM_HOME": str(home), "AIPM_NOW": "2026-11-24T10:00:00+00:00",
                                                  "COLUMNS": "60"}).stdout  # fmt: skip
    assert "    Key Responsibilities · due 2026-11-03" in shown.splitlines()


def test_200000_review_ratings_keep_the_state_bounded(tmp_path: Path) -> None:
    """Ratings are windowed per item (studying.REVIEWS_KEPT), as notes are: the state holds the newest."""
    from aipm_cli.record.fold import Source, fold
    from aipm_cli.record.studying import REVIEWS_KEPT

    path = tmp_path / "laptop.jsonl"
    with path.open("w") as handle:
        handle.write(json.dumps({"v": 1, "id": "01KAT" + "0" * 21, "at": "2026-11-24T10:00:00+00:00",
                                 "on": "2026-11-01", "device": "laptop", "op": "done", "targets": [ITEM],
                                 "units": [ITEM]}) + "\n")  # fmt: skip
        for number in range(1, 200_001):
            handle.write(json.dumps({"v": 1, "id": f"01KAT{number:021d}", "at": "2026-11-24T10:00:00+00:00",
                                     "on": "2026-11-24", "device": "laptop", "op": "review", "targets": [ITEM],
                                     "rating": 1 + number % 4}) + "\n")  # fmt: skip
    study = fold([Source(path=path, name=path.name)], {}).state.study
    assert len(study.reviews[ITEM]) == REVIEWS_KEPT
    assert study.reviews[ITEM][-1][1] == 1 + 200_000 % 4  # the newest kept


def test_weeks_spent_studying_count_as_active_weeks(tmp_path: Path) -> None:
    """status's consistency strip: a week with study time and nothing else recorded is an active week,
    on the learner's own day (a session late on Sunday evening in UTC-10 is Sunday's, not Monday's)."""
    home = tmp_path / "a"
    at(home, "2026-11-24T09:00:00+00:00", "config", "timezone", "Pacific/Honolulu", device="laptop")
    for day in ("2026-11-03", "2026-11-10"):
        at(home, "2026-11-24T09:00:00+00:00", "study", "add", ITEM, "40m", "--on", day)
    # Sunday 2026-11-22, 20:00 in Honolulu is Monday 06:00 UTC: the week of 11-16 locally.
    at(home, "2026-11-23T06:00:00+00:00", "study", "start", ITEM)
    at(home, "2026-11-23T06:30:00+00:00", "study", "stop")
    status = json.loads(at(home, "2026-11-24T09:00:00+00:00", "status", "--json").stdout)  # type: ignore[attr-defined]
    active = {w["week_of"] for w in status["weeks"] if w["active"]}
    assert active == {"2026-11-02", "2026-11-09", "2026-11-16"}
    assert status["active_weeks"] == 3


def test_a_running_session_is_said_in_the_learners_own_time(tmp_path: Path) -> None:
    """Monday 06:00 UTC is Sunday 20:00 in Honolulu: `study start` and `status` say the learner's time."""
    home = tmp_path / "a"
    at(home, "2026-11-23T06:00:00+00:00", "config", "timezone", "Pacific/Honolulu", device="laptop")
    started = at(home, "2026-11-23T06:00:00+00:00", "study", "start", ITEM)
    assert "since 20:00 HST." in started.stderr  # type: ignore[attr-defined]
    status = at(home, "2026-11-23T06:30:00+00:00", "status").stdout  # type: ignore[attr-defined]
    assert f"running: {ITEM} since 2026-11-22 20:00 HST (on laptop)" in status
    assert "UTC" not in status


def test_an_interval_that_ends_before_it_starts_is_named_so(tmp_path: Path) -> None:
    """A hand-edited Timewarrior export (its format: ids, compact UTC times, tags): an interval whose end
    comes before its start is left out as such, not as 'shorter than a minute'."""
    path = tmp_path / "timew.json"
    path.write_text(json.dumps([
        {"id": 2, "start": "20261124T090000Z", "end": "20261124T093000Z", "tags": [ITEM]},
        {"id": 1, "start": "20261124T110000Z", "end": "20261124T100000Z", "tags": [ITEM]},
        {"id": 3, "start": "20261124T120000Z", "end": "20261124T120010Z", "tags": [ITEM]},
    ]))  # fmt: skip
    found = _import(tmp_path / "a", path)
    assert (found["added"], found["minutes_added"]) == (1, 30)
    assert [(u["start"], u["reason"]) for u in found["unmatched"]] == [
        ("2026-11-24 11:00", "it ends before it starts"),
        ("2026-11-24 12:00", "shorter than a minute"),
    ]
