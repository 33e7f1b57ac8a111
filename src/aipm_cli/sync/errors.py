"""The errors a sync raises: all AipmErrors, each saying what to do; the data directory is as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aipm_cli.errors import AipmError

if TYPE_CHECKING:
    from aipm_cli.record.provenance import Destructive


class SyncError(AipmError):
    """A sync that could not be done; the data directory is as it was (plus local commits it names)."""


class NewerLine(SyncError):
    """A line written by a newer aipm: this machine's aipm is old, nothing on the remote is wrong."""


class GitMissing(SyncError):
    """No `git` command on this machine."""


class Unreachable(SyncError):
    """The remote could not be reached; this device's changes are committed locally."""


class UnsafeRepository(SyncError):
    """Git refuses the data directory's repository (owned by another user)."""


class DestructiveRefused(SyncError):
    """The remote brings destructive changes the learner has not accepted; nothing was merged."""

    def __init__(self, message: str, hint: str, found: list[Destructive]) -> None:
        super().__init__(message, hint)
        self.found = found
