"""The one place for what differs between Linux, macOS and Windows.

Nothing else in aipm calls a POSIX-only function or flag (`O_NOFOLLOW`,
`O_DIRECTORY`, `O_NONBLOCK`, `O_NOCTTY`, `fchmod`, `fchown`, `geteuid`,
`getuid`...): they are reached through the helpers here, which choose by
what the running `os` has (never by the platform's name), so that the same
code is checked on Linux with those names taken away (tests/test_platforms.py).

- Opening without following a symlink: `O_NOFOLLOW` where it exists; where it
  does not (Windows), an `lstat` before and a comparison of the opened file
  with it after, so a link planted at the path is refused either way.
- Opening without waiting (a FIFO put in place of a file): `O_NONBLOCK` where
  it exists; Windows has no FIFOs in the file system.
- Files are opened in binary mode (`O_BINARY` where it exists): Windows would
  otherwise turn each `\\n` written through a descriptor into `\\r\\n`.
- Modes and owners are set where they mean something (`fchmod`, `fchown`);
  on Windows a file's privacy comes from the folder's access list (a user's
  own profile folder), not from a mode.
- Replacing a file retries for a short bounded time on PermissionError: on
  Windows, `os.replace` fails while another process (a concurrent `aipm
  status`, a virus scanner, a sync client) has the target open.
- A folder is fsynced only where a folder can be opened (not on Windows).

Only the standard library is imported here: every command may need it.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
NOCTTY: int = getattr(os, "O_NOCTTY", 0)
BINARY: int = getattr(os, "O_BINARY", 0)
DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)

REPLACE_TRIES = 8  # about 1.3 s in all: a reader holds a log or store for milliseconds
_REPLACE_PAUSE = 0.01  # seconds before the second try; doubled after each


def open_file(path: Path | str, flags: int, mode: int = 0o777, *, nofollow: bool = False) -> int:
    """`os.open` in binary mode; with `nofollow`, a symlink at `path` is refused (OSError ELOOP).

    Where the platform has no `O_NOFOLLOW`, the path is lstat'ed first and
    the opened file compared with what was found, so a link swapped in
    between is refused as well.
    """
    flags |= BINARY
    if not nofollow:
        return os.open(path, flags, mode)
    nofollow_flag = getattr(os, "O_NOFOLLOW", 0)  # looked up here, so a test can take it away
    if nofollow_flag:
        return os.open(path, flags | nofollow_flag, mode)
    import stat

    try:
        before = os.lstat(path)
    except FileNotFoundError:
        before = None
    if before is not None and stat.S_ISLNK(before.st_mode):
        raise OSError(errno.ELOOP, "it is a symbolic link", str(path))
    fd = os.open(path, flags, mode)
    after = os.fstat(fd)
    moved = os.lstat(path) if before is None else before
    if stat.S_ISLNK(moved.st_mode) or (moved.st_ino, moved.st_dev) != (after.st_ino, after.st_dev):
        os.close(fd)
        raise OSError(errno.ELOOP, "it was swapped for another file while being opened", str(path))
    return fd


def set_mode(fd: int, mode: int) -> None:
    """Give an open file `mode` where the platform has `fchmod` (elsewhere modes mean little)."""
    fchmod = getattr(os, "fchmod", None)
    if fchmod is not None:
        fchmod(fd, mode)


def set_owner(fd: int, uid: int, gid: int) -> None:
    """Give an open file an owner where the platform can (best effort: only root may)."""
    fchown = getattr(os, "fchown", None)
    if fchown is None:
        return
    try:
        fchown(fd, uid, gid)
    except OSError:
        pass  # not allowed (not root): the file is ours, as with any editor


def user_id() -> int | None:
    """This process's effective user id, or None where the platform has none (Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return int(geteuid()) if geteuid is not None else None


def replace(source: Path | str, target: Path | str) -> None:
    """`os.replace`, retried for a bounded time while it fails with PermissionError.

    That is Windows' sharing violation: another process has `target` (or
    `source`) open. Elsewhere a PermissionError is lasting and is raised
    after the last try, like any other error.
    """
    pause = _REPLACE_PAUSE
    for attempt in range(REPLACE_TRIES):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == REPLACE_TRIES - 1:
                raise
            time.sleep(pause)
            pause *= 2


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable, where a folder can be opened (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY | DIRECTORY)
    except OSError:  # Windows cannot open a folder; some file systems refuse
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
