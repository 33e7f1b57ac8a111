"""How many changes a sync brings the other side: what "sent N changes" and "received N changes" count.

A change counts once, by its id, and only when the side it goes to held it in none of that learner's
log files; a line that is not a readable change (blank, damaged) is no change. A device gives every
change it records an id of its own, so one id sits in two files only when one of them is an import
file (`<device>.import-<hash>.jsonl`, copies of changes from an export). That keeps it cheap:

- the new lines are read through the gate once (what arriving.verify reads anyway) and only their
  number and the range of their ids are kept, never a set;
- a set of ids is built only when an import file is involved: new lines in an import file (their ids
  may be held in any file of the other side), or an import file of the other side whose range of ids
  meets the new ids' (an import writes its file in id order: its first and last lines give the range);
- then the other side's files are searched for those ids without parsing every line (a pattern finds
  a line's id; only a line whose id is wanted goes through the gate), WANTED ids at a time, so memory
  stays bounded whatever the size of the logs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aipm_cli.record.changes import BadChange, gate, quick
from aipm_cli.record.ids import id_ceiling
from aipm_cli.record.logs import CHUNK, ORJSON_FROM, is_import_file, open_regular

WANTED = 200_000  # ids looked for at once (a round): some 30 MB
EDGE = 1 << 20  # how far from its end the last line of a file is looked for
_ID = re.compile(rb'"id"\s*:\s*"([0-9A-HJKMNP-TV-Z]{26})"')


class Span:
    """Bytes [start, end) of one log file (`path`, as in the repository): from memory, or from the file
    here when it holds them (a log here begins with what git holds), else from git's copy (`blob`)."""

    def __init__(
        self,
        path: str,
        start: int,
        end: int,
        *,
        data: bytes | None = None,
        file: Path | None = None,
        blob: Callable[[], bytes] | None = None,
    ) -> None:
        self.path, self.start, self.end = path, start, end
        self._data, self._file, self._blob = data, file, blob

    @property
    def imported(self) -> bool:
        return is_import_file(self.path.rsplit("/", 1)[-1])

    def cut(self, end: int) -> Span:
        return Span(self.path, self.start, end, data=self._data, file=self._file, blob=self._blob)

    def read(self, start: int, end: int) -> bytes:
        if self._data is None and self._file is not None:
            handle = open_regular(self._file)
            if handle is not None:
                with handle:
                    handle.seek(start)
                    got = handle.read(end - start)
                if len(got) == end - start:
                    return got
        if self._data is None and self._blob is not None:
            self._data = self._blob()
        return (self._data or b"")[start:end]

    def blocks(self) -> Iterator[tuple[int, bytes]]:
        """(offset, bytes) of whole lines, newlines included, about CHUNK at a time (a torn end left out)."""
        at, rest = self.start, b""
        while at < self.end:
            block = self.read(at, min(at + CHUNK, self.end))
            if not block:
                break
            data = rest + block
            at += len(block)
            cut = data.rfind(b"\n") + 1
            if cut:
                yield at - len(data), data[:cut]
            rest = data[cut:]

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(offset after the line, line) of each whole line."""
        for offset, data in self.blocks():
            for raw in data[:-1].split(b"\n"):
                offset += len(raw) + 1
                yield offset, raw

    def changes(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(offset after its line, change) of each line that passes the gate; any other line is no change."""
        loads: Any = json.loads
        fast = self.end - self.start > ORJSON_FROM
        if fast:  # as logs.batches: orjson, and a line in aipm's usual shape checked whole in C
            import orjson

            loads = orjson.loads
        ceiling = id_ceiling() if fast else ""
        for offset, raw in self.lines():
            if raw.strip():
                try:
                    yield offset, (fast and quick(raw, loads, ceiling)) or gate(raw, loads)
                except BadChange:
                    continue

    def id_range(self) -> tuple[str, str] | None:
        """The ids of its first and last changes (None: either line is not a readable change)."""
        head = self.read(self.start, min(self.start + EDGE, self.end))
        tail = self.read(max(self.start, self.end - EDGE), self.end)
        first, last = head.split(b"\n", 1)[0], tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        if not tail.endswith(b"\n") or (b"\n" not in tail[:-1] and len(tail) == EDGE):
            return None  # a torn end, or a last line longer than EDGE
        try:
            return gate(first)["id"], gate(last)["id"]
        except BadChange:
            return None


class Tally:
    """The new changes of one learner's logs, as they are read: how many, and the range of their ids."""

    def __init__(self) -> None:
        self.count = 0
        self.low = self.high = ""
        self.spans: list[Span] = []
        self._last = ""

    def begin(self, span: Span) -> None:
        """The new lines of another file follow (`see` is told their changes)."""
        self.spans.append(span)
        self._last = ""

    def see(self, change: dict[str, Any]) -> None:
        change_id = change["id"]
        if change_id == self._last:
            return  # the same line again at once
        self._last = change_id
        self.count += 1
        self.low = min(self.low, change_id) if self.low else change_id
        self.high = max(self.high, change_id)

    def read(self, span: Span) -> None:
        """Read the new lines of `span` through the gate."""
        self.begin(span)
        for _offset, change in span.changes():
            self.see(change)

    def new_to(self, held: list[Span]) -> int:
        """How many of these changes (distinct, by id) are in none of `held`: the other side's files of
        this learner."""
        if not self.count:
            return 0
        if any(span.imported for span in self.spans):
            return _count_missing(self.spans, held, lambda _id: True)
        ranges: list[tuple[str, str]] = []
        search: list[Span] = []
        for span in held:
            if not span.imported:
                continue  # a device's own log or a migration never holds a change it did not make
            found = span.id_range() or ("", "~")  # unknown: any id may be there
            if found[0] <= self.high and self.low <= found[1]:
                ranges.append(found)
                search.append(span)
        if not search:
            return self.count
        return _count_missing(self.spans, search, lambda i: any(low <= i <= high for low, high in ranges))


def _count_missing(new: list[Span], held: list[Span], maybe_held: Callable[[str], bool]) -> int:
    """The distinct changes of `new` that no file of `held` holds; only ids `maybe_held` says may be held
    (or may be in `new` twice) are looked for, WANTED at a time."""
    count = 0
    wanted: set[bytes] = set()
    before: list[Span] = []  # the new lines read before this round: an id there was counted already
    for index, span in enumerate(new):
        last = ""
        for offset, change in span.changes():
            change_id = change["id"]
            if change_id == last:
                continue
            last = change_id
            if not maybe_held(change_id):
                count += 1
            else:
                wanted.add(change_id.encode())
                if len(wanted) >= WANTED:
                    count += _missing(wanted, held + before)
                    wanted = set()
                    before = [*new[:index], span.cut(offset)]
    return count + _missing(wanted, held + before)


def _missing(wanted: set[bytes], spans: list[Span]) -> int:
    """How many of `wanted` no line of `spans` holds (as its change's id, read through the gate)."""
    for span in spans:
        for _offset, data in span.blocks():
            if not wanted:
                return 0
            for match in _ID.finditer(data):
                if match.group(1) not in wanted:
                    continue
                start = data.rfind(b"\n", 0, match.start()) + 1
                try:
                    change_id = gate(data[start : data.index(b"\n", match.end())])["id"]
                except BadChange:
                    continue
                wanted.discard(change_id.encode())
    return len(wanted)
