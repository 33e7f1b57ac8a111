"""Reading and appending change-log files.

Each file holds one change per line. A line is complete when it ends in a
newline: bytes after the last newline are a torn line (a crash mid-append),
ignored on read and set aside by the next write on that device, unless they
hold a carriage return (aipm never writes one: lines that end in `\\r` alone,
a file some editor or copy converted), which is damage and never set aside.
A line ending in `\\r\\n` (a copy from Windows) is read as it is. A complete
line that is not a readable change is damage: reads skip it and warn, writes
stop and name the file and line.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any, BinaryIO

from aipm_cli import portable
from aipm_cli.fs import fsync_dir, not_regular
from aipm_cli.plainclass import plain
from aipm_cli.record.changes import BadChange, NewerChange, gate, quick
from aipm_cli.record.ids import id_ceiling

CHUNK = 1 << 21  # bytes read at a time: memory stays flat whatever the file's size
SUFFIX = ".jsonl"
ORJSON_FROM = 1 << 20  # bytes: a smaller log is read with json alone


@plain
class Damage:
    file: Path
    line: int
    reason: str
    newer: bool = False
    # What is wrong, for the advice: "line" (one line: `doctor --repair` can move it), or the file as
    # a whole (line 0): "not_regular" (a folder, a FIFO, a symlink...), "cr_only" (\r line ends),
    # "unopenable" (permissions and the like).
    kind: str = "line"

    def __str__(self) -> str:
        if self.line == 0:  # the file as a whole
            return f"{self.file}: {self.reason}"
        return f"{self.file}, line {self.line}: {self.reason}"


@plain
class Torn:
    file: Path
    offset: int  # where the torn bytes start
    size: int


@plain
class Problems:
    """What reading found wrong; filled in as files are read."""

    damage: list[Damage] = field(default_factory=list)
    torn: list[Torn] = field(default_factory=list)


def is_import_file(name: str) -> bool:
    """A file an import wrote (`<device>.import-<hash>.jsonl`), not a device's own log."""
    return ".import-" in name


def log_files(folder: Path) -> list[Path]:
    """The change-log files in a learner's changes folder, by name."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return []
    return [Path(e.path) for e in entries if e.name.endswith(SUFFIX) and not e.name.startswith(".")]


def open_regular(path: Path, problems: Problems | None = None) -> BinaryIO | None:
    """The file open for reading, or None when it is missing or not a regular file (noted as damage).

    Opened without blocking, so a FIFO or a device put in place of a log never hangs aipm, and
    without following a symlink, so a link put in place of a log never has aipm read (or a repair
    copy) a file outside the data directory.
    """
    try:
        fd = portable.open_file(path, os.O_RDONLY | portable.NONBLOCK, nofollow=True)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if problems is not None:
            try:
                found = os.lstat(path).st_mode
            except OSError:
                found = stat.S_IFLNK if exc.errno == errno.ELOOP else stat.S_IFREG
            if stat.S_ISREG(found):
                reason = f"it cannot be opened ({exc.strerror})"
                problems.damage.append(Damage(path, 0, reason, kind="unopenable"))
            else:  # a symlink (refused: ELOOP), a socket (ENXIO)...
                problems.damage.append(Damage(path, 0, not_regular(found), kind="not_regular"))
        return None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if problems is not None:
            problems.damage.append(Damage(path, 0, not_regular(mode), kind="not_regular"))
        return None
    return os.fdopen(fd, "rb")


def fast_reading() -> None:
    """Read every log with orjson from now on: for readers of many logs (a cohort), worth its import."""
    import orjson  # noqa: F401


def changes(path: Path, problems: Problems) -> Iterator[tuple[dict[str, Any], int]]:
    """Each readable change of a file with its byte offset, in file order; damage noted in `problems`."""
    for batch in batches(path, problems):
        yield from batch


def batches(path: Path, problems: Problems) -> Iterator[list[tuple[dict[str, Any], int]]]:
    """The readable changes of a file with their byte offsets, a block of lines at a time
    (for readers of every line, like a full fold: no generator step per line)."""
    handle = open_regular(path, problems)
    if handle is None:
        return
    with handle:
        # orjson reads a line several times faster than json.loads, but importing it
        # costs more than reading one small log (a reader of many imports it first:
        # see fast_reading). A line that is not a readable change is read again by
        # parse (json), so what counts as readable, and the words for what is wrong,
        # stay json's.
        loads: Callable[[bytes], Any]
        fast = "orjson" in sys.modules or os.fstat(handle.fileno()).st_size > ORJSON_FROM
        if fast:
            import orjson

            loads = orjson.loads
        else:
            import json

            loads = json.loads
        number = 0  # lines before the block
        for offset, data in _blocks(handle):
            if not data.endswith(b"\n"):
                if b"\r" in data:  # aipm never writes a \r: not a write cut short, but lines that end in \r alone
                    problems.damage.append(Damage(path, 0, cr_only(number + 1), kind="cr_only"))
                else:
                    problems.torn.append(Torn(path, offset, len(data)))
                break
            out: list[tuple[dict[str, Any], int]] = []
            at = offset
            # Speed: a line in aipm's usual shape is checked whole in C (changes.quick, orjson's
            # strict UTF-8 needed); any other goes through the gate.
            ceiling = id_ceiling() if fast else ""
            for raw in data[:-1].split(b"\n"):
                number += 1
                if raw and not raw.isspace():
                    try:
                        change = (fast and quick(raw, loads, ceiling)) or gate(raw, loads)
                    except NewerChange as exc:
                        problems.damage.append(Damage(path, number, str(exc), newer=True))
                    except BadChange as exc:
                        problems.damage.append(Damage(path, number, str(exc)))
                    else:
                        out.append((change, at))
                at += len(raw) + 1
            if out:
                yield out


def cr_only(line: int) -> str:
    """Why a log whose lines end in \\r alone, from `line` on, is not read (and not a torn line)."""
    return (
        f"from line {line} on, its lines end in a carriage return alone (\\r, not \\n), which aipm cannot read;"
        " it is left as it is. Change those line ends to \\n (for example `tr '\\r' '\\n' < FILE > FIXED`, then"
        " put FIXED in its place) and nothing is lost"
    )


def _blocks(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of whole lines, newlines included, about CHUNK at a time; then, when
    the file does not end in a newline, (offset, the torn bytes after the last one)."""
    offset = 0
    rest = b""
    while block := handle.read(CHUNK):
        data = rest + block
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield offset, data[:cut]
            offset += cut
    if rest:
        yield offset, rest


_CANCELLING = re.compile(rb'"op"\s*:\s*"(?:undo|redo|import)"')


def cancelling(path: Path, counts: list[int] | None = None) -> Iterator[dict[str, Any]]:
    """The undo, redo and import changes of a file, found without parsing every line.

    With `counts`, the number of complete lines is added to counts[0].
    """
    handle = open_regular(path)
    if handle is None:
        return
    with handle:
        for _offset, data in _blocks(handle):
            if not data.endswith(b"\n"):
                break  # a torn last line
            if counts is not None:
                counts[0] += data.count(b"\n")
            for match in _CANCELLING.finditer(data):
                start = data.rfind(b"\n", 0, match.start()) + 1
                end = data.find(b"\n", match.end())
                try:
                    yield gate(data[start:end])
                except BadChange:
                    continue  # reported by the full read


def ids_in(path: Path) -> set[str]:
    found = set()
    for change, _offset in changes(path, Problems()):
        found.add(change["id"])
    return found


def read_at(path: Path, offset: int) -> dict[str, Any] | None:
    """The change whose line starts at `offset`, or None when it cannot be read."""
    try:
        opened = open_regular(path)
        if opened is None:
            return None
        with opened as handle:
            handle.seek(offset)
            raw = handle.readline(1 << 24)
        return gate(raw.rstrip(b"\n")) if raw.endswith(b"\n") else None
    except (OSError, BadChange):
        return None


def reverse_lines(path: Path, problems: Problems | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each complete line, last first; reads from the end in blocks.

    A file that cannot be opened, or is not a regular file, is noted in `problems`."""
    handle = open_regular(path, problems)
    if handle is None:
        return
    with handle:
        position = handle.seek(0, os.SEEK_END)
        # `tail` is always the end of a line (up to, not including, its newline)
        # whose start is not known yet.
        tail = b""
        found_end = False
        while position > 0:
            size = min(1 << 16, position)
            position -= size
            handle.seek(position)
            data = handle.read(size) + tail
            if not found_end:
                cut = data.rfind(b"\n")
                if cut < 0:  # still inside a torn last line: never shown
                    tail = b""
                    continue
                data = data[:cut]
                found_end = True
            parts = data.split(b"\n")
            offsets = []
            at = position + len(parts[0]) + 1
            for piece in parts[1:]:
                offsets.append((at, piece))
                at += len(piece) + 1
            for offset, piece in reversed(offsets):
                if piece.strip():
                    yield offset, piece
            tail = parts[0]
        if found_end and tail.strip():
            yield 0, tail


def append(path: Path, payload: bytes) -> None:
    """Append whole lines with one write and an fsync (O_APPEND: never over what is there)."""
    created = not path.exists()
    fd = portable.open_file(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | portable.NONBLOCK, 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(0, "it is not a regular file", str(path))
    try:
        start = os.fstat(fd).st_size  # the writer holds the lock: nobody else appends meanwhile
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError:
            # A full disk (or quota) cut the write short: take the part back, so that the log
            # ends as it did and the next write is not stopped by a torn line.
            try:
                os.ftruncate(fd, start)
                os.fsync(fd)
            except OSError:
                pass  # left torn: ignored when read, set aside by the next write
            raise
    finally:
        os.close(fd)
    if created:
        os.chmod(path, 0o600)
        fsync_dir(path.parent)
