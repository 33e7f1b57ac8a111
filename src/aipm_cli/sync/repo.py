"""One data directory as a git repository: commit this device's new lines, fetch, merge, push."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from aipm_cli import wording
from aipm_cli.errors import AipmError
from aipm_cli.paths import Layout
from aipm_cli.sync.arriving import Arrived, explain, incoming, items_here, twin_hint, verify
from aipm_cli.sync.counting import Span, Tally
from aipm_cli.sync.errors import DestructiveRefused, SyncError, Unreachable
from aipm_cli.sync.git import REMOTE, Git, first_line, mend_remote_head, remote_url, safe_url
from aipm_cli.sync.locks import learner_locks
from aipm_cli.sync.policy import (
    LEARNER_FOLDER,
    blob_id,
    case_twin_among,
    classify,
    complete_lines,
    folders_here,
    learner_folders,
    log_files,
    new_lines,
    own_log,
    roadmap_files,
)
from aipm_cli.sync.recovery import clear_the_way
from aipm_cli.sync.result import SyncResult

PUSH_ATTEMPTS = 5  # rounds of fetch, check, merge and push while other devices push first
FETCH_ATTEMPTS = 3  # fetches while a git here holds the remote branch's ref
SYNC_STEPS = 5  # commit, fetch, check, merge, send


class Repo:
    """One data directory as a git repository."""

    def __init__(
        self,
        root: Path,
        *,
        log: Callable[[str], None] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.root = root
        self.git_dir = root / ".git"
        self.layout = Layout(root)
        self.git = Git(root, log)
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self._identity: tuple[str, ...] = ()
        # Told (what, step, steps) as a sync goes: a caller's progress display (a first sync of a long
        # history takes a while).
        self.progress: Callable[[str, int, int | None], None] | None = None

    def step(self, what: str, number: int) -> None:
        if self.progress is not None:
            self.progress(what, number, SYNC_STEPS)

    # -- facts -------------------------------------------------------------- #

    def exists(self) -> bool:
        return self.git_dir.exists()

    def device(self) -> str:
        from aipm_cli.record.ledger import device_id

        return device_id(self.root)

    def remote_url(self) -> str | None:
        return remote_url(self.git)

    def branch(self) -> str:
        done = self.git.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
        name = done.stdout.decode().strip()
        if done.returncode != 0 or not name:
            raise SyncError(
                f"{self.root} is a git repository whose HEAD is not on a branch.",
                f"Check out the branch aipm should sync (git -C {self.root} checkout main) and try again.",
            )
        return name

    def tracking(self, branch: str) -> str:
        return f"refs/remotes/{REMOTE}/{branch}"

    def check_safe(self) -> None:
        """UnsafeRepository when git refuses this repository (owned by another user); else nothing."""
        self.git.run("rev-parse", "--git-dir", check=False)

    def check_only_ours(self) -> None:
        """SyncError when the repository already tracks files aipm does not sync (a folder that was a git
        repository of its own): pushed, they would make every other machine refuse the remote."""
        if self.git.rev("HEAD") is None:
            return
        others = sorted(path for path in self.git.tree("HEAD") if classify(path) is None)
        if others:
            listed = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            raise SyncError(
                f"{self.root} is already a git repository that holds files aipm does not sync ({listed})."
                " Nothing was committed or pushed.",
                "Give aipm a data directory of its own (set AIPM_HOME to an empty folder), or move those files"
                " and the .git folder out of this one, then run `aipm sync init` again.",
            )

    def commit_local(self, device: str, *, everything: bool = False) -> tuple[dict[str, int], list[str]]:
        """Commit this device's new complete lines and changed roadmaps (hold the learner locks).

        With `everything`, every log file here counts as this device's (the first commit of a data
        directory). Returns (learner -> changes committed, roadmap files committed).
        """
        head = self.git.rev("HEAD")
        if head:
            # The index may hold what an interrupted merge or commit staged: start from HEAD.
            self.git.run("reset", "-q")
        tracked = self.git.tree(head, "learners", "roadmaps", ".gitignore") if head else {}
        candidates: list[tuple[str, Path, bytes]] = []
        for rel, path in log_files(self.root):
            name = rel.rsplit("/", 1)[1]
            known = tracked.get(rel)
            if not everything and not own_log(name, device):
                # Another device's file: only a merge changes it (one an interrupted merge left
                # half-written is settled by the next merge, never committed as ours).
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if known is not None and size == known[2]:
                continue
            if known is not None and size < known[2]:
                raise SyncError(
                    f"{path} is shorter than the copy already synced: change logs only ever grow.",
                    f"Nothing was synced. Bring the synced copy back with `git -C {self.root} checkout -- {rel}`.",
                )
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise SyncError(f"Cannot read {path}: {exc.strerror}.") from None
            candidates.append((rel, path, data))
        self._refuse_case_twins(tracked, [rel for rel, _, _ in candidates])
        committed = self.git.blobs([tracked[rel][1] for rel, _, _ in candidates if rel in tracked])
        sent: dict[str, int] = {}
        plain: list[str] = []
        cut: list[tuple[str, bytes]] = []
        for rel, path, data in candidates:
            before = committed.get(tracked[rel][1], b"") if rel in tracked else b""
            if not data.startswith(before):
                raise SyncError(
                    f"{path} was changed where it had already been synced: change logs only ever grow.",
                    f"Nothing was synced. Copy the file aside (lines added since the last sync are only there),"
                    f" then bring the synced copy back with `git -C {self.root} checkout -- {rel}`.",
                )
            whole = complete_lines(data)
            if len(whole) <= len(before):
                continue  # only a torn last line is new
            count = new_lines(str(path), whole, len(before))
            learner = rel.split("/")[1]
            sent[learner] = sent.get(learner, 0) + count
            if len(whole) == len(data):
                plain.append(rel)
            else:
                cut.append((rel, whole))
        roadmaps: list[str] = []
        present = set()
        for rel, path in roadmap_files(self.root):
            present.add(rel)
            try:
                data = path.read_bytes()
            except OSError:
                continue
            known = tracked.get(rel)
            if known is None or known[1] != blob_id(data):
                plain.append(rel)
                roadmaps.append(rel.split("/", 1)[1])
        removed = [rel for rel in tracked if classify(rel) == "roadmap" and rel not in present]
        roadmaps += [rel.split("/", 1)[1] for rel in removed]
        if ".gitignore" not in tracked and (self.root / ".gitignore").is_file():
            plain.append(".gitignore")
        if not plain and not cut and not removed:
            return {}, []
        if plain or removed:
            payload = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in plain + removed)
            self.git.run("update-index", "--add", "--remove", "-z", "--stdin", input=payload)
        for rel, whole in cut:
            oid = self.git.run("hash-object", "-w", "--stdin", input=whole).stdout.decode().strip()
            self.git.run("update-index", "--add", "--cacheinfo", f"100644,{oid},{rel}")
        if head and self.git.ok("diff", "--cached", "--quiet", "--no-ext-diff", "--no-textconv"):
            return {}, []
        self._commit(self._message(sent, roadmaps, device))
        return sent, roadmaps

    def _refuse_case_twins(self, tracked: dict[str, tuple[str, str, int]], candidates: list[str]) -> None:
        """SyncError, before anything is committed, when a learner folder not committed yet differs only in case
        from another: here, or on the remote as last fetched (macOS and Windows keep both in one folder)."""
        from aipm_cli.paths import join_or_part

        new = learner_folders(candidates) - learner_folders(tracked)
        if not new:
            return
        remote: set[str] = set()
        for ref in self.git.text("for-each-ref", "--format=%(refname)", f"refs/remotes/{REMOTE}/").split():
            remote |= learner_folders(self.git.tree(ref, "learners"))
        here = folders_here(self.root)
        pair = case_twin_among(new, here | learner_folders(tracked) | remote)
        if pair is None:
            return
        name, other = pair
        pair_named = (
            f"The learners '{name}' and '{other}' here"
            if other in here
            else f"The learner '{name}' here and the learner '{other}' on the remote"
        )
        raise SyncError(
            f"{pair_named} differ only in case: macOS and Windows keep both in one folder, where their progress"
            f" would mix, so '{name}' is not synced. Nothing was committed or pushed.",
            join_or_part(name, other) + f" ('{name}' has not been synced, so it may be renamed or removed.)"
            if other in here
            else twin_hint(name, other, synced=False),
        )

    def _message(self, sent: dict[str, int], roadmaps: list[str], device: str) -> str:
        parts = []
        for index, (learner, count) in enumerate(sorted(sent.items())):
            parts.append(f"{wording.count(count, 'change')} by {learner}" if index == 0 else f"{count} by {learner}")
        if roadmaps:
            parts.append(f"{'roadmap' if len(roadmaps) == 1 else 'roadmaps'} {', '.join(sorted(roadmaps))}")
        return f"aipm: {', '.join(parts) or 'start syncing'} on {device}"

    def _commit(self, message: str) -> None:
        args = ("commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message)
        done = self.git.run(*args, extra=self._identity, check=False)
        if done.returncode != 0 and b"tell me who you are" in done.stderr.lower() + done.stdout.lower():
            # No git identity on this machine: sign aipm's commits with the device.
            self._identity = ("-c", "user.name=aipm", "-c", f"user.email=aipm@{self.device()}.invalid")
            done = self.git.run(*args, extra=self._identity, check=False)
        if done.returncode != 0:
            raise SyncError(
                f"git commit failed: {first_line(done.stderr or done.stdout)}",
                "Run `aipm --debug sync` to see git's own messages.",
            )

    # -- remote ------------------------------------------------------------- #

    def fetch(self, branch: str | None) -> None:
        """Fetch the remote branch (all branches when `branch` is None); Unreachable when it cannot."""
        refspec = (
            f"+refs/heads/{branch}:{self.tracking(branch)}" if branch else f"+refs/heads/*:refs/remotes/{REMOTE}/*"
        )
        # --prune: after `git remote set-url`, what the old remote held must not stand for the new one's.
        for attempt in range(1, FETCH_ATTEMPTS + 1):
            done = self.git.run(
                "fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head", REMOTE, refspec,
                check=False, network=True,
            )  # fmt: skip
            if done.returncode == 0:
                return
            if b"couldn't find remote ref" in done.stderr:
                # An empty remote, or one where nobody pushed this branch yet: a remote-tracking ref
                # left from another remote (the URL changed) would read as its history; it goes.
                if branch and self.git.rev(self.tracking(branch)):
                    self.git.run("update-ref", "-d", self.tracking(branch), check=False)
                return
            if b"cannot lock ref" not in done.stderr:
                raise Unreachable(first_line(done.stderr))
            if attempt < FETCH_ATTEMPTS:
                # A git left running by a killed sync is updating the same ref: it is done in a moment.
                time.sleep(0.3 * attempt)
        # The remote was reached: a git here holds the ref (or left its lock file behind).
        raise SyncError(
            f"git fetch could not update this machine's copy of the remote branch: another git holds its lock"
            f" ({first_line(done.stderr)}), still after {wording.count(FETCH_ATTEMPTS, 'try')}."
            " Nothing was changed here.",
            f"Wait for any git working in {self.root} to finish and run `aipm sync` again; if none is running,"
            " delete the lock file named above first.",
        )

    def push(self, branch: str) -> str:
        """'ok', 'rejected' (someone pushed first) or raises Unreachable."""
        done = self.git.run(
            "push", "--porcelain", "--no-verify", REMOTE, f"HEAD:refs/heads/{branch}", check=False, network=True
        )
        if done.returncode == 0:
            return "ok"
        out = done.stdout + done.stderr
        if b"[rejected]" in out or b"non-fast-forward" in out or b"fetch first" in out:
            return "rejected"
        if b"failed to update ref" in out or b"cannot lock ref" in out:
            return "rejected"  # another device's push held the branch at that moment
        if b"[remote rejected]" in out:
            line = next((x for x in out.decode("utf-8", "replace").splitlines() if "remote rejected" in x), "")
            raise SyncError(f"The remote refused the push: {safe_url(line.strip())[:200]}.")
        raise Unreachable(first_line(done.stderr))

    # -- checking what arrives ---------------------------------------------- #

    # -- merging ---------------------------------------------------------- #

    def merge(self, theirs: str, branch: str, *, unrelated: bool) -> None:
        message = f"aipm: join the changes from {REMOTE}/{branch} on {self.device()}"
        args = ["merge", "--no-edit", "--no-verify", "--no-gpg-sign", "--no-verify-signatures", "--ff", "-q"]
        args += ["-m", message]
        if unrelated:
            args.append("--allow-unrelated-histories")
        done = self.git.run(*args, theirs, extra=self._identity, check=False)
        if done.returncode != 0 and b"tell me who you are" in done.stderr.lower() + done.stdout.lower():
            self._identity = ("-c", "user.name=aipm", "-c", f"user.email=aipm@{self.device()}.invalid")
            self._abort_merge()
            done = self.git.run(*args, theirs, extra=self._identity, check=False)
        if done.returncode == 0:
            return
        listed = self.git.run("diff", "--name-only", "--no-ext-diff", "--diff-filter=U", check=False)
        conflicted = listed.stdout.decode().split()
        self._abort_merge()
        if conflicted:
            raise SyncError(
                f"The remote's {conflicted[0]} conflicts with this machine's copy: it was edited by hand on both"
                " sides. Nothing was changed here.",
                f"Make this machine's copy the same as the remote's (`git -C {self.root} show"
                f" {REMOTE}/{self.branch()}:{conflicted[0]}` shows it) and run `aipm sync` again;"
                " then make the edit you want on one machine only.",
            )
        raise SyncError(
            f"git merge failed: {first_line(done.stderr or done.stdout)}. Nothing was changed here.",
            "Run `aipm --debug sync` to see git's own messages.",
        )

    def _abort_merge(self) -> None:
        if (self.git_dir / "MERGE_HEAD").exists():
            self.git.run("merge", "--abort", check=False)

    def forget_caches(self, learners: set[str]) -> None:
        """Derived state of learners who received changes is folded again on its next read."""
        import shutil

        for learner in learners:
            path = self.layout.state_cache(learner, old=True)
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError:
                pass

    # -- one round: fetch, check, merge ------------------------------------- #

    def take_remote(
        self, branch: str, result: SyncResult, *, unrelated_ok: bool = False, accept_destructive: bool = False
    ) -> None:
        """Fetch, check and merge the remote branch (the write locks are taken for the merge only)."""
        from aipm_cli.record.provenance import listing

        self.step("Fetching from the remote", 1)
        self.fetch(branch)
        theirs = self.git.rev(self.tracking(branch))
        if theirs is None:
            return
        head = self.git.rev("HEAD")
        if head and self.git.ok("merge-base", "--is-ancestor", theirs, head):
            return  # nothing new
        base = None
        if head:
            done = self.git.run("merge-base", head, theirs, check=False)
            base = done.stdout.decode().strip() or None
            if base is None and not unrelated_ok:
                raise SyncError(
                    f"The remote {safe_url(self.remote_url() or '')} holds a history unrelated to this data"
                    " directory's. Nothing was changed here.",
                    "Was the remote replaced? Point this machine at the right one with"
                    f" `git -C {self.root} remote set-url {REMOTE} URL`.",
                )
        self.step("Checking what arrived", 2)
        changes = incoming(self.git, theirs, base)
        arrived = Arrived()
        tallies = verify(self.git, self.device(), changes, arrived, related=base is not None)
        held = self.git.tree(head, "learners") if head else {}
        received = {learner: tally.new_to(self.spans(held, learner)) for learner, tally in tallies.items()}
        # A destructive change only needs the learner's word where it can take progress here out of
        # effect: in a learner's roadmap this machine already holds changes of.
        here = {tuple(p.split("/")[1:3]) for p in held}
        risky = [d for folder, d in arrived.destructive if folder in here]
        if risky and not accept_destructive:
            raise DestructiveRefused(
                f"The remote brings {wording.count(len(risky), 'destructive change')} from other machines; nothing was"
                f" merged here:\n{listing(risky)}",
                "If that is what you (or your other machines) meant, take them with `aipm sync --accept-destructive`;"
                " if not, find out who wrote them before syncing.",
                risky,
            )
        folders = {(c.path.split("/")[1], c.path.split("/")[2]) for c in changes if c.kind == "log"}
        self.step("Merging", 3)
        with learner_locks(self.root, folders, create=False):
            # Only where this machine had progress to compare with (a machine that joins is told nothing).
            before = {
                folder: items_here(self.root, self.device(), folder) if folder in here else None
                for folder in sorted(folders)
            }
            clear_the_way(self.git, changes)
            if head is None:
                self.git.run("merge", "--ff-only", "-q", theirs)
            else:
                self.merge(theirs, branch, unrelated=base is None)
            self.forget_caches(set(received) | {learner for learner, _ in folders})
            for folder in sorted(folders):
                if before[folder] is not None:
                    result.changed += explain(
                        self.device(), folder, before[folder], items_here(self.root, self.device(), folder), arrived
                    )
        result.accepted += risky
        for learner, count in received.items():
            if count:  # only copies of changes held here (an import's): nothing new for this learner
                result.received[learner] = result.received.get(learner, 0) + count
        result.roadmaps_received += [c.path.split("/", 1)[1] for c in changes if c.kind == "roadmap"]

    # -- what other machines changed ------------------------------------------ #

    def exchange(
        self, branch: str, result: SyncResult, *, unrelated_ok: bool = False, accept_destructive: bool = False
    ) -> None:
        """Fetch, check, merge and push until the push lands (a few tries)."""
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            result.attempts = attempt
            self.take_remote(branch, result, unrelated_ok=unrelated_ok, accept_destructive=accept_destructive)
            if self.git.rev("HEAD") is None:
                return  # nothing anywhere yet
            going = self.outgoing(branch)
            self.step("Sending", 4)
            outcome = self.push(branch)
            if outcome == "ok":
                result.pushed = True
                mend_remote_head(self.git, self.remote_url(), branch)  # a bare repository made without -b main
                # What went out: an offline backlog committed by earlier syncs too, not only this one's.
                result.sent = going
                if not self.git.ok("config", "--get", f"branch.{branch}.remote"):
                    self.git.run("config", f"branch.{branch}.remote", REMOTE)
                    self.git.run("config", f"branch.{branch}.merge", f"refs/heads/{branch}")
                return
            time.sleep(0.05 * attempt)
        raise SyncError(
            f"The remote kept moving: other devices pushed {wording.count(PUSH_ATTEMPTS, 'time')} while this one tried."
            " This device's changes are committed here.",
            "Run `aipm sync` again in a moment.",
        )

    def outgoing(self, branch: str) -> dict[str, int]:
        """learner -> the changes HEAD holds that the remote branch (as just fetched) does not (counting.py:
        distinct changes, by id, in none of the remote's files of that learner)."""
        head = self.git.tree("HEAD", "learners")
        theirs = self.git.tree(self.tracking(branch), "learners") if self.git.rev(self.tracking(branch)) else {}
        tallies: dict[str, Tally] = {}
        for rel, (_mode, oid, size) in head.items():
            start = theirs[rel][2] if rel in theirs else 0
            if classify(rel) != "log" or size <= start:
                continue
            # The log here begins with what HEAD holds, and HEAD's copy with what the remote holds.
            tallies.setdefault(rel.split("/")[1], Tally()).read(self._span(rel, start, size, oid))
        # What the remote holds, read here: HEAD's copy of each file begins with it.
        held = {rel: (mode, head.get(rel, (mode, oid, size))[1], size) for rel, (mode, oid, size) in theirs.items()}
        out: dict[str, int] = {}
        for learner, tally in tallies.items():
            count = tally.new_to(self.spans(held, learner))
            if count:
                out[learner] = count
        return out

    def spans(self, tree: dict[str, tuple[str, str, int]], learner: str) -> list[Span]:
        """The log files of `learner` in `tree` (path -> mode, object id, size), each read from here."""
        prefix = f"learners/{learner}/"
        return [
            self._span(rel, 0, size, oid)
            for rel, (_mode, oid, size) in tree.items()
            if rel.startswith(prefix) and classify(rel) == "log"
        ]

    def _span(self, rel: str, start: int, end: int, oid: str) -> Span:
        return Span(rel, start, end, file=self.root / rel, blob=lambda: self.git.blobs([oid])[oid])

    # -- migration of old stores --------------------------------------------- #

    def legacy_folders(self) -> set[tuple[str, str]]:
        """Roadmap folders a schema-1 store would write to when migrated."""
        from aipm_cli.record.migrate import read_legacy

        found: set[tuple[str, str]] = set()
        try:
            people = list(os.scandir(self.layout.learners))
        except OSError:
            return found
        for person in people:
            if not person.is_dir(follow_symlinks=False) or not LEARNER_FOLDER.fullmatch(person.name):
                continue
            store = self.layout.store(person.name, old=True)
            if store.exists():
                try:
                    doc = read_legacy(store)
                except AipmError:
                    # Unreadable: left untouched and not synced; that learner's own commands say why.
                    if self.git.log is not None:
                        self.git.log(f"not migrating {store}: it cannot be read")
                    continue
                if doc is not None:
                    found |= {(person.name, roadmap) for roadmap in doc.roadmaps}
        return found

    def migrate(self) -> None:
        """Turn schema-1 stores into change logs so they travel (hold the learner locks)."""
        from aipm_cli.record.migrate import migrate_store

        for learner in sorted({learner for learner, _ in self.legacy_folders()}):
            try:
                migrate_store(self.root, learner, progress=self.progress)
            except AipmError:
                continue  # unreadable after all: left untouched, as above
