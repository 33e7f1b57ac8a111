"""`aipm doctor --repair`: move damaged lines (and a torn tail) of the change logs into backups/.

A line the record's gate refuses blocks every write until it is gone. Repair
finds those lines with the same reader every fold uses (record.logs.batches,
which judges each line with record.changes.gate), moves their exact bytes into
one backup file per log (readable as they were, one line each), and rewrites
the log without them. Nothing else changes: every readable line stays, byte
for byte and in order. A line written by a newer aipm is never moved (it is
not damaged; upgrading reads it). Nothing here prints; the CLI says the plan
and asks before `repair` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from aipm_cli.errors import StoreError


@dataclass(frozen=True)
class Cut:
    """Bytes to move out of a log: a damaged line (with its newline) or a torn tail."""

    file: Path
    line: int  # 1-based line number; for a torn tail, the number it would have
    offset: int
    data: bytes  # exactly what leaves the log (a damaged line ends with its newline)
    reason: str
    torn: bool = False


@dataclass(frozen=True)
class Plan:
    cuts: list[Cut]
    kept_newer: list[str]  # lines of a newer aipm: not damage, not moved
    unrepairable: list[Any]  # record.logs.Damage of whole files (not a regular file...): said, never touched


def plan(ledger: Any) -> Plan:
    """What `repair` would move, read from the logs as they are now."""
    from aipm_cli.record.logs import Problems, batches

    cuts: list[Cut] = []
    newer: list[str] = []
    unrepairable: list[Any] = []
    for path in ledger.files():
        problems = Problems()
        for _batch in batches(path, problems):
            pass  # read every line: the reader notes what it cannot use
        damaged = {}
        for damage in problems.damage:
            if damage.line == 0:
                unrepairable.append(damage)
            elif damage.newer:
                newer.append(str(damage))
            else:
                damaged[damage.line] = damage.reason
        torn = problems.torn[0] if problems.torn else None
        if damaged:
            cuts += _lines(path, damaged, torn.offset if torn else None)
        if torn is not None:
            with _open(path) as handle:
                handle.seek(torn.offset)
                tail = handle.read()
            line = _line_count(path, torn.offset) + 1
            cuts.append(Cut(path, line, torn.offset, tail, "a torn last line (a write cut short)", torn=True))
    return Plan(cuts, newer, unrepairable)


def _open(path: Path) -> BinaryIO:
    """A log open for reading as every reader opens it: never through a symlink, never a FIFO."""
    from aipm_cli.record.logs import open_regular

    handle = open_regular(path)
    if handle is None:
        raise StoreError(f"{path} changed while it was being repaired; nothing was moved.", "Run `aipm doctor` again.")
    return handle


def _line_count(path: Path, end: int) -> int:
    with _open(path) as handle:
        return handle.read(end).count(b"\n")


def _lines(path: Path, damaged: dict[int, str], end: int | None) -> list[Cut]:
    """The damaged lines' offsets and bytes, counted as the reader counts them (every line)."""
    out: list[Cut] = []
    offset = 0
    with _open(path) as handle:
        for number, raw in enumerate(handle, 1):
            if end is not None and offset >= end:
                break
            if number in damaged and raw.endswith(b"\n"):
                out.append(Cut(path, number, offset, raw, damaged[number]))
            offset += len(raw)
    return out


def repair(ledger: Any, expected: Plan) -> list[Path]:
    """Move the planned bytes into backups/ and rewrite each log without them, under the learner's
    write lock; refused (nothing moved) when the logs changed since the plan was shown."""
    from aipm_cli.fs import atomic_write
    from aipm_cli.paths import ensure_private_dir

    written: list[Path] = []
    with ledger.locked():
        now = plan(ledger)
        if now.cuts != expected.cuts:
            raise StoreError(
                "The change logs changed since the repair was planned; nothing was moved.",
                "Run `aipm doctor --repair` again.",
            )
        by_file: dict[Path, list[Cut]] = {}
        for cut in now.cuts:
            by_file.setdefault(cut.file, []).append(cut)
        for path, cuts in by_file.items():
            ensure_private_dir(ledger.backups)
            keep = ledger.backup_of(path, "damaged")
            moved = b"".join(c.data if c.data.endswith(b"\n") else c.data + b"\n" for c in cuts)
            atomic_write(keep, moved)  # first the copy, then the log: a crash between loses nothing
            with _open(path) as handle:
                data = handle.read()
            pieces: list[bytes] = []
            at = 0
            for cut in sorted(cuts, key=lambda c: c.offset):
                pieces.append(data[at : cut.offset])
                at = cut.offset + len(cut.data)
            pieces.append(data[at:])
            atomic_write(path, b"".join(pieces))
            written.append(keep)
    return written
