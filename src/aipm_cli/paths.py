"""Where things live: the data directory, learners' stores, config, caches."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from aipm_cli.errors import InputError

if TYPE_CHECKING:
    from datetime import datetime

APP_NAME = "aipm"
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # whole names only: fullmatch, never match
NAME_LIMIT = 64  # characters in a learner name, device id or roadmap id: far below every file system's bound
# Names Windows keeps for devices, in any case and with any extension (`nul.jsonl` is the NUL device there).
_RESERVED = frozenset({"con", "prn", "aux", "nul"} | {f"{d}{n}" for d in ("com", "lpt") for n in "123456789"})
_FORBIDDEN = frozenset('<>:"/\\|?*')


def unportable(name: str) -> str | None:
    """Why `name` cannot be a file or folder name on every platform aipm runs on, or None.

    The check runs everywhere, so that a data directory made on Linux can be
    copied or synced to a Mac or a Windows laptop: Windows' device names
    (CON, PRN, AUX, NUL, COM1-9, LPT1-9, in any case, with or without an
    extension), a name ending in a dot or a space, the characters
    <>:"/\\|?* and control characters, and names over NAME_LIMIT characters.
    """
    if not name or name in {".", ".."}:
        return "it is not a name"
    if len(name) > NAME_LIMIT:
        return f"it is longer than {NAME_LIMIT} characters"
    bad = sorted({c for c in name if c in _FORBIDDEN or ord(c) < 32})
    if bad:
        return "it holds " + ", ".join(repr(c) for c in bad)
    if name[-1] in ". ":
        return "it ends in a dot or a space, which Windows drops"
    if name.split(".", 1)[0].rstrip(" ").lower() in _RESERVED:
        return f"'{name.split('.', 1)[0]}' is a device name on Windows"
    return None


def data_dir() -> Path:
    """`AIPM_HOME` when set, else the platform's user data directory for aipm."""
    home = os.environ.get("AIPM_HOME")
    if home:
        return Path(home).expanduser().absolute()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_user_name() -> str:
    """The OS login name, made safe for a file name."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:  # no login name (some containers): fall back politely
        name = "learner"
    name = re.sub(r"[^A-Za-z0-9._-]", "-", name).strip(".-")[:56].strip(".-") or "learner"
    return f"{name}-learner" if unportable(name) else name  # a login name like `con` (a device on Windows)


def check_user_name(name: str) -> str:
    """A learner name must be usable as a single file-name component.

    The one check of a learner name, wherever it comes from (an option, a
    setting, a folder another machine synced): the whole text must match
    (`$` would also accept a name ending in a newline).
    """
    if not isinstance(name, str) or not _USER_NAME.fullmatch(name) or name in {".", ".."}:
        raise InputError(
            f"'{name}' is not a usable learner name.",
            "Use letters, digits, '.', '_' or '-' (no spaces or slashes), at most 64 characters.",
        )
    why = unportable(name)
    if why is not None:
        raise InputError(
            f"'{name}' is not a usable learner name: {why}.",
            "Choose a name every platform can hold as a folder name; a learner made with it before can move:"
            f" `aipm users rename {name} NEW`.",
        )
    return name


def check_old_user_name(name: str) -> str:
    """A learner name aipm accepted before names had to suit every platform (`con`): one to rename away from."""
    if not isinstance(name, str) or not _USER_NAME.fullmatch(name) or name in {".", ".."}:
        return check_user_name(name)
    return name


def case_twins(learners: Path, name: str) -> list[str]:
    """The entries of `learners` whose names differ from `name` only in case (sorted; `name` itself left out).

    `Maya` and `maya` are one folder on the default macOS and Windows file
    systems: two such learners would share (and mix) one record there.
    """
    folded = name.casefold()
    try:
        entries = os.listdir(learners)
    except OSError:
        return []
    return sorted(entry for entry in entries if entry != name and entry.casefold() == folded)


def case_twin(learners: Path, name: str) -> str | None:
    """The first learner folder in `learners` whose name differs from `name` only in case, or None."""
    twins = case_twins(learners, name)
    return twins[0] if twins else None


def case_collisions(names: Iterable[str]) -> list[list[str]]:
    """Groups of two or more names that differ only in case (each sorted; the groups sorted)."""
    groups: dict[str, set[str]] = {}
    for name in names:
        groups.setdefault(name.casefold(), set()).add(name)
    return sorted(sorted(group) for group in groups.values() if len(group) > 1)


def join_or_part(name: str, other: str) -> str:
    """What to do about two learners here whose names differ only in case: join `name` into `other`, or rename."""
    return (
        f"If they are one learner, move '{name}' into '{other}': `aipm --user {name} export --format json -o"
        f" {name}.json`, `aipm import {name}.json --user {other}`, then `aipm users remove {name}`. If they are"
        f" two, rename one: `aipm users rename {name} NEW`."
    )


def check_not_case_twin(learners: Path, name: str) -> str:
    """`name`, when a learner folder has exactly that name or none differs from it only in case.

    The name rule for every way of naming a learner (an option, AIPM_USER, the setting, an import's
    `--user`): a new learner may not differ only in case from one already here. A name that is a
    folder's exactly is that learner, even where another folder differs from it only in case (a
    pair an older aipm or a hand made: `aipm doctor` names it), so that learner is never locked out;
    a name that is no folder's exactly but differs in case from one or more is refused (InputError).
    """
    try:
        if name in os.listdir(learners):
            return name
    except OSError:
        return name
    twins = case_twins(learners, name)
    if len(twins) == 1:
        twin = twins[0]
        raise InputError(
            f"There is already a learner called '{twin}': '{name}' differs from it only in case, and macOS and "
            "Windows keep both in one folder.",
            f"Use '{twin}', or choose a name that differs in more than case.",
        )
    if twins:
        listed = " and ".join(f"'{twin}'" for twin in twins)
        raise InputError(
            f"There is no learner called '{name}', but there are learners called {listed}, which differ from it"
            " only in case.",
            "Name one of them exactly as `aipm users` lists it; `aipm doctor` says how to part or join them.",
        )
    return name


CHANGES_FOLDER = "changes"  # in each learner's roadmap folder: the change logs
LEARNERS_FOLDER = "learners"  # in a data directory: one folder a learner (or a shard of learners)
STORE_FILE = "progress.json"  # in a learner's folder: the old (schema-1) store
BACKUPS_FOLDER = "backups"  # in a learner's folder (and the data directory): what aipm set aside


class Layout:
    """The files of one data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def learners(self) -> Path:
        return self.root / LEARNERS_FOLDER

    def learner_dir(self, user: str, *, old: bool = False) -> Path:
        """A learner's folder; with `old`, the name may be one made before names had to suit every platform."""
        return self.learners / (check_old_user_name(user) if old else check_user_name(user))

    def store(self, user: str, *, old: bool = False) -> Path:
        """The old (schema-1) progress file of a learner, migrated into change logs when found."""
        return self.learner_dir(user, old=old) / STORE_FILE

    def changes_dir(self, user: str, roadmap_id: str, *, old: bool = False) -> Path:
        """A learner's change logs on one roadmap (one file per device, plus imports and migrations)."""
        return self.learner_dir(user, old=old) / roadmap_id / CHANGES_FOLDER

    def state_cache(self, user: str, *, old: bool = False) -> Path:
        """The derived state cached for a learner, a file per roadmap: folded again from the logs when gone."""
        return self.cache / "state" / (check_old_user_name(user) if old else check_user_name(user))

    def backups(self, user: str, *, old: bool = False) -> Path:
        """What aipm set aside for one learner: stores before migration, torn lines, replaced files."""
        return self.learner_dir(user, old=old) / BACKUPS_FOLDER

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def roadmaps(self) -> Path:
        """The learner's own roadmap files."""
        return self.root / "roadmaps"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def roadmap_dir(self, user: str, roadmap_id: str) -> Path:
        """A learner's folder on one roadmap (the name may be an old one: it was checked where it came in)."""
        return self.learner_dir(user, old=True) / roadmap_id

    def state_file(self, user: str, roadmap_id: str) -> Path:
        """The derived state of a learner's record on a roadmap (a cache, never the truth)."""
        return self.state_cache(user, old=True) / f"{roadmap_id}.json"

    @property
    def device_file(self) -> Path:
        """This data directory's device id (made once, never synced)."""
        return self.root / "device"

    @property
    def removed(self) -> Path:
        """Whole learners set aside by `aipm users remove` (`aipm restore` brings them back)."""
        return self.root / BACKUPS_FOLDER


def backup_path(folder: Path, name: str, moment: datetime, suffix: str = "") -> Path:
    """Where aipm sets something aside in `folder`: `<name>-<time><suffix>`, the time `moment` to the
    second in UTC ('20261124T100000'), then `-2`, `-3`... when that name is taken. `moment` is the
    learner's clock (`Learner.now()`), which AIPM_NOW pins: every backup is named by the clock that
    dates the changes."""
    from datetime import UTC

    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{name}-{stamp}{suffix}"
    number = 1
    while path.exists() or path.is_symlink():
        number += 1
        path = folder / f"{name}-{stamp}-{number}{suffix}"
    return path


def write_lock(changes_dir: Path) -> Path:
    """A learner's write lock on one roadmap: beside the resolved log folder, so that two paths to one
    folder (a linked data directory) share one lock."""
    return Path(os.path.realpath(changes_dir)).parent / "write.lock"


def ensure_private_dir(path: Path) -> None:
    """Create a folder (and its parents) readable only by its owner (see fs.make_private_dir)."""
    from aipm_cli.fs import make_private_dir

    make_private_dir(path)


def bundled_roadmaps_dir() -> Path:
    """The folder of bundled roadmap files.

    Resolution order: `AIPM_BUNDLED_ROADMAPS` (an override for development),
    the copy packaged inside the wheel, then the checkout's top-level
    `roadmap/` folder (what an editable install sees).
    """
    override = os.environ.get("AIPM_BUNDLED_ROADMAPS")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    packaged = here / "_roadmaps"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "roadmap"
