"""What `show` and `log` say: an item with its context, state and history, and a change in words, as plain data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aipm_cli.record.state import State
    from aipm_cli.roadmap.plain import Roadmap


def item_detail(roadmap: Roadmap, state: State, item_id: str, history: list[Any]) -> dict[str, Any]:
    """Everything `show` tells about one item or deliverable, as JSON-ready data."""
    from aipm_cli.progress import row
    from aipm_cli.roadmap.kinds import done_means
    from aipm_cli.roadmap.urls import is_http_url
    from aipm_cli.unit_status import record, status_of
    from aipm_cli.view_data import to_data

    index = roadmap.index
    # Only a roadmap that names its sources is said to be read from them (an own roadmap may name none).
    sourced = bool(roadmap.sources)
    if item_id in index.deliverables:
        deliverable, project = index.deliverables[item_id]
        placed = index.items[project.id]
        base: dict[str, Any] = {
            "id": deliverable.id, "title": deliverable.title, "kind": "deliverable",
            "project": project.id, "project_title": project.title, "priority": project.priority,
            "description": deliverable.description, "status": record(state, item_id).status,
            # A deliverable waits for what its project waits for.
            "requires": [
                {"id": q, "title": index.items[q].item.title, "status": status_of(index, state, q)}
                for q in placed.requires
            ],
            "skills": [], "outcomes": [], "links": [],
            "done_means": done_means("deliverable", sourced=sourced, project=project),
            "assumption": deliverable.assumption or "",
        }  # fmt: skip
    else:
        placed = index.items[item_id]
        item = placed.item
        r = row(roadmap, state, item_id)
        base = {
            "id": item.id, "title": item.title, "kind": item.kind, "priority": item.priority,
            "optional": item.optional, "provider": item.provider, "author": item.author, "url": item.url,
            "duration": item.duration, "description": item.description, "status": r.status,
            "requires": [
                {"id": q, "title": index.items[q].item.title, "status": status_of(index, state, q)}
                for q in placed.requires
            ],
            "skills": [{"id": s, "title": index.skills[s].title} for s in item.skills if s in index.skills],
            "outcomes": list(item.outcomes),
            "links": [link.data() for link in item.links],
            "deliverables": to_data(r.deliverables) if r.deliverables else [],
            "aliases": list(item.aliases),
            "done_means": done_means(item.kind, item, placed.module, sourced=sourced),
            # Which skills an item builds: the roadmap's own reading of its sources, when it has some.
            "skills_note": "the roadmap's reading of its sources" if sourced and item.skills else "",
            "assumption": item.assumption,
        }  # fmt: skip
    rec = record(state, item_id)
    base.update(
        phase=placed.phase.id,
        phase_title=placed.phase.title,
        module=placed.module.id,
        module_title=placed.module.title,
        # Context for a bare title, and what the roadmap's authors chose (not its sources).
        module_description=placed.module.description,
        module_duration=placed.module.duration,
        phase_description=placed.phase.description,
        module_assumption=placed.module.assumption or "",
        phase_assumption=placed.phase.assumption or "",
        started_on=rec.started_on,
        completed_on=rec.completed_on if base["status"] == "done" else None,
        skipped_on=rec.skipped_on,
        skip_reason=rec.skip_reason,
        notes=[{"text": n.text, "on": n.on, "at": n.at} for n in rec.notes],
        evidence=[
            {"text": e.text, "on": e.on, "at": e.at, "is_link": is_http_url(e.text.strip())} for e in rec.evidence
        ],
        # Older notes and evidence a record counts but no longer holds (state.NOTES_KEPT; reports list them).
        earlier_notes=rec.earlier_notes,
        earlier_evidence=rec.earlier_evidence,
        certification=(
            {"earned_on": rec.completed_on, "credential": rec.credential, "expires_on": rec.expires_on}
            if rec.credential or rec.expires_on
            else None
        ),
        # By the date each change is for (then recording order), so a backdated change sits where it belongs.
        history=sorted(history, key=lambda h: (str(h.get("on", "")), str(h.get("at", "")))),
    )
    for d in base.get("deliverables") or []:
        # Each deliverable's own dates and evidence, as `show PROJECT` lists them.
        drec = record(state, d["id"])
        d.update(
            started_on=drec.started_on,
            completed_on=drec.completed_on if d["status"] == "done" else None,
            skipped_on=drec.skipped_on,
            evidence=[{"text": e.text, "on": e.on, "at": e.at} for e in drec.evidence],
        )
    if base["kind"] != "deliverable" and base["status"] == "done":
        base["completed_on"] = r.completed_on  # a project: its last deliverable's date when it has none
    data: dict[str, Any] = to_data(base)
    return data


def change_data(change: dict[str, Any], undone: bool, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """A change as `log --json` and `show --json` give it."""
    data: dict[str, Any] = {
        "id": change["id"],
        "at": change["at"],
        "on": change["on"],
        "device": change["device"],
        "action": change["op"],
        "items": list(change.get("targets", [])),
        "undone": undone,
    }
    for key in (
        "units",
        "note",
        "text",
        "reason",
        "evidence",
        "credential",
        "expires",
        "skill",
        "level",
        "target",
        "about",
        "minutes",
        "rating",
        "began",
        "source",
    ):
        if change.get(key) not in (None, []):
            data[key] = change[key]
    if change["op"] == "note":
        data["note"] = change["text"]
        data.pop("text", None)
    if change["op"] == "review":  # the rating as the word `aipm review ITEM good` took
        data["recalled"] = ("again", "hard", "good", "easy")[change["rating"] - 1]
    if change["op"] == "import":
        data["count"] = change.get("count")
        data["source"] = change.get("source")
    if titles is not None:
        data["titles"] = [titles.get(i, i) for i in data["items"]]
    return data
