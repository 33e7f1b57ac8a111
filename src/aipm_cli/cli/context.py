"""The one application object, built in the root callback and passed down."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError
from aipm_cli.paths import Layout, check_user_name, data_dir, default_user_name

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from aipm_cli.config import Config
    from aipm_cli.models import Roadmap, RoadmapProgress, StoreDoc
    from aipm_cli.snapshot import Snapshot
    from aipm_cli.store import Store


class App:
    def __init__(
        self,
        *,
        user: str | None = None,
        roadmap: str | None = None,
        debug: bool = False,
        home: Path | None = None,
    ) -> None:
        self.layout = Layout(home or data_dir())
        self.debug = debug
        self._user_option = user
        self._roadmap_option = roadmap

    # -- output ----------------------------------------------------------- #

    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        return Console(highlight=False)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False)

    def show(self, view: Any, *args: Any, **kwargs: Any) -> None:
        """Render a terminal view to stdout, without the padding rich leaves at line ends.

        The view draws on a console that shows control characters in data
        escaped and never reads emoji codes (see render.safe).
        """
        from aipm_cli.render.safe import safe_console

        console = safe_console(highlight=False)
        with console.capture() as captured:
            view(console, *args, **kwargs)
        sys.stdout.write("\n".join(line.rstrip() for line in captured.get().split("\n")))
        sys.stdout.flush()

    def emit_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def write_file(self, path: Path, data: bytes, option: str) -> None:
        """Write a file the learner asked for (a report, a calendar); `-` is stdout.

        See fs.write_output: a device or FIFO is written into, never replaced; an
        existing file keeps its mode; a new one gets the umask's.
        """
        from aipm_cli.fs import write_output

        if str(path) != "-":
            target = path.expanduser()
            folder = target.absolute().parent
            if not folder.is_dir():
                raise InputError(
                    f"The folder {folder} does not exist.", f"Create it first, or choose another {option} path."
                )
            path = target
        write_output(path, data, option)

    def say(self, message: str | Text) -> None:
        """A message for the learner (stderr: stdout is for data).

        A str may carry style tags ("[green]✓[/] ..."); nothing else in it is
        read as markup, an emoji code or a control character (see
        render.safe.message). A Text is printed as built.
        """
        from rich.text import Text

        from aipm_cli.render.safe import message as safe_message

        self.err.print(message if isinstance(message, Text) else safe_message(message), soft_wrap=True)

    # -- time ------------------------------------------------------------- #

    @cached_property
    def _fixed_now(self) -> datetime | None:
        # AIPM_NOW pins the clock (ISO date or datetime) for reproducible
        # demos, screenshots and tests.
        text = os.environ.get("AIPM_NOW")
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"AIPM_NOW='{text}' is not an ISO date or time.", "Unset it, or use e.g. 2026-11-24T09:00."
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self._fixed_now or datetime.now(UTC).astimezone()

    def today(self) -> date:
        fixed = self._fixed_now
        return fixed.date() if fixed else date.today()

    # -- settings, learner, roadmap, store -------------------------------- #

    @cached_property
    def config(self) -> Config:
        from aipm_cli.config import Config

        return Config(self.layout.config)

    @cached_property
    def user(self) -> str:
        name = self._user_option or self.config.get("user") or default_user_name()
        return check_user_name(name)

    @property
    def roadmap_spec(self) -> str:
        from aipm_cli.catalog import DEFAULT_ROADMAP

        return self._roadmap_option or self.config.get("roadmap") or DEFAULT_ROADMAP

    @cached_property
    def roadmap_source(self) -> tuple[Path, bytes]:
        """The roadmap file in use and its bytes, read once."""
        from aipm_cli import catalog

        path = catalog.find(self.roadmap_spec, self.layout.roadmaps)
        return path, catalog.read_roadmap_bytes(path)

    @cached_property
    def roadmap(self) -> Roadmap:
        from aipm_cli.catalog import parse_roadmap_text

        path, data = self.roadmap_source
        return parse_roadmap_text(data, str(path), cache_dir=self.layout.cache)

    @cached_property
    def store(self) -> Store:
        from aipm_cli.store import Store

        return Store(self.layout.store(self.user), self.user, now=self.now)

    def hours_per_week(self) -> float:
        return float(self.config.get("hours_per_week"))

    def read_progress(self) -> RoadmapProgress:
        """This learner's progress on the roadmap in use, read-only."""
        return self.progress_from(self.store.read_raw())

    def progress_from(self, raw: bytes | None) -> RoadmapProgress:
        """The progress on the roadmap in use held by these store bytes (validated)."""
        from aipm_cli.models import RoadmapProgress
        from aipm_cli.tracker import reconcile

        doc = self.store.from_raw(raw)[0]
        progress = doc.roadmaps.get(self.roadmap.id) or RoadmapProgress()
        reconcile(self.roadmap, progress)
        return progress

    def _snapshot_file(self) -> Path:
        return self.layout.cache / "snapshots" / f"{self.user}.json"

    def _snapshot_key(self, store_bytes: bytes | None) -> str:
        from aipm_cli.snapshot import cache_key

        return cache_key(
            roadmap=self.roadmap_source[1],
            store=store_bytes,
            user=self.user,
            today=self.today(),
            hours_per_week=self.hours_per_week(),
        )

    def snapshot(self) -> Snapshot:
        """What status, list and next show: from the snapshot cache when nothing changed."""
        from aipm_cli import snapshot

        raw = self.store.read_raw()
        key = self._snapshot_key(raw)
        found = snapshot.load(self._snapshot_file(), key)
        if found is not None:
            return found
        fresh = snapshot.compute(self.roadmap, self.progress_from(raw), self.user, self.today(), self.hours_per_week())
        snapshot.save(self._snapshot_file(), key, fresh)
        return fresh

    @contextmanager
    def changing(self, allow_shrink: bool = False) -> Iterator[tuple[StoreDoc, RoadmapProgress]]:
        """Lock the store and yield the progress to change; saved on success."""
        from aipm_cli.models import RoadmapProgress
        from aipm_cli.tracker import reconcile

        roadmap = self.roadmap
        with self.store.transaction(allow_shrink=allow_shrink) as doc:
            progress = doc.roadmaps.setdefault(roadmap.id, RoadmapProgress(roadmap_version=roadmap.version))
            reconcile(roadmap, progress)
            yield doc, progress
        if self.store.written is not None:
            # Warm the snapshot so the `status` after a change is as fast as any other.
            from aipm_cli import snapshot

            fresh = snapshot.compute(roadmap, progress, self.user, self.today(), self.hours_per_week())
            snapshot.save(self._snapshot_file(), self._snapshot_key(self.store.written), fresh)
