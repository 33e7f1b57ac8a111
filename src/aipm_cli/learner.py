"""The core service: one learner, one roadmap, a clock.

Owns settings, roadmap resolution, the change log and its cache, and returns
plain summaries and documents. It never prints and never exits; the CLI, shell
completion, the terminal UI and the cohort report all use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.details import change_data, item_detail
from aipm_cli.errors import InputError
from aipm_cli.paths import Layout, check_user_name, default_user_name

# A caller's progress display for long work: told (what, done, total) as the work goes.
Progress = Callable[[str, int, int | None], None]

if TYPE_CHECKING:
    from aipm_cli.config import Config
    from aipm_cli.marking import ChangeResult, Target
    from aipm_cli.record.ledger import Ledger, Recorded
    from aipm_cli.record.state import State
    from aipm_cli.roadmap.plain import Roadmap
    from aipm_cli.view_data import Row, Summary


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

    def zone(self) -> tzinfo:
        """The learner's time zone: the `timezone` setting, else TZ, else the system's."""
        from zoneinfo import ZoneInfo

        from aipm_cli.errors import StoreError

        try:
            name = self.config.get("timezone")
        except (InputError, StoreError):  # settings that cannot be read: what needs them says why
            name = None
        if name:
            return ZoneInfo(name)
        system = os.environ.get("TZ", "").lstrip(":")
        if system:
            try:
                return ZoneInfo(system)
            except (ValueError, OSError, KeyError):
                pass  # a POSIX rule such as EST5EDT: the C library's reading below
        return datetime.now().astimezone().tzinfo or UTC

    def now(self) -> datetime:
        """This instant, in the learner's zone: its date is the learner's day (a change's `at` is kept in UTC)."""
        return (self._fixed_now or datetime.now(UTC)).astimezone(self.zone())

    def today(self) -> date:
        """The learner's day in the learner's zone: what `today` means in every date aipm derives from now."""
        return self.now().date()

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
        from aipm_cli.paths import check_not_case_twin

        name = self._user_option or self.config.get("user") or default_user_name()
        return check_not_case_twin(self.layout.learners, check_user_name(name))

    @property
    def roadmap_spec(self) -> str:
        from aipm_cli.roadmap.finding import DEFAULT_ROADMAP

        return self._roadmap_option or self.config.get("roadmap") or DEFAULT_ROADMAP

    @cached_property
    def roadmap_source(self) -> tuple[Path, bytes]:
        """The roadmap file in use and its bytes, read once."""
        from aipm_cli.roadmap import finding

        path = finding.find(self.roadmap_spec, self.layout.roadmaps, self.layout.cache)
        return path, finding.read_roadmap_bytes(path)

    @cached_property
    def roadmap(self) -> Roadmap:
        from aipm_cli.roadmap import finding

        path, data = self.roadmap_source
        roadmap: Roadmap = finding.load(data, str(path), self.layout.cache)
        return roadmap

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
            roadmap_version=roadmap.version,
        )

    @cached_property
    def ledger(self) -> Ledger:
        return self.ledger_for(self.user)

    def settings(self) -> list[dict[str, Any]]:
        """Each setting: the value in effect, its default, and where it comes from.

        `source` is "option" (given to this run: --user/AIPM_USER, --roadmap),
        "config" (config.json), "login" (the OS login name) or "default".
        """
        from aipm_cli.config import SETTINGS

        cfg = self.config
        out: list[dict[str, Any]] = []
        for key, setting in SETTINGS.items():
            option = {"user": self._user_option, "roadmap": self._roadmap_option}.get(key)
            default = setting.default
            if key == "user":
                default = default_user_name()
            if option:
                value, source = option, "option"
            elif cfg.is_set(key):
                value, source = cfg.get(key), "config"
            else:
                value, source = default, "login" if key == "user" else "default"
            out.append({"key": key, "value": value, "default": default, "source": source,
                        "description": setting.description})  # fmt: skip
        return out

    def hours_per_week(self) -> float:
        return float(self.config.get("hours_per_week"))

    def refresh(self) -> None:
        """Forget what was read, so the next read sees what another process (or a sync) wrote."""
        if "ledger" in self.__dict__:
            self.ledger.folded = None

    def read_state(self, *, every_note: bool = False) -> State:
        """This learner's progress on the roadmap in use, read-only; notes lines that cannot be read.

        `every_note`: records hold every note (a report), not only the newest (state.NOTES_KEPT)."""
        state = self.ledger.full_state() if every_note else self.ledger.state()
        damage = self.ledger.problems().damage
        if damage and not self.warnings:
            more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
            self.warnings.append(f"skipped {_unreadable(damage[0].kind)}: {damage[0]}{more}")
        return state

    def summary(self) -> Summary:
        """What `status` shows: computed fresh from the plain roadmap and the derived state."""
        from aipm_cli.progress import summarize
        from aipm_cli.study import status_block, zone_of

        state = self.read_state()
        summary = summarize(self.roadmap, state, self.user, self.today(), self.hours_per_week(), zone=zone_of(self))
        summary.study = status_block(self, self.roadmap, state.study)
        return summary

    def rows(self) -> list[Row]:
        """Every item as `list` shows it."""
        from aipm_cli.progress import rows

        return rows(self.roadmap, self.read_state())

    def upcoming(self, count: int | None = None) -> list[Row]:
        """What `next` suggests: not done or skipped, prerequisites met; in progress first."""
        from aipm_cli.progress import next_items

        return next_items(self.roadmap, self.read_state(), count)

    def record(self, build: Callable[[State], list[dict[str, Any]]]) -> Recorded:
        """Append the changes `build` makes from the current state (under the learner's lock)."""
        recorded = self.ledger.record(build)
        if recorded.changes:
            self.saved = True  # from here on, no error may claim that nothing was saved
        return recorded

    saved = False

    # -- documents ------------------------------------------------------------ #

    def resolve(self, spec: str) -> Target:
        from aipm_cli.marking import resolve

        return resolve(self.roadmap.index, spec)

    def item(self, target: Target) -> dict[str, Any]:
        """What `show` tells about an item or deliverable (JSON-ready)."""
        history = [change_data(c, undone) for c, undone in self.ledger.recent_for(target.id)]
        state = self.read_state()
        detail = item_detail(self.roadmap, state, target.id, history)
        detail["minutes_studied"] = state.study.minutes.get(target.id, 0)
        return detail

    def group(self, target: Target) -> dict[str, Any]:
        """What `show` tells about a module or phase: its counts, notes and items."""
        from aipm_cli.marking import items_of
        from aipm_cli.progress import counts_for, rows
        from aipm_cli.unit_status import record
        from aipm_cli.view_data import to_data

        state = self.read_state()
        roadmap = self.roadmap
        items = items_of(roadmap.index, target)
        ids = {i.id for i in items}
        counts = counts_for(roadmap, state, items)
        group = roadmap.index.phases[target.id] if target.kind == "phase" else roadmap.index.modules[target.id][0]
        rec = record(state, target.id)
        from aipm_cli.study import time_block

        return {
            "id": target.id,
            "title": target.title,
            "kind": target.kind,
            "minutes_studied": time_block(roadmap, state.study)[f"{target.kind}s"].get(target.id, 0),
            "description": group.description,
            "assumption": group.assumption or "",  # aipm's note: what it chose where the sources are silent
            "percent": counts.percent,
            "counts": to_data(counts),
            "notes": [{"text": n.text, "on": n.on.isoformat(), "at": n.at} for n in rec.notes],
            "earlier_notes": rec.earlier_notes,
            "items": to_data([r for r in rows(roadmap, state) if r.id in ids]),
        }

    def names(self) -> dict[str, list[Any]]:
        """Phase and module ids -> [title, duration], for the tree views."""
        names: dict[str, list[Any]] = {}
        for phase in self.roadmap.phases:
            names[phase.id] = [phase.title, phase.duration]
            for module in phase.modules:
                names[module.id] = [module.title, module.duration]
        return names

    def log(
        self, since: date | None = None, until: date | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every change, newest first, as `log --json` gives it; streams."""
        roadmap = self.roadmap
        index = roadmap.index
        titles = {i: p.item.title for i, p in index.items.items()}
        titles.update({d: dl.title for d, (dl, _item) in index.deliverables.items()})
        titles.update({m: mod.title for m, (mod, _phase) in index.modules.items()})
        titles.update({p: phase.title for p, phase in index.phases.items()})
        start = since.isoformat() if since else None
        end = until.isoformat() if until else None
        count = 0

        def skipped(where: str, whole_file: bool) -> None:
            if not self.warnings:  # the first is enough: `aipm doctor` lists them all
                self.warnings.append(f"skipped {_unreadable('file' if whole_file else 'line')}: {where}")

        for change, undone in self.ledger.newest_first(skipped):
            if (start and change["on"] < start) or (end and change["on"] > end):
                continue
            yield change_data(change, undone, titles)
            count += 1
            if limit and count >= limit:
                return

    # -- changes ------------------------------------------------------------ #

    def mark(
        self,
        verb: str,
        specs: list[str],
        *,
        on: date | None = None,
        note: str | None = None,
        evidence: list[str] | None = None,
        reason: str | None = None,
        credential: str | None = None,
        expires: date | None = None,
    ) -> Marked:
        """start / done / skip / reset what the learner named, as one change."""
        from aipm_cli.marking import ChangeRequest, plan_change

        index = self.roadmap.index
        targets = list({t.id: t for t in (self.resolve(spec) for spec in specs)}.values())
        request = ChangeRequest(
            verb=verb,  # type: ignore[arg-type]
            on=on or self.today(),
            note=note,
            evidence=[e for e in (evidence or []) if e.strip()],
            reason=reason,
            credential=credential,
            expires=expires,
            dated=on is not None,
        )
        planned: list[Any] = []

        def build(state: State) -> list[dict[str, Any]]:
            result = plan_change(index, state, targets, request)
            planned.append(result)
            return [c for c in (result.change, result.correction) if c]

        self.record(build)
        return Marked(targets, planned[-1], request.on)

    def add_note(self, spec: str, text: str, on: date | None = None) -> Target:
        from aipm_cli.marking import plan_note

        if not text.strip():
            raise InputError("The note is empty.", 'Give the text to keep, e.g. aipm note ai-for-everyone "week 2".')
        target = self.resolve(spec)
        day = on or self.today()
        self.record(lambda _state: [plan_note(target, text.strip(), day)])
        return target

    def remove_entry(self, spec: str, kind: str, number: int) -> tuple[Target, dict[str, Any]]:
        """Remove a note (kind 'note') or an evidence entry ('evidence') by its number in `show`, as a change."""
        from aipm_cli.marking import plan_removal

        target = self.resolve(spec)
        removed: list[dict[str, Any]] = []

        def build(state: State) -> list[dict[str, Any]]:
            change = plan_removal(state, target, kind, number)
            rec = state.items[target.id]
            gone = change["entries"][0]
            removed[:] = [{"text": n.text, "on": n.on.isoformat()} for n in [*rec.notes, *rec.evidence] if n.id == gone]
            change["on"] = self.today().isoformat()
            return [change]

        self.record(build)
        return target, removed[0]

    def forget_orphans(self) -> list[str]:
        """Drop the progress kept on ids this roadmap no longer has, as one change (undo brings it back)."""
        from aipm_cli.unit_status import orphans

        forgotten: list[str] = []

        def build(state: State) -> list[dict[str, Any]]:
            forgotten[:] = orphans(self.roadmap.index, state)
            if not forgotten:
                return []
            return [{"op": "forget", "units": list(forgotten), "on": self.today().isoformat()}]

        self.record(build)
        return forgotten

    def assess(self, skill: str, level: str, on: date | None = None, note: str | None = None) -> Assessed:
        from aipm_cli.marking import plan_rating
        from aipm_cli.skills import find_skill, parse_level

        found = find_skill(self.roadmap, skill)
        value = parse_level(level)
        day = on or self.today()
        seen: list[int | None] = []

        def build(state: State) -> list[dict[str, Any]]:
            previous = state.skills.get(found.id, [])
            seen.append(previous[-1].level if previous else None)
            return [plan_rating(found.id, value, day, note)]

        recorded = self.record(build)
        after = recorded.state.skills.get(found.id, [])
        return Assessed(found.id, found.title, value, day, seen[-1], after[-1].level if after else value)

    def undo(self, *, any_device: bool = False) -> dict[str, Any]:
        change = self.ledger.undo(self.today(), any_device=any_device)
        self.saved = True
        return change

    def redo(self) -> dict[str, Any]:
        change = self.ledger.redo(self.today())
        self.saved = True
        return change

    # -- the data directory -------------------------------------------------- #

    def learner_names(self) -> list[str]:
        """The learners with a folder in this data directory."""
        folder = self.layout.learners
        try:
            return sorted(e.name for e in folder.iterdir() if e.is_dir() and not e.name.startswith("."))
        except OSError:
            return []

    @property
    def user_option(self) -> str | None:
        """The learner named by `--user` or AIPM_USER (None: the setting or the login name decides)."""
        return self._user_option

    def user_source(self) -> str:
        """Where the learner in use comes from, in words."""
        if self._user_option is not None:
            return "from AIPM_USER" if os.environ.get("AIPM_USER") == self._user_option else "from --user"
        return "from the `user` setting" if self.config.get("user") else "your login name"

    def has_data(self, name: str | None = None) -> bool:
        """Whether a learner (default: the one in use) has a folder in this data directory."""
        folder = self.layout.learner_dir(name or self.user)
        return folder.is_dir() and not folder.is_symlink()

    def removed_learners(self) -> list[str]:
        """The names of learners `users remove` set aside in this data directory's backups."""
        try:
            found = [
                e.name for e in (self.layout.root / "backups").iterdir() if e.is_dir() and e.name.startswith("learner-")
            ]
        except OSError:
            return []
        from aipm_cli.learners import backup_user

        return sorted({backup_user(name) for name in found})


class Marked:
    """What a start/done/skip/reset did."""

    def __init__(self, targets: list[Target], result: ChangeResult, on: date) -> None:
        self.targets = targets
        self.result = result
        self.on = on


class Assessed:
    def __init__(self, skill: str, title: str, level: int, on: date, before: int | None, latest: int) -> None:
        self.skill, self.title, self.level, self.on, self.before, self.latest = skill, title, level, on, before, latest


def _unreadable(kind: str) -> str:
    """What a read skipped, by the kind of damage (record.logs.Damage.kind): one line of a log, the
    lines from one on (\\r line ends), or a whole file (not a regular file, not readable)."""
    if kind == "line":
        return "a line that cannot be read"
    if kind == "cr_only":
        return "lines that cannot be read"
    return "a file that cannot be read"
