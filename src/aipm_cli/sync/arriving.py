"""What a fetch brings, checked before anything is taken, and what it changed here once taken.

Before a merge: a log file may only have grown (what this device has is a byte prefix of it) and every
new line must be a readable change; only log files, roadmap files and a few harmless top-level files may
change, each under its size limit; this machine's own log may not be touched by anyone else. Anything
else is refused (SyncError) and nothing here changes. After the merge: the items whose record other
machines' changes changed, by which devices (`aipm sync` names them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import AipmError
from aipm_cli.paths import Layout
from aipm_cli.sync.counting import Span, Tally
from aipm_cli.sync.errors import NewerLine, SyncError
from aipm_cli.sync.git import REMOTE, Git, remote_url, safe_url
from aipm_cli.sync.policy import (
    LIMITS,
    REGULAR_MODES,
    case_twin_among,
    classify,
    folders_here,
    learner_folders,
    new_lines,
)

if TYPE_CHECKING:
    from aipm_cli.record.provenance import Destructive

REFUSED_HINT = (
    "Another device, or a hand edit, changed the remote in a way aipm cannot check. Restore the remote from a"
    " device that has the full logs (its `git push`), or ask for help; run with --debug to see git's messages."
)


@dataclass
class Incoming:
    """One path the remote changes, with the blobs involved."""

    path: str
    kind: str
    base: str | None  # object id in the merge base (None: not there)
    ours: str | None  # object id in our HEAD
    theirs: str | None  # object id in the remote's commit (None: deleted)


@dataclass
class Arrived:
    """What the new lines of one fetch are: who wrote them, what they touch, the destructive ones."""

    destructive: list[tuple[tuple[str, str], Destructive]] = field(default_factory=list)
    # (learner, roadmap) -> unit -> {(device, op)}: the changes that name the unit
    touched: dict[tuple[str, str], dict[str, set[tuple[str, str]]]] = field(default_factory=dict)
    # (learner, roadmap) -> devices of changes that name no unit (undo, redo, import): they may change any
    others: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def note(self, folder: tuple[str, str], where: str, change: dict[str, Any]) -> None:
        """One new change of `folder`, read from the file `where`."""
        from aipm_cli.record.provenance import Destructive, is_destructive

        reason = is_destructive(change)
        if reason is not None:
            self.destructive.append((folder, Destructive(change, reason, where)))
        device, op = str(change.get("device", ""))[:80], str(change.get("op", ""))
        units = list(change.get("units") or change.get("targets") or ())
        if op == "restore" and isinstance(change.get("state"), dict):
            units = list(change["state"])
        if not units:
            self.others.setdefault(folder, set()).add(device)
            return
        mine = self.touched.setdefault(folder, {})
        for unit in units:
            mine.setdefault(str(unit), set()).add((device, op))


def incoming(git: Git, theirs: str, base: str | None) -> list[Incoming]:
    """Every path the merge would take from `theirs`, checked: SyncError when one is not allowed."""
    ours_tree = git.tree("HEAD") if git.rev("HEAD") else {}
    theirs_tree = git.tree(theirs)
    base_tree = git.tree(base) if base else {}
    found: list[Incoming] = []
    for path in sorted(set(theirs_tree) | set(base_tree)):
        now = theirs_tree.get(path)
        was = base_tree.get(path)
        if now == was:
            continue
        kind = classify(path)
        if kind is None:
            if not base:
                # No history in common: most likely not an aipm remote at all (a wrong URL).
                raise SyncError(
                    f"The remote {safe_url(remote_url(git) or '')} holds {path}, a file aipm does not sync:"
                    " it does not look like an aipm sync remote. Nothing was changed here.",
                    "Check the URL; point this machine at the right remote with"
                    f" `git -C {git.root} remote set-url {REMOTE} URL`, or at a new empty one, then `aipm sync`.",
                )
            raise SyncError(
                f"The remote changes {path}, a file aipm does not sync. Nothing was changed here.", REFUSED_HINT
            )
        if now is not None and now[0] not in REGULAR_MODES:
            raise SyncError(
                f"The remote holds {path} as something other than a plain file. Nothing was changed here.",
                REFUSED_HINT,
            )
        if kind == "log" and now is None:
            raise SyncError(f"The remote deletes the change log {path}. Nothing was changed here.", REFUSED_HINT)
        if now is not None and now[2] > LIMITS[kind]:
            raise SyncError(
                f"The remote's {path} is {now[2] / (1 << 20):.1f} MB, over the {LIMITS[kind] >> 20} MB aipm"
                f" takes for a {'change log' if kind == 'log' else 'roadmap' if kind == 'roadmap' else 'file'}."
                " Nothing was changed here.",
                "Remove or shrink that file on the remote (from the machine that added it), then sync again.",
            )
        mine = ours_tree.get(path)
        found.append(Incoming(path, kind, was[1] if was else None, mine[1] if mine else None, now[1] if now else None))
    _refuse_case_twins(git.root, set(ours_tree), set(theirs_tree), found)
    return found


def _refuse_case_twins(root: Path, ours: set[str], theirs: set[str], found: list[Incoming]) -> None:
    """SyncError when a learner folder the merge would bring differs only in case from another learner folder
    of the merged result: one here (committed or not) or another that arrives."""
    here = learner_folders(ours) | folders_here(root)
    remote = learner_folders(theirs)
    arriving = learner_folders(c.path for c in found if c.theirs is not None) - here
    pair = case_twin_among(arriving, here | remote)
    if pair is None:
        return
    name, other = pair
    if other in remote:
        raise SyncError(
            f"The remote holds two learners whose names differ only in case, '{name}' and '{other}': macOS and"
            " Windows keep both in one folder, where their progress would mix. Nothing was changed here.",
            f"An older aipm (or a hand) pushed them. On a machine that has both, `aipm doctor` says how to join"
            f" or part them; then take one folder out of the remote with git (`git rm -r learners/{name}`,"
            " commit, push) on that machine.",
        )
    raise SyncError(
        f"The remote brings the learner '{name}', whose name differs only in case from the learner '{other}' here:"
        " macOS and Windows keep both in one folder, where their progress would mix. Nothing was changed here.",
        twin_hint(other, name, synced=other in learner_folders(ours)),
    )


def twin_hint(mine: str, theirs: str, *, synced: bool) -> str:
    """What to do when this machine's learner `mine` and the remote's `theirs` differ only in case."""
    if not synced:
        return (
            f"If they are one learner, rename this machine's to the remote's spelling: `aipm users rename {mine}"
            f" {theirs}` (its folder has not been synced yet); if not, rename it to a name that differs in more"
            " than case. Then `aipm sync` again."
        )
    return (
        f"If they are one learner, move this machine's progress to the remote's spelling: `aipm --user {mine}"
        " export --format json -o FILE`, move this data directory aside, `aipm sync init REMOTE` into a fresh"
        f" one, then `aipm import FILE --user {theirs}` (if they are two learners, `--user` a name that differs"
        " in more than case)."
    )


def verify(
    git: Git, device: str, changes: list[Incoming], arrived: Arrived | None = None, *, related: bool = True
) -> dict[str, Tally]:
    """Check every incoming log against what this device has; learner -> the new changes it brings
    (counting.Tally: how many this device lacks is known once what it holds is, `Tally.new_to`).

    What the new lines are (their devices, the units they touch, the destructive ones) goes to `arrived`.
    """
    import functools

    logs = [c for c in changes if c.kind == "log"]
    blobs = git.blobs([oid for c in logs for oid in (c.base, c.ours, c.theirs) if oid])
    received: dict[str, Tally] = {}
    for change in logs:
        theirs = blobs[change.theirs] if change.theirs else b""
        base = blobs[change.base] if change.base else b""
        ours = blobs[change.ours] if change.ours else b""
        name = change.path.rsplit("/", 1)[1]
        if name == f"{device}.jsonl" or name.startswith(f"{device}.import-"):
            # Provenance: this device's own files only ever hold what this device wrote, and the
            # remote holds only what it pushed, which the merge base has. Any other change to them
            # (even lines this device has: a copy of this data directory wrote them) is refused.
            # Without a merge base (joining), the remote may hold only what this device has.
            if related or not ours.startswith(theirs):
                # Lines only added after what this machine pushed: a copy of this data directory
                # wrote them. Anything else (lines changed or taken out) is an edit of the remote.
                edited = change.ours is not None and not theirs.startswith(base if related else ours)
                _refuse_own(change.path, device, known=change.ours is not None, edited=edited)
            continue  # nothing in it is new here
        # Ours may be ahead of theirs only where theirs did not move (our own new lines):
        # lines of a file that arrive from elsewhere and that we also have mean two writers.
        behind = ours.startswith(theirs) and theirs == base
        if not theirs.startswith(base) or not (theirs.startswith(ours) or behind):
            raise SyncError(
                f"The remote's copy of {change.path} was rewritten or cut short: change logs only ever grow."
                " Nothing was changed here.",
                REFUSED_HINT,
            )
        if theirs and not theirs.endswith(b"\n"):
            raise SyncError(
                f"The remote's copy of {change.path} ends in half a line. Nothing was changed here.", REFUSED_HINT
            )
        if len(theirs) > len(ours):
            learner, roadmap = change.path.split("/")[1:3]
            tally = received.setdefault(learner, Tally())
            tally.begin(Span(change.path, len(ours), len(theirs), data=theirs))
            each = functools.partial(_seen, tally, arrived, (learner, roadmap), change.path)
            try:
                new_lines(f"The remote's {change.path}", theirs, len(ours), each)
            except NewerLine as exc:
                raise SyncError(
                    f"{exc.message} Nothing was changed here.",
                    "Another machine runs a newer aipm: upgrade aipm here (`pip install -U aipm-cli`),"
                    " then `aipm sync` again. Nothing on the remote needs fixing.",
                ) from None
            except SyncError as exc:
                raise SyncError(f"{exc.message} Nothing was changed here.", REFUSED_HINT) from None
    return received


def _seen(tally: Tally, arrived: Arrived | None, folder: tuple[str, str], where: str, change: dict[str, Any]) -> None:
    tally.see(change)
    if arrived is not None:
        arrived.note(folder, where, change)


def _refuse_own(path: str, device: str, *, known: bool, edited: bool = False) -> None:
    if edited:
        raise SyncError(
            f"The remote's copy of {path}, this machine's own log, was edited by hand (lines changed or"
            " taken out): only this machine writes its own log, and it only grows. Nothing was changed here.",
            "This machine holds the original. Undo that edit on the remote (`git revert` the commit that made"
            " it, where it was made), then run `aipm sync` again.",
        )
    what = (
        f"changes {path}, this machine's own log"
        if known
        else f"adds {path}, a file named for this machine that this machine does not have"
    )
    raise SyncError(
        f"The remote {what}: only this machine writes its own files. Either two data directories share the"
        f" device id '{device}' (one was copied with its `device` file), or the remote was edited."
        " Nothing was changed here.",
        "On a copy: export (`aipm export --format json -o FILE`), move the data directory aside, `aipm sync init"
        " REMOTE` into a fresh one, then `aipm import FILE --merge`. Otherwise restore the remote from a machine"
        " you trust.",
    )


def _aliases(root: Path, roadmap_id: str) -> dict[str, str]:
    """The roadmap's aliases (renamed items), so the fold here is the one `aipm status` caches."""
    from aipm_cli.roadmap import finding

    try:
        layout = Layout(root)
        found = finding.find(roadmap_id, layout.roadmaps, layout.cache)
        return dict(finding.load(finding.read_roadmap_bytes(found), roadmap_id, layout.cache).index.aliases)
    except (AipmError, OSError, ValueError):
        return {}


def items_here(root: Path, device: str, folder: tuple[str, str]) -> dict[str, Any] | None:
    """unit -> record of one learner's roadmap as folded here (None: it cannot be folded)."""
    from aipm_cli.record.ledger import Ledger

    learner, roadmap = folder
    if not Layout(root).changes_dir(learner, roadmap, old=True).is_dir():
        return {}
    try:
        aliases = _aliases(root, roadmap)
        return dict(Ledger(root, learner, roadmap, aliases, device=lambda: device).load().state.items)
    except (AipmError, OSError, ValueError):
        return None


def explain(
    me: str,
    folder: tuple[str, str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    arrived: Arrived,
) -> list[dict[str, Any]]:
    """The units of one learner's roadmap whose record the merge changed, and by which devices.

    Calls out a unit that was done here and no longer is (reopened by another machine's
    start or reset) and one now done on a date before it was started (a state the CLI refuses).
    """
    if before is None or after is None:
        return []
    learner, roadmap = folder
    touched = arrived.touched.get(folder, {})
    others = arrived.others.get(folder, set())
    out: list[dict[str, Any]] = []
    for unit in sorted(set(before) | set(after)):
        was, now = before.get(unit), after.get(unit)
        if was == now:
            continue
        by = touched.get(unit, set())
        devices = sorted({d for d, _ in by} or others)  # an undo or import names no unit
        was_status = was.status if was is not None else None
        now_status = now.status if now is not None else None
        reopened = was_status == "done" and now_status != "done"
        reopened_by = sorted({d for d, op in by if op in ("start", "reset")}) if reopened else []
        backwards = (
            now is not None
            and now.completed_on is not None
            and now.started_on is not None
            and now.completed_on < now.started_on
        )
        was_backwards = (
            was is not None
            and was.completed_on is not None
            and was.started_on is not None
            and was.completed_on < was.started_on
        )
        out.append(
            {
                "learner": learner,
                "roadmap": roadmap,
                "unit": unit,
                "before": was_status,
                "after": now_status,
                "what": what_changed(was, now),
                "devices": [d for d in devices if d != me] or devices,
                "reopened": reopened,
                "reopened_by": reopened_by,
                "done_before_started": backwards and not was_backwards,
                "started_on": now.started_on.isoformat() if now is not None and now.started_on else None,
                "completed_on": now.completed_on.isoformat() if now is not None and now.completed_on else None,
            }
        )
    return out


_DATES = (("started_on", "start date"), ("completed_on", "completion date"), ("skipped_on", "skip date"),
          ("expires_on", "expiry date"))  # fmt: skip


def what_changed(was: Any, now: Any) -> list[str]:
    """What the merge changed in one record, in a few words each: its status, a date, notes or evidence added
    or removed (a note alone had read as 'not started -> not started')."""
    from aipm_cli.wording import count

    def status(rec: Any) -> str:
        return (rec.status if rec is not None else "not_started").replace("_", " ")

    said: list[str] = []
    if status(was) != status(now):
        said.append(f"{status(was)} -> {status(now)}")
    for key, words in _DATES:
        before, after = getattr(was, key, None), getattr(now, key, None)
        if before != after and before is not None and after is not None:
            said.append(f"{words} {before.isoformat()} -> {after.isoformat()}")
        elif before != after and status(was) == status(now):
            said.append(f"{words} {'set to ' + after.isoformat() if after else 'cleared'}")
    for key, word in (("notes", "note"), ("evidence", "evidence entry")):
        held = (len(getattr(was, key, ())) + getattr(was, f"earlier_{key}", 0)) if was is not None else 0
        holds = (len(getattr(now, key, ())) + getattr(now, f"earlier_{key}", 0)) if now is not None else 0
        if holds != held:
            said.append(f"{count(abs(holds - held), word)} {'added' if holds > held else 'removed'}")
    for key, words in (("skip_reason", "skip reason"), ("credential", "credential")):
        if getattr(was, key, None) != getattr(now, key, None):
            said.append(f"{words} changed")
    return said or ["details changed"]
