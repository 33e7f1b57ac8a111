"""Reading change logs fast without reading them differently.

A full fold reads every line: a block at a time, each line with orjson, each
decoded line through a quick check for the shapes aipm writes. These tests hold
that fast path to the slow, plain one: the same changes at the same offsets,
the same damage on the same lines, the same verdict on every change.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aipm_cli.record import changes as fmt
from aipm_cli.record import ids, logs
from aipm_cli.record.fold import Source, cancellations, fold
from aipm_cli.record.state import state_data

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def change(n: int, op: str = "done", **extra: Any) -> dict[str, Any]:
    moment = START + timedelta(minutes=n)
    base: dict[str, Any] = {
        "v": 1,
        "id": ids.new_id(moment),
        "at": moment.isoformat(),
        "on": moment.date().isoformat(),
        "device": "dev-a",
        "op": op,
    }
    if op in ("start", "done", "skip", "reset"):
        base.update(targets=["alpha"], units=["alpha"])
    elif op == "note":
        base.update(targets=["alpha"], text=f"note {n}")
    return {**base, **extra}


def verdict(check: Any, data: Any) -> str:
    try:
        check(data)
    except fmt.NewerChange:
        return "newer"
    except fmt.BadChange:
        return "bad"
    return "ok"


# --------------------------------------------------------------------------- #
# The quick check says what the full check says
# --------------------------------------------------------------------------- #

ODD: list[Any] = [
    None, True, False, 0, 1, 2, -1, 1.0, "", "x", "2026-10-01", "2026-13-01", "2026-10-01T09:00:00",
     "2026-10-01T09:00:00+00:00", "01KAAAAAAAAAAAAAAAAAAAAAAA", "01KAAAAAAAAAAAAAAAAAAAAAAA\n",
     "01KAAAAAAAAAAAAAAAAAAAAAAU", "x" * 201, "x" * 100_001, [], ["a"], [""], [1], ["a", "b"], ["x" * 201], {}, {"a": 1},
]  # fmt: skip
ODD_VALUES = st.sampled_from(ODD)
FIELDS = st.sampled_from(
    ["v", "id", "at", "on", "device", "op", "roadmap_version", "targets", "units", "text", "target", "about",
     "note", "evidence", "reason", "credential", "expires", "state", "skill", "level", "file", "extra"]
)  # fmt: skip


@st.composite
def near_changes(draw: st.DrawFn) -> dict[str, Any]:
    """A change aipm could write, then a few fields dropped, added or given odd values."""
    op = draw(st.sampled_from(["start", "done", "skip", "reset", "note", "undo", "redo"]))
    extra: dict[str, Any] = {}
    if op in ("undo", "redo"):
        extra["target"] = ids.new_id(START)
        if draw(st.booleans()):
            extra["about"] = "a change"
    if draw(st.booleans()):
        extra["roadmap_version"] = "1.1.0"
    data = change(draw(st.integers(0, 10_000)), op, **extra)
    for _ in range(draw(st.integers(0, 3))):
        field = draw(FIELDS)
        if draw(st.booleans()) and field in data:
            del data[field]
        else:
            data[field] = draw(ODD_VALUES)
    return data


@given(near_changes())
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_quick_check_agrees_with_the_full_check(data: dict[str, Any]) -> None:
    assert verdict(fmt.check, data) == verdict(fmt._check_fully, data)


def aipm_writes() -> list[dict[str, Any]]:
    undo = change(2, "undo", target=ids.new_id(START), about="done Alpha")
    return [
        change(1),
        change(1, "note"),
        undo,
        change(3, "start", roadmap_version="1.1.0"),
        change(4, "redo", target=undo["id"]),
    ]


def test_every_field_with_every_odd_value_gets_the_same_verdict() -> None:
    for written in aipm_writes():
        for field in written:
            for value in ODD:
                data = {**written, field: value}
                assert verdict(fmt.check, data) == verdict(fmt._check_fully, data), (field, value, written["op"])


def test_the_quick_check_takes_the_changes_aipm_writes() -> None:
    # (The agreement above would also hold if the quick path took nothing at all.)
    for data in aipm_writes():
        assert verdict(fmt.check, data) == "ok"


def test_the_quick_path_is_taken_for_what_aipm_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: Any) -> dict[str, Any]:
        raise AssertionError(f"took the full check for {data['op']}")

    monkeypatch.setattr(fmt, "_check_fully", refuse)
    for data in aipm_writes():
        assert fmt.check(data) is data


def test_a_fold_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    import gc

    path = tmp_path / "dev-a.jsonl"
    path.write_bytes(fmt.line(change(2)) + fmt.line(change(1)))  # out of order: the second, sorting read
    assert gc.isenabled()
    fold([Source(path=path)], {})
    assert gc.isenabled()
    gc.disable()
    try:
        fold([Source(path=path)], {})
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "field, value",
    [("id", "01KAAAAAAAAAAAAAAAAAAAAAAA\n"), ("target", "01KAAAAAAAAAAAAAAAAAAAAAAA\n"), ("about", 7)],
)
def test_an_id_with_a_newline_or_an_about_that_is_not_text_is_refused(field: str, value: Any) -> None:
    data = change(1, "undo", target=ids.new_id(START))
    data[field] = value
    assert verdict(fmt.check, data) == "bad"
    assert verdict(fmt._check_fully, data) == "bad"


# --------------------------------------------------------------------------- #
# Reading a file in blocks gives what reading it line by line gives
# --------------------------------------------------------------------------- #


def by_lines(path: Path) -> tuple[list[tuple[dict[str, Any], int]], list[tuple[int, str]], list[tuple[int, int]]]:
    """The plain reading: every line on its own, with json."""
    data = path.read_bytes()
    found, damage = [], []
    offset = 0
    number = 0
    while True:
        end = data.find(b"\n", offset)
        if end < 0:
            break
        number += 1
        raw = data[offset:end]
        if raw.strip():
            try:
                found.append((fmt.parse(raw), offset))
            except fmt.BadChange as exc:
                damage.append((number, str(exc)))
        offset = end + 1
    torn = [(offset, len(data) - offset)] if offset < len(data) else []
    return found, damage, torn


LINES = st.one_of(
    st.integers(0, 500).map(lambda n: fmt.line(change(n))),
    st.integers(0, 500).map(lambda n: fmt.line(change(n, "note", text="caf\u00e9 \u2603 " * (n % 7)))),
    st.integers(0, 500).map(lambda n: fmt.line(change(n, "undo", target=ids.new_id(START), about="a change"))),
    st.sampled_from(
        [
            b"\n",
            b"   \n",
            b"not json\n",
            b'{"v":1}\n',
            b"[1,2]\n",
            b'{"a":1}, {"b":2}\n',
            b"\xff\xfe\n",
            b"NaN\n",
            # json reads a lone surrogate escape, orjson does not: the line is still read (json's rule).
            fmt.line(change(9, "note")).replace(b"note 9", b"note \\ud800"),
            # orjson reads numbers past 64 bits as floats: json's verdict stands (a newer format; a count).
            fmt.line(change(8)).replace(b'"v":1', b'"v":' + b"9" * 40),
            fmt.line(change(6, "import", file="x.jsonl", count=10**30, source="an export")),
        ]
    ),
)


@given(
    st.lists(LINES, max_size=40),
    st.binary(max_size=12).filter(lambda b: b"\n" not in b),
    st.integers(1, 64),
    st.booleans(),
)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_block_reading_matches_line_by_line_reading(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], tail: bytes, chunk: int, with_orjson: bool
) -> None:
    path = tmp_path_factory.mktemp("log") / "dev-a.jsonl"
    path.write_bytes(b"".join(lines) + tail)
    problems = logs.Problems()
    original = logs.CHUNK, logs.ORJSON_FROM
    logs.CHUNK = chunk  # blocks smaller than a line: lines cross every boundary
    logs.ORJSON_FROM = 0 if with_orjson else 1 << 40  # (small logs are read with json alone)
    try:
        read = [entry for batch in logs.batches(path, problems) for entry in batch]
    finally:
        logs.CHUNK, logs.ORJSON_FROM = original
    found, damage, torn = by_lines(path)
    assert read == found
    assert [(d.line, d.reason) for d in problems.damage] == damage
    assert [(t.offset, t.size) for t in problems.torn] == torn
    for change_read, offset in read:  # each offset is where its line starts
        assert logs.read_at(path, offset) == change_read
    # the quick scan for cancelling changes finds the same ones, and counts every whole line
    counts = [0]
    original = logs.CHUNK
    logs.CHUNK = chunk
    try:
        scanned = list(logs.cancelling(path, counts))
    finally:
        logs.CHUNK = original
    assert scanned == [c for c, _ in found if c["op"] in ("undo", "redo", "import")]
    assert counts[0] == path.read_bytes().count(b"\n")


@pytest.mark.parametrize("reader", ["json", "orjson"])
def test_a_lone_surrogate_is_set_aside_by_either_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    # Valid JSON (json reads it; orjson refuses it), but no UTF-8 file can hold the text it decodes
    # to: believed, it made every cache write and export fail ("UnicodeEncodeError") on every machine.
    monkeypatch.setattr(logs, "ORJSON_FROM", 0 if reader == "orjson" else 1 << 40)
    if reader == "json":
        monkeypatch.delitem(sys.modules, "orjson", raising=False)
    path = tmp_path / "dev-a.jsonl"
    odd = fmt.line(change(2, "note")).replace(b"note 2", b"half \\ud83d of a pair")
    path.write_bytes(fmt.line(change(1)) + odd + fmt.line(change(3, "start", units=["beta"], targets=["beta"])))
    result = fold([Source(path=path)], {})
    assert [(d.line, d.reason) for d in result.problems.damage] == [
        (2, "it holds text that is not valid Unicode (a lone surrogate)")
    ]
    state = state_data(result.state)
    assert "notes" not in state["items"]["alpha"]
    assert state["items"]["beta"]["status"] == "in_progress"
    json.dumps(state, ensure_ascii=False).encode("utf-8")  # what the cache writes: it can


def test_a_record_that_mentions_an_undo_does_not_count_as_one(tmp_path: Path) -> None:
    # A restore's record may carry fields aipm does not know; one spelled like an undo's op
    # is found by the quick scan for cancelling changes, and must not be taken for one.
    path = tmp_path / "dev-a.jsonl"
    restore = change(2, "restore", state={"alpha": {"status": "done", "completed_on": "2026-10-01", "op": "undo"}})
    path.write_bytes(fmt.line(change(1, "start")) + fmt.line(restore))
    assert cancellations([Source(path=path)]).cancelled == set()
    assert state_data(fold([Source(path=path)], {}).state)["items"]["alpha"]["status"] == "done"


def test_lines_out_of_order_in_one_file_fold_like_sorted_ones(tmp_path: Path) -> None:
    first, second, third = change(1, "start"), change(2, "done"), change(3, "reset")
    shuffled = tmp_path / "shuffled" / "dev-a.jsonl"
    shuffled.parent.mkdir()
    shuffled.write_bytes(fmt.line(third) + fmt.line(first) + fmt.line(second))
    ordered = tmp_path / "ordered" / "dev-a.jsonl"
    ordered.parent.mkdir()
    ordered.write_bytes(fmt.line(first) + fmt.line(second) + fmt.line(third))
    assert state_data(fold([Source(path=shuffled)], {}).state) == state_data(fold([Source(path=ordered)], {}).state)
    assert "alpha" not in state_data(fold([Source(path=shuffled)], {}).state)["items"]


def test_two_files_merge_in_id_order_and_keep_each_line_s_place(tmp_path: Path) -> None:
    a, b = tmp_path / "dev-a.jsonl", tmp_path / "dev-b.jsonl"
    a.write_bytes(fmt.line(change(1, "start")) + fmt.line(change(3, "reset")))
    b.write_bytes(fmt.line(change(2, "done", device="dev-b")) + fmt.line(change(4, "done", device="dev-b")))
    result = fold([Source(path=a), Source(path=b)], {})
    assert state_data(result.state)["items"]["alpha"]["status"] == "done"
    refs = result.refs["alpha"]
    assert [r[1] for r in refs] == ["dev-a.jsonl", "dev-b.jsonl", "dev-a.jsonl", "dev-b.jsonl"]
    for change_id, name, offset in refs:
        assert logs.read_at(tmp_path / name, offset)["id"] == change_id  # type: ignore[index]


def test_the_same_change_in_two_files_counts_once(tmp_path: Path) -> None:
    a, b = tmp_path / "dev-a.jsonl", tmp_path / "import.jsonl"
    shared = fmt.line(change(1, "note"))
    a.write_bytes(shared + fmt.line(change(2, "note", text="own")))
    b.write_bytes(shared)
    result = fold([Source(path=a), Source(path=b)], {})
    assert result.changes == 2
    assert [n["text"] for n in state_data(result.state)["items"]["alpha"]["notes"]] == ["note 1", "own"]
