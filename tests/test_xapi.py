"""aipm's xAPI profile: `aipm export --format xapi` (statements checked with Ralph's xAPI models)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import Run

ADL = "http://adlnet.gov/expapi/verbs/"
CHANGE = "https://w3id.org/aipm/xapi/extensions/change"
REDID = "https://w3id.org/aipm/xapi/verbs/redid"


def ralph_model() -> Any:
    try:
        from ralph.models.xapi.base.statements import BaseXapiStatement
    except ImportError:  # pragma: no cover - the test extras install it
        pytest.skip("Ralph (ralph-malph, in the test extras) is not installed: its xAPI models check the statements")
    return BaseXapiStatement


def xapi(run: Run, *args: str) -> list[dict[str, Any]]:
    result = run("export", "--format", "xapi", *args)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def every_operation(run: Run, tmp_path: Path) -> None:
    """A log holding every operation the CLI writes (forget and restore: see the unit test below)."""
    steps = [
        (
            "done",
            "ai-for-everyone",
            "--on",
            "2026-10-01",
            "--evidence",
            "https://coursera.org/verify/X",
            "--note",
            "nice",
        ),
        ("start", "the-ai-pm-role", "--on", "2026-10-05"),
        ("skip", "machine-learning", "--reason", "I know it"),
        ("note", "ai-for-everyone", "private thought"),
        ("assess", "product-management", "3", "--note", "unsure"),
        ("done", "the-ai-pm-role"),
        ("undo",),
        ("redo",),
        ("done", "computer-vision", "--on", "2026-11-01"),
        ("done", "computer-vision", "--on", "2026-11-02"),
        ("reset", "computer-vision"),
        ("note", "ai-for-everyone", "--remove", "1"),
        ("done", "product-management-certification", "--credential", "PMC-1", "--expires", "2028-01-01"),
        ("study", "add", "ai-for-everyone", "1h30m"),
        ("review", "ai-for-everyone", "good"),
        ("study", "start", "machine-learning"),
    ]
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.stderr)
    export = tmp_path / "bob.json"
    assert run("--user", "bob", "done", "natural-language-processing").exit_code == 0
    assert run("--user", "bob", "export", "--format", "json", "-o", str(export)).exit_code == 0
    assert run("import", str(export)).exit_code == 0


def test_every_statement_of_every_operation_is_valid_xapi(run: Run, tmp_path: Path) -> None:
    model = ralph_model()
    every_operation(run, tmp_path)
    statements = xapi(run)
    ops = {s["context"]["extensions"][CHANGE]["op"] for s in statements}
    assert ops == {"done", "start", "skip", "note", "assess", "undo", "redo", "redate", "reset", "remove", "import",
                   "study", "review", "study_start"}  # fmt: skip
    # No statement falls back to the verb of a redo of something unknown (a change the profile did not map).
    assert all(s["verb"]["id"] != REDID for s in statements)
    by_op = {s["context"]["extensions"][CHANGE]["op"]: s for s in statements}
    assert by_op["study"]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/experienced"
    assert by_op["study"]["result"] == {"duration": "PT1H30M"}
    assert by_op["study"]["object"]["id"].endswith("/ai-for-everyone")
    assert by_op["review"]["result"] == {"score": {"raw": 3, "min": 1, "max": 4}}
    assert by_op["study_start"]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/initialized"
    for statement in statements:
        model.model_validate(statement)
        assert uuid.UUID(statement["id"]).version == 5
    assert len({s["id"] for s in statements}) == len(statements)
    # Exporting again gives the same statements (the same ids): an LRS keeps one copy.
    assert xapi(run) == statements


def test_the_verbs_the_actor_and_the_dates(run: Run, run_json: Any, tmp_path: Path) -> None:
    every_operation(run, tmp_path)
    assert run("config", "lrs_home_page", "https://school.example.edu").exit_code == 0
    statements = xapi(run)
    by_verb: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        by_verb.setdefault(statement["verb"]["id"], []).append(statement)
        assert statement["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": "https://school.example.edu", "name": "ada"},
        }
        change = statement["context"]["extensions"][CHANGE]
        assert statement["timestamp"] == change["on"] + "T00:00:00Z"  # the date the change is for
    assert "mbox" not in json.dumps(statements)
    done = [s for s in by_verb[ADL + "completed"] if s["object"]["id"].endswith("/ai-for-everyone")]
    assert done[0]["result"]["completion"] is True
    assert done[0]["timestamp"] == "2026-10-01T00:00:00Z"
    assert done[0]["result"]["extensions"]["https://w3id.org/aipm/xapi/extensions/evidence"] == [
        "https://coursera.org/verify/X"
    ]
    assert done[0]["object"]["definition"]["name"] == {"en-US": "AI for Everyone"}
    # Activity ids name the roadmap and the unit, never the roadmap's version.
    assert done[0]["object"]["id"] == "https://w3id.org/aipm/xapi/roadmaps/ai-product-manager/ai-for-everyone"
    cert = [s for s in by_verb[ADL + "completed"] if s["object"]["id"].endswith("/product-management-certification")]
    assert cert[0]["result"]["extensions"]["https://w3id.org/aipm/xapi/extensions/credential"] == "PMC-1"
    assert cert[0]["result"]["extensions"]["https://w3id.org/aipm/xapi/extensions/expires"] == "2028-01-01"
    assert {s["object"]["id"].rsplit("/", 1)[1] for s in by_verb[ADL + "attempted"]} == {
        "identifying-ai-opportunities", "cross-functional-collaboration", "product-strategy-and-roadmap",
        "ethics-and-risk-management", "ai-product-evaluation",
    }  # fmt: skip
    waived = by_verb["https://w3id.org/xapi/adl/verbs/waived"]
    assert [s["result"]["response"] for s in waived] == ["I know it"]
    # A whole module done: a statement per item, and `satisfied` for the module.
    satisfied = by_verb[ADL + "satisfied"]
    assert {s["object"]["id"].rsplit("/", 1)[1] for s in satisfied} == {"the-ai-pm-role"}
    scored = by_verb[ADL + "scored"][0]
    assert scored["result"]["score"] == {"raw": 3, "min": 1, "max": 5, "scaled": 0.6}
    assert scored["object"]["id"].endswith("/skills/product-management")
    assert len(by_verb["https://w3id.org/aipm/xapi/verbs/reset"]) == 1


def test_undo_voids_what_the_change_sent_and_redo_sends_it_again_under_new_ids(run: Run) -> None:
    run("done", "the-ai-pm-role")  # five items and the module: six statements
    before = xapi(run)
    assert len(before) == 6
    run("undo")
    after_undo = xapi(run)
    assert after_undo[:6] == before
    voiding = after_undo[6:]
    assert len(voiding) == 6
    assert all(s["verb"]["id"] == ADL + "voided" for s in voiding)
    assert sorted(s["object"]["id"] for s in voiding) == sorted(s["id"] for s in before)
    assert all(s["object"]["objectType"] == "StatementRef" for s in voiding)
    run("redo")
    redone = xapi(run)[12:]
    assert [(s["verb"], s["object"]) for s in redone] == [(s["verb"], s["object"]) for s in before]
    assert not {s["id"] for s in redone} & {s["id"] for s in before}
    assert all(s["context"]["extensions"][CHANGE]["op"] == "redo" for s in redone)
    # Undone again: the statements in effect now (the redo's) are the ones voided.
    run("undo")
    again = xapi(run)[18:]
    assert sorted(s["object"]["id"] for s in again) == sorted(s["id"] for s in redone)


def test_notes_stay_private_unless_asked(run: Run) -> None:
    run("done", "ai-for-everyone", "--note", "my secret thought")
    run("note", "ai-for-everyone", "another secret")
    run("assess", "product-management", "2", "--note", "a secret rating note")
    result = run("export", "--format", "xapi")
    assert result.exit_code == 0
    assert "secret" not in result.stdout
    shared = run("export", "--format", "xapi", "--with-notes")
    assert "my secret thought" in shared.stdout and "another secret" in shared.stdout
    assert "a secret rating note" in shared.stdout
    refused = run("export", "--format", "md", "--with-notes")
    assert refused.exit_code == 2


def test_xapi_export_to_a_file_and_as_of_a_day(run: Run, tmp_path: Path) -> None:
    run("done", "ai-for-everyone", "--on", "2026-10-01")
    run("done", "machine-learning", "--on", "2026-11-01")
    out = tmp_path / "statements.jsonl"
    result = run("export", "--format", "xapi", "-o", str(out), "--as-of", "2026-10-15")
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and "ai-for-everyone" in lines[0]


def test_the_statements_carry_back_every_change_through_the_gate(run: Run, tmp_path: Path) -> None:
    from aipm_cli.record.changes import check
    from aipm_cli.xapi.statements import changes_of

    every_operation(run, tmp_path)
    statements = xapi(run, "--with-notes")
    carried: dict[str, dict[str, Any]] = {}
    for statement in statements:
        found = changes_of(statement)
        assert found is not None and found[:2] == ("ada", "ai-product-manager")
        for change in found[2]:
            carried[change["id"]] = check(change)
    exported = json.loads(run("export", "--format", "json").stdout)["changes"]
    assert sorted(carried.values(), key=lambda c: c["id"]) == sorted(exported, key=lambda c: c["id"])


def test_forget_restore_and_a_change_with_no_unit_are_sent_too() -> None:
    from aipm_cli.xapi.statements import Profile, statements

    model = ralph_model()
    common = {"v": 1, "at": "2026-11-24T10:00:00+00:00", "device": "laptop", "on": "2026-11-24"}
    changes = [
        {**common, "id": "01M86FYZ80XEN4RZF63QSK89S8", "op": "restore", "state": {"a": {"status": "done",
         "notes": [{"text": "private", "on": "2026-01-01"}]}}, "skills": {}},
        {**common, "id": "01M86FYZ80XEN4RZF63QSK89S9", "op": "forget", "units": ["a", "b"]},
        {**common, "id": "01M86FYZ80XEN4RZF63QSK89SA", "op": "done", "targets": [], "units": []},
    ]  # fmt: skip
    made = list(statements(changes, Profile("ada", "road")))
    assert [c for c, _s in made] == [c["id"] for c in changes]
    for _change_id, statement in made:
        model.model_validate(statement)
    assert "private" not in json.dumps(made)
    assert made[1][1]["verb"]["id"] == "https://w3id.org/aipm/xapi/verbs/forgot"


def test_a_statement_line_is_json_whatever_it_holds() -> None:
    from aipm_cli.xapi.statements import line

    usual = {"b": [1, 0.6], "a": 'é\u2028\x01"\\\n'}
    assert line(usual) == json.dumps(usual, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    # What orjson refuses (an integer past 64 bits, a lone surrogate) is written by json, still one JSON line.
    odd = {"big": 2**70, "text": "x\ud800y"}
    written = line(odd)
    assert written.endswith(b"\n") and written.count(b"\n") == 1
    assert json.loads(written) == odd


def test_what_the_profile_remembers_is_a_window_of_the_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    from aipm_cli.xapi import statements as module

    monkeypatch.setattr(module, "RECENT", 3)
    common = {"v": 1, "at": "2026-11-24T10:00:00+00:00", "device": "laptop", "on": "2026-11-24"}
    changes: list[dict[str, Any]] = []
    for n in range(12):
        done = {**common, "id": f"01M86FYZ80XEN4RZF63QSK{n:02d}A0", "op": "done", "targets": ["a", "b"],
                "units": ["a", "b"]}  # fmt: skip
        changes += [done, {**common, "id": f"01M86FYZ80XEN4RZF63QSK{n:02d}A1", "op": "undo", "target": done["id"]}]
    profile = module.Profile("ada", "road")
    made = list(module.statements(changes, profile))
    # Memory does not grow with the log: each window keeps its newest RECENT entries.
    assert len(profile.recent) <= 3 and len(profile.undone) == 3 and len(profile.undone_changes) == 3
    assert list(profile.undone) == [c["id"] for c in changes[-5::2]]
    # Every undo still voids both statements of the change it undid (it is always among the newest).
    voids = [s for _c, s in made if s["verb"]["id"] == ADL + "voided"]
    assert len(voids) == 24
