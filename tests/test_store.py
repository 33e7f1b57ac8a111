"""The store never loses a learner's progress: round trips, locks, crashes, bad files."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aipm_cli.errors import StoreError
from aipm_cli.models import (
    Certification,
    Evidence,
    HistoryEntry,
    ItemProgress,
    Note,
    RoadmapProgress,
    SkillRating,
    StoreDoc,
)
from aipm_cli.store import KEEP_BACKUPS, SCHEMA_VERSION, Store, decode, serialize

# --------------------------------------------------------------------------- #
# Hypothesis round trip
# --------------------------------------------------------------------------- #

ids = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5}){0,2}", fullmatch=True)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
texts = st.text(max_size=40)

records = st.builds(
    ItemProgress,
    status=st.sampled_from(["not_started", "in_progress", "done", "skipped"]),
    started_on=st.none() | days,
    completed_on=st.none() | days,
    skipped_on=st.none() | days,
    skip_reason=st.none() | texts,
    notes=st.lists(st.builds(Note, at=moments, text=texts), max_size=3),
    evidence=st.lists(st.builds(Evidence, at=moments, text=texts), max_size=2),
    certification=st.none() | st.builds(Certification, earned_on=st.none() | days, credential=st.none() | texts, expires_on=st.none() | days),
)  # fmt: skip
entries = st.builds(
    HistoryEntry,
    seq=st.integers(1, 10**6),
    at=moments,
    action=st.sampled_from(["start", "done", "skip", "reset", "note", "assess", "undo", "import"]),
    items=st.lists(ids, max_size=3),
    on=st.none() | days,
    note=st.none() | texts,
    before=st.dictionaries(ids, st.none() | records, max_size=2),
    after=st.dictionaries(ids, st.none() | records, max_size=2),
    undone=st.booleans(),
)
progresses = st.builds(
    RoadmapProgress,
    roadmap_version=st.none() | texts,
    items=st.dictionaries(ids, records, max_size=4),
    skills=st.dictionaries(ids, st.lists(st.builds(SkillRating, on=days, level=st.integers(1, 5), note=st.none() | texts), max_size=3), max_size=2),
    history=st.lists(entries, max_size=4),
)  # fmt: skip
docs = st.builds(
    StoreDoc,
    schema_version=st.just(SCHEMA_VERSION),
    user=ids,
    created=st.none() | moments,
    roadmaps=st.dictionaries(ids, progresses, max_size=2),
)


@given(docs)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_store_round_trips_losslessly(doc: StoreDoc) -> None:
    raw = serialize(doc)
    back, version = decode(raw, Path("progress.json"))
    assert back == doc
    assert serialize(back) == raw  # stable: saving again writes the same bytes
    assert version == SCHEMA_VERSION


def test_store_file_is_readable_json_with_sorted_keys(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone", "--note", "loved it")
    run("start", "digital-product-management")
    text = store_path.read_text()
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["user"] == "ada"
    roadmap = data["roadmaps"]["ai-product-manager"]
    assert roadmap["roadmap_version"] == "1.1.0"
    assert roadmap["items"]["ai-for-everyone"]["status"] == "done"
    assert list(roadmap) == sorted(roadmap)
    assert text.startswith('{\n  "created"')
    # one history entry per line
    history_lines = [line for line in text.splitlines() if '"action": ' in line]
    assert len(history_lines) == 2


# --------------------------------------------------------------------------- #
# Concurrency and crashes
# --------------------------------------------------------------------------- #

TWENTY = [
    "ai-for-everyone", "identifying-ai-opportunities", "cross-functional-collaboration", "product-strategy-and-roadmap",
    "ethics-and-risk-management", "ai-product-evaluation", "digital-product-management", "product-strategy",
    "user-research", "product-lifecycle", "agile-methodologies", "stakeholder-management", "product-analytics",
    "market-analysis", "competitive-research", "business-models", "value-proposition-design",
    "go-to-market-strategy", "ml-pipeline", "data-requirements",
]  # fmt: skip


@pytest.mark.slow
def test_twenty_concurrent_writers_all_land(store_path: Path) -> None:
    env = {**os.environ}
    procs = [
        subprocess.Popen([sys.executable, "-m", "aipm_cli", "done", item], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for item in TWENTY
    ]  # fmt: skip
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    data = json.loads(store_path.read_text())["roadmaps"]["ai-product-manager"]
    assert sorted(k for k, v in data["items"].items() if v["status"] == "done") == sorted(TWENTY)
    assert len(data["history"]) == 20
    assert sorted(h["seq"] for h in data["history"]) == list(range(1, 21))


WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from aipm_cli.models import ItemProgress, RoadmapProgress, HistoryEntry
from aipm_cli.store import Store

store = Store(Path(sys.argv[1]), "ada")
n = 0
while True:
    n += 1
    with store.transaction() as doc:
        rp = doc.roadmaps.setdefault("r", RoadmapProgress())
        rp.items[f"item-{n}"] = ItemProgress(status="done", notes=[])
        rp.history.append(HistoryEntry(seq=rp.next_seq(), at=datetime.now(UTC), action="done", items=[f"item-{n}"],
                                       note="x" * 2000))
    print(n, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_saves_leaves_a_loadable_store(tmp_path: Path) -> None:
    path = tmp_path / "learners" / "ada" / "progress.json"
    rng = random.Random(20261124)
    last_seen = 0
    for _ in range(25):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one save has completed
        time.sleep(rng.uniform(0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        doc = Store(path, "ada").load()  # never a broken store
        size = doc.history_size()
        assert size >= last_seen  # old or new, never less than what was saved before
        last_seen = size
        leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
        # A kill between mkstemp and rename can leave a temp file; it never replaces the store.
        for name in leftovers:
            (path.parent / name).unlink()
    assert last_seen >= 25


# --------------------------------------------------------------------------- #
# Unreadable stores are refused untouched
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the file is empty"),
        (b"{not json", "it is not valid JSON (line 1, column 2)"),
        (b"[1, 2]", "it is not a JSON object"),
        (b'{"user": "ada"}', "it has no valid schema_version"),
        (b'{"schema_version": 1, "user": "ada", "roadmaps": {"x": {"items": {"a": {"status": "finished"}}}}}', "roadmaps.x.items.a.status"),
        (b'{"schema_version": 1, "user": "ada", "surprise": true}', "surprise: Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_unreadable_store_is_never_overwritten(run, store_path: Path, content: bytes, why: str) -> None:  # type: ignore[no-untyped-def]
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(content)
    for args in (("done", "ai-for-everyone"), ("status",), ("undo",)):
        result = run(*args)
        assert result.exit_code == 1
        assert str(store_path) in result.stderr
        assert why in result.stderr
        assert "aipm doctor" in result.stderr
        assert store_path.read_bytes() == content
    assert not (store_path.parent / "backups").exists()


def test_newer_schema_is_refused_untouched(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    store_path.parent.mkdir(parents=True)
    content = json.dumps({"schema_version": SCHEMA_VERSION + 1, "user": "ada"}).encode()
    store_path.write_bytes(content)
    result = run("done", "ai-for-everyone")
    assert result.exit_code == 1
    assert "written by a newer aipm" in result.stderr
    assert store_path.read_bytes() == content


def test_doctor_reports_an_unreadable_store(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(b"{oops")
    result = run("doctor", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["healthy"] is False
    assert report["store"] == str(store_path)
    assert any("not valid JSON" in p for p in report["problems"])


# --------------------------------------------------------------------------- #
# Permissions, symlinks, backups
# --------------------------------------------------------------------------- #


def test_store_is_private(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    run("done", "user-research")
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store_path.parent.stat().st_mode) == 0o700
    backups = store_path.parent / "backups"
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(b.stat().st_mode) == 0o600 for b in backups.iterdir())


def test_symlinked_store_stays_a_symlink(run, store_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    synced = tmp_path / "dropbox" / "aipm.json"
    synced.parent.mkdir()
    run("done", "ai-for-everyone")
    store_path.rename(synced)
    store_path.symlink_to(synced)
    run("done", "user-research")
    assert store_path.is_symlink()
    assert os.readlink(store_path) == str(synced)
    data = json.loads(synced.read_text())["roadmaps"]["ai-product-manager"]["items"]
    assert {"ai-for-everyone", "user-research"} <= set(data)


def test_backups_are_dated_and_ten_are_kept(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    for item in TWENTY[:14]:
        assert run("done", item).exit_code == 0
    store = Store(store_path, "ada")
    backups = store.list_backups()
    assert len(backups) == KEEP_BACKUPS
    sizes = [size for _path, size in backups]
    assert sizes == sorted(sizes, reverse=True)  # newest first, each with the history it holds
    newest = json.loads(backups[0][0].read_text())
    assert len(newest["roadmaps"]["ai-product-manager"]["history"]) == 13


def test_a_backup_holding_more_history_is_never_rotated_away(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    store = Store(path, "ada")
    store.backups.mkdir(parents=True)
    precious = store.backups / "progress-20200101T000000.000000Z-h500.json"
    precious.write_text("{}")
    for n in range(KEEP_BACKUPS + 3):
        with store.transaction() as doc:
            rp = doc.roadmaps.setdefault("r", RoadmapProgress())
            rp.history.append(HistoryEntry(seq=n + 1, at=datetime.now(UTC), action="done"))
    assert precious.exists()
    assert len(store.list_backups()) == KEEP_BACKUPS + 1


def test_a_save_that_would_shrink_history_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    store = Store(path, "ada")
    with store.transaction() as doc:
        doc.roadmaps["r"] = RoadmapProgress(history=[HistoryEntry(seq=1, at=datetime.now(UTC), action="done")])
    before = path.read_bytes()
    with pytest.raises(StoreError, match="would drop 1 history entries"):
        with store.transaction() as doc:
            doc.roadmaps["r"].history.clear()
    assert path.read_bytes() == before
    with store.transaction(allow_shrink=True) as doc:
        doc.roadmaps["r"].history.clear()
    assert store.load().history_size() == 0


def test_reading_never_writes(run, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    before = store_path.stat().st_mtime_ns, store_path.read_bytes()
    for args in (("status",), ("list",), ("show", "ai-for-everyone"), ("next",), ("log",), ("users",), ("doctor",)):
        run(*args)
    assert (store_path.stat().st_mtime_ns, store_path.read_bytes()) == before


# --------------------------------------------------------------------------- #
# Roadmap upgrades: aliases and orphans
# --------------------------------------------------------------------------- #

OLD = """\
id: mine
title: Mine
version: "1"
phases:
  - id: p
    title: P
    modules:
      - id: m
        title: M
        items:
          - {id: old-name, title: Old name, kind: topic}
          - {id: dropped, title: Dropped, kind: topic}
          - {id: kept, title: Kept, kind: topic}
"""
NEW = (
    OLD.replace('version: "1"', 'version: "2"')
    .replace(
        "{id: old-name, title: Old name, kind: topic}",
        "{id: new-name, title: New name, kind: topic, aliases: [old-name]}",
    )
    .replace("          - {id: dropped, title: Dropped, kind: topic}\n", "")
)


def test_renamed_items_carry_progress_and_removed_ones_are_kept_as_orphans(
    run, tmp_path: Path, store_path: Path
) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "mine.yaml"
    plan.write_text(OLD)
    assert run("--roadmap", str(plan), "done", "old-name", "dropped", "kept").exit_code == 0
    plan.write_text(NEW)
    status = json.loads(run("--roadmap", str(plan), "status", "--json").stdout)
    assert status["counts"]["done"] == 2
    assert status["orphans"] == ["dropped"]
    assert json.loads(run("--roadmap", str(plan), "show", "new-name", "--json").stdout)["status"] == "done"
    text = run("--roadmap", str(plan), "status").stdout
    assert "1 item(s) with progress are not in this roadmap version" in text
    doctor = json.loads(run("--roadmap", str(plan), "doctor", "--json").stdout)
    assert doctor["orphans"] == ["dropped"]
    # the next write moves the progress to the new id and keeps the orphan
    run("--roadmap", str(plan), "start", "new-name")
    items = json.loads(store_path.read_text())["roadmaps"]["mine"]["items"]
    assert "old-name" not in items and "new-name" in items and "dropped" in items
    assert json.loads(store_path.read_text())["roadmaps"]["mine"]["roadmap_version"] == "2"
