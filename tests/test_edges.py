"""Issue 25: the rough edges a new user hit (dates, learners, sharing, counting, own roadmaps, help, TUI, repair)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, invoke_line

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


# --------------------------------------------------------------------------- #
# 2. Unknown learners: said, listed, nothing created
# --------------------------------------------------------------------------- #


def test_a_mistyped_learner_is_said_with_the_learners_here(run: Run, home: Path) -> None:
    assert run("--user", "maya", "done", "ai-for-everyone").exit_code == 0
    for line in (("status",), ("status", "--json"), ("list",), ("show", "ai-for-everyone"), ("log",), ("export",)):
        result = run("--user", "mayaa", *line)
        assert result.exit_code == 1, line
        assert result.stdout == ""
        assert "The learner in use, 'mayaa' (from --user), has no progress here." in result.stderr
        assert "Learners here: maya." in result.stderr
    assert not (home / "learners" / "mayaa").exists()
    assert not (home / "cache" / "state" / "mayaa").exists()


def test_undo_for_a_learner_with_no_data_creates_nothing(run: Run, home: Path) -> None:
    result = run("--user", "fresh", "undo")
    assert result.exit_code == 1
    assert "There is nothing to undo: learner 'fresh' (from --user) has no progress here." in result.stderr
    assert not (home / "learners" / "fresh").exists()
    assert not (home / "cache" / "state" / "fresh").exists()
    assert run("--user", "fresh", "redo").exit_code == 1
    assert run("--user", "fresh", "note", "ai-for-everyone", "--remove", "1").exit_code == 1
    assert not (home / "learners").exists()


def test_a_first_run_and_a_new_learner_still_work(run: Run) -> None:
    assert run("status").exit_code == 0  # nobody here yet: the empty dashboard is the truth
    run("done", "ai-for-everyone")
    new = run("--user", "sam", "start", "user-research")
    assert new.exit_code == 0
    assert "Note: 'sam' (from --user) is a new learner here; learners here before: ada." in new.stderr
    assert "new learner" not in run("--user", "sam", "start", "product-strategy").stderr
    assert run("--user", "sam", "status").exit_code == 0


def test_removing_the_learner_in_use_asks_and_the_next_command_says_who_is_in_use(run: Run, monkeypatch: Any) -> None:
    monkeypatch.delenv("AIPM_USER")
    run("config", "user", "maya")
    run("done", "ai-for-everyone")
    run("--user", "sam", "done", "user-research")
    refused = run("users", "remove", "maya")
    assert refused.exit_code == 1
    assert "'maya' is the learner your commands use (from the `user` setting). Nothing was done." in refused.stderr
    assert "aipm users remove maya --yes" in refused.stderr
    assert run_ok(run, "status")
    removed = run("users", "remove", "maya", "--yes")
    assert removed.exit_code == 0, removed.stderr
    said = " ".join(removed.stderr.split())
    assert "Your commands now use" not in said  # the login name's learner has no progress here
    assert "No learner with progress is in use now: your login name names " in said
    assert "(learners here: sam). Choose one with `aipm config user NAME`." in said
    after = run("status")
    assert after.exit_code == 1
    assert "(your login name), has no progress here." in after.stderr
    assert "Learners here: sam. Removed: maya (`aipm restore NAME` brings one back)." in after.stderr
    # Another learner is removed without a question.
    assert run("users", "remove", "sam").exit_code == 0
    # When the learner the commands fall back on (the login name's) has progress, that one is named.
    from aipm_cli.paths import default_user_name

    login = default_user_name()
    run("--user", login, "done", "user-research")
    run("--user", "tom", "done", "user-research")
    run("config", "user", "tom")
    switched = " ".join(run("users", "remove", "tom", "--yes").stderr.split())
    assert f"Your commands now use the learner {login} (your login name)" in switched, switched
    # With no learner left, it says what the next change does and how to bring the removed one back.
    alone = " ".join(run("users", "remove", login, "--yes").stderr.split())
    assert f"No learner has progress here now: your next change starts {login} (your login name) afresh" in alone
    assert "`aipm restore learner-" in alone


def run_ok(run: Run, *args: str) -> bool:
    return run(*args).exit_code == 0


@pytest.mark.parametrize("value", ["", " ", "20261101", "2026-W44-1", "2026-11-1"])
def test_a_date_is_yyyy_mm_dd_and_an_empty_one_is_a_usage_error(run: Run, value: str) -> None:
    """An empty date is refused (exit 2), never read as "no date" (today); only the form the help gives."""
    run("done", "ai-for-everyone", "--on", "2026-10-01")
    before = run("log", "--json").stdout
    for line in (
        ("done", "user-research", "--on", value), ("assess", "product-management", "3", "--on", value),
        ("study", "add", "user-research", "30m", "--on", value), ("log", "--since", value),
        ("log", "--until", value), ("export", "--as-of", value), ("plan", "--start", value),
        ("cohort", "report", ".", "--as-of", value), ("cohort", "report", ".", "--since", value),
    ):  # fmt: skip
        refused = run(*line)
        assert refused.exit_code == 2, (line, refused.stderr)
        assert "YYYY-MM-DD" in refused.stderr, (line, refused.stderr)
    assert run("log", "--json").stdout == before  # nothing was recorded
    assert "2026-10-01" in run("log", "--since", "2026-10-01").stdout


def test_an_empty_learner_name_is_a_usage_error(run: Run) -> None:
    for line, env in (
        (("--user", "", "status"), None),
        (("status",), {"AIPM_USER": ""}),
        (("--user", "", "undo"), None),
    ):
        result = run(*line, env=env)
        assert result.exit_code == 2, line
        assert "is not a usable learner name" in result.stderr


def test_sync_init_on_a_new_machine_says_whose_progress_arrived(tmp_path: Path, monkeypatch: Any, run: Run) -> None:
    import subprocess

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{key}_NAME", "Test")
        monkeypatch.setenv(f"{key}_EMAIL", "test@example.org")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    assert run("--user", "maya", "done", "ai-for-everyone", env={"AIPM_HOME": str(laptop)}).exit_code == 0
    assert run("sync", "init", str(remote), env={"AIPM_HOME": str(laptop)}).exit_code == 0
    joined = run("sync", "init", str(remote), env={"AIPM_HOME": str(desktop)})  # AIPM_USER is ada here
    assert joined.exit_code == 0, joined.stderr
    assert "The progress received is maya's; your commands here use 'ada' (from AIPM_USER)." in joined.stderr
    assert "To use it: `aipm config user maya` (or --user maya)." in joined.stderr


# --------------------------------------------------------------------------- #
# 3. Sharing: notes left out on request; formats aipm does not write refused
# --------------------------------------------------------------------------- #


def _noted(run: Run) -> None:
    run("done", "ai-for-everyone", "-m", "PRIVATE-done")
    run("note", "core-product-management", "PRIVATE-module")
    run("note", "user-research", "PRIVATE-item")
    run("assess", "product-management", "2", "--note", "PRIVATE-rating")


def test_export_no_notes_leaves_every_note_out_of_every_format(run: Run) -> None:
    _noted(run)
    for fmt in ("md", "html", "csv", "json"):
        shared = run("export", "--format", fmt, "--no-notes")
        assert shared.exit_code == 0, shared.stderr
        assert "PRIVATE" not in shared.stdout, fmt
        assert "PRIVATE-done" in run("export", "--format", fmt).stdout, fmt
    assert "AI for Everyone" in run("export", "--no-notes").stdout  # the progress itself stays


def test_export_no_notes_changes_no_number_only_leaves_the_notes_out(run: Run) -> None:
    """Notes happened: a report without them still counts them in its activity, and keeps study time."""
    _noted(run)
    run("note", "user-research", "PRIVATE-later", "--on", "2026-10-20")  # a week with nothing but a note
    run("study", "add", "ai-for-everyone", "1h")
    full = json.loads(run("export", "--format", "json").stdout)
    shared = json.loads(run("export", "--format", "json", "--no-notes").stdout)
    assert shared["summary"] == full["summary"]
    assert shared["summary"]["study"]["total_minutes"] == 60
    for fmt in ("md", "html"):
        with_notes = run("export", "--format", fmt).stdout
        without = run("export", "--format", fmt, "--no-notes").stdout
        assert "PRIVATE" not in without
        weekly = [line for line in with_notes.splitlines() if "week" in line.lower() or "2026-10-19" in line]
        assert weekly and all(line in without.splitlines() for line in weekly), fmt


def test_a_report_without_notes_is_never_taken_for_a_learner_without_progress(run: Run, tmp_path: Path) -> None:
    """A JSON report made with --no-notes leaves the changes out: `import` (and `import --replace`, which
    would have taken every change out of effect) refuses it and changes nothing, and a cohort report
    names it as unreadable instead of showing a learner at 0%."""
    _noted(run)
    shared = tmp_path / "shared.json"
    assert run("export", "--format", "json", "--no-notes", "-o", str(shared)).exit_code == 0
    assert json.loads(shared.read_text())["notes_left_out"] is True
    before = json.loads(run("status", "--json").stdout)["percent"]
    for args in (("import", str(shared)), ("import", "--replace", str(shared))):
        refused = run(*args)
        assert refused.exit_code == 1, (args, refused.stdout, refused.stderr)
        assert "made with --no-notes" in refused.stderr and "Nothing was imported" in refused.stderr
        assert json.loads(run("status", "--json").stdout)["percent"] == before > 0
    # An export that holds no changes at all (an empty learner's) cannot replace the progress either.
    empty = tmp_path / "empty.json"
    document = json.loads(run("export", "--format", "json").stdout)
    empty.write_text(json.dumps({**document, "changes": []}))
    replaced = run("import", "--replace", str(empty))
    assert replaced.exit_code == 1 and "holds no changes" in replaced.stderr
    assert json.loads(run("status", "--json").stdout)["percent"] == before
    folder = tmp_path / "cohort"
    folder.mkdir()
    shutil.copy(shared, folder / "maya.json")
    report = run("cohort", "report", str(folder), "--format", "json")
    assert "made with --no-notes" in report.stdout and "ask the learner" in report.stdout
    assert '"percent": 0' not in report.stdout


def test_the_report_notes_setting_is_the_default_and_the_option_wins(run: Run) -> None:
    _noted(run)
    assert run("config", "report_notes", "no").exit_code == 0
    assert "report_notes = no" in run("config").stdout
    assert "PRIVATE" not in run("export").stdout
    assert "PRIVATE-done" in run("export", "--notes").stdout
    assert run("config", "report_notes", "maybe").exit_code == 2


def test_export_refuses_a_file_type_it_does_not_write(run: Run, tmp_path: Path) -> None:
    for name in ("report.pdf", "report.docx"):
        result = run("export", "-o", str(tmp_path / name))
        assert result.exit_code == 2
        assert "aipm does not write" in result.stderr
        assert "print it to PDF from a browser" in result.stderr
        # the formats it names are the registry's (xapi included), not a list written by hand
        from aipm_cli.render import formats

        assert f"it writes {formats.listed('export')}." in " ".join(result.stderr.split())
        assert "xapi" in formats.listed("export")
        assert not (tmp_path / name).exists()
    forced = run("export", "-o", str(tmp_path / "report.pdf"), "--format", "html")
    assert forced.exit_code == 0
    assert (tmp_path / "report.pdf").read_text().startswith("<!")


# --------------------------------------------------------------------------- #
# 4. One counting rule; ids, histories, deliverables, plan --limit
# --------------------------------------------------------------------------- #


def test_the_status_figures_add_up_in_units(run: Run) -> None:
    import re

    run("start", "ai-feature-analysis")  # a project in progress: its four deliverables are the units
    run("start", "ai-product-prototype", "prototype-user-stories")
    run("done", "ai-for-everyone")
    run("skip", "user-research")
    lines = run("status").stdout.splitlines()
    done, of = map(int, re.search(r"(\d+)/(\d+) done", lines[1]).groups())  # type: ignore[union-attr]
    found = re.search(r"(\d+) in progress · (\d+) not started · (\d+) skipped, of (\d+) units", lines[2])
    assert found, lines[2]
    in_progress, not_started, skipped, total = map(int, found.groups())
    assert done + in_progress + not_started == of
    assert of + skipped == total
    assert in_progress == 1  # one deliverable; a project counts by its deliverables, like every other figure


def test_skills_show_the_ids_assess_takes(run: Run) -> None:
    shown = run("skills").stdout
    assert "product-management" in shown and "ai-technical" in shown


def test_show_history_is_in_date_order_after_backdating_and_log_says_backdated(run: Run, run_json: Any) -> None:
    run("start", "user-research")  # recorded and for 2026-11-24
    run("note", "user-research", "first thoughts", "--on", "2026-11-02")  # backdated, recorded later
    history = run_json("show", "user-research")["history"]
    assert [h["on"] for h in history] == ["2026-11-02", "2026-11-24"]
    shown = run("show", "user-research").stdout
    assert shown.index("2026-11-02  note") < shown.index("2026-11-24  start")
    log = run("log").stdout
    assert "recorded 2026-11-24 10:00 on" in log and " · for 2026-11-02" in log


def test_log_dates_never_jump_after_backdating_and_say_both_dates(run: Run, run_json: Any) -> None:
    """`log` is newest recorded first: its left date is the day a change was recorded (so it never jumps
    back and forth), and a backdated change says the date it is for; `show` is sorted by that date."""
    import re

    run("start", "user-research")
    run("done", "ai-for-everyone", "--on", "2026-10-01")
    run("note", "user-research", "later thought")
    run("study", "add", "ai-for-everyone", "45m", "--on", "2026-11-02")
    for width in ("60", "80"):
        text = invoke_line(["log"], env={"COLUMNS": width}).stdout
        left = re.findall(r"^(\d{4}-\d\d-\d\d)  ", text, flags=re.M)
        assert left == sorted(left, reverse=True) and len(left) == 4, text
        flat = " ".join(text.split())
        assert "for 2026-10-01" in flat and "for 2026-11-02" in flat
    entries = run_json("log")
    assert [e["on"] for e in entries] == ["2026-11-02", "2026-11-24", "2026-10-01", "2026-11-24"]
    assert all(e["at"].startswith("2026-11-24") for e in entries)  # both dates, in JSON too


def test_log_shows_study_minutes_and_review_ratings(run: Run, run_json: Any) -> None:
    run("done", "ai-for-everyone", "--on", "2026-11-20")
    run("study", "add", "ai-for-everyone", "1h30m")
    run("review", "ai-for-everyone", "hard")
    text = run("log").stdout
    assert "study  AI for Everyone (ai-for-everyone) · 1h30m" in text
    assert "review  AI for Everyone (ai-for-everyone) · recalled: hard" in text
    review, study = run_json("log")[:2]
    assert review["action"] == "review" and review["rating"] == 2 and review["recalled"] == "hard"
    assert study["action"] == "study" and study["minutes"] == 90


def test_show_project_lists_each_deliverables_status_dates_and_evidence(run: Run, run_json: Any) -> None:
    run("done", FIRST, "--on", "2026-11-08", "-e", "https://example.org/research")
    run("start", "feature-analysis-user-needs", "--on", "2026-11-10")
    run("skip", "feature-analysis-specification")
    shown = run("show", PROJECT).stdout
    assert "done 2026-11-08" in shown
    assert "evidence 2026-11-08  https://example.org/research" in shown
    assert "in progress since 2026-11-10" in shown
    assert "skipped 2026-11-24" in shown
    first = run_json("show", PROJECT)["deliverables"][0]
    assert first["completed_on"] == "2026-11-08"
    assert first["evidence"][0]["text"] == "https://example.org/research"


def test_plan_limit_shows_the_first_items_and_keeps_the_totals(run: Run, run_json: Any) -> None:
    whole = run("plan").stdout
    limited = run("plan", "--limit", "3")
    assert limited.exit_code == 0, limited.stderr
    assert "… and " in limited.stdout and " more (without --limit: every one)" in limited.stdout
    assert limited.stdout.count("\n") < whole.count("\n")
    assert whole.splitlines()[-6:] == limited.stdout.splitlines()[-6:]  # the estimate is the whole plan's
    assert len(run_json("plan", "-n", "2")["items"]) == 2
    assert run("plan", "--limit", "0").exit_code == 2


# --------------------------------------------------------------------------- #
# 5. Own roadmaps
# --------------------------------------------------------------------------- #


def test_roadmap_list_marks_the_roadmap_in_use_when_chosen_by_path(run: Run, run_json: Any, tmp_path: Path) -> None:
    from test_issue16 import OWN

    file = tmp_path / "elsewhere" / "mine.yaml"
    file.parent.mkdir()
    file.write_text(OWN)
    assert run("roadmap", "use", str(file)).exit_code == 0
    listed = run_json("roadmap", "list")
    in_use = [e for e in listed if e["in_use"]]
    assert [e["id"] for e in in_use] == ["data-engineering"]
    assert in_use[0]["title"] == "Data Engineering" and in_use[0]["origin"] == "file"
    assert "* data-engineering" in run("roadmap", "list").stdout


def test_doctor_reports_an_invalid_file_in_the_roadmaps_folder(run: Run, home: Path) -> None:
    from test_issue16 import OWN

    (home / "roadmaps").mkdir(parents=True)
    (home / "roadmaps" / "broken.yaml").write_text(OWN.replace("kind: topic", "kind: lecture"))
    result = run("doctor")
    assert result.exit_code == 1
    assert "broken.yaml is not a valid roadmap" in result.stdout + result.stderr
    report = run("doctor", "--json")
    assert json.loads(report.stdout)["invalid_roadmaps"][0]["file"].endswith("broken.yaml")


def test_aipm_creates_the_roadmaps_folder_it_names(run: Run, home: Path) -> None:
    result = run("roadmap", "list")
    assert f"Your own roadmaps go in {home / 'roadmaps'}" in result.stderr
    assert (home / "roadmaps").is_dir()
    assert (home / "roadmaps").stat().st_mode & 0o777 == 0o700


def test_roadmap_validate_json(run: Run, tmp_path: Path) -> None:
    from test_issue16 import OWN

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(OWN)
    bad.write_text(OWN.replace("kind: topic", "kind: lecture"))
    ok = run("roadmap", "validate", str(good), "--json")
    assert ok.exit_code == 0 and ok.stderr == ""
    data = json.loads(ok.stdout)
    assert data["valid"] is True and data["id"] == "data-engineering" and data["problems"] == []
    refused = run("roadmap", "validate", str(bad), "--json")
    assert refused.exit_code == 1
    problems = json.loads(refused.stdout)["problems"]
    assert problems and problems[0]["line"] and "lecture" in problems[0]["message"]
    missing = run("roadmap", "validate", str(tmp_path / "none.yaml"), "--json")
    assert missing.exit_code == 1 and json.loads(missing.stdout)["valid"] is False


# --------------------------------------------------------------------------- #
# 9. doctor --repair
# --------------------------------------------------------------------------- #


def test_doctor_repair_moves_a_damaged_line_and_a_torn_tail_after_asking(
    run: Run, home: Path, store_path: Path
) -> None:
    run("done", "ai-for-everyone")
    run("start", "user-research")
    [log] = list(store_path.glob("*.jsonl"))
    good = log.read_bytes()
    damaged, torn = b'{"broken": tru\n', b'{"op":"do'
    log.write_bytes(good + damaged + torn)
    blocked = run("start", "product-strategy")
    assert blocked.exit_code == 1 and "Nothing was changed" in blocked.stderr
    refused = run("doctor", "--repair")  # no terminal to ask on: nothing moves without --yes
    assert refused.exit_code == 1
    assert "line 3 (15 bytes, it is not valid JSON" in refused.stderr
    assert "line 4 (9 bytes, a torn last line" in refused.stderr
    assert "aipm doctor --repair --yes" in refused.stderr
    assert log.read_bytes() == good + damaged + torn
    repaired = run("doctor", "--repair", "--yes")
    assert repaired.exit_code == 0, repaired.stderr
    assert "✓ Moved 2 lines into" in repaired.stderr
    assert log.read_bytes() == good  # every readable line as it was, in order
    [kept] = list((home / "learners" / "ada" / "backups").glob("damaged-*"))
    assert kept.read_bytes() == damaged + torn + b"\n"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert run("start", "product-strategy").exit_code == 0  # writes work again
    again = run("doctor", "--repair")
    assert "Nothing to repair" in again.stderr and again.exit_code == 0


def test_yes_without_repair_is_a_usage_error(run: Run) -> None:
    assert run("doctor", "--yes").exit_code == 2


# --------------------------------------------------------------------------- #
# 8. The TUI at 80x24 (Textual's pilot)
# --------------------------------------------------------------------------- #


def _tui(home: Path) -> Any:
    from aipm_cli.learner import Learner
    from aipm_cli.tui.app import AipmApp

    return AipmApp(Learner(home, user="ada"), refresh_seconds=5)


def _screen_text(app: Any) -> str:
    """The screen as plain text, 24 lines of 80 columns (what a terminal shows, without colour)."""
    import io

    from rich.console import Console

    console = Console(width=80, height=24, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def _drive(home: Path, *steps: Any) -> tuple[dict[str, Any], str]:
    """Run the TUI at 80x24 through `steps`; what it showed at the end (read while it still runs)."""
    import asyncio

    import pytest

    pytest.importorskip("textual")

    async def go() -> tuple[dict[str, Any], str]:
        app = _tui(home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for step in steps:
                if step.startswith("select:"):
                    app.select(step.removeprefix("select:"))
                elif step.startswith("type:"):
                    for key in step.removeprefix("type:"):
                        await pilot.press(key)
                else:
                    await pilot.press(step)
                await pilot.pause()
            seen = {
                "message": str(app.query_one("#message").render()) if not app.screen.is_modal else "",
                "dialog": type(app.screen).__name__,
                "day": app.day,
            }
            return seen, _screen_text(app)

    return asyncio.run(go())


def test_tui_fits_80x24_titles_ellipsised_footer_whole_detail_wrapped_at_words(home: Path) -> None:
    _app, screen = _drive(home, "select:ai-for-everyone")
    lines = screen.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert "q Quit" in lines[-1]
    assert "Phase 1: Product Management…  0%" in screen  # ellipsised, its percentage kept
    detail = [line[41:].strip() for line in lines[2:-2]]
    # The detail pane wraps between words: no line of it starts with a word cut from the line above.
    assert "the career path. Its" in " ".join(detail)
    assert "the" not in detail
    golden = Path(__file__).parent / "data" / "golden" / "tui-80x24.txt"
    import os

    if os.environ.get("AIPM_UPDATE_GOLDEN"):
        golden.write_text(screen)
    assert screen == golden.read_text()


def test_tui_d_on_a_done_item_says_already_done_and_records_nothing(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone")
    seen, _screen = _drive(home, "select:ai-for-everyone", "d")
    assert "ai-for-everyone is already done; nothing changed." in seen["message"]
    assert len(json.loads(run("log", "--json").stdout)) == 1


def test_tui_a_bad_date_keeps_the_date_dialog_open(home: Path) -> None:
    seen, screen = _drive(home, "D", "type:2026-13-45", "enter")
    assert seen["dialog"] == "Ask"  # still open, to correct the date
    assert "2026-13-45" in screen and seen["day"] is None
    seen, screen = _drive(home, "D", "type:2026-13-45", "enter", *["backspace"] * 5, "type:11-02", "enter")
    assert seen["dialog"] != "Ask"
    assert seen["day"].isoformat() == "2026-11-02"
    assert "Changes are for 2026-11-02." in seen["message"]


def test_tui_without_a_terminal_refuses_at_once(run: Run) -> None:
    import subprocess

    from conftest import aipm_process

    result = run("tui")  # the test runner's stdin and stdout are not terminals
    assert result.exit_code == 1
    assert "aipm tui needs a terminal" in result.stderr
    process = aipm_process("tui", stdin=subprocess.DEVNULL)
    assert process.returncode == 1
    assert process.stdout == ""  # no escapes written into a file
    assert "aipm tui needs a terminal, and its stdin and stdout are not one." in process.stderr


# --------------------------------------------------------------------------- #
# 6. Docs and help
# --------------------------------------------------------------------------- #


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    import re

    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_section_the_readme_links_to_exists() -> None:
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    headings = re.findall(r"^#{1,6} (.+)$", readme, re.M)
    anchors = {_anchor(h) for h in headings}
    links = re.findall(r"\]\(#([^)]+)\)", readme)
    assert links
    assert not [link for link in links if link not in anchors]
    titles = {h.strip() for h in headings}
    named = [" ".join(n.split()) for n in re.findall(r"see \*([^*]+)\*", readme)]
    assert not [n for n in named if n not in titles]
    for section in ("The terminal UI", "Shell completion"):
        assert section in titles


def test_the_csv_paragraph_says_each_thing_once() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert readme.count("entries on separate lines of one field)") == 1
    assert readme.count("written with a leading `'`") == 1


def test_the_readme_says_how_to_activate_the_venv_and_how_long_the_tests_take() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "source .venv/bin/activate" in readme
    assert "takes about 4 minutes" in readme


# Message templates that put a number before a plural noun without `wording.count` (or `plural`),
# each because the number can never be 1 there.
ALWAYS_PLURAL = {
    ("errors.py", "characters)"),  # only for texts longer than the limit
    ("config.py", "links is too many"),  # only above MAX_LINKS
    ("dashboard.py", "weeks ago"),  # the consistency strip's fixed number of weeks
    ("dashboard.py", "entries with progress are"),  # the singular is its own branch
    ("provenance.py", "units to not started"),  # a reset is destructive from 6 units on
    ("provenance.py", "entries (notes or evidence)"),  # a removal is destructive from 6 entries on
    ("paths.py", 'characters"'),  # NAME_LIMIT, a constant of 64
    ("reports.py", "changes"),  # the singular is its own branch ("the one change")
    ("roadmaps.py", "files have the id"),  # a clash takes two files at least
    ("marking.py", "entries:"),  # several candidates (one is resolved)
    ("learners.py", "backups:"),  # several candidates (one is restored)
    ("doctor.py", "files have the id"),  # a clash takes two files at least
    ("config.py", "characters."),  # a fixed limit (80 or 160)
    ("config.py", "hours a week is out"),  # only 0 and less, or above 100
    ("changes.py", "characters"),  # a fixed limit
}
_NOUNS = (
    "changes|entries|items|lines|files|learners|units|problems|sessions|events|days|weeks|notes|roadmaps|"
    "deliverables|modules|phases|skills|ids|devices|machines|bytes|characters|links|backups|hours"
)


def test_no_message_template_puts_a_number_before_a_plural_noun_unchecked() -> None:
    """'1 entry with progress are not in this roadmap': every `{n} things` in a message goes through
    wording.count (or sync's plural), unless the number can never be 1 (ALWAYS_PLURAL, with why)."""
    import re

    source = Path(__file__).resolve().parent.parent / "src" / "aipm_cli"
    pattern = re.compile(r"\{([^{}]+)\} (?:[a-z]+ )?(" + _NOUNS + r")\b(.{0,20})")
    found = []
    for path in sorted(source.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not re.search(r"""\bf["']""", line):
                continue
            for match in pattern.finditer(line):
                expression = match.group(1)
                if re.match(r"\s*(count|plural|counted|noun)\(", expression) or ":" in expression:
                    continue
                if re.fullmatch(
                    r"[\w.]*(path|file|folder|where|remote|name|spec|source|what|title|kind|suffix)[\w.]*", expression
                ):
                    continue  # a place or a name, not a number
                context = match.group(2) + match.group(3)
                if any(path.name == f and c in context for f, c in ALWAYS_PLURAL):
                    continue
                found.append(f"{path.relative_to(source)}:{number}: {match.group(0)}")
    assert not found, "\n".join(found)


def test_one_orphan_is_said_in_the_singular(run: Run, store_path: Path) -> None:
    run("done", "ai-for-everyone")
    [log] = list(store_path.glob("*.jsonl"))
    line = json.loads(log.read_text().splitlines()[0])
    # (a new id in the same millisecond, after the first: its random part all Z)
    line.update(id=line["id"][:10] + "Z" * 16, targets=["gone-item"], units=["gone-item"])
    with log.open("a") as handle:
        handle.write(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n")
    result = run("doctor")
    assert "1 entry with progress is not in this roadmap: gone-item" in result.stdout + result.stderr


def test_an_option_of_other_commands_is_not_answered_with_a_lookalike(run: Run) -> None:
    result = run("done", "ai-for-everyone", "--json")
    assert result.exit_code == 2
    assert "`aipm done` has no --json option (other aipm commands have it)." in result.stderr
    assert "--on" not in result.stderr
    typo = run("status", "--jsn")  # a typo still gets Click's suggestion
    assert typo.exit_code == 2 and "--json" in typo.stderr


def _on_a_60_column_terminal(args: list[str], answer: bytes) -> str:
    """Run aipm with stdin, stdout and stderr on a pseudo-terminal 60 columns wide; answer its question."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    with subprocess.Popen([sys.executable, "-m", "aipm_cli", *args], stdin=slave, stdout=slave, stderr=slave,
                          env=env) as process:  # fmt: skip
        os.close(slave)
        received = b""
        asked = False
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            received += chunk
            if not asked and b"[y/N]" in received:
                os.write(master, answer)
                asked = True
        os.close(master)
        process.wait(timeout=60)
    return received.decode("utf-8").replace("\r\n", "\n")


def test_doctor_repair_asks_in_the_singular_and_wraps_between_words(run: Run, store_path: Path) -> None:
    run("done", "ai-for-everyone")
    [log] = list(store_path.glob("*.jsonl"))
    with log.open("ab") as handle:
        handle.write(b'{"broken": "a damaged line long enough to need wrapping at sixty columns", tru\n')
    shown = _on_a_60_column_terminal(["doctor", "--repair"], b"n\n")
    assert "1 line would move. Move it? [y/N]" in shown
    lines = shown.splitlines()
    assert all(len(line) <= 60 for line in lines), shown
    # Each line ends between words: the next line starts with a word, indented under the first.
    listed = [n for n, line in enumerate(lines) if line.startswith("  ") and ".jsonl, line 2" in line]
    assert listed and lines[listed[0] + 1].startswith("    ") and not lines[listed[0] + 1][4:5].isspace()
    assert "Nothing was done." in shown


def test_doctor_says_who_can_read_a_log_as_a_person_would(run: Run, store_path: Path) -> None:
    run("done", "ai-for-everyone")
    [log] = list(store_path.glob("*.jsonl"))
    log.chmod(0o644)
    said = " ".join((run("doctor").stdout + run("doctor").stderr).split())
    assert "can be read by other users of this computer (read by its group and everyone: -rw-r--r--)" in said
    assert "0o644" not in said


def test_backups_are_readable_at_60_and_80_columns(run: Run) -> None:
    run("--user", "bob", "done", "ai-for-everyone")
    run("users", "remove", "bob", "--yes")
    for width in ("60", "80"):
        shown = invoke_line(["backups"], env={"COLUMNS": width}).stdout
        lines = shown.splitlines()
        assert lines[0] == "learner-bob-20261124T100000"
        assert lines[1].startswith("  removed learner · bob · kept since 20")  # (the folder's own time)
        assert all(len(line) <= int(width) for line in lines)


def test_many_orphans_are_counted_once_and_named_a_few(run: Run, run_json: Any, store_path: Path) -> None:
    """2,000 entries with progress on ids the roadmap lacks: status names five and counts the rest (it
    drew every id, seconds at 200,000), its JSON holds the count and the first twenty, doctor names ten;
    the reports still list every one."""
    from aipm_cli.record.changes import line
    from aipm_cli.record.ids import encode_id

    run("done", "ai-for-everyone")
    [log] = list(store_path.glob("*.jsonl"))
    first = json.loads(log.read_text().splitlines()[0])
    with log.open("ab") as handle:
        for number in range(2_000):
            change = {**first, "id": encode_id((1_700_000_000_000 << 80) | number), "op": "start",
                      "targets": [f"gone-{number:04d}"], "units": [f"gone-{number:04d}"]}  # fmt: skip
            handle.write(line(change))
    said = " ".join(run("status").stdout.split())
    assert "2,000 entries with progress are not in this roadmap version (kept, not counted): " in said
    assert "gone-0000, gone-0001, gone-0002, gone-0003, gone-0004 and 1,995 more." in said
    assert "gone-0005" not in said
    data = run_json("status")
    assert data["orphan_count"] == 2_000 and data["orphans"] == [f"gone-{n:04d}" for n in range(20)]
    doctor = run("doctor")
    assert "gone-0009 and 1,990 more (kept, not counted; --json lists every one)" in doctor.stdout + doctor.stderr
    assert len(json.loads(run("doctor", "--json").stdout)["orphans"]) == 2_000
    assert "gone-1999" in run("export", "--format", "md").stdout


def test_a_note_longer_than_a_change_holds_is_said_plainly_and_nothing_is_saved(run: Run) -> None:
    """A note over the limit is the learner's input, not a bug: the limit is named, nothing is written."""
    long = "x" * 100_001
    for args in (("note", "ai-for-everyone", long), ("done", "ai-for-everyone", "-m", long)):
        refused = run(*args)
        assert refused.exit_code == 1, refused.stderr
        assert "100,001 characters long; one change holds at most 100,000" in refused.stderr
        assert "could not read back" not in refused.stderr and "Nothing was saved" in refused.stderr
    assert json.loads(run("log", "--json").stdout) == []
    assert run("note", "ai-for-everyone", "x" * 100_000).exit_code == 0  # the limit itself is fine


def test_an_export_with_no_changes_makes_no_learner(run: Run, home: Path, tmp_path: Path) -> None:
    """Importing an empty export for a new name made an empty learner folder, which then locked out the
    learner in use ('has no progress here. Learners here: Zoe') while `users` said there were none."""
    empty = tmp_path / "empty.json"
    assert run("export", "--format", "json", "-o", str(empty)).exit_code == 0
    result = run("import", str(empty), "--user", "Zoe")
    assert result.exit_code == 0 and "holds no changes: nothing was imported" in result.stderr, result.stderr
    assert not (home / "learners" / "Zoe").exists()
    assert run("status").exit_code == 0


@pytest.mark.parametrize(
    "line",
    [["done", "ai-for-everyone", "-m", "first", "-m", "second"], ["start", "ai-for-everyone", "--note", "a", "--note=b"],
     ["done", "ai-for-everyone", "--on", "2026-11-01", "--on=2026-11-02"], ["log", "-n", "2", "--limit", "3"],
     ["study", "stop", "--spent", "1m", "--spent", "2m"]],
    ids=" ".join,
)  # fmt: skip
def test_an_option_given_twice_is_a_usage_error_that_records_nothing(run: Run, home: Path, line: list[str]) -> None:
    """Click kept the last value of an option given twice and dropped the first without a word."""
    result = run(*line)
    assert result.exit_code == 2, result.stderr
    assert "is given twice" in result.stderr and "give it once" in result.stderr
    assert not list(home.rglob("*.jsonl"))
    assert run("done", "ai-for-everyone", "-e", "a", "-e", "b").exit_code == 0  # (--evidence: many on purpose)
