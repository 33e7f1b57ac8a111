"""Where things live: the data directory, learners' stores, config, caches."""

from __future__ import annotations

import os
import re
from pathlib import Path

from aipm_cli.errors import InputError

APP_NAME = "aipm"
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # whole names only: fullmatch, never match


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
    name = re.sub(r"[^A-Za-z0-9._-]", "-", name).strip(".-") or "learner"
    return name[:64]


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
    return name


class Layout:
    """The files of one data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def learners(self) -> Path:
        return self.root / "learners"

    def learner_dir(self, user: str) -> Path:
        return self.learners / check_user_name(user)

    def store(self, user: str) -> Path:
        return self.learner_dir(user) / "progress.json"

    def backups(self, user: str) -> Path:
        return self.learner_dir(user) / "backups"

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
