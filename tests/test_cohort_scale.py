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
    from aipm_cli.roadmap.loading import parse_roadmap_text

    return parse_roadmap_text(TINY.encode(), "tiny.yaml")


def lines(changes: list[tuple[int, str, str]], start: datetime | None = None) -> list[bytes]:
    """(day offset from 2026-10-01, op, item) -> change lines in id order."""
    from aipm_cli.record.changes import FORMAT, line
    from aipm_cli.record.ids import new_id

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
            fresh = document(report(sources, **options))
            assert fresh.pop("notices") == []
            from_index = document(kept)
            from_index.pop("notices")
            assert from_index == fresh
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


def test_a_look_back_reads_the_index_without_displacing_todays_folds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipm_cli import cohort
    from aipm_cli.cohort import Options, build

    data = tmp_path / "data"
    write_log(data, "ada", lines([(0, "done", "a"), (50, "start", "b")]))
    index = opened(tmp_path / "cache")
    report([data], index)
    earlier = Options(today=TODAY, as_of=date(2026, 10, 15))
    assert build(tiny(), [data], earlier, NOW_AT, workers=1, index=index, keep=False).learners[0].counts.done == 1
    folded: list[str] = []
    real = cohort.fold_learner
    monkeypatch.setattr(
        cohort, "fold_learner", lambda roadmap, name, *a: folded.append(name) or real(roadmap, name, *a)
    )
    report([data], index)
    assert folded == []
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


# --------------------------------------------------------------------------- #
# (2) Who needs help, and why; where the cohort drops off; triage first
# --------------------------------------------------------------------------- #


def evidence_lines(item: str, count: int) -> list[bytes]:
    from aipm_cli.record.changes import FORMAT, line
    from aipm_cli.record.ids import new_id

    out, last = [], None
    for n in range(count):
        moment = datetime(2026, 11, 1, 9, tzinfo=UTC) + timedelta(hours=n)
        last = new_id(moment, last)
        out.append(line({"v": FORMAT, "id": last, "at": moment.isoformat(), "on": moment.date().isoformat(),
                         "device": "d", "op": "done", "targets": [item], "units": [item],
                         "evidence": [f"https://example.org/{item}/{n}"]}))  # fmt: skip
    return out


@pytest.fixture
def triage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A cohort where every rule applies to someone, run through the CLI from its folder."""
    from typer.testing import CliRunner

    from aipm_cli.cli import app

    data = tmp_path / "class"
    # 0 = 2026-10-01; the report's day 2026-11-24 is 54.
    write_log(data, "fast", lines([(0, "done", "a"), (20, "done", "b"), (40, "done", "c"), (50, "done", "d")]))
    write_log(data, "steady", lines([(0, "done", "a"), (25, "done", "b"), (50, "done", "c")]))
    write_log(data, "slow", lines([(0, "start", "a"), (50, "done", "a")]))  # 25% after 7.7 weeks: behind
    write_log(data, "quiet", lines([(0, "start", "a")]))  # 0%, nothing for 54 days; stuck on a
    write_log(data, "never", lines([(52, "start", "b"), (52, "reset", "b")]))  # nothing started
    write_log(data, "stuck", lines([(10, "done", "a"), (11, "start", "c"), (51, "done", "b"), (51, "skip", "d")]))
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "broken.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, sources: tuple[str, ...] = ("class",)) -> Any:
        return runner.invoke(app, ["cohort", "report", *sources, "-r", "tiny.yaml", *args])

    return invoke


def test_every_at_risk_flag_names_its_rule_in_every_format(triage: Any) -> None:
    result = triage("-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    flagged = {x["name"]: [f["rule"] for f in x["flags"]] for x in data["attention"]}
    assert {rule for rules in flagged.values() for rule in rules} == {
        "low-and-idle",
        "behind",
        "stuck",
        "never-started",
    }
    assert "fast" not in flagged and "steady" not in flagged
    # Triage first: the most flags first.
    assert data["attention"][0]["name"] == "quiet"
    reasons = [f for x in data["attention"] for f in x["flags"]]
    for f in reasons:
        assert f["reason"] == f"{f['seen']} (rule: {f['rule_text']})"
    texts = {fmt: triage("-f", fmt, "--sort", "attention").stdout for fmt in ("text", "md", "html", "csv")}
    for fmt, text in texts.items():
        flat = " ".join(text.split())
        for f in reasons:
            assert f["rule"] in flat, (fmt, f["rule"])
            if fmt == "html":
                assert " ".join(f["seen"].replace("'", "&#39;").split()) in flat, fmt
            else:
                assert " ".join(f["seen"].split()) in flat, (fmt, f["seen"])
            assert " ".join(f["rule_text"].replace("'", "&#39;" if fmt == "html" else "'").split()) in flat, fmt
    # Every format leads with who needs attention: before the learners' table.
    for fmt, table in (("text", "\nLearners\n"), ("md", "## Learners"), ("html", 'id="learners-h"')):
        text = texts[fmt]
        assert text.index("Needs attention") < text.index(table), fmt
    rows = list(__import__("csv").DictReader(texts["csv"].splitlines()))
    assert {r["learner"]: r["at_risk_rules"] for r in rows}["quiet"] == "low-and-idle behind stuck"


def test_rules_are_configurable(triage: Any) -> None:
    data = json.loads(triage("-f", "json", "--rules", "never-started,stuck", "--stuck-weeks", "1").stdout)
    rules = {f["rule"] for x in data["attention"] for f in x["flags"]}
    assert rules == {"never-started", "stuck"}
    data = json.loads(triage("-f", "json", "--rules", "low-and-idle", "--risk-under", "60", "--risk-idle", "3").stdout)
    low = {x["name"] for x in data["attention"]}
    assert low == {"quiet", "slow"}  # under 60% and quiet 3 days or more (never changed 2 days ago)
    assert data["settings"]["rules"] == {"on": ["low-and-idle"], "under_percent": 60.0, "idle_days": 3,
                                         "behind_weeks": 2.0}  # fmt: skip
    for bad, option in [("--rules", "scores"), ("--sort", "mood"), ("--filter", "lucky"), ("--filter", "phase:p9")]:
        result = triage(bad, option)
        assert result.exit_code == 2 and bad in result.stderr, (bad, result.stderr)


def test_percentile_bands(triage: Any) -> None:
    data = json.loads(triage("-f", "json").stdout)
    bands = {x["name"]: x["percentile_band"] for x in data["learners"]}
    assert bands["fast"] == "top 15%" and bands["quiet"] == "bottom 15%" and bands["never"] == "bottom 15%"
    assert bands["steady"] is None and bands["slow"] is None


def test_the_drop_off_view_adds_up_per_item(triage: Any) -> None:
    data = json.loads(triage("-f", "json").stdout)
    statuses = {x["name"]: x for x in data["learners"]}
    assert [f["id"] for f in data["dropoff"]] == list(ITEMS)  # roadmap order
    for f in data["dropoff"]:
        assert f["learners"] == len(statuses) == f["reached"] + f["not_started"]
        assert f["reached"] == f["finished"] + f["skipped"] + f["in_progress"]
        assert 0 <= f["stalled"] <= f["in_progress"]
    flow = {f["id"]: f for f in data["dropoff"]}
    assert (flow["a"]["finished"], flow["a"]["in_progress"], flow["a"]["stalled"]) == (4, 1, 1)  # quiet stalled on a
    assert (flow["c"]["finished"], flow["c"]["stalled"], flow["c"]["not_started"]) == (2, 1, 3)
    assert (flow["d"]["reached"], flow["d"]["finished"], flow["d"]["skipped"]) == (2, 1, 1)


def test_filter_sort_and_the_full_lists(triage: Any, tmp_path: Path) -> None:
    data = json.loads(triage("-f", "json", "--filter", "at-risk", "--sort", "percent").stdout)
    assert [x["name"] for x in data["learners"]] == ["never", "quiet", "slow", "stuck"]
    assert data["cohort"]["learners"] == 6 and data["cohort"]["shown"] == 4
    data = json.loads(triage("-f", "json", "--filter", "phase:p2").stdout)
    assert [x["name"] for x in data["learners"]] == ["steady", "stuck"]  # past phase 1, phase 2 not done
    data = json.loads(triage("-f", "json", "--sort", "last-active").stdout)
    assert [x["name"] for x in data["learners"]][0] == "quiet"
    md = triage("-f", "md", "--filter", "at-risk").stdout
    assert "## Learners (4 of 6: at-risk)" in md, [x for x in md.splitlines() if "Learners" in x]
    # Evidence is capped in the summary, in full with --full.
    write_log(tmp_path / "more", "keen", evidence_lines("a", 5))
    capped = triage("-f", "md", sources=("class", "more")).stdout
    assert capped.count("](https://example.org/a/") == 3 and "and 2 more" in capped
    full = triage("-f", "md", "--full", sources=("class", "more")).stdout
    assert full.count("](https://example.org/a/") == 5 and "and 2 more" not in full


def test_unreadable_sources_are_summarised_at_the_top(triage: Any) -> None:
    for fmt in ("text", "md", "html"):
        result = triage("-f", fmt, sources=("class", "inbox"))
        assert result.exit_code == 1
        top = result.stdout.index("could not be read")
        assert top < result.stdout.index("Needs attention") < result.stdout.rindex("broken.json"), fmt
    data = json.loads(triage("-f", "json", sources=("class", "inbox")).stdout)
    assert list(data).index("could_not_read") < list(data).index("learners") and data["could_not_read"] == 1


# --------------------------------------------------------------------------- #
# (3) Nudges: drafts only
# --------------------------------------------------------------------------- #


def test_nudge_drafts_one_message_per_flagged_learner_and_sends_nothing(
    triage: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import subprocess

    from typer.testing import CliRunner

    from aipm_cli.cli import app

    # An export that shares an address, one whose "address" would add a recipient, and one with none.
    inbox = tmp_path / "shared"
    write_export(inbox, "late", lines([(0, "start", "a")]), {"contact": {"email": "late@example.org"}})
    write_export(inbox, "sly", lines([(0, "start", "a")]), {"contact": {"email": "a@example.org,b@evil.example"}})

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nudge must not send or run anything")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    runner = CliRunner()
    result = runner.invoke(app, ["cohort", "nudge", "class", "shared", "-r", "tiny.yaml", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert "nothing was sent" in result.stderr
    data = json.loads(result.stdout)
    assert data["sent"] is False
    drafts = {d["name"]: d for d in data["drafts"]}
    report = json.loads(triage("-f", "json", sources=("class", "shared")).stdout)
    assert list(drafts) == [x["name"] for x in report["attention"]]  # one per learner needing attention, in order
    for x in report["attention"]:
        for f in x["flags"]:
            assert f["seen"] in drafts[x["name"]]["body"]
    assert drafts["late"]["address"] == "late@example.org"
    assert drafts["late"]["mailto"].startswith("mailto:late@example.org?subject=Checking%20in%20on%20your%20Tiny")
    assert drafts["sly"]["address"] is None and drafts["sly"]["mailto"] is None
    assert drafts["quiet"]["mailto"] is None
    text = runner.invoke(app, ["cohort", "nudge", "class", "shared", "-r", "tiny.yaml"]).stdout
    assert "To: late <late@example.org>" in text and "To: quiet (no address shared in an export)" in text
    assert text.count("Subject: ") == len(drafts)


# --------------------------------------------------------------------------- #
# (4) Layouts that fit git hosts: shards, and one repository per learner
# --------------------------------------------------------------------------- #

PEOPLE = {
    "ada": [(0, "done", "a"), (30, "start", "b")],
    "adam": [(5, "done", "a"), (6, "done", "b"), (50, "skip", "c")],
    "al": [(1, "start", "a")],  # a two-character name: a learner in the flat layout, a shard of its own when sharded
    "bob": [(2, "done", "c")],
}


def comparable(summary: Any) -> dict[str, Any]:
    """The report's figures, without where they were read from."""
    data = document(summary)
    for learner in data["learners"]:
        learner.pop("sources")
    return data


def test_a_sharded_cohort_reads_the_same_as_a_flat_one(tmp_path: Path) -> None:
    flat, sharded = tmp_path / "flat", tmp_path / "sharded"
    for name, changes in PEOPLE.items():
        write_log(flat, name, lines(changes))
        write_log(sharded, name, lines(changes), shard=True)
    assert (sharded / "learners" / "ad" / "adam").is_dir() and (sharded / "learners" / "al" / "al").is_dir()
    one, two = report([flat]), report([sharded])
    assert one.unreadable == two.unreadable == []
    assert [x.name for x in two.learners] == sorted(PEOPLE)
    assert comparable(one) == comparable(two)
    # A learner in the wrong shard is named, not silently dropped or read as someone else.
    wrong = sharded / "learners" / "bo" / "cy" / "tiny" / "changes"
    wrong.mkdir(parents=True)
    (wrong / "d.jsonl").write_bytes(b"".join(lines([(0, "done", "a")])))
    three = report([sharded])
    assert [u.reason for u in three.unreadable] == ["it is not in its shard (learners/cy/)"]


def git(cwd: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{key}_NAME", "Test")
        monkeypatch.setenv(f"{key}_EMAIL", "test@example.org")


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        out[str(path.relative_to(folder))] = (
            path.read_bytes() if path.is_file() else b"",
            info.st_mode,
            info.st_mtime_ns,
        )
    return out


@pytest.mark.usefixtures("git_env")
def test_cohort_pull_fetches_into_the_cache_and_writes_nothing_into_a_remote(tmp_path: Path) -> None:
    import os
    import stat

    from typer.testing import CliRunner

    from aipm_cli.cli import app

    remotes = []
    for name, changes in PEOPLE.items():
        work = tmp_path / "work" / name
        write_log(work, name, lines(changes))
        (work / "learners" / name / "link").symlink_to("/etc/passwd")  # never followed out of the checkout
        git(work, "init", "-q")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "progress")
        bare = tmp_path / "remotes" / f"{name}.git"
        bare.parent.mkdir(exist_ok=True)
        git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
        remotes.append(bare)
    # Read-only remotes: a write into them would fail loudly, and their content is compared as well.
    for bare in remotes:
        for path in [bare, *bare.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = {str(b): snapshot(b) for b in remotes}
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["cohort", "pull", *map(str, remotes), str(tmp_path / "nowhere.git")])
        assert result.exit_code == 1 and "Could not pull" in result.stderr and "nowhere.git" in result.stderr
        folders = result.stdout.split()
        assert len(folders) == len(PEOPLE)
        cache = tmp_path / "home" / "cache"
        assert all(Path(f).is_relative_to(cache) for f in folders)
        assert {str(b): snapshot(b) for b in remotes} == before
        # Pulled again after a learner's new commit: the checkout follows.
        listed = runner.invoke(app, ["cohort", "pull", "--list"]).stdout.split()
        assert sorted(listed) == sorted(folders)
        pulled = report([Path(f) for f in folders])
        assert pulled.unreadable == []
        flat = tmp_path / "flat"
        for name, changes in PEOPLE.items():
            write_log(flat, name, lines(changes))
        assert comparable(pulled) == comparable(report([flat]))
        for f in folders:
            link = next(Path(f).rglob("link"))
            assert not link.is_symlink() and link.read_text() == "/etc/passwd"  # a plain file naming the target
    finally:
        for bare in remotes:
            for path in [bare, *bare.rglob("*")]:
                if not path.is_symlink():
                    os.chmod(path, path.stat().st_mode | stat.S_IWUSR)


# --------------------------------------------------------------------------- #
# (5) Over time: --since
# --------------------------------------------------------------------------- #


def test_since_says_who_finished_what_went_quiet_and_recovered(triage: Any, tmp_path: Path) -> None:
    # hush: active on 11-10 (a done 10 days before), quiet now; on b since day 20: stuck now, not then.
    write_log(tmp_path / "more", "hush", lines([(20, "start", "b"), (30, "done", "a")]))
    result = triage("-f", "json", "--since", "2026-11-10", sources=("class", "more"))
    assert result.exit_code == 0, result.stderr
    since = json.loads(result.stdout)["since"]
    assert since["since"] == "2026-11-10"
    assert {x["name"]: x["items"] for x in since["finished"]} == {
        "fast": ["D"],
        "steady": ["C"],
        "slow": ["A"],
        "stuck": ["B"],
    }
    assert since["joined"] == ["never"]
    assert since["went_quiet"] == ["hush"]
    assert since["active_again"] == ["slow", "steady", "stuck"]  # quiet over 14 days on 11-10, active now
    assert since["newly_at_risk"] == [{"name": "hush", "rules": ["stuck"]}]
    assert since["no_longer_at_risk"] == []
    assert since["left"] == []
    md = triage("-f", "md", "--since", "2026-11-10", sources=("class", "more")).stdout
    assert md.index("## Since 2026-11-10") < md.index("Needs attention")
    assert "- **Went quiet:** hush" in md and "- **Finished:** fast: D; " in md
    text = triage("--since", "2026-11-10", sources=("class", "more")).stdout
    assert "Since 2026-11-10" in text and "Active again: slow, steady, stuck" in text
    html = triage("-f", "html", "--since", "2026-11-10", sources=("class", "more")).stdout
    assert "<strong>Went quiet:</strong> hush" in html
    assert json.loads(triage("-f", "json", sources=("class", "more")).stdout)["since"] is None
    late = triage("--since", "2026-11-24")
    assert late.exit_code == 2 and "--since" in late.stderr


def test_a_damaged_or_foreign_index_is_named_and_every_learner_folded(triage: Any, tmp_path: Path) -> None:
    cache = tmp_path / "home" / "cache"
    cache.mkdir(parents=True)
    (cache / "cohort-index.sqlite3").write_bytes(b"not a database, just bytes" * 100)
    result = triage("-f", "json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)["learners"]) == 6
    assert "cohort index" in result.stderr and "every learner is folded" in result.stderr
    (cache / "cohort-index.sqlite3").unlink()
    (cache / "cohort-index.sqlite3").symlink_to(tmp_path / "elsewhere.sqlite3")
    result = triage("-f", "json")
    assert result.exit_code == 0 and "symbolic link" in result.stderr
    assert not (tmp_path / "elsewhere.sqlite3").exists()
