"""What "sent N changes" and "received N changes" count: distinct changes new to the other side (by id),
never lines. An import file holds copies of changes another machine may already have; a blank line is
no change. Real git, machines as data directories, one bare remote (as in test_sync)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aipm_cli.record.changes import line
from aipm_cli.record.ids import new_id
from aipm_cli.sync import counting
from aipm_cli.sync.counting import Span, Tally
from test_sync import aipm, git_env, make_device, make_remote  # noqa: F401

ADA = "learners/ada/ai-product-manager/changes"


def sync(home: Path, *args: str) -> dict[str, Any]:
    """`aipm sync [init REMOTE] --json`: what the sync says it sent and received."""
    doc: dict[str, Any] = json.loads(aipm(home, "sync", *args, "--json").stdout)
    return doc


def counts(doc: dict[str, Any]) -> tuple[int, int]:
    return doc["sent"], doc["received"]


def import_export_of(source: Path, into: Path, tmp_path: Path) -> None:
    exported = tmp_path / f"{source.name}-export.json"
    aipm(source, "export", "--format", "json", "-o", str(exported))
    aipm(into, "import", str(exported))


def test_an_import_of_changes_the_other_machine_has_counts_only_its_marker(tmp_path: Path) -> None:
    """b imports a's export before it ever syncs: a's changes then sit in b's import file too. Neither
    side is told those changes are new to it (the import file's lines are copies), only the marker
    (b's record of the import) travels as a change; what the text line says agrees."""
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "skip", "product-strategy")
    aipm(a, "note", "ai-for-everyone", "from a")
    assert counts(sync(a, "init", str(remote))) == (3, 0)
    import_export_of(a, b, tmp_path)
    assert len(list((b / ADA).glob("work-b.import-*.jsonl"))) == 1

    # b holds a's three changes (in its import file) when a's own log arrives: 0 received. Its import
    # file goes out, but the remote holds those three in a's log: only the marker is sent.
    joined = sync(b, "init", str(remote))
    assert counts(joined) == (1, 0) and joined["sent_by_learner"] == {"ada": 1}
    assert joined["received_by_learner"] == {}
    # a holds them in its own log when b's import file arrives: the marker alone is received.
    back = sync(a)
    assert counts(back) == (0, 1) and back["received_by_learner"] == {"ada": 1}
    assert "sent 0 changes, received 0 changes" in aipm(b, "sync").stderr


def test_only_the_changes_an_import_brings_that_are_new_count(tmp_path: Path) -> None:
    """a syncs three changes, records two more and, before syncing them, b imports a's export: the
    import file holds the two (b had the three). Each side counts each change once, wherever it sits:
    b sends the two and its marker; a then receives the marker only and sends nothing (the remote has
    its two in b's import file); a third machine receives the six distinct changes once each."""
    remote = make_remote(tmp_path)
    a, b, c = (make_device(tmp_path, name) for name in ("laptop-a", "work-b", "home-c"))
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "skip", "product-strategy")
    aipm(a, "start", "user-research")
    sync(a, "init", str(remote))
    assert counts(sync(b, "init", str(remote))) == (0, 3)
    aipm(a, "done", "user-research")
    aipm(a, "note", "user-research", "interviews done")
    import_export_of(a, b, tmp_path)
    (imported,) = (b / ADA).glob("work-b.import-*.jsonl")
    assert len(imported.read_bytes().splitlines()) == 2

    assert counts(sync(b)) == (3, 0)
    result = aipm(a, "sync")
    assert "sent 0 changes, received 1 change" in result.stderr, result.stderr
    joined = sync(c, "init", str(remote))
    assert counts(joined) == (0, 6) and joined["received_by_learner"] == {"ada": 6}


def test_a_plain_backlog_counts_each_change_and_a_blank_line_is_none(tmp_path: Path) -> None:
    """Four changes recorded between syncs are four sent and four received (README: "sent N changes"
    counts every change the remote did not have); a blank line in the log travels but is no change."""
    remote = make_remote(tmp_path)
    a, b = make_device(tmp_path, "laptop-a"), make_device(tmp_path, "work-b")
    aipm(a, "done", "ai-for-everyone")
    sync(a, "init", str(remote))
    sync(b, "init", str(remote))
    aipm(a, "skip", "product-strategy")
    aipm(a, "start", "user-research")
    with open(a / ADA / "laptop-a.jsonl", "ab") as handle:
        handle.write(b"\n  \n")  # blank lines: the gate never sees them as changes
    aipm(a, "note", "user-research", "a backlog")
    aipm(a, "undo")
    result = aipm(a, "sync")
    assert "sent 4 changes, received 0 changes" in result.stderr, result.stderr
    doc = sync(b)
    assert counts(doc) == (0, 4) and doc["received_by_learner"] == {"ada": 4}
    status = json.loads(aipm(b, "sync", "--status", "--json").stdout)
    assert status["received_at_last_sync"] == 4


# --------------------------------------------------------------------------- #
# The counting itself (counting.py): what is read, and memory in rounds
# --------------------------------------------------------------------------- #


def _changes(count: int, device: str, start: datetime) -> list[bytes]:
    out, last = [], None
    for n in range(count):
        moment = start + timedelta(seconds=n)
        last = new_id(moment, last)
        out.append(
            line(
                {
                    "v": 1,
                    "id": last,
                    "at": moment.isoformat(),
                    "on": moment.date().isoformat(),
                    "device": device,
                    "op": "note",
                    "targets": ["ai-for-everyone"],
                    "text": f"note {n}",
                }
            )  # fmt: skip
        )
    return out


class Watched(Span):
    """A span that counts the bytes read from it."""

    def __init__(self, path: str, data: bytes) -> None:
        super().__init__(path, 0, len(data), data=data)
        self.bytes_read = 0

    def read(self, start: int, end: int) -> bytes:
        self.bytes_read += end - start
        return super().read(start, end)


def _tally(*spans: Span) -> Tally:
    tally = Tally()
    for span in spans:
        tally.read(span)
    return tally


def _span(name: str, lines: list[bytes]) -> Span:
    data = b"".join(x if x.endswith(b"\n") else x + b"\n" for x in lines)
    return Span(f"{ADA}/{name}", 0, len(data), data=data)


def test_with_no_import_involved_the_other_sides_logs_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual sync: new changes in a device's log, the other side holding devices' logs (of a
    million lines, say) and an old import: nothing of the logs is read, of the import only its ends."""
    monkeypatch.setattr(counting, "EDGE", 4096)
    now = datetime.now(UTC)
    own = b"".join(_changes(500, "home-c", now - timedelta(days=20)))
    old = b"".join(_changes(500, "old-d", now - timedelta(days=30)))
    held_own = Watched(f"{ADA}/home-c.jsonl", own)
    held_import = Watched(f"{ADA}/home-c.import-0123456789ab.jsonl", old)
    new = _span("laptop-a.jsonl", _changes(3, "laptop-a", now))
    assert _tally(new).new_to([held_own, held_import]) == 3
    assert held_own.bytes_read == 0
    assert 0 < held_import.bytes_read <= 2 * 4096 < len(old) // 4
    # New changes inside the import's range of ids: only then is the import searched.
    inside = _span("laptop-a.jsonl", _changes(2, "laptop-a", now - timedelta(days=30, seconds=-100)))
    assert _tally(inside).new_to([held_own, held_import]) == 2
    assert held_own.bytes_read == 0 and held_import.bytes_read > len(old)


def test_ids_are_looked_for_in_rounds_and_each_change_counts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays bounded: at most WANTED ids are looked for at once. A change in two new files (a
    device's log and another's import of it) counts once even when its copies fall in different
    rounds; one the other side holds counts not at all; a damaged or blank line is no change."""
    monkeypatch.setattr(counting, "WANTED", 2)
    now = datetime.now(UTC) - timedelta(days=2)
    a_log = _changes(5, "laptop-a", now)
    held_log = _changes(2, "work-b", now - timedelta(days=1))
    new = [
        _span("laptop-a.jsonl", a_log),
        _span("home-c.import-0a.jsonl", [*held_log, *a_log[:4], b'{"id": "not a change"}', b"   "]),
    ]
    held = _span("work-b.jsonl", held_log)
    assert _tally(*new).new_to([held]) == 5
    assert _tally(*new).new_to([]) == 7
    assert _tally(*new).new_to([held, new[0]]) == 0
    monkeypatch.setattr(counting, "WANTED", 10**6)
    assert _tally(*new).new_to([held]) == 5
