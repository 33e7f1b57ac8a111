"""The record's rules on several machines, tested on the core directly (no CLI, no git): the
cache equals a fresh fold, and `log` says undone exactly where the fold does, after any
sequence of writes, undos, redos, imports and exchanges of files between data directories."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aipm_cli.errors import AipmError
from aipm_cli.marking import plan_note, plan_rating, resolve
from aipm_cli.record import changes as fmt
from aipm_cli.record import ids
from aipm_cli.record.fold import Source, cancellations, fold
from aipm_cli.record.ledger import Ledger
from aipm_cli.record.state import state_data
from test_record import INDEX, Clock, fresh, mark

DAYS = [date(2026, 9, d) for d in (1, 5, 9, 14, 20)]
VERBS = ["start", "done", "skip", "reset", "note", "rate", "undo", "undo-any", "redo", "sync", "import",
         "import-replace", "foreign-undo"]  # fmt: skip
# What makes machines disagree (undos and redos crossing a sync) drawn more often than the rest.
WEIGHTED = [*VERBS, "done", "undo", "undo-any", "redo", "sync", "sync", "redo", "undo-any"]


def book_of(root: Path, number: int, clock: Clock) -> Ledger:
    return Ledger(root / f"m{number}", "ada", "tiny", INDEX.aliases, device=lambda: f"dev-{number}", now=clock)


def exchange(root: Path, a: int, b: int) -> None:
    """What sync does to the files: each side gets the other's files (append-only: the longer copy)."""
    folders = [root / f"m{n}" / "learners" / "ada" / "tiny" / "changes" for n in (a, b)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for source, target in ((folders[0], folders[1]), (folders[1], folders[0])):
        for path in source.glob("*.jsonl"):
            there = target / path.name
            if not there.exists() or there.stat().st_size < path.stat().st_size:
                shutil.copyfile(path, there)


def import_from(root: Path, into: Ledger, other: int, clock: Clock) -> None:
    """`aipm import` of the other machine's export: every change it knows, as one import."""
    source = book_of(root, other, clock)
    into.import_changes(list(source.changes()), f"m{other}.json")


def foreign_undo(book: Ledger, clock: Clock) -> None:
    """What the command line never writes but an import or a sync can bring: an undo of the newest
    undo, redo or import (an undo of an undo, of a redo, of an import), from another device's log."""
    found = [c for c in book.changes() if c["op"] in ("undo", "redo", "import")]
    if not found:
        return
    target = found[-1]
    newest = max(c["id"] for c in book.changes())
    change = {"v": 1, "id": ids.new_id(clock(), newest), "at": clock().isoformat(), "on": "2026-10-01",
              "device": "dev-9", "op": "undo", "target": target["id"]}  # fmt: skip
    book.changes_dir.mkdir(parents=True, exist_ok=True)
    with open(book.changes_dir / "dev-9.jsonl", "ab") as out:
        out.write(fmt.line(change))


def log_flags(book: Ledger) -> dict[str, bool]:
    return {c["id"]: undone for c, undone in book.newest_first()}


def fold_flags(book: Ledger) -> dict[str, bool]:
    cancel = cancellations(book.sources())
    return {c["id"]: cancel.out(c["id"]) for c in book.changes()}


def steps(machines: int) -> st.SearchStrategy[list[tuple[int, str, str, date, int]]]:
    step = st.tuples(
        st.integers(0, machines - 1),  # the machine
        st.sampled_from(WEIGHTED),
        st.sampled_from(["alpha", "alpha", "beta", "m", "proj"]),
        st.sampled_from(DAYS),
        st.integers(0, machines - 1),  # the other machine (sync, import)
    )
    return st.lists(step, min_size=1, max_size=16)


def run_machines(root: Path, machines: int, plan: list[tuple[int, str, str, date, int]]) -> None:
    clock = Clock()
    for number, verb, name, day, other in plan:
        book = book_of(root, number, clock)
        try:
            if verb == "undo":
                book.undo(day)
            elif verb == "undo-any":
                book.undo(day, any_device=True)
            elif verb == "redo":
                book.redo(day)
            elif verb == "note":
                book.record(lambda s, n=name, d=day: [plan_note(resolve(INDEX, n), "n", d)])
            elif verb == "rate":
                book.record(lambda s, d=day: [plan_rating("craft", d.day % 5 + 1, d, None)])
            elif verb == "sync":
                if other != number:
                    exchange(root, number, other)
            elif verb == "import":
                if other != number:
                    import_from(root, book, other, clock)
            elif verb == "import-replace":
                if other != number:
                    source = book_of(root, other, clock)
                    book.import_changes(list(source.changes()), f"m{other}.json", replace=True)
            elif verb == "foreign-undo":
                foreign_undo(book, clock)
            else:
                mark(book, verb, name, on=day)
        except AipmError:
            pass  # refused: what it left is checked like anything else
        for n in range(machines):
            machine = book_of(root, n, clock)
            loaded = machine.load()  # the cache, as the next command reads it
            folded = fold(machine.sources(), INDEX.aliases)
            assert state_data(loaded.state) == state_data(folded.state), f"machine {n} after {verb}"
            assert (loaded.in_effect, loaded.max_id) == (folded.in_effect, folded.max_id), f"machine {n} after {verb}"
            assert log_flags(machine) == fold_flags(machine)


@given(steps(2))
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_two_machines_never_disagree_with_a_fresh_fold(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[int, str, str, date, int]]
) -> None:
    run_machines(tmp_path_factory.mktemp("machines"), 2, plan)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 1),
            st.sampled_from(["done", "undo", "redo", "foreign-undo", "sync", "import", "undo-any"]),
            st.just("alpha"),
            st.sampled_from(DAYS),
            st.integers(0, 1),
        ),
        min_size=2,
        max_size=10,
    )
)
@example(
    [
        (0, "done", "alpha", DAYS[0], 0),
        (0, "undo", "alpha", DAYS[0], 0),
        (0, "redo", "alpha", DAYS[0], 0),
        (0, "foreign-undo", "alpha", DAYS[0], 0),
    ]
)  # an undone redo: the log once kept its target in effect
@example(
    [
        (0, "done", "alpha", DAYS[0], 0),
        (0, "sync", "alpha", DAYS[0], 1),
        (0, "undo", "alpha", DAYS[0], 0),
        (1, "undo-any", "alpha", DAYS[0], 0),
        (0, "sync", "alpha", DAYS[0], 1),
        (0, "redo", "alpha", DAYS[0], 0),
    ]
)  # two machines undo one change, one redoes: the cache once drifted
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_undos_of_undos_redos_and_imports_never_disagree(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[int, str, str, date, int]]
) -> None:
    """Cancellation alone, on one item: where the log's and the fold's rules could part."""
    run_machines(tmp_path_factory.mktemp("cancel"), 2, plan)


@given(steps(3))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_three_machines_never_disagree_with_a_fresh_fold(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[int, str, str, date, int]]
) -> None:
    run_machines(tmp_path_factory.mktemp("machines"), 3, plan)


def test_log_and_fold_agree_on_an_undone_redo_that_arrives_by_import(tmp_path: Path) -> None:
    # The CLI never writes an undo of a redo, but another machine's export can hold one.
    clock = Clock()
    a = book_of(tmp_path, 0, clock)
    (done,) = mark(a, "done", "alpha")
    undo = a.finish({"op": "undo", "target": done["id"], "on": "2026-10-01"}, done["id"])
    redo = a.finish({"op": "redo", "target": undo["id"], "on": "2026-10-01"}, undo["id"])
    undo_redo = a.finish({"op": "undo", "target": redo["id"], "on": "2026-10-01"}, redo["id"])
    b = book_of(tmp_path, 1, clock)
    b.import_changes([done, undo, redo, undo_redo], "a.json")
    assert fold_flags(b)[done["id"]] is True  # the undo stands again: done is out
    assert log_flags(b) == fold_flags(b)
    assert "alpha" not in fresh(b)["items"]


def test_redo_says_why_when_another_machines_undo_still_stands(tmp_path: Path) -> None:
    clock = Clock()
    a, b = book_of(tmp_path, 0, clock), book_of(tmp_path, 1, clock)
    mark(a, "done", "alpha")
    exchange(tmp_path, 0, 1)
    a.undo(date(2026, 10, 2))
    b = book_of(tmp_path, 1, clock)
    b.undo(date(2026, 10, 2), any_device=True)  # both machines undo the same change, offline
    exchange(tmp_path, 0, 1)
    a = book_of(tmp_path, 0, clock)
    with pytest.raises(AipmError, match="dev-1"):
        a.redo(date(2026, 10, 3))  # the other machine's undo would still stand: say so, write nothing
    assert state_data(book_of(tmp_path, 0, clock).state()) == fresh(a)
    assert "alpha" not in fresh(a)["items"]


def test_an_undo_after_a_sync_takes_back_this_devices_own_change(tmp_path: Path) -> None:
    clock = Clock()
    a, b = book_of(tmp_path, 0, clock), book_of(tmp_path, 1, clock)
    mark(a, "done", "alpha")
    mark(b, "start", "beta")  # newer, on the other machine
    exchange(tmp_path, 0, 1)
    a = book_of(tmp_path, 0, clock)
    undone = a.undo(date(2026, 10, 2))
    assert undone["device"] == "dev-0" and undone["op"] == "done"
    state = fresh(a)
    assert "alpha" not in state["items"] and state["items"]["beta"]["status"] == "in_progress"
    assert state_data(book_of(tmp_path, 0, clock).state()) == state
    # --any: the newest change in effect, whichever machine made it
    undone = book_of(tmp_path, 0, clock).undo(date(2026, 10, 2), any_device=True)
    assert undone["device"] == "dev-1"


def test_ids_never_go_down_after_a_forged_one_is_refused(tmp_path: Path) -> None:
    clock = Clock()
    a = book_of(tmp_path, 0, clock)
    mark(a, "start", "alpha")
    forged: dict[str, Any] = {
        "v": 1, "id": "Z" * 26, "at": "2026-10-01T00:00:00+00:00", "on": "2026-10-01", "device": "dev-9",
        "op": "reset", "targets": ["alpha"], "units": ["alpha"],
    }  # fmt: skip
    (a.changes_dir / "dev-9.jsonl").write_bytes(fmt.line(forged))
    with pytest.raises(AipmError, match="dated in the future"):
        mark(a, "done", "alpha")
    (a.changes_dir / "dev-9.jsonl").unlink()
    mark(book_of(tmp_path, 0, clock), "done", "alpha")
    assert fresh(a)["items"]["alpha"]["status"] == "done"


# --------------------------------------------------------------------------- #
# Bounded memory: a record holds a window of notes, counts the rest
# --------------------------------------------------------------------------- #


@given(steps(2), st.lists(st.sampled_from(["note", "remove", "undo", "redo", "done"]), max_size=10))
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
def test_a_small_window_of_notes_never_disagrees_with_a_fresh_fold(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[int, str, str, date, int]], extra: list[str]
) -> None:
    """The same machines with a window of two notes: notes pushed out, undone, removed, synced."""
    from aipm_cli.marking import plan_removal
    from aipm_cli.record import state as state_module

    original = state_module.NOTES_KEPT
    state_module.NOTES_KEPT = 2
    try:
        root = tmp_path_factory.mktemp("window")
        noted = [(0, "note", "alpha", DAYS[n % len(DAYS)], 1) for n in range(4)]
        run_machines(root, 2, noted + plan)
        clock = Clock()
        for verb in extra:
            book = book_of(root, 0, clock)
            try:
                if verb == "note":
                    book.record(lambda s: [plan_note(resolve(INDEX, "alpha"), "more", DAYS[0])])
                elif verb == "remove":
                    book.record(
                        lambda s: [plan_removal(s, resolve(INDEX, "alpha"), "note", s.record("alpha").note_count)]
                    )
                elif verb == "undo":
                    book.undo(DAYS[1])
                elif verb == "redo":
                    book.redo(DAYS[1])
                else:
                    mark(book, "done", "alpha", on=DAYS[2], note="with a note")
            except AipmError:
                pass
            cached = state_data(book_of(root, 0, clock).state())
            assert cached == fresh(book_of(root, 0, clock))
            kept = cached["items"].get("alpha", {})
            assert len(kept.get("notes", [])) <= 2
    finally:
        state_module.NOTES_KEPT = original


def test_a_window_counts_every_note_and_a_report_lists_them_all(tmp_path: Path) -> None:
    from aipm_cli.record import state as state_module

    clock = Clock()
    book = book_of(tmp_path, 0, clock)
    for number in range(state_module.NOTES_KEPT + 7):
        book.record(lambda s, n=number: [plan_note(resolve(INDEX, "alpha"), f"note {n}", DAYS[0])])
    rec = book_of(tmp_path, 0, clock).state().items["alpha"]
    assert len(rec.notes) == state_module.NOTES_KEPT and rec.earlier_notes == 7
    assert rec.notes[-1].text == f"note {state_module.NOTES_KEPT + 6}" and rec.notes[0].text == "note 7"
    every = book_of(tmp_path, 0, clock).full_state().items["alpha"]
    assert [n.text for n in every.notes] == [f"note {n}" for n in range(state_module.NOTES_KEPT + 7)]
    # an undo entry holds no notes: the cache stays the size of the window, however many notes arrive
    entry = book_of(tmp_path, 0, clock).load().undo_stack[-1]
    assert "notes" not in str(entry.get("units", {}))


def test_a_removal_of_a_note_older_than_the_window_is_counted(tmp_path: Path) -> None:
    # Another machine, which held that note in its window when it removed it, can name one this
    # machine only counts: the count must follow, as a fold with every note says.

    clock = Clock()
    book = book_of(tmp_path, 0, clock)
    made = [
        book.record(lambda s, n=n: [plan_note(resolve(INDEX, "alpha"), f"n{n}", DAYS[0])]).changes[0] for n in range(5)
    ]
    removal = book.finish({"op": "remove", "targets": ["alpha"], "entries": [made[0]["id"]]}, made[-1]["id"])
    everything = [*made, removal]
    windowed = fold([Source(changes=everything)], INDEX.aliases, keep=2).state.items["alpha"]
    whole = fold([Source(changes=everything)], INDEX.aliases, keep=None).state.items["alpha"]
    assert windowed.note_count == whole.note_count == 4
    assert [n.text for n in windowed.notes] == ["n3", "n4"] and windowed.earlier_notes == 2
