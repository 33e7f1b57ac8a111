"""What "done" means for each kind of item, and which items are ongoing.

Both are aipm's reading: a roadmap lists items but never says when one is
finished. `aipm show` and the terminal UI print the note as aipm's; the plan,
the forecast and `next` treat ongoing items apart (see `is_ongoing`).
"""

from __future__ import annotations

from typing import Any

from aipm_cli.wording import count, noun

# One sentence or two per kind, in the learner's terms, true of any roadmap: what a
# particular roadmap holds (a project's deliverables, whether it names its sources)
# is added by `done_means` from the roadmap itself.
DONE_MEANS: dict[str, str] = {
    "course": (
        "Done when you have finished the course as its provider sets it (lessons, quizzes, assignments); "
        "a paid certificate is not needed."
    ),
    "resource": (
        "Done when you have worked through the resource: read or taken the parts that teach this module's "
        "topics, with notes you could come back to."
    ),
    "topic": "Done when you can explain the topic in your own words and apply it to a product you know.",
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
    "exercise": "Done when you have completed a hands-on task on this topic, for instance in a notebook of your own.",
    "deliverable": (
        "Done when you have a piece of work to show for it (a document, a prototype, a link): record it "
        "with `aipm done ID --evidence TEXT`."
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


def done_means(kind: str, item: Any = None, module: Any = None, *, sourced: bool = False, project: Any = None) -> str:
    """aipm's note on when an item (or a deliverable: kind "deliverable", of `project`) counts as done.

    `sourced`: the roadmap names the documents it is taken from (its `sources`); only then does the
    note speak of "the source". Counts come from the roadmap (a project's own deliverables).
    """
    placed = item is not None and module is not None
    key = "habit" if placed and kind == "practice" and is_ongoing(item, module) else kind
    if key == "project":
        text = _project(item, sourced)
    else:
        text = DONE_MEANS.get(key, "")
    if kind == "deliverable" and project is not None and sourced:
        n = len(project.deliverables)
        one_of = f"one of the {count(n, 'deliverable')} of its project" if n > 1 else "its project's one deliverable"
        text += f" The source gives only its title, as {one_of}."
    if placed and kind in ("topic", "exercise") and not item.url and not item.links:
        text += _no_material(kind, item, module, sourced)
    if placed and not item.duration and module.duration and kind != "deliverable":
        given = f"The source's {module.duration}" if sourced else f"The {module.duration} the roadmap gives"
        text += f" {given} is for the whole module ({module.title}), not for this item alone."
    return text


def _project(item: Any, sourced: bool) -> str:
    """A project is done when its deliverables are (as many as the roadmap gives it), or when marked done."""
    n = len(item.deliverables) if item is not None else 0
    if n == 0:
        return "Done when you mark it done: it has no deliverables to count."
    they = "its deliverable is done" if n == 1 else f"its {count(n, 'deliverable')} are done"
    text = f"Done when {they} (aipm counts a project by its deliverables)."
    if item.url or item.links or item.outcomes:
        return text
    if sourced:
        return text + " The source names it and its deliverables, and says nothing more: the scope is yours to set."
    if not item.description:
        return text + " The roadmap gives its title and deliverables, nothing more: the scope is yours to set."
    return text


def _no_material(kind: str, item: Any, module: Any, sourced: bool) -> str:
    """What to do about a topic or an exercise that comes with no link of its own."""
    if kind == "exercise":
        return " The source gives no link for it, so the roadmap has none." if sourced else ""
    said = (
        " The source names the topic but gives no material of its own for it"
        if sourced
        else " The roadmap gives no material of its own for it"
    )
    teaching = [i for i in module.items if i.kind in ("course", "resource") and i.id != item.id]
    if not teaching:
        return said + "."
    kinds = sorted({i.kind for i in teaching})
    what = " and ".join(noun(sum(i.kind == k for i in teaching), k) for k in kinds)
    return f"{said}: the module's {what} {'is' if len(teaching) == 1 else 'are'} a start."
