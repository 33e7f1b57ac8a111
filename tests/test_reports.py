"""Reports: Markdown, HTML, JSON, CSV; as-of dates; import back; escaping; a real browser."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CHROMIUM_FLAGS, GOLDEN_DIR, Run, chromium
from test_views import STORY


@pytest.fixture
def story(run: Run) -> None:
    for now, args in STORY:
        assert run(*args, env={"AIPM_NOW": now}).exit_code == 0


def test_markdown_golden(run: Run, story: None) -> None:
    result = run("export")
    assert result.exit_code == 0
    path = GOLDEN_DIR / "report.md"
    if os.environ.get("AIPM_UPDATE_GOLDEN"):
        path.write_text(result.stdout)
    assert result.stdout == path.read_text()


def test_csv_parses_back(run: Run, story: None, tmp_path: Path) -> None:
    target = tmp_path / "progress.csv"
    run("export", "-o", str(target))
    raw = target.read_bytes()
    assert raw.count(b"\r\n") == 102 + 16 + 1  # RFC 4180 line endings
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert list(rows[0]) == [
        "id",
        "title",
        "kind",
        "phase",
        "module",
        "project",
        "status",
        "started",
        "completed",
        "skipped",
        "notes",
        "evidence",
        "skip_reason",
        "credential",
        "expires",
        "notes_on",
        "evidence_on",
        "rating",
        "minutes_studied",
    ]
    by_id = {r["id"]: r for r in rows}
    assert by_id["product-hunt"]["skip_reason"] == "not relevant to me"
    assert (by_id["agile-certification"]["credential"], by_id["agile-certification"]["expires"]) == (
        "CSM-1",
        "2028-11-20",
    )
    assert by_id["ai-for-everyone"]["evidence_on"] == "2026-09-28"
    assert (
        len([r for r in rows if r["kind"] not in ("module", "phase", "skill", "orphan")]) == 102 + 16
    )  # every item and deliverable
    assert by_id["ai-for-everyone"]["completed"] == "2026-09-28"
    assert by_id["ai-for-everyone"]["evidence"] == "https://coursera.org/verify/ABC123"
    assert by_id["product-hunt"]["status"] == "skipped"
    assert by_id["feature-analysis-market-research"]["project"] == "ai-feature-analysis"


def test_json_export_document(run: Run, story: None) -> None:
    doc = json.loads(run("export", "-f", "json").stdout)
    assert doc["format"] == "aipm-export"
    assert doc["export_version"] == 2
    assert doc["roadmap"] == {"id": "ai-product-manager", "title": "AI Product Manager", "version": "1.2.0"}
    assert doc["user"] == "ada"
    assert doc["summary"]["counts"]["done"] == 6
    assert len(doc["changes"]) == 7
    assert [c["id"] for c in doc["changes"]] == sorted(c["id"] for c in doc["changes"])
    assert doc["state"]["items"]["agile-certification"]["credential"] == "CSM-1"
    # one change per line, so a long history stays readable and diffable
    text = run("export", "-f", "json").stdout
    assert sum(1 for line in text.splitlines() if line.lstrip().startswith('{"at":')) == 7


def test_output_file_and_format_from_extension(run: Run, story: None, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    result = run("export", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert oct(target.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("-o", "/no/such/folder/report.md"), "The folder /no/such/folder does not exist.", 1),
        (("-f", "pdf"), "'pdf' is not a report format", 2),
        (("--as-of", "2030-01-01"), "The date 2030-01-01 is in the future.", 2),
    ],
)
def test_export_errors(run: Run, args: tuple[str, ...], message: str, code: int) -> None:
    result = run("export", *args)
    assert result.exit_code == code
    assert result.stdout == ""
    assert message in " ".join(result.stderr.split())


def test_unwritable_output_is_a_clean_error(run: Run) -> None:
    # /proc exists and is a folder, but no file can be created in it (not even by root).
    result = run("export", "-o", "/proc/aipm-report.md")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot write /proc/aipm-report.md")
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- #
# As of a date
# --------------------------------------------------------------------------- #


def _done_ids(run: Run, *args: str) -> set[str]:
    doc = json.loads(run("export", "-f", "json", *args).stdout)
    return {k for k, v in doc["state"]["items"].items() if v.get("status") == "done"}


def test_as_of_before_between_and_after(run: Run, story: None) -> None:
    assert _done_ids(run, "--as-of", "2026-08-01") == set()
    assert _done_ids(run, "--as-of", "2026-10-05") == {
        "ai-for-everyone",
        "identifying-ai-opportunities",
        "cross-functional-collaboration",
    }
    assert _done_ids(run, "--as-of", "2026-11-24") == _done_ids(run)
    md = run("export", "--as-of", "2026-10-05").stdout
    assert "as of 2026-10-05" in md
    assert "(`digital-product-management`), in progress" not in md
    assert "(`digital-product-management`), in progress since 2026-10-20" in run("export").stdout


def test_as_of_counts_backdated_changes_from_their_date(run: Run) -> None:
    run("done", "ai-for-everyone", "--on", "2026-09-01")  # recorded on 2026-11-24, for 2026-09-01
    assert _done_ids(run, "--as-of", "2026-09-15") == {"ai-for-everyone"}
    assert _done_ids(run, "--as-of", "2026-08-31") == set()


def test_as_of_ignores_undone_changes(run: Run) -> None:
    run("done", "user-research", env={"AIPM_NOW": "2026-10-01T10:00:00+00:00"})
    run("undo", env={"AIPM_NOW": "2026-11-01T10:00:00+00:00"})
    assert _done_ids(run, "--as-of", "2026-10-15") == set()


# --------------------------------------------------------------------------- #
# Import
# --------------------------------------------------------------------------- #


def test_round_trip_into_an_empty_data_directory(run: Run, story: None, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    run("note", "ai-for-everyone", "keep me")
    run("export", "-o", str(backup))
    before = {
        args: run(*args, "--json").stdout
        for args in (("list",), ("show", "ai-for-everyone"), ("show", "agile-certification"), ("status",))
    }
    other = {"AIPM_HOME": str(tmp_path / "other-machine")}
    result = run("import", str(backup), env=other)
    assert result.exit_code == 0, result.stderr
    assert "Imported 8 changes into ada" in result.stderr
    for args, text in before.items():
        assert run(*args, "--json", env=other).stdout == text


def test_import_refuses_what_is_not_an_export(run: Run, tmp_path: Path, store_path: Path) -> None:
    bogus = tmp_path / "x.json"
    for content, message in [
        ("{}", "is not an aipm export"),
        ("not json", "is not an aipm export"),
        (
            json.dumps({"format": "aipm-export", "export_version": 99, "roadmap": {"id": "x"}}),
            "written by a newer aipm (export version 99",
        ),
        (
            json.dumps(
                {
                    "format": "aipm-export",
                    "export_version": 1,
                    "roadmap": {"id": "x"},
                    "progress": {"items": {"a": {"status": "bad"}}},
                }
            ),
            "damaged progress data at progress.items.a.status",
        ),
    ]:
        bogus.write_text(content)
        result = run("import", str(bogus))
        assert result.exit_code == 1
        assert message in result.stderr
    assert not store_path.exists()
    assert "No file at" in run("import", str(tmp_path / "missing.json")).stderr


def test_import_is_a_union_of_changes(run: Run, story: None, tmp_path: Path, home: Path) -> None:
    backup = tmp_path / "backup.json"
    run("export", "-o", str(backup))
    run("done", "ml-pipeline")
    result = run("import", str(backup))
    assert result.exit_code == 0 and "Nothing new" in result.stderr  # every change is already here
    assert json.loads(run("show", "ml-pipeline", "--json").stdout)["status"] == "done"
    # --replace goes back to the export, says so in words that read right, and is one undoable change
    held = len(json.loads(backup.read_text())["changes"])
    replaced = run("import", "--replace", str(backup))
    assert replaced.exit_code == 0
    assert f"Replaced ada's progress (ai-product-manager) with the {held} changes in backup.json" in replaced.stderr
    assert "`aipm undo` takes it back" in replaced.stderr
    assert json.loads(run("show", "ml-pipeline", "--json").stdout)["status"] == "not_started"
    assert json.loads(run("show", "ai-for-everyone", "--json").stdout)["status"] == "done"
    assert run("undo").exit_code == 0
    assert json.loads(run("show", "ml-pipeline", "--json").stdout)["status"] == "done"
    assert "nothing is deleted or moved" in " ".join(run("import", "--help").stdout.split())


def test_an_undone_import_stays_undone_wherever_its_changes_go(run: Run, tmp_path: Path) -> None:
    a = {"AIPM_HOME": str(tmp_path / "a")}
    b = {"AIPM_HOME": str(tmp_path / "b")}
    run("done", "user-research", env=b)
    run("export", "-o", str(tmp_path / "b.json"), env=b)
    run("import", str(tmp_path / "b.json"), env=a)
    run("undo", env=a)  # A takes the import back
    run("export", "-o", str(tmp_path / "a.json"), env=a)
    c = {"AIPM_HOME": str(tmp_path / "c")}
    run("import", str(tmp_path / "a.json"), env=c)
    for env in (a, c):
        assert json.loads(run("show", "user-research", "--json", env=env).stdout)["status"] == "not_started"


def test_two_machines_merge_both_ways_to_the_same_state(run: Run, tmp_path: Path) -> None:
    """The issue's scenario: two data dirs from one export, a note on B, done on A, merge both ways."""
    a = {"AIPM_HOME": str(tmp_path / "a")}
    b = {"AIPM_HOME": str(tmp_path / "b")}
    run("start", "ai-for-everyone", env=a)
    run("export", "-o", str(tmp_path / "base.json"), env=a)
    run("import", str(tmp_path / "base.json"), env=b)
    run("note", "ai-for-everyone", "my own note on B", env=b)
    run("done", "ai-for-everyone", env=a)
    run("done", "user-research", env=a)
    run("export", "-o", str(tmp_path / "a.json"), env=a)
    run("export", "-o", str(tmp_path / "b.json"), env=b)
    assert run("import", str(tmp_path / "a.json"), env=b).exit_code == 0
    assert run("import", str(tmp_path / "b.json"), env=a).exit_code == 0
    for env in (a, b):
        shown = json.loads(run("show", "ai-for-everyone", "--json", env=env).stdout)
        assert shown["status"] == "done"  # A's completion reaches B's views, not only its log
        assert [n["text"] for n in shown["notes"]] == ["my own note on B"]
    views = [run("list", "--json", env=env).stdout for env in (a, b)]
    assert views[0] == views[1]
    ids = [
        {c["id"] for c in json.loads(run("log", "--json", env=env).stdout) if c["action"] != "import"} for env in (a, b)
    ]
    assert ids[0] == ids[1] and len(ids[0]) == 4
    # undo on B undoes the import as one step, and nothing of B's own
    assert run("undo", env=b).exit_code == 0
    shown = json.loads(run("show", "ai-for-everyone", "--json", env=b).stdout)
    assert shown["status"] == "in_progress" and [n["text"] for n in shown["notes"]] == ["my own note on B"]
    assert json.loads(run("show", "user-research", "--json", env=b).stdout)["status"] == "not_started"


def test_changes_differing_only_in_their_notes_all_import(run: Run, tmp_path: Path) -> None:
    a = {"AIPM_HOME": str(tmp_path / "a")}
    for n in range(30):
        run("note", "ai-for-everyone", "same text" if n % 2 else f"note {n}", env=a)
    run("export", "-o", str(tmp_path / "a.json"), env=a)
    result = run("import", str(tmp_path / "a.json"))
    assert "Imported 30 changes" in result.stderr
    assert len(json.loads(run("show", "ai-for-everyone", "--json").stdout)["notes"]) == 30


def test_an_export_of_the_released_version_still_imports(run: Run, tmp_path: Path) -> None:
    released = {
        "format": "aipm-export", "export_version": 1, "user": "ada",
        "roadmap": {"id": "ai-product-manager", "title": "AI Product Manager", "version": "1.0.0"},
        "progress": {
            "items": {"ai-for-everyone": {"status": "done", "started_on": "2026-09-01", "completed_on": "2026-09-20",
                                          "notes": [{"at": "2026-09-20T10:00:00Z", "text": "loved it"}]}},
            "skills": {"ethics": [{"on": "2026-09-20", "level": 3}]},
            "history": [{"seq": 1, "at": "2026-09-20T10:00:00Z", "action": "done", "items": ["ai-for-everyone"],
                         "on": "2026-09-20", "after": {"ai-for-everyone": {"status": "done", "completed_on": "2026-09-20"}}}],
        },
    }  # fmt: skip
    path = tmp_path / "old.json"
    path.write_text(json.dumps(released))
    assert run("import", str(path)).exit_code == 0
    shown = json.loads(run("show", "ai-for-everyone", "--json").stdout)
    assert (shown["status"], shown["started_on"], shown["completed_on"]) == ("done", "2026-09-01", "2026-09-20")
    assert [n["text"] for n in shown["notes"]] == ["loved it"]
    assert run("import", str(path)).stderr.startswith("Nothing new")  # the same ids every time


def test_import_into_another_learner(run: Run, story: None, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    run("export", "-o", str(backup))
    assert run("import", "--user", "grace", str(backup)).exit_code == 0
    assert json.loads(run("--user", "grace", "status", "--json").stdout)["counts"]["done"] == 6


ITEM_IDS = ["ai-for-everyone", "user-research", "ml-pipeline", "agile-certification", "ai-feature-analysis",
            "feature-analysis-market-research", "product-hunt", "phase-4", "core-product-management"]  # fmt: skip
actions = st.lists(
    st.tuples(
        st.sampled_from(["start", "done", "skip", "reset", "note", "undo"]),
        st.sampled_from(ITEM_IDS),
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
        st.integers(0, 60),
    ),
    max_size=8,
)


@given(actions)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_round_trip_of_generated_stores(run: Run, tmp_path_factory: pytest.TempPathFactory, steps: list) -> None:  # type: ignore[type-arg]
    base = tmp_path_factory.mktemp("rt")
    here = {"AIPM_HOME": str(base / "a")}
    there = {"AIPM_HOME": str(base / "b")}
    for verb, item, text, days_ago in steps:
        if verb == "undo":
            run("undo", env=here)
        elif verb == "note":
            run("note", item, text, env=here)
        else:
            extra = ("--on", f"2026-{9 + days_ago // 30:02d}-{1 + days_ago % 28:02d}") if verb != "reset" else ()
            run(verb, item, *extra, "--note", text, env=here)
    backup = base / "export.json"
    assert run("export", "-o", str(backup), env=here).exit_code == 0
    assert run("import", str(backup), env=there).exit_code == 0
    for args in (("list", "--json"), *[("show", i, "--json") for i in ITEM_IDS[:6]]):
        assert run(*args, env=there).stdout == run(*args, env=here).stdout


# --------------------------------------------------------------------------- #
# Escaping: nothing from a learner or a roadmap file runs or links unsafely
# --------------------------------------------------------------------------- #

NASTY_ROADMAP = """\
id: nasty
title: "<script>alert('title')</script> & Co"
version: "1"
phases:
  - id: p
    title: "Phase <b>bold</b> | pipe"
    modules:
      - id: m
        title: "M & M's \\"quoted\\""
        items:
          - id: evil
            title: "<img src=x onerror=alert(1)> *stars* [link](javascript:alert(2))"
            kind: course
            url: https://example.org/?a=1&b=<2>
          - id: plain
            title: Plain
            kind: topic
"""


@pytest.fixture
def nasty(run: Run, tmp_path: Path) -> list[str]:
    plan = tmp_path / "nasty.yaml"
    plan.write_text(NASTY_ROADMAP)
    base = ["--roadmap", str(plan)]
    assert (
        run(
            *base,
            "done",
            "evil",
            "--note",
            "<script>alert('note')</script> & \"quotes\"",
            "--evidence",
            "javascript:alert(3)",
        ).exit_code
        == 0
    )
    assert (
        run(*base, "done", "plain", "--evidence", 'https://example.org/proof?x="><script>alert(4)</script>').exit_code
        == 0
    )
    return base


def test_html_escapes_everything(run: Run, nasty: list[str]) -> None:
    html = run(*nasty, "export", "-f", "html").stdout
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; &amp; Co" in html
    assert 'href="javascript' not in html.lower()
    assert "javascript:alert(3)" in html  # shown as text, not a link
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
    hrefs = [h.split('"')[0] for h in html.split('href="')[1:]]
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    assert all('"' not in h and "<" not in h for h in hrefs)


def test_markdown_escapes_everything(run: Run, nasty: list[str]) -> None:
    md = run(*nasty, "export", "--full").stdout
    assert re.search(r"(?<!\\)<[A-Za-z/!?]", md) is None  # no tag can open: every `<` before one is escaped
    assert "&lt;" not in md and "&amp;" not in md  # plain text: no HTML entities
    assert "\\<script>alert('title')\\</script> & Co" in md
    assert re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(javascript", md) is None  # no live javascript: link
    assert "\\[link\\](javascript:alert(2))" in md  # the title's would-be link shows as text
    assert "\\*stars\\*" in md
    assert "Phase \\<b>bold\\</b> \\| pipe" in md
    assert "javascript:alert(3)" in md  # as text
    assert "  - Note: “\\<script>alert('note')\\</script> & \"quotes\"” (2026-11-24)" in md


# --------------------------------------------------------------------------- #
# A real browser
# --------------------------------------------------------------------------- #


@pytest.mark.browser
def test_html_report_renders_in_chromium(run: Run, story: None, tmp_path: Path) -> None:
    browser = chromium()
    report = tmp_path / "report.html"
    run("export", "-o", str(report))
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-500:]
    assert '<strong id="percent">5.3%</strong>' in dom.stdout
    assert '<strong id="done">6/113</strong>' in dom.stdout
    assert "Agile Certification" in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=390,1200", f"--screenshot={shot}", report.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one


def test_notes_on_items_not_started_are_in_every_report(run: Run) -> None:
    """A note taken before starting an item is on record: md and html carry it (csv and json did)."""
    assert run("note", "ai-for-everyone", "READ-FIRST-NOTE").exit_code == 0
    for fmt in ("md", "html", "csv", "json"):
        for extra in ((), ("--full",)):
            text = run("export", "--format", fmt, *extra).stdout
            assert "READ-FIRST-NOTE" in text, (fmt, extra)
