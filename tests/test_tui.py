"""`aipm tui`, driven headless at 80x24 with Textual's pilot: the same changes as the commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, aipm_process

pytest.importorskip("textual")


def _app(home: Path, user: str = "ada") -> Any:
    from aipm_cli.learner import Learner
    from aipm_cli.tui.app import AipmApp

    return AipmApp(Learner(home, user=user), refresh_seconds=0.2)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def comparable(change: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in change.items() if k not in ("id", "at", "device")}


def test_d_records_the_change_aipm_done_records_and_u_reverts_it(run: Run, home: Path, tmp_path: Path) -> None:
    async def drive() -> None:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            app.select("ai-for-everyone")
            await pilot.pause()
            await pilot.press("d")
            await pilot.pause()
            assert "done: ai-for-everyone" in str(app.query_one("#message").render())

    asyncio.run(drive())
    mine = json.loads(run("log", "--json").stdout)
    other = {"AIPM_HOME": str(tmp_path / "other")}
    assert run("done", "ai-for-everyone", env=other).exit_code == 0
    theirs = json.loads(run("log", "--json", env=other).stdout)
    assert [comparable(c) for c in mine] == [comparable(c) for c in theirs]
    assert len(mine) == 1 and mine[0]["action"] == "done"

    async def undo() -> None:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("u")
            await pilot.pause()

    asyncio.run(undo())
    assert json.loads(run("show", "ai-for-everyone", "--json").stdout)["status"] == "not_started"


def test_a_module_change_asks_first_and_is_one_change(run: Run, home: Path) -> None:
    async def drive() -> None:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            app.select("core-product-management")
            await pilot.pause()
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("n")  # no: nothing changes
            await pilot.pause()
            app.select("core-product-management")
            await pilot.pause()
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()

    asyncio.run(drive())
    log = json.loads(run("log", "--json").stdout)
    assert len(log) == 1 and log[0]["items"] == ["core-product-management"] and log[0]["action"] == "done"
    module = json.loads(run("show", "core-product-management", "--json").stdout)
    assert module["counts"]["done"] == module["counts"]["total"]


def test_a_filter_narrows_the_tree(home: Path) -> None:
    async def drive() -> list[str]:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            before = len(app._entries)
            await pilot.press("slash")
            await pilot.pause()
            for key in "ethics":
                await pilot.press(key)
            await pilot.press("enter")
            await pilot.pause()
            assert len(app._entries) < before
            return list(app._entries)

    shown = asyncio.run(drive())
    assert "ethics-and-risk-management" in shown and "ai-for-everyone" not in shown


def test_quitting_without_actions_changes_no_file(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone")
    run("status")
    before = snapshot(home)

    async def drive() -> None:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("down", "down", "enter", "g")
            await pilot.press("q")

    asyncio.run(drive())
    assert snapshot(home) == before


def test_a_locked_store_shows_in_the_message_bar(run: Run, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filelock import FileLock

    from aipm_cli.record import locking

    run("start", "user-research")
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", 0.2)
    lock = home / "learners" / "ada" / "ai-product-manager" / "write.lock"

    async def drive() -> str:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            app.select("ai-for-everyone")
            await pilot.pause()
            with FileLock(str(lock)):
                await pilot.press("d")
                await pilot.pause()
            return str(app.query_one("#message").render())

    message = asyncio.run(drive())
    assert "Another aipm is still writing" in message
    assert json.loads(run("show", "ai-for-everyone", "--json").stdout)["status"] == "not_started"


def test_a_change_made_by_a_command_appears_in_the_tree(run: Run, home: Path) -> None:
    async def drive() -> str:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            assert "✓" not in str(app._entries["ai-for-everyone"].label)
            assert run("done", "ai-for-everyone").exit_code == 0  # another terminal
            await pilot.pause(0.6)
            return str(app._entries["ai-for-everyone"].label)

    assert "✓" in asyncio.run(drive())


def _svg(home: Path, *keys: str) -> str:
    """The screen at 80x24 after `keys`, as Textual's SVG screenshot with its per-run ids made constant."""
    import re

    async def drive() -> str:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
            return app.export_screenshot()

    return re.sub(r"terminal-\d+", "terminal", asyncio.run(drive()))


@pytest.mark.parametrize(("name", "keys"), [("tui-first-screen.svg", ()), ("tui-help.svg", ("question_mark",))])
def test_screens_match_their_kept_svg_snapshots(home: Path, name: str, keys: tuple[str, ...]) -> None:
    """The first screen and the help screen at 80x24, compared with SVG screenshots kept in tests/data.
    After a deliberate change to the TUI (or a Textual upgrade), remake them and look at them in a browser:
        AIPM_UPDATE_GOLDEN=1 pytest tests/test_tui.py -k snapshots
    """
    import os

    svg = _svg(home, *keys)
    assert "Quit&#160;" in svg  # the footer, whole
    target = Path(__file__).parent / "data" / name
    if os.environ.get("AIPM_UPDATE_GOLDEN"):
        target.write_text(svg)
    assert svg == target.read_text(), f"{name} differs: see the docstring to remake it"


def test_q_and_escape_close_the_help_and_day_screens_not_the_app(home: Path) -> None:
    async def drive(*keys: str) -> tuple[str, bool]:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
            return type(app.screen).__name__, app.is_running

    assert asyncio.run(drive("question_mark")) == ("Help", True)
    for keys in (("question_mark", "q"), ("question_mark", "escape"), ("question_mark", "x"), ("t", "q")):
        assert asyncio.run(drive(*keys)) == ("Screen", True), keys
    assert asyncio.run(drive("q")) == ("Screen", False)  # outside them, q still quits


def test_the_help_text_fits_its_box_without_wrapping(home: Path) -> None:
    import io

    from rich.console import Console

    from aipm_cli.tui.app import HELP

    assert all(len(line) <= 70 for line in HELP.splitlines())  # the box's inside at 80 columns

    async def drive() -> str:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            console = Console(width=80, height=24, file=io.StringIO(), record=True, color_system=None)
            console.print(app.screen._compositor.render_update(full=True))
            return console.export_text()

    # Inside the box: between its left and right borders (the tree shows beside it).
    rows = [row.split("│")[1].strip() for row in asyncio.run(drive()).splitlines() if row.count("│") >= 2]
    for line in HELP.splitlines():
        if line.strip():
            assert line.strip() in rows, line  # drawn whole, on one row of its own


LONG_NAME = "a-learner-with-a-name-as-long-as-aipm-allows-which-is-64-chars-x"


@pytest.mark.parametrize(
    ("start", "width", "user", "keys"),
    [
        (80, 80, "ada", ()),
        (80, 80, "ada", ("D", *"2026-11-20", "enter")),  # the date changes are for: longer still
        (80, 80, LONG_NAME, ()),
        (120, 120, "ada", ("D", *"2026-11-20", "enter")),
        (120, 80, "ada", ()),  # a terminal made narrower
    ],
)
def test_the_header_says_all_of_it_at_80_columns(
    run: Run, home: Path, start: int, width: int, user: str, keys: tuple[str, ...]
) -> None:
    """An estimate from the learner's own pace was cut at 80 columns, the end of its range gone
    ('done Sep 2027–Mar'). Every part of the header shows whole: the progress, what is done, the estimate's
    range and its hours a week, the date changes are for; the full wording where it fits (120 columns)."""
    import io

    from rich.console import Console

    from aipm_cli.estimate import short
    from aipm_cli.learner import Learner

    assert len(LONG_NAME) == 64
    for item, day in [("ai-for-everyone", "2026-10-20"), ("user-research", "2026-10-27"),
                      ("product-strategy", "2026-11-03"), ("metrics-definition", "2026-11-17")]:  # fmt: skip
        assert run("--user", user, "done", item, "--on", day).exit_code == 0
    summary = Learner(home, user=user).summary()
    assert summary.forecast.pace_finish is not None  # the longest of the header's estimates but one
    end = f"{summary.forecast.pace_finish[1]:%b %Y}"
    full, compact = short(summary.forecast), short(summary.forecast, compact=True)
    assert end in compact and f"{summary.forecast.pace_hours_per_week:.0f} h a week" in compact

    async def drive() -> list[str]:
        app = _app(home, user)
        async with app.run_test(size=(start, 24)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            console = Console(width=width, height=24, file=io.StringIO(), record=True, color_system=None)
            console.print(app.screen._compositor.render_update(full=True))
            rows = console.export_text().splitlines()
            return rows[: next(i for i, row in enumerate(rows) if "│" in row)]  # above the tree and details

    header = asyncio.run(drive())
    said = "\n".join(row.strip() for row in header)
    assert f"{summary.percent:.1f}%" in header[0] and "Product Manager" in header[0], header
    assert f"{summary.counts.done}/{summary.counts.total} units done" in said, header
    assert full in said or (width < 120 and compact in said), header  # each row's text, whole
    assert end in said, header
    assert len(header) == (3 if keys and width < 120 else 2), header  # a third row only for the date
    if keys:
        assert "changes for 2026-11-20" in said, header
    if user == LONG_NAME:
        assert LONG_NAME[:8] in header[0] and "…" in header[0], header


def test_other_commands_never_import_textual(run: Run) -> None:
    run("done", "ai-for-everyone")
    for args in (("status",), ("list",), ("done", "user-research")):
        code = (
            "import sys\nfrom aipm_cli.entry import main\n"
            f"sys.argv = ['aipm', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
        )
        import subprocess
        import sys

        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert "textual" not in {m.split(".")[0] for m in out.stderr.splitlines()}, args
    assert aipm_process("tui", "--help").returncode == 0


def test_a_dialogs_error_is_shown_whole_at_80_columns(home: Path) -> None:
    """A bad date in the `D` dialog: the dialog stays open and says the whole error, wrapped inside its
    box (it was cut at the box's edge, mid-sentence)."""
    import io

    from rich.console import Console

    async def drive() -> str:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            app.select("ai-for-everyone")
            await pilot.pause()
            await pilot.press("D", *"2099-13-45", "enter")
            await pilot.pause()
            console = Console(width=80, height=24, file=io.StringIO(), record=True, color_system=None)
            console.print(app.screen._compositor.render_update(full=True))
            return console.export_text()

    rows = [row.split("│")[1].strip() for row in asyncio.run(drive()).splitlines() if row.count("│") >= 2]
    said = " ".join(" ".join(rows).split())
    assert (
        "'2099-13-45' is not a date aipm understands. Use YYYY-MM-DD (e.g. 2026-10-01), 'today' or 'yesterday'." in said
    )
