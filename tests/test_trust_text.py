"""One text-safety rule everywhere text reaches a terminal or a reader (issue 22, item 7).

The rule is render.safe.clean: control characters (C0 but newline and tab, DEL,
C1, so ESC and OSC 52) and bidi controls are shown as visible escapes (`\\x1b`,
`\\u202e`). These tests build the hostile roadmap, note, file name or argument
themselves and check each place the rule was missing: a report written to a
real terminal (a pseudo-terminal), cohort's messages, shell completion, the TUI's
panes, `show`/`log`/errors/Markdown/HTML for bidi controls, and errors that
quoted a whole 120 KB argument.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from aipm_cli.render.safe import clean
from conftest import Run, aipm_process

# A window title, a screen clear, a clipboard write (OSC 52), a C1 CSI and a right-to-left override.
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\x9b31m \u202egnp.exe"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")
SHOWN = ("\\x1b]0;pwned\\x07", "\\x1b]52;c;ZXZpbA==", "\\x9b31m", "\\u202egnp.exe")


def assert_escaped(text: str, shown: tuple[str, ...] = SHOWN) -> None:
    """Nothing a terminal acts on, and the hostile text shown as visible escapes."""
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached the output"
    for escaped in shown:
        assert escaped in text


def on_terminal(*args: str, cwd: Path | None = None) -> tuple[str, str, int]:
    """Run aipm with its stdout on a real pseudo-terminal: (what the terminal received, stderr, exit code)."""
    master, slave = pty.openpty()
    with (
        open(os.devnull, "rb") as stdin,
        subprocess.Popen(
            [sys.executable, "-m", "aipm_cli", *args], stdin=stdin, stdout=slave, stderr=subprocess.PIPE, cwd=cwd
        ) as process,
    ):
        os.close(slave)
        received = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            received += chunk
        os.close(master)
        assert process.stderr is not None
        err = process.stderr.read().decode()
        code = process.wait(timeout=120)
    # The terminal's line discipline turns each \n into \r\n.
    return received.decode("utf-8").replace("\r\n", "\n"), err, code


@pytest.fixture
def noted(run: Run) -> str:
    """An item done with a hostile note and evidence (the bundled roadmap)."""
    result = run("done", "ai-for-everyone", "--note", f"note {ESCAPES}", "--evidence", f"proof {ESCAPES}")
    assert result.exit_code == 0, result.stderr
    return "ai-for-everyone"


# --------------------------------------------------------------------------- #
# 1. Reports written to a terminal
# --------------------------------------------------------------------------- #


PLAIN = ("\\x1b]52;c;ZXZpbA==", "\\x9b31m", "\\u202egnp.exe")
MARKDOWN = ("\\\\x1b\\]52;c;ZXZpbA==", "\\\\x9b31m", "\\\\u202egnp.exe")  # Markdown escapes the backslash and ] again


@pytest.mark.parametrize(
    ("args", "shown"),
    [(("export", "--format", "csv"), PLAIN), (("export", "--format", "csv", "-o", "-"), PLAIN),
     (("export", "--format", "html"), PLAIN), (("export", "--format", "md", "--full"), MARKDOWN)],
)  # fmt: skip
def test_a_report_written_to_a_terminal_shows_control_characters_escaped(
    noted: str, args: tuple[str, ...], shown: tuple[str, ...]
) -> None:
    out, err, code = on_terminal(*args)
    assert code == 0, err
    assert_escaped(out, shown)


def test_a_json_export_on_a_terminal_escapes_the_json_way_and_still_parses(noted: str) -> None:
    out, err, code = on_terminal("export", "--format", "json")
    assert code == 0, err
    for raw in ("\x9b", "\u202e"):  # json.dumps already writes ESC and BEL as \u001b, \u0007
        assert raw not in out
    assert "\\u009b31m" in out and "\\u202e" in out
    notes = [n["text"] for n in json.loads(out)["state"]["items"][noted]["notes"]]
    assert notes == [f"note {ESCAPES}"]


def test_a_csv_report_to_a_pipe_or_a_file_stays_the_exact_data(noted: str, tmp_path: Path) -> None:
    piped = aipm_process("export", "--format", "csv")
    assert piped.returncode == 0, piped.stderr
    assert aipm_process("export", "--format", "csv", "-o", str(tmp_path / "out.csv")).returncode == 0
    written = (tmp_path / "out.csv").read_bytes()
    assert piped.stdout.encode() == written.replace(b"\r\n", b"\n")  # text mode reads CRLF as \n
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(written.decode(), newline=""))}
    assert rows[noted]["notes"] == f"note {ESCAPES}"


@pytest.fixture
def cohort_source(noted: str, run: Run, tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert run("export", "--format", "json", "-o", str(inbox / "ada.json")).exit_code == 0
    return inbox


def test_a_cohort_csv_written_to_a_terminal_shows_control_characters_escaped(cohort_source: Path) -> None:
    out, err, code = on_terminal("cohort", "report", str(cohort_source), "--format", "csv", "--by", "item",
                                 "--with-notes")  # fmt: skip
    assert code == 0, err
    assert_escaped(out, PLAIN)


# --------------------------------------------------------------------------- #
# 2. Cohort's messages
# --------------------------------------------------------------------------- #


def test_cohort_names_an_unreadable_source_with_its_controls_escaped(run: Run, cohort_source: Path) -> None:
    gone = cohort_source.parent / f"gone {ESCAPES}.json"
    result = run("cohort", "report", str(cohort_source), str(gone), "--format", "csv")
    assert result.exit_code == 1
    assert "Could not read" in result.stderr
    assert_escaped(result.stderr)


# --------------------------------------------------------------------------- #
# 3. Shell completion
# --------------------------------------------------------------------------- #

HOSTILE_ROADMAP = {
    "id": "hostile", "title": "Hostile", "version": "1",
    "phases": [{"id": "p", "title": f"Phase {ESCAPES}\nsecond line", "modules": [
        {"id": "m", "title": f"Module {ESCAPES}", "items": [
            {"id": "i", "title": f"Item {ESCAPES}", "kind": "topic", "description": f"about {ESCAPES}"}]}]}],
}  # fmt: skip


@pytest.fixture
def hostile_roadmap(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(HOSTILE_ROADMAP, sort_keys=False))
    return path


@pytest.mark.parametrize("shell", ["zsh", "fish", "bash"])
def test_completion_descriptions_show_controls_escaped_on_one_line(
    run: Run, hostile_roadmap: Path, home: Path, shell: str
) -> None:
    assert run("--roadmap", str(hostile_roadmap), "start", "i").exit_code == 0
    (home / "learners" / "eve\x1b]52;c;ZXZpbA==\x07").mkdir(parents=True)  # a folder no one could type
    words = ["--roadmap", str(hostile_roadmap), "show", ""]
    found = aipm_process(*words, env={"_AIPM_COMPLETE": shell, "_AIPM_CWORD": str(len(words))})
    assert found.returncode == 0
    lines = found.stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == ["i", "m", "p"]
    if shell != "bash":
        assert all(line.count("\t") == 1 for line in lines)
        assert_escaped(found.stdout, ("\\x1b]0;pwned\\x07", "\\x9b31m"))
        assert any(line.startswith("p\tPhase \\x1b]0;pwned") for line in lines)
    learners = aipm_process("--user", "", env={"_AIPM_COMPLETE": shell, "_AIPM_CWORD": "2"})
    assert [line.split("\t")[0] for line in learners.stdout.splitlines()] == ["ada"]


# --------------------------------------------------------------------------- #
# 4. Bidi controls
# --------------------------------------------------------------------------- #

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_clean_shows_every_bidi_control_escaped() -> None:
    assert clean(BIDI) == "".join(f"\\u{ord(c):04x}" for c in BIDI)
    assert clean("עברית and العربية") == "עברית and العربية"  # right-to-left letters are text


def test_show_log_and_errors_show_bidi_controls_escaped(run: Run) -> None:
    assert run("note", "ai-for-everyone", f"read {BIDI} me").exit_code == 0
    shown = clean(BIDI)
    for args in (("show", "ai-for-everyone"), ("log",)):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        assert not any(c in result.stdout for c in BIDI)
        assert shown in "".join(result.stdout.split())  # (wrapped at 80 columns)
    result = run("show", "ai-for-\u202eeveryone")
    assert result.exit_code == 1
    assert "\u202e" not in result.stderr and "ai-for-\\u202eeveryone" in result.stderr
    result = run("list", "--status", "done\u202e")  # a usage error Typer finds
    assert result.exit_code == 2
    assert "\u202e" not in result.stderr and "done\\u202e" in result.stderr


def test_json_output_writes_bidi_controls_as_json_escapes(run: Run) -> None:
    assert run("note", "ai-for-everyone", f"read {BIDI} me").exit_code == 0
    out = run("show", "ai-for-everyone", "--json").stdout
    assert not any(c in out for c in BIDI) and "\\u202e" in out
    assert json.loads(out)["notes"][0]["text"] == f"read {BIDI} me"


def test_markdown_and_html_reports_show_bidi_controls_escaped(run: Run, noted: str) -> None:
    md = run("export", "--format", "md").stdout
    assert "\u202e" not in md and "\\\\u202egnp.exe" in md  # the backslash itself escaped for Markdown
    html = run("export", "--format", "html").stdout
    assert "\u202e" not in html and "\x1b" not in html
    assert "\\u202egnp.exe" in html and "\\x1b]52;c;" in html


# --------------------------------------------------------------------------- #
# 5. The TUI
# --------------------------------------------------------------------------- #


def test_the_tui_shows_escapes_in_a_phase_title_as_text(home: Path, tmp_path: Path) -> None:
    pytest.importorskip("textual")
    from aipm_cli.learner import Learner
    from aipm_cli.tui.app import AipmApp

    styled = "\x1b[31mRED\x1b[0m \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \u202eRTL"
    doc = {"id": "tui", "title": "TUI", "version": "1", "phases": [
        {"id": "p", "title": f"Phase {styled}", "modules": [
            {"id": "m", "title": "Module", "items": [{"id": "i", "title": "Item", "kind": "topic"}]}]}]}  # fmt: skip
    path = tmp_path / "tui.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    seen: dict[str, Any] = {}

    async def drive() -> None:
        app = AipmApp(Learner(home, user="ada", roadmap=str(path)), refresh_seconds=60)
        async with app.run_test(size=(160, 30)) as pilot:
            app.select("p")
            await pilot.pause()
            seen["detail"] = app.query_one("#detail-text").render()

    asyncio.run(drive())
    detail = seen["detail"]
    assert detail.plain.startswith("Phase \\x1b[31mRED\\x1b[0m \\x1b]8;;http://evil.example")
    assert "\\u202eRTL" in detail.plain
    assert not any(c in detail.plain for c in RAW)
    styles = " ".join(repr(span.style) for span in detail.spans)
    assert "evil" not in styles and "color" not in styles.lower()  # no link, no colour from the title


def test_a_tui_pane_is_never_read_back_from_ansi(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a view draws (even text it forgot to clean), the pane holds it as text with the
    view's own styles: the pane is built from the view's pieces, not from ANSI read back."""
    pytest.importorskip("textual")
    from rich.text import Text

    from aipm_cli.learner import Learner
    from aipm_cli.render import lists
    from aipm_cli.tui.app import AipmApp

    def careless_view(console: Any, *args: Any) -> None:
        shown = Text("raw \x1b[31mRED\x1b[0m \x1b]52;c;ZXZpbA==\x07 ")
        shown.append("mine", style="bold")
        console.print(shown)

    monkeypatch.setattr(lists, "group_view", careless_view)
    seen: dict[str, Any] = {}

    async def drive() -> None:
        app = AipmApp(Learner(home, user="ada"), refresh_seconds=60)
        async with app.run_test(size=(160, 30)) as pilot:
            app.select("ai-product-manager-role")
            await pilot.pause()
            seen["detail"] = app.query_one("#detail-text").render()

    asyncio.run(drive())
    detail = seen["detail"]
    assert detail.plain.startswith("raw \\x1b[31mRED\\x1b[0m \\x1b]52;c;ZXZpbA==")  # (rich drops BEL itself)
    styles = [repr(span.style) for span in detail.spans]
    assert any("bold" in style for style in styles)  # the view's own style is kept
    assert not any("color" in style.lower() for style in styles)


# --------------------------------------------------------------------------- #
# 6. Errors never echo a whole long argument
# --------------------------------------------------------------------------- #

BIG = "x" * 120_000


@pytest.mark.parametrize(
    "args",
    [
        ("show", BIG),
        ("done", BIG),
        ("note", BIG, "text"),
        ("start", "ai-for-everyone", "--on", BIG),
        ("log", "--since", BIG),
        ("list", "--status", BIG),
        ("list", "--phase", BIG),
        ("assess", BIG, "3"),
        ("assess", "product-management", BIG),
        ("export", "--format", BIG),
        ("export", f"--format={BIG}"),
        ("log", f"-n{BIG}"),
        ("status", BIG),
        ("--user", BIG, "status"),
        ("users", "remove", BIG),
        ("cohort", "report", "x", "--by", BIG.upper()),
        ("config", "hours_per_week", BIG),
        ("import", BIG),
        (f"--no-such-option{BIG}", "status"),
    ],
    ids=lambda args: " ".join(a[:12] for a in args),
)
def test_an_error_quotes_a_long_argument_cut_to_its_start(run: Run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code in (1, 2), result.stdout[:200]
    assert len(result.stderr) < 1_000, result.stderr[:300]
    assert "…" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_error_cuts_a_long_learner_name_from_the_environment(run: Run) -> None:
    result = run("status", env={"AIPM_USER": BIG})
    assert result.exit_code == 2  # an unusable learner name is a usage error
    assert len(result.stderr) < 1_000 and "…" in result.stderr


def test_an_error_quotes_a_path_in_an_existing_folder_whole(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / ("a-long-folder-name-" * 6) / "roadmap.yaml"
    missing.parent.mkdir()
    result = run("roadmap", "show", str(missing))
    assert result.exit_code == 1
    assert f"No roadmap file at {missing}." in result.stderr


def test_removing_a_note_or_evidence_never_sends_its_control_characters_to_the_terminal(run) -> None:  # type: ignore[no-untyped-def]
    """The confirmation of `note --remove` and `evidence --remove` quotes what was removed: as data."""
    evil = "evil \x1b]0;PWNED\x07 \x1b[2J \u202eRTL\r"
    run("note", "user-research", evil)
    run("done", "ai-for-everyone", "--evidence", evil)
    for args in (("note", "user-research", "--remove", "1"), ("evidence", "ai-for-everyone", "--remove", "1")):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        said = result.stdout + result.stderr
        assert "Removed" in said and "PWNED" in said
        assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said and "\r" not in said
        assert "\\x1b]0;PWNED\\x07" in said and "\\u202e" in said
