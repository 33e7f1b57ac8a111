"""aipm's xAPI profile: each change of the learner's log as one or more xAPI statements.

The statements of a change depend only on that change and the ones before it
(in fold order), and their ids are UUIDv5 of (learner, roadmap, change id,
part): exporting again gives the same statements, and an LRS keeps one copy.

| aipm change | verb | object, result |
|---|---|---|
| start | adlnet `attempted` | one statement per unit |
| done | adlnet `completed` | per unit, `result.completion` true; credential, expiry, evidence as |
|      |                     | result extensions; a module or phase as a whole also `satisfied` |
| skip | cmi5 (ADL) `waived` | per unit, the reason as `result.response` |
| reset | aipm `reset` | per unit |
| redate | `completed` / `attempted` again | per unit, dated the corrected date, marked as a correction |
| note | adlnet `commented` | the text only with `with_notes` |
| assess | adlnet `scored` | the skill; `result.score` raw 1-5, scaled level/5 |
| study_start | adlnet `initialized` | the item (a study session began) |
| study | adlnet `experienced` | the item; `result.duration` the time studied (ISO 8601, e.g. PT1H30M) |
| review | aipm `reviewed` | the item; `result.score` raw 1-4 (again, hard, good, easy) |
| remove, forget, import, restore | aipm `removed`, `forgot`, adlnet `imported`, aipm `restored` | |
| undo | adlnet `voided` | a `StatementRef` to each statement the undone change still has in effect |
| redo | the undone change's verb | its statements again under new ids |

Every statement carries the change itself (private texts left out unless
`with_notes`) in the context extension CHANGE, the roadmap id in ROADMAP, and
a redo also the change it brings back in BRINGS: what an LRS hands back is
read as changes again (`changes_of`) and passes the record's gate.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from aipm_cli.learner import Learner

BASE = "https://w3id.org/aipm/xapi"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "start": ADL + "attempted",
    "done": ADL + "completed",
    "skip": "https://w3id.org/xapi/adl/verbs/waived",
    "reset": BASE + "/verbs/reset",
    "note": ADL + "commented",
    "assess": ADL + "scored",
    "remove": BASE + "/verbs/removed",
    "forget": BASE + "/verbs/forgot",
    "import": ADL + "imported",
    "restore": BASE + "/verbs/restored",
    "undo": ADL + "voided",
    "study_start": ADL + "initialized",  # a study session began (it runs until `aipm study stop`)
    "study": ADL + "experienced",  # time studied, as result.duration
    "review": BASE + "/verbs/reviewed",  # a spaced-review rating, as result.score (1 again .. 4 easy)
    "redo": BASE + "/verbs/redid",  # only when the change it brings back is unknown
}
SATISFIED = ADL + "satisfied"
CHANGE = BASE + "/extensions/change"
BRINGS = BASE + "/extensions/brings"
ROADMAP = BASE + "/extensions/roadmap"
CORRECTION = BASE + "/extensions/correction"
CREDENTIAL = BASE + "/extensions/credential"
EXPIRES = BASE + "/extensions/expires"
EVIDENCE = BASE + "/extensions/evidence"
DEFAULT_HOME_PAGE = BASE + "/learners"
_Part = tuple[str, str, dict[str, Any], dict[str, Any] | None, list[dict[str, Any]]]
RECENT = 100_000  # changes remembered for an undo to name (older: its first statement is voided)
VERSION = "1.0.3"  # the xAPI version aipm speaks (the X-Experience-API-Version header)


def statement_id(learner: str, roadmap: str, change_id: str, part: str = "") -> str:
    return str(uuid.uuid5(NAMESPACE, "\n".join((learner, roadmap, change_id, part))))


def activity_id(roadmap: str, unit: str) -> str:
    return f"{BASE}/roadmaps/{quote(roadmap, safe='')}/{quote(unit, safe='')}"


def skill_id(roadmap: str, skill: str) -> str:
    return f"{BASE}/roadmaps/{quote(roadmap, safe='')}/skills/{quote(skill, safe='')}"


def private_removed(change: dict[str, Any]) -> dict[str, Any]:
    """The change without its private texts (notes: the text of a note, a change's note, notes in
    migrated records); everything else stays, so a fold of it gives the same progress."""
    if "note" not in change and change["op"] != "note" and "state" not in change:
        return change
    out = dict(change)
    out.pop("note", None)
    if out["op"] == "note":
        out["text"] = ""
    if isinstance(out.get("state"), dict):
        out["state"] = {
            unit: ({**record, "notes": []} if isinstance(record, dict) and "notes" in record else record)
            for unit, record in out["state"].items()
        }
    return out


def _timestamp(change: dict[str, Any]) -> str:
    """The date the change is for (midnight UTC), never later than when it was recorded."""
    day = datetime.fromisoformat(change["on"] + "T00:00:00+00:00")
    try:
        recorded = datetime.fromisoformat(change["at"]).astimezone(UTC)
    except (ValueError, TypeError):
        recorded = day
    return min(day, recorded).isoformat().replace("+00:00", "Z")


def _duration(minutes: int) -> str:
    """Minutes as an ISO 8601 duration (xAPI's result.duration): 45 -> PT45M, 90 -> PT1H30M."""
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


class Profile:
    """Turns one learner's changes on one roadmap into statements (feed them in fold order)."""

    def __init__(
        self,
        learner: str,
        roadmap: str,
        *,
        home_page: str = DEFAULT_HOME_PAGE,
        titles: dict[str, str] | None = None,
        with_notes: bool = False,
    ) -> None:
        self.learner = learner
        self.roadmap = roadmap
        self.actor = {"objectType": "Agent", "account": {"homePage": home_page, "name": learner}}
        self.titles = titles or {}
        self.with_notes = with_notes
        # What a change is in effect as, when not its own statements: (the redo whose id made them, parts)
        self.sent_as: dict[str, tuple[str, tuple[str, ...]]] = {}
        # Each window below keeps its newest RECENT entries (memory flat however long the log), in an
        # OrderedDict: dropping the oldest of a plain dict (`next(iter(d))`) walks over every slot deleted
        # before it, which made an export of a million changes quadratic (305 s; now about 60).
        self.undone: OrderedDict[str, str] = OrderedDict()  # undo id -> the change it undid
        # Changes kept as their compact JSON (a third of a dict's memory): those undone, which a redo may
        # bring back, and the newest, by id (what an undo names).
        self.undone_changes: OrderedDict[str, bytes | dict[str, Any]] = OrderedDict()
        self.recent: OrderedDict[str, bytes | dict[str, Any]] = OrderedDict()
        self._activities: dict[tuple[str, bool], str] = {}  # (unit, skill) -> activity id

    def _activity(self, unit: str, skill: bool = False) -> dict[str, Any]:
        known = self._activities.get((unit, skill))
        if known is None:
            known = self._activities[(unit, skill)] = (skill_id if skill else activity_id)(self.roadmap, unit)
        found: dict[str, Any] = {"objectType": "Activity", "id": known}
        title = self.titles.get(unit)
        if title:
            found["definition"] = {"name": {"en-US": title}}
        return found

    def _statement(
        self,
        key: str,
        part: str,
        verb: str,
        obj: dict[str, Any],
        change: dict[str, Any],
        extra: dict[str, Any],
        timestamp: str | None = None,
    ) -> dict[str, Any]:
        carried = change if self.with_notes else private_removed(change)
        statement: dict[str, Any] = {
            "id": statement_id(self.learner, self.roadmap, key, part),
            "actor": self.actor,
            "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
            "object": obj,
            "timestamp": timestamp or _timestamp(change),
            "context": {"extensions": {ROADMAP: self.roadmap, CHANGE: carried, **extra}},
        }
        if obj["objectType"] == "Activity":  # xAPI allows `platform` only in a statement about an activity
            statement["context"]["platform"] = "aipm"
        return statement

    def _parts(self, change: dict[str, Any]) -> list[_Part]:
        """(part, verb, object, result, parent activities) of each statement a change is sent as."""
        op = change["op"]
        out: list[_Part] = []
        if op in ("start", "done", "skip", "reset", "redate"):
            verb = VERBS[op] if op != "redate" else VERBS["done" if change["status"] == "done" else "start"]
            result: dict[str, Any] | None = None
            if op == "done" or (op == "redate" and change["status"] == "done"):
                result = {"completion": True}
                extensions = {}
                if change.get("credential"):
                    extensions[CREDENTIAL] = change["credential"]
                if change.get("expires"):
                    extensions[EXPIRES] = change["expires"]
                if change.get("evidence"):
                    extensions[EVIDENCE] = change["evidence"]
                if op == "redate":
                    extensions[CORRECTION] = True
                if extensions:
                    result["extensions"] = extensions
            elif op == "skip" and change.get("reason"):
                result = {"response": change["reason"]}
            elif op == "redate":
                result = {"extensions": {CORRECTION: True}}
            units = change["units"] or change["targets"]
            groups = [self._activity(t) for t in change["targets"] if t not in units]
            out += [(unit, verb, self._activity(unit), result, groups) for unit in units]
            if op == "done":
                for target in change["targets"]:
                    if target not in units:
                        out.append(("group:" + target, SATISFIED, self._activity(target), {"completion": True}, []))
        elif op == "note":
            result = {"response": change["text"]} if self.with_notes else None
            out += [(target, VERBS[op], self._activity(target), result, []) for target in change["targets"]]
        elif op == "assess":
            level = change["level"]
            result = {"score": {"raw": level, "min": 1, "max": 5, "scaled": level / 5}}
            if self.with_notes and change.get("note"):
                result["response"] = change["note"]
            out.append(("", VERBS[op], self._activity(change["skill"], skill=True), result, []))
        elif op in ("study_start", "study", "review"):
            if op == "study":
                result = {"duration": _duration(change["minutes"])}
            elif op == "review":
                result = {"score": {"raw": change["rating"], "min": 1, "max": 4}}
            else:
                result = None
            out += [(target, VERBS[op], self._activity(target), result, []) for target in change["targets"]]
        elif op == "remove":
            out += [(target, VERBS[op], self._activity(target), None, []) for target in change["targets"]]
        else:  # forget, import, restore, redo of something unknown: about the roadmap as a whole
            whole = {"objectType": "Activity", "id": f"{BASE}/roadmaps/{quote(self.roadmap, safe='')}"}
            out.append(("", VERBS.get(op, VERBS["redo"]), whole, None, []))
        if not out:  # a change that names no unit (nothing aipm writes): still sent, about the roadmap
            whole = {"objectType": "Activity", "id": f"{BASE}/roadmaps/{quote(self.roadmap, safe='')}"}
            out.append(("", VERBS.get(op, VERBS["redo"]), whole, None, []))
        return out

    def _made(self, change: dict[str, Any], sent_as: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The statements of `change`, with ids from and carrying `sent_as` (itself, or a redo)."""
        stamp = _timestamp(change)  # the date of the change made (a redo's statements: the date it brings back)
        for part, verb, obj, result, parents in self._parts(change):
            statement = self._statement(sent_as["id"], part, verb, obj, sent_as, {}, stamp)
            if parents:
                statement["context"]["contextActivities"] = {"parent": parents}
            if result:
                statement["result"] = result
            yield statement

    def _in_effect_as(self, change_id: str) -> tuple[str, tuple[str, ...]]:
        """(the id the statements were made from, their parts) that stand for a change now."""
        if change_id in self.sent_as:
            return self.sent_as[change_id]
        known = self.recent.get(change_id) or self.undone_changes.get(change_id)
        if known is None:
            return change_id, ("",)  # older than what is remembered: its first statement
        return change_id, tuple(p[0] for p in self._parts(_loads(known)))

    def statements(self, change: dict[str, Any]) -> list[dict[str, Any]]:
        """The statements one change is sent as (call in fold order, with every change)."""
        return self._step(change, make=True)

    def follow(self, change: dict[str, Any]) -> None:
        """Take in a change whose statements are not wanted (sent before): only what later ones need."""
        self._step(change, make=False)

    def _step(self, change: dict[str, Any], make: bool) -> list[dict[str, Any]]:
        op = change["op"]
        out: list[dict[str, Any]] = []
        if op == "undo":
            target = change["target"]
            self.undone[change["id"]] = target
            _trim(self.undone)
            if make:
                key, parts = self._in_effect_as(target)
                for part in parts:
                    voided = statement_id(self.learner, self.roadmap, key, part)
                    obj = {"objectType": "StatementRef", "id": voided}
                    out.append(self._statement(change["id"], voided, VERBS["undo"], obj, change, {}))
            if target in self.recent:
                self.undone_changes[target] = self.recent.pop(target)
                _trim(self.undone_changes)
            return out
        if op == "redo":
            kept = self.undone_changes.get(self.undone.get(change["target"], ""))
            if kept is not None:
                brought = _loads(kept)
                if make:
                    carried = brought if self.with_notes else private_removed(brought)
                    for statement in self._made(brought, change):
                        statement["context"]["extensions"][BRINGS] = carried
                        out.append(statement)
                self.sent_as[brought["id"]] = (change["id"], tuple(p[0] for p in self._parts(brought)))
                return out
        self.recent[change["id"]] = _dumps(change)
        _trim(self.recent)
        return list(self._made(change, change)) if make else out


def _trim(window: OrderedDict[str, Any]) -> None:
    if len(window) > RECENT:
        window.popitem(last=False)


def _dumps(change: dict[str, Any]) -> bytes | dict[str, Any]:
    """A change kept compactly (as itself when orjson cannot write it, e.g. an integer past 64 bits)."""
    import orjson

    try:
        return bytes(memoryview(orjson.dumps(change)))  # a copy of its size (orjson's own is over-allocated)
    except TypeError:
        return change


def _loads(kept: bytes | dict[str, Any]) -> dict[str, Any]:
    import orjson

    if isinstance(kept, dict):
        return kept
    found: dict[str, Any] = orjson.loads(kept)
    return found


def statements(changes: Iterable[dict[str, Any]], profile: Profile) -> Iterator[tuple[str, dict[str, Any]]]:
    """(change id, statement) for every change, in the order given (fold order)."""
    for change in changes:
        for statement in profile.statements(change):
            yield change["id"], statement


def changes_of(statement: Any) -> tuple[str, str, list[Any]] | None:
    """(learner, roadmap, the changes it carries, not yet checked) of a statement aipm wrote; None for
    any other statement. The changes must pass the record's gate before anything believes them."""
    if not isinstance(statement, dict):
        return None
    context = statement.get("context")
    actor = statement.get("actor")
    if not isinstance(context, dict) or not isinstance(actor, dict):
        return None
    extensions = context.get("extensions")
    account = actor.get("account")
    if not isinstance(extensions, dict) or not isinstance(account, dict):
        return None
    roadmap, learner = extensions.get(ROADMAP), account.get("name")
    if not isinstance(roadmap, str) or not isinstance(learner, str) or CHANGE not in extensions:
        return None
    carried = [extensions[CHANGE]] + ([extensions[BRINGS]] if BRINGS in extensions else [])
    return learner, roadmap, carried


def titles_of(roadmap: Any) -> dict[str, str]:
    """Every unit's, group's and skill's title on a roadmap (for the activities' names)."""
    index = roadmap.index
    found = {key: phase.title for key, phase in index.phases.items()}
    found.update({key: module.title for key, (module, _phase) in index.modules.items()})
    found.update({key: placed.item.title for key, placed in index.items.items()})
    found.update({key: deliverable.title for key, (deliverable, _item) in index.deliverables.items()})
    return found


def line(statement: dict[str, Any]) -> bytes:
    """One statement as a JSON Lines line (keys sorted, compact, UTF-8).

    orjson writes what json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes
    for every value a statement holds, several times faster; json writes what orjson refuses."""
    import orjson

    try:
        return orjson.dumps(statement, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        import json

        text = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "backslashreplace") + b"\n"


def learner_profile(learner: Learner, with_notes: bool = False) -> Profile:
    """The learner's xAPI profile: the actor from the settings, the roadmap's titles."""
    home = learner.config.get("lrs_home_page") or DEFAULT_HOME_PAGE
    return Profile(
        learner.user, learner.roadmap.id, home_page=home, titles=titles_of(learner.roadmap), with_notes=with_notes
    )


def learner_lines(learner: Learner, day: date | None = None, with_notes: bool = False) -> Iterator[bytes]:
    """The use case behind `aipm export --format xapi`: the learner's changes (up to a day) as statement lines."""
    profile = learner_profile(learner, with_notes)
    for _change_id, statement in statements(learner.ledger.changes(until=day), profile):
        yield line(statement)
