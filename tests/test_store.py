"""The change log never loses a learner's progress: layout, locks, crashes, bad files, renames."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Run

LOGS = Path("learners") / "ada" / "ai-product-manager" / "changes"


def changes_dir(home: Path) -> Path:
    return home / LOGS


def all_lines(home: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for p in sorted(changes_dir(home).glob("*.jsonl")) for line in p.read_bytes().splitlines()]


def test_each_change_is_one_readable_line_in_this_devices_file(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone", "--note", "loved it")
    run("start", "digital-product-management")
    files = list(changes_dir(home).glob("*.jsonl"))
    device = (home / "device").read_text().strip()
    assert [p.name for p in files] == [f"{device}.jsonl"]
    lines = files[0].read_text().splitlines()
    assert [json.loads(line)["op"] for line in lines] == ["done", "start"]
    first = json.loads(lines[0])
    assert first["note"] == "loved it" and first["device"] == device and first["v"] == 1
    assert lines[0] == json.dumps(first, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_writes_append_and_never_rewrite(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone")
    log = next(changes_dir(home).glob("*.jsonl"))
    first = log.read_bytes()
    inode = log.stat().st_ino
    run("start", "user-research")
    run("undo")
    run("redo")
    assert log.read_bytes().startswith(first)  # what was written stays, byte for byte
    assert log.stat().st_ino == inode  # appended in place, never replaced


# --------------------------------------------------------------------------- #
# Concurrency and crashes
# --------------------------------------------------------------------------- #

ITEMS = [
    "ai-for-everyone", "identifying-ai-opportunities", "cross-functional-collaboration", "product-strategy-and-roadmap",
    "ethics-and-risk-management", "ai-product-evaluation", "digital-product-management", "product-strategy",
    "user-research", "product-lifecycle", "agile-methodologies", "product-analytics",
    "market-analysis", "competitive-research", "business-models", "value-proposition-design",
    "go-to-market-strategy", "ml-pipeline", "data-requirements", "model-evaluation",
]  # fmt: skip


@pytest.mark.slow
def test_fifty_concurrent_mixed_writers_all_land_exactly_once(home: Path) -> None:
    env = {**os.environ}
    commands = []
    for n in range(50):
        item = ITEMS[n % len(ITEMS)]
        commands.append(
            [["done", item], ["note", item, f"note {n}"], ["assess", "product-management", str(n % 5 + 1)]][n % 3]
        )
    procs = [
        subprocess.Popen([sys.executable, "-m", "aipm_cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for args in commands
    ]  # fmt: skip
    results = [
        (args, proc.communicate(timeout=180), proc.returncode) for args, proc in zip(commands, procs, strict=True)
    ]
    succeeded = [args for args, _out, code in results if code == 0]
    assert len(succeeded) == 50, [err for _a, (_o, err), code in results if code]
    lines = all_lines(home)
    notes = sorted(line["text"] for line in lines if line["op"] == "note")
    assert notes == sorted(f"note {n}" for n in range(50) if n % 3 == 1)
    assert len([line for line in lines if line["op"] == "assess"]) == len([n for n in range(50) if n % 3 == 2])
    done = {line["targets"][0] for line in lines if line["op"] == "done"}
    assert done == {ITEMS[n % len(ITEMS)] for n in range(50) if n % 3 == 0}
    assert len({line["id"] for line in lines}) == len(lines)  # no id twice
    # What the views show (from the cache the writers kept up to date) is what the logs say.
    shown = subprocess.run([sys.executable, "-m", "aipm_cli", "list", "--json", "--status", "done"],
                           env=env, capture_output=True, text=True, check=True)  # fmt: skip
    assert {r["id"] for r in json.loads(shown.stdout)} == done
    noted = {}
    for item in {ITEMS[n % len(ITEMS)] for n in range(50) if n % 3 == 1}:
        out = subprocess.run([sys.executable, "-m", "aipm_cli", "show", item, "--json"],
                             env=env, capture_output=True, text=True, check=True)  # fmt: skip
        noted[item] = len(json.loads(out.stdout)["notes"])
    assert sum(noted.values()) == len(notes)


WRITER = """
import sys
from datetime import date
from pathlib import Path
from aipm_cli.record.ledger import Ledger

book = Ledger(Path(sys.argv[1]), "ada", "r", {}, device=lambda: "dev")
n = 0
while True:
    n += 1
    book.record(lambda s: [{"op": "note", "targets": [f"item-{n}"], "text": "x" * 3000, "on": "2026-10-01"}])
    print(n, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_writes_loses_no_written_line(tmp_path: Path) -> None:
    from aipm_cli.record.ledger import Ledger

    rng = random.Random(20261125)
    printed = 0
    for _ in range(25):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        count = int(proc.stdout.readline())  # at least one change is written
        time.sleep(rng.uniform(0, 0.05))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        count = max([count, *(int(x) for x in out.split())])
        printed += count  # every change a process reported as written
        book = Ledger(tmp_path, "ada", "r", {}, device=lambda: "dev")
        result = book.load(use_cache=False)
        assert not result.problems.damage  # a kill leaves at most a torn last line, never damage
        assert result.changes >= printed
    assert printed >= 25


IMPORTER = """
import json, sys
from pathlib import Path
from aipm_cli.record.ledger import Ledger
book = Ledger(Path(sys.argv[1]), "ada", "r", {}, device=lambda: "dev")
changes = json.loads(Path(sys.argv[2]).read_text())
print(book.import_changes(changes, "big.json"), flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_imports_keeps_the_log_readable_and_the_import_whole_or_absent(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from aipm_cli.record import ids
    from aipm_cli.record.ledger import Ledger

    start = datetime(2026, 1, 1, tzinfo=UTC)
    changes = [
        {"v": 1, "id": ids.new_id(start + timedelta(seconds=n)), "at": (start + timedelta(seconds=n)).isoformat(),
         "on": "2026-01-01", "device": "far", "op": "note", "targets": [f"i{n}"], "text": "y" * 500}
        for n in range(3000)
    ]  # fmt: skip
    source = tmp_path / "big.json"
    source.write_text(json.dumps(changes))
    rng = random.Random(7)
    home = tmp_path / "home"
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", IMPORTER, str(home), str(source)], stdout=subprocess.PIPE)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        result = Ledger(home, "ada", "r", {}, device=lambda: "dev").load(use_cache=False)
        assert not result.problems.damage
        assert result.changes in (0, 3000, 3001)  # the import file appears whole or not at all
    book = Ledger(home, "ada", "r", {}, device=lambda: "dev")
    book.import_changes(changes, "big.json")
    assert book.load(use_cache=False).changes in (3000, 3001, 3002)  # the file was whole, or is now


# --------------------------------------------------------------------------- #
# Unreadable logs: writes stop, nothing is overwritten, doctor explains
# --------------------------------------------------------------------------- #


def test_a_damaged_line_stops_writes_and_doctor_explains(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone")
    log = next(changes_dir(home).glob("*.jsonl"))
    damaged = log.read_bytes() + b'{"v": 1, "id": "nope"}\n'
    log.write_bytes(damaged)
    for args in (("done", "user-research"), ("undo",), ("note", "user-research", "x"), ("assess", "ethics", "2")):
        result = run(*args)
        assert result.exit_code == 1, args
        assert f"{log}, line 2" in result.stderr and "Nothing was changed" in result.stderr
        assert log.read_bytes() == damaged
    assert run("status").exit_code == 0  # reading still works, with a warning
    doctor = run("doctor", "--json")
    assert doctor.exit_code == 1
    report = json.loads(doctor.stdout)
    assert report["damaged_lines"] == [
        {"file": str(log), "line": 2, "reason": "its id is not a change id", "kind": "line"}
    ]
    assert any("aipm doctor --repair" in p for p in report["problems"])


def test_a_legacy_store_that_cannot_be_read_is_never_overwritten(run: Run, home: Path) -> None:
    store = home / "learners" / "ada" / "progress.json"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"{not json")
    for args in (("done", "ai-for-everyone"), ("status",), ("undo",)):
        result = run(*args)
        assert result.exit_code == 1
        assert str(store) in result.stderr and "not valid JSON" in result.stderr
    assert store.read_bytes() == b"{not json"
    assert not changes_dir(home).exists() or not list(changes_dir(home).iterdir())


def test_files_and_folders_are_private(run: Run, home: Path) -> None:
    old = os.umask(0)
    try:
        run("done", "ai-for-everyone")
    finally:
        os.umask(old)
    log = next(changes_dir(home).glob("*.jsonl"))
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    for folder in (changes_dir(home), changes_dir(home).parent, home / "learners" / "ada", home / "cache"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((home / "device").stat().st_mode) == 0o600


def test_two_paths_to_one_data_directory_share_one_lock(run: Run, home: Path, tmp_path: Path) -> None:
    from filelock import FileLock

    run("done", "ai-for-everyone")
    alias = tmp_path / "elsewhere"
    alias.symlink_to(home)
    lock = home / "learners" / "ada" / "ai-product-manager" / "write.lock"
    assert lock.exists()
    with FileLock(str(lock)):
        from aipm_cli.record import locking

        original = locking.LOCK_TIMEOUT
        locking.LOCK_TIMEOUT = 0.2
        try:
            result = run("done", "user-research", env={"AIPM_HOME": str(alias)})
        finally:
            locking.LOCK_TIMEOUT = original
    assert result.exit_code == 1 and "Another aipm is still writing" in result.stderr
    assert run("done", "user-research", env={"AIPM_HOME": str(alias)}).exit_code == 0


def test_reading_never_writes_the_logs(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone")
    log = next(changes_dir(home).glob("*.jsonl"))
    before = log.stat().st_mtime_ns, log.read_bytes()
    for args in (("status",), ("list",), ("show", "ai-for-everyone"), ("next",), ("log",), ("users",), ("doctor",),
                 ("export", "-f", "json"), ("skills",), ("plan",)):  # fmt: skip
        run(*args)
    assert (log.stat().st_mtime_ns, log.read_bytes()) == before
    assert [p.name for p in changes_dir(home).iterdir()] == [log.name]


def test_import_replace_takes_the_export_and_deletes_nothing(run: Run, home: Path, tmp_path: Path) -> None:
    run("done", "ai-for-everyone")
    run("note", "ai-for-everyone", "mine")
    old = {p.name: p.read_bytes() for p in changes_dir(home).glob("*.jsonl")}
    other = tmp_path / "other"
    run("done", "user-research", env={"AIPM_HOME": str(other)})
    run("export", "-f", "json", "-o", str(tmp_path / "b.json"), env={"AIPM_HOME": str(other)})
    assert run("import", "--replace", str(tmp_path / "b.json")).exit_code == 0
    done = {r["id"] for r in json.loads(run("list", "--json", "--status", "done").stdout)}
    assert done == {"user-research"}  # only what the export holds
    for name, data in old.items():
        assert (changes_dir(home) / name).read_bytes().startswith(data)  # append-only: nothing deleted
    log = json.loads(run("log", "--json").stdout)
    assert [e["undone"] for e in log if e["action"] in ("done", "note") and e["items"] == ["ai-for-everyone"]] == [
        True,
        True,
    ]
    # undo brings back what the replace took out of effect
    assert run("undo").exit_code == 0
    done = {r["id"] for r in json.loads(run("list", "--json", "--status", "done").stdout)}
    assert done == {"ai-for-everyone"}


# --------------------------------------------------------------------------- #
# Roadmap upgrades: aliases carry progress and undo; removed items are orphans
# --------------------------------------------------------------------------- #

OLD = """\
id: mine
title: Mine
version: "1"
phases:
  - id: p
    title: P
    modules:
      - id: m
        title: M
        items:
          - {id: old-name, title: Old name, kind: topic}
          - {id: dropped, title: Dropped, kind: topic}
          - {id: kept, title: Kept, kind: topic}
"""
NEW = (
    OLD.replace('version: "1"', 'version: "2"')
    .replace(
        "{id: old-name, title: Old name, kind: topic}",
        "{id: new-name, title: New name, kind: topic, aliases: [old-name]}",
    )
    .replace("          - {id: dropped, title: Dropped, kind: topic}\n", "")
)


def test_renamed_items_carry_progress_and_undo_and_removed_ones_are_orphans(run: Run, tmp_path: Path) -> None:
    plan = tmp_path / "mine.yaml"
    plan.write_text(OLD)
    assert run("--roadmap", str(plan), "done", "dropped", "kept").exit_code == 0
    assert run("--roadmap", str(plan), "done", "old-name").exit_code == 0
    plan.write_text(NEW)
    status = json.loads(run("--roadmap", str(plan), "status", "--json").stdout)
    assert status["counts"]["done"] == 2
    assert status["orphans"] == ["dropped"]
    assert json.loads(run("--roadmap", str(plan), "show", "new-name", "--json").stdout)["status"] == "done"
    doctor = json.loads(run("--roadmap", str(plan), "doctor", "--json").stdout)
    assert doctor["orphans"] == ["dropped"]
    # undo of the change made under the old id reverts the renamed item
    result = run("--roadmap", str(plan), "undo")
    assert result.exit_code == 0 and "old-name" in result.stderr
    assert json.loads(run("--roadmap", str(plan), "show", "new-name", "--json").stdout)["status"] == "not_started"


def test_a_fifo_in_place_of_a_log_never_hangs_and_stops_writes(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone")
    log = next(changes_dir(home).glob("*.jsonl"))
    log.unlink()
    os.mkfifo(log)
    assert run("status").exit_code == 0  # opened without blocking, reported, skipped
    result = run("done", "user-research")
    assert result.exit_code == 1 and f"{log}: it is a FIFO (named pipe), not a regular file" in result.stderr
    assert stat.S_ISFIFO(log.stat().st_mode)  # never replaced


def test_a_data_directory_that_is_a_file_is_a_clean_error(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    result = run("done", "ai-for-everyone", env={"AIPM_HOME": str(target)})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The data directory {target} is a file, not a folder.")
    assert target.read_text() == "x"


def test_a_read_only_log_folder_is_a_clean_error_and_changes_nothing(run: Run, home: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    run("done", "ai-for-everyone")
    folder = changes_dir(home)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    folder.chmod(0o500)
    try:
        result = run("done", "user-research")
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 1 and "Nothing was changed" in result.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
