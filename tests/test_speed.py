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
    lines = result.stdout.splitlines()
    assert len(lines) == 6, lines
    assert lines[0].startswith("2026-11-24  undo  of ")
    assert lines[2] == "2026-11-24  start  User research (user-research)  (undone)"
    assert lines[4] == (
        f"2026-11-24  done  Cross-functional Collaboration (cross-functional-collaboration) — {note.strip()}"
    )
    for recorded in lines[1::2]:
        assert recorded.startswith("            recorded 2026-11-24 10:00 on ")
    # COLUMNS set asks for a width: folded at words under the hanging indent.
    folded = run("log", env={"COLUMNS": "60"}).stdout.splitlines()
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
