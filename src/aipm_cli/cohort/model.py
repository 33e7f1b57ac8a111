"""What the cohort report shows: plain data every renderer reads, and the settings it is built with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aipm_cli.view_data import Counts
from aipm_cli.wording import count as counted

COHORT_FORMAT = "aipm-cohort"
COHORT_VERSION = 1
DEFAULT_STUCK_WEEKS = 4
DEFAULT_INACTIVE_DAYS = 14
ACTIVE_DAYS = 7  # "active lately" at a glance: a change dated in the last week
MAX_DAMAGE_SHOWN = 3  # unreadable lines named per learner; the rest are counted
# Percent bands of the distribution: each band holds its lower bound; 0% and
# 100% (everything not skipped is done) are bands of their own.
# A learner's status on each item, one character an item (LearnerSummary.statuses)
STATUS_CODES = {"not_started": "-", "in_progress": "i", "done": "d", "skipped": "s"}
BANDS = ("0%", "0–25%", "25–50%", "50–75%", "75–100%", "100%")


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


@dataclass(slots=True)
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


@dataclass(slots=True)
class Stuck:
    id: str
    title: str
    since: date
    weeks: int  # whole weeks in progress


@dataclass(slots=True)
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
    # Each item's status, one character an item in roadmap order (STATUS_CODES): compact, for the drop-off view
    statuses: str = ""
    # Set over the whole cohort (never kept in the index): the at-risk flags, each with the rule that
    # raised it; "bottom 15%" / "top 15%" of percent done; weeks behind the cohort's median pace.
    flags: list[Flag] = field(default_factory=list)
    percentile_band: str | None = None
    behind_weeks: float | None = None
    expected_percent: float | None = None  # at the cohort's median pace, after as many weeks as they have been in
    contact: str | None = None  # the email address their newest export shares, if any
    minutes_studied: int = 0  # study time logged with `aipm study` (every session, every device)
    minutes_this_week: int = 0  # of it, in the week (Monday to Sunday, UTC) of the report's day
    plan_hours_per_week: float | None = None  # the weekly hours of their own plan, when their export shares it
    hours_done: float = 0.0  # aipm's estimate (mid-range) of the study hours of the items they finished
    # How `behind_weeks` was measured: "own plan" (their weekly hours since their first change, against the
    # estimated hours of what they finished) or "cohort pace" (the cohort's median pace); None: not measured.
    behind_basis: str | None = None
    hours_expected: float | None = None  # own plan: the study hours their weekly hours give since their first change
    # Phase and module id -> percent done, not rounded: the cohort's medians are computed from these
    # (a median of rounded values can be off by a tenth), and rounded only when shown.
    exact: dict[str, float] = field(default_factory=dict)

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
