"""A type for each operation of the change format: the one list of every change's fields.

The gate (changes.py) takes each operation's allowed and required fields from these types, so
what a change may hold is written once; code that builds or reads a change can name its type.
(No `from __future__ import annotations` here: TypedDict reads `NotRequired` from real annotations.)
"""

from typing import Any, Literal, NotRequired, TypedDict, get_args

Record = dict[str, Any]  # a unit's record as the old store left it (checked field by field by the gate)
Rating = dict[str, Any]  # {"on": date, "level": 1-5, "note": text}


class Common(TypedDict):
    """Every change: the format version, its id, when it was recorded and for which day, by which device."""

    v: int
    id: str
    at: str
    on: str
    device: str
    roadmap_version: NotRequired[str]


class StatusChange(Common):
    """start | done | skip | reset: the units named (through aliases) and what the learner said."""

    op: Literal["start", "done", "skip", "reset"]
    targets: list[str]
    units: list[str]
    note: NotRequired[str | None]
    evidence: NotRequired[list[str]]
    reason: NotRequired[str | None]  # skip
    credential: NotRequired[str | None]  # done (a certification)
    expires: NotRequired[str | None]  # done (a certification's expiry)
    state: NotRequired[dict[str, Record | None]]  # migrated: the records as the old store left them


class NoteChange(Common):
    op: Literal["note"]
    targets: list[str]
    text: str
    state: NotRequired[dict[str, Record | None]]


class AssessChange(Common):
    op: Literal["assess"]
    skill: str
    level: int
    note: NotRequired[str | None]


class UndoChange(Common):
    """undo | redo: the id of the (older) change it cancels, and that change in words."""

    op: Literal["undo", "redo"]
    target: str
    about: NotRequired[str | None]


class ImportChange(Common):
    op: Literal["import"]
    file: str
    count: NotRequired[int | None]
    source: NotRequired[str | None]
    ids: NotRequired[list[str]]
    replace: NotRequired[Literal[True] | None]


class RestoreChange(Common):
    op: Literal["restore"]
    state: NotRequired[dict[str, Record | None]]
    skills: NotRequired[dict[str, list[Rating]]]


class RedateChange(Common):
    op: Literal["redate"]
    targets: list[str]
    units: list[str]
    status: Literal["in_progress", "done"]


class RemoveChange(Common):
    op: Literal["remove"]
    targets: list[str]
    entries: list[str]


class ForgetChange(Common):
    op: Literal["forget"]
    units: list[str]


class StudyStartChange(Common):
    op: Literal["study_start"]
    targets: list[str]
    began: str


class StudyChange(Common):
    op: Literal["study"]
    targets: list[str]
    minutes: int
    began: NotRequired[str | None]
    closes: NotRequired[str | None]
    source: NotRequired[str | None]
    ref: NotRequired[str | None]


class ReviewChange(Common):
    op: Literal["review"]
    targets: list[str]
    rating: Literal[1, 2, 3, 4]


Change = (
    StatusChange | NoteChange | AssessChange | UndoChange | ImportChange | RestoreChange | RedateChange
    | RemoveChange | ForgetChange | StudyStartChange | StudyChange | ReviewChange
)  # fmt: skip
TYPES = get_args(Change)
COMMON = frozenset(Common.__required_keys__ | Common.__optional_keys__) | {"op"}


def _ops(kind: Any) -> tuple[str, ...]:
    return tuple(get_args(kind.__annotations__["op"]))


# op -> the fields beyond the common ones it may hold, and those it must.
ALLOWED: dict[str, frozenset[str]] = {
    op: frozenset(kind.__required_keys__ | kind.__optional_keys__) - COMMON for kind in TYPES for op in _ops(kind)
}
REQUIRED: dict[str, frozenset[str]] = {
    op: frozenset(kind.__required_keys__) - COMMON for kind in TYPES for op in _ops(kind)
}
