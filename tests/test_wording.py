"""Every message reads right: counts with their plural, articles, ranges; no 'item(s)'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aipm_cli.wording import article, count, either, listed, noun, plural_of, span
from conftest import Run


@pytest.mark.parametrize(
    ("number", "word", "expected"),
    [
        (0, "item", "0 items"),
        (1, "item", "1 item"),
        (2, "item", "2 items"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (2, "evidence entry", "2 evidence entries"),
        (1, "change", "1 change"),
        (5, "change", "5 changes"),
        (2, "day", "2 days"),
        (2, "class", "2 classes"),
        (2, "study hour", "2 study hours"),
    ],
)
def test_count(number: int, word: str, expected: str) -> None:
    assert count(number, word) == expected


def test_noun_agrees_with_its_number() -> None:
    assert noun(1, "is") == "is" and noun(2, "is") == "are"
    assert noun(1, "it") == "it" and noun(4, "it") == "they"
    assert plural_of("deliverable") == "deliverables"


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("date", "a date"),
        ("expiry date", "an expiry date"),
        ("item", "an item"),
        ("module", "a module"),
        ("phase", "a phase"),
        ("start date", "a start date"),
        ("URL", "a URL"),
        ("hour", "an hour"),
        ("usable name", "a usable name"),
        ("exercise", "an exercise"),
    ],
)
def test_article(phrase: str, expected: str) -> None:
    assert article(phrase) == expected


def test_ranges_only_when_the_ends_differ() -> None:
    assert span(3, 3, "study hour") == "3 study hours"
    assert span(1, 1, "study hour") == "1 study hour"
    assert span(3.2, 5.4, "study hour") == "3-5 study hours"
    assert span(2.6, 3.4) == "3"


def test_lists() -> None:
    assert either(["a"]) == "a"
    assert either(["a", "b", "c"]) == "a, b or c"
    assert listed(["a", "b"]) == "a, b"
    assert listed(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"


def test_no_message_template_says_item_s() -> None:
    source = Path(__file__).resolve().parent.parent / "src" / "aipm_cli"
    offenders = [
        f"{path.name}: {line.strip()}"
        for path in source.rglob("*.py")
        if path.name != "wording.py"
        for line in path.read_text().splitlines()
        if re.search(r"(item|entr\w*|change|learner|deliverable|day|week|hour|problem|file)\(s\)", line)
        or re.search(r"\bis a \{", line)
        or re.search(r"\{low[^}]*\}-\{high", line)
    ]
    assert offenders == []


# --------------------------------------------------------------------------- #
# The messages the issue quoted, as a learner sees them
# --------------------------------------------------------------------------- #


def test_a_phase_says_how_many_items_it_has_when_nothing_changes(run: Run) -> None:
    result = run("reset", "phase-3")
    assert "Phase 3: AI Product Specialization (phase-3, 12 items) is already not started; nothing changed." in (
        result.stderr
    )


def test_a_module_of_projects_counts_projects_and_deliverables(run: Run) -> None:
    result = run("done", "beginner-projects")
    assert "✓ Done: Beginner Projects (beginner-projects, 2 projects with 8 deliverables) on 2026-11-24." in (
        result.stderr
    )


def test_several_items_are_items(run: Run) -> None:
    result = run("done", "ai-for-everyone", "user-research")
    assert "✓ Done: 2 items (ai-for-everyone, user-research) on 2026-11-24." in result.stderr
    one = run("done", "beginner-projects", "advanced-projects")
    assert "2 modules (beginner-projects, advanced-projects)" in one.stderr


def test_an_expiry_date_with_its_article_and_only_the_words_that_work(run: Run) -> None:
    result = run("done", "agile-certification", "--expires", "never")
    text = " ".join(result.stderr.replace("│", " ").split())
    assert "'never' is not an expiry date aipm understands" in text
    assert "yesterday" not in text


def test_one_study_hour_range_is_one_number(run: Run, run_json) -> None:  # type: ignore[no-untyped-def]
    # Everything but one item done or skipped: its range, never "3-3 h".
    from aipm_cli.estimate import hours

    ids = [i["id"] for i in run_json("list") if i["id"] != "market-analysis"]
    run("skip", *ids)
    status = run("status").stdout
    assert not re.search(r"\b(\d+)-\1 h\b", status), status
    assert re.search(r"\b\d+-\d+ h of study left: \d+-\d+ h from the sources' durations", status), status
    assert hours(3.0, 3.4) == "3 h" and hours(2.6, 3.4) == "3 h" and hours(2, 4) == "2-4 h"


def test_a_single_import_change_is_one_change(run: Run, tmp_path: Path) -> None:
    run("done", "ai-for-everyone")
    export = tmp_path / "one.json"
    run("export", "--format", "json", "-o", str(export))
    result = run("--user", "sam", "import", str(export))
    assert "✓ Imported 1 change into sam" in result.stderr
    again = run("--user", "sam", "import", str(export))
    assert "Nothing new: sam already has the one change of one.json." in again.stderr


def test_the_compact_estimate_keeps_every_number_of_the_full_one() -> None:
    """The TUI's header at 80 columns says the estimate in fewer words: the same range, the same hours a week."""
    from datetime import date

    from aipm_cli.estimate import WORD, short
    from aipm_cli.plainclass import replace
    from aipm_cli.view_data import Forecast

    plain = Forecast(hours_per_week=8, remaining_hours=(300, 400), finish=(date(2027, 9, 1), date(2028, 3, 1)))
    paced = replace(plain, pace_hours_per_week=10.4, pace_finish=(date(2028, 2, 1), date(2028, 9, 1)))
    logged = replace(paced, studied_hours_per_week=6.5, studied_finish=(date(2028, 5, 1), date(2028, 5, 20)))
    assert short(plain, compact=True) == "estimate: done Sep 2027–Mar 2028 at 8 h a week"
    assert short(paced, compact=True) == "estimate: done Feb–Sep 2028 (your pace, 10 h a week)"
    assert short(logged, compact=True) == "estimate: done May 2028 (logged time, 6.5 h a week)"
    for forecast in (plain, paced, logged):
        full, compact = short(forecast), short(forecast, compact=True)
        assert WORD in compact and len(compact) < len(full), (full, compact)
