"""The change log and its fold, tested directly on a tiny hand-made roadmap (no CLI)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aipm_cli.errors import AipmError, InputError, StoreError
from aipm_cli.marking import ChangeRequest, plan_change, plan_note, plan_rating, plan_removal, resolve
from aipm_cli.record import changes as fmt
from aipm_cli.record import ids
from aipm_cli.record.fold import Source, fold
from aipm_cli.record.ledger import Ledger
from aipm_cli.record.state import State, state_data
from aipm_cli.roadmap.loading import parse_roadmap_text

TINY = b"""\
id: tiny
title: Tiny
version: "1"
skills:
  - {id: craft, title: Craft}
phases:
  - id: p
    title: P
    modules:
      - id: m
        title: M
        items:
          - {id: alpha, title: Alpha, kind: topic, aliases: [old-alpha]}
          - {id: beta, title: Beta, kind: course}
          - id: proj
            title: Project
            kind: project
            deliverables:
              - {id: d-one, title: One}
              - {id: d-two, title: Two}
          - {id: cert, title: Cert, kind: certification}
"""
ROADMAP = parse_roadmap_text(TINY, "tiny.yaml")
INDEX = ROADMAP.index
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> datetime:
        self.moment += timedelta(minutes=7)
        return self.moment


def ledger(root: Path, device: str = "dev-a", clock: Clock | None = None) -> Ledger:
    return Ledger(root, "ada", "tiny", INDEX.aliases, device=lambda: device, now=clock or Clock())


def mark(book: Ledger, verb: str, *names: str, on: date | None = None, **extra: Any) -> list[dict[str, Any]]:
    targets = [resolve(INDEX, n) for n in names]
    request = ChangeRequest(verb=verb, on=on or date(2026, 10, 1), **extra)  # type: ignore[arg-type]

    def build(state: State) -> list[dict[str, Any]]:
        result = plan_change(INDEX, state, targets, request)
        return [c for c in (result.change, result.correction) if c]

    return book.record(build).changes


def fresh(book: Ledger, as_of: date | None = None) -> dict[str, Any]:
    """The fold of the files as they are, with no cache."""
    return state_data(fold(book.sources(), INDEX.aliases, as_of=as_of).state)


# --------------------------------------------------------------------------- #
# Unit tests of the rules
# --------------------------------------------------------------------------- #


def test_a_change_is_one_line_with_every_field(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "alpha", on=date(2026, 9, 1), note="n", evidence=["https://e/1", "e2"])
    lines = book.own_file.read_bytes().splitlines()
    assert len(lines) == 1
    change = json.loads(lines[0])
    assert set(change) == {"v", "id", "at", "on", "device", "op", "targets", "units", "note", "evidence"}
    assert change["on"] == "2026-09-01" and change["at"].startswith("2026-10-01T09:07:00")
    assert change["device"] == "dev-a" and change["evidence"] == ["https://e/1", "e2"]
    assert lines[0] == fmt.line(change).rstrip(b"\n")  # canonical: sorted keys, compact


def test_ids_sort_in_recording_order_even_when_the_clock_goes_back(tmp_path: Path) -> None:
    clock = Clock()
    book = ledger(tmp_path, clock=clock)
    mark(book, "start", "alpha")
    clock.moment -= timedelta(days=30)  # the machine's clock went back
    mark(book, "done", "alpha")
    ids = [json.loads(line)["id"] for line in book.own_file.read_bytes().splitlines()]
    assert ids == sorted(ids) and len(set(ids)) == 2
    assert book.state().items["alpha"].status == "done"


def test_module_change_expands_units_and_project_follows_deliverables(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    (change,) = mark(book, "done", "m")
    assert change["targets"] == ["m"]
    assert set(change["units"]) == {"alpha", "beta", "proj", "d-one", "d-two", "cert"}
    state = book.state()
    assert all(state.items[u].status == "done" for u in change["units"])


def test_start_on_a_done_item_is_refused_and_keeps_its_dates(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "alpha", on=date(2026, 9, 1))
    with pytest.raises(InputError, match="already done on 2026-09-01"):
        mark(book, "start", "alpha")
    assert book.state().items["alpha"].completed_on == date(2026, 9, 1)
    assert len(book.own_file.read_bytes().splitlines()) == 1


def test_done_before_start_is_refused(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "start", "beta", on=date(2026, 9, 10))
    with pytest.raises(InputError, match="started on 2026-09-10"):
        mark(book, "done", "beta", on=date(2026, 9, 1))


def test_certification_update_keeps_the_earned_date(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "cert", on=date(2026, 9, 1), credential="C-1")
    mark(book, "done", "cert", on=date(2026, 9, 20), expires=date(2028, 1, 1))
    rec = book.state().items["cert"]
    assert (rec.completed_on, rec.credential, rec.expires_on) == (date(2026, 9, 1), "C-1", date(2028, 1, 1))
    with pytest.raises(InputError, match="before 'cert' was earned"):
        mark(book, "done", "cert", expires=date(2026, 8, 1))


def test_latest_rating_is_the_one_with_the_latest_date(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    book.record(lambda s: [plan_rating("craft", 3, date(2026, 9, 20), None)])
    book.record(lambda s: [plan_rating("craft", 1, date(2026, 8, 1), "backdated first")])
    ratings = book.state().skills["craft"]
    assert [r.level for r in ratings] == [1, 3]


def test_notes_carry_their_own_date_into_as_of(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    target = resolve(INDEX, "alpha")
    book.record(lambda s: [plan_note(target, "early", date(2026, 9, 1))])
    book.record(lambda s: [plan_note(target, "late", date(2026, 9, 30))])
    assert [n.text for n in book.as_of(date(2026, 9, 15)).items["alpha"].notes] == ["early"]
    assert [n.text for n in book.state().items["alpha"].notes] == ["early", "late"]


def test_backdated_done_counts_from_its_date_in_as_of(tmp_path: Path) -> None:
    """start X on 11-01, then `done X --on 10-01` recorded later: every as-of agrees with today."""
    clock = Clock()
    book = ledger(tmp_path, clock=clock)
    mark(book, "done", "beta", on=date(2026, 10, 1))
    assert book.as_of(date(2026, 10, 15)).items["beta"].status == "done"
    assert "beta" not in book.as_of(date(2026, 9, 30)).items


def test_undo_of_a_change_made_under_an_old_id_works_after_a_rename(tmp_path: Path) -> None:
    old = Ledger(tmp_path, "ada", "tiny", {}, device=lambda: "dev-a", now=Clock())
    # Recorded when the item was still called old-alpha (no alias known yet).
    old.record(lambda s: [{"op": "done", "targets": ["old-alpha"], "units": ["old-alpha"], "on": "2026-10-01"}])
    book = ledger(tmp_path)
    assert book.state().items["alpha"].status == "done"  # the alias carries progress
    undone = book.undo(date(2026, 10, 2))
    assert undone["targets"] == ["old-alpha"]
    assert "alpha" not in book.state().items  # ... and undo
    assert fresh(book) == state_data(book.state())


def test_undo_redo_and_nothing_left(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "start", "alpha")
    mark(book, "done", "beta")
    book.undo(date(2026, 10, 2))
    assert "beta" not in book.state().items
    book.redo(date(2026, 10, 2))
    assert book.state().items["beta"].status == "done"
    book.undo(date(2026, 10, 2))
    book.undo(date(2026, 10, 2))
    assert book.state().items == {}
    with pytest.raises(AipmError, match="nothing to undo"):
        book.undo(date(2026, 10, 2))
    assert fresh(book) == state_data(book.state())
    # every undo and redo is a line of its own: nothing was rewritten
    ops = [json.loads(line)["op"] for line in book.own_file.read_bytes().splitlines()]
    assert ops == ["start", "done", "undo", "redo", "undo", "undo"]


def test_redo_after_a_new_change_has_nothing_to_redo(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "alpha")
    book.undo(date(2026, 10, 2))
    mark(book, "done", "beta")
    with pytest.raises(AipmError, match="nothing to redo"):
        book.redo(date(2026, 10, 2))


def test_import_is_a_union_and_undo_undoes_it_whole(tmp_path: Path) -> None:
    a = ledger(tmp_path / "a", "dev-a")
    b = ledger(tmp_path / "b", "dev-b")
    mark(a, "done", "alpha", note="from a")
    mark(b, "start", "beta")
    incoming = list(a.changes())
    assert b.import_changes(incoming, "a.json") == 1
    assert b.import_changes(incoming, "a.json") == 0  # twice adds nothing
    assert b.state().items["alpha"].status == "done" and b.state().items["beta"].status == "in_progress"
    b.undo(date(2026, 10, 2))
    assert "alpha" not in b.state().items and b.state().items["beta"].status == "in_progress"
    assert fresh(b) == state_data(b.state())


# --------------------------------------------------------------------------- #
# Damage, torn lines, newer formats
# --------------------------------------------------------------------------- #


def test_a_torn_last_line_is_ignored_then_set_aside_by_the_next_write(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "alpha")
    with open(book.own_file, "ab") as handle:
        handle.write(b'{"v":1,"id":"01KA')  # a crash mid-append
    reader = ledger(tmp_path)
    assert reader.state().items["alpha"].status == "done"
    assert reader.problems().torn and not reader.problems().damage
    mark(reader, "done", "beta")
    kept = list((tmp_path / "learners" / "ada" / "backups").glob("torn-*"))
    assert [p.read_bytes() for p in kept] == [b'{"v":1,"id":"01KA']
    lines = book.own_file.read_bytes().splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines)


@pytest.mark.parametrize(
    "bad, why",
    [
        (b"not json", "not valid JSON"),
        (b'{"v":1}', "id"),
        (b"[" * 100000, "nested too deeply"),
        (b'{"v":1,"id":"' + b"9" * 5000 + b'"}', "id"),
        (b'{"v":1,"id":"01KAAAAAAAAAAAAAAAAAAAAAAA","at":"2026-10-01T09:00:00+00:00","on":"2026-10-01",'
         b'"device":"x","op":"done","targets":["a"],"units":["a"],"level":' + b"9" * 5000 + b"}", "number too large"),
    ],
)  # fmt: skip
def test_a_line_that_cannot_be_read_stops_writes_and_names_the_line(tmp_path: Path, bad: bytes, why: str) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "alpha")
    with open(book.own_file, "ab") as handle:
        handle.write(bad + b"\n")
    before = book.own_file.read_bytes()
    reader = ledger(tmp_path)
    assert reader.state().items["alpha"].status == "done"  # reads show what they can
    assert reader.problems().damage[0].line == 2 and why in reader.problems().damage[0].reason
    with pytest.raises(StoreError, match=r"line 2"):
        mark(reader, "done", "beta")
    with pytest.raises(StoreError, match=r"line 2"):
        reader.undo(date(2026, 10, 2))
    assert book.own_file.read_bytes() == before


def test_a_change_from_a_newer_aipm_stops_writes(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "alpha")
    change = json.loads(book.own_file.read_bytes().splitlines()[0])
    change.update(v=2, id=ids.new_id(datetime.now(UTC)))
    with open(book.own_file, "ab") as handle:
        handle.write(fmt.line(change))
    with pytest.raises(StoreError, match="newer aipm"):
        mark(ledger(tmp_path), "done", "beta")


def test_the_cache_is_rebuilt_when_it_does_not_match_the_logs(tmp_path: Path) -> None:
    book = ledger(tmp_path)
    mark(book, "done", "alpha")
    assert book.cache_file.exists()
    other = ledger(tmp_path, "dev-b")
    mark(other, "done", "beta")  # another device's file appears (a sync)
    assert set(ledger(tmp_path).state().items) == {"alpha", "beta"}
    book.cache_file.write_text('{"key": "forged", "state": {"items": {}}}')
    assert set(ledger(tmp_path).state().items) == {"alpha", "beta"}
    book.cache_file.unlink()
    assert set(ledger(tmp_path).state().items) == {"alpha", "beta"}


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666, 0o622])
def test_a_cache_others_could_have_written_is_never_believed(tmp_path: Path, mode: int) -> None:
    """A cache with the right key that the group or others can write may have been planted: it is folded again."""
    import json

    book = ledger(tmp_path)
    mark(book, "done", "alpha")
    data = json.loads(book.cache_file.read_bytes())
    data["state"]["items"] = {}  # a planted cache that says nothing is done, under the logs' own key
    book.cache_file.write_text(json.dumps(data))
    book.cache_file.chmod(0o600)
    assert set(ledger(tmp_path).state().items) == set()  # (ours: believed, as caches are)
    book.cache_file.chmod(mode)
    assert set(ledger(tmp_path).state().items) == {"alpha"}


def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        book = ledger(tmp_path)
        mark(book, "done", "alpha")
    finally:
        os.umask(old)
    assert book.own_file.stat().st_mode & 0o777 == 0o600
    assert book.changes_dir.stat().st_mode & 0o777 == 0o700
    assert book.cache_file.stat().st_mode & 0o777 == 0o600


# --------------------------------------------------------------------------- #
# Properties
# --------------------------------------------------------------------------- #

UNITS = ["alpha", "beta", "d-one", "d-two", "cert", "old-alpha"]
DAYS = [date(2026, 9, 1) + timedelta(days=n) for n in range(0, 40, 3)]


@st.composite
def change_lists(draw: st.DrawFn, device: str) -> list[dict[str, Any]]:
    """Changes as devices write them, undos naming earlier changes of the same device."""
    out: list[dict[str, Any]] = []
    moment = START + timedelta(seconds=draw(st.integers(0, 500)))
    for _ in range(draw(st.integers(0, 8))):
        moment += timedelta(minutes=draw(st.integers(1, 600)))
        on = draw(st.sampled_from(DAYS)).isoformat()
        kind = draw(
            st.sampled_from(["start", "done", "skip", "reset", "note", "assess", "undo", "redate", "remove", "forget"])
        )
        base = {"v": 1, "id": ids.new_id(moment), "at": moment.isoformat(), "on": on, "device": device}
        if kind == "undo":  # as aipm writes them: an undo names a change that is not an undo
            undoable = [c for c in out if c["op"] != "undo"]
            if not undoable:
                continue
            change = {**base, "op": "undo", "target": draw(st.sampled_from(undoable))["id"]}
        elif kind == "note":
            change = {
                **base,
                "op": "note",
                "targets": [draw(st.sampled_from(UNITS))],
                "text": draw(st.text(max_size=5)),
            }
        elif kind == "assess":
            change = {**base, "op": "assess", "skill": "craft", "level": draw(st.integers(1, 5))}
        elif kind == "redate":
            units = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True))
            status = draw(st.sampled_from(["in_progress", "done"]))
            change = {**base, "op": "redate", "targets": units[:1], "units": units, "status": status}
        elif kind == "remove":  # the notes and evidence of earlier changes, by their entry ids
            entries = [c["id"] for c in out if c["op"] == "note"] + [f"{c['id']}.0" for c in out if c.get("evidence")]
            if not entries:
                continue
            gone = draw(st.lists(st.sampled_from(entries), min_size=1, max_size=2, unique=True))
            change = {**base, "op": "remove", "targets": [draw(st.sampled_from(UNITS))], "entries": gone}
        elif kind == "forget":
            units = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=2, unique=True))
            change = {**base, "op": "forget", "units": units}
        else:
            units = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True))
            change = {**base, "op": kind, "targets": units[:1], "units": units}
            if kind == "done" and draw(st.booleans()):
                change["evidence"] = [draw(st.text(min_size=1, max_size=4))]
        out.append(fmt.check(change))
    return out


def with_past(root: Path, history: list[dict[str, Any]]) -> tuple[Clock, Ledger]:
    """A ledger whose device already holds `history`, with a clock after all of it."""
    if history:
        folder = ledger(root).changes_dir
        folder.mkdir(parents=True)
        (folder / "past.jsonl").write_bytes(b"".join(fmt.line(c) for c in sorted(history, key=lambda c: c["id"])))
    clock = Clock()
    clock.moment = datetime(2027, 1, 1, tzinfo=UTC)
    return clock, ledger(root, clock=clock)


def fold_of(*groups: list[dict[str, Any]], as_of: date | None = None) -> dict[str, Any]:
    return state_data(
        fold([Source(changes=sorted(g, key=lambda c: c["id"])) for g in groups], INDEX.aliases, as_of).state
    )


three = st.tuples(change_lists("a"), change_lists("b"), change_lists("c"))


@given(three)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_merge_is_commutative_associative_and_idempotent(devices: tuple[list[dict[str, Any]], ...]) -> None:
    a, b, c = devices
    one = fold_of(a, b, c)
    assert fold_of(c, a, b) == one  # any order
    assert fold_of(a + b, c) == one and fold_of(a, b + c) == one  # any grouping
    assert fold_of(a, b, c, a, b) == one  # the same changes twice count once
    assert fold_of(a + b + c) == one  # as if one device had made them all


@given(three, st.sampled_from(DAYS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_as_of_is_the_fold_of_what_was_dated_on_or_before(devices: tuple[list[dict[str, Any]], ...], day: date) -> None:
    everything = [c for group in devices for c in group]
    assert fold_of(everything, as_of=date(2100, 1, 1)) == fold_of(everything)  # as-of today = current
    as_of = fold_of(everything, as_of=day)
    # For each unit: the as-of state is the fold of that unit's changes in effect dated <= day.
    cancelled = {c["target"] for c in everything if c["op"] == "undo"}
    for unit in ("alpha", "beta", "d-one"):
        names = {unit} | {k for k, v in INDEX.aliases.items() if v == unit}
        own = [
            c for c in everything
            if c["op"] != "undo" and c["id"] not in cancelled and c["on"] <= day.isoformat()
            and names & set(c.get("units", []) + c.get("targets", []))
        ]  # fmt: skip
        alone = fold_of(own)["items"].get(unit)
        assert as_of["items"].get(unit) == alone


@given(st.lists(st.tuples(st.sampled_from(["start", "done", "skip", "reset", "note", "rate", "undo", "redo",
                                           "redate-done", "redate-start", "remove", "forget"]),
                          st.sampled_from(["alpha", "beta", "m", "proj", "d-one", "cert"]),
                          st.sampled_from(DAYS)), max_size=14))  # fmt: skip
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_the_cache_always_equals_a_fresh_fold(tmp_path_factory: pytest.TempPathFactory, steps: list) -> None:  # type: ignore[type-arg]
    """Writes, undos and redos update the cache without folding; it must equal folding everything."""
    root = tmp_path_factory.mktemp("cache")
    clock = Clock()
    for verb, name, day in steps:
        book = ledger(root, clock=clock)
        before = state_data(book.state())
        try:
            if verb == "undo":
                book.undo(day)
            elif verb == "redo":
                book.redo(day)
            elif verb == "note":
                book.record(lambda s, n=name, d=day: [plan_note(resolve(INDEX, n), "n", d)])
            elif verb == "rate":
                book.record(lambda s, d=day: [plan_rating("craft", d.day % 5 + 1, d, None)])
            elif verb.startswith("redate"):
                mark(book, "done" if verb == "redate-done" else "start", name, on=day, dated=True)
            elif verb == "remove":
                book.record(lambda s, n=name: [plan_removal(s, resolve(INDEX, n), "note", 1)])
            elif verb == "forget":
                book.record(lambda s, n=name: [{"op": "forget", "units": [resolve(INDEX, n).id], "on": "2026-10-01"}])
            else:
                mark(book, verb, name, on=day)
        except AipmError:
            assert state_data(ledger(root, clock=clock).state()) == before  # a refusal changes nothing
        cached = state_data(ledger(root, clock=clock).state())
        assert cached == fresh(book)


@given(change_lists("a"))
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_undo_of_a_new_change_leaves_the_state_unchanged(
    tmp_path_factory: pytest.TempPathFactory, history: list
) -> None:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("undo")
    clock, book = with_past(root, history)
    before = state_data(book.state())
    rng = random.Random(len(history))
    verb = rng.choice(["start", "done", "skip", "reset"])
    try:
        made = mark(book, verb, rng.choice(["alpha", "beta", "m", "proj"]), on=date(2026, 12, 1))
    except AipmError:
        made = []
    assume(made)  # refused or a no-op: nothing to undo (counted by Hypothesis, not silently passed)
    book = ledger(root, clock=clock)
    book.undo(date(2026, 12, 1))
    assert state_data(ledger(root, clock=clock).state()) == before
    assert fresh(book) == before


def test_undo_further_back_than_the_cache_keeps_folds_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aipm_cli.record.fold as fold_module

    monkeypatch.setattr(fold_module, "KEEP_UNDO", 2)
    book = ledger(tmp_path)
    for name in ("alpha", "beta", "d-one", "d-two", "cert"):
        mark(book, "done", name)
    for left in (4, 3, 2, 1, 0):
        book = ledger(tmp_path)
        book.undo(date(2026, 10, 2))
        assert len(ledger(tmp_path).state().items) == left
        assert fresh(book) == state_data(ledger(tmp_path).state())


@given(change_lists("a"), st.sampled_from(["redate", "remove", "forget"]))
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_undo_of_a_correction_leaves_the_state_as_it_was(
    tmp_path_factory: pytest.TempPathFactory,
    history: list,
    kind: str,  # type: ignore[type-arg]
) -> None:
    """Corrections (a new date, a removed note, forgotten progress) are changes: undo brings back what was."""
    root = tmp_path_factory.mktemp("correct")
    clock, book = with_past(root, history)
    before = state_data(book.state())
    items = book.state().items
    if kind == "redate":
        try:
            made = mark(book, "done", "alpha", on=date(2026, 8, 1), dated=True) if "alpha" in items else []
        except AipmError:  # alpha is in progress since a later date: refused, nothing written
            made = []
    elif kind == "remove":
        holder = next((k for k, v in items.items() if v.notes and v.notes[0].id), None)
        made = book.record(lambda s: [plan_removal(s, resolve(INDEX, holder), "note", 1)]).changes if holder else []
    else:
        made = (
            book.record(lambda s: [{"op": "forget", "units": sorted(s.items), "on": "2026-12-01"}]).changes
            if items
            else []
        )
    assume(made)
    assert state_data(ledger(root, clock=clock).state()) != before or kind == "redate"
    book = ledger(root, clock=clock)
    book.undo(date(2026, 12, 1))
    assert state_data(ledger(root, clock=clock).state()) == before
    assert fresh(book) == before
