"""Marking progress: start, done, skip, reset, undo, note; finding items; projects and certifications."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import log_bytes


def item(run_json, item_id: str) -> dict:  # type: ignore[no-untyped-def]
    return run_json("show", item_id)


def test_done_with_date_note_and_evidence(run, run_json) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "done",
        "ai-for-everyone",
        "--on",
        "2026-10-01",
        "--note",
        "Loved week 3",
        "--evidence",
        "https://coursera.org/verify/ABC",
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "✓ Done: AI for Everyone (ai-for-everyone) on 2026-10-01.\n"
    shown = item(run_json, "ai-for-everyone")
    assert shown["status"] == "done"
    assert shown["completed_on"] == "2026-10-01"
    assert shown["started_on"] == "2026-10-01"
    assert [n["text"] for n in shown["notes"]] == ["Loved week 3"]
    assert shown["evidence"][0] == {
        "at": "2026-11-24T10:00:00+00:00",
        "on": "2026-10-01",
        "text": "https://coursera.org/verify/ABC",
        "is_link": True,
    }


def test_a_note_keeps_the_date_it_is_given(run, run_json) -> None:  # type: ignore[no-untyped-def]
    result = run("note", "ai-for-everyone", "read week 2", "--on", "2026-11-20")
    assert result.exit_code == 0 and "Noted on AI for Everyone" in result.stderr
    run("note", "ai-for-everyone", "and week 3")
    shown = item(run_json, "ai-for-everyone")
    assert [(n["text"], n["on"]) for n in shown["notes"]] == [
        ("read week 2", "2026-11-20"),
        ("and week 3", "2026-11-24"),
    ]
    refused = run("note", "ai-for-everyone", "x", "--on", "2026-13-01")
    assert refused.exit_code == 2 and "--on" in refused.stderr
    assert len(item(run_json, "ai-for-everyone")["notes"]) == 2


def test_start_then_done_keeps_the_start_date(run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("start", "ai-for-everyone", "--on", "yesterday")
    run("done", "ai-for-everyone")
    shown = item(run_json, "ai-for-everyone")
    assert (shown["started_on"], shown["completed_on"]) == ("2026-11-23", "2026-11-24")


def test_skip_with_reason_and_reset(run, run_json) -> None:  # type: ignore[no-untyped-def]
    assert run("skip", "product-hunt", "--reason", "not for me").exit_code == 0
    shown = item(run_json, "product-hunt")
    assert (shown["status"], shown["skip_reason"], shown["skipped_on"]) == ("skipped", "not for me", "2026-11-24")
    result = run("reset", "product-hunt")
    assert result.stderr == "✓ Reset: Product Hunt (product-hunt).\n"
    assert item(run_json, "product-hunt")["status"] == "not_started"


def test_several_items_at_once(run, run_json) -> None:  # type: ignore[no-untyped-def]
    result = run("done", "user-research", "product-lifecycle", "market-analysis")
    assert result.exit_code == 0
    assert "3 items (user-research, product-lifecycle, market-analysis)" in result.stderr
    assert len(run_json("log")) == 1


def test_same_status_again_is_harmless(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    before = log_bytes(store_path)
    result = run("done", "ai-for-everyone")
    assert result.exit_code == 0
    assert result.stderr == "AI for Everyone (ai-for-everyone) is already done; nothing changed.\n"
    assert log_bytes(store_path) == before


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ("2026-13-01", "'2026-13-01' is not a date aipm understands."),
        ("2027-01-01", "The date 2027-01-01 is in the future."),
    ],
)
def test_bad_dates_change_nothing(run, store_path: Path, on: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = run("done", "ai-for-everyone", "--on", on)
    assert result.exit_code == 2  # a bad option value: a usage error
    assert message in " ".join(result.stderr.split())
    assert not store_path.exists()


def test_module_change_is_one_entry_and_undo_reverts_it_whole(run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("start", "user-research")
    result = run("done", "core-product-management")
    assert result.stderr.splitlines()[-1] == (
        "✓ Done: Core Product Management (core-product-management, 7 items) on 2026-11-24."
    )
    module = run_json("show", "core-product-management")
    assert module["counts"]["done"] == 7
    assert len(run_json("log")) == 2
    undo = run("undo")
    assert undo.stderr.startswith("✓ Undid done core-product-management")
    module = run_json("show", "core-product-management")
    assert module["counts"]["done"] == 0
    assert item(run_json, "user-research")["status"] == "in_progress"
    again = run("undo")
    assert again.stderr.startswith("✓ Undid start user-research")
    assert item(run_json, "user-research")["status"] == "not_started"
    nothing = run("undo")
    assert nothing.exit_code == 1
    assert "There is nothing to undo." in nothing.stderr
    log = run_json("log")
    assert [e["action"] for e in log] == ["undo", "undo", "done", "start"]
    assert [e["undone"] for e in log] == [False, False, True, True]


def test_phase_change_covers_every_item_inside(run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("skip", "phase-4")
    phase = run_json("show", "phase-4")
    assert phase["counts"] == {"total": 10, "done": 0, "in_progress": 0, "skipped": 10, "not_started": 0}


def test_project_is_done_when_its_deliverables_are(run, run_json) -> None:  # type: ignore[no-untyped-def]
    deliverables = ["feature-analysis-market-research", "feature-analysis-user-needs", "feature-analysis-specification"]
    run("done", *deliverables)
    assert item(run_json, "ai-feature-analysis")["status"] == "in_progress"
    run("done", "feature-analysis-success-metrics")
    shown = item(run_json, "ai-feature-analysis")
    assert shown["status"] == "done"
    assert shown["completed_on"] == "2026-11-24"
    assert [d["status"] for d in shown["deliverables"]] == ["done"] * 4


def test_marking_a_project_done_checks_every_deliverable(run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-product-prototype", "--evidence", "https://github.com/ada/prototype")
    shown = item(run_json, "ai-product-prototype")
    assert shown["status"] == "done"
    assert {d["status"] for d in shown["deliverables"]} == {"done"}
    assert shown["evidence"][0]["text"] == "https://github.com/ada/prototype"
    status = run_json("status")
    assert status["counts"]["done"] == 4  # deliverables are what counts


def test_certification_details(run, run_json) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "done", "agile-certification", "--on", "2026-09-01", "--credential", "CSM-0042", "--expires", "2028-09-01"
    )
    assert result.exit_code == 0
    shown = item(run_json, "agile-certification")
    assert shown["certification"] == {"earned_on": "2026-09-01", "credential": "CSM-0042", "expires_on": "2028-09-01"}
    status = run_json("status")
    assert status["certifications"] == [
        {"id": "agile-certification", "title": "Agile Certification", "earned_on": "2026-09-01", "credential": "CSM-0042",
         "expires_on": "2028-09-01", "expired": False}
    ]  # fmt: skip


def test_credential_on_a_course_is_refused(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("done", "ai-for-everyone", "--credential", "X")
    assert result.exit_code == 1
    assert "A credential and an expiry date are for certifications marked done." in result.stderr
    assert log_bytes(store_path) == {}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("ai-for-everyone", "ai-for-everyone"),  # id
        ("ai-for-e", "ai-for-everyone"),  # unique prefix
        ("ai for everyone", "ai-for-everyone"),  # title, any case
        ("SQL FOR PRODUCT MANAGERS", "sql-for-product-managers"),
        ("feature-analysis-spec", "feature-analysis-specification"),  # deliverable prefix
    ],
)
def test_finding_items(run, run_json, spec: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert run("start", spec).exit_code == 0
    assert run_json("show", expected)["status"] == "in_progress"


def test_ambiguous_prefix_lists_candidates(run) -> None:  # type: ignore[no-untyped-def]
    result = run("done", "product-s")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: 'product-s' matches 4 entries: product-strategy-and-roadmap, product-strategy, "
        "product-strategy-guide, product-school.",
        "Type more of the id to pick one.",
    ]


def test_alias_resolves_to_the_renamed_item(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        'id: plan\ntitle: Plan\nversion: "2"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n'
        "        title: M\n        items:\n          - {id: new-id, title: New, kind: topic, aliases: [old-id]}\n"
    )
    result = run("--roadmap", str(plan), "done", "old-id")
    assert result.stderr == "✓ Done: New (new-id) on 2026-11-24.\n"


def test_note_command(run, run_json) -> None:  # type: ignore[no-untyped-def]
    result = run("note", "ai-for", "Week 1: supervised learning clicked")
    assert result.stderr == "✓ Noted on AI for Everyone (ai-for-everyone).\n"
    assert item(run_json, "ai-for-everyone")["notes"][0]["text"] == "Week 1: supervised learning clicked"
    assert run("note", "ai-for", "  ").exit_code == 1


def test_users_lists_learners_with_percent(run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    run("--user", "grace", "done", "ai-for-everyone", "user-research")
    data = run_json("users")
    assert [(u["user"], u["done"], u["current"]) for u in data["users"]] == [("ada", 1, True), ("grace", 2, False)]
    assert data["users"][1]["percent"] == round(2 / 114 * 100, 1)
    text = run("users").stdout
    assert "grace" in text and "1.8%" in text


def test_doctor_on_a_healthy_store(run, run_json, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    run("done", "user-research")
    report = run_json("doctor")
    assert report["healthy"] is True
    assert report["changes_dir"] == str(store_path)
    assert report["roadmap"] == {"id": "ai-product-manager", "title": "AI Product Manager", "version": "1.2.0"}
    assert report["change_format"] == 1
    assert report["changes"] == 2 and report["in_effect"] == 2
    assert [Path(p["file"]).parent for p in report["logs"]] == [store_path]
    assert report["damaged_lines"] == [] and report["torn_lines"] == []
    assert report["orphans"] == []
    text = run("doctor").stdout
    assert "everything looks healthy" in text


def test_json_output_is_only_json(run) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    for args in (("status",), ("list",), ("show", "ai-for-everyone"), ("next",), ("log",), ("users",), ("doctor",)):
        result = run(*args, "--json")
        json.loads(result.stdout)
        assert result.stderr == ""


def test_the_vocabulary_matches_the_models() -> None:
    # vocabulary.py stays import-free for fast paths; it must say what the models accept.
    from typing import get_args

    from aipm_cli.roadmap import models, vocabulary

    assert vocabulary.KINDS == get_args(models.Kind)
    assert vocabulary.STATUSES == get_args(models.Status)


@pytest.mark.parametrize(
    ("evidence", "link"),
    [("https://example.org/cert/1", True), ("http://x.org", True), ("https://example.org/a b", False),
     ("javascript:alert(1)", False), ("https://", False), ("CSM-0042", False)],
)  # fmt: skip
def test_one_rule_for_what_is_a_link(run, run_json, evidence: str, link: bool) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone", "--evidence", evidence)
    assert run_json("show", "ai-for-everyone")["evidence"][0]["is_link"] is link
    assert ('href="' + evidence + '"' in run("export", "-f", "html").stdout) is link
    assert (f"]({evidence})" in run("export").stdout) is link


def test_evidence_and_a_note_on_something_already_done_are_added_and_dates_stay(run, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone", "--on", "2026-10-01")
    result = run("done", "ai-for-everyone", "--evidence", "https://x.example/cert", "-e", "second", "--note", "later")
    assert result.exit_code == 0, result.stderr
    shown = item(run_json, "ai-for-everyone")
    assert shown["completed_on"] == "2026-10-01"
    assert [e["text"] for e in shown["evidence"]] == ["https://x.example/cert", "second"]
    assert [n["text"] for n in shown["notes"]] == ["later"]
    assert run("start", "ai-for-everyone").exit_code == 1  # reopening needs a reset: the dates are not lost
    assert item(run_json, "ai-for-everyone")["completed_on"] == "2026-10-01"
