"""The report as a portfolio page: the person, every record in every format, charts, print length."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from conftest import DATA, Run, chromium, pdf_pages


@pytest.fixture(autouse=True)
def released_roadmap(monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures below (percent, pages) were worked out on the released roadmap (1.0.0): pin it."""
    monkeypatch.setenv("AIPM_BUNDLED_ROADMAPS", str(DATA / "released" / "bundle"))


# Each record a learner can keep, with a marker that must reach every export format.
RECORDS = [
    ("start", "ai-for-everyone", "--on", "2026-09-01"),
    ("done", "ai-for-everyone", "--on", "2026-09-28", "--evidence", "https://coursera.org/verify/ITEMPROOF",
     "--note", "itemnote"),
    ("done", "feature-analysis-market-research", "--on", "2026-10-13",
     "--evidence", "https://github.com/ada/deliverableproof", "--note", "deliverablenote"),
    ("note", "ai-feature-analysis", "projectnote", "--on", "2026-10-14"),
    ("skip", "product-hunt", "--on", "2026-10-20", "--reason", "itemskipreason"),
    ("skip", "prototype-launch-strategy", "--on", "2026-10-21", "--reason", "deliverableskipreason"),
    ("done", "agile-certification", "--on", "2026-11-02", "--credential", "CREDENTIALID", "--expires", "2028-11-03"),
    ("note", "core-product-management", "modulenote", "--on", "2026-11-04"),
    ("note", "phase-4", "phasenote", "--on", "2026-11-05"),
    ("start", "digital-product-management", "--on", "2026-11-06", "--note", "inprogressnote"),
    ("skip", "mind-the-product", "--on", "2026-11-07", "--note", "skipnote"),
    ("assess", "ethics", "3", "--on", "2026-11-09", "--note", "ratingnote"),
]  # fmt: skip
MARKERS = {
    "item evidence": "ITEMPROOF",
    "item note": "itemnote",
    "deliverable evidence": "deliverableproof",
    "deliverable note": "deliverablenote",
    "project note": "projectnote",
    "skip reason": "itemskipreason",
    "deliverable skip reason": "deliverableskipreason",
    "credential": "CREDENTIALID",
    "expiry": "2028-11-03",
    "module note": "modulenote",
    "phase note": "phasenote",
    "note on an item in progress": "inprogressnote",
    "note on a skipped item": "skipnote",
    "skill rating note": "ratingnote",
    # the dates the changes were for
    "deliverable done on": "2026-10-13",
    "project note on": "2026-10-14",
    "skipped on": "2026-10-20",
    "deliverable skipped on": "2026-10-21",
    "module note on": "2026-11-04",
    "phase note on": "2026-11-05",
    "started on": "2026-11-06",
    "rated on": "2026-11-09",
}


@pytest.fixture
def records(run: Run) -> None:
    for args in RECORDS:
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)


@pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
def test_every_record_reaches_every_format(run: Run, records: None, fmt: str) -> None:
    text = run("export", "-f", fmt).stdout
    missing = [what for what, marker in MARKERS.items() if marker not in text]
    assert missing == [], f"{fmt} drops: {', '.join(missing)}"


def test_csv_carries_records_in_their_columns(run: Run, records: None) -> None:
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(run("export", "-f", "csv").stdout, newline=""))}
    d = rows["feature-analysis-market-research"]
    assert (d["evidence"], d["evidence_on"], d["notes"], d["notes_on"]) == (
        "https://github.com/ada/deliverableproof", "2026-10-13", "deliverablenote", "2026-10-13",
    )  # fmt: skip
    assert rows["prototype-launch-strategy"]["skip_reason"] == "deliverableskipreason"
    assert rows["core-product-management"]["kind"] == "module"
    assert rows["core-product-management"]["notes_on"] == "2026-11-04"
    assert (rows["phase-4"]["kind"], rows["phase-4"]["notes"]) == ("phase", "phasenote")
    assert (rows["ethics"]["kind"], rows["ethics"]["rating"], rows["ethics"]["notes"]) == (
        "skill",
        "3",
        "3: ratingnote",
    )


def test_records_of_items_the_roadmap_dropped_are_in_every_format(run: Run, tmp_path: Path) -> None:
    plan = tmp_path / "mine.yaml"
    head = 'id: mine\ntitle: Mine\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n'
    items = "        title: M\n        items:\n          - {id: kept, title: Kept, kind: topic}\n"
    plan.write_text(head + items + "          - {id: gone, title: Gone, kind: topic}\n")
    assert run("--roadmap", str(plan), "done", "gone", "--evidence", "https://example.org/orphanproof").exit_code == 0
    plan.write_text(head + items)
    for fmt in ("md", "html", "csv", "json"):
        text = run("--roadmap", str(plan), "export", "-f", fmt).stdout
        assert "orphanproof" in text and "gone" in text, fmt


# --------------------------------------------------------------------------- #
# The person
# --------------------------------------------------------------------------- #


def test_the_report_leads_with_the_person(run: Run) -> None:
    assert run("config", "name", "Ada  Lovelace").exit_code == 0
    assert run("config", "headline", "Product manager, moving into AI & ML").exit_code == 0
    links = "LinkedIn=https://www.linkedin.com/in/ada,GitHub=https://github.com/ada?tab=a,b, https://ada.example.org"
    assert run("config", "links", links).stderr.startswith("✓ links = LinkedIn=https://www.linkedin.com/in/ada,")
    md = run("export").stdout
    assert md.startswith("# Ada Lovelace\n\n**Product manager, moving into AI & ML**\n\n")
    assert (
        "[LinkedIn](https://www.linkedin.com/in/ada) · [GitHub](https://github.com/ada?tab=a,b)"
        " · [ada.example.org](https://ada.example.org)"
    ) in md
    assert "learner ada" in md
    html = run("export", "-f", "html").stdout
    assert "<h1>Ada Lovelace</h1>" in html
    assert '<p class="headline">Product manager, moving into AI &amp; ML</p>' in html
    assert '<a class="raw" href="https://github.com/ada?tab=a,b">GitHub</a>' in html
    person = json.loads(run("export", "-f", "json").stdout)["person"]
    assert person["name"] == "Ada Lovelace" and len(person["links"]) == 3


def test_the_learner_id_when_no_name_is_set(run: Run) -> None:
    assert run("export").stdout.startswith("# ada\n")
    assert "<h1>ada</h1>" in run("export", "-f", "html").stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Site=javascript:alert(1)", "'javascript:alert(1)' is not an http(s) link."),
        ("ftp://example.org", "'ftp://example.org' is not an http(s) link."),
        (",".join(f"L{n}=https://e.org/{n}" for n in range(7)), "7 links is too many for a report."),
    ],
)
def test_links_must_be_http(run: Run, home: Path, value: str, message: str) -> None:
    result = run("config", "links", value)
    assert result.exit_code == 2  # a value that cannot be used is a usage error
    assert message in result.stderr
    assert not (home / "config.json").exists()


# --------------------------------------------------------------------------- #
# Charts and Markdown as text
# --------------------------------------------------------------------------- #


def test_activity_starts_at_the_first_active_week(run: Run, records: None) -> None:
    html = run("export", "-f", "html").stdout
    weeks = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>(\d+)</td></tr>", html)  # the text alternative
    assert weeks[0][0] == "2026-08-31"  # the week of the first start, 2026-09-01
    assert weeks[-1][0] == "2026-11-23" and len(weeks) == 13
    assert len(re.findall(r"<title>week of", html)) == len(weeks)  # one bar a week
    total = sum(int(n) for _, n in weeks)
    assert f"{total} events (starts, completions, skips, notes, evidence, ratings) in 13 weeks" in html
    assert 'aria-describedby="activity-table"' in html
    assert '<text class="value"' in html and ">31 Aug</text>" in html  # values and week labels, drawn in SVG
    assert "<script" not in html.lower()


def test_activity_is_at_most_26_weeks_and_empty_before_any(run: Run) -> None:
    assert "No activity yet." in run("export", "-f", "html").stdout
    run("done", "ai-for-everyone", "--on", "2025-01-06")
    html = run("export", "-f", "html").stdout
    assert len(re.findall(r"<tr><td>\d{4}-\d\d-\d\d</td><td>\d+</td></tr>", html)) == 26


def test_phase_bars_are_labelled(run: Run, records: None) -> None:
    html = run("export", "-f", "html").stdout
    assert 'aria-labelledby="phase-foundation phase-foundation-num"' in html
    assert '<span class="num" id="phase-foundation-num">17% · 1 of 6</span>' in html


def test_markdown_has_no_html_entities_and_escapes_with_backslashes(run: Run) -> None:
    md = run("export", "--full").stdout
    assert "Learning Tips & Best Practices" in md
    assert "&amp;" not in md
    run("note", "ai-for-everyone", "--", "- not a list & <b>not bold</b> *nor this* &amp; 1. nor this")
    run("done", "ai-for-everyone")
    md = run("export").stdout
    assert "Note: “\\- not a list & \\<b>not bold\\</b> \\*nor this\\* \\&amp; 1. nor this”" in md


def test_roadmap_table_only_with_full(run: Run) -> None:
    assert "## The roadmap, phase by phase" not in run("export").stdout
    assert "## The roadmap, phase by phase" in run("export", "--full").stdout
    html = run("export", "-f", "html").stdout
    assert '<details class="roadmap">' in html  # collapsed on screen, left out of print
    assert '<details class="roadmap print" open>' in run("export", "-f", "html", "--full").stdout


# --------------------------------------------------------------------------- #
# On paper: a learner 15% through prints on at most three A4 pages
# --------------------------------------------------------------------------- #

FIFTEEN_PERCENT = [
    ("start", "ai-for-everyone", "--on", "2026-06-01"),
    ("done", "ai-for-everyone", "--on", "2026-06-28", "--evidence", "https://coursera.org/verify/ABC123XYZ",
     "--note", "Clear framing of what AI can and cannot do"),
    ("done", "identifying-ai-opportunities", "cross-functional-collaboration", "--on", "2026-07-05"),
    ("done", "product-strategy-and-roadmap", "--on", "2026-07-19", "--evidence", "https://ada.example.org/roadmap-memo"),
    ("done", "product-strategy", "user-research", "product-lifecycle", "--on", "2026-08-09"),
    ("done", "agile-methodologies", "--on", "2026-08-23"),
    ("done", "feature-analysis-market-research", "--on", "2026-09-06",
     "--evidence", "https://github.com/ada-lovelace/ai-feature-analysis/blob/main/docs/market-research-and-competitor-landscape.md",
     "--note", "Interviewed 12 support agents about ticket triage"),
    ("done", "feature-analysis-user-needs", "--on", "2026-09-20",
     "--evidence", "https://github.com/ada-lovelace/ai-feature-analysis/blob/main/docs/user-needs.md"),
    ("start", "feature-analysis-specification", "--on", "2026-09-21"),
    ("done", "agile-certification", "--on", "2026-10-04", "--credential", "https://bcert.me/s/CSM-000123456",
     "--expires", "2028-10-04"),
    ("done", "join-pm-communities", "follow-ai-product-blogs", "--on", "2026-10-11"),
    ("done", "ml-pipeline", "data-requirements", "--on", "2026-10-25"),
    ("start", "digital-product-management", "--on", "2026-11-01"),
    ("skip", "product-hunt", "--on", "2026-11-08", "--reason", "I follow launches elsewhere"),
    ("assess", "product-management", "3", "--on", "2026-11-10", "--note", "after the first project deliverables"),
    ("assess", "ai-technical", "2", "--on", "2026-11-10"),
    ("note", "core-product-management", "Paired with a mentor for the whole module", "--on", "2026-11-12"),
]  # fmt: skip


@pytest.mark.browser
def test_a_learner_fifteen_percent_through_prints_on_three_pages(run: Run, tmp_path: Path) -> None:
    browser = chromium()
    run("config", "name", "Ada Lovelace")
    run("config", "headline", "Support lead becoming an AI product manager")
    run("config", "links", "LinkedIn=https://www.linkedin.com/in/ada-lovelace,GitHub=https://github.com/ada-lovelace")
    for args in FIFTEEN_PERCENT:
        assert run(*args).exit_code == 0, args
    status = json.loads(run("status", "--json").stdout)
    assert 14.5 <= status["percent"] <= 16
    report = tmp_path / "report.html"
    run("export", "-o", str(report))
    assert pdf_pages(browser, report, tmp_path) <= 3
    full = tmp_path / "full.html"
    run("export", "--full", "-o", str(full))
    assert pdf_pages(browser, full, tmp_path) > 3  # --full prints the whole roadmap too
