"""A record that defends itself: what arrives from another machine, a file or a person can
lose, forge or brick nothing. Each test builds the hostile line, export or log itself, in its
own temporary folder, and fails on the aipm that believed whatever arrived."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aipm_cli.record import changes as fmt
from aipm_cli.record import ids
from conftest import Run, log_bytes

OTHER = "other-1a2b"  # another machine's device id


@pytest.fixture(autouse=True)
def real_clock_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The id ceiling as this test's clock makes it (another test may have made ids for a later clock)."""
    monkeypatch.setattr(ids, "_CEILING", [0.0, "", 0])


def foreign(change_id: str, op: str = "done", target: str = "ai-for-everyone", **extra: Any) -> dict[str, Any]:
    """A well-formed change another device recorded."""
    change: dict[str, Any] = {
        "v": 1,
        "id": change_id,
        "at": "2026-11-20T10:00:00+00:00",
        "on": "2026-11-20",
        "device": OTHER,
        "op": op,
    }
    if op in fmt.STATUS_OPS:
        change.update(targets=[target], units=[target])
    change.update(extra)
    return change


def an_id(millis: int, rest: int = 0) -> str:
    return ids.encode_id((millis << 80) | rest)


NOV_20 = 1_763_632_800_000  # 2025-11-20T10:00Z in ms (any past moment will do)


def plant(store_path: Path, name: str, *lines: bytes) -> Path:
    """A log file as sync would bring it from another machine."""
    store_path.mkdir(parents=True, exist_ok=True)
    path = store_path / name
    path.write_bytes(b"".join(lines))
    return path


def export_with(run: Run, tmp_path: Path, *extra: dict[str, Any]) -> Path:
    """A JSON export of the current learner with `extra` changes added (as a hand-edited export would)."""
    result = run("export", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    data["changes"] = data["changes"] + list(extra)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data, indent=2))
    return path


# --------------------------------------------------------------------------- #
# One line bricks every machine
# --------------------------------------------------------------------------- #

SURROGATE_LINE = fmt.line(foreign(an_id(NOV_20, 1), op="note", targets=["ai-for-everyone"], text="x")).replace(
    b'"text":"x"', b'"text":"\\ud800"'
)


def test_a_lone_surrogate_from_a_remote_bricks_nothing(run: Run, store_path: Path) -> None:
    assert run("start", "ai-for-everyone").exit_code == 0
    plant(store_path, f"{OTHER}.jsonl", SURROGATE_LINE)
    status = run("status")
    assert status.exit_code == 0, status.stderr
    assert "not valid Unicode" in status.stderr  # said, and the rest shown
    assert run("status", "--json").exit_code == 0
    assert run("export", "--format", "md").exit_code == 0
    before = log_bytes(store_path)
    write = run("done", "ai-for-everyone")
    assert write.exit_code == 1
    assert "Traceback" not in write.stderr and "unexpected" not in write.stderr.lower()
    assert f"{OTHER}.jsonl, line 1" in write.stderr and "Nothing was changed" in write.stderr
    assert log_bytes(store_path) == before
    doctor = run("doctor")
    assert doctor.exit_code == 1 and "not valid Unicode" in doctor.stdout + doctor.stderr
    rebuild = run("doctor", "--rebuild")
    assert "unexpected" not in rebuild.stderr.lower() and "Traceback" not in rebuild.stderr


def test_a_lone_surrogate_in_an_export_is_refused_and_nothing_imported(run: Run, tmp_path: Path) -> None:
    assert run("start", "ai-for-everyone").exit_code == 0
    bad = foreign(an_id(NOV_20, 2), op="note", targets=["ai-for-everyone"], text="\ud800")
    path = export_with(run, tmp_path, bad)
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "not valid Unicode" in result.stderr and "Nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_gate_refuses_a_lone_surrogate_in_any_field() -> None:
    for field, value in (("device", "dev\udfff"), ("note", "a\ud800b"), ("targets", ["ai\udc00"])):
        change = foreign(an_id(NOV_20, 3))
        change[field] = value
        with pytest.raises(fmt.BadChange, match="not valid Unicode"):
            fmt.check(change)
    # a real pair is text like any other
    assert fmt.check(foreign(an_id(NOV_20, 4), note="\U0001f600"))["note"] == "\U0001f600"


# --------------------------------------------------------------------------- #
# Ids a real clock can make
# --------------------------------------------------------------------------- #

FORGED_MAX = "Z" * 26


def test_a_forged_maximal_id_is_refused_by_the_gate() -> None:
    with pytest.raises(fmt.BadChange, match="dated in the future"):
        fmt.check(foreign(FORGED_MAX))
    with pytest.raises(fmt.BadChange, match="dated in the future"):
        fmt.gate(fmt.line(foreign(FORGED_MAX)))


def test_an_id_two_days_ahead_is_refused_one_hour_ahead_taken() -> None:
    import time

    now = int(time.time() * 1000)
    fmt.check(foreign(an_id(now + 3600_000)))
    with pytest.raises(fmt.BadChange, match="dated in the future"):
        fmt.check(foreign(an_id(now + 2 * 86400_000)))


def test_a_device_never_makes_an_id_from_a_forged_maximum() -> None:
    from datetime import UTC, datetime

    made = ids.new_id(datetime.now(UTC), after=FORGED_MAX)
    assert made < FORGED_MAX and made.startswith(ids.new_id(datetime.now(UTC))[:6])


def test_a_forged_maximal_id_by_import_is_refused(run: Run, tmp_path: Path, store_path: Path) -> None:
    assert run("start", "ai-for-everyone").exit_code == 0
    path = export_with(run, tmp_path, foreign(FORGED_MAX, op="start", target="ai-for-everyone"))
    before = log_bytes(store_path)
    result = run("import", str(path))
    assert result.exit_code == 1 and "dated in the future" in result.stderr
    assert log_bytes(store_path) == before
    # the learner's later change sorts after the earlier one and stays in effect
    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("doctor", "--rebuild").exit_code == 0
    item = json.loads(run("show", "ai-for-everyone", "--json").stdout)
    assert item["status"] == "done"


def test_a_forged_maximal_id_by_sync_loses_no_later_change(run: Run, store_path: Path) -> None:
    assert run("start", "ai-for-everyone").exit_code == 0
    plant(store_path, f"{OTHER}.jsonl", fmt.line(foreign(FORGED_MAX, op="reset")))
    status = run("status")
    assert status.exit_code == 0 and "dated in the future" in status.stderr
    # writes stop until it is dealt with (never an id above the forged one, never a wrapped one)
    done = run("done", "ai-for-everyone")
    assert done.exit_code == 1 and "dated in the future" in done.stderr
    own = [json.loads(raw) for raw in (store_path / own_file(store_path)).read_bytes().splitlines()]
    assert [c["op"] for c in own] == ["start"]


def own_file(store_path: Path) -> str:
    device = (store_path.parents[3] / "device").read_text().strip()
    return f"{device}.jsonl"


# --------------------------------------------------------------------------- #
# A key twice
# --------------------------------------------------------------------------- #


def test_a_line_with_a_key_twice_is_damage_not_last_wins(run: Run, store_path: Path) -> None:
    assert run("start", "ai-for-everyone").exit_code == 0
    line = fmt.line(foreign(an_id(NOV_20, 5), op="done"))
    doubled = line.replace(b'"op":"done"', b'"op":"done","op":"reset"')
    plant(store_path, f"{OTHER}.jsonl", doubled)
    status = run("status")
    assert "the key 'op' twice" in status.stderr
    doctor = run("doctor")
    assert doctor.exit_code == 1 and "twice" in doctor.stdout + doctor.stderr
    item = json.loads(run("show", "ai-for-everyone", "--json").stdout)
    assert item["status"] == "in_progress"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":1}',
        b'{"a" :1,"a":2,"b":3}',
        b'{"a"\t:1,"a":2,"b":3}',
        b'{"a":1, "b":{"c":1,"c":2}}',
    ],
)
def test_the_gate_finds_a_key_twice_however_it_is_spaced(raw: bytes) -> None:
    with pytest.raises(fmt.BadChange, match="twice"):
        fmt.gate(raw)
    import orjson

    with pytest.raises(fmt.BadChange, match="twice"):
        fmt.gate(raw, orjson.loads)


def test_a_key_twice_in_an_export_is_refused(run: Run, tmp_path: Path) -> None:
    assert run("start", "ai-for-everyone").exit_code == 0
    path = export_with(run, tmp_path)
    text = path.read_text()
    path.write_text(text.replace('"op": "start"', '"op": "start", "op": "reset"', 1))
    result = run("import", str(path))
    assert result.exit_code == 1 and "twice" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- #
# Undoing an import, and machines that import each other
# --------------------------------------------------------------------------- #


def machine(tmp_path: Path, name: str) -> dict[str, str]:
    """The environment of another machine: its own data directory (and so its own device id)."""
    return {"AIPM_HOME": str(tmp_path / name)}


def export_of(run: Run, tmp_path: Path, env: dict[str, str], name: str) -> Path:
    result = run("export", "--format", "json", env=env)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / f"{name}.json"
    path.write_text(result.stdout)
    return path


def test_undoing_an_import_never_erases_the_other_machines_own_work(run: Run, tmp_path: Path) -> None:
    x, y = machine(tmp_path, "x"), machine(tmp_path, "y")
    assert run("done", "ai-for-everyone", "--note", "my own note", env=x).exit_code == 0
    assert run("import", str(export_of(run, tmp_path, x, "from-x")), env=y).exit_code == 0
    assert run("undo", env=y).exit_code == 0  # Y takes back what the import brought to Y
    assert json.loads(run("show", "ai-for-everyone", "--json", env=y).stdout)["status"] == "not_started"
    # X later gets Y's changes: its own done and note, never undone on X, stay in effect on X
    assert run("import", str(export_of(run, tmp_path, y, "from-y")), env=x).exit_code == 0
    item = json.loads(run("show", "ai-for-everyone", "--json", env=x).stdout)
    assert item["status"] == "done"
    assert [n["text"] for n in item["notes"]] == ["my own note"]
    assert run("doctor", "--rebuild", env=x).exit_code == 0
    assert json.loads(run("show", "ai-for-everyone", "--json", env=x).stdout)["status"] == "done"
    # and the log says the same as the fold: X's done is in effect
    log = json.loads(run("log", "--json", env=x).stdout)
    done = [e for e in log if e["action"] == "done"]
    assert done and not done[0]["undone"]


def test_machines_importing_each_other_settle(run: Run, tmp_path: Path) -> None:
    names = ["a", "b", "c"]
    envs = {n: machine(tmp_path, n) for n in names}
    items = {"a": "ai-for-everyone", "b": "the-ai-pm-role", "c": "machine-learning"}
    for n in names:
        result = run("start", items[n], env=envs[n])
        assert result.exit_code == 0, result.stderr

    def round_of_imports() -> int:
        brought = 0
        for n in names:
            for other in names:
                if other != n:
                    path = export_of(run, tmp_path, envs[other], f"{other}-for-{n}")
                    result = run("import", str(path), env=envs[n])
                    assert result.exit_code == 0, result.stderr
                    brought += "Nothing new" not in result.stderr
        return brought

    round_of_imports()
    round_of_imports()
    sizes = {n: log_bytes(tmp_path / n / "learners" / "ada" / "ai-product-manager" / "changes") for n in names}
    assert round_of_imports() == 0  # nothing new anywhere: no marker ping-pong
    assert {n: log_bytes(tmp_path / n / "learners" / "ada" / "ai-product-manager" / "changes") for n in names} == sizes
    statuses = {n: json.loads(run("status", "--json", env=envs[n]).stdout)["counts"] for n in names}
    assert statuses["a"] == statuses["b"] == statuses["c"]


def test_undo_any_names_the_machine_whose_change_it_reverts(run: Run, tmp_path: Path, store_path: Path) -> None:
    assert run("start", "ai-for-everyone").exit_code == 0
    plant(store_path, f"{OTHER}.jsonl", fmt.line(foreign(ids.new_id(__import__("datetime").datetime.now()))))
    own = run("undo")  # after a sync: this machine's newest change, not the newer one from elsewhere
    assert own.exit_code == 0 and "start ai-for-everyone" in own.stderr and " on " not in own.stderr
    assert json.loads(run("show", "ai-for-everyone", "--json").stdout)["status"] == "done"  # the other's stays
    nothing = run("undo")
    assert nothing.exit_code == 1 and "--any" in nothing.stderr
    other = run("undo", "--any")
    assert other.exit_code == 0 and f"on {OTHER}" in other.stderr and "done ai-for-everyone" in other.stderr


# --------------------------------------------------------------------------- #
# doctor believes no cache, and names what machines made together
# --------------------------------------------------------------------------- #


def test_doctor_compares_the_cache_with_the_logs(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("status").exit_code == 0  # the cache is written
    cache = next((home / "cache" / "state").rglob("ai-product-manager.json"))
    data = json.loads(cache.read_bytes())
    data["state"]["items"]["ai-for-everyone"]["status"] = "skipped"  # a lying cache, with the right key
    cache.write_text(json.dumps(data))
    lied = json.loads(run("show", "ai-for-everyone", "--json").stdout)
    assert lied["status"] == "skipped"  # (what a read believes while the cache matches the logs' sizes)
    doctor = run("doctor", "--json")
    report = json.loads(doctor.stdout)
    assert doctor.exit_code == 1 and report["cache_agrees"] is False
    assert any("cache disagreed" in p for p in report["problems"])
    assert json.loads(run("show", "ai-for-everyone", "--json").stdout)["status"] == "done"  # rebuilt
    again = json.loads(run("doctor", "--json").stdout)
    assert again["cache_agrees"] is True and again["healthy"]


def test_doctor_names_a_done_item_another_machine_started_again(run: Run, store_path: Path) -> None:
    from datetime import UTC, datetime

    assert run("done", "ai-for-everyone", "--on", "2026-11-01").exit_code == 0
    later = ids.new_id(datetime.now(UTC))
    plant(store_path, f"{OTHER}.jsonl", fmt.line(foreign(later, op="start", target="ai-for-everyone")))
    report = json.loads(run("doctor", "--json").stdout)
    kinds = {(o["unit"], o["kind"]) for o in report["odd_states"]}
    assert ("ai-for-everyone", "reopened") in kinds
    assert any(OTHER in p and "started again" in p for p in report["problems"])


def test_doctor_names_done_before_started(run: Run, store_path: Path) -> None:
    assert run("start", "ai-for-everyone", "--on", "2026-11-20").exit_code == 0
    # another machine, which never saw the start, marked it done earlier
    from datetime import UTC, datetime

    done = foreign(ids.new_id(datetime.now(UTC)), op="done", target="ai-for-everyone")
    done["on"] = "2026-11-10"
    plant(store_path, f"{OTHER}.jsonl", fmt.line(done))
    report = json.loads(run("doctor", "--json").stdout)
    assert {(o["unit"], o["kind"]) for o in report["odd_states"]} == {("ai-for-everyone", "done_before_started")}


# --------------------------------------------------------------------------- #
# Memory stays bounded whatever the record holds: 200,000 notes on one item
# --------------------------------------------------------------------------- #


def peak_mb(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run aipm in a fresh process and return (peak resident MB, stdout)."""
    import subprocess
    import sys

    wrapper = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(done.stdout)\n"
        "sys.stderr.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))\n"
        "sys.exit(done.returncode)\n"
    )
    import os

    result = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "aipm_cli", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-500:]
    return int(result.stderr.strip().splitlines()[-1]), result.stdout


@pytest.mark.slow
def test_two_hundred_thousand_notes_on_one_item_keep_memory_bounded(home: Path, store_path: Path) -> None:
    count = 200_000
    store_path.mkdir(parents=True)
    text = "a note that arrived by sync, long enough to matter " * 4
    base = NOV_20 << 80
    with open(store_path / f"{OTHER}.jsonl", "wb") as out:
        for number in range(count):
            change = foreign(ids.encode_id(base + (number << 20)), op="note", targets=["ai-for-everyone"], text=text)
            out.write(fmt.line(change))
    env = {"AIPM_HOME": str(home)}
    status_mb, _ = peak_mb("status", env=env)  # cold: folds every line
    show_mb, shown = peak_mb("show", "ai-for-everyone", env=env)
    log_mb, _ = peak_mb("log", "-n", "20", env=env)
    write_mb, _ = peak_mb("done", "ai-for-everyone", env=env)
    assert max(status_mb, show_mb, log_mb, write_mb) < 150, (status_mb, show_mb, log_mb, write_mb)
    assert "199950 earlier notes" in shown and "200000." in shown
    cache = next((home / "cache" / "state").rglob("ai-product-manager.json"))
    assert cache.stat().st_size < 200_000  # the window, not 200,000 notes


def test_a_lone_surrogate_in_an_old_store_is_a_clear_error(run: Run, home: Path) -> None:
    from conftest import DATA

    folder = home / "learners" / "ada"
    folder.mkdir(parents=True)
    raw = (DATA / "schema1" / "rich" / "learners" / "ada" / "progress.json").read_text()
    assert '"week one"' in raw
    (folder / "progress.json").write_text(raw.replace('"week one"', '"week \\ud800 one"'))
    for args in (["status"], ["done", "ai-for-everyone"], ["doctor"], ["doctor", "--rebuild"]):
        result = run(*args)
        assert result.exit_code in (0, 1), args
        assert "Traceback" not in result.stderr and "unexpected" not in result.stderr.lower(), (args, result.stderr)
    assert "progress.json" in run("status").stderr + run("done", "ai-for-everyone").stderr
    assert (folder / "progress.json").exists()  # nothing unreadable is overwritten or lost


def test_a_backup_with_a_big_reset_restores_onto_a_new_machine_without_asking(run: Run, tmp_path: Path) -> None:
    x, fresh = machine(tmp_path, "x"), machine(tmp_path, "fresh")
    assert run("done", "foundation", env=x).exit_code == 0
    assert run("reset", "phase-1", env=x).exit_code == 0  # many units at once: destructive from elsewhere
    backup = export_of(run, tmp_path, x, "backup")
    result = run("import", str(backup), env=fresh)  # nothing here to take out of effect: no question
    assert result.exit_code == 0, result.stderr
    assert run("status", "--json", env=fresh).stdout == run("status", "--json", env=x).stdout


# --------------------------------------------------------------------------- #
# From a cold review: what still got through
# --------------------------------------------------------------------------- #


def test_a_change_that_sets_records_exactly_is_destructive_from_elsewhere(run: Run, tmp_path: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("start", "machine-learning").exit_code == 0
    from datetime import UTC, datetime

    wipe = foreign(ids.new_id(datetime.now(UTC)), op="note", targets=["machine-learning"], text="hello",
                   state={"ai-for-everyone": None, "machine-learning": None})  # fmt: skip
    path = export_with(run, tmp_path, wipe)
    refused = run("import", str(path))
    assert refused.exit_code == 1 and "destructive change" in refused.stderr
    assert json.loads(run("status", "--json").stdout)["counts"]["done"] >= 1
    assert run("import", str(path), "--accept-destructive").exit_code == 0


def test_doctor_finds_the_cache_right_after_an_undo_and_a_redo(run: Run) -> None:
    assert run("start", "identifying-ai-opportunities").exit_code == 0
    assert run("undo").exit_code == 0
    assert json.loads(run("doctor", "--json").stdout)["cache_agrees"] is True
    assert run("redo").exit_code == 0
    assert json.loads(run("doctor", "--json").stdout)["cache_agrees"] is True


def test_undo_reaches_this_machines_change_past_many_from_elsewhere(run: Run, store_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    assert run("done", "ai-for-everyone").exit_code == 0
    moment = datetime.now(UTC)
    lines, last = [], None
    for number in range(150):
        last = ids.new_id(moment + timedelta(milliseconds=number), last)
        lines.append(fmt.line(foreign(last, op="note", targets=["machine-learning"], text=f"n{number}")))
    plant(store_path, f"{OTHER}.jsonl", *lines)
    result = run("undo")
    assert result.exit_code == 0 and "done ai-for-everyone" in result.stderr
    assert json.loads(run("show", "ai-for-everyone", "--json").stdout)["status"] == "not_started"


def test_the_gate_refuses_an_undo_older_than_what_it_cancels() -> None:
    target = an_id(NOV_20 + 3600_000)
    undo = foreign(an_id(NOV_20), op="undo")
    undo["target"] = target
    with pytest.raises(fmt.BadChange, match="not older than"):
        fmt.check(undo)
    with pytest.raises(fmt.BadChange, match="not older than"):
        fmt.gate(fmt.line(undo))


def test_two_hundred_thousand_ratings_fold_in_n_log_n(store_path: Path, home: Path) -> None:
    from aipm_cli.record.fold import Source, fold

    store_path.mkdir(parents=True)
    changes = [foreign(ids.encode_id((NOV_20 + n) << 80), op="assess", skill="ethics", level=1 + n % 5)
               for n in range(200_000)]  # fmt: skip
    for change in changes:
        change["on"] = f"2025-{1 + (change['level'] * 2) % 12:02d}-{1 + change['level']:02d}"  # backdated, out of order
    state = fold([Source(changes=changes)], {}).state
    days = [r.on for r in state.skills["ethics"]]
    assert len(days) == 200_000 and days == sorted(days)


def test_machines_that_import_each_other_after_an_undo_agree(run: Run, tmp_path: Path) -> None:
    # A new user's trial: A's export into B, undo on B, B's export into A, A's export into B again:
    # both hold the same changes, so both must show the same progress.
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    assert run("done", "cross-functional-collaboration", env=a).exit_code == 0
    assert run("import", str(export_of(run, tmp_path, a, "a1")), env=b).exit_code == 0
    assert run("undo", env=b).exit_code == 0
    assert run("import", str(export_of(run, tmp_path, b, "b1")), env=a).exit_code == 0
    assert run("import", str(export_of(run, tmp_path, a, "a2")), env=b).exit_code == 0
    assert run("import", str(export_of(run, tmp_path, b, "b2")), env=a).exit_code == 0
    counts = {n: json.loads(run("status", "--json", env=e).stdout)["counts"] for n, e in (("a", a), ("b", b))}
    assert counts["a"] == counts["b"] and counts["a"]["done"] >= 1
