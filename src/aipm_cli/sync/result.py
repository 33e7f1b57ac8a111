"""What one `aipm sync` (or `sync init`) did: plain data for the command line and for `--json`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aipm_cli.record.provenance import Destructive


@dataclass
class SyncResult:
    """What one `aipm sync` (or `sync init`) did."""

    data_dir: str
    device: str
    branch: str
    remote: str | None = None
    # learner -> changes this sync sent (all the remote lacked, an offline backlog too); before a push, committed.
    # Sent and received are distinct changes new to the other side, never lines (counting.py).
    sent: dict[str, int] = field(default_factory=dict)
    roadmaps_sent: list[str] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)  # learner -> changes merged from the remote
    roadmaps_received: list[str] = field(default_factory=list)
    pushed: bool = False
    created: bool = False  # sync init made the repository
    joined: bool = False  # sync init joined a remote's history
    attempts: int = 0
    recovered: list[str] = field(default_factory=list)
    seconds: float = 0.0
    git_seconds: float = 0.0
    # Items whose record other machines' changes changed here (see arriving.explain), in roadmap order.
    changed: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[Destructive] = field(default_factory=list)  # destructive changes taken (--accept-destructive)

    def received_for_others(self, user: str, has_data: Callable[[], bool]) -> list[str]:
        """The learners whose changes arrived, when `user` (the learner this machine's commands use) is not
        one of them and has no progress here (its commands would show an empty record); else []."""
        learners = sorted(name for name, count in self.received.items() if count)
        if not learners or user in learners or has_data():
            return []
        return learners

    def data(self) -> dict[str, Any]:
        return {
            "data_dir": self.data_dir,
            "device": self.device,
            "remote": self.remote,
            "branch": self.branch,
            "sent": sum(self.sent.values()),
            "sent_by_learner": self.sent,
            "received": sum(self.received.values()),
            "received_by_learner": self.received,
            "roadmaps_sent": self.roadmaps_sent,
            "roadmaps_received": self.roadmaps_received,
            "pushed": self.pushed,
            "created": self.created,
            "joined": self.joined,
            "attempts": self.attempts,
            "recovered": self.recovered,
            "changed_items": self.changed,
            "reopened": [c for c in self.changed if c["reopened"]],
            "done_before_started": [c for c in self.changed if c["done_before_started"]],
            "destructive_accepted": [d.data() for d in self.accepted],
            "timings": {"total_seconds": round(self.seconds, 4), "git_seconds": round(self.git_seconds, 4)},
        }
