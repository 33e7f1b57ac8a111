"""Where a change came from, and which changes may not arrive unannounced.

A change that arrives from elsewhere (another machine's log by `aipm sync`,
an export given to `aipm import`) is taken as its device wrote it. Most
changes only add to a learner's record; a few take a lot out of effect at
once, and one forged line of that kind is enough to hide a learner's whole
progress. Those are *destructive*:

- an `import` with `replace: true`: every older change it did not bring
  leaves effect (`aipm import --replace` on some machine);
- a `forget`: the records of the units it names are dropped whole;
- a `reset` of more than `MANY_UNITS` units: their dates and statuses cleared;
- a `restore`, or any change carrying `state` (what the migration of an old
  store writes): it sets records exactly, whatever they held;
- a `remove` of more than `MANY_UNITS` notes or evidence entries.

`sync` and `import` list such changes (what, which device, what it would do)
and take them only when the learner says so (`--accept-destructive`). A
learner's own destructive commands on this machine are never asked about:
they are what the learner just typed.

This module never prints and never exits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aipm_cli.errors import AipmError
from aipm_cli.plainclass import plain

MANY_UNITS = 5  # a reset of more units than this is destructive
SHOWN_UNITS = 3  # unit names quoted in a reason; the rest are counted


def _units(units: list[Any]) -> str:
    names = [str(u)[:80] for u in units[:SHOWN_UNITS]]
    more = len(units) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def is_destructive(change: dict[str, Any]) -> str | None:
    """What a destructive change would do, in a few words; None for every other change."""
    op = change.get("op")
    if op == "import" and change.get("replace") is True:
        kept = change.get("ids")
        count = len(kept) if isinstance(kept, list) else 0
        return "replaces the progress: every earlier change leaves effect" + (
            f" except the {count} it brought" if count else ""
        )
    if op == "forget":
        units = change.get("units") or []
        return f"forgets {len(units)} {'record' if len(units) == 1 else 'records'} whole: {_units(units)}"
    if op == "reset":
        units = change.get("units") or []
        if len(units) > MANY_UNITS:
            return f"resets {len(units)} units to not started: {_units(units)}"
    state = change.get("state")
    if op == "restore" or isinstance(state, dict):
        units = sorted(state) if isinstance(state, dict) else []
        skills = change.get("skills") if op == "restore" else None
        what = f"{len(units)} {'record' if len(units) == 1 else 'records'}" + (f": {_units(units)}" if units else "")
        return f"sets {what} exactly, whatever they held" + (" (and skill ratings)" if skills else "")
    if op == "remove":
        entries = change.get("entries") or []
        if len(entries) > MANY_UNITS:
            return f"removes {len(entries)} entries (notes or evidence)"  # (always more than MANY_UNITS)
    return None


@plain
class Destructive:
    """A destructive change found in what arrives."""

    id: str
    device: str
    op: str
    on: str
    reason: str
    where: str  # the file it is in (a log's path in the data directory, or the export)

    def __init__(self, change: dict[str, Any], reason: str, where: str) -> None:
        self.id = str(change.get("id", ""))
        self.device = str(change.get("device", ""))[:80]
        self.op = str(change.get("op", ""))
        self.on = str(change.get("on", ""))
        self.reason = reason
        self.where = where

    def describe(self) -> str:
        return f"{self.op} by {self.device or 'an unknown device'} (dated {self.on}, {self.id}): {self.reason}"

    def data(self) -> dict[str, str]:
        return {
            "id": self.id,
            "device": self.device,
            "op": self.op,
            "on": self.on,
            "reason": self.reason,
            "file": self.where,
        }


SHOWN = 5  # destructive changes listed in a message; the rest are counted


def listing(found: list[Destructive], total: int | None = None) -> str:
    """The destructive changes in one message: each on its own line, at most SHOWN (of `total`)."""
    total = len(found) if total is None else total
    lines = [f"  - {d.describe()}" for d in found[:SHOWN]]
    if total > len(lines):
        lines.append(f"  - and {total - len(lines)} more")
    return "\n".join(lines)


class DestructiveChanges(AipmError):
    """Destructive changes arrived from elsewhere and were not accepted: nothing was taken."""

    def __init__(self, message: str, hint: str, found: list[Destructive], total: int) -> None:
        super().__init__(message, hint)
        self.found = found
        self.total = total


class Watch:
    """Changes on their way in (an import), passed through as they are; destructive ones are noted.

    `known` gives the ids already here (called once, at the first destructive change: such a
    change that is already here takes nothing new out of effect, and into a record with no
    changes at all nothing can be taken out). When the stream ends with
    destructive changes that are new, DestructiveChanges (with `hint`) is raised unless `accept`:
    raised by the iteration, so whatever consumes it (Ledger.import_changes) keeps nothing.
    """

    def __init__(
        self,
        changes: Iterable[dict[str, Any]],
        where: str,
        known: Callable[[], set[str]],
        *,
        accept: bool = False,
        hint: str = "",
    ) -> None:
        self.changes = changes
        self.where = where
        self.known = known
        self.accept = accept
        self.hint = hint
        self.found: list[Destructive] = []  # the first SHOWN
        self.total = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        known: set[str] | None = None
        for change in self.changes:
            reason = is_destructive(change)
            if reason is not None:
                if known is None:
                    known = self.known()
                # Into a learner with no changes here, nothing can be taken out of effect (a backup
                # restored on a new machine): only a change new to a record that has some is asked about.
                if known and change.get("id") not in known:
                    self.total += 1
                    if len(self.found) < SHOWN:
                        self.found.append(Destructive(change, reason, self.where))
            yield change
        if self.total and not self.accept:
            count = f"{self.total} destructive {'change' if self.total == 1 else 'changes'}"
            raise DestructiveChanges(
                f"{self.where} holds {count} not here yet; nothing was imported:\n{listing(self.found, self.total)}",
                self.hint,
                self.found,
                self.total,
            )
