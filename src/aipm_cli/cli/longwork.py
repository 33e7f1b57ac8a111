"""A progress display for long work (a rebuild, an import, a sync, a cohort report, a migration).

The core never prints: it takes a callback `progress(what, done, total)` and
calls it as it goes. The callback made here draws rich's progress display on
stderr, only when stderr is a terminal, never with --json, and only once the
work has run for about a second (AIPM_PROGRESS_DELAY, in seconds, changes
that: the tests set 0). Piped, or with --json, it is None: nothing is drawn
and the core does not even count.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Progress = Callable[[str, int, int | None], None]


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get("AIPM_PROGRESS_DELAY", "1")))
    except ValueError:
        return 1.0


class _Display:
    def __init__(self, delay: float) -> None:
        self.started = time.monotonic()
        self.delay = delay
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, what: str, done: int, total: int | None) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            from aipm_cli.render.safe import color_system

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True, color_system=color_system()),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(what, total=total)
        self.bar.update(self.task, description=what, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def long_work(json: bool = False) -> Iterator[Progress | None]:
    """A progress callback for the core, or None (stderr not a terminal, or --json)."""
    from aipm_cli.render.safe import is_terminal

    if json or not is_terminal(sys.stderr):
        yield None
        return
    display = _Display(_delay())
    try:
        yield display
    finally:
        display.close()
