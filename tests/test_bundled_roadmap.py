"""The bundled AI PM roadmap validates and carries every part of the three sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from aipm_cli.paths import bundled_roadmaps_dir
from aipm_cli.roadmap.loading import load_roadmap_file
from aipm_cli.roadmap.models import Roadmap

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return load_roadmap_file(REPO / "roadmap" / "ai-product-manager.yaml")


def test_identity(roadmap: Roadmap) -> None:
    assert roadmap.id == "ai-product-manager"
    assert roadmap.version == "1.2.0"
    assert [s.title for s in roadmap.sources] == [
        "AI-Product-Manager-Colab-Exercises",
        "AI Product Manager Career Path & Learning Roadmap",
        "An untitled article on AI product management best practices",
    ]


def test_foundation_course(roadmap: Roadmap) -> None:
    item = roadmap.index.items["ai-for-everyone"].item
    assert (item.title, item.kind, item.provider, item.author) == ("AI for Everyone", "course", "Coursera", "Andrew Ng")
    assert item.url == "https://www.coursera.org/learn/ai-for-everyone"
    assert item.duration == "4 weeks"
    # The 4-week foundation phase holds the foundation course and nothing else.
    foundation = roadmap.index.phases["foundation"]
    assert foundation.duration == "4 weeks"
    assert [i.id for m in foundation.modules for i in m.items] == ["ai-for-everyone"]


def test_phases_in_order_with_their_modules_and_durations(roadmap: Roadmap) -> None:
    assert [(p.id, p.duration) for p in roadmap.phases] == [
        ("foundation", "4 weeks"),
        ("ai-product-manager-role", None),
        ("phase-1", "3-4 months"),
        ("phase-2", "3-4 months"),
        ("phase-3", "3-4 months"),
        ("phase-4", "2-3 months"),
        ("course-exercises", None),
        ("portfolio-projects", None),
        ("professional-development", None),
        ("learning-practices", None),
    ]
    phases = {p.title: p for p in roadmap.phases}
    expected = {
        "Phase 1: Product Management Foundations": {"Core Product Management": "6-8 weeks", "Business & Strategy": "6-8 weeks"},
        "Phase 2: Technical Understanding": {"AI/ML Fundamentals": "6-8 weeks", "Data Analytics": "6-8 weeks"},
        "Phase 3: AI Product Specialization": {"AI Product Development": "6-8 weeks", "Ethics & Responsibility": "6-8 weeks"},
        "Phase 4: Advanced Skills": {"AI Product Innovation": "4-6 weeks", "Leadership & Communication": "4-6 weeks"},
    }  # fmt: skip
    for title, modules in expected.items():
        assert {m.title: m.duration for m in phases[title].modules} == modules
    # Only the sources' durations: the foundation course's 4 weeks (on its phase,
    # module and item), four phases and eight modules.
    durations = [x.duration for p in roadmap.phases for x in (p, *p.modules, *(i for m in p.modules for i in m.items))]
    assert len([d for d in durations if d]) == 3 + 4 + 8


def test_four_projects_with_their_deliverables(roadmap: Roadmap) -> None:
    projects = {
        p.item.title: [d.title for d in p.item.deliverables]
        for p in roadmap.index.items.values()
        if p.item.kind == "project"
    }
    assert projects == {
        "AI Feature Analysis": ["Market research", "User needs assessment", "Feature specification", "Success metrics definition"],
        "AI Product Prototype": ["User story creation", "Technical requirements", "MVP definition", "Launch strategy"],
        "End-to-End AI Product": ["Strategy development", "Team coordination", "Development oversight", "Launch management"],
        "AI Product Optimization": ["Performance analysis", "User feedback collection", "Iteration planning", "Impact measurement"],
    }  # fmt: skip
    advanced = roadmap.index.items["end-to-end-ai-product"]
    assert {"ai-feature-analysis", "ai-product-prototype"} <= set(advanced.requires)


def test_course_exercises(roadmap: Roadmap) -> None:
    exercises = [p.item for p in roadmap.index.items.values() if p.item.kind == "exercise"]
    assert [e.id for e in exercises] == [
        "exercise-data-analysis",
        "exercise-model-building",
        "exercise-nlp",
        "exercise-ai-product-strategy",
    ]
    # Marily Nika led the course; the source does not say she wrote the notebooks.
    assert all(e.author is None and "led by Marily Nika" in e.description for e in exercises)


def test_skills_and_success_metrics(roadmap: Roadmap) -> None:
    assert [(s.id, s.title) for s in roadmap.skills] == [
        ("product-management", "Product Management Skills"),
        ("ai-technical", "AI & Technical Knowledge"),
        ("data-driven", "Data-driven Mindset"),
        ("ethics", "Ethical Understanding"),
        ("communication-leadership", "Communication & leadership"),
    ]
    # The fifth area is aipm's, and says so.
    assert "aipm's" in roadmap.skills[4].assumption
    assert [m.title for m in roadmap.success_metrics] == [
        "Knowledge Assessment",
        "Project Success",
        "Professional Growth",
    ]
    # every skill is built by some item, and every item names the skills it builds
    built = {s for p in roadmap.index.items.values() for s in p.item.skills}
    assert built == {s.id for s in roadmap.skills}
    assert all(p.item.skills for p in roadmap.index.items.values())


def test_phase_work_comes_after_the_foundation_course(roadmap: Roadmap) -> None:
    assert "ai-for-everyone" in roadmap.index.items["digital-product-management"].requires


# --------------------------------------------------------------------------- #
# Upgrading from the released roadmap
# --------------------------------------------------------------------------- #

RELEASED = Path(__file__).resolve().parent / "data" / "released" / "ai-product-manager-1.0.0.yaml"
# 1.2.0 added words (source sentences, aipm's notes) and changed no id, title, kind or place.
RELEASED_1_1 = RELEASED.with_name("ai-product-manager-1.1.0.yaml")
# Titles 1.1.0 gives back their sources' capitals and words; every other title is unchanged.
RETITLED = {
    "identifying-ai-opportunities": "Identifying AI Opportunities",
    "cross-functional-collaboration": "Cross-functional Collaboration",
    "product-strategy-and-roadmap": "Product Strategy and Roadmap",
    "ethics-and-risk-management": "Ethics and Risk Management",
    "ai-product-evaluation": "AI Product Evaluation",
    "exercise-ai-product-strategy": "Exercise: AI-driven product strategies",
    "implement-agile-methodologies": "Implementing Agile Methodologies in AI Product Management",
    "leverage-data-and-insights": "Leveraging Data and Insights",
    "collaborate-with-ai-engineers": "Collaborating with AI Engineers and Data Scientists",
    "monitor-ai-product-performance": "Monitoring and Evaluating AI Product Performance",
}


@pytest.fixture(scope="module")
def released() -> Roadmap:
    return load_roadmap_file(RELEASED)


def test_the_released_copy_is_the_released_roadmap(released: Roadmap) -> None:
    assert (released.id, released.version) == ("ai-product-manager", "1.0.0")
    assert len(released.index.items) == 92 and len(released.index.deliverables) == 16


def test_every_released_id_still_names_the_same_element(roadmap: Roadmap, released: Roadmap) -> None:
    new = roadmap.index
    for old_id, placed in released.index.items.items():
        new_id = old_id if old_id in new.items else new.aliases.get(old_id)
        assert new_id in new.items, f"{old_id} is gone"
        item = new.items[new_id].item
        assert item.kind == placed.item.kind, old_id
        assert item.title == RETITLED.get(old_id, placed.item.title), old_id
        assert [d.title for d in item.deliverables] == [d.title for d in placed.item.deliverables], old_id
    for old_id, (deliverable, project) in released.index.deliverables.items():
        new_id = old_id if old_id in new.deliverables else new.aliases.get(old_id)
        assert new_id in new.deliverables, f"{old_id} is gone"
        now, now_project = new.deliverables[new_id]
        assert (now.title, now_project.id) == (deliverable.title, project.id)
    assert set(new.skills) == set(released.index.skills)


def test_1_2_0_changes_no_id_title_kind_or_place_of_1_1_0(roadmap: Roadmap) -> None:
    before = load_roadmap_file(RELEASED_1_1)
    assert before.version == "1.1.0"

    def shape(rm: Roadmap) -> list[tuple[str, ...]]:
        out = [(p.id, p.title) for p in rm.phases]
        out += [(m.id, m.title, p.id) for m, p in rm.index.modules.values()]
        out += [(i, x.item.title, x.item.kind, x.module.id, *x.requires) for i, x in rm.index.items.items()]
        out += [(d, x.title, project.id) for d, (x, project) in rm.index.deliverables.items()]
        return out + [(k.id, k.title) for k in rm.skills]

    assert shape(roadmap) == shape(before)
    assert roadmap.version != before.version


@pytest.mark.parametrize("copy", [RELEASED, RELEASED_1_1], ids=["1.0.0", "1.1.0"])
def test_progress_recorded_on_the_released_roadmap_carries_over(run, run_json, copy: Path) -> None:  # type: ignore[no-untyped-def]
    released = load_roadmap_file(copy)
    units = released.index.trackable_ids()
    done, skipped = units[::2], units[1::7]
    done = [u for u in done if u not in skipped]
    assert run("--roadmap", str(copy), "done", *done).exit_code == 0
    assert run("--roadmap", str(copy), "skip", *skipped).exit_code == 0
    assert run("--roadmap", str(copy), "note", "transparency", "read the Google page").exit_code == 0
    old = run_json("--roadmap", str(copy), "status")
    assert old["roadmap"]["version"] == released.version

    now = run_json("status")
    assert now["roadmap"]["version"] == "1.2.0"
    assert now["orphans"] == []
    assert now["counts"]["done"] == old["counts"]["done"] == len(done)
    assert now["counts"]["skipped"] == old["counts"]["skipped"] == len(skipped)
    statuses = {row["id"]: row["status"] for row in run_json("list")}
    for unit in done:
        shown = run_json("show", unit) if unit not in statuses else {"status": statuses[unit]}
        assert shown["status"] == "done", unit
    assert [n["text"] for n in run_json("show", "transparency")["notes"]] == ["read the Google page"]


def test_bundled_folder_is_the_checkout_copy_in_development() -> None:
    assert (bundled_roadmaps_dir() / "ai-product-manager.yaml").is_file()


def test_roadmap_show_prints_every_item_in_full(run) -> None:  # type: ignore[no-untyped-def]
    result = run("roadmap", "show", "ai-product-manager", env={"COLUMNS": "160"})
    assert result.exit_code == 0
    roadmap = load_roadmap_file(REPO / "roadmap" / "ai-product-manager.yaml")
    for placed in roadmap.index.items.values():
        assert placed.item.title in result.stdout
    assert "Machine Learning for Product Managers" in result.stdout
    assert "…" not in result.stdout


def test_roadmap_list_shows_bundled(run_json) -> None:  # type: ignore[no-untyped-def]
    entries = run_json("roadmap", "list")
    assert entries[0]["id"] == "ai-product-manager"
    assert entries[0]["origin"] == "bundled"
    assert entries[0]["in_use"] is True
