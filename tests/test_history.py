"""The history is read lazily: what that must never cost in safety."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Run


def _history_lines(store_path: Path) -> list[str]:
    lines = store_path.read_text().splitlines()
    return [line.strip().rstrip(",") for line in lines if line.lstrip().startswith('{"action"')]


def test_history_lines_nobody_read_are_written_back_verbatim(run: Run, store_path: Path) -> None:
    run("done", "ai-for-everyone", "--note", "ünïcödé & <b>")
    run("start", "user-research")
    before = _history_lines(store_path)
    run("done", "ml-pipeline")
    after = _history_lines(store_path)
    assert after[:2] == before
    assert len(after) == 3


def test_a_damaged_history_entry_is_refused_when_read_and_never_lost(run: Run, store_path: Path) -> None:
    run("done", "ai-for-everyone")
    run("start", "user-research")
    run("done", "ml-pipeline")
    text = store_path.read_text()
    first = _history_lines(store_path)[0]
    damaged = first.replace('"action": "done"', '"action": "exploded"')
    store_path.write_text(text.replace(first, damaged))
    # reading the whole history names the file and changes nothing
    for args in (("log",), ("show", "ai-for-everyone")):
        result = run(*args)
        assert result.exit_code == 1
        assert f"Cannot read the progress store {store_path}: history entry 1 is damaged" in result.stderr
    doctor = json.loads(run("doctor", "--json").stdout)
    assert doctor["healthy"] is False
    assert any("history entry 1 is damaged" in p for p in doctor["problems"])
    # a change that never reads that entry keeps it exactly as it was
    assert run("done", "product-lifecycle").exit_code == 0
    assert damaged in store_path.read_text()


def test_a_store_laid_out_by_hand_still_loads(run: Run, store_path: Path, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    run("start", "user-research")
    store_path.write_text(json.dumps(json.loads(store_path.read_text()), indent=4))  # someone's editor reformatted it
    assert [e["seq"] for e in run_json("log")] == [2, 1]
    assert run("done", "ml-pipeline").exit_code == 0
    assert [e["seq"] for e in run_json("log")] == [3, 2, 1]
    assert len(_history_lines(store_path)) == 3  # back in aipm's layout


def test_undo_of_an_old_entry_rewrites_only_that_line(run: Run, store_path: Path, run_json) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    run("done", "user-research")
    run("undo")
    lines = _history_lines(store_path)
    assert '"undone": true' in lines[1] and '"undone"' not in lines[0]
    assert run_json("show", "user-research")["status"] == "not_started"


def test_roadmap_cache_is_keyed_by_content_and_never_trusted_blindly(run: Run, home: Path, tmp_path: Path) -> None:
    plan = tmp_path / "mine.yaml"
    text = 'id: mine\ntitle: Mine\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n        title: M\n        items:\n          - {id: a, title: A, kind: topic}\n'
    plan.write_text(text)
    assert run("--roadmap", str(plan), "done", "a").exit_code == 0
    cached = list((home / "cache" / "roadmaps").iterdir())
    assert len(cached) == 1
    # a cache file that now says something invalid is validated, refused and ignored
    cached[0].write_text(json.dumps({"id": "mine", "title": "", "version": "1", "phases": []}))
    assert run("--roadmap", str(plan), "start", "a").exit_code == 0
    # an invalid roadmap is never cached, and is refused with its problems
    plan.write_text(text.replace("kind: topic", "kind: lecture"))
    result = run("--roadmap", str(plan), "done", "a")
    assert result.exit_code == 1
    assert "'lecture' is not allowed here" in result.stderr
    assert len(list((home / "cache" / "roadmaps").iterdir())) == 1


def _entries(count: int) -> list:  # type: ignore[type-arg]
    from datetime import UTC, datetime, timedelta

    from aipm_cli.models import HistoryEntry, ItemProgress

    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        HistoryEntry(seq=n + 1, at=start + timedelta(hours=n), action="done", items=[f"item-{n}"],
                     note=f'note {n}, with "quotes" and ünïcödé', after={f"item-{n}": ItemProgress(status="done")})
        for n in range(count)
    ]  # fmt: skip


@given(st.integers(0, 40), st.data())
@settings(max_examples=60, deadline=None)
def test_lazy_history_reads_and_appends_like_a_list(count: int, data: st.DataObject) -> None:
    from datetime import UTC, datetime

    from aipm_cli.models import HistoryEntry, RoadmapProgress, StoreDoc
    from aipm_cli.store import decode, serialize

    entries = _entries(count)
    doc = StoreDoc(schema_version=1, user="ada", roadmaps={"r": RoadmapProgress(history=entries)})
    raw = serialize(doc)
    path = Path("progress.json")
    # the newest first (what done and undo read), then any position, then everything
    history = decode(raw, path)[0].roadmaps["r"].history
    assert len(history) == count
    if count:
        assert history[-1] == entries[-1]
        index = data.draw(st.integers(0, count - 1))
        assert history[index] == entries[index]
        assert list(reversed(history)) == entries[::-1]
    # appending writes every old line back and the new one after them
    fresh = decode(raw, path)[0]
    if count:
        fresh.roadmaps["r"].history[-1]  # read, unchanged
    added = HistoryEntry(seq=count + 1, at=datetime(2027, 1, 1, tzinfo=UTC), action="start", items=["x"])
    fresh.roadmaps["r"].history.append(added)
    again = decode(serialize(fresh), path)[0].roadmaps["r"].history
    assert list(again) == [*entries, added]
