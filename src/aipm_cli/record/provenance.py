"""Where a change came from, and which changes may not arrive unannounced.

A change that arrives from elsewhere (another machine's log by `aipm sync`,
an export given to `aipm import`) is taken as its device wrote it. Most
changes only add to a learner's record; a few take a lot out of effect at
once, and one forged line of that kind is enough to hide a learner's whole
progress. Those are *destructive*:

- an `import` with `replace: true`: every older change it did not bring
  leaves effect (`aipm import --replace` on some machine);
- a `forget`: the records of the units it names are dropped whole;
- a `reset` of more than `MANY_UNITS` units: their dates and statuses cleared.

`sync` and `import` list such changes (what, which device, what it would do)
and take them only when the learner says so (`--accept-destructive`). A
learner's own destructive commands on this machine are never asked about:
they are what the learner just typed.

This module never prints and never exits.
"""

from __future__ import annotations

from typing import Any

from aipm_cli.plaindata import plain

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


def listing(found: list[Destructive]) -> str:
    """The destructive changes in one message: each on its own line, at most SHOWN."""
    lines = [f"  - {d.describe()}" for d in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(f"  - and {len(found) - SHOWN} more")
    return "\n".join(lines)
