"""A new user's trial: an own roadmap's `show` speaks of that roadmap (not the bundled one's sources), a
URL is never cut when a view wraps, and `plan --start` refuses a start long gone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
