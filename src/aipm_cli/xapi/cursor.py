"""What was sent to an LRS, per endpoint, learner and roadmap: a small file in the cache (never synced).

`through`: the newest change (in fold order) whose statements the LRS has all
taken; `count`: how many changes were at or below it then. When a sync or an
import later brings an older change, the count no longer matches and the next
push sends everything again (the LRS keeps one copy of each statement).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from aipm_cli.plainclass import plain


@plain
class Cursor:
    endpoint: str
    learner: str
    roadmap: str
    through: str = ""  # a change id ("" : nothing sent yet)
    count: int = 0
    statements: int = 0  # statements the LRS took over all pushes (stored or already there)
    pushed_at: str = ""


def cursor_path(cache: Path, endpoint: str, learner: str, roadmap: str) -> Path:
    key = hashlib.sha256("\n".join((endpoint.rstrip("/"), learner, roadmap)).encode("utf-8")).hexdigest()[:24]
    return cache / "lrs" / f"{key}.json"


def read_cursor(cache: Path, endpoint: str, learner: str, roadmap: str) -> Cursor:
    """The cursor, or a fresh one when there is none (or it is not ours: then everything is sent again)."""
    from aipm_cli.fs import read_private_file

    fresh = Cursor(endpoint=endpoint, learner=learner, roadmap=roadmap)
    raw = read_private_file(cursor_path(cache, endpoint, learner, roadmap), 1 << 20)
    if raw is None:
        return fresh
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return fresh
    if (
        not isinstance(data, dict)
        or data.get("endpoint") != endpoint
        or data.get("learner") != learner
        or data.get("roadmap") != roadmap
        or not isinstance(data.get("through"), str)
        or type(data.get("count")) is not int
        or type(data.get("statements")) is not int
    ):
        return fresh
    return Cursor(
        endpoint=endpoint,
        learner=learner,
        roadmap=roadmap,
        through=data["through"][:26],
        count=data["count"],
        statements=data["statements"],
        pushed_at=str(data.get("pushed_at", ""))[:40],
    )


def write_cursor(cache: Path, cursor: Cursor) -> None:
    from aipm_cli.fs import atomic_write
    from aipm_cli.paths import ensure_private_dir

    path = cursor_path(cache, cursor.endpoint, cursor.learner, cursor.roadmap)
    data = {
        "endpoint": cursor.endpoint,
        "learner": cursor.learner,
        "roadmap": cursor.roadmap,
        "through": cursor.through,
        "count": cursor.count,
        "statements": cursor.statements,
        "pushed_at": cursor.pushed_at,
    }
    ensure_private_dir(path.parent)
    atomic_write(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
