"""The bundled AI PM roadmap validates and carries every part of the three sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from aipm_cli.catalog import load_roadmap_file
from aipm_cli.models import Roadmap
from aipm_cli.paths import bundled_roadmaps_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return load_roadmap_file(REPO / "roadmap" / "ai-product-manager.yaml")


def test_identity(roadmap: Roadmap) -> None:
    assert roadmap.id == "ai-product-manager"
    assert roadmap.version == "1.0.0"
    assert len(roadmap.sources) == 3


def test_foundation_course(roadmap: Roadmap) -> None:
    item = roadmap.index.items["ai-for-everyone"].item
    assert (item.title, item.kind, item.provider, item.author) == ("AI for Everyone", "course", "Coursera", "Andrew Ng")
    assert item.url == "https://www.coursera.org/learn/ai-for-everyone"
    assert item.duration == "4 weeks"
    assert item.outcomes == [
        "Understanding AI capabilities",
        "Recognizing AI opportunities",
        "Building realistic expectations",
        "Managing AI projects",
    ]


def test_four_phases_with_their_modules_and_durations(roadmap: Roadmap) -> None:
    phases = {p.title: p for p in roadmap.phases}
    expected = {
        "Phase 1: Product Management Foundations": ("3-4 months", {"Core Product Management": "6-8 weeks", "Business & Strategy": "6-8 weeks"}),
        "Phase 2: Technical Understanding": ("3-4 months", {"AI/ML Fundamentals": "6-8 weeks", "Data Analytics": "6-8 weeks"}),
        "Phase 3: AI Product Specialization": ("3-4 months", {"AI Product Development": "6-8 weeks", "Ethics & Responsibility": "6-8 weeks"}),
        "Phase 4: Advanced Skills": ("2-3 months", {"AI Product Innovation": "4-6 weeks", "Leadership & Communication": "4-6 weeks"}),
    }  # fmt: skip
    for title, (duration, modules) in expected.items():
        assert phases[title].duration == duration
        assert {m.title: m.duration for m in phases[title].modules} == modules


@pytest.mark.parametrize(
    ("title", "provider", "url"),
    [
        ("Digital Product Management Specialization", "Coursera", "https://www.coursera.org/specializations/digital-product-management"),
        ("Business Strategy Specialization", "Coursera", "https://www.coursera.org/specializations/business-strategy"),
        ("Product Strategy Guide", "ProductPlan", "https://www.productplan.com/learn/product-strategy-guide/"),
        ("AI Product Management Specialization", "Coursera", "https://www.coursera.org/specializations/ai-product-management-duke"),
        ("Machine Learning for Product Managers", "Udacity", "https://www.udacity.com/course/ai-product-manager-nanodegree--nd088"),
        ("Google Analytics Academy", "Google", "https://analytics.google.com/analytics/academy/"),
        ("SQL for Product Managers", "Mode", "https://mode.com/sql-tutorial/"),
        ("AI Ethics: Global Perspectives", None, "https://aiethicscourse.org/"),
        ("Responsible AI Practices", "Google", "https://ai.google/responsibilities/responsible-ai-practices/"),
        ("Product Management Certification", "Product School", "https://www.productschool.com/product-management-certification/"),
        ("AI Product Management Certification", "Coursera", "https://www.coursera.org/professional-certificates/ai-product-management"),
        ("Agile Certification", "Scrum Alliance", "https://www.scrumalliance.org/get-certified"),
        ("Product School", None, "https://www.productschool.com/"),
        ("Mind the Product", None, "https://www.mindtheproduct.com/"),
        ("Product Hunt", None, "https://www.producthunt.com/"),
        ("AI Product Managers Network", None, "https://www.aipmnetwork.com/"),
        ("ML Product Managers", None, "https://mlpms.com/"),
    ],
)  # fmt: skip
def test_courses_resources_certifications_communities(
    roadmap: Roadmap, title: str, provider: str | None, url: str
) -> None:
    items = {p.item.title: p.item for p in roadmap.index.items.values()}
    assert items[title].url == url
    assert items[title].provider == provider


def test_topics_of_every_module(roadmap: Roadmap) -> None:
    titles = {p.item.title for p in roadmap.index.items.values()}
    for topic in [
        "Product strategy", "User research", "Product lifecycle", "Agile methodologies", "Stakeholder management",
        "Product analytics", "Market analysis", "Competitive research", "Business models", "Value proposition design",
        "Go-to-market strategy", "ML pipeline understanding", "Data requirements", "Model evaluation",
        "AI system architecture", "Technical limitations", "Data analysis", "Metrics definition", "A/B testing",
        "Dashboard creation", "Performance monitoring", "AI product ideation", "Feature prioritization",
        "Success metrics", "Development lifecycle", "User feedback integration", "Ethical considerations",
        "Bias detection", "Privacy protection", "Transparency", "User trust", "Emerging AI technologies",
        "Innovation frameworks", "Product experimentation", "Risk management", "Future trends",
        "Technical communication", "Team leadership", "Project planning", "Change management",
    ]:  # fmt: skip
        assert topic in titles, topic


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
    assert all(e.author == "Marily Nika" for e in exercises)


def test_practices_habits_and_best_practices(roadmap: Roadmap) -> None:
    practices = {p.item.title for p in roadmap.index.items.values() if p.item.kind == "practice"}
    for title in [
        "Follow AI product blogs", "Attend product conferences", "Join PM communities", "Network with AI practitioners",
        "Focus on practical applications", "Learn from case studies", "Create product portfolio", "Mentor others",
        "Stay updated on AI trends", "Experiment with new tools",
        "Implementing agile methodologies in AI product management", "Leveraging data and insights",
        "Collaborating with AI engineers and data scientists", "Monitoring and evaluating AI product performance",
    ]:  # fmt: skip
        assert title in practices, title


def test_skills_and_success_metrics(roadmap: Roadmap) -> None:
    assert [s.id for s in roadmap.skills] == [
        "product-management",
        "ai-technical",
        "data-driven",
        "ethics",
        "communication-leadership",
    ]
    assert [m.title for m in roadmap.success_metrics] == [
        "Knowledge Assessment",
        "Project Success",
        "Professional Growth",
    ]
    assert "Network expansion" in roadmap.success_metrics[2].measures
    # every skill is built by some item, and every item names the skills it builds
    built = {s for p in roadmap.index.items.values() for s in p.item.skills}
    assert built == {s.id for s in roadmap.skills}


def test_phase_work_comes_after_the_foundation_course(roadmap: Roadmap) -> None:
    assert "ai-for-everyone" in roadmap.index.items["digital-product-management"].requires


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
