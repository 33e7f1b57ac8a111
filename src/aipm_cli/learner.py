"""The core service: one learner, one roadmap, a clock.

Owns settings, roadmap resolution, the change log and its cache, and returns
plain summaries and documents. It never prints and never exits; the CLI, shell
completion, the terminal UI and the cohort report all use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError
from aipm_cli.paths import Layout, check_user_name, default_user_name

if TYPE_CHECKING:
    from aipm_cli.config import Config
    from aipm_cli.models import Roadmap
    from aipm_cli.record.ledger import Ledger, Recorded
    from aipm_cli.record.state import State
    from aipm_cli.snapshot import Snapshot


class Learner:
    """A learner's progress on a roadmap, in a data directory."""

    def __init__(
        self,
        home: Path,
        *,
        user: str | None = None,
        roadmap: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.layout = Layout(home)
        self._user_option = user
        self._roadmap_option = roadmap
        self._clock = now
        self.warnings: list[str] = []  # what reads could not use (damaged lines), for the caller to show
        self.saved = False  # set once a change is written: no later error may claim nothing was saved
        self.debug = False  # let cache problems surface instead of being skipped

    # -- time ------------------------------------------------------------- #

    @cached_property
    def _fixed_now(self) -> datetime | None:
        if self._clock is not None:
            return self._clock()
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
        """This learner's progress on the roadmap in use, read-only; notes lines that cannot be read."""
        state = self.ledger.state()
        damage = self.ledger.problems().damage
        if damage and not self.warnings:
            more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
            self.warnings.append(f"skipped a line that cannot be read: {damage[0]}{more}")
        return state

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
