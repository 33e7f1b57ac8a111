"""What a learner is told is honest: numbers say they are aipm's estimate and from what, every kind of
item says what "done" means, habits are ongoing, and the structure leads where the sources lead."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from aipm_cli.estimate import WORD
from conftest import Run


def flat(text: str) -> str:
    return " ".join(text.split())


def with_a_pace(run: Run) -> None:
    # Two completions over more than two weeks before "today" (2026-11-24): enough for a pace.
    assert run("done", "ai-for-everyone", "--on", "2026-10-01").exit_code == 0
    assert run("done", "user-research", "product-strategy", "--on", "2026-10-20").exit_code == 0


def tui_header(home: Path) -> str:
    pytest.importorskip("textual")
    from aipm_cli.learner import Learner
    from aipm_cli.tui.app import AipmApp

    seen: dict[str, str] = {}

    async def drive() -> None:
        app = AipmApp(Learner(home, user="ada"), refresh_seconds=0.2)
        async with app.run_test(size=(160, 24)) as pilot:
            await pilot.pause()
            seen["header"] = str(app.query_one("#header").render())

    asyncio.run(drive())
    return flat(seen["header"])


def views(run: Run, home: Path) -> dict[str, str]:
    return {
        "status": flat(run("status").stdout),
        "plan": flat(run("plan").stdout),
        "md": flat(run("export", "-f", "md").stdout),
        "html": flat(re.sub(r"<[^>]+>", " ", run("export", "-f", "html").stdout).replace("&#39;", "'")),
        "tui": tui_header(home),
    }


# --------------------------------------------------------------------------- #
# Every number says where it comes from
# --------------------------------------------------------------------------- #


def test_every_view_with_hours_or_a_date_says_it_is_an_estimate_and_from_what(run: Run, home: Path) -> None:
    shown = views(run, home)
    for name, text in shown.items():
        assert WORD in text, name
    for name in ("status", "plan", "md", "html"):
        text = shown[name]
        # Source time apart from aipm's defaults, in whole-hour ranges, and the reference pace.
        assert re.search(r"\d+-\d+ h from the sources' durations \(8 study hours a source week\)", text), name
        assert re.search(r"\+ \d+-\d+ h of aipm's defaults for items the sources give no time", text), name
        # A range of months, never one day or one decimal.
        assert re.search(r"done between \w+ (\d{4} )?and \w+ \d{4}", text), name
        assert not re.search(r"\d+\.\d+ (study )?h", text), name
    assert "done by" not in shown["plan"]
    assert "No pace yet" in shown["status"]
    assert "aipm's estimate: done" in shown["tui"]


def test_once_there_is_a_pace_every_view_says_the_forecast_is_from_it(run: Run, home: Path) -> None:
    with_a_pace(run)
    shown = views(run, home)
    assert "From your own pace (" in shown["status"] and "since 2026-10-01" in shown["status"]
    assert "No pace yet" not in shown["status"]
    for name in ("md", "html"):
        assert "from the learner's own pace (" in shown[name] and "since 2026-10-01" in shown[name], name
    assert "estimate from your pace (" in shown["tui"]


def test_the_hours_split_adds_up(run_json: Any) -> None:
    f = run_json("status")["forecast"]
    # A blank record: the sources' durations are 4 + 6 x 6-8 + 2 x 4-6 weeks, at 8 study hours a week.
    assert f["source_hours"] == [384.0, 512.0]
    assert f["default_hours"][0] > 0 and f["reference_hours_per_week"] == 8
    assert f["remaining_hours"] == [f["source_hours"][0] + f["default_hours"][0],
                                   f["source_hours"][1] + f["default_hours"][1]]  # fmt: skip
    plan = run_json("plan")
    assert plan["hours_range"] == f["remaining_hours"]
    assert plan["source_hours"] == f["source_hours"] and plan["default_hours"] == f["default_hours"]
    assert plan["finish_range"] == f["finish"]


# --------------------------------------------------------------------------- #
# What "done" means, per kind; habits and communities are ongoing
# --------------------------------------------------------------------------- #

ONE_OF_EACH_KIND = {
    "course": ("digital-product-management", "finished the course"),
    "resource": ("product-strategy-guide", "worked through the resource"),
    "topic": ("transparency", "explain the topic in your own words"),
    "practice": ("technical-communication", "put it into practice on real work"),
    "community": ("mind-the-product", "joined and taken part"),
    "certification": ("agile-certification", "hold the certificate"),
    "exercise": ("exercise-nlp", "The source gives no link for it"),
    "project": ("ai-feature-analysis", "its 4 deliverables are done"),
    "deliverable": ("feature-analysis-market-research", "a piece of work to show for it"),
}


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH_KIND))
def test_show_says_what_done_means_for_each_kind(run: Run, run_json: Any, kind: str) -> None:
    item, words = ONE_OF_EACH_KIND[kind]
    data = run_json("show", item)
    assert data["kind"] == kind
    assert words in data["done_means"]
    text = flat(run("show", item).stdout)
    assert "done means " + data["done_means"].split(".")[0] in text
    assert "(aipm's reading)" in text


def test_a_habit_says_it_is_ongoing(run_json: Any) -> None:
    assert run_json("show", "mentor-others")["done_means"].startswith("Ongoing: a habit")
    assert run_json("show", "speak-at-conferences")["done_means"].startswith("Ongoing: a habit")


def test_the_tui_detail_says_what_done_means(home: Path) -> None:
    pytest.importorskip("textual")
    from aipm_cli.learner import Learner
    from aipm_cli.tui.app import AipmApp

    seen: dict[str, str] = {}

    async def drive() -> None:
        app = AipmApp(Learner(home, user="ada"), refresh_seconds=0.2)
        async with app.run_test(size=(160, 50)) as pilot:
            app.select("mind-the-product")
            await pilot.pause()
            await pilot.pause()
            seen["detail"] = str(app.query_one("#detail-text").render())

    asyncio.run(drive())
    assert "done means" in seen["detail"] and "joined and taken part" in flat(seen["detail"])


def test_habits_and_communities_are_not_planned_as_one_off_tasks(run_json: Any) -> None:
    plan = run_json("plan")
    planned = {i["id"] for i in plan["items"]}
    for ongoing in ("mentor-others", "speak-at-conferences", "product-school", "follow-ai-product-blogs"):
        assert ongoing not in planned and ongoing in plan["ongoing"]
    # A practice with time of its own module (Phase 4's skills development) is planned.
    assert "technical-communication" in planned
    assert run_json("status")["forecast"]["ongoing_left"] == len(plan["ongoing"])


def test_next_does_not_lead_with_habits_or_communities(run: Run, run_json: Any) -> None:
    def ongoing(row: dict[str, Any]) -> bool:
        return row["kind"] == "community" or (row["kind"] == "practice" and row["module"] != "leadership-communication")

    everything = run_json("next", "-n", "500")
    marks = [ongoing(r) for r in everything]
    assert any(marks) and not marks[0]
    first = marks.index(True)
    assert all(marks[first:]), "habits and communities come after everything with an end"
    assert first >= 5
    # One the learner started is theirs to go on with: in progress comes first, whatever its kind.
    assert run("start", "mentor-others").exit_code == 0
    assert run_json("next")[0]["id"] == "mentor-others"


# --------------------------------------------------------------------------- #
# Structure
# --------------------------------------------------------------------------- #


def test_starting_a_deliverable_of_an_unstarted_project_warns(run: Run, run_json: Any) -> None:
    result = run("start", "end-to-end-strategy")
    assert result.exit_code == 0
    assert "Warning: end-to-end-strategy is started before what it requires: ai-for-everyone, " in result.stderr
    assert "ai-feature-analysis" in result.stderr
    # The deliverable lists what its project waits for.
    required = [r["id"] for r in run_json("show", "end-to-end-strategy")["requires"]]
    assert required == ["ai-for-everyone", "ai-feature-analysis", "ai-product-prototype"]
    # The whole project: one warning for the project, not one per deliverable.
    result = run("done", "ai-product-optimization")
    assert result.stderr.count("Warning") == 1 and "ai-product-optimization is done before" in result.stderr


def test_after_the_foundation_course_next_offers_a_phase_1_course_within_five(run: Run, run_json: Any) -> None:
    first = run_json("next")
    assert first[0]["id"] == "ai-for-everyone"
    assert run("done", "ai-for-everyone").exit_code == 0
    upcoming = run_json("next")
    assert len(upcoming) == 5
    assert any(r["phase"] == "phase-1" and r["kind"] == "course" for r in upcoming), upcoming
    # The role's duties are still offered, but do not fill the list.
    assert sum(r["phase"] == "ai-product-manager-role" for r in upcoming) == 1


# --------------------------------------------------------------------------- #
# The roadmap says what it is, where it comes from, and what aipm chose
# --------------------------------------------------------------------------- #


def test_roadmap_show_prints_description_sources_and_assumptions(run: Run) -> None:
    text = flat(run("roadmap", "show").stdout)
    assert '"An AI Product Manager bridges the gap between technical AI capabilities' in text
    assert "Sources 1. AI-Product-Manager-Colab-Exercises" in text
    assert "3. An untitled article on AI product management best practices" in text
    assert "The roadmap's assumptions (where its sources are silent)" in text
    assert "aipm counts a week of a duration as 8 study hours" in text
    assert "no item has a priority" in text


def test_show_labels_fallback_context_and_prints_module_notes(run: Run) -> None:
    text = flat(run("show", "product-analytics").stdout)
    assert "module Core Product Management (6-8 weeks):" in text
    assert "about Core Product Management" not in text
    assert "Phase 1 of the career path's Learning Path Details" not in text
    text = flat(run("show", "phase-2").stdout)
    assert "aipm's note: aipm's reading of \"Begin with this essential overview:\"" in text
    text = flat(run("show", "prototype-mvp-definition").stdout)
    assert "project AI Product Prototype (ai-product-prototype)" in text
    assert "on the phase aipm's note: aipm's reading of" in text
