"""Writing files safely: the learner's outputs, aipm's own private data, private folders.

Two kinds of writes, two rules:

- `write_output` is for files aipm writes *for* the learner (reports,
  calendars, schemas). It behaves like the shell's `cat > FILE`, except that
  a regular file is replaced atomically: `-` is stdout; a FIFO or character
  device is written into, never renamed over; an existing regular file
  keeps its mode (through a symlink, the target keeps it); a new file gets
  the mode the umask allows.
- `atomic_write` is for aipm's own data (stores, settings, caches): a
  private (0600) file replaced atomically, never a file that is not a
  regular file, and never written through a symlink planted at its path
  (the link itself is replaced).

`make_private_dir` creates folders 0700 whatever the umask and never changes
the mode of a folder that already exists.

Only the standard library is imported here: every command may need it.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from aipm_cli import portable
from aipm_cli.errors import InputError, StoreError

_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symbolic link",
}


def kind_of(mode: int) -> str:
    """'a folder', 'a FIFO (named pipe)'... for an st_mode (for error messages)."""
    return _KINDS.get(stat.S_IFMT(mode), "a regular file" if stat.S_ISREG(mode) else "a special file")


fsync_dir = portable.fsync_dir  # make a rename in a folder durable, where a folder can be opened


def _temp_beside(target: Path, mode: int) -> tuple[int, Path]:
    """A new, exclusively created temporary file in `target`'s own folder (so the rename is atomic)."""
    while True:
        tmp = target.with_name(f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return portable.open_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode, nofollow=True), tmp
        except FileExistsError:
            continue


def _pieces(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    """Data given whole, or in pieces (a long export streamed: memory stays flat)."""
    return (data,) if isinstance(data, bytes | bytearray) else data


def _write_all(fd: int, data: bytes | Iterable[bytes]) -> None:
    for piece in _pieces(data):
        view = memoryview(piece)
        while view:
            written = os.write(fd, view)
            view = view[written:]


def _replace(
    target: Path, data: bytes | Iterable[bytes], *, create_mode: int, chmod: int | None, owner: tuple[int, int] | None
) -> None:
    """Write `data` to a temporary file beside `target`, fsync, set its mode, rename it over `target`."""
    fd, tmp = _temp_beside(target, create_mode)
    try:
        try:
            _write_all(fd, data)
            if owner is not None:
                portable.set_owner(fd, *owner)
            if chmod is not None:
                portable.set_mode(fd, chmod)
            os.fsync(fd)
        finally:
            os.close(fd)
        portable.replace(tmp, target)  # retried while another process holds the file open (Windows)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(target.parent)


def atomic_write(path: Path, data: bytes, mode: int = 0o600, *, follow_symlinks: bool = False) -> None:
    """Replace aipm's own file `path` with `data` atomically, as a private file.

    A temporary file in the same folder is written, fsynced, given `mode`
    (whatever the umask) and renamed over the file, then the folder is
    fsynced: a kill at any moment leaves the old file or the new one. A
    symlink at `path` is replaced itself, never written through: in a data
    directory someone else can write to, a planted link would otherwise make
    aipm overwrite a file outside it (with `follow_symlinks`, for a file
    the learner pointed at on purpose, its target is replaced). A path that
    names anything but a regular file (a FIFO, a device, a socket, a folder)
    is refused with StoreError and left as it is.
    """
    target = Path(os.path.realpath(path)) if follow_symlinks else Path(os.path.abspath(path))
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        found = None
    if found is not None and not (stat.S_ISREG(found.st_mode) or (stat.S_ISLNK(found.st_mode) and not follow_symlinks)):
        raise StoreError(
            f"Refusing to write {path}: it is {kind_of(found.st_mode)}, not a regular file.",
            "aipm only replaces regular files; move it away and try again.",
        )
    _replace(target, data, create_mode=0o600, chmod=mode, owner=None)


def write_output(path: Path | str, data: bytes | Iterable[bytes], option: str = "-o") -> None:
    """Write a file the learner asked for (a report, a calendar) as `cat > path` would, but safely.

    `-` is stdout. An existing FIFO or character device (a terminal,
    /dev/null, /dev/stdout) is opened and written into, never replaced. An
    existing regular file is replaced atomically and keeps its mode (and,
    when allowed, its owner); through a symlink, the target is replaced and
    keeps its mode. A new file gets the mode the umask allows. Sockets and
    block devices are refused. Errors are InputError naming the path;
    `option` names the option the path came from, for the hint. `data` may come
    in pieces (an iterable of bytes), written as they come.
    """
    if str(path) == "-":
        _write_stream(data)
        return
    path = Path(path)
    try:
        found = os.stat(path)  # follows symlinks: what a write would reach
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise _cannot_write(path, exc, option) from None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise InputError(f"{path} is a folder.", f"Give a file name to {option}.")
    try:
        if found is not None and stat.S_ISREG(found.st_mode):
            target = Path(os.path.realpath(path))
            _replace(target, data, create_mode=0o600, chmod=stat.S_IMODE(found.st_mode),
                     owner=(found.st_uid, found.st_gid))  # fmt: skip
        elif found is not None:
            _write_into(path, found.st_mode, data, option)
        else:
            # A new file (or the missing target of a dangling symlink): created with
            # 0666 so that the kernel applies the umask (and any default ACL) itself.
            _replace(Path(os.path.realpath(path)), data, create_mode=0o666, chmod=None, owner=None)
    except OSError as exc:
        raise _cannot_write(path, exc, option) from None


def _write_stream(data: bytes | Iterable[bytes]) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    sys.stdout.flush()
    for piece in _pieces(data):
        if stream is not None:
            stream.write(piece)
        else:  # a text-only stdout (some test runners)
            sys.stdout.write(piece.decode("utf-8", "replace"))
    if stream is not None:
        stream.flush()
    else:
        sys.stdout.flush()


def _write_into(path: Path, mode: int, data: bytes | Iterable[bytes], option: str) -> None:
    """Write into a FIFO or character device in place, as `cat >` would."""
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        raise InputError(
            f"Refusing to write {path}: it is {kind_of(mode)}.", f"Give {option} a file name, or - for stdout."
        )
    # No O_TRUNC/O_CREAT: nothing is created or cut short; a FIFO waits for its reader like `cat >` does.
    fd = portable.open_file(path, os.O_WRONLY | portable.NOCTTY)
    try:
        opened = os.fstat(fd)
        if stat.S_ISREG(opened.st_mode):
            # Swapped for a regular file since we looked: write it the regular way.
            os.close(fd)
            fd = -1
            write_output(path, data, option)
            return
        _write_all(fd, data)
    finally:
        if fd >= 0:
            os.close(fd)


def _cannot_write(path: Path, exc: OSError, option: str) -> InputError:
    return InputError(
        f"Cannot write {path}: {exc.strerror or exc}.", f"Choose another {option} path, in a folder you can write to."
    )


_WRITE_HINTS = {
    errno.ENOSPC: "Free some space on that disk, then run the command again.",
    errno.EDQUOT: "Free some space within your disk quota, then run the command again.",
    errno.EROFS: "That folder is on a read-only file system: remount it writable, or set AIPM_HOME to another folder.",
    errno.EACCES: "Check that you may write to that folder (its owner and mode).",
    errno.EPERM: "Check that you may write to that folder (its owner, mode and attributes).",
    errno.ELOOP: "A symbolic link stands where aipm keeps that file: delete the link (aipm makes the file again).",
}


def write_hint(exc: OSError) -> str | None:
    """What to do about a write the system refused (a full disk, a read-only place...), or None."""
    return _WRITE_HINTS.get(exc.errno or 0)


def make_private_dir(path: Path) -> None:
    """Create `path` and any missing parents as folders only their owner can use (0700).

    The mode is set whatever the umask, but only on the folders created
    here: a folder that already exists keeps its mode (a shared folder's
    sticky bit, a folder made read-only on purpose).
    """
    path = Path(os.path.abspath(path))
    missing: list[Path] = []
    current = path
    while not current.exists():
        if current.is_symlink():  # a dangling link: mkdir would fail on it anyway; say so below
            break
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    if not missing:
        if not path.is_dir():
            raise FileExistsError(17, "File exists and is not a folder", str(path))
        return
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if folder.is_dir():
                continue  # made by someone else meanwhile: not ours to chmod
            raise
        # mkdir's mode is cut by the umask; a umask like 0277 would leave 0500.
        os.chmod(folder, 0o700)


class NotReadable(OSError):
    """A path aipm will not read: not a regular file, or over its size limit (strerror says which)."""


def not_regular(mode: int) -> str:
    """What a file that is not a regular file is, said for a person ("it is a folder, not a ...")."""
    return f"it is {kind_of(mode)}, not a regular file"


def read_regular_file(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Never waits and never reads forever: a FIFO, device or socket is refused
    before a byte is read (NotReadable, an OSError whose strerror says what
    the path is), and so is a file over `limit` bytes. Without
    `follow_symlinks`, a symlink at `path` is refused too (a file only aipm
    writes, where a link can only have been planted). Other OSErrors
    (FileNotFoundError, PermissionError...) pass through.
    """
    found = os.stat(path) if follow_symlinks else os.lstat(path)
    if stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(21, "it is a folder", str(path))
    if stat.S_ISLNK(found.st_mode):
        raise NotReadable(0, "it is a symbolic link, not a regular file", str(path))
    if not stat.S_ISREG(found.st_mode):
        raise NotReadable(0, not_regular(found.st_mode), str(path))
    # O_NONBLOCK: if it was swapped for a FIFO since the stat, opening it must not wait.
    flags = os.O_RDONLY | portable.NONBLOCK | portable.NOCTTY
    try:
        fd = portable.open_file(path, flags, nofollow=not follow_symlinks)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link since the lstat
            raise NotReadable(0, "it is a symbolic link, not a regular file", str(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(0, not_regular(info.st_mode), str(path))
        if info.st_size > limit:
            raise NotReadable(0, f"it is larger than the limit of {_size(limit)}", str(path))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:  # grew while we read
            raise NotReadable(0, f"it is larger than the limit of {_size(limit)}", str(path))
        return data
    finally:
        os.close(fd)


def read_device_file(path: Path) -> tuple[str | None, str]:
    """The stripped text of a data directory's `device` file, and why it could not be read.

    (None, "") when there is no such file; ("", ": it is a FIFO...") when it
    is not a small regular file of UTF-8 text (never waited on, never read
    whole when it is huge, never followed when it is a symlink: a device id
    that someone else's file supplied would be copied into every change).
    """
    try:
        raw = read_regular_file(path, 4096, follow_symlinks=False)
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return "", f": {exc.strerror or exc}"
    try:
        return raw.decode("utf-8").strip(), ""
    except UnicodeDecodeError:
        return "", ": it is not text"


def _size(count: int) -> str:
    if count >= 1 << 20:
        return f"{count / (1 << 20):g} MB"
    return f"{count / 1024:g} KB"


def read_private_file(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of a file only this user can change, or None.

    For caches: a file that is not a regular file, is a symlink, is not
    owned by this user, or can be written by the group or others might have
    been planted by someone else, and is treated as absent (so it is rebuilt).
    A file over `limit` bytes is treated as absent too.
    """
    try:
        fd = portable.open_file(path, os.O_RDONLY | portable.NONBLOCK, nofollow=True)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022:
            return None
        owner = portable.user_id()
        if owner is not None and info.st_uid != owner:  # where files have owners
            return None
        if limit is not None and info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def sha256_hex(data: bytes) -> str:
    """The sha256 of `data` in hex, without importing hashlib on the read path.

    hashlib loads OpenSSL's binding (a few ms at every start); CPython's own
    sha256 module gives the same digest. hashlib when that module is missing.
    """
    import importlib

    for name in ("_sha2", "_sha256"):  # CPython 3.12+, 3.11
        try:
            return str(importlib.import_module(name).sha256(data).hexdigest())
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256(data).hexdigest()


def code_stamp(folder: Path, tag: str, names: tuple[str, ...]) -> str:
    """aipm's version, a format tag, and the size and time of the named source files in `folder`:
    what a cache made by that code is keyed on (after an upgrade, or an edit of an editable
    install, an older cache is never used)."""
    from aipm_cli import __version__

    parts = [__version__, tag]
    for name in names:
        try:
            info = os.stat(folder / name)
            parts.append(f"{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append("?")
    return "|".join(parts)
