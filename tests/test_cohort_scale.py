"""A cohort at scale: the incremental cohort index, triage, nudges, layouts, pull and digests.

Cohorts here are written straight to disk on a tiny roadmap (every change
line made by `record.changes.line`, so it passes the record's gate).
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TINY = """\
id: tiny
title: Tiny
version: "1"
phases:
  - id: p1
    title: One
    modules:
      - id: m1
        title: M1
        items:
          - {id: a, title: A, kind: topic}
          - {id: b, title: B, kind: topic}
  - id: p2
    title: Two
    modules:
      - id: m2
        title: M2
        items:
          - {id: c, title: C, kind: topic}
          - {id: d, title: D, kind: topic}
"""
TODAY = date(2026, 11, 24)
NOW_AT = datetime(2026, 11, 24, 10, tzinfo=UTC)
ITEMS = ("a", "b", "c", "d")


def tiny() -> Any:
    from aipm_cli.catalog import parse_roadmap_text

    return parse_roadmap_text(TINY.encode(), "tiny.yaml")


def lines(changes: list[tuple[int, str, str]], start: datetime | None = None) -> list[bytes]:
    """(day offset from 2026-10-01, op, item) -> change lines in id order."""
    from aipm_cli.record.changes import FORMAT, line, new_id

    base = start or datetime(2026, 10, 1, 9, tzinfo=UTC)
    out, last = [], None
    for offset, op, item in sorted(changes, key=lambda c: c[0]):
        moment = base + timedelta(days=offset)
        last = new_id(moment, last)
        change = {"v": FORMAT, "id": last, "at": moment.isoformat(), "on": moment.date().isoformat(),
                  "device": "d", "op": op, "targets": [item], "units": [item]}  # fmt: skip
        out.append(line(change))
    return out


def log_path(root: Path, name: str, shard: bool = False) -> Path:
    learners = root / "learners" / (name[:2] if shard else "")
    return learners / name / "tiny" / "changes" / "d.jsonl"


def write_log(root: Path, name: str, data: list[bytes], shard: bool = False) -> Path:
    path = log_path(root, name, shard)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(data))
    return path


def write_export(folder: Path, name: str, data: list[bytes], extra: dict[str, Any] | None = None) -> Path:
    head = {"format": "aipm-export", "export_version": 2, "exported_at": "2026-11-24T10:00:00+00:00",
            "as_of": "2026-11-24", "user": name, "roadmap": {"id": "tiny", "title": "Tiny", "version": "1"},
            **(extra or {})}  # fmt: skip
    head["changes"] = [json.loads(raw) for raw in data]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(head, indent=2))
    return path


def report(sources: list[Path], index: Any = None, rebuild: bool = False, today: date = TODAY, **options: Any) -> Any:
    from aipm_cli.cohort import Options, build

    opts = Options(today=today, **options)
    return build(tiny(), sources, opts, NOW_AT, workers=1, index=index, rebuild=rebuild)


def document(summary: Any) -> dict[str, Any]:
    from aipm_cli.render.cohort_json import document as doc

    return doc(summary)


def opened(folder: Path) -> Any:
    from aipm_cli.cohort_index import Index

    index = Index(folder)
    assert index.open(), index.problem
    return index


# --------------------------------------------------------------------------- #
# (1) The incremental cohort index
# --------------------------------------------------------------------------- #

change = st.tuples(st.integers(0, 60), st.sampled_from(["start", "done", "skip", "reset"]), st.sampled_from(ITEMS))
learner_changes = st.lists(change, min_size=1, max_size=8)
cohorts = st.dictionaries(st.sampled_from(["ada", "bob", "cy", "dan", "eve"]), learner_changes, min_size=2, max_size=5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cohort=cohorts,
    exported=st.sets(st.sampled_from(["ada", "bob", "cy", "dan", "eve"])),
    added=learner_changes,
    days=st.lists(st.integers(0, 40), min_size=1, max_size=3),
)
def test_the_index_gives_what_a_fresh_fold_gives(
    cohort: dict[str, list[tuple[int, str, str]]], exported: set[str], added: list[Any], days: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        data, inbox, cache = base / "data", base / "inbox", base / "cache"
        written: dict[str, list[bytes]] = {}
        for name, changes in cohort.items():
            written[name] = lines(changes)
            if name in exported:
                write_export(inbox, name, written[name])
            else:
                write_log(data, name, written[name])
        sources = [data, inbox]
        names = sorted(cohort)

        def same(**options: Any) -> Any:
            index = opened(cache)
            try:
                kept = report(sources, index, **options)
            finally:
                index.close()
            assert document(kept) == document(report(sources, **options))
            return kept

        same()
        second = same()  # every learner from the index
        assert second.notices == []
        for offset in days:  # another day: summaries made again from the kept folds
            same(today=TODAY + timedelta(days=offset))
        same(stuck_weeks=1, inactive_days=3)

        # One learner adds changes (a log only added to: not named).
        first = names[0]
        more = lines(added, start=datetime(2026, 12, 1, 9, tzinfo=UTC))
        if first in exported:
            write_export(inbox, first, written[first] + more)  # an export replaced
        else:
            with log_path(data, first).open("ab") as handle:
                handle.write(b"".join(more))
        assert same(today=TODAY + timedelta(days=30)).notices == []

        # Another's log rewritten in the middle, keeping its size: folded again and named.
        second_name = names[1]
        if second_name not in exported:
            path = log_path(data, second_name)
            raw = path.read_bytes()
            first_line = raw.split(b"\n")[0]
            swapped = first_line.replace(b'"op":"done"', b'"op":"skip"') if b'"op":"done"' in first_line else (
                first_line.replace(b'"op":"start"', b'"op":"reset"') if b'"op":"start"' in first_line
                else first_line.replace(b'"op":"reset"', b'"op":"start"').replace(b'"op":"skip"', b'"op":"done"')
            )  # fmt: skip
            path.write_bytes(swapped + raw[len(first_line) :])
            assert len(path.read_bytes()) == len(raw)
            rewritten = same()
            assert [n for n in rewritten.notices if second_name in n and "changed before its end" in n]

        # A learner removed from the cohort: gone from the report, and the rest unchanged.
        gone = names[-1]
        if gone in exported:
            (inbox / f"{gone}.json").unlink()
        else:
            log_path(data, gone).unlink()
        after = same()
        assert gone not in [learner.name for learner in after.learners]


def test_a_second_report_folds_only_the_learners_whose_files_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipm_cli import cohort

    data = tmp_path / "data"
    for n, name in enumerate(["ada", "bob", "cy"]):
        write_log(data, name, lines([(n, "done", "a"), (n + 1, "start", "b")]))
    folded: list[str] = []
    real = cohort.fold_learner

    def counting(roadmap: Any, name: str, *args: Any) -> Any:
        folded.append(name)
        return real(roadmap, name, *args)

    monkeypatch.setattr(cohort, "fold_learner", counting)
    index = opened(tmp_path / "cache")
    report([data], index)
    assert folded == ["ada", "bob", "cy"]
    folded.clear()
    report([data], index)
    report([data], index, today=TODAY + timedelta(days=3))  # another day: from the kept folds
    assert folded == []
    with log_path(data, "bob").open("ab") as handle:
        handle.write(b"".join(lines([(0, "done", "b")], start=datetime(2026, 11, 20, 9, tzinfo=UTC))))
    s = report([data], index)
    assert folded == ["bob"] and s.notices == []
    folded.clear()
    s = report([data], index, rebuild=True)
    assert folded == ["ada", "bob", "cy"]
    log_path(data, "cy").write_bytes(b"".join(lines([(0, "done", "c")])))  # shorter than before
    folded.clear()
    s = report([data], index)
    assert folded == ["cy"] and len(s.notices) == 1 and "cy" in s.notices[0] and "shrank" in s.notices[0]
    index.close()


def test_a_change_dated_after_the_kept_fold_day_is_folded_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_log(data, "ada", lines([(0, "done", "a"), (80, "done", "b")]))  # 2026-12-20: after the report's day
    index = opened(tmp_path / "cache")
    assert report([data], index).learners[0].counts.done == 1
    later = report([data], index, today=date(2026, 12, 21))
    assert later.learners[0].counts.done == 2
    index.close()


def test_the_index_is_written_in_the_cache_never_in_a_source(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aipm_cli.cli import app

    data = tmp_path / "class"
    write_log(data, "ada", lines([(0, "done", "a")]))
    (tmp_path / "tiny.yaml").write_text(TINY)
    before = sorted(p for p in data.rglob("*"))
    runner = CliRunner()
    for extra in ([], ["--rebuild"], []):
        result = runner.invoke(app, ["cohort", "report", str(data), "-r", str(tmp_path / "tiny.yaml"), "-f", "json",
                                     *extra])  # fmt: skip
        assert result.exit_code == 0, result.stderr
    assert sorted(p for p in data.rglob("*")) == before
    assert (tmp_path / "home" / "cache" / "cohort-index.sqlite3").is_file()


def test_a_foreign_row_is_never_unpickled(tmp_path: Path) -> None:
    import pickle
    import sqlite3

    data = tmp_path / "data"
    write_log(data, "ada", lines([(0, "done", "a")]))
    index = opened(tmp_path / "cache")
    report([data], index)
    index.close()
    db = sqlite3.connect(tmp_path / "cache" / "cohort-index.sqlite3")
    db.execute("UPDATE learners SET summary = ?, fold = ?", (pickle.dumps(print), pickle.dumps(print)))
    db.commit()
    db.close()
    index = opened(tmp_path / "cache")
    s = report([data], index)  # folded again, not taken from the row
    assert s.learners[0].counts.done == 1
    index.close()
