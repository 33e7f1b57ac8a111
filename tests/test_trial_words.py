"""A new user's trial: an own roadmap's `show` speaks of that roadmap (not the bundled one's sources), a
URL is never cut when a view wraps, and `plan --start` refuses a start long gone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, Run

# --------------------------------------------------------------------------- #
# 1. An own roadmap's show: its own counts, and sources only when it names some
# --------------------------------------------------------------------------- #


def readme_roadmap() -> str:
    """The roadmap of the README's "Writing your own roadmap": what a new user copies first."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing your own roadmap", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def own(home: Path, text: str, name: str = "data-pm.yaml") -> None:
    folder = home / "roadmaps"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


# Words that only the bundled roadmap (or a roadmap that names its sources) can make true.
BUNDLED_WORDS = re.compile(r"career path|\bsources?\b|\bfour\b|Practical Experience|Project Portfolio|notebook")


def test_the_readme_roadmap_shows_its_own_counts_and_never_the_bundled_sources(run: Run, home: Path) -> None:
    own(home, readme_roadmap())
    project = run("-r", "data-pm", "show", "sql-project", "--json")
    assert project.exit_code == 0, project.stderr
    data = __import__("json").loads(project.stdout)
    assert "Done when its 2 deliverables are done" in data["done_means"]
    assert "The roadmap gives its title and deliverables, nothing more" in data["done_means"]
    assert "The 6-8 weeks the roadmap gives is for the whole module (SQL)" in data["done_means"]
    for columns in ("60", "80"):
        for ident in ("sql-project", "mode-sql", "funnel-queries", "funnel-writeup"):
            shown = run("-r", "data-pm", "show", ident, env={"COLUMNS": columns})
            assert shown.exit_code == 0, shown.stderr
            text = " ".join(shown.stdout.split())
            assert not BUNDLED_WORDS.search(text), (ident, text)
    tutorial = " ".join(run("-r", "data-pm", "show", "mode-sql").stdout.split())
    assert "builds SQL outcomes" in tutorial  # the skill, with no word on whose reading it is


def test_a_project_counts_its_own_deliverables_however_many(run: Run, run_json: Any, home: Path) -> None:
    last = "              - {id: funnel-writeup, title: Write-up}\n"
    assert readme_roadmap().endswith(last)
    text = readme_roadmap() + (
        "              - {id: funnel-deck, title: Deck}\n"
        "          - id: solo-project\n            title: One deliverable\n            kind: project\n"
        "            deliverables:\n              - {id: solo-part, title: Part}\n"
        "          - id: bare-project\n            title: No deliverables\n            kind: project\n"
    )
    own(home, text)
    said = {
        i: run_json("-r", "data-pm", "show", i)["done_means"] for i in ("sql-project", "solo-project", "bare-project")
    }
    assert said["sql-project"].startswith("Done when its 3 deliverables are done")
    assert said["solo-project"].startswith("Done when its deliverable is done")
    assert said["bare-project"].startswith("Done when you mark it done: it has no deliverables")


def test_a_roadmap_that_names_its_sources_is_said_to_be_read_from_them(run: Run, run_json: Any, home: Path) -> None:
    text = readme_roadmap().replace("skills:\n", "sources:\n  - {title: A SQL course}\nskills:\n", 1)
    text = text.replace("            outcomes: [Write joins and window functions]\n", "")
    text = text.replace(
        "          - id: sql-project",
        "          - {id: joins, title: Joins, kind: topic}\n          - id: sql-project",
    )
    own(home, text)
    assert "The source names it and its deliverables" in run_json("-r", "data-pm", "show", "sql-project")["done_means"]
    topic = run_json("-r", "data-pm", "show", "joins")
    assert (
        "The source names the topic but gives no material of its own for it: the module's resource is a start."
        in (topic["done_means"])
    )
    assert "The source's 6-8 weeks is for the whole module (SQL)" in topic["done_means"]
    deliverable = run_json("-r", "data-pm", "show", "funnel-queries")["done_means"]
    assert "The source gives only its title, as one of the 2 deliverables of its project." in deliverable
    assert "(the roadmap's reading of its sources)" in run("-r", "data-pm", "show", "mode-sql").stdout


def test_without_sources_a_topic_with_no_link_points_to_the_module_material(
    run: Run, run_json: Any, home: Path
) -> None:
    own(home, readme_roadmap().replace(
        "          - id: sql-project",
        "          - {id: joins, title: Joins, kind: topic}\n          - {id: ex, title: Drills, kind: exercise}\n"
        "          - id: sql-project",
    ))  # fmt: skip
    topic = run_json("-r", "data-pm", "show", "joins")["done_means"]
    assert "The roadmap gives no material of its own for it: the module's resource is a start." in topic
    exercise = run_json("-r", "data-pm", "show", "ex")["done_means"]
    assert "source" not in exercise and "notebooks" not in exercise


def test_roadmap_show_calls_an_own_roadmaps_assumptions_its_own(run: Run, home: Path) -> None:
    own(home, readme_roadmap().replace("skills:\n", "assumptions: [SQL before Python.]\nskills:\n", 1))
    text = " ".join(run("-r", "data-pm", "roadmap", "show").stdout.split())
    assert "The roadmap's assumptions • SQL before Python." in text
    assert "aipm's" not in text and not BUNDLED_WORDS.search(text)


# --------------------------------------------------------------------------- #
# 2. A URL stays on one line, whatever the width
# --------------------------------------------------------------------------- #

LONG = "https://learn.example.org/specializations/digital-product-management/week-one/lesson-two"
EVIDENCE = "https://docs.example.org/portfolio/ai-feature-analysis/market-research-final-version.pdf"
NOTE = "https://notes.example.org/ada/ai-feature-analysis/drafts-of-the-whole-project-2026.md"


def long_url_roadmap() -> str:
    text = readme_roadmap().replace("url: https://mode.com/sql-tutorial/", f"url: {LONG}")
    return text.replace('url: "https://example.org/sql"', f'url: "{LONG}/cheat-sheet"')


def whole(url: str, out: str) -> bool:
    """`url` whole on one line of `out` (nothing of it cut onto the next)."""
    return any(url in line for line in out.splitlines())


@pytest.mark.parametrize("columns", ["60", "80"])
def test_show_keeps_every_url_whole_and_the_rest_within_the_width(run: Run, home: Path, columns: str) -> None:
    own(home, long_url_roadmap())
    assert run("-r", "data-pm", "done", "funnel-queries", "--evidence", EVIDENCE).exit_code == 0
    assert run("-r", "data-pm", "note", "sql-project", f"drafts at {NOTE} (shared)").exit_code == 0
    assert run("-r", "data-pm", "note", "mode-sql", f"see {NOTE}").exit_code == 0
    tutorial = run("-r", "data-pm", "show", "mode-sql", env={"COLUMNS": columns}).stdout
    assert whole(LONG, tutorial) and whole(LONG + "/cheat-sheet", tutorial) and whole(NOTE, tutorial)
    assert re.search(r"^url +" + re.escape(LONG) + "$", tutorial, re.M)  # beside its label, as the other rows
    project = run("-r", "data-pm", "show", "sql-project", env={"COLUMNS": columns}).stdout
    assert whole(EVIDENCE, project) and whole(NOTE, project)
    history = re.split(r"History[^\n]*\n", project, maxsplit=1)[1]  # (the heading says the time zone)
    assert whole(NOTE, history)
    for out in (tutorial, project):
        for line in out.splitlines():
            assert len(line) <= int(columns) or "://" in line, line
    # The words around a URL still wrap between words: "(shared)" follows it, the labels stay aligned.
    assert "(shared)" in project


def test_log_keeps_a_url_whole_when_it_wraps_to_columns(run: Run, home: Path) -> None:
    own(home, long_url_roadmap())
    assert run("-r", "data-pm", "note", "mode-sql", f"see {NOTE} later").exit_code == 0
    out = run("-r", "data-pm", "log", env={"COLUMNS": "60"}).stdout
    assert whole(NOTE, out)
    assert all(len(line) <= 60 or "://" in line for line in out.splitlines())


def test_the_rich_history_line_keeps_a_url_whole() -> None:
    """`aipm log` in a terminal, and show's History: rich's grid would fold the URL mid-word."""
    import io

    from rich.console import Console

    from aipm_cli.render.history import log_view

    change = {
        "id": "x", "at": "2026-11-24T10:00:00+00:00", "on": "2026-11-24", "device": "laptop", "action": "note",
        "items": ["mode-sql"], "note": f"see {NOTE} later", "undone": False,
    }  # fmt: skip
    for width in (60, 80):
        console = Console(width=width, file=io.StringIO(), no_color=True, force_terminal=True)
        log_view(console, [change])
        out = re.sub(r"\x1b\[[0-9;]*m", "", console.file.getvalue())  # type: ignore[attr-defined]
        assert whole(NOTE, out), out
        assert re.search(r"^ {12}\S*" + re.escape(NOTE), out, re.M)  # under the change's text, not at the margin


def test_wrapping_keeps_urls_and_offsets_slice_the_text() -> None:
    from aipm_cli.render.wrap import url_safe_spans, wrap_keeping_urls

    text = f"1. 2026-11-24  see {NOTE} for  the drafts\nnext"
    lines = wrap_keeping_urls(text, 30)
    assert lines == ["1. 2026-11-24  see", NOTE, "for  the drafts", "next"]
    assert [text[a:b] for a, b in url_safe_spans(text, 30)] == lines
    # Words that are not URLs are folded as before.
    assert wrap_keeping_urls("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


# --------------------------------------------------------------------------- #
# 3. plan --start: from a year ago on
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("direct", [True, False])
def test_plan_refuses_a_start_more_than_a_year_ago(direct: bool) -> None:
    from conftest import invoke_line

    refused = invoke_line(["plan", "--start", "1970-01-01"], direct=direct)
    assert refused.exit_code == 2
    assert "The start date 1970-01-01 is more than a year ago" in refused.stderr
    assert "Give 2025-11-24 or a later date." in refused.stderr  # the clock is 2026-11-24
    assert invoke_line(["plan", "--start", "2025-11-23"], direct=direct).exit_code == 2
    accepted = invoke_line(["plan", "--start", "2025-11-24", "--json"], direct=direct)
    assert accepted.exit_code == 0, accepted.stderr
    assert __import__("json").loads(accepted.stdout)["items"][0]["start"] == "2025-11-24"
    later = invoke_line(["plan", "--start", "2027-06-01", "--json"], direct=direct)
    assert later.exit_code == 0 and __import__("json").loads(later.stdout)["items"][0]["start"] == "2027-06-01"


def test_a_year_before_29_february_is_28_february() -> None:
    from datetime import date

    from aipm_cli.dates import a_year_before

    assert a_year_before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert a_year_before(date(2026, 11, 24)) == date(2025, 11, 24)


def test_roadmap_show_keeps_a_source_url_whole(run: Run, home: Path) -> None:
    own(home, readme_roadmap().replace("skills:\n", f"sources:\n  - {{title: A course, url: '{LONG}'}}\nskills:\n", 1))
    out = run("-r", "data-pm", "roadmap", "show", env={"COLUMNS": "60"}).stdout
    assert whole(f"<{LONG}>", out)


def test_the_cohort_view_keeps_an_evidence_link_whole() -> None:
    import io

    from rich.console import Console
    from rich.text import Text

    from aipm_cli.render.cohort_terminal import _line

    console = Console(width=60, file=io.StringIO(), no_color=True)
    _line(console, Text(f"Market research: {EVIDENCE}"), 4)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert whole(EVIDENCE, out) and out.startswith("    Market research:")
