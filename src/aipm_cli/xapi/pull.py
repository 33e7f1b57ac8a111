"""`aipm lrs pull`: the statements aipm wrote, read back from an LRS into a local cohort index.

Pages of GET /statements from a cursor (`since` the newest `stored` time seen),
following the `more` links. Each statement aipm wrote carries its change (see
statements.py); every change passes the record's gate (`changes.check`) or is
set aside with the reason, never believed. The index is a folder in the
cache (never synced) holding one aipm JSON export per learner and roadmap,
so `aipm cohort report` reads it exactly as it reads learners' exports.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aipm_cli.xapi.client import Client
from aipm_cli.xapi.statements import changes_of

PAGE = 500  # statements asked for in one page
MAX_PAGES = 1_000_000  # a server whose `more` links never end is stopped here
_ROADMAP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass
class Pulled:
    endpoint: str
    index: Path
    statements: int = 0  # statements read
    others: int = 0  # statements aipm did not write (ignored)
    new: int = 0  # changes new in the index
    learners: int = 0  # learners in the index
    set_aside: list[str] = field(default_factory=list)  # why statements were not believed (the first few)
    set_aside_count: int = 0


def index_dir(cache: Path, endpoint: str) -> Path:
    key = hashlib.sha256(endpoint.rstrip("/").encode("utf-8")).hexdigest()[:24]
    return cache / "lrs-pull" / key


def _file(index: Path, learner: str, roadmap: str) -> Path:
    return index / f"{learner}--{roadmap}.json"


def _read_index(index: Path) -> tuple[str, dict[tuple[str, str], dict[str, dict[str, Any]]]]:
    """(the `since` cursor, {(learner, roadmap): {change id: change}}) of an index (checked again)."""
    from aipm_cli.fs import read_private_file
    from aipm_cli.record.changes import BadChange, check

    found: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    raw = read_private_file(index / ".cursor.json", 1 << 16)
    since = ""
    if raw is not None:
        try:
            data = json.loads(raw)
            since = str(data.get("since", ""))[:40] if isinstance(data, dict) else ""
        except (ValueError, RecursionError):
            since = ""
    if not index.is_dir():
        return "", found
    for path in sorted(index.glob("*--*.json")):
        raw = read_private_file(path)
        if raw is None:
            return "", {}  # not ours as it should be: read everything again
        try:
            data = json.loads(raw)
            changes = {c["id"]: check(c) for c in data["changes"]}
            found[(data["user"], data["roadmap"]["id"])] = changes
        except (ValueError, RecursionError, KeyError, TypeError, BadChange):
            return "", {}
    return since, found


def _write_index(index: Path, since: str, learners: dict[tuple[str, str], dict[str, dict[str, Any]]]) -> None:
    from aipm_cli.fs import atomic_write
    from aipm_cli.paths import ensure_private_dir
    from aipm_cli.report import EXPORT_FORMAT, EXPORT_VERSION

    ensure_private_dir(index)
    for (learner, roadmap), changes in learners.items():
        ordered = [changes[key] for key in sorted(changes)]
        version = next((c["roadmap_version"] for c in reversed(ordered) if "roadmap_version" in c), None)
        head = {
            "format": EXPORT_FORMAT,
            "export_version": EXPORT_VERSION,
            "exported_at": since,
            "user": learner,
            "roadmap": {"id": roadmap, "version": version},
        }
        lines = ",\n".join(
            "    " + json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for c in ordered
        )
        text = json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ',\n  "changes": [\n' + lines + "\n  ]\n}\n"
        atomic_write(_file(index, learner, roadmap), text.encode("utf-8"))
    atomic_write(index / ".cursor.json", (json.dumps({"since": since}) + "\n").encode("utf-8"))


def pull(client: Client, cache: Path, *, again: bool = False) -> Pulled:
    """Read what is new in the LRS into the index (with `again`, everything from the start)."""
    from aipm_cli.errors import InputError
    from aipm_cli.paths import check_user_name
    from aipm_cli.record.changes import BadChange, check

    index = index_dir(cache, client.endpoint)
    since, learners = ("", {}) if again else _read_index(index)
    result = Pulled(endpoint=client.endpoint, index=index)
    newest = since
    url = f"?limit={PAGE}" + (f"&since={quote(since)}" if since else "")
    pages = 0

    def aside(why: str) -> None:
        result.set_aside_count += 1
        if len(result.set_aside) < 5:
            result.set_aside.append(why)

    while url and pages < MAX_PAGES:
        pages += 1
        page = client.get(url)
        for statement in page["statements"]:
            result.statements += 1
            stored = statement.get("stored") if isinstance(statement, dict) else None
            if isinstance(stored, str) and len(stored) <= 40 and stored > newest:
                newest = stored
            found = changes_of(statement)
            if found is None:
                result.others += 1
                continue
            learner, roadmap, carried = found
            where = f"statement {str(statement.get('id'))[:40]}"
            try:
                check_user_name(learner)
            except InputError:
                aside(f"{where}: '{learner[:40]}' is not a learner name")
                continue
            if not _ROADMAP_ID.fullmatch(roadmap):
                aside(f"{where}: '{roadmap[:40]}' is not a roadmap id")
                continue
            known = learners.setdefault((learner, roadmap), {})
            for change in carried:
                try:
                    checked = check(change)
                except BadChange as exc:
                    aside(f"{where}: {exc}")
                    continue
                if checked["id"] not in known:
                    known[checked["id"]] = checked
                    result.new += 1
        more = page.get("more")
        url = more if isinstance(more, str) and more and page["statements"] else ""
    learners = {key: changes for key, changes in learners.items() if changes}
    _write_index(index, newest, learners)
    result.learners = len(learners)
    return result
