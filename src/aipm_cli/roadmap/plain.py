"""A validated roadmap as plain data: what every command reads, without a validation library.

A roadmap file is validated with pydantic (models.py) the first time its
bytes are seen; the validated document is kept in the cache and turned into
these frozen-shape classes, whose attribute names match the models'. Reading
commands never import pydantic or a YAML parser.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from aipm_cli.roadmap.durations import Duration, parse_duration


class _Plain:
    __slots__: tuple[str, ...] = ()
    _lists: dict[str, type] = {}

    def __init__(self, data: dict[str, Any]) -> None:
        for name in self.__slots__:
            if name.startswith("_") or name == "__dict__":
                continue
            value = data.get(name)
            kind = self._lists.get(name)
            if kind is not None:
                value = [kind(v) for v in value or ()]
            elif isinstance(value, list):
                value = list(value)
            setattr(self, name, value)

    def data(self) -> dict[str, Any]:
        """Back to plain JSON-ready data."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            if name.startswith("_") or name == "__dict__":
                continue
            value = getattr(self, name)
            if name in self._lists:
                value = [v.data() for v in value]
            out[name] = value
        return out


class Link(_Plain):
    __slots__ = ("title", "url", "type")
    title: str
    url: str
    type: str


class Source(_Plain):
    __slots__ = ("title", "author", "url", "description")
    title: str
    author: str | None
    url: str | None
    description: str


class Skill(_Plain):
    __slots__ = ("id", "title", "description", "includes", "assumption")
    id: str
    title: str
    description: str
    includes: list[str]
    assumption: str


class SuccessMetric(_Plain):
    __slots__ = ("id", "title", "measures")
    id: str
    title: str
    measures: list[str]


class Deliverable(_Plain):
    __slots__ = ("id", "title", "description", "assumption", "aliases")
    id: str
    title: str
    description: str
    assumption: str
    aliases: list[str]


class Item(_Plain):
    __slots__ = (
        "id", "title", "kind", "description", "provider", "author", "url", "duration", "requires", "skills",
        "outcomes", "assumption", "priority", "optional", "aliases", "links", "deliverables",
    )  # fmt: skip
    _lists = {"links": Link, "deliverables": Deliverable}
    id: str
    title: str
    kind: str
    description: str
    provider: str | None
    author: str | None
    url: str | None
    duration: str | None
    requires: list[str]
    skills: list[str]
    outcomes: list[str]
    assumption: str
    priority: str | None
    optional: bool
    aliases: list[str]
    links: list[Link]
    deliverables: list[Deliverable]

    @property
    def parsed_duration(self) -> Duration | None:
        return parse_duration(self.duration) if self.duration else None


class Module(_Plain):
    __slots__ = ("id", "title", "description", "assumption", "duration", "requires", "items")
    _lists = {"items": Item}
    id: str
    title: str
    description: str
    assumption: str
    duration: str | None
    requires: list[str]
    items: list[Item]

    @property
    def parsed_duration(self) -> Duration | None:
        return parse_duration(self.duration) if self.duration else None


class Phase(_Plain):
    __slots__ = ("id", "title", "description", "assumption", "duration", "requires", "modules")
    _lists = {"modules": Module}
    id: str
    title: str
    description: str
    assumption: str
    duration: str | None
    requires: list[str]
    modules: list[Module]


class Roadmap(_Plain):
    __slots__ = (
        "id", "title", "version", "description", "hours_per_week", "sources", "assumptions", "skills", "phases",
        "success_metrics", "__dict__",
    )  # fmt: skip
    _lists = {"sources": Source, "skills": Skill, "phases": Phase, "success_metrics": SuccessMetric}
    id: str
    title: str
    version: str
    description: str
    hours_per_week: float
    sources: list[Source]
    assumptions: list[str]
    skills: list[Skill]
    phases: list[Phase]
    success_metrics: list[SuccessMetric]

    @cached_property
    def index(self) -> RoadmapIndex:
        return RoadmapIndex(self)


class Placed:
    """An item with where it sits in the roadmap."""

    __slots__ = ("item", "module", "phase", "order", "requires")

    def __init__(self, item: Any, module: Any, phase: Any, order: int) -> None:
        self.item = item
        self.module = module
        self.phase = phase
        self.order = order
        # Requirements declared on the phase and module apply to every item inside.
        own = [*phase.requires, *module.requires, *item.requires]
        self.requires: list[str] = [r for r in dict.fromkeys(own) if r != item.id]


class RoadmapIndex:
    """Lookups over a validated roadmap (plain or pydantic), built once."""

    def __init__(self, roadmap: Any) -> None:
        self.roadmap = roadmap
        self.items: dict[str, Placed] = {}
        self.phases: dict[str, Any] = {p.id: p for p in roadmap.phases}
        self.modules: dict[str, tuple[Any, Any]] = {}
        # deliverable id -> (deliverable, project item)
        self.deliverables: dict[str, tuple[Any, Any]] = {}
        self.aliases: dict[str, str] = {}
        self.skills: dict[str, Any] = {s.id: s for s in roadmap.skills}
        order = 0
        for phase in roadmap.phases:
            for module in phase.modules:
                self.modules[module.id] = (module, phase)
                for item in module.items:
                    self.items[item.id] = Placed(item, module, phase, order)
                    order += 1
                    for alias in item.aliases:
                        self.aliases[alias] = item.id
                    for deliverable in item.deliverables:
                        self.deliverables[deliverable.id] = (deliverable, item)
                        for alias in deliverable.aliases:
                            self.aliases[alias] = deliverable.id
        # `requires` may name a module or a phase: it stands for every item in it.
        groups: dict[str, list[str]] = {m: [i.id for i in mod.items] for m, (mod, _p) in self.modules.items()}
        groups.update({p.id: [i.id for m in p.modules for i in m.items] for p in roadmap.phases})
        if any(r in groups for placed in self.items.values() for r in placed.requires):
            for placed in self.items.values():
                expanded = [e for r in placed.requires for e in groups.get(r, [r])]
                placed.requires = [r for r in dict.fromkeys(expanded) if r != placed.item.id]

    def known(self, key: str) -> bool:
        return key in self.items or key in self.deliverables

    def trackable_ids(self) -> list[str]:
        """Units that carry a status of their own: items without deliverables, and deliverables."""
        out: list[str] = []
        for placed in self.items.values():
            if placed.item.deliverables:
                out.extend(d.id for d in placed.item.deliverables)
            else:
                out.append(placed.item.id)
        return out

    def all_ids(self) -> list[str]:
        return list(self.phases) + list(self.modules) + list(self.items) + list(self.deliverables)
