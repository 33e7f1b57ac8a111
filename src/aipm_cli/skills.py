"""The skills ledger: self-ratings over time, and coverage from the items that build each skill."""

from __future__ import annotations

import difflib
from dataclasses import field
from typing import Any

from aipm_cli.errors import InputError
from aipm_cli.plainclass import plain
from aipm_cli.record.state import State
from aipm_cli.roadmap.plain import Roadmap, Skill
from aipm_cli.roadmap.vocabulary import LEVEL_HELP, LEVELS
from aipm_cli.unit_status import status_of


def parse_level(text: str) -> int:
    try:
        level = int(text.strip())
    except ValueError:
        level = 0
    if level not in LEVELS:
        raise InputError(f"'{text}' is not a level from 1 to 5.", f"Levels: {LEVEL_HELP}.")
    return level


def find_skill(roadmap: Roadmap, spec: str) -> Skill:
    """A skill by id, unique id prefix or title (any case)."""
    wanted = spec.strip().lower()
    skills = roadmap.skills
    if not skills:
        raise InputError(f"The roadmap '{roadmap.id}' defines no skills to rate.")
    for match in (
        [s for s in skills if s.id == wanted],
        [s for s in skills if s.title.lower() == wanted],
        [s for s in skills if s.id.startswith(wanted)] if wanted else [],
    ):
        if len(match) == 1:
            return match[0]
        if len(match) > 1:
            raise InputError(
                f"'{spec}' matches several skills: {', '.join(s.id for s in match)}.", "Type more of the id."
            )
    close = difflib.get_close_matches(wanted, [s.id for s in skills], n=3, cutoff=0.3)
    raise InputError(
        f"No skill matches '{spec}'.",
        f"Did you mean {', '.join(close)}?" if close else f"Skills: {', '.join(s.id for s in skills)}.",
    )


@plain
class SkillView:
    id: str
    title: str
    description: str
    includes: list[str]
    assumption: str
    rating: int | None
    change: int | None  # since the first rating
    history: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)


def skills_view(roadmap: Roadmap, progress: State) -> list[SkillView]:
    index = roadmap.index
    out = []
    for skill in roadmap.skills:
        builders = [p.item for p in index.items.values() if skill.id in p.item.skills]
        done = [i.id for i in builders if status_of(index, progress, i.id) == "done"]
        ratings = progress.skills.get(skill.id, [])
        out.append(
            SkillView(
                id=skill.id,
                title=skill.title,
                description=skill.description,
                includes=list(skill.includes),
                assumption=skill.assumption or "",
                rating=ratings[-1].level if ratings else None,
                change=ratings[-1].level - ratings[0].level if ratings else None,
                history=[{"on": r.on, "level": r.level, "note": r.note} for r in ratings],
                coverage={
                    "done": len(done),
                    "total": len(builders),
                    "percent": round(len(done) / len(builders) * 100, 1) if builders else 0.0,
                    "items_done": done,
                },
            )
        )
    return out
