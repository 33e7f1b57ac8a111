"""Issue 25, points 7, 10, 11 and 12: long work shows progress, the first command is fast, sync recovers,
and long output streams. Speed itself is measured by bench/run.py, never timed here."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Run


def test_full_log_into_a_pipe_is_plain_lines_unwrapped(run: Run) -> None:
    """Into a pipe or a file, `log` writes plain lines (no table per change): two lines a change, never
    folded at the terminal width, the note on the first line and the recorded line indented under it."""
    note = "a long note about what I learned " * 4
    run("done", "cross-functional-collaboration", "--note", note)
    run("start", "user-research")
    run("undo")
    result = run("log", env={"COLUMNS": None})  # a pipe has no width
    assert result.exit_code == 0, result.output
    head, *lines = result.stdout.splitlines()
    assert head == "Times are in your time zone, UTC."  # said once, above the first change
    assert len(lines) == 6, lines
    assert lines[0].startswith("2026-11-24  undo  of ")
    assert lines[2] == "2026-11-24  start  User research (user-research)  (undone)"
    assert lines[4] == (
        f"2026-11-24  done  Cross-functional Collaboration (cross-functional-collaboration) — {note.strip()}"
    )
    for recorded in lines[1::2]:
        assert recorded.startswith("            recorded 2026-11-24 10:00 on ")
    # COLUMNS set asks for a width: folded at words under the hanging indent.
    folded = run("log", env={"COLUMNS": "60"}).stdout.splitlines()[1:]
    assert max(len(line) for line in folded) <= 60
    assert folded[4:7] == [
        "2026-11-24  done  Cross-functional Collaboration",
        "            (cross-functional-collaboration) — a long note",
        "            about what I learned a long note about what I",
    ]


def test_log_json_streams_the_same_document(run: Run) -> None:
    run("done", "user-research", "--note", "é \u2028 tab\tend")
    run("assess", "product-management", "3")
    result = run("log", "--json")
    data = json.loads(result.stdout)
    assert [d["action"] for d in data] == ["assess", "done"]
    # The text is json's own indented form, whichever writer made it.
    assert result.stdout == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_empty_log_into_a_pipe(run: Run, home: Path) -> None:
    result = run("log")
    assert result.exit_code == 0
    assert result.stdout == "No changes yet.\n"


def _history(home: Path, count: int) -> Path:
    """`count` changes in one device's log for the learner ada (bench/history.py's generator)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        from history import make_history
    finally:
        sys.path.pop(0)
    make_history(home, count, seed=7)
    folder = home / "learners" / "ada" / "ai-product-manager"
    folder.parent.mkdir(parents=True, exist_ok=True)
    (home / "learners" / "bench" / "ai-product-manager").rename(folder)
    return folder / "changes" / "bench-0000.jsonl"


def test_json_export_streams_in_flat_memory(run: Run, home: Path, tmp_path: Path) -> None:
    """The changes are read, written and let go a batch at a time: exporting 60,000 changes holds one block
    of the log at a time (about 30 MB whatever the size; the whole list held was over 60 MB)."""
    import tracemalloc

    log = _history(home, 60_000)
    run("status")  # the cache made: what is measured is the export
    out = tmp_path / "export.json"
    tracemalloc.start()
    try:
        result = run("export", "--format", "json", "-o", str(out))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_bytes())
    assert len(data["changes"]) == 60_000
    assert [c["id"] for c in data["changes"]] == [json.loads(line)["id"] for line in log.read_bytes().splitlines()]
    assert peak < 45 * 2**20, f"{peak / 2**20:.1f} MB"


def test_json_export_of_a_log_out_of_order_is_in_id_order(run: Run, store_path: Path) -> None:
    """A log whose lines are not in id order (a hand edit) is exported sorted, as before it streamed."""
    run("done", "user-research")
    run("start", "product-strategy")
    run("note", "user-research", "third")
    log = next(store_path.glob("*.jsonl"))
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[2] + lines[0] + lines[1])
    exported = json.loads(run("export", "--format", "json").stdout)
    ids = [c["id"] for c in exported["changes"]]
    assert len(ids) == 3 and ids == sorted(ids)


# --------------------------------------------------------------------------- #
# Progress on long work (point 7): shown on a terminal, never in a pipe or with --json
# --------------------------------------------------------------------------- #


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[int, str, str]:
    """Run aipm with stderr on a pseudo-terminal (stdout a pipe): exit code, stdout, what the terminal got."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    full = {**os.environ, **env, "AIPM_PROGRESS_DELAY": "0", "TERM": "xterm-256color"}
    full.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "aipm_cli", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
        env=full, cwd=cwd,
    )  # fmt: skip
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out = proc.stdout.read().decode() if proc.stdout else ""
    return proc.wait(timeout=120), out, seen.decode("utf-8", "replace")


def _piped(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    import os
    import subprocess
    import sys

    full = {**os.environ, **env, "AIPM_PROGRESS_DELAY": "0"}
    done = subprocess.run([sys.executable, "-m", "aipm_cli", *args], capture_output=True, text=True, env=full)
    return done.returncode, done.stdout, done.stderr


def test_doctor_rebuild_shows_progress_on_a_terminal_only(home: Path) -> None:
    _history(home, 3_000)
    env = {"AIPM_HOME": str(home)}
    code, _out, terminal = _on_a_terminal(["doctor", "--rebuild"], env)
    assert code == 0, terminal
    assert "Reading the change logs" in terminal
    code, _out, err = _piped(["doctor", "--rebuild"], env)
    assert code == 0 and "Reading the change logs" not in err and "\x1b" not in err
    code, out, terminal = _on_a_terminal(["doctor", "--rebuild", "--json"], env)
    assert code == 0 and json.loads(out)["changes"] == 3_000
    assert "Reading the change logs" not in terminal


def test_import_shows_progress_on_a_terminal_only(home: Path, tmp_path: Path) -> None:
    _history(home, 6_000)
    env = {"AIPM_HOME": str(home)}
    export = tmp_path / "export.json"
    assert _piped(["export", "--format", "json", "-o", str(export)], env)[0] == 0
    other = {"AIPM_HOME": str(tmp_path / "other-home"), "AIPM_USER": "ada"}
    code, _out, terminal = _on_a_terminal(["import", str(export)], other)
    assert code == 0, terminal
    assert "Importing changes" in terminal
    again = {"AIPM_HOME": str(tmp_path / "third-home"), "AIPM_USER": "ada"}
    code, _out, err = _piped(["import", str(export)], again)
    assert code == 0 and "Importing changes" not in err and "\x1b" not in err


def test_sync_and_cohort_report_show_progress_on_a_terminal_only(home: Path, tmp_path: Path) -> None:
    import subprocess

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git_env = {"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@e.org",
               "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@e.org"}  # fmt: skip
    env = {"AIPM_HOME": str(home), **git_env}
    assert _piped(["done", "ai-for-everyone"], env)[0] == 0
    code, _out, terminal = _on_a_terminal(["sync", "init", str(remote)], env)
    assert code == 0, terminal
    assert "Fetching from the remote" in terminal or "Sending" in terminal
    assert _piped(["note", "ai-for-everyone", "more"], env)[0] == 0
    code, _out, err = _piped(["sync"], env)
    assert code == 0 and "Sending" not in err and "\x1b" not in err
    code, out, terminal = _on_a_terminal(["sync", "--json"], env)
    assert code == 0 and "Sending" not in terminal and json.loads(out)
    code, _out, terminal = _on_a_terminal(["cohort", "report", str(home)], env)
    assert code == 0, terminal
    assert "Summarizing learners" in terminal
    code, _out, err = _piped(["cohort", "report", str(home)], env)
    assert code == 0 and "Summarizing" not in err


# --------------------------------------------------------------------------- #
# The quick path of a full fold and a full log (point 12): a subset of the gate
# --------------------------------------------------------------------------- #

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ODD_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "a\nb", 'say "hi": yes', "back\\slash", "\x1b[31m", "\x7f", "é", "\u2028", "x" * 300]),
)


def _gate_verdict(raw: bytes):  # type: ignore[no-untyped-def]
    import orjson

    from aipm_cli.record import changes as fmt

    try:
        return fmt.gate(raw, orjson.loads)
    except fmt.BadChange:
        return None


@settings(max_examples=400, deadline=None)
@given(
    op=st.sampled_from(["start", "done", "skip", "reset", "note", "undo", "redo"]),
    at=st.sampled_from(
        [
            "2026-11-24T10:00:00+00:00",
            "2026-11-24T10:00:00",
            "2026-13-01T10:00:00+00:00",
            "2026-11-24T10:00:00.5+01:00",
            "not a time",
            "2026-11-24T10:00:00Z",
        ]
    ),
    on=st.sampled_from(["2026-11-24", "2026-02-30", "2026-1-01", "20261124xx", "0000-01-01"]),
    device=_ODD_TEXT,
    targets=st.lists(_ODD_TEXT, max_size=3),
    text=_ODD_TEXT,
    version=st.one_of(st.none(), _ODD_TEXT),
    about=st.one_of(st.none(), _ODD_TEXT),
    future=st.booleans(),
    v=st.sampled_from([1, 1, 2, True, "1"]),
)
def test_the_quick_path_takes_only_what_the_gate_takes(  # type: ignore[no-untyped-def]
    op, at, on, device, targets, text, version, about, future, v
) -> None:
    import orjson

    from aipm_cli.record import changes as fmt
    from aipm_cli.record import ids

    change = {"v": v, "id": "ZZZZZZZZZZZZZZZZZZZZZZZZZZ" if future else "01KAT6Z0000000000000000000", "at": at,
              "on": on, "device": device, "op": op}  # fmt: skip
    if op == "note":
        change.update(targets=targets, text=text)
    elif op in ("undo", "redo"):
        change["target"] = "01KAT6Z0000000000000000001" if not targets else targets[0]
        if about is not None:
            change["about"] = about
    else:
        change.update(targets=targets, units=list(reversed(targets)))
    if version is not None:
        change["roadmap_version"] = version
    for raw in (
        json.dumps(change, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"),
        json.dumps(change, sort_keys=True, separators=(",", ":")).encode(),
    ):
        taken = fmt.quick(raw, orjson.loads, ids.id_ceiling())
        if taken is not None:
            assert _gate_verdict(raw) == taken, raw


def test_the_quick_path_refuses_what_the_gate_refuses() -> None:
    import orjson

    from aipm_cli.record import changes as fmt
    from aipm_cli.record import ids

    good = b'{"at":"2026-11-24T10:00:00+00:00","device":"d","id":"01KAT6Z0000000000000000000","on":"2026-11-24","op":"note","targets":["x"],"text":"T","v":1}'
    assert fmt.quick(good, orjson.loads, ids.id_ceiling()) == _gate_verdict(good) != None  # noqa: E711
    for bad in (
        good.replace(b'"T"', b'"\xed\xa0\x80"'),  # a surrogate in UTF-8
        good.replace(b'"T"', b'"\\ud800"'),  # a lone surrogate escaped
        good.replace(b'"T"', b'"\xff"'),  # not UTF-8
        good.replace(b'"T"', b'"a\x01b"'),  # a raw control character
        good.replace(b'"x"', b'"x","x\\u0000"'),
        good.replace(b'"v":1', b'"v":1,"v":1'),
        good.replace(b'"on":"2026-11-24"', b'"on":"2026-02-30"'),
        good.replace(b"+00:00", b""),
        good.replace(b"01KAT6Z", b"ZZZZZZZ"),
    ):
        assert fmt.quick(bad, orjson.loads, ids.id_ceiling()) is None, bad


def test_a_full_fold_takes_the_lines_aipm_writes_by_the_quick_path(home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The usual lines never reach the field-by-field gate (speed); the others (ratings) still do."""
    from aipm_cli.record import changes as fmt
    from aipm_cli.record import logs
    from aipm_cli.record.fold import Source, fold

    log = _history(home, 3_000)
    expected = fold([Source(path=log, name=log.name)], {})
    gated: list[bytes] = []
    real = fmt.gate

    def counting(raw: bytes, loads=json.loads):  # type: ignore[no-untyped-def]
        gated.append(raw)
        return real(raw, loads)

    monkeypatch.setattr(logs, "gate", counting)
    monkeypatch.setattr(logs, "ORJSON_FROM", 0)
    read = [change for batch in logs.batches(log, logs.Problems()) for change, _offset in batch]
    assert len(read) == 3_000
    # Only the ratings (a shape the quick path leaves to the gate) reach it.
    assert len(gated) == log.read_bytes().count(b'"op":"assess"') > 0
    assert all(b'"op":"assess"' in raw for raw in gated)
    found = fold([Source(path=log, name=log.name)], {})
    assert found.changes == expected.changes == 3_000
    from aipm_cli.record.state import state_data

    assert state_data(found.state) == state_data(expected.state)


def test_migration_shows_progress_on_a_terminal_only(home: Path, tmp_path: Path) -> None:
    import shutil

    from conftest import DATA

    bundled = tmp_path / "bundled"
    bundled.mkdir()
    shutil.copy(DATA / "released" / "ai-product-manager-1.0.0.yaml", bundled / "ai-product-manager.yaml")
    for name, spot in (("terminal", home), ("piped", tmp_path / "piped-home")):
        shutil.copytree(DATA / "schema1" / "rich", spot, dirs_exist_ok=True)
        users = [p.parent.name for p in (spot / "learners").glob("*/progress.json")]
        env = {"AIPM_HOME": str(spot), "AIPM_USER": users[0], "AIPM_BUNDLED_ROADMAPS": str(bundled)}
        if name == "terminal":
            code, _out, shown = _on_a_terminal(["doctor", "--rebuild"], env)
            assert "Migrating the old store" in shown
        else:
            code, _out, shown = _piped(["doctor", "--rebuild"], env)
            assert "Migrating" not in shown and "\x1b" not in shown
        assert not (spot / "learners" / users[0] / "progress.json").exists(), shown
