"""pydantic models: a roadmap definition, and the records of a learner's store.

Roadmap models forbid unknown keys so a typo in a hand-written file is an
error, not silently ignored data. Store models forbid them too: a store this
aipm does not fully understand must never be rewritten (it would drop data).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from aipm_cli.roadmap.durations import Duration, parse_duration
from aipm_cli.roadmap.urls import is_http_url
from aipm_cli.roadmap.vocabulary import Status

# --------------------------------------------------------------------------- #
# Roadmap definition
# --------------------------------------------------------------------------- #

Kind = Literal["course", "resource", "topic", "exercise", "project", "certification", "community", "practice"]
Priority = Literal["core", "recommended", "optional"]
LinkType = Literal["course", "article", "video", "book", "official", "community", "tool", "other"]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # used with fullmatch: `$` accepts a trailing newline


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        hint = f" (e.g. '{suggestion}')" if suggestion else ""
        raise ValueError(f"'{value}' is not a valid id: use lowercase letters, digits and single hyphens{hint}")
    return value


def _title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("the title is empty")
    return value


def _http_url(value: str) -> str:
    value = value.strip()
    if not is_http_url(value):
        raise ValueError(f"'{value}' is not an http(s) URL")
    return value


def _duration_text(value: str) -> str:
    parse_duration(value)
    return value.strip()


def _to_text(value: Any) -> Any:
    # YAML reads `version: 1.0` as a float and `2026-01-01` as a date.
    if isinstance(value, (int, float, date)) and not isinstance(value, bool):
        return str(value)
    return value


def _path_slug(value: str) -> str:
    """A slug that also becomes a folder name (a roadmap's id): one every platform can hold."""
    from aipm_cli.paths import unportable

    why = unportable(_slug(value))
    if why is not None:
        raise ValueError(f"'{value}' cannot be a roadmap id: {why} (it names a folder)")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
PathSlug = Annotated[str, AfterValidator(_path_slug)]
Title = Annotated[str, AfterValidator(_title)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
DurationText = Annotated[str, AfterValidator(_duration_text)]
Text = Annotated[str, BeforeValidator(_to_text)]

# Learners read a roadmap as fact; what its authors chose rather than took from
# a source is said apart, so a view can show it as theirs.
_ASSUMPTION = "What this entry's authors chose where the sources are silent (an order, a grouping), in a sentence."


class _Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Link(_Definition):
    """A typed resource link on an item."""

    title: Title
    url: HttpUrl
    type: LinkType = "other"


class Source(_Definition):
    """A document the roadmap transcribes."""

    title: Title
    author: str | None = None
    url: HttpUrl | None = None
    description: str = ""


class Skill(_Definition):
    """A skill area of the role that learners rate themselves on."""

    id: Slug
    title: Title
    description: str = ""
    includes: list[str] = Field(default_factory=list)
    assumption: str = Field(default="", description=_ASSUMPTION)


class SuccessMetric(_Definition):
    """A group of measures of success (knowledge, projects, growth)."""

    id: Slug
    title: Title
    measures: list[str] = Field(default_factory=list)


class Deliverable(_Definition):
    id: Slug
    title: Title
    description: str = ""
    assumption: str = Field(default="", description=_ASSUMPTION)
    aliases: list[Slug] = Field(default_factory=list)


class Item(_Definition):
    id: Slug
    title: Title
    kind: Kind
    description: str = ""
    provider: str | None = None
    author: str | None = None
    url: HttpUrl | None = None
    duration: DurationText | None = None
    requires: list[Slug] = Field(default_factory=list)
    skills: list[Slug] = Field(default_factory=list)
    outcomes: list[str] = Field(default_factory=list)
    assumption: str = Field(default="", description=_ASSUMPTION)
    # None where the roadmap gives none (the bundled one gives none: its sources rank nothing).
    priority: Priority | None = None
    optional: bool = False
    aliases: list[Slug] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    deliverables: list[Deliverable] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.deliverables and self.kind != "project":
            from aipm_cli.wording import article

            raise ValueError(f"only projects have deliverables, and this item is {article(self.kind)}")
        if self.optional:
            self.priority = "optional"
        elif self.priority == "optional":
            self.optional = True
        return self

    @property
    def parsed_duration(self) -> Duration | None:
        return parse_duration(self.duration) if self.duration else None


class Module(_Definition):
    id: Slug
    title: Title
    description: str = ""
    assumption: str = Field(default="", description=_ASSUMPTION)
    duration: DurationText | None = None
    requires: list[Slug] = Field(default_factory=list)
    items: list[Item] = Field(min_length=1)

    @property
    def parsed_duration(self) -> Duration | None:
        return parse_duration(self.duration) if self.duration else None


class Phase(_Definition):
    id: Slug
    title: Title
    description: str = ""
    assumption: str = Field(default="", description=_ASSUMPTION)
    duration: DurationText | None = None
    requires: list[Slug] = Field(default_factory=list)
    modules: list[Module] = Field(min_length=1)


class Roadmap(_Definition):
    id: PathSlug
    title: Title
    version: Text
    description: str = ""
    hours_per_week: float = Field(
        default=8.0,
        gt=0,
        le=168,
        description="The weekly study time the roadmap's durations assume.",
    )
    sources: list[Source] = Field(default_factory=list)
    assumptions: list[str] = Field(
        default_factory=list,
        description="What the roadmap's authors chose where its sources are silent (a pace, an order).",
    )
    skills: list[Skill] = Field(default_factory=list)
    phases: list[Phase] = Field(min_length=1)
    success_metrics: list[SuccessMetric] = Field(default_factory=list)

    @cached_property
    def index(self) -> RoadmapIndex:
        return RoadmapIndex(self)


from aipm_cli.roadmap.plain import Placed, RoadmapIndex  # noqa: E402 - plain classes shared with the fast path

__all__ = ["Placed", "RoadmapIndex"]


# --------------------------------------------------------------------------- #
# The learner's store
# --------------------------------------------------------------------------- #


Action = Literal["start", "done", "skip", "reset", "note", "assess", "undo", "import"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Note(_Record):
    at: datetime
    text: str


class Evidence(_Record):
    at: datetime
    text: str

    @property
    def is_link(self) -> bool:
        return is_http_url(self.text.strip())


class Certification(_Record):
    earned_on: date | None = None
    credential: str | None = None
    expires_on: date | None = None


class ItemProgress(_Record):
    status: Status = "not_started"
    started_on: date | None = None
    completed_on: date | None = None
    skipped_on: date | None = None
    skip_reason: str | None = None
    notes: list[Note] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    certification: Certification | None = None

    def is_blank(self) -> bool:
        return self == ItemProgress()


class SkillRating(_Record):
    on: date
    level: int = Field(ge=1, le=5)
    note: str | None = None


class HistoryEntry(_Record):
    """One change. `before` and `after` hold the touched items' full states
    (None: no record), so undo and as-of reports need nothing else."""

    seq: int
    at: datetime
    action: Action
    items: list[str] = Field(default_factory=list)
    on: date | None = None
    note: str | None = None
    before: dict[str, ItemProgress | None] = Field(default_factory=dict)
    after: dict[str, ItemProgress | None] = Field(default_factory=dict)
    skill: str | None = None
    level: int | None = None
    undoes: int | None = None
    undone: bool = False


class RoadmapProgress(_Record):
    roadmap_version: str | None = None
    items: dict[str, ItemProgress] = Field(default_factory=dict)
    skills: dict[str, list[SkillRating]] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)


class StoreDoc(_Record):
    schema_version: int
    user: str
    created: datetime | None = None
    roadmaps: dict[str, RoadmapProgress] = Field(default_factory=dict)
