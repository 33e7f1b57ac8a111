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
