"""A record that defends itself (issue 22), the parts that arrive from elsewhere: sync, import, cohort.

Every hostile remote, export and data directory is built here, in tmp_path, with real git: a
"hostile" clone of the remote stands for a buggy or forged device that pushes whatever it likes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from aipm_cli.cli import app
from aipm_cli.cli import sync as cli_sync
from aipm_cli.record.changes import line
from aipm_cli.record.ids import new_id
from aipm_cli.record.provenance import MANY_UNITS, is_destructive
from aipm_cli.sync import git as sync_git
from aipm_cli.sync import policy
from test_sync import git, git_env, make_device, make_remote, snapshot_files  # noqa: F401 (git_env: autouse)

ROADMAP = "ai-product-manager"
LOG_DIR = f"learners/ada/{ROADMAP}/changes"
ITEMS = [
    "ai-for-everyone",
    "digital-product-management",
    "product-lifecycle",
    "core-product-management",
    "user-research",
    "agile-methodologies",
    "product-strategy",
    "business-strategy-specialization",
    "identifying-ai-opportunities",
    "cross-functional-collaboration",
]


def aipm(home: Path, *args: str, expect: int | None = 0, now: str | None = None) -> Result:
    env = {"AIPM_HOME": str(home)}
    if now is not None:
        env["AIPM_NOW"] = now
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A remote and two synced machines, laptop-a and work-b, each with some progress."""
    remote = make_remote(tmp_path)
    a = make_device(tmp_path, "laptop-a")
    b = make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone", now="2026-11-20T10:00:00+00:00")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "start", "product-lifecycle", now="2026-11-21T10:00:00+00:00")
    aipm(b, "sync", "init", str(remote))
    aipm(a, "sync")
    return remote, a, b


def hostile(tmp_path: Path, remote: Path) -> Path:
    """A clone of the remote that anyone (a buggy device, a forger) can push from."""
    clone = tmp_path / "hostile"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(remote), str(clone)], check=True)
    return clone


def push(clone: Path, message: str = "forged") -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", message)
    git(clone, "push", "-q", "origin", "HEAD:main")


def forged(op: str, device: str, **fields: object) -> dict:
    moment = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    change = {"v": 1, "id": new_id(moment), "at": moment.isoformat(), "on": "2026-11-23", "device": device, "op": op}
    change.update(fields)
    return change


def _status(home: Path) -> dict[str, str]:
    """unit -> status, as the learner's export states it."""
    doc = json.loads(aipm(home, "export", "--format", "json").stdout)
    return {unit: record["status"] for unit, record in doc["state"]["items"].items()}


# --------------------------------------------------------------------------- #
# 1. Provenance: a device's own files only hold what it wrote
# --------------------------------------------------------------------------- #


def test_a_remote_that_appends_to_this_devices_own_log_is_refused(tmp_path: Path) -> None:
    remote, a, _b = pair(tmp_path)
    clone = hostile(tmp_path, remote)
    own = clone / LOG_DIR / "laptop-a.jsonl"
    with open(own, "ab") as handle:
        handle.write(line(forged("done", "laptop-a", targets=["user-research"], units=["user-research"])))
    push(clone)
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "this machine's own log" in result.stderr and "Nothing was changed here" in result.stderr
    assert "received" not in result.stderr
    assert snapshot_files(a) == before
    assert _status(a).get("user-research") != "done"


@pytest.mark.parametrize(
    "path",
    [
        f"{LOG_DIR}/laptop-a.import-0123abcd.jsonl",
        "learners/ada/other-roadmap/changes/laptop-a.jsonl",
        "learners/zed/ai-product-manager/changes/laptop-a.jsonl",
    ],
)
def test_a_remote_that_adds_a_file_named_for_this_device_is_refused(tmp_path: Path, path: str) -> None:
    remote, a, _b = pair(tmp_path)
    clone = hostile(tmp_path, remote)
    target = clone / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(line(forged("done", "laptop-a", targets=["user-research"], units=["user-research"])))
    push(clone)
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "a file named for this machine" in result.stderr and "Nothing was changed here" in result.stderr
    assert snapshot_files(a) == before


def test_another_devices_lines_still_arrive(tmp_path: Path) -> None:
    """The provenance rule leaves the usual case alone: b's new lines reach a."""
    _remote, a, b = pair(tmp_path)
    aipm(b, "done", "user-research", now="2026-11-23T10:00:00+00:00")
    aipm(b, "sync")
    result = aipm(a, "sync")
    assert "received 1 change" in result.stderr
    assert _status(a)["user-research"] == "done"


# --------------------------------------------------------------------------- #
# 2. Destructive changes from elsewhere are listed and need --accept-destructive
# --------------------------------------------------------------------------- #


def test_is_destructive_names_replace_forget_and_large_resets() -> None:
    assert "replaces" in (is_destructive({"op": "import", "file": "x", "replace": True, "ids": ["A"]}) or "")
    assert is_destructive({"op": "import", "file": "x", "ids": ["A"]}) is None
    assert "forgets 1 record" in (is_destructive({"op": "forget", "units": ["a"]}) or "")
    units = [f"u{n}" for n in range(MANY_UNITS + 1)]
    assert "resets 6 units" in (is_destructive({"op": "reset", "units": units, "targets": units}) or "")
    assert is_destructive({"op": "reset", "units": units[:MANY_UNITS], "targets": ["m"]}) is None
    assert is_destructive({"op": "done", "units": units, "targets": units}) is None


DESTRUCTIVE = {
    "replace": lambda: forged("import", "evil-x", file="evil-x.import-00.jsonl", count=0, ids=[], replace=True),
    "forget": lambda: forged("forget", "evil-x", units=["ai-for-everyone"]),
    "reset": lambda: forged("reset", "evil-x", targets=ITEMS[:6], units=ITEMS[:6]),
}


@pytest.mark.parametrize("kind", sorted(DESTRUCTIVE))
def test_a_destructive_change_from_a_remote_needs_accepting(tmp_path: Path, kind: str) -> None:
    remote, a, _b = pair(tmp_path)
    clone = hostile(tmp_path, remote)
    (clone / LOG_DIR / "evil-x.jsonl").write_bytes(line(DESTRUCTIVE[kind]()))
    push(clone)
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "destructive change" in result.stderr and "nothing was merged" in result.stderr
    assert "evil-x" in result.stderr and "--accept-destructive" in result.stderr
    assert snapshot_files(a) == before
    assert _status(a)["ai-for-everyone"] == "done"
    assert aipm(a, "sync", "--status", "--json").stdout  # still readable
    result = aipm(a, "sync", "--accept-destructive", "--json")
    data = json.loads(result.stdout)
    assert [d["device"] for d in data["destructive_accepted"]] == ["evil-x"]
    assert _status(a).get("ai-for-everyone") != "done"  # now it took effect, as asked


def test_another_machines_import_replace_is_asked_about(tmp_path: Path) -> None:
    """The realistic case: `aipm import --replace` on one machine reaches another with progress."""
    _remote, a, b = pair(tmp_path)
    other = make_device(tmp_path, "old-d")
    aipm(other, "done", "user-research")
    (tmp_path / "old.json").write_text(aipm(other, "export", "--format", "json").stdout)
    aipm(b, "import", str(tmp_path / "old.json"), "--replace")
    aipm(b, "sync")
    result = aipm(a, "sync", expect=1)
    assert "import by work-b" in result.stderr and "replaces the progress" in result.stderr
    result = aipm(a, "sync", "--accept-destructive")
    assert "Took 1 destructive change, as asked:\n  - import by work-b" in result.stderr


def test_a_destructive_change_in_an_export_needs_accepting(tmp_path: Path) -> None:
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", "ai-for-everyone", now="2026-11-20T10:00:00+00:00")
    raw = aipm(a, "export", "--format", "json").stdout
    marker = forged("import", "evil-x", file="evil-x.import-00.jsonl", count=0, ids=[], replace=True)
    close = raw.rindex("\n  ]")  # aipm writes an export's changes one per line: one more, in its place
    export = tmp_path / "forged.json"
    export.write_text(raw[:close] + ",\n    " + line(marker).decode().strip() + raw[close:])
    logs_before = {p.name: p.read_bytes() for p in (a / LOG_DIR).iterdir()}
    result = aipm(a, "import", str(export), expect=1)
    assert "destructive change" in result.stderr and "nothing was imported" in result.stderr
    assert "evil-x" in result.stderr and "--accept-destructive" in result.stderr
    assert {p.name: p.read_bytes() for p in (a / LOG_DIR).iterdir()} == logs_before
    assert _status(a)["ai-for-everyone"] == "done"
    aipm(a, "import", str(export), "--accept-destructive")
    assert _status(a).get("ai-for-everyone") != "done"


def test_an_export_of_the_learners_own_destructive_change_imports_quietly(tmp_path: Path) -> None:
    """A destructive change already here takes nothing new out of effect: no question."""
    a = make_device(tmp_path, "laptop-a")
    aipm(a, "done", *ITEMS[:6])
    aipm(a, "reset", *ITEMS[:6])
    (tmp_path / "mine.json").write_text(aipm(a, "export", "--format", "json").stdout)
    result = aipm(a, "import", str(tmp_path / "mine.json"))
    assert "Nothing new" in result.stderr


# --------------------------------------------------------------------------- #
# 3. Cohort: one name, two people?
# --------------------------------------------------------------------------- #


def test_a_cohort_flags_one_name_whose_sources_share_no_change(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real = make_device(tmp_path, "real-ada")
    aipm(real, "done", "ai-for-everyone")
    (inbox / "ada.json").write_text(aipm(real, "export", "--format", "json").stdout)
    impostor = make_device(tmp_path, "fake-ada")
    aipm(impostor, "done", *ITEMS)
    (inbox / "ada-too.json").write_text(aipm(impostor, "export", "--format", "json").stdout)
    # Same learner in a data directory and her own export: changes in common, no flag.
    (inbox / "ada-again.json").write_text((inbox / "ada.json").read_text())
    for fmt in ("md", "html", "json", "csv", "terminal"):
        args = ["cohort", "report", str(inbox)] + ([] if fmt == "terminal" else ["--format", fmt])
        out = aipm(tmp_path / "mentor", *args).stdout
        if fmt == "csv":
            row = next(csv.DictReader(io.StringIO(out)))
            assert "ada-too.json" in row["two_learners_with_one_name"], row
            assert "ada.json" in row["two_learners_with_one_name"]
        elif fmt == "json":
            learner = json.loads(out)["learners"][0]
            assert learner["two_learners_with_one_name"].startswith("two learners with one name?")
            groups = [sorted(Path(s).name for s in group) for group in learner["unrelated_sources"]]
            assert sorted(groups) == [["ada-again.json", "ada.json"], ["ada-too.json"]]
        else:
            assert "two learners with one name?" in out.lower(), (fmt, out)


def test_a_cohort_does_not_flag_one_learner_in_two_sources(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ada = make_device(tmp_path, "real-ada")
    aipm(ada, "done", "ai-for-everyone")
    (inbox / "early.json").write_text(aipm(ada, "export", "--format", "json").stdout)
    aipm(ada, "done", "user-research")
    out = aipm(tmp_path / "mentor", "cohort", "report", str(inbox), str(ada), "--format", "json").stdout
    learner = json.loads(out)["learners"][0]
    assert learner["two_learners_with_one_name"] is None and learner["unrelated_sources"] == []


# --------------------------------------------------------------------------- #
# 4. Git on the learner's terms
# --------------------------------------------------------------------------- #


def _script(path: Path, marker: Path, tail: str = "") -> str:
    path.write_text(f"#!/bin/sh\necho ran >> '{marker}'\n{tail}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_sync_runs_no_hook_fsmonitor_filter_or_external_diff(tmp_path: Path) -> None:
    _remote, a, b = pair(tmp_path)
    markers = tmp_path / "markers"
    markers.mkdir()
    tools = tmp_path / "tools"
    tools.mkdir()
    hooks = a / ".git" / "hooks"
    for hook in ("post-merge", "post-checkout", "post-commit", "pre-commit", "reference-transaction", "pre-push"):
        _script(hooks / hook, markers / f"hook-{hook}")
    other_hooks = tmp_path / "other-hooks"
    other_hooks.mkdir()
    _script(other_hooks / "post-merge", markers / "hooks-path")
    git(a, "config", "core.hooksPath", str(other_hooks))
    git(a, "config", "core.fsmonitor", _script(tools / "fsmonitor", markers / "fsmonitor"))
    git(a, "config", "filter.evil.clean", _script(tools / "clean", markers / "filter-clean", "cat\n"))
    git(a, "config", "filter.evil.smudge", _script(tools / "smudge", markers / "filter-smudge", "cat\n"))
    git(a, "config", "diff.evil.textconv", _script(tools / "textconv", markers / "textconv", 'cat "$1"\n'))
    git(a, "config", "diff.external", _script(tools / "extdiff", markers / "external-diff"))
    git(a, "config", "merge.evil.driver", _script(tools / "merge", markers / "merge-driver", "exit 0\n"))
    (a / ".git" / "info").mkdir(exist_ok=True)
    (a / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil merge=evil\n")
    # Something to commit here and something to take from there.
    aipm(a, "done", "agile-methodologies", now="2026-11-23T09:00:00+00:00")
    aipm(b, "done", "user-research", now="2026-11-23T10:00:00+00:00")
    aipm(b, "sync")
    result = aipm(a, "sync")
    assert "received 1 change" in result.stderr
    assert sorted(p.name for p in markers.iterdir()) == []
    assert _status(a)["user-research"] == "done"
    # The learner's own lines stay first in the attributes file, aipm's last (they win).
    attributes = (a / ".git" / "info" / "attributes").read_text()
    assert attributes.startswith("* filter=evil") and attributes.rstrip().endswith(sync_git.ATTRIBUTES_END)
    aipm(a, "sync")
    assert (a / ".git" / "info" / "attributes").read_text() == attributes  # written once, not piled up
    assert list((a / ".git" / sync_git.HOOKS_DIR).iterdir()) == []


def test_a_repository_git_calls_unsafe_is_named_for_what_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _remote, a, _b = pair(tmp_path)
    attributes = (a / ".git" / "info" / "attributes").read_bytes()
    (a / ".git" / "info" / "attributes").write_bytes(b"# the owner's own\n")
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")  # git's own switch for "owned by another user"
    assert attributes
    result = aipm(a, "sync", expect=1)
    assert (a / ".git" / "info" / "attributes").read_bytes() == b"# the owner's own\n"  # nothing written there
    assert "dubious ownership" in result.stderr and "another user" in result.stderr
    assert "safe.directory" in result.stderr
    assert "not on a branch" not in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- #
# 5. A size bound on what sync brings; 6. remote learner folder names
# --------------------------------------------------------------------------- #


def test_a_roadmap_over_the_size_bound_is_refused(tmp_path: Path) -> None:
    remote, a, _b = pair(tmp_path)
    clone = hostile(tmp_path, remote)
    (clone / "roadmaps").mkdir(exist_ok=True)
    (clone / "roadmaps" / "huge.yaml").write_bytes(b"# " + b"x" * (policy.MAX_ROADMAP_BYTES + 10) + b"\n")
    push(clone)
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "roadmaps/huge.yaml" in result.stderr and "over the 10 MB" in result.stderr
    assert snapshot_files(a) == before
    assert not (a / "roadmaps" / "huge.yaml").exists()


def test_a_log_over_the_size_bound_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote, a, _b = pair(tmp_path)
    clone = hostile(tmp_path, remote)
    lines = b"".join(line(forged("note", "big-z", targets=["ai-for-everyone"], text="n" * 200)) for _ in range(20))
    (clone / LOG_DIR / "big-z.jsonl").write_bytes(lines)
    push(clone)
    monkeypatch.setitem(policy.LIMITS, "log", 4000)  # the bound is 64 MB; a small one keeps the test quick
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "big-z.jsonl" in result.stderr and "for a change log" in result.stderr
    assert snapshot_files(a) == before


def test_a_remote_learner_folder_with_a_newline_is_refused(tmp_path: Path) -> None:
    assert policy.classify(f"learners/bob\n/{ROADMAP}/changes/evil-x.jsonl") is None
    assert policy.classify(f"learners/bob/{ROADMAP}/changes/evil-x.jsonl\n") is None
    assert policy.classify("roadmaps/mine.yaml\n") is None
    remote, a, _b = pair(tmp_path)
    clone = hostile(tmp_path, remote)
    folder = clone / "learners" / "bob\n" / ROADMAP / "changes"
    folder.mkdir(parents=True)
    (folder / "evil-x.jsonl").write_bytes(line(forged("done", "evil-x", targets=["x"], units=["x"])))
    push(clone)
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "a file aipm does not sync" in result.stderr
    assert snapshot_files(a) == before
    assert not any(p.name.startswith("bob") for p in (a / "learners").iterdir())


# --------------------------------------------------------------------------- #
# 7. Conflicts explained
# --------------------------------------------------------------------------- #


def test_sync_names_what_other_machines_changed_capped(tmp_path: Path) -> None:
    _remote, a, b = pair(tmp_path)
    aipm(b, "done", *ITEMS[1:], now="2026-11-23T10:00:00+00:00")
    aipm(b, "sync")
    result = aipm(a, "sync")
    data = json.loads(aipm(a, "sync", "--json").stdout)  # nothing more arrives: nothing listed
    assert data["changed_items"] == []
    lines = result.stderr.splitlines()
    count = int(lines[1].split()[3])
    assert lines[1] == f"Other machines changed {count} items:" and count > cli_sync.CHANGED_SHOWN
    listed = [x for x in lines[2:] if x.startswith("  ") and not x.startswith("  and ")]
    assert len(listed) == cli_sync.CHANGED_SHOWN
    assert "  digital-product-management: not started -> done, by work-b" in listed
    assert (
        lines[2 + cli_sync.CHANGED_SHOWN]
        == f"  and {count - cli_sync.CHANGED_SHOWN} more (`aipm sync --json` lists them all)"
    )
    assert "Reopened" not in result.stderr and "out of order" not in result.stderr


def test_sync_calls_out_a_done_item_reopened_by_another_machine(tmp_path: Path) -> None:
    _remote, a, b = pair(tmp_path)
    # work-b starts the item offline, later than laptop-a marked it done, not knowing it was.
    aipm(a, "done", "user-research", now="2026-11-22T10:00:00+00:00")
    aipm(a, "sync")
    aipm(b, "start", "user-research", now="2026-11-23T10:00:00+00:00")
    aipm(b, "sync")
    result = aipm(a, "sync", "--json")
    data = json.loads(result.stdout)
    [item] = [c for c in data["changed_items"] if c["unit"] == "user-research"]
    assert item["before"] == "done" and item["after"] == "in_progress"
    assert item["reopened"] is True and item["reopened_by"] == ["work-b"] and item["devices"] == ["work-b"]
    assert [c["unit"] for c in data["reopened"]] == ["user-research"]
    # In words: work-b, knowing it is done, resets it.
    aipm(a, "done", "user-research", now="2026-11-24T08:00:00+00:00")
    aipm(a, "sync")
    aipm(b, "sync")
    aipm(b, "reset", "user-research", now="2026-11-24T09:00:00+00:00")
    aipm(b, "sync")
    text = aipm(a, "sync").stderr
    assert "Reopened: user-research was done here and is not started now (work-b's start or reset)" in text


def test_sync_calls_out_a_completion_dated_before_the_start(tmp_path: Path) -> None:
    _remote, a, b = pair(tmp_path)
    aipm(a, "start", "user-research", "--on", "2026-11-22", now="2026-11-22T10:00:00+00:00")
    aipm(a, "sync")
    # work-b, offline and not knowing of the start, records it done two days earlier.
    aipm(b, "done", "user-research", "--on", "2026-11-20", now="2026-11-23T10:00:00+00:00")
    aipm(b, "sync")
    result = aipm(a, "sync", "--json")
    data = json.loads(result.stdout)
    [item] = data["done_before_started"]
    assert item["unit"] == "user-research" and item["devices"] == ["work-b"]
    assert item["started_on"] == "2026-11-22" and item["completed_on"] == "2026-11-20"


def test_the_changed_items_are_in_the_json_even_when_nothing_needs_a_look(tmp_path: Path) -> None:
    _remote, a, b = pair(tmp_path)
    data = json.loads(aipm(a, "sync", "--json").stdout)
    assert data["changed_items"] == [] and data["reopened"] == [] and data["done_before_started"] == []
    assert data["destructive_accepted"] == []
    aipm(b, "note", "ai-for-everyone", "from work", now="2026-11-23T10:00:00+00:00")
    aipm(b, "sync")
    data = json.loads(aipm(a, "sync", "--json").stdout)
    assert [(c["unit"], c["before"], c["after"], c["devices"], c["what"]) for c in data["changed_items"]] == [
        ("ai-for-everyone", "done", "done", ["work-b"], ["1 note added"])
    ]
    # What changed is said, not the status twice ('done -> done' told nothing; a moved date went unsaid).
    aipm(b, "sync")
    aipm(b, "done", "ai-for-everyone", "--on", "2026-11-19", now="2026-11-23T11:00:00+00:00")
    aipm(b, "sync")
    result = aipm(a, "sync")
    [line] = [line for line in result.stderr.splitlines() if line.startswith("  ai-for-everyone:")]
    assert line == (
        "  ai-for-everyone: start date 2026-11-20 -> 2026-11-19; completion date 2026-11-20 -> 2026-11-19, by work-b"
    )


def test_stays_quiet_for_a_machine_joining(tmp_path: Path) -> None:
    remote, _a, _b = pair(tmp_path)
    c = make_device(tmp_path, "tablet-c")
    result = aipm(c, "sync", "init", str(remote))
    assert "Other machines changed" not in result.stderr
    assert os.listdir(c / LOG_DIR)


# --------------------------------------------------------------------------- #
# The gate at the door: a remote's line that no machine should believe
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda raw: raw.replace(b'"targets"', b'"note":"\\ud800","targets"'), id="lone-surrogate"),
        pytest.param(lambda raw: raw.replace(raw[raw.index(b'"id":"') + 6 : raw.index(b'"id":"') + 32], b"Z" * 26),
                     id="forged-maximal-id"),
        pytest.param(lambda raw: raw.replace(b'"op":"done"', b'"op":"done","op":"reset"'), id="key-twice"),
    ],
)  # fmt: skip
def test_a_remote_line_the_gate_refuses_bricks_no_machine(tmp_path: Path, spoil: object) -> None:
    remote, a, _b = pair(tmp_path)
    clone = hostile(tmp_path, remote)
    theirs = clone / LOG_DIR / "work-b.jsonl"
    bad = spoil(line(forged("done", "work-b", targets=["user-research"], units=["user-research"])))  # type: ignore[operator]
    with open(theirs, "ab") as handle:
        handle.write(bad)
    push(clone)
    before = snapshot_files(a)
    result = aipm(a, "sync", expect=1)
    assert "not a readable change" in result.stderr and "Traceback" not in result.stderr
    assert snapshot_files(a) == before  # nothing merged
    assert aipm(a, "status").exit_code == 0
    assert aipm(a, "done", "product-strategy").exit_code == 0  # this machine still writes
