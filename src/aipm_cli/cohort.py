"""Many learners -> one cohort summary, for instructors and mentors.

Sources are JSON exports, folders of exports, and aipm data directories
(every learner in them, so a clone of a cohort's sync repository works as it
is). Nothing is ever written into a source: log files are folded directly
(never through `Ledger.load()`, which writes a cache), exports are only read.

A learner is known by name. The same name in several sources is one learner:
all their changes go into one fold, which takes each change id once, so a
learner who sent an export and also syncs to the shared repository is never
counted twice. Sources of one name that share no change id with the others
(a name anyone can put in an export) are flagged in every format as "two
learners with one name?" (`LearnerSummary.unrelated_sources`). Learners on another roadmap are listed apart; learners on
another version of this roadmap are included and flagged (aliases carry their
progress across renames).

Every figure follows the same rules as `aipm status` and `aipm export`:
percent = done / (trackable units - skipped); pace and forecast from
`progress.forecast`; active weeks from `progress.activity_weeks`. As of a day
D: the fold of the changes dated up to D, as `export --as-of` does.

Data directories may keep learners flat (`learners/<name>/`) or in shards
(`learners/<first two characters>/<name>/`); both read the same. With a
cohort index (cohort_index.py), learners whose files did not change are not
folded again. Who needs attention is decided by stated rules (`Rules`), each
flag carrying the rule that raised it; `nudges()` drafts messages from them
and `digest()` compares the cohort with an earlier day.

`build()` never prints and never exits: what cannot be read is returned in
`CohortSummary.unreadable`, each with the source and the reason.
"""

from __future__ import annotations

import json
import os
import stat
import statistics
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.record import logs
from aipm_cli.view_data import Counts
from aipm_cli.wording import count as counted

if TYPE_CHECKING:
    from aipm_cli.cohort_index import Index, Kept
    from aipm_cli.record.fold import Source
    from aipm_cli.record.state import State
    from aipm_cli.roadmap.plain import Roadmap

COHORT_FORMAT = "aipm-cohort"
COHORT_VERSION = 1
DEFAULT_STUCK_WEEKS = 4
DEFAULT_INACTIVE_DAYS = 14
ACTIVE_DAYS = 7  # "active lately" at a glance: a change dated in the last week
MAX_EXPORT_BYTES = 1 << 30
MAX_DAMAGE_SHOWN = 3  # unreadable lines named per learner; the rest are counted
# Percent bands of the distribution: each band holds its lower bound; 0% and
# 100% (everything not skipped is done) are bands of their own.
BANDS = ("0%", "0–25%", "25–50%", "50–75%", "75–100%", "100%")


# --------------------------------------------------------------------------- #
# What the report shows (plain data: every renderer reads only these)
# --------------------------------------------------------------------------- #


# Caps on long lists in the terminal, Markdown and HTML summaries (--full lifts them; JSON and CSV are whole).
CAP_ATTENTION = 20  # learners under "Needs attention"
CAP_EVIDENCE = 3  # evidence entries per learner
CAP_STUCK = 3  # stuck items per learner in the learners' table
CAP_NAMES = 10  # learners named per item in "where learners get stuck" and "skipped most"
CAP_NOTES = 5  # notes per learner (with --with-notes)


def capped(values: list[Any], cap: int, full: bool) -> tuple[list[Any], int]:
    """The values to show and how many more there are (none left out with --full)."""
    if full or len(values) <= cap:
        return values, 0
    return values[:cap], len(values) - cap


RULES = ("low-and-idle", "behind", "stuck", "never-started")
SORTS = ("name", "attention", "percent", "last-active")
FILTERS = ("at-risk", "inactive", "behind", "stuck")  # and phase:ID


@dataclass
class Rules:
    """The at-risk rules: each flag names the rule that raised it (rules, not scores)."""

    under_percent: float = 25.0  # low-and-idle: under this percent done ...
    idle_days: int = 7  # ... and no change for this many days or more
    behind_weeks: float = 2.0  # behind: this many weeks or more behind the cohort's median pace
    on: tuple[str, ...] = RULES  # the rules in force (stuck uses Options.stuck_weeks)

    def describe(self, rule: str, stuck_weeks: int) -> str:
        """The rule in words, as every format states it."""
        if rule == "low-and-idle":
            return f"under {self.under_percent:g}% done and inactive {counted(self.idle_days, 'day')} or more"
        if rule == "behind":
            return f"{self.behind_weeks:g} weeks or more behind the cohort's median pace"
        if rule == "stuck":
            return f"an item in progress for more than {counted(stuck_weeks, 'week')}"
        return "nothing started since joining"


@dataclass
class Flag:
    """An at-risk flag: the rule that raised it (its id and the rule in words) and what was seen."""

    rule: str
    rule_text: str
    seen: str

    @property
    def reason(self) -> str:
        return f"{self.seen} (rule: {self.rule_text})"


@dataclass
class Options:
    """How to build the report."""

    today: date
    as_of: date | None = None
    hours_per_week: float = 8.0
    stuck_weeks: int = DEFAULT_STUCK_WEEKS
    inactive_days: int = DEFAULT_INACTIVE_DAYS
    with_notes: bool = False
    items: bool = False  # keep every learner's item rows (CSV --by item)
    rules: Rules = field(default_factory=Rules)
    sort: str = "name"  # the learners' order: name, attention (flagged first), percent, last-active
    filters: tuple[str, ...] = ()  # show only learners matching every one: at-risk, inactive, behind, stuck, phase:ID
    full: bool = False  # every list in full (otherwise long lists are capped in the summary)

    @property
    def day(self) -> date:
        return self.as_of or self.today


@dataclass
class Unreadable:
    """A source, or part of one, that could not be read, and why."""

    source: str
    reason: str


@dataclass
class Stuck:
    id: str
    title: str
    since: date
    weeks: int  # whole weeks in progress


@dataclass
class Entry:
    """An evidence link or a note of a learner."""

    item: str  # the item or deliverable it is on
    title: str
    project: str | None  # the project, for a deliverable or a project
    text: str
    on: date
    link: str | None = None  # the text when it is a plain http(s) URL
    project_title: str | None = None


@dataclass
class ItemRow:
    """One learner's status on one item or deliverable (kept only when Options.items is set)."""

    id: str
    title: str
    kind: str
    phase: str
    module: str
    project: str | None  # the project of a deliverable
    status: str
    started_on: date | None
    completed_on: date | None
    skipped_on: date | None


@dataclass
class LearnerSummary:
    name: str
    sources: list[str]
    roadmap_version: str | None  # the version their progress was recorded against, when known
    other_version: bool
    percent: float
    counts: Counts
    last_activity: date | None  # the date of their latest change (the date it is for)
    active_lately: bool  # a change dated in the last ACTIVE_DAYS days
    active_weeks: int  # of the last WEEKS_SHOWN weeks
    inactive: bool  # no change for longer than --inactive-days (or none at all)
    days_inactive: int | None
    pace_hours_per_week: float | None
    finish: tuple[date, date] | None  # at the planned weekly hours
    pace_finish: tuple[date, date] | None  # at the learner's own pace, once there is history
    stuck: list[Stuck]
    skipped: list[str]  # items they skipped (a project: every deliverable skipped)
    phases: dict[str, float]  # phase id -> percent
    modules: dict[str, float]  # module id -> percent
    skills: dict[str, int]  # skill id -> latest self-rating
    evidence: list[Entry]
    notes: list[Entry]
    orphans: list[str]  # ids with progress this roadmap does not have
    changes: int  # distinct changes read
    items: list[ItemRow] = field(default_factory=list)
    # Groups of this name's sources that share no change with each other: more than one group is
    # two learners with one name? (joined in the figures, and flagged in every format)
    unrelated_sources: list[list[str]] = field(default_factory=list)
    first_activity: date | None = None  # the date of their earliest change: when they joined, as far as is known
    statuses: dict[str, str] = field(default_factory=dict)  # item id -> status, for items not "not_started"
    # Set over the whole cohort (never kept in the index): the at-risk flags, each with the rule that
    # raised it; "bottom 15%" / "top 15%" of percent done; weeks behind the cohort's median pace.
    flags: list[Flag] = field(default_factory=list)
    percentile_band: str | None = None
    behind_weeks: float | None = None
    expected_percent: float | None = None  # at the cohort's median pace, after as many weeks as they have been in
    contact: str | None = None  # the email address their newest export shares, if any
    minutes_studied: int = 0  # study time logged with `aipm study` (every session, every device)

    def same_name(self) -> str | None:
        """The flag for a name whose sources share no change, in words; None when they do."""
        if len(self.unrelated_sources) < 2:
            return None
        groups = " / ".join(", ".join(group) for group in self.unrelated_sources)
        return f"two learners with one name? {self.name}: these sources share no change: {groups}"


@dataclass
class Spread:
    """Median, lowest and highest of some learners' values."""

    median: float | None
    lowest: float | None
    highest: float | None


@dataclass
class UnitStats:
    """A phase or module across the cohort."""

    id: str
    title: str
    median: float | None
    lowest: float | None
    highest: float | None
    finished: int  # learners with everything in it done (skipped units aside)
    modules: list[UnitStats] = field(default_factory=list)


@dataclass
class ItemLearners:
    """An item and the learners it applies to (stuck on it, or who skipped it)."""

    id: str
    title: str
    learners: list[str]


@dataclass
class SkillStats:
    id: str
    title: str
    rated: int  # learners with a rating
    median: float | None
    lowest: int | None
    highest: int | None
    levels: dict[str, int]  # "1".."5" -> learners whose latest rating it is


@dataclass
class Glance:
    learners: int
    median: float | None
    lowest: float | None
    highest: float | None
    quartiles: tuple[float, float] | None  # the middle half of the cohort lies between these
    active_lately: int
    inactive: int
    stuck: int  # learners with at least one stuck item
    bands: list[tuple[str, int]]
    at_risk: int = 0  # learners with at least one at-risk flag
    percentiles: tuple[float, float] | None = None  # the 15th and 85th percentiles of percent done


@dataclass
class ItemFlow:
    """One item across the cohort, in roadmap order: where the cohort drops off.

    learners = not_started + in_progress + finished + skipped; reached = all but not_started;
    stalled (stuck on it) is part of in_progress.
    """

    id: str
    title: str
    phase: str
    learners: int
    reached: int
    finished: int
    skipped: int
    in_progress: int
    stalled: int
    not_started: int


@dataclass
class Elsewhere:
    """A learner found in the sources, but on another roadmap."""

    name: str
    roadmap: str
    sources: list[str]


@dataclass
class CohortSummary:
    roadmap: dict[str, str]
    generated_at: datetime
    as_of: date
    options: Options
    glance: Glance
    learners: list[LearnerSummary]
    phases: list[UnitStats]
    stuck: list[ItemLearners]
    skipped: list[ItemLearners]
    skills: list[SkillStats]
    elsewhere: list[Elsewhere]
    unreadable: list[Unreadable]
    # What the cohort index saw: logs that shrank or changed before their end (folded again, named)
    notices: list[str] = field(default_factory=list)
    attention: list[LearnerSummary] = field(default_factory=list)  # flagged learners, most flags first
    dropoff: list[ItemFlow] = field(default_factory=list)
    shown_of: int = 0  # learners before --filter (s.learners holds those shown)
    digest: Digest | None = None  # what changed since an earlier day (--since)
    everyone: list[LearnerSummary] = field(default_factory=list)  # every learner, whatever --filter lists


# --------------------------------------------------------------------------- #
# Finding the learners in the sources
# --------------------------------------------------------------------------- #


@dataclass
class _Part:
    """One learner on one roadmap as found in one source."""

    name: str
    roadmap: str
    source: str  # as shown to the reader
    version: str | None = None
    stamp: str = ""  # when it was exported (the newest export's version wins)
    export: Path | None = None
    files: list[Path] = field(default_factory=list)
    legacy: Path | None = None  # a data directory whose learner has a schema-1 progress.json
    contact: str | None = None  # an email address the learner chose to share in their export


def _read_file(path: Path) -> bytes:
    """A regular file's bytes (never a FIFO or device: opening one must not hang)."""
    from aipm_cli import portable

    fd = portable.open_file(path, os.O_RDONLY | portable.NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Skip("it is not a regular file")
        if info.st_size > MAX_EXPORT_BYTES:
            raise _Skip(f"it is larger than {MAX_EXPORT_BYTES >> 20} MB")
        return handle.read(MAX_EXPORT_BYTES + 1)


class _Skip(Exception):
    """A source that cannot be read; the message says why."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    from aipm_cli.errors import AipmError

    if isinstance(exc, AipmError):
        return exc.message
    return str(exc)


_CHANGES_KEY = b',\n  "changes": ['


def _head(raw: bytes) -> Any:
    """An export as `aipm export` writes it, without its change list (parsed later, once), or None.

    The change list comes last and its key starts a line of its own; a newline
    can only be structure in JSON (inside strings it is escaped), so cutting
    there leaves a complete document. Anything else is parsed whole.
    """
    cut = raw.find(_CHANGES_KEY)
    if cut < 0 or raw.find(_CHANGES_KEY, cut + 1) >= 0:
        return None
    try:
        head = json.loads(raw[:cut] + b"\n}")
    except (UnicodeDecodeError, ValueError):
        return None
    return head if isinstance(head, dict) and "changes" not in head else None


def _export_header(path: Path) -> _Part:
    """Who and which roadmap an export is for (its changes are read later, one learner at a time)."""
    from aipm_cli.report import EXPORT_FORMAT, EXPORT_VERSION

    raw = _read_file(path)
    try:
        data = _head(raw)
        if data is None:
            data = json.loads(raw)
    except RecursionError:
        raise _Skip("it is nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise _Skip("it is not an aipm export (not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise _Skip("it is not an aipm export")
    version = data.get("export_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Skip("it is not an aipm export (no export version)")
    if version > EXPORT_VERSION:
        raise _Skip(f"it was written by a newer aipm (export version {version}; this aipm reads {EXPORT_VERSION})")
    roadmap = data.get("roadmap")
    if not isinstance(roadmap, dict) or not isinstance(roadmap.get("id"), str):
        raise _Skip("it is not an aipm export (no roadmap)")
    name = data.get("user")
    if not isinstance(name, str) or not name.strip():
        raise _Skip("it names no learner")
    shown_version = roadmap.get("version")
    if version == 1:  # the released format kept the version beside the progress
        progress = data.get("progress")
        if isinstance(progress, dict) and isinstance(progress.get("roadmap_version"), str):
            shown_version = progress["roadmap_version"]
    stamp = data.get("exported_at")
    contact = data.get("contact")
    return _Part(
        name=name.strip(),
        roadmap=roadmap["id"],
        source=str(path),
        version=shown_version if isinstance(shown_version, str) else None,
        stamp=stamp if isinstance(stamp, str) else "",
        export=path,
        contact=email_address(contact.get("email")) if isinstance(contact, dict) else None,
    )


def email_address(value: object) -> str | None:
    """A plain email address (local@domain.tld, nothing that could add a header or a recipient), or None."""
    import re

    if not isinstance(value, str) or len(value) > 254:
        return None
    return value if re.fullmatch(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", value) else None


def _data_dir(root: Path, found: list[_Part], bad: list[Unreadable]) -> None:
    """Every learner on every roadmap of a data directory (read-only)."""
    from aipm_cli.errors import InputError
    from aipm_cli.paths import check_user_name

    folder = root / "learners"
    try:
        learners = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        bad.append(Unreadable(str(root), f"cannot list its learners: {_reason(exc)}"))
        return
    expanded: list[os.DirEntry[str]] = []
    for entry in learners:
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if not _is_shard(entry):
            expanded.append(entry)
            continue
        # A shard (learners/<first two characters of the name>/<name>/): its learners, read as flat ones.
        try:
            inside = sorted(os.scandir(entry.path), key=lambda e: e.name)
        except OSError as exc:
            bad.append(Unreadable(str(Path(entry.path)), f"cannot list it: {_reason(exc)}"))
            continue
        for learner in inside:
            if learner.name.startswith(".") or not learner.is_dir():
                continue
            if learner.name[:2].casefold() != entry.name.casefold():
                bad.append(
                    Unreadable(str(Path(learner.path)), f"it is not in its shard (learners/{shard(learner.name)}/)")
                )
                continue
            expanded.append(learner)
    for learner in expanded:
        where = str(Path(learner.path))
        try:
            name = check_user_name(learner.name)
        except InputError:
            bad.append(Unreadable(where, "the folder's name is not a learner name"))
            continue
        try:
            entries = sorted(os.scandir(learner.path), key=lambda e: e.name)
        except OSError as exc:
            bad.append(Unreadable(where, f"cannot list it: {_reason(exc)}"))
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "backups" or not entry.is_dir():
                continue
            changes = Path(entry.path) / "changes"
            if not changes.is_dir():
                continue
            try:
                os.listdir(changes)
            except OSError as exc:
                bad.append(Unreadable(str(changes), f"cannot list it: {_reason(exc)}"))
                continue
            found.append(_Part(name, entry.name, str(root), files=logs.log_files(changes)))
        legacy = Path(learner.path) / "progress.json"
        if legacy.exists() or legacy.is_symlink():
            from aipm_cli.record.migrate import read_legacy

            try:
                doc = read_legacy(legacy)
            except Exception as exc:  # any damage: named, and the rest of the cohort still reported
                bad.append(Unreadable(str(legacy), _reason(exc)))
                continue
            for roadmap_id, progress in sorted((doc.roadmaps if doc else {}).items()):
                part = next(
                    (p for p in found if p.name == name and p.roadmap == roadmap_id and p.source == str(root)), None
                )
                if part is None:
                    part = _Part(name, roadmap_id, str(root))
                    found.append(part)
                part.legacy = legacy
                part.version = progress.roadmap_version


def shard(name: str) -> str:
    """The shard folder of a learner in the sharded layout: the first two characters of the name, lowercased."""
    return name[:2].casefold()


def _is_shard(entry: os.DirEntry[str]) -> bool:
    """A two-character folder of learners/ holding learners rather than roadmaps (a learner's own folder holds
    `<roadmap>/changes/`, `progress.json` or `backups/`; a shard's holds learners' folders)."""
    if len(entry.name) != 2:
        return False
    try:
        children = [c for c in os.scandir(entry.path) if not c.name.startswith(".")]
    except OSError:
        return False
    if not children or any(c.name in ("progress.json", "backups") for c in children):
        return False
    for child in children:
        if not child.is_dir() or os.path.isdir(os.path.join(child.path, "changes")):
            return False
    return True


def _walk(folder: Path) -> tuple[list[Path], list[Path]]:
    """The exports (*.json) and data directories (folders with learners/) in a folder and below it.

    A data directory is read as one (its own JSON files are caches and settings,
    not exports); hidden folders such as .git are skipped.
    """
    if (folder / "learners").is_dir():
        return [], [folder]
    exports: list[Path] = []
    data_dirs: list[Path] = []
    for top, dirs, files in os.walk(folder):
        here = Path(top)
        if here != folder and (here / "learners").is_dir():
            data_dirs.append(here)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        exports.extend(here / f for f in files if f.endswith(".json") and not f.startswith("."))
    return sorted(exports), sorted(data_dirs)


def discover(paths: Iterable[Path]) -> tuple[list[_Part], list[Unreadable]]:
    """Every learner-and-roadmap in the sources, and what could not be read."""
    found: list[_Part] = []
    bad: list[Unreadable] = []

    def export(path: Path) -> None:
        try:
            found.append(_export_header(path))
        except _Skip as exc:
            bad.append(Unreadable(str(path), str(exc)))
        except OSError as exc:
            bad.append(Unreadable(str(path), _reason(exc)))

    for path in paths:
        try:
            if not path.exists():
                bad.append(Unreadable(str(path), "there is no such file or folder"))
            elif path.is_dir():
                exports, data_dirs = _walk(path)
                if not exports and not data_dirs:
                    bad.append(Unreadable(str(path), "it is not an aipm data directory and holds no JSON exports"))
                for folder in data_dirs:
                    _data_dir(folder, found, bad)
                for file in exports:
                    export(file)
            else:
                export(path)
        except OSError as exc:
            bad.append(Unreadable(str(path), _reason(exc)))
    return found, bad


# --------------------------------------------------------------------------- #
# One learner
# --------------------------------------------------------------------------- #


def _unrelated(parts: list[_Part], sources: list[Source], owners: list[str]) -> list[list[str]]:
    """The groups of one name's sources (as shown) linked by changes in common; [] when there is one group.

    Two sources claim the same learner with some right when they hold one change in common (an
    export of a learner who also syncs to the shared repository); sources that share none with the
    others may be two people who chose one name, and are flagged rather than silently joined.
    """
    labels = list(dict.fromkeys(p.source for p in parts))
    if len(labels) < 2:
        return []
    ids: dict[str, set[str]] = {label: set() for label in labels}
    for source, owner in zip(sources, owners, strict=True):
        for change, _offset in source.read(logs.Problems()):
            ids[owner].add(change["id"])
    groups: list[tuple[list[str], set[str]]] = []
    for label in labels:
        if not ids[label]:
            continue  # nothing read from it: nothing to say it is someone else
        mine, seen = [label], set(ids[label])
        for group in [g for g in groups if not g[1].isdisjoint(seen)]:
            groups.remove(group)
            mine = group[0] + mine
            seen |= group[1]
        groups.append((mine, seen))
    if len(groups) < 2:
        return []
    order = {label: n for n, label in enumerate(labels)}
    return sorted((sorted(g[0], key=order.__getitem__) for g in groups), key=lambda g: order[g[0]])


def _sources(
    parts: list[_Part], bad: list[Unreadable], problems: logs.Problems, owners: list[str] | None = None
) -> list[Source]:
    """Every source of one learner's changes; lines that cannot be read go to `problems`.

    `owners`, when given, gets the part's source (as shown) of each Source returned, in order.
    """
    from aipm_cli.errors import AipmError
    from aipm_cli.record.fold import Source
    from aipm_cli.record.migrate import changes_for, read_legacy
    from aipm_cli.report import read_export

    logs.fast_reading()
    out: list[Source] = []
    for part in parts:
        if part.export is not None:
            try:
                imported = read_export(_read_file(part.export), str(part.export))
                changes = list(imported.changes)  # every change is checked here, where a bad one is caught
            except (_Skip, OSError, AipmError) as exc:
                bad.append(Unreadable(str(part.export), _reason(exc)))
                continue
            out.append(Source(changes=changes, name=str(part.export)))
        if owners is not None:
            owners += [part.source] * (len(out) - len(owners))
        if any(".import-" in p.name for p in part.files):
            # An undone import cancels the changes of its file, found by name: fold the files themselves.
            out.extend(Source(path=p, name=p.name) for p in part.files)
        else:
            # Read into memory: the fold then keeps no per-line references (a third of its time).
            for path in part.files:
                out.append(Source(changes=[c for c, _offset in logs.changes(path, problems)], name=path.name))
        if part.legacy is not None:
            doc = read_legacy(part.legacy)  # read once already: damage was named by discover()
            if doc is not None and part.roadmap in doc.roadmaps:
                legacy = changes_for(part.name, part.roadmap, doc.roadmaps[part.roadmap], doc.created)
                out.append(Source(changes=legacy, name=str(part.legacy)))
        if owners is not None:
            owners += [part.source] * (len(out) - len(owners))
    return out


def _entries(roadmap: Roadmap, state: State, kind: str) -> list[Entry]:
    from aipm_cli.render.links import http_url

    index = roadmap.index
    out: list[Entry] = []
    for key, rec in state.items.items():
        for note in getattr(rec, kind):
            project_title = None
            if key in index.items:
                item = index.items[key].item
                title, project = item.title, (key if item.deliverables or item.kind == "project" else None)
                project_title = title if project else None
            elif key in index.deliverables:
                deliverable, parent = index.deliverables[key]
                title, project, project_title = deliverable.title, parent.id, parent.title
            elif key in index.modules:
                title, project = index.modules[key][0].title, None
            elif key in index.phases:
                title, project = index.phases[key].title, None
            else:
                title, project = key, None
            link = http_url(note.text) if kind == "evidence" else None
            out.append(Entry(key, title, project, note.text, note.on, link, project_title))
    order = {k: n for n, k in enumerate(index.all_ids())}
    out.sort(key=lambda e: (order.get(e.item, len(order)), e.item, e.on))
    return out


def fold_learner(
    roadmap: Roadmap, name: str, parts: list[_Part], options: Options, bad: list[Unreadable]
) -> Kept | None:
    """One learner's fold from every source they appear in (None: nothing could be read)."""
    from aipm_cli.cohort_index import Kept
    from aipm_cli.errors import AipmError
    from aipm_cli.record.fold import fold

    day = options.day
    problems = logs.Problems()
    try:
        owners: list[str] = []
        sources = _sources(parts, bad, problems, owners)
        if not sources:
            return None
        unrelated = _unrelated(parts, sources, owners)
        # Always as of a day (today by default): a change dated later is not counted, and the
        # fold keeps no undo stack (which only writes need).
        folded = fold(sources, roadmap.index.aliases, as_of=day)
    except (OSError, AipmError) as exc:  # a file that changed or vanished since it was found
        bad.append(Unreadable(f"{name} in {', '.join(dict.fromkeys(p.source for p in parts))}", _reason(exc)))
        return None
    damage = problems.damage + folded.problems.damage
    named: list[Unreadable] = []
    for problem in damage[:MAX_DAMAGE_SHOWN]:
        named.append(Unreadable(f"{problem.file}, line {problem.line}", f"{problem.reason} (the line was skipped)"))
    if len(damage) > MAX_DAMAGE_SHOWN:
        more = counted(len(damage) - MAX_DAMAGE_SHOWN, "more line")
        named.append(Unreadable(f"{name}'s change logs", f"{more} cannot be read"))
    latest: str | None = ""
    for source in sources:
        if source.changes is None:
            latest = None  # read from its file by the fold: not known here
            break
        for change in source.changes:
            if change["on"] > latest:
                latest = change["on"]
    return Kept(folded.state, folded.activity, folded.changes, named, unrelated, day, latest)


def summarize_learner(
    roadmap: Roadmap, name: str, parts: list[_Part], options: Options, bad: list[Unreadable]
) -> LearnerSummary | None:
    """One learner's figures, from every source they appear in (None: nothing could be read)."""
    kept = fold_learner(roadmap, name, parts, options, bad)
    if kept is None:
        return None
    bad.extend(kept.damage)
    return summary_of(roadmap, name, parts, options, kept)


def summary_of(roadmap: Roadmap, name: str, parts: list[_Part], options: Options, folded: Kept) -> LearnerSummary:
    """One learner's figures from their fold."""
    from aipm_cli.progress import activity_weeks, counts_for, forecast
    from aipm_cli.unit_status import orphans, status_of

    day = options.day
    unrelated = folded.unrelated
    state = folded.state
    index = roadmap.index

    phases: dict[str, float] = {}
    modules: dict[str, float] = {}
    total = Counts()
    for phase in roadmap.phases:
        phase_counts = Counts()
        for module in phase.modules:
            c = counts_for(roadmap, state, list(module.items))
            modules[module.id] = c.percent
            for key in ("total", "done", "in_progress", "skipped", "not_started"):
                setattr(phase_counts, key, getattr(phase_counts, key) + getattr(c, key))
        phases[phase.id] = phase_counts.percent
        for key in ("total", "done", "in_progress", "skipped", "not_started"):
            setattr(total, key, getattr(total, key) + getattr(phase_counts, key))

    dated = [d for d in folded.activity if d <= day.isoformat()]
    last = date.fromisoformat(max(dated)) if dated else None
    first = date.fromisoformat(min(dated)) if dated else None
    days_inactive = (day - last).days if last else None
    stuck: list[Stuck] = []
    skipped: list[str] = []
    limit = day - timedelta(weeks=options.stuck_weeks)
    statuses: dict[str, str] = {}
    for item_id, placed in index.items.items():
        status = status_of(index, state, item_id)
        if status != "not_started":
            statuses[item_id] = status
        if status == "skipped":
            skipped.append(item_id)
        if status != "in_progress":
            continue
        starts = [state.record(u).started_on for u in (item_id, *(d.id for d in placed.item.deliverables))]
        known = [s for s in starts if s is not None]
        if known and min(known) < limit:
            since = min(known)
            stuck.append(Stuck(item_id, placed.item.title, since, (day - since).days // 7))
    plan = forecast(roadmap, state, day, options.hours_per_week)
    weeks = activity_weeks(state, day)
    versions = sorted((p for p in parts if p.version), key=lambda p: p.stamp)
    version = versions[-1].version if versions else None
    return LearnerSummary(
        name=name,
        sources=list(dict.fromkeys(p.source for p in parts)),
        roadmap_version=version,
        other_version=any(p.version not in (None, roadmap.version) for p in parts),
        percent=total.percent,
        counts=total,
        last_activity=last,
        active_lately=days_inactive is not None and days_inactive < ACTIVE_DAYS,
        active_weeks=sum(1 for w in weeks if w["active"]),
        inactive=days_inactive is None or days_inactive > options.inactive_days,
        days_inactive=days_inactive,
        pace_hours_per_week=plan.pace_hours_per_week,
        finish=plan.finish,
        pace_finish=plan.pace_finish,
        stuck=stuck,
        skipped=skipped,
        phases=phases,
        modules=modules,
        skills={skill: ratings[-1].level for skill, ratings in sorted(state.skills.items()) if ratings},
        evidence=_entries(roadmap, state, "evidence"),
        notes=_entries(roadmap, state, "notes") if options.with_notes else [],
        orphans=orphans(index, state),
        changes=folded.changes,
        items=_item_rows(roadmap, state) if options.items else [],
        unrelated_sources=unrelated,
        first_activity=first,
        statuses=statuses,
        contact=next((p.contact for p in sorted(parts, key=lambda p: p.stamp, reverse=True) if p.contact), None),
        minutes_studied=sum(state.study.minutes.values()),
    )


def _item_rows(roadmap: Roadmap, state: State) -> list[ItemRow]:
    from aipm_cli.progress import rows

    out = []
    for r in rows(roadmap, state):
        rec = state.record(r.id)
        out.append(
            ItemRow(
                r.id, r.title, r.kind, r.phase, r.module, None, r.status, rec.started_on, r.completed_on, rec.skipped_on
            )
        )
        for d in r.deliverables or ():
            drec = state.record(d["id"])
            out.append(
                ItemRow(d["id"], d["title"], "deliverable", r.phase, r.module, r.id, d["status"],
                        drec.started_on, drec.completed_on, drec.skipped_on)
            )  # fmt: skip
    return out


def _finished(percent: float) -> bool:
    return percent >= 100.0


# --------------------------------------------------------------------------- #
# The cohort
# --------------------------------------------------------------------------- #


def _spread(values: list[float]) -> Spread:
    if not values:
        return Spread(None, None, None)
    return Spread(round(statistics.median(values), 1), min(values), max(values))


def _band(learner: LearnerSummary) -> str:
    c = learner.counts
    if c.done == 0:
        return BANDS[0]
    if c.done >= c.total - c.skipped:
        return BANDS[-1]
    p = c.done / (c.total - c.skipped) * 100
    return BANDS[1 + min(3, int(p // 25))]


def _quartiles(values: list[float]) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return (round(q[0], 1), round(q[2], 1))


def _unit_stats(roadmap: Roadmap, learners: list[LearnerSummary]) -> list[UnitStats]:
    out = []
    for phase in roadmap.phases:
        values = [learner.phases[phase.id] for learner in learners]
        s = _spread(values)
        modules = []
        for module in phase.modules:
            mv = [learner.modules[module.id] for learner in learners]
            ms = _spread(mv)
            modules.append(
                UnitStats(module.id, module.title, ms.median, ms.lowest, ms.highest, sum(1 for v in mv if _finished(v)))
            )
        out.append(
            UnitStats(
                phase.id, phase.title, s.median, s.lowest, s.highest, sum(1 for v in values if _finished(v)), modules
            )
        )
    return out


def _by_item(roadmap: Roadmap, pairs: Iterable[tuple[str, str]]) -> list[ItemLearners]:
    """(item, learner) pairs -> items with their learners, most learners first, then roadmap order."""
    found: dict[str, list[str]] = {}
    for item_id, name in pairs:
        found.setdefault(item_id, []).append(name)
    order = list(roadmap.index.items)
    ranked = sorted(found, key=lambda i: (-len(found[i]), order.index(i)))
    return [ItemLearners(i, roadmap.index.items[i].item.title, sorted(found[i])) for i in ranked]


def _skill_stats(roadmap: Roadmap, learners: list[LearnerSummary]) -> list[SkillStats]:
    out = []
    for skill in roadmap.skills:
        levels = [learner.skills[skill.id] for learner in learners if skill.id in learner.skills]
        out.append(
            SkillStats(
                id=skill.id,
                title=skill.title,
                rated=len(levels),
                median=round(statistics.median(levels), 1) if levels else None,
                lowest=min(levels) if levels else None,
                highest=max(levels) if levels else None,
                levels={str(n): levels.count(n) for n in range(1, 6)},
            )
        )
    return out


PARALLEL_FROM = 64  # learners: below this, starting worker processes costs more than it saves
_JOB: tuple[Any, ...] = ()  # what forked workers inherit: (roadmap, jobs, options, marking)

# One learner to report on: their name, their parts, and their fold when the index has it.
Job = tuple[str, list[_Part], "Kept | None"]
# What comes back: the summary (None: nothing could be read), what could not be read, the fold
# when it was made here (None: taken from the index), and the marks of the files it was made from.
Done = tuple["LearnerSummary | None", list[Unreadable], "Kept | None", "dict[str, list[Any]] | None"]


def _work(roadmap: Roadmap, job: Job, options: Options, marking: bool) -> Done:
    name, parts, kept = job
    bad: list[Unreadable] = []
    if kept is not None:
        bad.extend(kept.damage)
        return summary_of(roadmap, name, parts, options, kept), bad, None, None
    marks = None
    if marking:
        from aipm_cli.cohort_index import files_of
        from aipm_cli.cohort_index import marks as marks_of

        try:
            marks = marks_of(files_of(parts))  # before the fold: a file growing meanwhile is read again next time
        except OSError:
            marks = None  # the fold names what cannot be read
    kept = fold_learner(roadmap, name, parts, options, bad)
    if kept is None:
        return None, bad, None, None
    bad.extend(kept.damage)
    return summary_of(roadmap, name, parts, options, kept), bad, kept, marks


def _one(position: int) -> Done:
    roadmap, jobs, options, marking = _JOB
    return _work(roadmap, jobs[position], options, marking)


def _each_learner(
    roadmap: Roadmap, jobs: list[Job], options: Options, workers: int | None, marking: bool = False
) -> Iterator[Done]:
    """Each learner's summary, in order; folded in worker processes when the cohort is large.

    Learners are independent, and folding is CPU-bound Python: with N cores a
    large cohort takes about 1/N of the time. Workers are forked (they inherit
    the roadmap and the sources found), so only the summaries travel back.
    """
    global _JOB
    import multiprocessing

    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(jobs) >= PARALLEL_FROM else 1
    # Fork only on Linux: on macOS forking a process that has loaded system frameworks can crash.
    if workers <= 1 or not sys.platform.startswith("linux"):
        for job in jobs:
            yield _work(roadmap, job, options, marking)
        return
    _JOB = (roadmap, jobs, options, marking)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_one, range(len(jobs)), chunksize=max(1, len(jobs) // (workers * 8)))
    finally:
        _JOB = ()


def _fingerprint(roadmap: Roadmap, options: Options) -> str:
    """What a learner's summary depends on besides their files: the roadmap, the settings, the day."""
    import hashlib

    from aipm_cli import __version__
    from aipm_cli.cohort_index import INDEX_VERSION

    made = json.dumps(roadmap.data(), sort_keys=True, default=str).encode()
    return json.dumps(
        [INDEX_VERSION, __version__, hashlib.sha256(made).hexdigest(), options.today.isoformat(),
         options.day.isoformat(), options.hours_per_week, options.stuck_weeks, options.inactive_days,
         options.with_notes, options.items]
    )  # fmt: skip


def _learners(
    roadmap: Roadmap,
    groups: list[tuple[str, list[_Part]]],
    options: Options,
    workers: int | None,
    index: Index | None,
    rebuild: bool,
    bad: list[Unreadable],
    notices: list[str],
    keep: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[LearnerSummary]:
    """Every learner's summary: from the index where it holds, folded where it does not
    (`progress(what, done, total)` is told each learner folded)."""
    key = _fingerprint(roadmap, options) if index is not None else ""
    ready: dict[int, tuple[LearnerSummary, list[Unreadable]]] = {}
    jobs: list[Job] = []
    positions: list[int] = []
    for position, (name, parts) in enumerate(groups):
        kept = None
        if index is not None and not rebuild:
            found = index.look(roadmap.id, name, parts, key, options.day)
            notices.extend(found.notices)
            if found.summary is not None:
                ready[position] = found.summary
                if keep:
                    index.used(roadmap.id, name, parts, options.today)
                continue
            kept = found.kept
        jobs.append((name, parts, kept))
        positions.append(position)
    made: dict[int, tuple[LearnerSummary | None, list[Unreadable]]] = {}
    for done, (position, (summary, problems, kept, marks)) in enumerate(
        zip(positions, _each_learner(roadmap, jobs, options, workers, marking=index is not None), strict=True), 1
    ):
        if progress is not None:
            progress("Summarizing learners", done, len(jobs))
        made[position] = (summary, problems)
        if index is not None and summary is not None and keep:
            name, parts = groups[position]
            index.keep(roadmap.id, name, parts, marks, kept, key, (summary, problems), options.today)
    if index is not None and keep:
        index.commit(options.today)
    out: list[LearnerSummary] = []
    for position in range(len(groups)):
        summary, problems = ready[position] if position in ready else made[position]
        bad.extend(problems)
        if summary is not None:
            out.append(summary)
    return out


def build(
    roadmap: Roadmap,
    paths: Iterable[Path],
    options: Options,
    now: datetime,
    *,
    workers: int | None = None,
    index: Index | None = None,
    rebuild: bool = False,
    keep: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> CohortSummary:
    """The cohort report over every learner in these sources (see the module docstring).

    `workers`: processes to fold learners in (default: one per core, up to 8, for 64 learners or more).
    `index`: an open cohort index (cohort_index.py) to take unchanged learners from and keep new folds
    in; `rebuild` folds every learner again (and keeps the new folds); `keep`: False reads the index
    without writing to it (a look back at another day, which must not displace today's folds).
    `progress(what, done, total)` is told each learner summarized (a caller's display).
    """
    parts, bad = discover(paths)
    ours: dict[str, list[_Part]] = {}
    other: dict[tuple[str, str], list[_Part]] = {}
    for part in parts:
        if part.roadmap == roadmap.id:
            ours.setdefault(part.name, []).append(part)
        else:
            other.setdefault((part.name, part.roadmap), []).append(part)
    names = sorted(ours, key=lambda n: (n.casefold(), n))
    notices: list[str] = []
    learners = _learners(
        roadmap, [(n, ours[n]) for n in names], options, workers, index, rebuild, bad, notices, keep, progress
    )
    elsewhere = [
        Elsewhere(name, roadmap_id, list(dict.fromkeys(p.source for p in found)))
        for (name, roadmap_id), found in sorted(other.items())
        if name not in ours  # a learner on both roadmaps is reported here, on this one
    ]

    percents = [learner.percent for learner in learners]
    spread = _spread(percents)
    bands = dict.fromkeys(BANDS, 0)
    for learner in learners:
        bands[_band(learner)] += 1
    glance = Glance(
        learners=len(learners),
        median=spread.median,
        lowest=spread.lowest,
        highest=spread.highest,
        quartiles=_quartiles(percents),
        active_lately=sum(1 for learner in learners if learner.active_lately),
        inactive=sum(1 for learner in learners if learner.inactive),
        stuck=sum(1 for learner in learners if learner.stuck),
        bands=list(bands.items()),
    )
    glance.at_risk, glance.percentiles = _triage(learners, options)
    dropoff = _dropoff(roadmap, learners)
    attention = sorted((x for x in learners if x.flags), key=lambda x: (-len(x.flags), x.percent, x.name.casefold()))
    stuck = _by_item(roadmap, ((s.id, learner.name) for learner in learners for s in learner.stuck))
    skipped = _by_item(roadmap, ((i, learner.name) for learner in learners for i in learner.skipped))
    everyone = len(learners)
    shown = _shown(roadmap, learners, options)
    phases = _unit_stats(roadmap, learners)
    skills = _skill_stats(roadmap, learners)
    return CohortSummary(
        roadmap={"id": roadmap.id, "title": roadmap.title, "version": roadmap.version},
        generated_at=now,
        as_of=options.day,
        options=options,
        glance=glance,
        learners=shown,
        phases=phases,
        stuck=stuck,
        skipped=skipped,
        skills=skills,
        elsewhere=elsewhere,
        unreadable=bad,
        notices=notices,
        attention=[x for x in attention if x in shown] if options.filters else attention,
        dropoff=dropoff,
        shown_of=everyone,
        everyone=learners,
    )


# --------------------------------------------------------------------------- #
# Who needs help, and why
# --------------------------------------------------------------------------- #


def _triage(learners: list[LearnerSummary], options: Options) -> tuple[int, tuple[float, float] | None]:
    """Each learner's at-risk flags, percentile band and pace against the cohort; (flagged, percentiles)."""
    rules = options.rules
    day = options.day
    percents = [x.percent for x in learners]
    bounds = None
    if len(percents) >= 2:
        cuts = statistics.quantiles(percents, n=100, method="inclusive")
        bounds = (round(cuts[14], 1), round(cuts[84], 1))
    # The cohort's median pace: percent done per week since each learner's first change (a week in at least).
    rates = []
    for x in learners:
        if x.first_activity is not None and (day - x.first_activity).days >= 7:
            rates.append(x.percent / ((day - x.first_activity).days / 7))
    pace = statistics.median(rates) if len(rates) >= 3 else None
    for x in learners:
        x.flags = []
        x.percentile_band = None
        if bounds is not None and bounds[0] < bounds[1]:
            if x.percent <= bounds[0]:
                x.percentile_band = "bottom 15%"
            elif x.percent >= bounds[1]:
                x.percentile_band = "top 15%"
        x.behind_weeks = x.expected_percent = None
        if pace and x.first_activity is not None:
            weeks = (day - x.first_activity).days / 7
            x.expected_percent = round(min(100.0, pace * weeks), 1)
            x.behind_weeks = round(max(0.0, (x.expected_percent - x.percent) / pace), 1)

        def flag(rule: str, seen: str, who: LearnerSummary = x) -> None:
            if rule in rules.on:
                who.flags.append(Flag(rule, rules.describe(rule, options.stuck_weeks), seen))

        c = x.counts
        if c.done == 0 and c.in_progress == 0 and c.skipped == 0:
            flag("never-started", "nothing started" + (f" in {counted(x.changes, 'change')}" if x.changes else ""))
        idle = x.days_inactive is None or x.days_inactive >= rules.idle_days
        if x.percent < rules.under_percent and idle:
            since = "no change yet" if x.days_inactive is None else f"no change for {counted(x.days_inactive, 'day')}"
            flag("low-and-idle", f"{x.percent:.1f}% done, {since}")
        if x.behind_weeks is not None and x.behind_weeks >= rules.behind_weeks:
            weeks = (day - x.first_activity).days // 7 if x.first_activity else 0
            flag(
                "behind",
                f"{x.behind_weeks:g} weeks behind: {x.percent:.1f}% done after {counted(weeks, 'week')},"
                f" the cohort's median pace gives {x.expected_percent:.1f}%",
            )
        if x.stuck:
            worst = max(x.stuck, key=lambda k: k.weeks)
            more = f" and {len(x.stuck) - 1} more" if len(x.stuck) > 1 else ""
            flag(
                "stuck",
                f"{worst.title} in progress since {worst.since.isoformat()} ({counted(worst.weeks, 'week')}){more}",
            )
    return sum(1 for x in learners if x.flags), bounds


def _dropoff(roadmap: Roadmap, learners: list[LearnerSummary]) -> list[ItemFlow]:
    """Every item in roadmap order with how many learners reached, finished, skipped or stalled on it."""
    out = []
    for item_id, placed in roadmap.index.items.items():
        counts = {"done": 0, "skipped": 0, "in_progress": 0}
        stalled = 0
        for x in learners:
            status = x.statuses.get(item_id)
            if status in counts:
                counts[status] += 1
            if status == "in_progress" and any(k.id == item_id for k in x.stuck):
                stalled += 1
        reached = counts["done"] + counts["skipped"] + counts["in_progress"]
        out.append(
            ItemFlow(item_id, placed.item.title, placed.phase.id, len(learners),
                     reached, counts["done"], counts["skipped"], counts["in_progress"], stalled,
                     len(learners) - reached)
        )  # fmt: skip
    return out


def _current_phase(roadmap: Roadmap, learner: LearnerSummary) -> str | None:
    """The first phase, in roadmap order, the learner has not finished."""
    return next((p.id for p in roadmap.phases if not _finished(learner.phases.get(p.id, 0.0))), None)


def _shown(roadmap: Roadmap, learners: list[LearnerSummary], options: Options) -> list[LearnerSummary]:
    """The learners to list: those matching every --filter, in --sort order."""
    out = list(learners)
    for wanted in options.filters:
        if wanted == "at-risk":
            out = [x for x in out if x.flags]
        elif wanted == "inactive":
            out = [x for x in out if x.inactive]
        elif wanted == "behind":
            out = [x for x in out if any(f.rule == "behind" for f in x.flags)]
        elif wanted == "stuck":
            out = [x for x in out if x.stuck]
        elif wanted.startswith("phase:"):
            out = [x for x in out if _current_phase(roadmap, x) == wanted[len("phase:") :]]
    if options.sort == "attention":
        out.sort(key=lambda x: (-len(x.flags), x.percent if x.flags else 0.0))  # stable: by name within
    elif options.sort == "percent":
        out.sort(key=lambda x: x.percent)
    elif options.sort == "last-active":
        out.sort(key=lambda x: x.last_activity or date.min)
    return out


# --------------------------------------------------------------------------- #
# Nudges: drafts for the instructor to send (aipm never sends anything)
# --------------------------------------------------------------------------- #


@dataclass
class Nudge:
    name: str
    address: str | None  # shared by the learner in their export; None: none shared
    subject: str
    body: str
    mailto: str | None  # a mailto: link with the draft, when there is an address


def nudges(s: CohortSummary) -> list[Nudge]:
    """One short draft per learner needing attention, saying what the report saw (most flags first)."""
    from urllib.parse import quote

    title = s.roadmap["title"]
    out = []
    for learner in s.attention:
        subject = f"Checking in on your {title} roadmap"
        seen = [f"- {f.seen}" for f in learner.flags]
        body = "\n".join(
            [
                f"Hi {learner.name},",
                "",
                f"I looked at how the cohort stands on {title} as of {s.as_of.isoformat()}, and wanted to check in."
                f" You are at {learner.percent:.1f}% done. What I saw:",
                *seen,
                "",
                "Is something in the way? Reply and tell me how I can help, even if it is just to adjust the plan.",
            ]
        )
        mailto = None
        if learner.contact:
            mailto = f"mailto:{learner.contact}?subject={quote(subject)}&body={quote(body)}"
        out.append(Nudge(learner.name, learner.contact, subject, body, mailto))
    return out


# --------------------------------------------------------------------------- #
# Over time: what changed since an earlier day
# --------------------------------------------------------------------------- #


@dataclass
class Digest:
    """What changed between the cohort as of `since` and as of the report's day."""

    since: date
    finished: list[tuple[str, list[str]]]  # learner, titles of the items they finished since
    joined: list[str]  # learners with no change by `since`
    went_quiet: list[str]  # inactive now, not then
    active_again: list[str]  # inactive then, not now
    newly_at_risk: list[tuple[str, list[str]]]  # learner, the rules that flag them now and did not then
    no_longer_at_risk: list[str]  # flagged then, not now
    left: list[str]  # in the report then, not now (their sources are gone)


def digest(before: CohortSummary, after: CohortSummary) -> Digest:
    """The digest between two summaries of the same sources (before: as of the earlier day), over every
    learner (whatever --filter lists)."""
    then = {x.name: x for x in before.everyone or before.learners}
    now = {x.name: x for x in after.everyone or after.learners}
    titles = {f.id: f.title for f in after.dropoff}
    finished = []
    joined, quiet, again, risk, safe = [], [], [], [], []
    for name, x in now.items():
        old = then.get(name)
        if old is None or old.last_activity is None:
            if x.last_activity is not None:
                joined.append(name)
        done = [k for k, v in x.statuses.items() if v == "done" and (old is None or old.statuses.get(k) != "done")]
        if done:
            finished.append((name, [titles.get(k, k) for k in done]))
        if old is None:
            continue
        if x.inactive and not old.inactive and old.last_activity is not None:
            quiet.append(name)
        if old.inactive and not x.inactive and old.last_activity is not None:
            again.append(name)
        rules_then = {f.rule for f in old.flags}
        new_rules = [f.rule for f in x.flags if f.rule not in rules_then]
        if new_rules:
            risk.append((name, new_rules))
        if old.flags and not x.flags:
            safe.append(name)
    left = [name for name in then if name not in now]
    return Digest(before.as_of, finished, joined, quiet, again, risk, safe, left)


def digest_rows(d: Digest, full: bool) -> list[tuple[str, str]]:
    """The digest as (label, text) lines for the text, Markdown and HTML formats (empty: nothing changed)."""

    def names(values: list[str]) -> str:
        shown, more = capped(values, CAP_NAMES, full)
        return ", ".join(shown) + (f" and {more} more" if more else "")

    rows = []
    if d.finished:
        shown, more = capped(d.finished, CAP_NAMES, full)
        text = "; ".join(f"{name}: {', '.join(items)}" for name, items in shown)
        rows.append(("Finished", text + (f"; and {counted(more, 'more learner')}" if more else "")))
    for label, values in (("Joined", d.joined), ("Went quiet", d.went_quiet), ("Active again", d.active_again)):
        if values:
            rows.append((label, names(values)))
    if d.newly_at_risk:
        rows.append(("Newly at risk", names([f"{name} ({', '.join(rules)})" for name, rules in d.newly_at_risk])))
    if d.no_longer_at_risk:
        rows.append(("No longer at risk", names(d.no_longer_at_risk)))
    if d.left:
        rows.append(("No longer in the sources", names(d.left)))
    return rows
