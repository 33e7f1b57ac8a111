"""Issue 16: own roadmaps found by id, validation in one run, prerequisites, corrections, housekeeping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Run

OWN = """\
id: data-engineering
title: Data Engineering
version: "1"
phases:
  - id: foundations
    title: Foundations
    modules:
      - id: sql
        title: SQL
        items:
          - id: sql-basics
            title: SQL basics
            kind: course
            duration: 2 weeks
          - id: sql-joins
            title: SQL joins
            kind: topic
  - id: pipelines
    title: Pipelines
    requires: [sql]
    modules:
      - id: batch
        title: Batch
        items:
          - id: airflow
            title: Airflow
            kind: course
          - id: dbt
            title: dbt
            kind: course
            requires: [foundations]
"""


def own_roadmap(home: Path, name: str = "data-eng.yaml", text: str = OWN) -> Path:
    folder = home / "roadmaps"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- #
# 1. Own roadmaps are found by their id
# --------------------------------------------------------------------------- #


def test_own_roadmap_is_found_by_its_id_whatever_the_file_is_called(run: Run, home: Path) -> None:
    own_roadmap(home)
    used = run("roadmap", "use", "data-eng")
    assert used.exit_code == 0, used.stderr
    assert "Data Engineering" in used.stderr
    for args in (("status",), ("list",), ("done", "sql-basics"), ("plan",), ("users",), ("export",)):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
    assert run("--roadmap", "data-engineering", "status").exit_code == 0


def test_roadmap_list_shows_ids_and_reports_two_files_with_one_id(run: Run, home: Path) -> None:
    own_roadmap(home)
    own_roadmap(home, "copy.yaml")
    result = run("roadmap", "list")
    assert result.exit_code == 0
    assert "data-engineering" in result.stdout
    assert "data-eng " not in result.stdout
    assert "2 files have the id 'data-engineering': copy.yaml, data-eng.yaml" in result.stderr
    doctor = run("doctor", "--json")
    report = json.loads(doctor.stdout)
    assert any("data-engineering" in p for p in report["problems"])


def test_roadmap_use_only_succeeds_when_the_roadmap_loads(run: Run, home: Path) -> None:
    own_roadmap(home, "broken.yaml", OWN.replace("kind: topic", "kind: lecture"))
    result = run("roadmap", "use", "broken")
    assert result.exit_code == 1
    assert "not a valid roadmap" in result.stderr
    assert not (home / "config.json").exists()


# --------------------------------------------------------------------------- #
# 2. validate lists every problem in one run; requires may name modules and phases
# --------------------------------------------------------------------------- #


def test_validate_lists_structural_and_cross_reference_problems_in_one_run_sorted_by_line(
    run: Run, tmp_path: Path
) -> None:
    text = (
        OWN.replace("kind: topic", "kind: lecture")  # structural (line 17)
        .replace("requires: [foundations]", "requires: [fundations]")  # cross-reference
        .replace("id: dbt", "id: airflow")  # duplicate id
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    result = run("roadmap", "validate", str(path))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"  {path}:")]
    assert len(lines) == 3, result.stderr
    assert "'lecture' is not allowed" in lines[0]
    assert "the id 'airflow' is already used" in lines[1]
    assert "requires 'fundations', which is not an item, module or phase" in lines[2]
    numbers = [int(line.split(":")[1]) for line in lines]
    assert numbers == sorted(numbers)


def test_requires_may_name_modules_and_phases(home: Path) -> None:
    from aipm_cli.learner import Learner

    own_roadmap(home)
    learner = Learner(home, user="ada", roadmap="data-engineering")
    index = learner.roadmap.index
    assert index.items["airflow"].requires == ["sql-basics", "sql-joins"]
    assert index.items["dbt"].requires == ["sql-basics", "sql-joins"]
    assert [r.id for r in learner.upcoming()] == ["sql-basics", "sql-joins"]
    learner.mark("done", ["sql"])
    assert [r.id for r in learner.upcoming()] == ["airflow", "dbt"]


def test_an_item_requiring_its_own_module_is_a_cycle(tmp_path: Path) -> None:
    from aipm_cli.errors import RoadmapError
    from aipm_cli.roadmap.loading import load_roadmap_file

    path = tmp_path / "plan.yaml"
    path.write_text(OWN.replace("requires: [foundations]", "requires: [batch]"))
    with pytest.raises(RoadmapError) as caught:
        load_roadmap_file(path)
    assert any("requires form a cycle" in str(p) for p in caught.value.problems)


# --------------------------------------------------------------------------- #
# 3. A warning when something is started or done before its prerequisites
# --------------------------------------------------------------------------- #


def test_done_before_prerequisites_warns_and_still_marks(run: Run, home: Path) -> None:
    own_roadmap(home)
    result = run("--roadmap", "data-engineering", "done", "dbt")
    assert result.exit_code == 0
    assert "Warning: dbt is done before what it requires: sql-basics, sql-joins (not done yet)." in result.stderr
    assert "✓ Done: dbt (dbt)" in result.stderr
    quiet = run("--roadmap", "data-engineering", "done", "sql")
    assert "Warning" not in quiet.stderr
    started = run("--roadmap", "data-engineering", "start", "airflow")
    assert "Warning" not in started.stderr
    both = run("--roadmap", "data-engineering", "reset", "sql", "dbt")
    assert both.exit_code == 0
    several = run("--roadmap", "data-engineering", "done", "airflow", "dbt")
    assert several.stderr.count("Warning") == 1
    assert "Warning: 2 items (airflow, dbt) are done before what they require: sql-basics, sql-joins" in several.stderr


def test_bundled_roadmap_warns_too(run: Run) -> None:
    result = run("start", "market-analysis")
    assert result.exit_code == 0
    assert "Warning: market-analysis is started before what it requires: ai-for-everyone (not done yet)." in (
        result.stderr
    )


# --------------------------------------------------------------------------- #
# 5. Corrections are changes that undo reverts
# --------------------------------------------------------------------------- #


def test_done_on_a_done_item_corrects_the_date_and_undo_reverts_it(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone", "--on", "2026-11-20")
    result = run("done", "ai-for-everyone", "--on", "2026-11-01")
    assert result.exit_code == 0
    assert "Corrected the completion date of ai-for-everyone to 2026-11-01" in result.stderr
    shown = run_json("show", "ai-for-everyone")
    assert shown["completed_on"] == "2026-11-01"
    assert shown["started_on"] == "2026-11-01"
    same = run("done", "ai-for-everyone", "--on", "2026-11-01")
    assert "already done; nothing changed" in same.stderr
    run("undo")
    assert run_json("show", "ai-for-everyone")["completed_on"] == "2026-11-20"


def test_start_on_an_item_in_progress_corrects_the_start(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("start", "ai-for-everyone", "--on", "2026-11-20")
    run("start", "ai-for-everyone", "--on", "2026-11-10")
    assert run_json("show", "ai-for-everyone")["started_on"] == "2026-11-10"
    entry = run_json("log")[0]
    assert entry["action"] == "redate"
    run("undo")
    assert run_json("show", "ai-for-everyone")["started_on"] == "2026-11-20"


def test_done_without_on_never_changes_the_date(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone", "--on", "2026-11-20")
    result = run("done", "ai-for-everyone")
    assert "already done; nothing changed" in result.stderr
    assert run_json("show", "ai-for-everyone")["completed_on"] == "2026-11-20"


def test_notes_and_evidence_are_removed_by_number_and_come_back_with_undo(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("note", "ai-for-everyone", "first")
    run("note", "ai-for-everyone", "second")
    run("done", "ai-for-everyone", "-e", "https://example.org/a", "-e", "cert-123")
    shown = run("show", "ai-for-everyone").stdout
    assert "1. 2026-11-24  first" in shown and "2. 2026-11-24  second" in shown
    assert "2. 2026-11-24  cert-123" in shown
    removed = run("note", "ai-for-everyone", "--remove", "1")
    assert removed.exit_code == 0, removed.stderr
    assert "Removed note 1 of AI for Everyone (ai-for-everyone): 2026-11-24  first" in removed.stderr
    assert [n["text"] for n in run_json("show", "ai-for-everyone")["notes"]] == ["second"]
    gone = run("evidence", "ai-for-everyone", "--remove", "2")
    assert gone.exit_code == 0, gone.stderr
    assert [e["text"] for e in run_json("show", "ai-for-everyone")["evidence"]] == ["https://example.org/a"]
    run("undo")
    run("undo")
    data = run_json("show", "ai-for-everyone")
    assert [n["text"] for n in data["notes"]] == ["first", "second"]
    assert len(data["evidence"]) == 2
    missing = run("note", "ai-for-everyone", "--remove", "5")
    assert missing.exit_code == 1
    assert "has no note 5; it has 2 notes." in missing.stderr
    assert run("note", "ai-for-everyone", "--remove", "0").exit_code == 2


# --------------------------------------------------------------------------- #
# 6. Housekeeping: learners, orphans, backups
# --------------------------------------------------------------------------- #


def test_users_rename_keeps_every_change(run: Run, run_json, home: Path) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    run("config", "user", "ada")
    result = run("users", "rename", "ada", "grace")
    assert result.exit_code == 0, result.stderr
    assert "✓ ada is now grace." in result.stderr
    assert (home / "config.json").read_text().count("grace") == 1
    listed = run_json("users")
    assert [u["user"] for u in listed["users"]] == ["grace"]
    assert run_json("--user", "grace", "status")["counts"]["done"] == 1
    clash = run("users", "rename", "grace", "grace")
    assert clash.exit_code == 1
    assert "There is already a learner called 'grace'." in clash.stderr
    assert run("users", "rename", "nobody", "x").exit_code == 1


def test_users_remove_moves_into_backups_and_restore_brings_back(run: Run, run_json, home: Path) -> None:  # type: ignore[no-untyped-def]
    run("--user", "bob", "done", "ai-for-everyone")
    removed = run("users", "remove", "bob")
    assert removed.exit_code == 0, removed.stderr
    assert "Removed bob; their progress is kept as the backup learner-bob-20261124T100000." in removed.stderr
    assert not (home / "learners" / "bob").exists()
    assert run_json("users")["users"] == []
    listing = run_json("backups")
    assert [(b["name"], b["kind"], b["restorable"]) for b in listing] == [
        ("learner-bob-20261124T100000", "removed learner", True)
    ]
    table = run("backups")
    assert "learner-bob-20261124T100000" in table.stdout
    restored = run("restore", "learner-bob-20261124T100000")
    assert restored.exit_code == 0, restored.stderr
    assert run_json("--user", "bob", "status")["counts"]["done"] == 1
    assert run_json("backups") == []
    assert run("restore", "learner-bob-20261124T100000").exit_code == 1


def test_every_backup_is_named_by_the_pinned_clock_as_a_removed_learner_is(run: Run, home: Path) -> None:
    """AIPM_NOW pins the clock (here 2026-11-24T10:00Z): a torn last line set aside by the next write, and
    a damaged line `doctor --repair` moves, are named by it as a removed learner is, never by the real
    clock; two in one pinned second are two files, never one over the other."""
    run("done", "ai-for-everyone")
    [log] = list((home / "learners" / "ada" / "ai-product-manager" / "changes").glob("*.jsonl"))
    for torn, then in ((b'{"v":1,"id":"01', "user-research"), (b'{"v":1,"i', "product-strategy")):
        with open(log, "ab") as handle:
            handle.write(torn)  # a write cut short by a kill
        assert run("done", then).exit_code == 0  # sets the torn line aside
    with open(log, "ab") as handle:
        handle.write(b'{"broken": tru\n')
    assert run("doctor", "--repair", "--yes").exit_code == 0
    run("--user", "bob", "done", "ai-for-everyone")
    assert run("users", "remove", "bob").exit_code == 0
    kept = home / "learners" / "ada" / "backups"
    stem = f"ai-product-manager-{log.stem}-20261124T100000"
    assert sorted(p.name for p in kept.iterdir()) == [f"damaged-{stem}.bin", f"torn-{stem}-2.bin", f"torn-{stem}.bin"]
    assert (kept / f"torn-{stem}.bin").read_bytes() == b'{"v":1,"id":"01'
    assert (kept / f"torn-{stem}-2.bin").read_bytes() == b'{"v":1,"i'
    assert [p.name for p in (home / "backups").iterdir()] == ["learner-bob-20261124T100000"]


def test_users_without_subcommand_still_lists(run: Run) -> None:
    run("done", "ai-for-everyone")
    result = run("users")
    assert result.exit_code == 0
    assert "ada" in result.stdout


def test_doctor_forget_orphans_is_a_change_undo_brings_back(run: Run, run_json, home: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from aipm_cli.paths import bundled_roadmaps_dir

    text = (bundled_roadmaps_dir() / "ai-product-manager.yaml").read_text()
    folder = home / "roadmaps"
    folder.mkdir(parents=True)
    run("done", "ai-for-everyone")
    (folder / "ai-product-manager.yaml").write_text(
        text.replace("id: ai-for-everyone", "id: ai-for-all").replace("[ai-for-everyone]", "[ai-for-all]")
    )
    sick = run("doctor")
    assert sick.exit_code == 1
    assert "--forget-orphans" in sick.stderr
    cured = run("doctor", "--forget-orphans")
    assert cured.exit_code == 0, cured.stdout + cured.stderr
    assert "Forgot the progress of 1 id no longer in the roadmap: ai-for-everyone." in cured.stderr
    run("undo")
    assert run("doctor").exit_code == 1
    shutil.rmtree(folder)
    assert run_json("show", "ai-for-everyone")["status"] == "done"


def test_an_invalid_own_roadmap_is_not_validated_again_on_every_command(run: Run, home: Path) -> None:
    own_roadmap(home, "broken.yaml", OWN.replace("kind: topic", "kind: lecture"))
    first = run("roadmap", "list")
    assert "invalid:" in first.stdout
    assert list((home / "cache" / "roadmaps").glob("*.invalid"))
    from aipm_cli.roadmap import finding

    refs = finding.available(home / "roadmaps", home / "cache")
    assert [(r.id, r.error is not None) for r in refs if r.origin == "own"] == [("broken", True)]
    assert run("status").exit_code == 0


def test_own_roadmaps_known_by_id_cost_no_yaml_parser_once_seen(run: Run, home: Path) -> None:
    from test_startup import imported_by

    own_roadmap(home)
    own_roadmap(home, "broken.yaml", OWN.replace("kind: topic", "kind: lecture"))
    run("roadmap", "use", "data-engineering")
    run("done", "sql-basics")
    run("--roadmap", "ai-product-manager", "status")  # the first use of a file validates and caches it
    for args in (("status",), ("list",), ("--roadmap", "ai-product-manager", "status")):
        loaded = imported_by(*args)
        assert "aipm_cli.learner" in loaded, args
        assert not [m for m in ("pydantic", "yaml", "aipm_cli.roadmap.models") if m in loaded], args


def test_learners_are_not_renamed_or_removed_in_a_synced_data_directory(run, home) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    (home / ".git").mkdir()
    for args in (("users", "rename", "ada", "grace"), ("users", "remove", "ada")):
        result = run(*args)
        assert result.exit_code == 1 and "synced with git" in result.stderr
    assert (home / "learners" / "ada").is_dir()


def test_renaming_the_learner_in_use_moves_your_commands_with_it(run, home, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AIPM_USER")
    monkeypatch.setattr("aipm_cli.learner.default_user_name", lambda: "ada")
    run("done", "ai-for-everyone")
    assert run("users", "rename", "ada", "lovelace").exit_code == 0
    import json

    assert json.loads(run("status", "--json").stdout)["user"] == "lovelace"
    assert json.loads(run("status", "--json").stdout)["counts"]["done"] == 1
