"""`aipm study` (its overview), `aipm study start` and `aipm study stop`, without Typer: the direct path
(cli/direct.py) and the Typer commands (cli/study.py) both run these, so a session started or stopped
many times a day costs what a read costs, and says the same either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.cli.context import App


def overview(app: App, json: bool = False) -> None:
    """`aipm study` with no subcommand: a read."""
    from aipm_cli import study as core

    data = core.overview(app.learner)
    if json:
        app.emit_json(data)
        return
    from aipm_cli.render.study_views import overview_view

    app.show(overview_view, data)


def start(app: App, item: str) -> None:
    from aipm_cli import study as core

    started = core.start(app.learner, item)
    app.say_plain(f"✓ Studying {started['title']} ({started['item']}) since {started['began_local'][11:]}.")


def stop(app: App, item: str | None = None, spent: str | None = None) -> None:
    from aipm_cli import study as core
    from aipm_cli.cli.reading import option_value  # (a UsageError: Typer says it, exit 2)

    minutes = option_value("--spent", core.parse_spent, spent) if spent is not None else None
    done = core.stop(app.learner, item, minutes)
    app.say_plain(f"✓ Recorded {core.spent_text(done['minutes'])} on {done['item']} (`aipm undo` takes it back).")
