"""What "done" means for each kind of item, and which items are ongoing.

Both are aipm's reading: the sources list items but never say when one is
finished. `aipm show` and the terminal UI print the note as aipm's; the plan,
the forecast and `next` treat ongoing items apart (see `is_ongoing`).
"""

from __future__ import annotations

from typing import Any

# One sentence or two per kind, in the learner's terms.
DONE_MEANS: dict[str, str] = {
    "course": (
        "Done when you have finished the course as its provider sets it (lessons, quizzes, assignments); "
        "a paid certificate is not needed."
    ),
    "resource": (
        "Done when you have worked through the resource: read or taken the parts that teach this module's "
        "topics, with notes you could come back to."
    ),
    "topic": (
        "Done when you can explain the topic in your own words and apply it to a product you know. "
        "The source names the topic but gives no material of its own for it: the module's course or "
        "resources are a start."
    ),
    "practice": (
        "Done when you have put it into practice on real work (a project, your job) and can point to it, "
        "for instance with `--evidence`."
    ),
    "habit": (
        "Ongoing: a habit with no end. Mark it done once it is part of how you work; the plan does not "
        "schedule it and the forecast does not count it."
    ),
    "community": (
        "Ongoing: done when you have joined and taken part (asked, answered, attended). The plan does not "
        "schedule it and the forecast does not count it."
    ),
    "certification": (
        "Done when you hold the certificate; record it with `aipm done ID --credential TEXT --expires DATE`."
    ),
    "exercise": (
        "Done when you have completed a hands-on task on this topic, for instance in a notebook of your own. "
        "The source gives no links to its notebooks, so aipm has none."
    ),
    "project": (
        "Done when its four deliverables are done (aipm counts a project by its deliverables). The career "
        "path names it and its deliverables under Practical Experience, Project Portfolio Development, and "
        "says nothing more: the scope is yours to set."
    ),
    "deliverable": (
        "Done when you have a piece of work to show for it (a document, a prototype, a link): record it "
        "with `aipm done ID --evidence TEXT`. The career path gives only its title, as one of the four "
        "deliverables of its project."
    ),
}


def is_ongoing(item: Any, module: Any) -> bool:
    """A community, or a practice with no time of its own nor of its module: a habit, not a task.

    (A practice in a timed module, such as Phase 4's Leadership & Communication,
    is a skill to develop in that time, so it is planned like a topic.)
    """
    if item.kind == "community":
        return True
    return item.kind == "practice" and not item.duration and not module.duration


def done_means(kind: str, item: Any = None, module: Any = None) -> str:
    """aipm's note on when an item (or a deliverable: kind "deliverable") counts as done."""
    placed = item is not None and module is not None
    key = "habit" if placed and kind == "practice" and is_ongoing(item, module) else kind
    text = DONE_MEANS.get(key, "")
    if placed and not item.duration and module.duration and kind != "deliverable":
        text += f" The source's {module.duration} is for the whole module ({module.title}), not for this item alone."
    return text
