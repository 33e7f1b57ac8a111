"""A learner's history, parsed only as far as a command reads it.

The store keeps one history entry per line. Loading splits those lines out of
the file without parsing them, so a command that looks at the last change (or
the last eight weeks) costs the same with 100 entries or 100,000. An entry is
validated when it is first read; a line that fails validation is reported as
an unreadable store, like any other. Lines nobody read are saved back
byte-for-byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableSequence
from pathlib import Path
from typing import Any, overload

from aipm_cli.errors import StoreError
from aipm_cli.models import HistoryEntry


def entry_line(entry: HistoryEntry) -> str:
    """The one-line JSON form of an entry, as the store writes it."""
    return json.dumps(entry.model_dump(mode="json", exclude_defaults=True), sort_keys=True, ensure_ascii=False)


class History(MutableSequence[HistoryEntry]):
    """A list of history entries backed by the store's raw lines, parsed on demand.

    The lines read from the file stay one bytes block until an entry is read
    (then only its line is located and parsed) or changed (then the block is
    split). Appended entries are kept as models.
    """

    def __init__(self, data: bytes = b"", start: int = 0, end: int | None = None, source: Path | None = None) -> None:
        # The entries are data[start:end], the file's lines as written
        # ("{...},\n        {...}"); kept as offsets, so the block is never copied.
        self._block = data
        self._start = start
        self._end = len(data) if end is None else end
        self._count = data.count(b"\n", self._start, self._end) + 1 if self._end > self._start else 0
        self._starts: list[int] | None = None  # line offsets in the block, found when first needed
        self._parsed: dict[int, HistoryEntry] = {}
        self._added: list[HistoryEntry] = []
        self._source = source

    # -- reading ------------------------------------------------------------ #

    def _line(self, index: int) -> bytes:
        block, first, last = self._block, self._start, self._end
        if self._starts is None and index == self._count - 1:  # the newest: no need to index every line
            newline = block.rfind(b"\n", first, last)
            return block[first if newline < 0 else newline + 1 : last].strip().rstrip(b",")
        if self._starts is None:
            starts = [first]
            position = block.find(b"\n", first, last)
            while position >= 0:
                starts.append(position + 1)
                position = block.find(b"\n", position + 1, last)
            self._starts = starts
        start = self._starts[index]
        end = self._starts[index + 1] - 1 if index + 1 < self._count else last
        return block[start:end].strip().rstrip(b",")

    def _entry(self, index: int) -> HistoryEntry:
        if index >= self._count:
            return self._added[index - self._count]
        parsed = self._parsed.get(index)
        if parsed is None:
            try:
                parsed = HistoryEntry.model_validate_json(self._line(index))
            except ValueError as exc:
                where = self._source or Path("progress.json")
                raise StoreError(
                    f"Cannot read the progress store {where}: history entry {index + 1} is damaged "
                    f"({_first(exc)}). It was left untouched.",
                    f"Restore a copy from {where.parent / 'backups'} or run `aipm doctor` to see what is wrong.",
                ) from None
            self._parsed[index] = parsed
        return parsed

    def __len__(self) -> int:
        return self._count + len(self._added)

    @overload
    def __getitem__(self, index: int) -> HistoryEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[HistoryEntry]: ...
    def __getitem__(self, index: int | slice) -> HistoryEntry | list[HistoryEntry]:
        if isinstance(index, slice):
            return [self._entry(i) for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("history index out of range")
        return self._entry(index)

    def __iter__(self) -> Iterator[HistoryEntry]:
        for index in range(len(self)):
            yield self._entry(index)

    def __reversed__(self) -> Iterator[HistoryEntry]:
        for index in range(len(self) - 1, -1, -1):
            yield self._entry(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (History, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"History({len(self)} entries)"

    def validate_all(self) -> None:
        """Parse every entry (doctor); raises StoreError at the first damaged one."""
        for index in range(len(self)):
            self._entry(index)

    # -- changing ----------------------------------------------------------- #

    def _materialize(self) -> None:
        """Turn every read line into a model (before entries are removed)."""
        self._added = [self._entry(i) for i in range(len(self))]
        self._block, self._start, self._end, self._count, self._starts, self._parsed = b"", 0, 0, 0, None, {}

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError("history entries are appended, never replaced")

    def __delitem__(self, index: Any) -> None:
        self._materialize()
        del self._added[index]

    def insert(self, index: int, value: HistoryEntry) -> None:
        if index >= len(self):
            self._added.append(value)
        else:
            self._materialize()
            self._added.insert(index, value)

    # -- writing ------------------------------------------------------------ #

    def store_lines(self) -> list[bytes | memoryview]:
        """The entries as store lines; untouched read lines come back as one verbatim chunk."""
        out: list[bytes | memoryview] = []
        if self._count:
            changed = {
                i: line
                for i, entry in self._parsed.items()
                if (line := entry_line(entry).encode("utf-8")) != self._line(i)
            }
            if not changed:
                out.append(memoryview(self._block)[self._start : self._end])  # already "{...},\n        {...}"
            else:
                out += [changed.get(i) or self._line(i) for i in range(self._count)]
        out += [entry_line(entry).encode("utf-8") for entry in self._added]
        return out


def _first(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return f"{loc}: {first['msg']}" if loc else str(first["msg"])
    return str(exc)


def lines_of(history: Any) -> list[bytes | memoryview]:
    """Store lines for a History or a plain list of entries."""
    if isinstance(history, History):
        return history.store_lines()
    return [entry_line(entry).encode("utf-8") for entry in history]


def dumps_with_blocks(data: Any, blocks: dict[str, list[bytes | memoryview]], sort_keys: bool = True) -> bytes:
    """`json.dumps(data, indent=2)` as UTF-8, where each placeholder string in
    `blocks` becomes a JSON array written one (already serialized) element per line."""
    text = json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False).encode("utf-8")
    pieces: list[bytes | memoryview] = []
    position = 0
    found = sorted((text.index(json.dumps(token).encode()), token) for token in blocks)
    for at, token in found:
        line_start = text.rindex(b"\n", 0, at) + 1
        indent = len(text[line_start:at]) - len(text[line_start:at].lstrip(b" "))
        inner = b"\n" + b" " * (indent + 2)
        lines = blocks[token]
        pieces.append(text[position:at])
        if lines:
            pieces += [b"[", inner, (b"," + inner).join(lines), b"\n", b" " * indent, b"]"]
        else:
            pieces.append(b"[]")
        position = at + len(json.dumps(token).encode())
    pieces.append(text[position:])
    return b"".join(pieces)
