"""`aipm lrs push` and `aipm lrs status`: the learner's new statements to an LRS, and what is pending.

Only reads the learner's log (never changes it, whatever the server answers).
Statements go in batches of whole changes, oldest first; after each batch the
LRS took, the cursor moves past its changes. A batch the LRS refuses (400,
or 409: a statement of that id with other content is there) is split until
the statement it refuses is found: a 409 on one statement counts as already
there, a 400 is reported by its change id and the rest are sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aipm_cli.xapi.client import Client, Rejected
from aipm_cli.xapi.cursor import Cursor, read_cursor, write_cursor
from aipm_cli.xapi.statements import Profile

BATCH = 500  # statements a request carries (about; a change's statements are never split)
SENDING = "Sending statements to the LRS"


@dataclass
class Pushed:
    endpoint: str
    changes: int = 0  # changes whose statements were sent this time
    statements: int = 0  # statements sent
    stored: int = 0  # the LRS stored them
    already: int = 0  # the LRS had them already
    refused: list[tuple[str, str]] = field(default_factory=list)  # (change id, what the LRS said)
    resent: bool = False  # older changes arrived since the last push: everything was sent again
    retried: int = 0


@dataclass
class Pending:
    endpoint: str
    changes: int  # changes in the log
    pending: int  # changes not sent yet
    through: str  # the newest change sent
    statements: int  # statements the LRS took so far
    pushed_at: str
    resend: bool  # older changes arrived since: the next push sends everything again


def _scan(changes: Iterable[dict[str, Any]], cursor: Cursor) -> tuple[int, int]:
    """(changes at or below the cursor, all changes)."""
    below = total = 0
    for change in changes:
        total += 1
        if change["id"] <= cursor.through:
            below += 1
    return below, total


def pending(
    changes: Callable[[], Iterable[dict[str, Any]]], cache: Path, endpoint: str, learner: str, roadmap: str
) -> Pending:
    cursor = read_cursor(cache, endpoint, learner, roadmap)
    below, total = _scan(changes(), cursor)
    resend = bool(cursor.through) and below != cursor.count
    return Pending(
        endpoint=endpoint,
        changes=total,
        pending=total if resend else total - below,
        through=cursor.through,
        statements=cursor.statements,
        pushed_at=cursor.pushed_at,
        resend=resend,
    )


def push(
    changes: Callable[[], Iterable[dict[str, Any]]],
    profile: Callable[[], Profile],
    client: Client,
    cache: Path,
    *,
    now: str,
    batch: int = BATCH,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> Pushed:
    """Send what the LRS does not have yet (see the module docstring).

    `progress(what, changes looked at, all changes)` is called after each batch sent."""
    made = profile()
    learner, roadmap = made.learner, made.roadmap
    endpoint = client.endpoint
    cursor = read_cursor(cache, endpoint, learner, roadmap)
    result = Pushed(endpoint=endpoint)
    total: int | None = None
    if cursor.through or progress is not None:
        below, total = _scan(changes(), cursor)
        if cursor.through and below != cursor.count:  # a sync or an import brought older changes: send all again
            result.resent = True
            cursor.through, cursor.count = "", 0
        elif cursor.through and below == total:
            return result  # nothing new: the cursor check is the whole cost
    blocked = False  # a change the LRS refused: the cursor stays before it
    seen = 0
    waiting: list[tuple[str, dict[str, Any]]] = []
    position: dict[str, int] = {}  # change id in `waiting` -> how many changes there are up to it

    def send() -> None:
        nonlocal blocked
        if not waiting:
            return
        stored, already, refused = _send(client, waiting)
        result.statements += len(waiting)
        result.stored += stored
        result.already += already
        result.changes += len({change_id for change_id, _s in waiting})
        if refused:
            result.refused += refused
            first_bad = min(change_id for change_id, _d in refused)
            if not blocked:
                good = [change_id for change_id, _s in waiting if change_id < first_bad]
                if good:
                    _advance(cursor, max(good), position[max(good)], stored + already)
                blocked = True
        elif not blocked:
            _advance(cursor, waiting[-1][0], position[waiting[-1][0]], stored + already)
        if not blocked or refused:
            cursor.pushed_at = now
            write_cursor(cache, cursor)
        waiting.clear()
        position.clear()
        result.retried = client.retried
        if progress is not None:
            progress(SENDING, seen, total)

    for change in changes():
        seen += 1
        if change["id"] <= cursor.through:
            made.follow(change)  # sent before: the profile only takes it in (what a later undo names)
            continue
        made_now = made.statements(change)
        waiting.extend((change["id"], statement) for statement in made_now)
        position[change["id"]] = seen
        if len(waiting) >= batch:
            send()
    send()
    return result


def _advance(cursor: Cursor, through: str, count: int, taken: int) -> None:
    cursor.through, cursor.count = through, count
    cursor.statements += taken


def _send(client: Client, entries: list[tuple[str, dict[str, Any]]]) -> tuple[int, int, list[tuple[str, str]]]:
    """(stored, already there, [(change id, why refused)]) of sending these statements."""
    try:
        stored = client.post([statement for _change_id, statement in entries])
    except Rejected as exc:
        if len(entries) == 1:
            if exc.status == 409:
                return 0, 1, []
            return 0, 0, [(entries[0][0], f"{exc.status} {exc.detail}")]
        middle = len(entries) // 2
        first = _send(client, entries[:middle])
        second = _send(client, entries[middle:])
        return first[0] + second[0], first[1] + second[1], first[2] + second[2]
    return stored, len(entries) - stored, []
