"""The core service: one learner, one roadmap, a clock.

Owns settings, roadmap resolution, the change log and its cache, and returns
plain summaries and documents. It never prints and never exits; the CLI, shell
completion, the terminal UI and the cohort report all use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
        return finding.load(data, str(path), self.layout.cache)

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
            self.ledger._fold = None

    def read_state(self, *, every_note: bool = False) -> State:
        """This learner's progress on the roadmap in use, read-only; notes lines that cannot be read.

        `every_note`: records hold every note (a report), not only the newest (state.NOTES_KEPT)."""
        state = self.ledger.full_state() if every_note else self.ledger.state()
        damage = self.ledger.problems().damage
        if damage and not self.warnings:
            more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
            self.warnings.append(f"skipped a line that cannot be read: {damage[0]}{more}")
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

    def log(self, since: date | None = None, until: date | None = None, limit: int | None = None) -> Iterator[dict]:
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

        def skipped(where: str) -> None:
            if not self.warnings:  # the first is enough: `aipm doctor` lists them all
                self.warnings.append(f"skipped a line that cannot be read: {where}")

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
            found = [e.name for e in self.backups_dir.iterdir() if e.is_dir() and e.name.startswith("learner-")]
        except OSError:
            return []
        return sorted({_backup_user(name) for name in found})

    # -- housekeeping: learners and backups ----------------------------------- #

    @property
    def backups_dir(self) -> Path:
        """The data directory's own backups: whole learners removed with `users remove`."""
        return self.layout.root / "backups"

    def _existing_learner(self, name: str, *, old: bool = False) -> Path:
        folder = self.layout.learner_dir(name, old=old)
        if not folder.is_dir() or folder.is_symlink():
            known = self.learner_names()
            hint = f"Learners here: {', '.join(known)}." if known else "There are no learners here yet."
            raise InputError(f"There is no learner called '{name}' in {self.layout.root}.", hint)
        return folder

    @contextmanager
    def _learner_locked(self, name: str, *, old: bool = False) -> Iterator[None]:
        """Every write lock of a learner (one per roadmap), so no change is half-way while their folder moves."""
        from contextlib import ExitStack

        from filelock import FileLock, Timeout

        from aipm_cli.errors import StoreError
        from aipm_cli.record.ledger import LOCK_TIMEOUT

        folder = self.layout.learner_dir(name, old=old)
        with ExitStack() as stack:
            for roadmap in sorted(folder.iterdir()):
                if roadmap.is_dir() and not roadmap.is_symlink() and (roadmap / "changes").is_dir():
                    lock = FileLock(str(roadmap / "write.lock"), timeout=LOCK_TIMEOUT, mode=0o600)
                    try:
                        stack.enter_context(lock)
                    except Timeout:
                        raise StoreError(
                            f"Another aipm is still writing {roadmap}.", "Try again when it has finished."
                        ) from None
            yield

    def _forget_cache(self, name: str) -> None:
        import shutil

        shutil.rmtree(self.layout.cache / "state" / name, ignore_errors=True)

    def _refuse_when_synced(self, what: str) -> None:
        # Sync only ever adds to each device's logs: a moved or removed folder would come back from
        # another machine, and the learner would be split between two names.
        if (self.layout.root / ".git").exists():
            raise InputError(
                f"This data directory is synced with git, so a learner cannot be {what} here: "
                "the other machines would bring the old folder back.",
                "Do it before `aipm sync init`, or keep the name and use another learner for new progress.",
            )

    def rename_learner(self, old: str, new: str) -> dict[str, Any]:
        """Give a learner another name: their folder moves, every change stays as it is."""
        self._refuse_when_synced("renamed")
        from aipm_cli.paths import case_twin, check_not_case_twin, check_old_user_name

        # `old` may be a name made before names had to suit every platform: renaming is the way out.
        folder = self._existing_learner(check_old_user_name(old), old=True)
        if case_twin(self.layout.learners, check_user_name(new)) != old:
            check_not_case_twin(self.layout.learners, new)
        target = self.layout.learner_dir(new)
        if target.exists() or target.is_symlink():
            raise InputError(
                f"There is already a learner called '{new}'.", "Choose another name, or remove that learner first."
            )
        with _refused_move(f"rename the learner '{old}'"), self._learner_locked(old, old=True):
            os.rename(folder, target)
        self._forget_cache(old)
        # The learner your commands use follows the rename, wherever that name came from (the
        # setting, or your login name).
        moved_setting = self.config.get("user") == old or (self._user_option is None and self.user == old)
        if moved_setting:
            self.config.set("user", new)
        return {"old": old, "new": new, "folder": str(target), "setting_updated": moved_setting}

    def check_removable(self, name: str) -> None:
        """Raise what `remove_learner` would refuse (before the learner is asked to confirm)."""
        self._refuse_when_synced("removed")
        self._existing_learner(check_user_name(name))

    def remove_learner(self, name: str) -> dict[str, Any]:
        """Move a learner's folder into the data directory's backups (`restore` brings it back)."""
        from aipm_cli.paths import ensure_private_dir

        self._refuse_when_synced("removed")
        folder = self._existing_learner(check_user_name(name))
        stamp = self.now().astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        with _refused_move(f"move the learner '{name}' into {self.backups_dir}"):
            ensure_private_dir(self.backups_dir)
            backup = self.backups_dir / f"learner-{name}-{stamp}"
            number = 1
            while backup.exists():
                number += 1
                backup = self.backups_dir / f"learner-{name}-{stamp}-{number}"
            with self._learner_locked(name):
                os.rename(folder, backup)
        self._forget_cache(name)
        return {"user": name, "backup": backup.name, "path": str(backup)}

    def backups(self) -> list[dict[str, Any]]:
        """What aipm keeps aside: removed learners, replaced stores, torn lines; newest first within each kind."""
        from aipm_cli.paths import check_user_name

        found: list[dict[str, Any]] = []

        def add(path: Path, kind: str, user: str, restorable: bool) -> None:
            try:
                info = path.lstat()
            except OSError:
                return
            when = datetime.fromtimestamp(info.st_mtime, UTC).isoformat(timespec="seconds")
            found.append({"name": path.name, "kind": kind, "user": user, "path": str(path),
                          "modified": when, "restorable": restorable})  # fmt: skip

        if self.backups_dir.is_dir():
            for entry in sorted(self.backups_dir.iterdir(), reverse=True):
                if entry.name.startswith("learner-") and entry.is_dir() and not entry.is_symlink():
                    add(entry, "removed learner", _backup_user(entry.name), True)
        for name in self.learner_names():
            try:
                folder = self.layout.backups(check_user_name(name))
            except InputError:
                continue
            if not folder.is_dir():
                continue
            for entry in sorted(folder.iterdir(), reverse=True):
                if entry.name.startswith("progress-schema1-"):
                    kind = "store before migration"
                elif entry.name.startswith("torn-"):
                    kind = "torn line set aside"
                else:
                    kind = "set aside"
                add(entry, kind, name, False)
        return found

    def restore(self, spec: str) -> dict[str, Any]:
        """Bring a removed learner back from the backups (by the backup's name, or the learner's if only one)."""
        candidates = [b for b in self.backups() if spec in (b["name"], b["path"])]
        if not candidates:
            candidates = [b for b in self.backups() if b["restorable"] and b["user"] == spec]
            if len(candidates) > 1:
                names = ", ".join(b["name"] for b in candidates)
                raise InputError(f"'{spec}' has {len(candidates)} backups: {names}.", "Name the one to restore.")
        if not candidates:
            raise InputError(f"There is no backup called '{spec}'.", "Run `aipm backups` to see them.")
        backup = candidates[0]
        if not backup["restorable"]:
            raise InputError(
                f"{backup['name']} is a file aipm set aside ({backup['kind']}); it is kept for you to read, "
                "not restored.",
                f"It is at {backup['path']}.",
            )
        from aipm_cli.paths import check_not_case_twin

        user = backup["user"]
        target = self.layout.learner_dir(check_not_case_twin(self.layout.learners, user))
        if target.exists() or target.is_symlink():
            raise InputError(
                f"There is already a learner called '{user}'.",
                f"Rename that learner first (`aipm users rename {user} NEW`), then restore.",
            )
        from aipm_cli.paths import ensure_private_dir

        with _refused_move(f"bring back {backup['name']}"):
            ensure_private_dir(self.layout.learners)
            os.rename(backup["path"], target)
        self._forget_cache(user)
        return {"user": user, "backup": backup["name"], "folder": str(target)}

    def users(self) -> list[dict[str, Any]]:
        """Every learner here with their progress on the roadmap in use."""
        from aipm_cli.errors import AipmError
        from aipm_cli.paths import check_user_name
        from aipm_cli.progress import counts_for

        roadmap = self.roadmap
        items = [placed.item for placed in roadmap.index.items.values()]
        found: list[dict[str, Any]] = []
        for name in self.learner_names():
            info: dict[str, Any] = {
                "user": name,
                "folder": str(self.layout.learners / name),
                "current": name == self.user,
            }
            try:
                check_user_name(name)
                ledger = self.ledger_for(name)
                result = ledger.load()
                if not result.changes:
                    continue
                counts = counts_for(roadmap, result.state, items)
                info.update(percent=counts.percent, done=counts.done, readable=not result.problems.damage,
                            changes=result.changes, last_change=result.last_at)  # fmt: skip
            except AipmError as exc:
                info.update(percent=None, done=None, readable=False, error=exc.message, last_change=None)
            found.append(info)
        return found

    def doctor(self, rebuild: bool = False, progress: Progress | None = None) -> dict[str, Any]:
        """Paths, change logs, caches and roadmap health; `problems` says what needs attention.

        `progress(what, done, total)` is told how the reading of the logs goes (a caller's display).
        """
        import os

        from aipm_cli.errors import AipmError
        from aipm_cli.record.changes import FORMAT
        from aipm_cli.wording import count as counted

        problems: list[str] = []
        report: dict[str, Any] = {"data_dir": str(self.layout.root), "config": str(self.layout.config)}
        report["change_format"] = FORMAT
        try:
            report["user"] = self.user
        except AipmError as exc:
            problems.append(exc.message)
        try:
            report["settings"] = {k: self.config.get(k) for k in ("hours_per_week", "roadmap", "user")}
            problems.extend(self.config.problems)
        except AipmError as exc:
            problems.append(exc.message)
        from aipm_cli.roadmap import finding

        report["duplicate_roadmaps"] = {}
        refs = finding.available(self.layout.roadmaps, self.layout.cache)
        report["invalid_roadmaps"] = [
            {"file": str(ref.path), "error": ref.error} for ref in refs if ref.origin == "own" and ref.error
        ]
        for bad in report["invalid_roadmaps"]:
            problems.append(
                f"{bad['file']} is not a valid roadmap: {bad['error']} "
                "Run `aipm roadmap validate FILE` to see every problem, then fix it or move it out of the folder."
            )
        for identifier, paths in finding.duplicates(refs).items():
            report["duplicate_roadmaps"][identifier] = [str(p) for p in paths]
            problems.append(
                f"{len(paths)} roadmap files have the id '{identifier}': {', '.join(p.name for p in paths)}; "
                f"{paths[0].name} is used. Change the id in the others."
            )
        roadmap = None
        try:
            roadmap = self.roadmap
            report["roadmap"] = {"id": roadmap.id, "title": roadmap.title, "version": roadmap.version}
        except AipmError as exc:
            problems.append(" ".join(exc.lines()[:1]))
            report["roadmap"] = None
        report["orphans"] = []
        report["backups"] = []
        report["logs"] = []
        report["damaged_lines"] = []
        report["torn_lines"] = []
        if roadmap is not None and "user" in report:
            try:
                ledger = self.ledger
                report["changes_dir"] = str(ledger.changes_dir)
                report["legacy_store"] = (self.layout.learners / self.user / "progress.json").exists()
                cached = ledger.cached()  # what the next command would believe, before it is replaced
                ledger.progress = progress
                if rebuild:
                    result = ledger.rebuild()
                    report["rebuilt"] = True
                else:
                    result = ledger.load(use_cache=False)  # every line checked, not the cache's word
                report["cache_agrees"] = _cache_agrees(cached, result)
                if report["cache_agrees"] is False:
                    problems.append(
                        "The derived-state cache disagreed with a fresh fold of the logs; it was rebuilt from them "
                        "(nothing in the logs changed). Please report this as a bug."
                    )
                report["odd_states"] = _odd_states(ledger, result)
                for odd in report["odd_states"]:
                    problems.append(odd["says"])
                report["changes"] = result.changes
                report["in_effect"] = result.in_effect
                report["recorded_roadmap_version"] = result.state.roadmap_version
                for path in ledger.files():
                    info = path.stat()
                    report["logs"].append({"file": str(path), "bytes": info.st_size, "mode": oct(info.st_mode & 0o777)})
                    if info.st_mode & 0o077:
                        problems.append(
                            f"{path} can be read by other users of this computer ({readable_by(info.st_mode)}); "
                            "run chmod 600 on it."
                        )
                for damage in result.problems.damage:
                    report["damaged_lines"].append(
                        {"file": str(damage.file), "line": damage.line, "reason": damage.reason}
                    )
                    problems.append(
                        f"Cannot read {damage}. Writes are stopped until it is fixed: restore the file from a copy "
                        "or run `aipm doctor --repair` to move the damaged line into backups/ (it says what moves, "
                        "and asks)."
                    )
                for torn in result.problems.torn:
                    report["torn_lines"].append({"file": str(torn.file), "offset": torn.offset, "bytes": torn.size})
                    problems.append(
                        f"{torn.file} ends in a torn line ({counted(torn.size, 'byte')}, a write cut short); "
                        "it is ignored and "
                        "moved into backups/ by the next change on that device."
                    )
                from aipm_cli.unit_status import orphans

                report["orphans"] = orphans(roadmap.index, result.state)
                if ledger.backups.is_dir():
                    report["backups"] = sorted(str(p) for p in ledger.backups.iterdir())
                report["cache"] = str(ledger.cache_file)
            except AipmError as exc:
                problems.append(exc.message)
            except OSError as exc:
                problems.append(f"Cannot read {exc.filename}: {exc.strerror}.")
        if report["orphans"]:
            from aipm_cli.wording import listed

            count = len(report["orphans"])
            problems.append(
                f"{count} {'entry' if count == 1 else 'entries'} with progress {'is' if count == 1 else 'are'} "
                f"not in this roadmap: {listed(report['orphans'], 10)} (kept, not counted; --json lists every one)."
            )
        if not os.access(self.layout.root if self.layout.root.exists() else self.layout.root.parent, os.W_OK):
            problems.append(f"The data directory {self.layout.root} is not writable.")
        report["problems"] = problems
        report["healthy"] = not problems
        return report

    def import_file(
        self,
        file: Path,
        *,
        user: str | None = None,
        replace: bool = False,
        accept_destructive: bool = False,
        progress: Progress | None = None,
    ) -> Imported:
        """Add an export's changes this learner does not have (by id), as one import.

        Destructive changes in the export (record/provenance.py) that are not here yet stop the
        import (DestructiveChanges, nothing imported) unless `accept_destructive`.
        """
        import os
        import stat

        from aipm_cli.errors import InputError
        from aipm_cli.paths import check_user_name
        from aipm_cli.report import MAX_EXPORT_BYTES, read_export

        try:
            from aipm_cli import portable

            fd = portable.open_file(file, os.O_RDONLY | portable.NONBLOCK)
        except FileNotFoundError:
            raise InputError(f"No file at {file}.") from None
        except OSError as exc:
            raise InputError(f"Cannot read {file}: {exc.strerror}.") from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError(
                    f"{file} is not a regular file.", "Import a file written by `aipm export --format json`."
                )
            if info.st_size > MAX_EXPORT_BYTES:
                raise InputError(
                    f"{file} is larger than {MAX_EXPORT_BYTES >> 20} MB.", "Split it or import a smaller export."
                )
            raw = handle.read(MAX_EXPORT_BYTES + 1)
        imported = read_export(raw, str(file))
        name = check_user_name(user) if user is not None else self.user
        roadmap = self.roadmap
        if imported.roadmap_id != roadmap.id:
            from aipm_cli.roadmap import finding

            roadmap = finding.load(
                finding.read_roadmap_bytes(finding.find(imported.roadmap_id, self.layout.roadmaps, self.layout.cache)),
                imported.roadmap_id,
                self.layout.cache,
            )
        ledger = self.ledger_for(name, roadmap)
        from aipm_cli.record.provenance import Watch

        watched = Watch(
            imported.changes,
            file.name,
            ledger.known_ids,
            accept=accept_destructive,
            hint=f"If you mean to take them, run `aipm import {file} --accept-destructive`.",
        )
        counted = _Counted(watched)
        if progress is not None:
            expected = raw.count(b"\n")  # about one line a change in an export aipm wrote
            counted.told = lambda done: progress("Importing changes", done, expected)
            ledger.progress = progress
        added = ledger.import_changes(counted, file.name, replace=replace)
        self.saved = bool(added) or replace
        return Imported(added, name, roadmap.id, counted.count, undoable=ledger.import_marked)


def _cache_agrees(cached: Any, result: Any) -> bool | None:
    """Whether the cache said what a fresh fold says (None: there was no cache to compare)."""
    if cached is None:
        return None
    from aipm_cli.record.state import state_data

    return (
        state_data(cached.state) == state_data(result.state)
        and cached.max_id == result.max_id
        and cached.in_effect == result.in_effect
    )


def _odd_states(ledger: Any, result: Any) -> list[dict[str, Any]]:
    """States the command line would refuse to make here, which changes from several machines can:
    done dated before started, and a done item started again by a machine that had not heard."""
    out: list[dict[str, Any]] = []
    for unit, rec in sorted(result.state.items.items()):
        if rec.status == "done" and rec.started_on and rec.completed_on and rec.completed_on < rec.started_on:
            says = (
                f"{unit} is done on {rec.completed_on} but started on {rec.started_on}, later (changes from two "
                f"machines); correct it with `aipm done {unit} --on DATE`."
            )
            out.append({"unit": unit, "kind": "done_before_started", "says": says})
        if rec.status == "in_progress" and unit in result.refs:
            # A start on a done item the command line refuses: a start right after another machine's
            # done means that machine had not heard (a reset is a deliberate act, never flagged).
            history = [
                c for c, undone in ledger.recent_for(unit) if not undone and c["op"] in ("done", "start", "reset")
            ]
            for earlier, later in zip(history, history[1:], strict=False):
                if earlier["op"] == "done" and later["op"] == "start" and later["device"] != earlier["device"]:
                    says = (
                        f"{unit} was done on {earlier['on']} ({earlier['device']}) and then started again by "
                        f"{later['device']}, which had not heard; if it is done, run `aipm done {unit} "
                        f"--on {earlier['on']}`."
                    )
                    out.append({"unit": unit, "kind": "reopened", "says": says})
                    break
    return out


class _Counted:
    """An iterable that counts what went through it."""

    def __init__(self, items: Any) -> None:
        self.items = items
        self.count = 0
        self.told: Callable[[int], None] | None = None  # told the count every 5,000 items (progress)

    def __iter__(self) -> Iterator[Any]:
        told = self.told
        for item in self.items:
            self.count += 1
            if told is not None and self.count % 5000 == 0:
                told(self.count)
            yield item


@contextmanager
def _refused_move(what: str) -> Iterator[None]:
    """A learner's folder that the system would not move (a read-only or full disk): one clear error."""
    try:
        yield
    except OSError as exc:
        from aipm_cli.errors import StoreError
        from aipm_cli.fs import write_hint

        where = f" ({exc.filename})" if exc.filename else ""
        raise StoreError(
            f"Cannot {what}: {exc.strerror or exc}{where}. Nothing was changed.", write_hint(exc)
        ) from None


def _backup_user(name: str) -> str:
    """'learner-ada-20261124T100000' (or '...-2') -> 'ada'."""
    import re

    match = re.fullmatch(r"learner-(.+)-\d{8}T\d{6}(?:-\d+)?", name)
    return match.group(1) if match else name.removeprefix("learner-")


class Imported:
    def __init__(self, added: int, user: str, roadmap_id: str, total: int, undoable: bool = True) -> None:
        self.added, self.user, self.roadmap_id, self.total = added, user, roadmap_id, total
        self.undoable = undoable  # False: only other machines' import records were new (no marker of its own)


class Marked:
    """What a start/done/skip/reset did."""

    def __init__(self, targets: list[Target], result: ChangeResult, on: date) -> None:
        self.targets = targets
        self.result = result
        self.on = on


class Assessed:
    def __init__(self, skill: str, title: str, level: int, on: date, before: int | None, latest: int) -> None:
        self.skill, self.title, self.level, self.on, self.before, self.latest = skill, title, level, on, before, latest


def item_detail(roadmap: Roadmap, state: State, item_id: str, history: list[Any]) -> dict[str, Any]:
    """Everything `show` tells about one item or deliverable, as JSON-ready data."""
    from aipm_cli.progress import row
    from aipm_cli.roadmap.kinds import done_means
    from aipm_cli.roadmap.urls import is_http_url
    from aipm_cli.unit_status import record, status_of
    from aipm_cli.view_data import to_data

    index = roadmap.index
    if item_id in index.deliverables:
        deliverable, project = index.deliverables[item_id]
        placed = index.items[project.id]
        base: dict[str, Any] = {
            "id": deliverable.id, "title": deliverable.title, "kind": "deliverable",
            "project": project.id, "project_title": project.title, "priority": project.priority,
            "description": deliverable.description, "status": record(state, item_id).status,
            # A deliverable waits for what its project waits for.
            "requires": [
                {"id": q, "title": index.items[q].item.title, "status": status_of(index, state, q)}
                for q in placed.requires
            ],
            "skills": [], "outcomes": [], "links": [],
            "done_means": done_means("deliverable"),
            "assumption": deliverable.assumption or "",
        }  # fmt: skip
    else:
        placed = index.items[item_id]
        item = placed.item
        r = row(roadmap, state, item_id)
        base = {
            "id": item.id, "title": item.title, "kind": item.kind, "priority": item.priority,
            "optional": item.optional, "provider": item.provider, "author": item.author, "url": item.url,
            "duration": item.duration, "description": item.description, "status": r.status,
            "requires": [
                {"id": q, "title": index.items[q].item.title, "status": status_of(index, state, q)}
                for q in placed.requires
            ],
            "skills": [{"id": s, "title": index.skills[s].title} for s in item.skills if s in index.skills],
            "outcomes": list(item.outcomes),
            "links": [link.data() for link in item.links],
            "deliverables": to_data(r.deliverables) if r.deliverables else [],
            "aliases": list(item.aliases),
            "done_means": done_means(item.kind, item, placed.module),
            "assumption": item.assumption,
        }  # fmt: skip
    rec = record(state, item_id)
    base.update(
        phase=placed.phase.id,
        phase_title=placed.phase.title,
        module=placed.module.id,
        module_title=placed.module.title,
        # Context for a bare title, and what the roadmap's authors chose (not its sources).
        module_description=placed.module.description,
        module_duration=placed.module.duration,
        phase_description=placed.phase.description,
        module_assumption=placed.module.assumption or "",
        phase_assumption=placed.phase.assumption or "",
        started_on=rec.started_on,
        completed_on=rec.completed_on if base["status"] == "done" else None,
        skipped_on=rec.skipped_on,
        skip_reason=rec.skip_reason,
        notes=[{"text": n.text, "on": n.on, "at": n.at} for n in rec.notes],
        evidence=[
            {"text": e.text, "on": e.on, "at": e.at, "is_link": is_http_url(e.text.strip())} for e in rec.evidence
        ],
        # Older notes and evidence a record counts but no longer holds (state.NOTES_KEPT; reports list them).
        earlier_notes=rec.earlier_notes,
        earlier_evidence=rec.earlier_evidence,
        certification=(
            {"earned_on": rec.completed_on, "credential": rec.credential, "expires_on": rec.expires_on}
            if rec.credential or rec.expires_on
            else None
        ),
        # By the date each change is for (then recording order), so a backdated change sits where it belongs.
        history=sorted(history, key=lambda h: (str(h.get("on", "")), str(h.get("at", "")))),
    )
    for d in base.get("deliverables") or []:
        # Each deliverable's own dates and evidence, as `show PROJECT` lists them.
        drec = record(state, d["id"])
        d.update(
            started_on=drec.started_on,
            completed_on=drec.completed_on if d["status"] == "done" else None,
            skipped_on=drec.skipped_on,
            evidence=[{"text": e.text, "on": e.on, "at": e.at} for e in drec.evidence],
        )
    if base["kind"] != "deliverable" and base["status"] == "done":
        base["completed_on"] = r.completed_on  # a project: its last deliverable's date when it has none
    return to_data(base)


def readable_by(mode: int) -> str:
    """'-rw-r--r--' said as a person would: who may read and write the file, and the usual letters."""
    import stat

    who = []
    if mode & 0o044:
        who.append("read" + (" and written" if mode & 0o022 else ""))
    letters = stat.filemode(mode)
    group = "its group" if mode & 0o070 else ""
    others = "everyone" if mode & 0o007 else ""
    readers = " and ".join(w for w in (group, others) if w) or "others"
    return f"{who[0] if who else 'open'} by {readers}: {letters}"


def change_data(change: dict[str, Any], undone: bool, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """A change as `log --json` and `show --json` give it."""
    data: dict[str, Any] = {
        "id": change["id"],
        "at": change["at"],
        "on": change["on"],
        "device": change["device"],
        "action": change["op"],
        "items": list(change.get("targets", [])),
        "undone": undone,
    }
    for key in (
        "units",
        "note",
        "text",
        "reason",
        "evidence",
        "credential",
        "expires",
        "skill",
        "level",
        "target",
        "about",
        "minutes",
        "rating",
        "began",
        "source",
    ):
        if change.get(key) not in (None, []):
            data[key] = change[key]
    if change["op"] == "note":
        data["note"] = change["text"]
        data.pop("text", None)
    if change["op"] == "review":  # the rating as the word `aipm review ITEM good` took
        data["recalled"] = ("again", "hard", "good", "easy")[change["rating"] - 1]
    if change["op"] == "import":
        data["count"] = change.get("count")
        data["source"] = change.get("source")
    if titles is not None:
        data["titles"] = [titles.get(i, i) for i in data["items"]]
    return data
