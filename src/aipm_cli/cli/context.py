"""The one application object, built in the root callback and passed down."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError
from aipm_cli.paths import Layout, check_user_name, data_dir, default_user_name

if TYPE_CHECKING:
    from rich.console import Console

    from aipm_cli.config import Config
    from aipm_cli.models import Roadmap
    from aipm_cli.record.ledger import Ledger, Recorded
    from aipm_cli.record.state import State
    from aipm_cli.snapshot import Snapshot


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
        """Render a terminal view to stdout, without the padding rich leaves at line ends."""
        with self.out.capture() as captured:
            view(self.out, *args, **kwargs)
        sys.stdout.write("\n".join(line.rstrip() for line in captured.get().split("\n")))
        sys.stdout.flush()

    def show_stream(self, view: Any, entries: Any, batch: int = 200) -> None:
        """Render a view of many entries in batches, flushing each, so output starts at once."""
        chunk: list[Any] = []
        shown = False
        for entry in entries:
            chunk.append(entry)
            if len(chunk) >= batch:
                self.show(view, chunk)
                chunk, shown = [], True
        if chunk or not shown:
            self.show(view, chunk)

    def emit_json_stream(self, items: Any) -> None:
        """A JSON list written item by item (one JSON document in the end)."""
        write = sys.stdout.write
        first = True
        for item in items:
            text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            write(("[\n  " if first else ",\n  ") + text)
            first = False
        write("[]\n" if first else "\n]\n")
        sys.stdout.flush()

    def emit_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def write_file(self, path: Path, data: bytes, option: str) -> None:
        """Write a file the learner asked for (a report, a calendar): atomically, 0644, clean errors."""
        from aipm_cli.store import atomic_write

        target = path.expanduser()
        folder = target.absolute().parent
        if not folder.is_dir():
            raise InputError(
                f"The folder {folder} does not exist.", f"Create it first, or choose another {option} path."
            )
        if target.is_dir():
            raise InputError(f"{path} is a folder.", f"Give a file name to {option}.")
        try:
            atomic_write(target, data, mode=0o644)
        except OSError as exc:
            raise InputError(f"Cannot write {path}: {exc.strerror}.", "Choose a folder you can write to.") from None

    def say(self, message: str) -> None:
        """A message for the learner (stderr: stdout is for data)."""
        self.err.print(message, soft_wrap=True)

    def say_plain(self, message: str) -> None:
        """A message whose text is data: no markup is read in it."""
        from rich.text import Text

        self.err.print(Text(message), soft_wrap=True)

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

        root = self.layout.root
        if root.exists() and not root.is_dir():
            raise InputError(
                f"The data directory {root} is a file, not a folder.",
                "Point AIPM_HOME at a folder (or unset it to use the default).",
            )
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
    def device(self) -> str:
        from aipm_cli.record.ledger import device_id

        return device_id(self.layout.root)

    def ledger_for(self, user: str, roadmap: Roadmap | None = None) -> Ledger:
        from aipm_cli.record.ledger import Ledger
        from aipm_cli.record.migrate import legacy_changes, legacy_path

        roadmap = roadmap or self.roadmap
        root = self.layout.root
        legacy = None
        if legacy_path(root, user).exists() or legacy_path(root, user).is_symlink():

            def legacy() -> list[dict[str, Any]] | None:
                return legacy_changes(root, user, roadmap.id)

        return Ledger(
            root,
            user,
            roadmap.id,
            roadmap.index.aliases,
            device=lambda: self.device,
            now=self.now,
            legacy=legacy,
        )

    @cached_property
    def ledger(self) -> Ledger:
        return self.ledger_for(self.user)

    def hours_per_week(self) -> float:
        return float(self.config.get("hours_per_week"))

    def read_state(self) -> State:
        """This learner's progress on the roadmap in use, read-only; warns when some lines cannot be read."""
        state = self.ledger.state()
        damage = self.ledger.problems().damage
        if damage and not self._warned:
            self._warned = True
            more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
            self.say_plain(f"Warning: skipped a line that cannot be read: {damage[0]}{more}. Run `aipm doctor`.")
        return state

    _warned = False

    def record_signature(self) -> bytes:
        """The sizes and times of every file of this learner's record (all roadmaps): cheap to take."""
        folder = self.layout.learners / self.user
        parts = []
        try:
            roadmaps = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            roadmaps = []
        for entry in roadmaps:
            if entry.name == "progress.json":
                info = entry.stat()
                parts.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}")
                continue
            try:
                files = sorted(os.scandir(os.path.join(entry.path, "changes")), key=lambda e: e.name)
            except OSError:
                continue
            for log in files:
                info = log.stat()
                parts.append(f"{entry.name}/{log.name}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}")
        return "\n".join(parts).encode()

    def _snapshot_file(self) -> Path:
        return self.layout.cache / "snapshots" / f"{self.user}.json"

    def _snapshot_key(self, signature: bytes) -> str:
        from aipm_cli.snapshot import cache_key

        return cache_key(
            roadmap=self.roadmap_source[1],
            store=signature,
            user=self.user,
            today=self.today(),
            hours_per_week=self.hours_per_week(),
        )

    def snapshot(self) -> Snapshot:
        """What status, list and next show: from the snapshot cache when nothing changed."""
        from aipm_cli import snapshot

        key = self._snapshot_key(self.record_signature())
        found = snapshot.load(self._snapshot_file(), key)
        if found is not None:
            return found
        state = self.read_state()
        fresh = snapshot.compute(self.roadmap, state, self.user, self.today(), self.hours_per_week())
        if not self.ledger.problems().damage:
            snapshot.save(self._snapshot_file(), key, fresh)
        return fresh

    def record(self, build: Callable[[State], list[dict[str, Any]]]) -> Recorded:
        """Append the changes `build` makes from the current state (under the learner's lock)."""
        recorded = self.ledger.record(build)
        if recorded.changes:
            self.saved = True  # from here on, no error may claim that nothing was saved
            self._warm(recorded.state)
        return recorded

    saved = False

    def _warm(self, state: State) -> None:
        # Warm the snapshot so the `status` after a change is as fast as any other.
        from aipm_cli import snapshot

        try:
            fresh = snapshot.compute(self.roadmap, state, self.user, self.today(), self.hours_per_week())
            snapshot.save(self._snapshot_file(), self._snapshot_key(self.record_signature()), fresh)
        except Exception:
            # Only speed is lost: the change itself is already written.
            if self.debug:
                raise
