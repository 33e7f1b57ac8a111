"""`aipm tui`, driven headless at 80x24 with Textual's pilot: the same changes as the commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, aipm_process

pytest.importorskip("textual")


def _app(home: Path) -> Any:
    from aipm_cli.learner import Learner
    from aipm_cli.tui.app import AipmApp

    return AipmApp(Learner(home, user="ada"), refresh_seconds=0.2)


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


def test_first_screen_snapshot(home: Path) -> None:
    """The first screen at 80x24, kept as an SVG screenshot (tests/data/tui-first-screen.svg)."""

    async def drive() -> str:
        app = _app(home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            return app.export_screenshot()

    svg = asyncio.run(drive())
    assert "Foundation" in svg and "Product&#160;Manager" in svg and "Quit&#160;" in svg
    target = Path(__file__).parent / "data" / "tui-first-screen.svg"
    import os

    if os.environ.get("AIPM_UPDATE_GOLDEN"):  # regenerate the kept artefact, then look at it
        target.write_text(svg)
    assert target.exists()


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
