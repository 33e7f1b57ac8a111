"""The bundled roadmap holds every element of its three sources, in the sources' own words.

The checklist below is written from the source documents, element by element:
each one names where in the roadmap it must be (a module, a project, a skill
area...) and its exact text, capitals included. A test per category names
every element that is missing or differs. When the sources are on disk
(`../shared/seeds/`, or `AIPM_SEEDS`), a test also checks that each checklist
text is in them word for word, so the checklist cannot drift from the sources.

Sources: "000" AI-Product-Manager-Colab-Exercises, "001" AI Product Manager
Career Path & Learning Roadmap, "002" the untitled best-practices article.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aipm_cli.roadmap.loading import load_roadmap_file, parse_roadmap_text
from aipm_cli.roadmap.models import Roadmap

REPO = Path(__file__).resolve().parent.parent
ROADMAP_FILE = REPO / "roadmap" / "ai-product-manager.yaml"


@dataclass(frozen=True)
class Element:
    """One element of a source, and where the roadmap must hold it.

    `where` says how to look: `module:ID` (an item with this title in that
    module), `project:ID` (a deliverable), `item:ID` (the item's own
    description, or its outcomes for outcomes), `skill:ID` (the area's
    title or its source bullets), `metric:TITLE` (a success metric's
    measures; `metric:` alone for the metric's title), `phase:ID` / `module:ID`
    with `text` categories (a description), `roadmap` (the roadmap's
    description), `source` (the sources list).
    """

    category: str
    source: str
    text: str
    where: str
    url: str | None = None
    duration: str | None = None
    # A title taken from running prose starts with a capital; `text` is then
    # the source's words and the title is `text` with its first letter raised.
    from_prose: bool = False

    def __str__(self) -> str:
        extra = f" <{self.url}>" if self.url else ""
        extra += f" ({self.duration})" if self.duration else ""
        return f"[{self.source}] {self.category} {self.text!r}{extra} in {self.where}"


def _items(category: str, source: str, where: str, *titles: str) -> list[Element]:
    return [Element(category, source, t, where) for t in titles]


def _prose(source: str, where: str, *titles: str) -> list[Element]:
    return [Element("topic", source, t, where, from_prose=True) for t in titles]


CHECKLIST: list[Element] = [
    # ---- 001: introduction and role ------------------------------------- #
    Element("prose", "001", "An AI Product Manager bridges the gap between technical AI capabilities and business value, leading the development of AI-powered products and features that solve real user problems. This role requires a unique blend of technical understanding, business acumen, and product management expertise.", "roadmap"),
    Element("prose", "001", "AI Product Managers guide the development of artificial intelligence products from conception to launch, working closely with data scientists, engineers, and business stakeholders. They ensure that AI solutions are not only technically feasible but also valuable, usable, and ethical.", "module:key-responsibilities"),
    Element("heading", "001", "Key Responsibilities", "module:"),
    *_items("responsibility", "001", "module:key-responsibilities",
            "Defining AI product strategy and roadmap", "Understanding user needs and pain points",
            "Working with technical teams to define solutions", "Managing stakeholder expectations",
            "Ensuring ethical AI development", "Measuring and optimizing product impact"),
    *_items("required skill", "001", "skill:product-management",
            "Product management fundamentals", "Strategic thinking", "User experience design knowledge"),
    Element("required skill", "001", "Basic technical understanding of AI/ML", "skill:ai-technical"),
    Element("required skill", "001", "Strong communication abilities", "skill:communication-leadership"),
    Element("required skill", "001", "Data-driven decision making", "skill:data-driven"),
    Element("prose", "001", "Success in this role requires:", "skill:product-management"),
    # ---- 001: foundation course ----------------------------------------- #
    Element("heading", "001", "Foundation Course", "module:", duration="4 weeks"),
    Element("prose", "001", "Begin with this essential overview:", "phase:foundation"),
    Element("course", "001", "AI for Everyone", "module:foundation-course",
            url="https://www.coursera.org/learn/ai-for-everyone", duration="4 weeks"),
    *_items("outcome", "001", "item:ai-for-everyone",
            "Understanding AI capabilities", "Recognizing AI opportunities", "Building realistic expectations",
            "Managing AI projects"),
    # ---- 001: phase 1 --------------------------------------------------- #
    Element("heading", "001", "Phase 1: Product Management Foundations", "phase:", duration="3-4 months"),
    Element("heading", "001", "Core Product Management", "module:", duration="6-8 weeks"),
    Element("course", "001", "Digital Product Management Specialization", "module:core-product-management",
            url="https://www.coursera.org/specializations/digital-product-management"),
    *_items("topic", "001", "module:core-product-management",
            "Product strategy", "User research", "Product lifecycle", "Agile methodologies",
            "Stakeholder management", "Product analytics"),
    Element("heading", "001", "Business & Strategy", "module:", duration="6-8 weeks"),
    Element("resource", "001", "Business Strategy Specialization", "module:business-strategy",
            url="https://www.coursera.org/specializations/business-strategy"),
    Element("resource", "001", "Product Strategy Guide", "module:business-strategy",
            url="https://www.productplan.com/learn/product-strategy-guide/"),
    *_items("focus area", "001", "module:business-strategy",
            "Market analysis", "Competitive research", "Business models", "Value proposition design",
            "Go-to-market strategy"),
    # ---- 001: phase 2 --------------------------------------------------- #
    Element("heading", "001", "Phase 2: Technical Understanding", "phase:", duration="3-4 months"),
    Element("heading", "001", "AI/ML Fundamentals", "module:", duration="6-8 weeks"),
    Element("course", "001", "AI Product Management Specialization", "module:ai-ml-fundamentals",
            url="https://www.coursera.org/specializations/ai-product-management-duke"),
    Element("course", "001", "Machine Learning for Product Managers", "module:ai-ml-fundamentals",
            url="https://www.udacity.com/course/ai-product-manager-nanodegree--nd088"),
    *_items("topic", "001", "module:ai-ml-fundamentals",
            "ML pipeline understanding", "Data requirements", "Model evaluation", "AI system architecture",
            "Technical limitations"),
    Element("heading", "001", "Data Analytics", "module:", duration="6-8 weeks"),
    Element("resource", "001", "Google Analytics Academy", "module:data-analytics",
            url="https://analytics.google.com/analytics/academy/"),
    Element("resource", "001", "SQL for Product Managers", "module:data-analytics",
            url="https://mode.com/sql-tutorial/"),
    *_items("key skill", "001", "module:data-analytics",
            "Data analysis", "Metrics definition", "A/B testing", "Dashboard creation", "Performance monitoring"),
    # ---- 001: phase 3 --------------------------------------------------- #
    Element("heading", "001", "Phase 3: AI Product Specialization", "phase:", duration="3-4 months"),
    Element("heading", "001", "AI Product Development", "module:", duration="6-8 weeks"),
    *_items("topic", "001", "module:ai-product-development",
            "AI product ideation", "Feature prioritization", "Success metrics", "Development lifecycle",
            "User feedback integration"),
    Element("heading", "001", "Ethics & Responsibility", "module:", duration="6-8 weeks"),
    Element("resource", "001", "AI Ethics: Global Perspectives", "module:ethics-responsibility",
            url="https://aiethicscourse.org/"),
    Element("resource", "001", "Responsible AI Practices", "module:ethics-responsibility",
            url="https://ai.google/responsibilities/responsible-ai-practices/"),
    *_items("focus area", "001", "module:ethics-responsibility",
            "Ethical considerations", "Bias detection", "Privacy protection", "Transparency", "User trust"),
    # ---- 001: phase 4 --------------------------------------------------- #
    Element("heading", "001", "Phase 4: Advanced Skills", "phase:", duration="2-3 months"),
    Element("heading", "001", "AI Product Innovation", "module:", duration="4-6 weeks"),
    *_items("topic", "001", "module:ai-product-innovation",
            "Emerging AI technologies", "Innovation frameworks", "Product experimentation", "Risk management",
            "Future trends"),
    Element("heading", "001", "Leadership & Communication", "module:", duration="4-6 weeks"),
    *_items("key skill", "001", "module:leadership-communication",
            "Technical communication", "Team leadership", "Stakeholder management", "Project planning",
            "Change management"),
    # ---- 001: practical experience -------------------------------------- #
    Element("heading", "001", "Project Portfolio Development", "phase:"),
    Element("heading", "001", "Beginner Projects", "module:"),
    Element("heading", "001", "Advanced Projects", "module:"),
    *_items("project", "001", "module:beginner-projects", "AI Feature Analysis", "AI Product Prototype"),
    *_items("project", "001", "module:advanced-projects", "End-to-End AI Product", "AI Product Optimization"),
    *_items("deliverable", "001", "project:ai-feature-analysis",
            "Market research", "User needs assessment", "Feature specification", "Success metrics definition"),
    *_items("deliverable", "001", "project:ai-product-prototype",
            "User story creation", "Technical requirements", "MVP definition", "Launch strategy"),
    *_items("deliverable", "001", "project:end-to-end-ai-product",
            "Strategy development", "Team coordination", "Development oversight", "Launch management"),
    *_items("deliverable", "001", "project:ai-product-optimization",
            "Performance analysis", "User feedback collection", "Iteration planning", "Impact measurement"),
    # ---- 001: professional development ---------------------------------- #
    Element("heading", "001", "Professional Development", "phase:"),
    Element("heading", "001", "Industry Knowledge", "module:"),
    *_items("habit", "001", "module:industry-knowledge",
            "Follow AI product blogs", "Attend product conferences", "Join PM communities",
            "Network with AI practitioners"),
    Element("heading", "001", "Certifications", "module:"),
    Element("certification", "001", "Product Management Certification", "module:certifications",
            url="https://www.productschool.com/product-management-certification/"),
    Element("certification", "001", "AI Product Management Certification", "module:certifications",
            url="https://www.coursera.org/professional-certificates/ai-product-management"),
    Element("certification", "001", "Agile Certification", "module:certifications",
            url="https://www.scrumalliance.org/get-certified"),
    Element("heading", "001", "Resources & Communities", "module:pm-communities"),
    Element("heading", "001", "Resources & Communities", "module:ai-communities"),
    Element("heading", "001", "Product Management Communities", "module:"),
    Element("community", "001", "Product School", "module:pm-communities", url="https://www.productschool.com/"),
    Element("community", "001", "Mind the Product", "module:pm-communities", url="https://www.mindtheproduct.com/"),
    Element("community", "001", "Product Hunt", "module:pm-communities", url="https://www.producthunt.com/"),
    Element("heading", "001", "AI Communities", "module:"),
    Element("community", "001", "AI Product Managers Network", "module:ai-communities",
            url="https://www.aipmnetwork.com/"),
    Element("community", "001", "ML Product Managers", "module:ai-communities", url="https://mlpms.com/"),
    # ---- 001: success metrics ------------------------------------------- #
    *_items("success metric", "001", "metric:", "Knowledge Assessment", "Project Success", "Professional Growth"),
    *_items("success metric", "001", "metric:Knowledge Assessment",
            "Understanding of AI capabilities", "Product management expertise", "Technical communication ability",
            "Strategic thinking skills"),
    *_items("success metric", "001", "metric:Project Success",
            "Product launches", "User adoption rates", "Business impact", "Team collaboration"),
    *_items("success metric", "001", "metric:Professional Growth",
            "Industry recognition", "Leadership opportunities", "Portfolio development", "Network expansion"),
    # ---- 001: learning tips --------------------------------------------- #
    Element("heading", "001", "Learning Tips & Best Practices", "phase:"),
    Element("heading", "001", "Study Approaches", "module:"),
    *_items("tip", "001", "module:study-approaches",
            "Focus on practical applications", "Learn from case studies", "Practice stakeholder communication",
            "Build real products"),
    Element("heading", "001", "Career Development", "module:"),
    *_items("tip", "001", "module:career-development",
            "Create product portfolio", "Write about AI products", "Speak at conferences", "Mentor others"),
    Element("heading", "001", "Continuous Learning", "module:"),
    *_items("tip", "001", "module:continuous-learning",
            "Stay updated on AI trends", "Learn from user feedback", "Study competitor products",
            "Experiment with new tools"),
    Element("prose", "001", "Remember: The key to success as an AI Product Manager is balancing technical understanding with business acumen while maintaining a strong focus on user needs and ethical considerations. Stay curious, adaptable, and always focused on delivering value through AI-powered solutions.", "phase:learning-practices"),
    # ---- 000: the course, the role, its skills -------------------------- #
    Element("prose", "000", "AI-Product-Manager-Colab-Exercises", "source"),
    Element("prose", "000", "This repository contains a collection of Colab notebooks completed as part of the AI Product Manager course led by Marily Nika.", "phase:course-exercises"),
    Element("prose", "000", "Each notebook includes hands-on tasks covering topics such as data analysis, model building, natural language processing, and AI-driven product strategies.", "phase:course-exercises"),
    Element("exercise", "000", "Exercise: data analysis", "module:colab-exercises"),
    Element("exercise", "000", "Exercise: model building", "module:colab-exercises"),
    Element("exercise", "000", "Exercise: natural language processing", "module:colab-exercises"),
    Element("exercise", "000", "Exercise: AI-driven product strategies", "module:colab-exercises"),
    Element("heading", "000", "AI Product Manager Role", "phase:"),
    Element("prose", "000", "The role of an AI Product Manager (AI PM) is a hybrid position combining skills from both product management and artificial intelligence. AI PMs focus on developing, managing, and launching AI-powered products, ensuring that AI technologies are properly integrated into solving real-world business problems.", "phase:ai-product-manager-role"),
    Element("prose", "000", "As the bridge between technical and non-technical teams, AI PMs ensure that AI technologies deliver maximum business impact while aligning with user needs and business goals.", "phase:ai-product-manager-role"),
    Element("heading", "000", "Core Responsibilities", "module:"),
    *_items("responsibility", "000", "module:the-ai-pm-role",
            "Identifying AI Opportunities", "Cross-functional Collaboration", "Product Strategy and Roadmap",
            "Ethics and Risk Management", "AI Product Evaluation"),
    Element("responsibility", "000", "Understanding business problems: AI PMs must deeply understand the business challenges that can be addressed using AI, and identify areas where AI-driven solutions will create the most value.", "item:identifying-ai-opportunities"),
    Element("responsibility", "000", "AI market awareness: AI PMs stay up-to-date with AI advancements and emerging technologies to spot potential opportunities for innovation within the company or for clients.", "item:identifying-ai-opportunities"),
    Element("responsibility", "000", "Work with data scientists and engineers: AI PMs collaborate with data scientists, machine learning engineers, and software developers to understand the technical constraints and capabilities of AI technologies.", "item:cross-functional-collaboration"),
    Element("responsibility", "000", "Align stakeholders: Ensure alignment across various departments—engineering, design, marketing, sales, and customer success—on the vision and strategy of AI products.", "item:cross-functional-collaboration"),
    Element("responsibility", "000", "Translate between teams: AI PMs act as translators between highly technical teams (engineering, data science) and non-technical teams (marketing, business) to maintain a clear product vision.", "item:cross-functional-collaboration"),
    Element("responsibility", "000", "Define the AI product vision: AI PMs develop a clear and comprehensive product vision, which may involve creating PRDs (Product Requirement Documents) and PRFAQs (Press Release and FAQ) that outline how AI will be used to solve specific problems.", "item:product-strategy-and-roadmap"),
    Element("responsibility", "000", "Develop the product roadmap: AI PMs ensure that product development is strategically planned, setting priorities and deadlines to deliver AI features on time and within budget.", "item:product-strategy-and-roadmap"),
    Element("responsibility", "000", "Lifecycle management: AI PMs oversee the entire lifecycle of AI products, from ideation to development to release, and continuously gather feedback to iterate on future improvements.", "item:product-strategy-and-roadmap"),
    Element("responsibility", "000", "AI ethics: AI PMs consider the ethical implications of AI systems, such as potential biases, transparency, and fairness in the model's decision-making process.", "item:ethics-and-risk-management"),
    Element("responsibility", "000", "Risk management: AI PMs are responsible for assessing risks associated with AI, including model performance, legal compliance, and user safety.", "item:ethics-and-risk-management"),
    Element("responsibility", "000", "Data-driven decision making: AI PMs use metrics and KPIs to evaluate the success of AI products. This includes evaluating model performance (e.g., accuracy, precision, recall) and ensuring it meets the needs of the users.", "item:ai-product-evaluation"),
    Element("responsibility", "000", "Continuous iteration: They continuously improve AI models based on feedback, performance data, and technological advances, driving the evolution of AI products over time.", "item:ai-product-evaluation"),
    Element("heading", "000", "Skills Required for AI Product Managers", "skill:product-management"),
    Element("required skill", "000", "Product Management Skills", "skill:product-management"),
    *_items("required skill", "000", "skill:product-management",
            "Strong knowledge of product development lifecycle",
            "Experience with agile methodologies and product roadmaps", "Stakeholder management and communication",
            "Problem-solving and prioritization"),
    Element("required skill", "000", "AI & Technical Knowledge", "skill:ai-technical"),
    *_items("required skill", "000", "skill:ai-technical",
            "Understanding of AI concepts: Machine learning, neural networks, natural language processing, etc.",
            "Familiarity with AI tools and platforms (TensorFlow, PyTorch, etc.)",
            "Ability to collaborate with data scientists and engineers"),
    Element("required skill", "000", "Data-driven Mindset", "skill:data-driven"),
    *_items("required skill", "000", "skill:data-driven",
            "Strong analytical skills and comfort working with data",
            "Knowledge of performance metrics and model evaluation techniques",
            "Ability to make informed decisions based on data and insights"),
    Element("required skill", "000", "Ethical Understanding", "skill:ethics"),
    *_items("required skill", "000", "skill:ethics",
            "Awareness of AI ethics and potential biases", "Ability to manage AI risks and consider user impact"),
    # ---- 002: the article ----------------------------------------------- #
    Element("prose", "002", "As the demand for artificial intelligence (AI) continues to rise, the role of the AI product manager has become increasingly crucial in driving the success of AI initiatives.", "source"),
    Element("heading", "002", "Understanding the Role of an AI Product Manager", "module:"),
    Element("prose", "002", "The role of an AI product manager is to bridge the gap between technology and business objectives. Unlike traditional product managers, AI product managers need to have a deep understanding of AI technologies, including machine learning, natural language processing, and computer vision. They must also possess a solid grasp of the industry trends and market dynamics shaping the AI landscape.", "module:understanding-the-role"),
    *_prose("002", "module:understanding-the-role",
            "machine learning", "natural language processing", "computer vision",
            "industry trends and market dynamics"),
    Element("prose", "002", "A product manager specializing in AI must possess a unique set of skills and expertise to effectively navigate the complexities of developing and launching AI-powered products.", "source"),
    Element("heading", "002", "Key Skills for AI Product Managers", "skill:communication-leadership"),
    Element("prose", "002", "To excel in the role of an AI product manager, professionals must cultivate a diverse set of skills.", "skill:communication-leadership"),
    Element("key skill", "002", "technical expertise in AI technologies", "skill:ai-technical"),
    Element("key skill", "002", "strong analytical capabilities", "skill:data-driven"),
    Element("key skill", "002", "excellent communication skills", "skill:communication-leadership"),
    Element("key skill", "002", "the ability to collaborate with cross-functional teams", "skill:communication-leadership"),
    Element("key skill", "002", "translate complex technical concepts into business value", "skill:communication-leadership"),
    *_items("best practice", "002", "module:ai-pm-best-practices",
            "Implementing Agile Methodologies in AI Product Management", "Leveraging Data and Insights",
            "Collaborating with AI Engineers and Data Scientists", "Monitoring and Evaluating AI Product Performance"),
    Element("best practice", "002", "By breaking down complex AI projects into smaller, manageable iterations, AI product managers can ensure that teams remain flexible and responsive to changing requirements and market demands.", "item:implement-agile-methodologies"),
    Element("best practice", "002", "By analyzing user behavior, market trends, and performance metrics, AI product managers can gain valuable insights that inform product strategy and roadmap prioritization.", "item:leverage-data-and-insights"),
    Element("best practice", "002", "Clear communication, mutual respect, and a shared vision are essential for fostering a collaborative and innovative environment that drives AI product success.", "item:collaborate-with-ai-engineers"),
    Element("best practice", "002", "By monitoring metrics such as user engagement, conversion rates, and model performance, AI product managers can make data-driven decisions that drive product success.", "item:monitor-ai-product-performance"),
    Element("prose", "002", "In conclusion, the role of an AI product manager is multifaceted and dynamic, requiring a unique blend of technical expertise, strategic vision, and effective communication skills.", "module:ai-pm-best-practices"),
    Element("prose", "002", "As the field of AI continues to evolve, mastering the art of AI product management is essential for professionals looking to make a meaningful impact in this exciting and rapidly growing industry.", "module:ai-pm-best-practices"),
    Element("prose", "002", "By implementing best practices such as leveraging data and insights, collaborating with technical teams, and adopting agile methodologies, AI product managers can drive the successful development and deployment of AI-powered products.", "module:ai-pm-best-practices"),
]  # fmt: skip


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return load_roadmap_file(ROADMAP_FILE)


def _description_of(roadmap: Roadmap, where: str) -> str:
    return " ".join(_raw_description_of(roadmap, where).split())


def _raw_description_of(roadmap: Roadmap, where: str) -> str:
    index = roadmap.index
    kind, _, key = where.partition(":")
    if kind == "roadmap":
        return roadmap.description
    if kind == "phase" and key in index.phases:
        return index.phases[key].description
    if kind == "module" and key in index.modules:
        return index.modules[key][0].description
    if kind == "item" and key in index.items:
        return index.items[key].item.description
    if kind == "source":
        return "\n".join(f"{s.title}\n{s.description}" for s in roadmap.sources)
    return ""


def problem(roadmap: Roadmap, e: Element) -> str | None:
    """What is wrong with element `e` in the roadmap, or None when it is there as the source has it."""
    index = roadmap.index
    kind, _, key = e.where.partition(":")
    if kind in ("phase", "module") and not key:
        # A heading of the sources: the title (and duration) of some phase or module.
        candidates = list(roadmap.phases) if kind == "phase" else [m for m, _ in index.modules.values()]
        match = [c for c in candidates if c.title == e.text]
        if not match:
            return f"no {kind} has this title"
        if e.duration and all(c.duration != e.duration for c in match):
            return f"duration {[c.duration for c in match]} instead of {e.duration}"
        return None
    if kind in ("roadmap", "source"):
        return None if e.text in _description_of(roadmap, e.where) else "not quoted in the description"
    if kind in ("phase", "module") and e.category in ("prose", "heading"):
        return None if e.text in _description_of(roadmap, e.where) else "not quoted in the description"
    if kind == "module":
        if key not in index.modules:
            return f"there is no module {key}"
        # A title taken from running prose starts with a capital.
        title = e.text[0].upper() + e.text[1:] if e.from_prose else e.text
        items = [i for i in index.modules[key][0].items if i.title == title]
        if not items:
            return "no item of the module has this title"
        item = items[0]
        if e.url and item.url != e.url:
            return f"URL {item.url} instead of {e.url}"
        if e.duration and item.duration != e.duration:
            return f"duration {item.duration} instead of {e.duration}"
        if e.from_prose and e.text not in item.description:
            return "the source's words are not quoted in the description"
        return None
    if kind == "project":
        if key not in index.items:
            return f"there is no project {key}"
        titles = [d.title for d in index.items[key].item.deliverables]
        return None if e.text in titles else "not a deliverable of the project"
    if kind == "item":
        if key not in index.items:
            return f"there is no item {key}"
        item = index.items[key].item
        if e.category == "outcome":
            return None if e.text in item.outcomes else "not one of the item's outcomes"
        return None if e.text in item.description else "not quoted in the item's description"
    if kind == "skill":
        skill = index.skills.get(key)
        if skill is None:
            return f"there is no skill area {key}"
        if e.category in ("heading", "prose"):
            return None if e.text in " ".join(skill.description.split()) else "not in the area's description"
        return None if e.text == skill.title or e.text in skill.includes else "not the area's title nor a bullet"
    if kind == "metric":
        if not key:
            return None if any(m.title == e.text for m in roadmap.success_metrics) else "no success metric"
        metric = next((m for m in roadmap.success_metrics if m.title == key), None)
        if metric is None:
            return f"there is no success metric {key}"
        return None if e.text in metric.measures else "not one of the metric's measures"
    raise AssertionError(f"the checklist cannot say where {e} is")


CATEGORIES = sorted({e.category for e in CHECKLIST})


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_element_of_the_sources_is_in_the_roadmap(roadmap: Roadmap, category: str) -> None:
    wrong = [f"{e}: {why}" for e in CHECKLIST if e.category == category and (why := problem(roadmap, e))]
    assert not wrong, f"{len(wrong)} {category} element(s) missing or different:\n" + "\n".join(wrong)


def test_the_checklist_covers_every_kind_of_element() -> None:
    counts = Counter(e.category for e in CHECKLIST)
    assert set(counts) >= {
        "course", "resource", "topic", "focus area", "key skill", "outcome", "project", "deliverable",
        "certification", "community", "habit", "success metric", "tip", "best practice", "responsibility",
        "required skill", "exercise", "heading", "prose",
    }  # fmt: skip
    assert counts["deliverable"] == 16 and counts["responsibility"] == 5 + 12 + 6
    # The five sentences 1.1.0 left out are held here too.
    texts = {e.text for e in CHECKLIST}
    assert "Success in this role requires:" in texts
    assert sum(t.startswith(("A product manager specializing", "To excel in the role", "In conclusion,",
                             "As the field of AI")) for t in texts) == 4  # fmt: skip


def test_the_checker_notices_a_missing_element() -> None:
    # Break the file on purpose: a bullet deleted, a URL changed, a capital lost.
    text = ROADMAP_FILE.read_text(encoding="utf-8")
    for old, new in [
        ("      - Product management fundamentals\n", ""),
        ("url: https://aiethicscourse.org/", "url: https://example.org/"),
        ("title: Transparency,", "title: transparency,"),
    ]:
        assert old in text
        text = text.replace(old, new, 1)
    broken = parse_roadmap_text(text.encode(), "broken.yaml")
    wrong = [str(e) for e in CHECKLIST if problem(broken, e)]
    assert wrong == [
        "[001] required skill 'Product management fundamentals' in skill:product-management",
        "[001] resource 'AI Ethics: Global Perspectives' <https://aiethicscourse.org/> in module:ethics-responsibility",
        "[001] focus area 'Transparency' in module:ethics-responsibility",
    ]


def _seed_texts() -> Iterator[str]:
    folder = Path(os.environ.get("AIPM_SEEDS", REPO.parent / "shared" / "seeds"))
    if not folder.is_dir():
        pytest.skip(f"the source documents are not at {folder} (set AIPM_SEEDS)")
    for path in sorted(folder.glob("*.txt")):
        yield path.read_text(encoding="utf-8")


def test_the_checklist_is_in_the_sources_own_words() -> None:
    sources = dict(zip(("000", "001", "002"), _seed_texts(), strict=False))
    assert len(sources) == 3
    flat = {key: " ".join(text.split()) for key, text in sources.items()}
    wrong = [str(e) for e in CHECKLIST if e.text.removeprefix("Exercise: ") not in flat[e.source]]
    assert not wrong, "not word for word in their source:\n" + "\n".join(wrong)
    urls = [e.url for e in CHECKLIST if e.url]
    assert all(f"({url})" in sources["001"] for url in urls)
    assert len(urls) == sources["001"].count("](http")


# --------------------------------------------------------------------------- #
# Nothing invented; aipm's own choices said to be aipm's
# --------------------------------------------------------------------------- #


def test_providers_and_authors_only_where_a_source_names_them(roadmap: Roadmap) -> None:
    named = {
        p.item.id: (p.item.provider, p.item.author)
        for p in roadmap.index.items.values()
        if p.item.provider or p.item.author
    }
    # "AI for Everyone by Andrew Ng - Platform: Coursera" is the only one the sources give.
    assert named == {"ai-for-everyone": ("Coursera", "Andrew Ng")}


def test_no_priorities_the_sources_do_not_give(roadmap: Roadmap, run_json) -> None:  # type: ignore[no-untyped-def]
    chosen = [p.item.id for p in roadmap.index.items.values() if p.item.priority is not None or p.item.optional]
    assert chosen == []
    assert any("no item has a priority" in a for a in roadmap.assumptions)
    assert run_json("show", "transparency")["priority"] is None


def test_the_roadmap_claims_no_length_the_sources_do_not_give(roadmap: Roadmap) -> None:
    text = " ".join([roadmap.description, *(p.description for p in roadmap.phases)])
    assert "12-15" not in text and "month path" not in text
    assert any("8 study hours" in a for a in roadmap.assumptions)


def test_requires_only_where_a_source_or_an_assumption_says_so(roadmap: Roadmap) -> None:
    # "Begin with this essential overview" puts the foundation course before the
    # career path's phases and projects; the Advanced Projects wait for the
    # Beginner ones, which their items say is aipm's. Nothing else waits.
    after_foundation = {"phase-1", "phase-2", "phase-3", "phase-4", "portfolio-projects"}
    for placed in roadmap.index.items.values():
        expected = ["ai-for-everyone"] if placed.phase.id in after_foundation else []
        if placed.module.id == "advanced-projects":
            expected += ["ai-feature-analysis", "ai-product-prototype"]
            assert "aipm" in placed.item.assumption
        assert placed.requires == expected, placed.item.id
    exercises = [p.item for p in roadmap.index.items.values() if p.item.kind == "exercise"]
    assert len(exercises) == 4
    assert all("aipm's" in e.assumption for e in exercises)


def test_the_udacity_link_and_its_label_disagree_and_the_item_says_so(roadmap: Roadmap) -> None:
    item = roadmap.index.items["machine-learning-for-product-managers"].item
    assert item.url == "https://www.udacity.com/course/ai-product-manager-nanodegree--nd088"
    assert "ai-product-manager-nanodegree--nd088" in item.description
    assert 'not "Machine Learning for Product Managers"' in item.description


def test_the_article_has_no_title_and_the_roadmap_says_so(roadmap: Roadmap) -> None:
    article = roadmap.sources[2]
    assert "untitled" in article.title
    assert "aipm's" in article.description


# --------------------------------------------------------------------------- #
# Every item understandable on its own
# --------------------------------------------------------------------------- #


def test_every_item_has_context(roadmap: Roadmap) -> None:
    bare = [
        p.item.id
        for p in roadmap.index.items.values()
        if not (p.item.description or p.module.description) or not p.phase.description
    ]
    assert bare == []
    assert all(s.description for s in roadmap.skills)


def test_items_with_one_title_are_told_apart(roadmap: Roadmap) -> None:
    by_title: dict[str, list[str]] = {}
    for p in roadmap.index.items.values():
        by_title.setdefault(p.item.title.lower(), []).append(p.item.id)
    twins = {t: ids for t, ids in by_title.items() if len(ids) > 1}
    assert twins == {"stakeholder management": ["stakeholder-management", "leading-stakeholders"]}
    for ids in twins.values():
        contexts = [(roadmap.index.items[i].item.description or roadmap.index.items[i].module.description) for i in ids]
        assert len(set(contexts)) == len(contexts)
        modules = {roadmap.index.items[i].module.title for i in ids}
        assert len(modules) == len(ids)


def test_show_json_carries_context_and_aipms_note(run_json) -> None:  # type: ignore[no-untyped-def]
    bare = run_json("show", "transparency")
    assert bare["description"] == ""
    assert "Focus Areas" in bare["module_description"] and "Transparency" in bare["module_description"]
    assert bare["phase_description"].startswith("Phase 3")
    assert bare["assumption"] == ""
    exercise = run_json("show", "exercise-nlp")
    assert "topics such as" in exercise["description"]
    assert exercise["assumption"].startswith('The "Exercise:" prefix is aipm\'s')


def test_show_prints_the_context_of_a_bare_title_and_aipms_note(run) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(run("show", "transparency").stdout.split())
    # The module's words, labelled as the module's (its "6-8 weeks" is the module's, not the topic's).
    assert "module Ethics & Responsibility (6-8 weeks): the Resources" in text
    assert "The source's 6-8 weeks is for the whole module (Ethics & Responsibility), not for this item alone" in text
    # The phase's paragraph is not repeated on each item; aipm's reading of the gate is.
    assert "Phase 3 of the career path's Learning Path Details" not in text
    assert "on the phase aipm's note: aipm's reading of \"Begin with this essential overview:\"" in text
    assert "Ethical Understanding (the roadmap's reading of its sources)" in text
    text = " ".join(run("show", "end-to-end-ai-product").stdout.split())
    assert "about One of the two Advanced Projects of the career path's Project Portfolio Development" in text
    assert "aipm's note aipm waits for both Beginner Projects" in text
    assert "Ethics & Responsibility" not in text


def test_a_tip_does_not_repeat_the_phase_paragraph(run) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(run("show", "mentor-others").stdout.split())
    assert "module Career Development (Learning Tips & Best Practices)" in text
    assert "Remember:" not in text


# --------------------------------------------------------------------------- #
# Every element of the seeds, read from the seeds themselves
# --------------------------------------------------------------------------- #


def _roadmap_text(roadmap: Roadmap) -> str:
    def strings(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    return " \n ".join(" ".join(text.split()) for text in strings(roadmap.data()))


def seed_segments(text: str) -> Iterator[str]:
    """Each line of a seed, its Markdown taken off, cut into sentences: the elements a reader meets."""
    import re

    for line in text.splitlines():
        line = re.sub(r"^#+\s*", "", line.strip())
        line = re.sub(r"^(?:[-*]|\d+\.)\s+", "", line)
        line = re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", r"\1 \2", line)  # [title](url): both are elements
        line = re.sub(r"\*\*([^*]+)\*\*", r"\1", line)
        # (seed 000 runs into 001 and 001 into 002 without a line break)
        for part in re.split(r"(?<=[.!?])\s+(?=[A-Z])|(?<=[a-z.])(?=As the demand|# AI Product Manager Career)", line):
            if part.strip():
                yield part.strip()


# Labels of the career path that the roadmap holds as a field, not as words.
FIELD_LABELS = {"Platform": "provider", "Duration": "duration"}


def missing_from(roadmap_text: str, segment: str) -> list[str]:
    """The parts of a seed segment the roadmap does not hold, word for word, capitals included.

    A segment is held whole, or (a list label, a heading with its duration, a
    title with its link) as each of its parts: "Platform: Coursera", "Phase 1:
    ... (3-4 months)", "Product School https://...". A bare title taken from
    running prose may start with a capital.
    """
    import re

    def held(text: str) -> bool:
        if text in FIELD_LABELS:  # the roadmap holds "Platform: Coursera" as provider: Coursera
            return True
        return text in roadmap_text or (text[:1].upper() + text[1:]) in roadmap_text

    if held(segment):
        return []
    label = re.match(r"^([A-Z][A-Za-z ]{0,30}):\s+(.*)$", segment)
    pieces = [label.group(1), label.group(2)] if label else [segment]
    parts = [p for piece in pieces for p in re.split(r"\s+(?=https?://)|\s+\((?=\d)", piece)]
    parts = [p.strip().rstrip(":").rstrip(")") for p in parts if p.strip()]
    return [p for p in parts if not held(p)]


def test_every_element_of_the_three_seeds_is_in_the_roadmap(roadmap: Roadmap) -> None:
    """Not the checklist: the seed files themselves, line by line and sentence by sentence."""
    text = _roadmap_text(roadmap)
    seeds = list(_seed_texts())
    assert len(seeds) == 3
    segments = [seg for seed in seeds for seg in seed_segments(seed)]
    assert len(segments) > 250
    wrong = [f"{seg!r}: {missing}" for seg in segments if (missing := missing_from(text, seg))]
    assert not wrong, "not in the roadmap as the seeds have them:\n" + "\n".join(wrong)


def test_the_seed_check_notices_a_missing_sentence(roadmap: Roadmap) -> None:
    text = _roadmap_text(roadmap)
    sentence = "Success in this role requires:"
    assert missing_from(text, sentence) == []
    assert missing_from(text.replace(sentence, ""), sentence) == [sentence.rstrip(":")]
    line = "Platform: Coursera https://www.coursera.org/learn/ai-for-everyone"
    assert missing_from(text, line) == []
    assert missing_from(text.replace("Coursera", "coursera"), line) != []


# --------------------------------------------------------------------------- #
# What 1.2.0 corrected and disclosed
# --------------------------------------------------------------------------- #


def test_the_communication_area_does_not_claim_the_other_areas_never_name_it(roadmap: Roadmap) -> None:
    area = roadmap.index.skills["communication-leadership"]
    assert "which none of the four areas above names" not in area.assumption
    note = " ".join(area.assumption.split())
    for bullet in (
        "Stakeholder management and communication",
        "Ability to collaborate with data scientists and engineers",
    ):
        assert f'"{bullet}"' in note
        assert any(bullet in s.includes for s in roadmap.skills if s.id != area.id)


def test_the_two_loose_links_are_disclosed(roadmap: Roadmap) -> None:
    sql = roadmap.index.items["sql-for-product-managers"].item
    assert sql.url == "https://mode.com/sql-tutorial/" and "general SQL tutorial" in sql.description
    agile = roadmap.index.items["agile-certification"].item
    assert agile.url == "https://www.scrumalliance.org/get-certified"
    assert "names no particular certification" in agile.description


def test_the_foundation_gate_is_marked_as_aipms_reading_where_it_applies(roadmap: Roadmap) -> None:
    for phase in roadmap.phases:
        gated = "ai-for-everyone" in phase.requires
        assert ("Begin with this essential overview:" in " ".join(phase.assumption.split())) == gated, phase.id
        assert not gated or phase.assumption.startswith("aipm's reading")
