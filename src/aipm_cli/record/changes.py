"""The change format: one JSON object per line, append-only.

A change line (keys sorted, compact, UTF-8, ending in a newline):

    {"at":"2026-11-24T10:00:00.123456+00:00","device":"laptop-3f9a","id":"01KAT...","on":"2026-11-24",
     "op":"done","targets":["ai-for-everyone"],"units":["ai-for-everyone"],"v":1}

- `id`: 26 characters of Crockford base32 (a ULID): the first 10 are the
  recording time in milliseconds, the rest random. Ids are unique across
  devices and sort in recording order; a device never writes an id below one
  it already knows, so the newest change on a device always sorts last.
  An id whose time lies more than a day past this machine's clock is not
  one a real clock made: the gate refuses it (a forged maximal id would
  otherwise make every later id wrap around and sort first).
- `at`: when it was recorded (ISO 8601 with offset); `on`: the date it is for.
- `device`: the device that recorded it; `op` and its arguments.

Operations and their arguments:

    start | done | skip | reset   targets (as named), units (the items and deliverables it covers),
                                  note, evidence (list), reason (skip), credential, expires (done)
    note                          targets, text
    redate                        targets, units, status (in_progress | done): a correction; `on` is the
                                  date the units were really started (in_progress) or done (done)
    remove                        targets (the one record), entries: ids of notes or evidence entries to drop
    forget                        units: records dropped whole (orphaned progress after a roadmap change)
    assess                        skill, level (1-5), note
    undo                          target: the id of the change it cancels; about: that change in words
    redo                          target: the id of the undo it cancels; about: the change it brings back
    import                        file: the import file it wrote, ids: the changes it brought, count, source;
                                  replace: true takes every older change it did not bring out of effect
    restore                       state: {unit: record or null}, skills: {skill: [ratings]}
                                  (written by the migration of a schema-1 store)
    study_start                   targets (one item), began: when the session began (UTC, ISO 8601)
    study                         targets (one item), minutes (1-1440): time studied; began (optional, UTC):
                                  when it began; closes (optional): the id of the study_start it ends;
                                  source and ref (optional): the tool and the interval's own identity
    review                        targets (one item), rating (1 again, 2 hard, 3 good, 4 easy): how well a
                                  finished item was recalled (the review schedule is derived, never stored)

Migrated start/done/skip/reset/note changes may also carry `state`: the
records exactly as the old store left them after that change.

The gate. Every change that enters the record -- appended here, read from a
log, brought by sync or an import, migrated from an old store, read from a
cohort source -- passes `gate` (bytes) or `check` (decoded data): a JSON
object with no key twice, every text valid Unicode (no lone surrogates,
which no UTF-8 file can hold), an id a real clock can make, bounded sizes,
a known operation with exactly its fields. A line that fails it is set aside
with the reason, never believed.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from aipm_cli.record.ids import ID_PATTERN, id_ceiling
from aipm_cli.record.types import ALLOWED, COMMON, REQUIRED
from aipm_cli.roadmap.vocabulary import STATUSES as _STATUSES

FORMAT = 1
STATUS_OPS = ("start", "done", "skip", "reset")
CORRECTION_OPS = ("redate", "remove", "forget")
# Operations that change what the learner sees (what undo can cancel).
STUDY_OPS = ("study_start", "study", "review")
SUBSTANTIVE = (*STATUS_OPS, "note", "assess", "import", "restore", *CORRECTION_OPS, *STUDY_OPS)
MAX_SESSION_MINUTES = 24 * 60  # one study session (or one day's time added by hand) at most

MAX_TEXT = 100_000
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadChange(ValueError):
    """A line that is not a readable change."""


class NewerChange(BadChange):
    """A change written by a newer aipm."""


def _all_text_valid(value: Any, depth: int = 0) -> bool:
    if type(value) is str:
        return value.isascii() or _SURROGATE.search(value) is None
    if depth > 64:
        return False
    if type(value) is dict:
        return all(_all_text_valid(k, depth + 1) and _all_text_valid(v, depth + 1) for k, v in value.items())
    if type(value) is list:
        return all(_all_text_valid(v, depth + 1) for v in value)
    return True


def describe(change: dict[str, Any]) -> str:
    """A change in a few words: 'done ai-for-everyone', 'assess ethics 3'."""
    op = change.get("op", "?")
    if op == "assess":
        return f"assess {change.get('skill')} {change.get('level')}"
    if op in ("undo", "redo"):
        return f"{op} of {change.get('about') or change.get('target')}"
    if op == "import":
        number = change.get("count")
        if isinstance(number, int):
            return f"import of {number} {'change' if number == 1 else 'changes'}"
        return "import of changes"
    if op == "restore":
        return "progress carried over from the old store"
    if op == "redate":
        what = "start" if change.get("status") == "in_progress" else "completion"
        return f"{what} date of {', '.join(change.get('targets', []))} set to {change.get('on')}"
    if op == "remove":
        entries = change.get("entries", [])
        return f"removal of {len(entries)} {'entry' if len(entries) == 1 else 'entries'} from " + ", ".join(
            change.get("targets", [])
        )
    if op == "forget":
        units = change.get("units", [])
        return f"forgetting {', '.join(units[:3])}{' and more' if len(units) > 3 else ''}"
    if op == "study":
        minutes = change.get("minutes", 0)
        spent = f"{minutes // 60}h{minutes % 60:02d}m" if isinstance(minutes, int) and minutes >= 60 else f"{minutes}m"
        return f"study session of {spent} on {', '.join(change.get('targets', []))}"
    if op == "study_start":
        return f"study session started on {', '.join(change.get('targets', []))}"
    if op == "review":
        words = {1: "again", 2: "hard", 3: "good", 4: "easy"}
        return f"review of {', '.join(change.get('targets', []))}: {words.get(int(change.get('rating') or 0), '?')}"
    return f"{op} {', '.join(change.get('targets', []))}"


def line(change: dict[str, Any]) -> bytes:
    """The one line a change is written as."""
    return json.dumps(change, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


# --------------------------------------------------------------------------- #
# Checking a decoded line
# --------------------------------------------------------------------------- #


def _text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise BadChange(f"{what} is not text")
    if len(value) > limit:
        raise BadChange(f"{what} is longer than {limit} characters")
    return value


def _ids(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in value):
        raise BadChange(f"{what} is not a list of ids")
    return value


def _date(value: Any, what: str) -> date:
    # YYYY-MM-DD only: dates are compared as text in the fold, so other ISO forms (2026-W40-1) are refused.
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise BadChange(f"{what} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadChange(f"{what} '{value[:40]}' is not a date") from None


def _check_record(value: Any, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise BadChange(f"{what} is not a record")
    status = value.get("status", "not_started")
    if status not in _STATUSES:
        raise BadChange(f"{what}.status is not a status")
    for key in ("started_on", "completed_on", "skipped_on", "expires_on"):
        if value.get(key) is not None:
            _date(value[key], f"{what}.{key}")
    for key in ("skip_reason", "credential"):
        if value.get(key) is not None:
            _text(value[key], f"{what}.{key}")
    for key in ("notes", "evidence"):
        entries = value.get(key, [])
        if not isinstance(entries, list):
            raise BadChange(f"{what}.{key} is not a list")
        for entry in entries:
            if not isinstance(entry, dict):
                raise BadChange(f"{what}.{key} holds something that is not a note")
            _text(entry.get("text"), f"{what}.{key}[].text")
            _date(entry.get("on"), f"{what}.{key}[].on")


def _check_rating(value: Any, what: str) -> None:
    if not isinstance(value, dict):
        raise BadChange(f"{what} is not a rating")
    _date(value.get("on"), f"{what}.on")
    level = value.get("level")
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
        raise BadChange(f"{what}.level is not a level from 1 to 5")
    if value.get("note") is not None:
        _text(value["note"], f"{what}.note")


def _key_sets(op: str, optional: tuple[str, ...] = ()) -> tuple[frozenset[str], ...]:
    """Every exact set of fields a change of `op` has when aipm writes it (with or without the optional ones)."""
    base = COMMON - {"roadmap_version"} | REQUIRED[op]
    sets = [frozenset(base)]
    for name in (*optional, "roadmap_version"):
        sets += [s | {name} for s in sets]
    return tuple(sets)


# The common cases, checked quickly: the changes aipm writes all the time, with
# exactly their usual fields. Anything else takes the full path.
_FAST = {
    **{op: _key_sets(op) for op in (*STATUS_OPS, "note")},
    **{op: _key_sets(op, ("about",)) for op in ("undo", "redo")},
}
_DAYS: set[str] = set()  # dates already found valid (a log holds a few thousand)


def _plain_ids(value: Any) -> bool:
    """A list of ids."""
    if type(value) is not list:
        return False
    for v in value:
        if type(v) is not str or not 0 < len(v) <= 200:
            return False
    return True


def _plain_day(value: Any) -> bool:
    if type(value) is not str:
        return False
    if value in _DAYS:
        return True
    if len(value) != 10 or value[4] != "-" or value[7] != "-" or not value[:4].isdigit():
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    if len(_DAYS) < 100_000:
        _DAYS.add(value)
    return True


def check(data: Any) -> dict[str, Any]:
    """The change in a decoded line, or BadChange saying what is wrong with it."""
    if type(data) is dict:
        op = data.get("op")
        if isinstance(op, str) and op in _FAST:
            keys = data.keys()
            for shape in _FAST[op]:
                if keys == shape:
                    if _fast_ok(data, op):
                        return data
                    break
    return _check_fully(data)


def _fast_ok(data: dict[str, Any], op: str) -> bool:
    v = data["v"]
    change_id = data["id"]
    device = data["device"]
    version = data.get("roadmap_version", "")
    if not (
        v == 1
        and type(v) is int
        and type(change_id) is str
        and ID_PATTERN.fullmatch(change_id)
        and change_id <= id_ceiling()
        and type(device) is str
        and 0 < len(device) <= 200
        and type(version) is str
        and len(version) <= 100
        and _plain_day(data["on"])
    ):
        return False
    if op == "note":
        text = data["text"]
        targets = data["targets"]
        if not (targets and _plain_ids(targets) and type(text) is str and len(text) <= MAX_TEXT):
            return False
    elif op in ("undo", "redo"):
        target = data["target"]
        about = data.get("about", "")
        if not (
            type(target) is str
            and ID_PATTERN.fullmatch(target)
            and target < change_id
            and type(about) is str
            and len(about) <= MAX_TEXT
        ):
            return False
    else:
        targets = data["targets"]
        if not (targets and _plain_ids(targets) and _plain_ids(data["units"])):
            return False
    at = data["at"]
    if type(at) is not str:
        return False
    try:
        if datetime.fromisoformat(at).tzinfo is None:
            return False
    except ValueError:
        return False
    # Every text valid Unicode: the free texts, and the lists of ids (the rest were matched above).
    for value in data.values():
        if type(value) is str:
            if not value.isascii() and _SURROGATE.search(value) is not None:
                return False
        elif type(value) is list:
            for entry in value:
                if not entry.isascii() and _SURROGATE.search(entry) is not None:
                    return False
    return True


def _check_fully(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadChange("it is not a JSON object")
    version = data.get("v")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadChange("it has no format version ('v')")
    if version > FORMAT:
        raise NewerChange(f"it was written by a newer aipm (change format {version}; this aipm knows {FORMAT})")
    change_id = data.get("id")
    if not isinstance(change_id, str) or not ID_PATTERN.fullmatch(change_id):
        raise BadChange("its id is not a change id")
    if change_id > id_ceiling():
        raise BadChange(
            f"its id {change_id} is dated in the future (more than a day past this machine's clock): "
            "no real clock made it"
        )
    if not _all_text_valid(data):
        raise BadChange("it holds text that is not valid Unicode (a lone surrogate)")
    op = data.get("op")
    if not isinstance(op, str) or op not in ALLOWED:
        raise BadChange(f"'{str(op)[:40]}' is not an operation")
    extra = set(data) - COMMON - ALLOWED[op]
    if extra:
        raise BadChange(f"unknown field {sorted(extra)[0][:40]!r} for {op}")
    missing = REQUIRED[op] - set(data)
    if missing:
        raise BadChange(f"{op} without {sorted(missing)[0]}")
    at = data.get("at")
    if not isinstance(at, str):
        raise BadChange("'at' is not a time")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise BadChange(f"'at' {at[:40]!r} is not a time") from None
    if moment.tzinfo is None:
        raise BadChange("'at' has no UTC offset")
    _date(data.get("on"), "'on'")
    _text(data.get("device"), "'device'", 200)
    if "roadmap_version" in data:
        _text(data["roadmap_version"], "'roadmap_version'", 100)
    if op in STATUS_OPS or op == "note":
        if not _ids(data["targets"], "targets"):
            raise BadChange("targets is empty")
    if op in STATUS_OPS:
        _ids(data["units"], "units")
        evidence = data.get("evidence", [])
        if not isinstance(evidence, list) or not all(isinstance(e, str) and len(e) <= MAX_TEXT for e in evidence):
            raise BadChange("evidence is not a list of texts")
        for key in ("note", "reason", "credential"):
            if data.get(key) is not None:
                _text(data[key], key)
        if data.get("expires") is not None:
            _date(data["expires"], "expires")
    if op == "note":
        _text(data["text"], "text")
    if op == "redate":
        if not _ids(data["targets"], "targets"):
            raise BadChange("targets is empty")
        _ids(data["units"], "units")
        if data["status"] not in ("in_progress", "done"):
            raise BadChange("redate status is not in_progress or done")
    if op == "remove":
        if len(_ids(data["targets"], "targets")) != 1:
            raise BadChange("remove names more or less than one record")
        if not _ids(data["entries"], "entries"):
            raise BadChange("entries is empty")
    if op == "forget":
        if not _ids(data["units"], "units"):
            raise BadChange("units is empty")
    if op in STUDY_OPS:
        _check_study(data, op)
    if op == "assess":
        _text(data["skill"], "skill", 200)
        _check_rating({"on": data["on"], "level": data["level"], "note": data.get("note")}, "the rating")
    if op in ("undo", "redo"):
        target = data["target"]
        if not isinstance(target, str) or not ID_PATTERN.fullmatch(target):
            raise BadChange(f"{op} target is not a change id")
        if target >= change_id:  # an undo or redo is recorded after what it cancels: its id is higher
            raise BadChange(f"its {op} target {target} is not older than the {op} itself")
        if data.get("about") is not None:
            _text(data["about"], "about")
    if op == "import":
        _text(data["file"], "file", 300)
        count = data.get("count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
            raise BadChange("count is not a number of changes")
        if data.get("source") is not None:
            _text(data["source"], "source", 300)
        if "ids" in data and (not isinstance(data["ids"], list) or not all(isinstance(i, str) for i in data["ids"])):
            raise BadChange("ids is not a list of change ids")
        if "replace" in data and data["replace"] is not True:
            raise BadChange("replace is not true")
    state = data.get("state")
    if state is not None:
        if not isinstance(state, dict):
            raise BadChange("state is not a mapping")
        for unit, record in state.items():
            _check_record(record, f"state.{unit[:40]}")
    skills = data.get("skills")
    if skills is not None:
        if not isinstance(skills, dict):
            raise BadChange("skills is not a mapping")
        for skill, ratings in skills.items():
            if not isinstance(ratings, list):
                raise BadChange(f"skills.{skill[:40]} is not a list")
            for rating in ratings:
                _check_rating(rating, f"skills.{skill[:40]}[]")
    return data


def _moment(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise BadChange(f"{what} is not a time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadChange(f"{what} {value[:40]!r} is not a time") from None
    if moment.tzinfo is None:
        raise BadChange(f"{what} has no UTC offset")
    if moment.year < 1970:
        raise BadChange(f"{what} is before 1970")
    return moment


def _check_study(data: dict[str, Any], op: str) -> None:
    """study_start, study and review: one item, bounded numbers, real times."""
    if len(_ids(data["targets"], "targets")) != 1:
        raise BadChange(f"{op} names more or less than one item")
    if op == "review":
        rating = data["rating"]
        if type(rating) is not int or not 1 <= rating <= 4:
            raise BadChange("rating is not 1 (again), 2 (hard), 3 (good) or 4 (easy)")
        return
    if op == "study_start" or data.get("began") is not None:
        began = _moment(data.get("began"), "began")
        if began > datetime.fromisoformat(data["at"]):
            raise BadChange("began is later than the change was recorded")
    if op == "study_start":
        return
    minutes = data["minutes"]
    if type(minutes) is not int or not 1 <= minutes <= MAX_SESSION_MINUTES:
        raise BadChange(f"minutes is not a whole number from 1 to {MAX_SESSION_MINUTES}")
    closes = data.get("closes")
    if closes is not None and (not isinstance(closes, str) or not ID_PATTERN.fullmatch(closes)):
        raise BadChange("closes is not a change id")
    for key in ("source", "ref"):
        if data.get(key) is not None:
            _text(data[key], key, 200)


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise BadChange(f"it has the key {key[:40]!r} twice")
            seen.add(key)
    return data


def gate(raw: bytes, loads: Any = json.loads) -> dict[str, Any]:
    """One line's bytes -> a checked change, or BadChange: the one gate for a line from anywhere.

    `loads` may be a faster reader (orjson); what counts as readable, and the words for what is
    wrong, stay json's (a line it refuses is judged again by `parse`).
    """
    try:
        data = loads(raw)
    except (ValueError, RecursionError):
        return parse(raw)
    if loads is not json.loads:
        try:
            return _gate_decoded(raw, data)
        except BadChange:  # orjson reads numbers past 64 bits as floats: json's verdict and words stand
            return parse(raw)
    return _gate_decoded(raw, data)


def _gate_decoded(raw: bytes, data: Any) -> dict[str, Any]:
    # (`raw` is one line: it never holds a newline, so '"' followed by '\n' cannot hide a spaced key.)
    # No key twice: in a flat object written compactly (every line aipm writes but migrated ones),
    # each key is followed by '":' and a text holds a quote only as '\"', so as many '":' as keys
    # proves it. Anything else is read again, key by key.
    if type(data) is dict and raw.count(b'":') == len(data) and b'" ' not in raw and b'"\t' not in raw:
        if b'"\r' not in raw:
            return check(data)
    return parse(raw)


def parse(raw: bytes) -> dict[str, Any]:
    """One line's bytes -> a checked change, or BadChange (json, with every object's keys checked)."""
    try:
        data = json.loads(raw, object_pairs_hook=unique_keys)
    except BadChange:
        raise
    except RecursionError:
        raise BadChange("it is nested too deeply") from None
    except UnicodeDecodeError:
        raise BadChange("it is not UTF-8 text") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise BadChange("it holds a number too large to read") from None
        raise BadChange(f"it is not valid JSON ({str(exc)[:80]})") from None
    return check(data)


# --------------------------------------------------------------------------- #
# The quickest path, for a full fold (speed): a line exactly as aipm writes it
# --------------------------------------------------------------------------- #

# A status change, a note or an undo/redo written by `line()` (keys sorted, compact, ensure_ascii off)
# with ids, devices and versions that hold no escape, texts with no \u escape but a control character's:
# matched whole by one regular expression, so the checks `_fast_ok` makes field by field in Python are
# made in C. What it matches is a subset of what `gate` takes (tests hold the two together); every
# other line goes through `gate`, which also words what is wrong.
_Q_TEXT = rb'"(?:[^"\\]|\\(?:["\\/bfnrt]|u00[01][0-9a-fA-F]))*"'
_Q_ID = rb'"[0-9A-HJKMNP-TV-Z]{26}"'
_Q_NAME = rb'"[^"\\]{1,200}"'
_Q_TARGETS = rb"\[" + _Q_NAME + rb"(?:," + _Q_NAME + rb")*\]"
_Q_UNITS = rb"\[(?:" + _Q_NAME + rb"(?:," + _Q_NAME + rb")*)?\]"
_Q_HEAD = rb'"at":"[^"\\]{1,64}","device":' + _Q_NAME + rb',"id":' + _Q_ID + rb',"on":"\d{4}-\d\d-\d\d","op":'
_Q_VERSION = rb'(?:"roadmap_version":"[^"\\]{0,100}",)?'
_QUICK = re.compile(
    rb"\{(?:" + _Q_HEAD
    + rb'(?:"(?:start|done|skip|reset)",' + _Q_VERSION + rb'"targets":' + _Q_TARGETS + rb',"units":' + _Q_UNITS
    + rb'|"note",' + _Q_VERSION + rb'"targets":' + _Q_TARGETS + rb',"text":' + _Q_TEXT
    + rb'|"(?:undo|redo)",' + _Q_VERSION + rb'"target":' + _Q_ID + rb")"
    + rb'|"about":' + _Q_TEXT + rb"," + _Q_HEAD + rb'"(?:undo|redo)",' + _Q_VERSION + rb'"target":' + _Q_ID
    + rb'),"v":1\}'
)  # fmt: skip


def quick(raw: bytes, loads: Any, ceiling: str) -> dict[str, Any] | None:
    """The change in a line aipm wrote in its usual shape, checked; None: take it through `gate`.

    `loads` must refuse what is not UTF-8 (orjson does); `ceiling` is id_ceiling(), asked once a block.
    """
    if _QUICK.fullmatch(raw) is None:
        return None
    try:
        data: dict[str, Any] = loads(raw)
    except ValueError:
        return None
    if data["id"] > ceiling:
        return None
    target = data.get("target")
    if target is not None and target >= data["id"]:  # an undo or redo is newer than what it cancels
        return None
    on = data["on"]
    if on not in _DAYS and not _plain_day(on):
        return None
    try:
        if datetime.fromisoformat(data["at"]).tzinfo is None:
            return None
    except ValueError:
        return None
    text = data.get("text", data.get("about"))
    if text is not None and len(text) > MAX_TEXT:
        return None
    return data
