"""`aipm sync`: the same progress on every machine, with git as the engine.

The data directory itself is the git repository. What travels is what can
never conflict: each learner's change logs (a device only ever appends to its
own file; other log files are written once) and the learner's own roadmap
files (`roadmaps/`). What never travels: caches, backups, locks, the device
id (`device`) and the settings file (`config.json`, which mixes per-machine
choices such as the default learner with the weekly hours and the default
roadmap; one JSON file edited on two machines would conflict, so each
machine keeps its own).

One sync, all under a sync lock (`.git/aipm-sync.lock`):

1. recover from an interrupted sync (stale git lock files, a half-done merge);
2. under every learner's write lock: commit this device's new lines
   (complete lines only; a torn last line stays out) and changed roadmaps;
3. fetch; check what arrives before taking it: a log file may only have
   grown (what this device has is a byte prefix of it) and every new line
   must be a readable change; only log files, roadmap files and a few
   harmless top-level files may change; anything else is refused and
   nothing here changes;
4. under the write locks again: `git merge --no-edit` (a fast-forward when
   possible; never a rebase); a textual conflict is aborted;
5. push (never forced); a push rejected because another device pushed first
   goes back to 3, a few times.

After a kill: git lock files (`.git/index.lock`, ref locks) are removed
when no git process works in the data directory (seen in /proc on Linux;
elsewhere when the lock is over a minute old), else explained; an interrupted
merge is forgotten and the index reset to HEAD; files a merge half-wrote are
put back to HEAD's copy before the next merge, only when what is there is
part of what arrives. Only this device's own files (and migrations) are ever
committed by a sync, so a half-written file of another device never is.

A remote's history unrelated to this repository's is joined only until this
repository has completed one exchange with its remote (a machine set up
offline, or with local progress); after that it is refused as a replaced
remote. Schema-1 stores are migrated before committing, so they travel.
This machine's record of its syncs is `.git/aipm-sync.json` (never synced).

This module never prints and never exits: it raises `SyncError` (an
AipmError) and returns plain results. Git runs with a clean environment
(no prompts, no pager, C locale); its output goes to the `log` callback only.
Authentication is git's own; aipm never sees a password and strips any from
a remote URL before showing it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import AipmError

if TYPE_CHECKING:
    import subprocess

    from aipm_cli.record.provenance import Destructive

REMOTE = "origin"
DEFAULT_BRANCH = "main"
PUSH_ATTEMPTS = 5
LOCK_TIMEOUT = 60.0
STATE_FILE = "aipm-sync.json"  # inside .git: this machine's own record of its syncs, never synced
SYNC_LOCK = "aipm-sync.lock"
NETWORK_TIMEOUT = 600.0
LOCAL_TIMEOUT = 120.0
GIT_LOCK_WAIT = 10.0  # how long a git lock held by a running git is waited for
# The largest file a sync takes from a remote (README, "Use aipm on several machines"): a change
# log of 64 MB holds some 300,000 changes; a roadmap aipm itself reads is at most 10 MB.
MAX_LOG_BYTES = 64 << 20
MAX_ROADMAP_BYTES = 10 << 20
MAX_OTHER_BYTES = 1 << 20  # .gitignore, a README, a LICENSE
_LIMITS = {"log": MAX_LOG_BYTES, "roadmap": MAX_ROADMAP_BYTES, "other": MAX_OTHER_BYTES}
CHANGED_SHOWN = 8  # items other machines changed, named after a sync; the rest are counted

GITIGNORE = """\
# Written by `aipm sync init`. What travels between your machines: every
# learner's change logs (learners/*/*/changes/*.jsonl) and your own roadmaps
# (roadmaps/). What stays on each machine: everything below.
/cache/
/device
/config.json
/learners/*/backups/
/learners/*/progress.json
*.lock
.*.tmp
*.tmp
"""

_LEARNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # used with fullmatch
_ROADMAP_DIR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# A device's own log, an import it wrote, or a migration: the only names the record package writes.
_LOG_NAME = re.compile(r"^(?:migrated-[0-9a-f]{1,64}|[a-z0-9][a-z0-9-]{0,62}(?:\.import-[0-9a-f]{1,64})?)\.jsonl$")
_ROADMAP_FILE = re.compile(r"^[^./\x00-\x1f\x7f][^/\x00-\x1f\x7f]{0,200}\.(yaml|yml|json)$")
_TOP_LEVEL_OK = re.compile(r"^(\.gitignore|README(\.[A-Za-z]+)?|LICENSE(\.[A-Za-z]+)?)$")
_REGULAR = ("100644", "100755")
_URL_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s]*):[^/@\s]*@")
_GIT_LOCKS = ("index.lock", "HEAD.lock", "ORIG_HEAD.lock", "config.lock", "packed-refs.lock", "shallow.lock")


class SyncError(AipmError):
    """A sync that could not be done; the data directory is as it was (plus local commits it names)."""


class _Newer(SyncError):
    """A line written by a newer aipm: this machine's aipm is old, nothing on the remote is wrong."""


class GitMissing(SyncError):
    pass


class Unreachable(SyncError):
    """The remote could not be reached; this device's changes are committed locally."""


class UnsafeRepository(SyncError):
    """Git refuses the data directory's repository (owned by another user)."""


class DestructiveRefused(SyncError):
    """The remote brings destructive changes the learner has not accepted; nothing was merged."""

    def __init__(self, message: str, hint: str, found: list[Destructive]) -> None:
        super().__init__(message, hint)
        self.found = found


def safe_url(url: str) -> str:
    """A remote URL fit to show: any password removed."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}@" if m["user"] else m["scheme"], url)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# --------------------------------------------------------------------------- #
# Running git
# --------------------------------------------------------------------------- #

_DROP_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_EXTERNAL_DIFF",
    "GIT_DIFF_OPTS",
)

HOOKS_DIR = "aipm-no-hooks"  # inside .git: the empty folder core.hooksPath points to (no hook ever runs)
# aipm's own lines at the end of .git/info/attributes, the attributes file git ranks above every
# other: no filter driver, textconv or external diff, no line-ending or encoding conversion and
# only git's built-in text merge for anything in the data directory (see Repo.harden).
ATTRIBUTES_BEGIN = "# aipm: begin (written by aipm sync on every sync; lines after these would be overridden)"
ATTRIBUTES_END = "# aipm: end"
ATTRIBUTES = f"""{ATTRIBUTES_BEGIN}
* -filter -diff -text -eol -ident -working-tree-encoding merge=text
{ATTRIBUTES_END}
"""


class Git:
    """The system git, run in one data directory with a clean environment."""

    def __init__(self, root: Path, log: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.log = log
        self.seconds = 0.0  # time spent waiting for git (the benchmark's "git's share")
        env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
        env.update(
            GIT_TERMINAL_PROMPT="0",
            GIT_PAGER="cat",
            PAGER="cat",
            LC_ALL="C",
            LANGUAGE="C",
            GIT_EDITOR="true",
            GIT_MERGE_AUTOEDIT="no",
            # Never fall back to a repository around the data directory.
            GIT_CEILING_DIRECTORIES=str(root.parent),
        )
        self.env = env
        self.hooks = str(root / ".git" / HOOKS_DIR)

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        network: bool = False,
        extra: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[bytes]:
        import subprocess  # here, not at the top: `aipm status` imports this module for one line

        command = [
            "git",
            "-c",
            "core.autocrlf=false",
            "-c",
            "core.safecrlf=false",
            "-c",
            "core.quotepath=false",
            "-c",
            "color.ui=false",
            "-c",
            "advice.detachedHead=false",
            # Git on the learner's terms: nothing the repository's own configuration names runs
            # (no fsmonitor command, no hook; filters are switched off by .git/info/attributes).
            "-c",
            "core.fsmonitor=false",
            "-c",
            f"core.hooksPath={self.hooks}",
            "-c",
            "protocol.ext.allow=never",
            *extra,
            *args,
        ]
        started = time.perf_counter()
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["umask"] = 0o077  # files git writes are as private as aipm's own
        try:
            done = subprocess.run(
                command,
                cwd=self.root,
                env=self.env,
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=NETWORK_TIMEOUT if network else LOCAL_TIMEOUT,
                check=False,
                **kwargs,
            )
        except FileNotFoundError:
            raise GitMissing(
                "aipm sync needs git, and no `git` command was found on this machine.",
                "Install git (your package manager's `git` package, or https://git-scm.com/downloads) and try again.",
            ) from None
        except subprocess.TimeoutExpired:
            self.seconds += time.perf_counter() - started
            if network:
                raise Unreachable(f"git {args[0]} took too long.") from None
            raise SyncError(f"git {args[0]} did not finish in {LOCAL_TIMEOUT:.0f} s.") from None
        self.seconds += time.perf_counter() - started
        if done.returncode != 0 and b"dubious ownership" in done.stderr:
            raise UnsafeRepository(
                f"git refuses to work in {self.root}: that repository belongs to another user, and git treats"
                " such a repository as unsafe ('dubious ownership'). Nothing was changed.",
                f"If the data directory is yours, make it yours again (`chown -R` it to your user), or tell git you"
                f" trust it: `git config --global --add safe.directory {self.root}`; then run `aipm sync` again.",
            )
        if self.log is not None:
            shown = " ".join(safe_url(a) for a in ["git", *args])
            self.log(f"$ {shown}  (exit {done.returncode})")
            # Object contents and NUL-separated listings are data, not messages: left out.
            shown_out = done.stdout if len(done.stdout) < 4000 and b"\0" not in done.stdout else b""
            if args[0] == "cat-file":
                shown_out = b""
            for stream in (shown_out, done.stderr):
                text = safe_url(stream.decode("utf-8", "replace")).rstrip()
                if text:
                    self.log(text)
        if check and done.returncode != 0:
            raise SyncError(
                f"git {args[0]} failed: {first_line(done.stderr)}",
                "Run `aipm --debug sync` to see git's own messages.",
            )
        return done

    def text(self, *args: str) -> str:
        return self.run(*args).stdout.decode("utf-8", "replace").strip()

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def rev(self, name: str) -> str | None:
        done = self.run("rev-parse", "--verify", "-q", f"{name}^{{commit}}", check=False)
        return done.stdout.decode().strip() if done.returncode == 0 else None

    def tree(self, rev: str, *paths: str) -> dict[str, tuple[str, str, int]]:
        """path -> (mode, object id, size) of every file in a commit's tree."""
        done = self.run("ls-tree", "-r", "-l", "-z", "--full-tree", rev, "--", *paths)
        out: dict[str, tuple[str, str, int]] = {}
        for entry in done.stdout.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, _kind, oid, size = meta.split()
            out[path.decode("utf-8", "surrogateescape")] = (
                mode.decode(),
                oid.decode(),
                int(size) if size != b"-" else 0,
            )
        return out

    def blobs(self, oids: list[str]) -> dict[str, bytes]:
        """The contents of blobs, read with one `git cat-file --batch`."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        done = self.run("cat-file", "--batch", input="".join(f"{o}\n" for o in wanted).encode())
        data = done.stdout
        out: dict[str, bytes] = {}
        at = 0
        for oid in wanted:
            end = data.index(b"\n", at)
            header = data[at:end].split()
            if len(header) < 3:
                raise SyncError(f"git could not read object {oid}.")
            size = int(header[2])
            out[oid] = data[end + 1 : end + 1 + size]
            at = end + 1 + size + 1
        return out


def first_line(raw: bytes) -> str:
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line and not line.startswith("hint:"):
            return safe_url(line.removeprefix("fatal: ").removeprefix("error: "))[:300]
    return "no message"


# --------------------------------------------------------------------------- #
# What travels
# --------------------------------------------------------------------------- #


def classify(path: str) -> str | None:
    """'log', 'roadmap' or 'other' (a harmless top-level file) for a path that may travel; None otherwise."""
    parts = path.split("/")
    if len(parts) == 5 and parts[0] == "learners" and parts[3] == "changes":
        _, learner, roadmap, _, name = parts
        if (
            _learner_name(learner)
            and _ROADMAP_DIR.fullmatch(roadmap)
            and roadmap != "backups"
            and _LOG_NAME.fullmatch(name)
        ):
            return "log"
        return None
    if len(parts) == 2 and parts[0] == "roadmaps" and _ROADMAP_FILE.fullmatch(parts[1]):
        return "roadmap"
    if len(parts) == 1 and _TOP_LEVEL_OK.fullmatch(parts[0]):
        return "other"
    return None


def _learner_name(name: str) -> bool:
    """Whether a folder name is a learner name the rest of aipm accepts (`bob\\n` is not)."""
    from aipm_cli.paths import check_user_name

    if not _LEARNER.fullmatch(name):
        return False
    try:
        check_user_name(name)
    except AipmError:
        return False
    return True


def _log_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(repository path, file) of every change-log file in the data directory (regular files only)."""
    learners = root / "learners"
    try:
        people = sorted(os.scandir(learners), key=lambda e: e.name)
    except OSError:
        return
    for person in people:
        if not person.is_dir(follow_symlinks=False) or not _LEARNER.fullmatch(person.name):
            continue
        try:
            roadmaps = sorted(os.scandir(person.path), key=lambda e: e.name)
        except OSError:
            continue
        for roadmap in roadmaps:
            if not roadmap.is_dir(follow_symlinks=False) or roadmap.name == "backups":
                continue
            folder = os.path.join(roadmap.path, "changes")
            try:
                files = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in files:
                rel = f"learners/{person.name}/{roadmap.name}/changes/{entry.name}"
                if entry.is_file(follow_symlinks=False) and classify(rel) == "log":
                    yield rel, Path(entry.path)


def _roadmap_files(root: Path) -> Iterator[tuple[str, Path]]:
    try:
        entries = sorted(os.scandir(root / "roadmaps"), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        rel = f"roadmaps/{entry.name}"
        if entry.is_file(follow_symlinks=False) and classify(rel) == "roadmap":
            yield rel, Path(entry.path)


def _roadmap_folders(root: Path, extra: set[tuple[str, str]] = frozenset()) -> list[tuple[str, str]]:  # type: ignore[assignment]
    """(learner, roadmap) of every learner's roadmap folder here, plus `extra`."""
    found = set(extra)
    learners = root / "learners"
    try:
        people = list(os.scandir(learners))
    except OSError:
        people = []
    for person in people:
        if not person.is_dir(follow_symlinks=False) or not _LEARNER.fullmatch(person.name):
            continue
        try:
            for roadmap in os.scandir(person.path):
                if roadmap.is_dir(follow_symlinks=False) and roadmap.name != "backups":
                    if os.path.isdir(os.path.join(roadmap.path, "changes")):
                        found.add((person.name, roadmap.name))
        except OSError:
            continue
    return sorted(found)


def _blob_id(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _complete(data: bytes) -> bytes:
    """The complete lines of a log (a torn last line, from a crash mid-append, left out)."""
    cut = data.rfind(b"\n")
    return data[: cut + 1] if cut >= 0 else b""


def _new_lines(path: str, data: bytes, start: int, each: Callable[[dict[str, Any]], None] | None = None) -> int:
    """How many changes `data[start:]` holds (each told to `each`); SyncError when one is not a readable change."""
    from aipm_cli.record.changes import BadChange, NewerChange, parse

    count = 0
    number = data.count(b"\n", 0, start)
    for raw in data[start:].split(b"\n")[:-1]:
        number += 1
        if not raw.strip():
            continue
        try:
            change = parse(raw)
        except NewerChange as exc:
            raise _Newer(f"{path}, line {number} was written by a newer aipm: {exc}.") from None
        except BadChange as exc:
            raise SyncError(f"{path}, line {number} is not a readable change: {exc}.") from None
        if each is not None:
            each(change)
        count += 1
    return count


# --------------------------------------------------------------------------- #
# Locks and recovery
# --------------------------------------------------------------------------- #


@contextmanager
def _file_lock(path: Path, what: str) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=LOCK_TIMEOUT, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise SyncError(
            f"{what} is busy (waited {LOCK_TIMEOUT:.0f} s).", f"Try again; if no aipm is running, delete {path}."
        ) from None
    except OSError as exc:
        raise SyncError(f"Cannot lock {path}: {exc.strerror}.") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def learner_locks(
    root: Path,
    extra: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    *,
    create: bool = True,
) -> Iterator[None]:
    """Every learner's write lock (the one `aipm done` takes), in one order, so no write lands mid-commit.

    `extra` folders are locked too; without `create`, only those that exist already (a merge that
    brings a new learner or roadmap leaves nothing behind when it is refused).
    """
    from aipm_cli.paths import ensure_private_dir

    with ExitStack() as stack:
        for learner, roadmap in _roadmap_folders(root, extra):
            changes = root / "learners" / learner / roadmap / "changes"
            if not create and not changes.is_dir():
                continue
            try:
                ensure_private_dir(changes)
            except OSError as exc:
                raise SyncError(f"Cannot create {changes}: {exc.strerror}.") from None
            lock = Path(os.path.realpath(changes)).parent / "write.lock"
            stack.enter_context(_file_lock(lock, f"The progress of {learner} on {roadmap}"))
        yield


def _git_running_in(root: Path) -> bool | None:
    """Whether a git process is working in `root` (None: cannot tell on this system)."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    target = os.path.realpath(root)
    me = os.getpid()
    for entry in os.scandir(proc):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(os.path.join(entry.path, "comm"), "rb") as handle:
                name = handle.read().strip()
            if not name.startswith(b"git"):
                continue
            cwd = os.readlink(os.path.join(entry.path, "cwd"))
        except OSError:
            continue
        if cwd == target or cwd.startswith(target + os.sep):
            return True
    return False


def _stale_locks(git_dir: Path) -> list[Path]:
    found = [git_dir / name for name in _GIT_LOCKS if (git_dir / name).exists()]
    refs = git_dir / "refs"
    if refs.is_dir():
        found += sorted(p for p in refs.rglob("*.lock") if p.is_file())
    return found


def recover(git: Git, git_dir: Path) -> list[str]:
    """Clear what a killed sync left behind; returns what was done (for --debug)."""
    done: list[str] = []
    locks = _stale_locks(git_dir)
    # A git that outlived a killed aipm finishes on its own and removes its locks: give it a moment.
    deadline = time.monotonic() + GIT_LOCK_WAIT
    while locks and _git_running_in(git.root) and time.monotonic() < deadline:
        time.sleep(0.05)
        locks = _stale_locks(git_dir)
    if locks:
        running = _git_running_in(git.root)
        for lock in locks:
            try:
                age = time.time() - lock.stat().st_mtime
            except OSError:
                continue
            if running or (running is None and age < 60):
                raise SyncError(
                    f"Another git command is working in {git.root} ({lock.relative_to(git.root)} exists).",
                    f"Wait for it to finish and run `aipm sync` again. If no git is running, delete {lock}.",
                )
            try:
                lock.unlink()
                done.append(f"removed {lock.name}, left by a git that was stopped")
            except OSError as exc:
                raise SyncError(f"Cannot remove the stale git lock {lock}: {exc.strerror}.") from None
    # A merge that was interrupted: forget it; its files are settled by the next merge.
    for name in ("MERGE_HEAD", "MERGE_MODE", "MERGE_MSG", "AUTO_MERGE"):
        try:
            (git_dir / name).unlink()
            done.append(f"forgot an interrupted merge ({name})")
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise SyncError(f"Cannot remove {git_dir / name}: {exc.strerror}.") from None
    return done


# --------------------------------------------------------------------------- #
# Results and this machine's sync record
# --------------------------------------------------------------------------- #


@dataclass
class SyncResult:
    """What one `aipm sync` (or `sync init`) did."""

    data_dir: str
    device: str
    branch: str
    remote: str | None = None
    # learner -> changes this sync sent (all the remote lacked, an offline backlog too); before a push, committed
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
    # Items whose record other machines' changes changed here (see Repo.explain), in roadmap order.
    changed: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[Destructive] = field(default_factory=list)  # destructive changes taken (--accept-destructive)

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


def _read_state(git_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((git_dir / STATE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_state(git_dir: Path, data: dict[str, Any]) -> None:
    from aipm_cli.fs import atomic_write

    try:
        atomic_write(git_dir / STATE_FILE, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))
    except OSError:
        pass  # only --status reads it


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


# --------------------------------------------------------------------------- #
# The repository
# --------------------------------------------------------------------------- #


@dataclass
class _Change:
    """One path the remote changes, with the blobs involved."""

    path: str
    kind: str
    base: str | None  # object id in the merge base (None: not there)
    ours: str | None  # object id in our HEAD
    theirs: str | None  # object id in the remote's commit (None: deleted)


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
        self.git = Git(root, log)
        self._now = now or (lambda: datetime.now(UTC))
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
        done = self.git.run("config", "--get", f"remote.{REMOTE}.url", check=False)
        url = done.stdout.decode("utf-8", "replace").strip()
        return url or None

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

    def harden(self) -> None:
        """Git on the learner's terms: hooks from aipm's own empty folder, aipm's attributes ranked first.

        Every git command aipm runs already sets `core.fsmonitor=false` and `core.hooksPath` (see Git.run).
        Filters are switched off through `.git/info/attributes`, the attributes file git ranks above
        `.gitattributes` and `core.attributesFile`: aipm's line there, kept last, unsets `filter`, `diff`
        (so no textconv or external diff), `text`, `eol`, `ident` and `working-tree-encoding`, and names
        git's built-in text merge, for every path in the data directory. (A `-c filter.NAME.clean=` per
        configured filter would have to find every name, includes too; one attributes line needs none.)
        """
        from aipm_cli.fs import atomic_write, make_private_dir, read_regular_file

        hooks = self.git_dir / HOOKS_DIR
        try:
            if not hooks.is_symlink() and not hooks.exists():
                hooks.mkdir(mode=0o700)
            empty = hooks.is_dir() and not hooks.is_symlink() and not any(os.scandir(hooks))
        except OSError as exc:
            raise SyncError(f"Cannot make {hooks}: {exc.strerror}.") from None
        if not empty:
            raise SyncError(
                f"{hooks} is not an empty folder: aipm points git's hooks there, so that none runs during a sync.",
                f"Move {hooks} away (aipm makes it again) and run `aipm sync` again.",
            )
        info = self.git_dir / "info" / "attributes"
        try:
            make_private_dir(info.parent)
            old = read_regular_file(info, 1 << 20).decode("utf-8", "replace") if info.exists() else ""
        except (OSError, AipmError):
            raise SyncError(
                f"Cannot read {info}, where aipm switches git's filters off for its files.",
                "Make it a plain text file (or delete it) and run `aipm sync` again.",
            ) from None
        kept: list[str] = []
        inside = False
        for line in old.splitlines(keepends=True):
            if line.rstrip("\r\n") == ATTRIBUTES_BEGIN:
                inside = True
            elif inside and line.rstrip("\r\n") == ATTRIBUTES_END:
                inside = False
            elif not inside:
                kept.append(line)
        text = "".join(kept)
        if text and not text.endswith("\n"):
            text += "\n"
        text += ATTRIBUTES
        if text != old:
            try:
                atomic_write(info, text.encode("utf-8"), 0o600)
            except OSError as exc:
                raise SyncError(f"Cannot write {info}: {exc.strerror}.") from None

    # -- commit ------------------------------------------------------------- #

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
        own_prefixes = (f"{device}.jsonl", f"{device}.import-", "migrated-")
        candidates: list[tuple[str, Path, bytes]] = []
        for rel, path in _log_files(self.root):
            name = rel.rsplit("/", 1)[1]
            known = tracked.get(rel)
            if not everything and not name.startswith(own_prefixes):
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
            whole = _complete(data)
            if len(whole) <= len(before):
                continue  # only a torn last line is new
            count = _new_lines(str(path), whole, len(before))
            learner = rel.split("/")[1]
            sent[learner] = sent.get(learner, 0) + count
            if len(whole) == len(data):
                plain.append(rel)
            else:
                cut.append((rel, whole))
        roadmaps: list[str] = []
        present = set()
        for rel, path in _roadmap_files(self.root):
            present.add(rel)
            try:
                data = path.read_bytes()
            except OSError:
                continue
            known = tracked.get(rel)
            if known is None or known[1] != _blob_id(data):
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

    def _message(self, sent: dict[str, int], roadmaps: list[str], device: str) -> str:
        parts = []
        for index, (learner, count) in enumerate(sorted(sent.items())):
            parts.append(f"{plural(count, 'change')} by {learner}" if index == 0 else f"{count} by {learner}")
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
        for attempt in range(1, 4):
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
            if b"cannot lock ref" not in done.stderr or attempt == 3:
                break
            # A git left running by a killed sync is updating the same ref: it is done in a moment.
            time.sleep(0.3 * attempt)
        raise Unreachable(first_line(done.stderr))

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

    def incoming(self, theirs: str, base: str | None) -> list[_Change]:
        """Every path the merge would take from `theirs`, checked: SyncError when one is not allowed."""
        ours_tree = self.git.tree("HEAD") if self.git.rev("HEAD") else {}
        theirs_tree = self.git.tree(theirs)
        base_tree = self.git.tree(base) if base else {}
        found: list[_Change] = []
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
                        f"The remote {safe_url(self.remote_url() or '')} holds {path}, a file aipm does not sync:"
                        " it does not look like an aipm sync remote. Nothing was changed here.",
                        "Check the URL; point this machine at the right remote with"
                        f" `git -C {self.root} remote set-url {REMOTE} URL`, or at a new empty one, then `aipm sync`.",
                    )
                raise SyncError(
                    f"The remote changes {path}, a file aipm does not sync. Nothing was changed here.", _REFUSED_HINT
                )
            if now is not None and now[0] not in _REGULAR:
                raise SyncError(
                    f"The remote holds {path} as something other than a plain file. Nothing was changed here.",
                    _REFUSED_HINT,
                )
            if kind == "log" and now is None:
                raise SyncError(f"The remote deletes the change log {path}. Nothing was changed here.", _REFUSED_HINT)
            if now is not None and now[2] > _LIMITS[kind]:
                raise SyncError(
                    f"The remote's {path} is {now[2] / (1 << 20):.1f} MB, over the {_LIMITS[kind] >> 20} MB aipm"
                    f" takes for a {'change log' if kind == 'log' else 'roadmap' if kind == 'roadmap' else 'file'}."
                    " Nothing was changed here.",
                    "Remove or shrink that file on the remote (from the machine that added it), then sync again.",
                )
            mine = ours_tree.get(path)
            found.append(
                _Change(path, kind, was[1] if was else None, mine[1] if mine else None, now[1] if now else None)
            )
        return found

    def verify(self, changes: list[_Change], arrived: Arrived | None = None, *, related: bool = True) -> dict[str, int]:
        """Check every incoming log against what this device has; learner -> new changes it brings.

        What the new lines are (their devices, the units they touch, the destructive ones) goes to `arrived`.
        """
        import functools

        logs = [c for c in changes if c.kind == "log"]
        blobs = self.git.blobs([oid for c in logs for oid in (c.base, c.ours, c.theirs) if oid])
        received: dict[str, int] = {}
        device = self.device()
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
                    self._refuse_own(change.path, device, known=change.ours is not None, edited=edited)
                continue  # nothing in it is new here
            # Ours may be ahead of theirs only where theirs did not move (our own new lines):
            # lines of a file that arrive from elsewhere and that we also have mean two writers.
            behind = ours.startswith(theirs) and theirs == base
            if not theirs.startswith(base) or not (theirs.startswith(ours) or behind):
                raise SyncError(
                    f"The remote's copy of {change.path} was rewritten or cut short: change logs only ever grow."
                    " Nothing was changed here.",
                    _REFUSED_HINT,
                )
            if theirs and not theirs.endswith(b"\n"):
                raise SyncError(
                    f"The remote's copy of {change.path} ends in half a line. Nothing was changed here.", _REFUSED_HINT
                )
            if len(theirs) > len(ours):
                learner, roadmap = change.path.split("/")[1:3]
                each = None
                if arrived is not None:
                    each = functools.partial(arrived.note, (learner, roadmap), change.path)
                try:
                    count = _new_lines(f"The remote's {change.path}", theirs, len(ours), each)
                except _Newer as exc:
                    raise SyncError(
                        f"{exc.message} Nothing was changed here.",
                        "Another machine runs a newer aipm: upgrade aipm here (`pip install -U aipm-cli`),"
                        " then `aipm sync` again. Nothing on the remote needs fixing.",
                    ) from None
                except SyncError as exc:
                    raise SyncError(f"{exc.message} Nothing was changed here.", _REFUSED_HINT) from None
                received[learner] = received.get(learner, 0) + count
        return received

    def _refuse_own(self, path: str, device: str, *, known: bool, edited: bool = False) -> None:
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

    def clear_the_way(self, changes: list[_Change]) -> None:
        """Files the merge writes that differ from HEAD here (an interrupted merge left them): put HEAD's back.

        Only when what is here is part of what arrives (a prefix of it, or the same), so nothing is lost.
        """
        wanted = [c for c in changes if c.theirs]
        blobs = self.git.blobs([oid for c in wanted for oid in (c.ours, c.theirs) if oid])
        restore: list[str] = []
        for change in wanted:
            path = self.root / change.path
            try:
                here = path.read_bytes() if path.is_file() and not path.is_symlink() else None
            except OSError:
                here = None
            if not path.exists() and not path.is_symlink():
                if change.ours is not None:
                    restore.append(change.path)  # deleted here: HEAD's copy back, then the merge moves on
                continue
            ours = blobs.get(change.ours) if change.ours else None
            if here is not None and ours is not None and here == ours:
                continue
            theirs = blobs[change.theirs] if change.theirs else b""
            same_or_prefix = here is not None and (here == theirs or (change.kind == "log" and theirs.startswith(here)))
            if not same_or_prefix:
                raise SyncError(
                    f"{path} has changes here that are not committed and that the remote also changes.",
                    "Nothing was changed. Run `aipm sync` again; if this persists, look at the file with"
                    f" `git -C {self.root} diff -- {change.path}`.",
                )
            if change.ours is not None:
                restore.append(change.path)
            else:
                path.unlink()
        if restore:
            self.git.run("checkout", "-q", "HEAD", "--", *restore)

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
            path = self.root / "cache" / "state" / learner
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
        changes = self.incoming(theirs, base)
        arrived = Arrived()
        received = self.verify(changes, arrived, related=base is not None)
        # A destructive change only needs the learner's word where it can take progress here out of
        # effect: in a learner's roadmap this machine already holds changes of.
        here = {tuple(p.split("/")[1:3]) for p in (self.git.tree(head, "learners") if head else {})}
        risky = [d for folder, d in arrived.destructive if folder in here]
        if risky and not accept_destructive:
            raise DestructiveRefused(
                f"The remote brings {plural(len(risky), 'destructive change')} from other machines; nothing was"
                f" merged here:\n{listing(risky)}",
                "If that is what you (or your other machines) meant, take them with `aipm sync --accept-destructive`;"
                " if not, find out who wrote them before syncing.",
                risky,
            )
        folders = {(c.path.split("/")[1], c.path.split("/")[2]) for c in changes if c.kind == "log"}
        self.step("Merging", 3)
        with learner_locks(self.root, folders, create=False):
            # Only where this machine had progress to compare with (a machine that joins is told nothing).
            before = {folder: self._items(folder) if folder in here else None for folder in sorted(folders)}
            self.clear_the_way(changes)
            if head is None:
                self.git.run("merge", "--ff-only", "-q", theirs)
            else:
                self.merge(theirs, branch, unrelated=base is None)
            self.forget_caches(set(received) | {learner for learner, _ in folders})
            for folder in sorted(folders):
                if before[folder] is not None:
                    result.changed += self.explain(folder, before[folder], self._items(folder), arrived)
        result.accepted += risky
        for learner, count in received.items():
            result.received[learner] = result.received.get(learner, 0) + count
        result.roadmaps_received += [c.path.split("/", 1)[1] for c in changes if c.kind == "roadmap"]

    # -- what other machines changed ------------------------------------------ #

    def _aliases(self, roadmap_id: str) -> dict[str, str]:
        """The roadmap's aliases (renamed items), so the fold here is the one `aipm status` caches."""
        from aipm_cli.roadmap import finding

        try:
            found = finding.find(roadmap_id, self.root / "roadmaps", self.root / "cache")
            return dict(finding.load(finding.read_roadmap_bytes(found), roadmap_id, self.root / "cache").index.aliases)
        except (AipmError, OSError, ValueError):
            return {}

    def _items(self, folder: tuple[str, str]) -> dict[str, Any] | None:
        """unit -> record of one learner's roadmap as folded here (None: it cannot be folded)."""
        from aipm_cli.record.ledger import Ledger

        learner, roadmap = folder
        if not (self.root / "learners" / learner / roadmap / "changes").is_dir():
            return {}
        device = self.device()
        try:
            aliases = self._aliases(roadmap)
            return dict(Ledger(self.root, learner, roadmap, aliases, device=lambda: device).load().state.items)
        except (AipmError, OSError, ValueError):
            return None

    def explain(
        self,
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
        me = self.device()
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
                    "devices": [d for d in devices if d != me] or devices,
                    "reopened": reopened,
                    "reopened_by": reopened_by,
                    "done_before_started": backwards and not was_backwards,
                    "started_on": now.started_on.isoformat() if now is not None and now.started_on else None,
                    "completed_on": now.completed_on.isoformat() if now is not None and now.completed_on else None,
                }
            )
        return out

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
                # What went out: an offline backlog committed by earlier syncs too, not only this one's.
                result.sent = going
                if not self.git.ok("config", "--get", f"branch.{branch}.remote"):
                    self.git.run("config", f"branch.{branch}.remote", REMOTE)
                    self.git.run("config", f"branch.{branch}.merge", f"refs/heads/{branch}")
                return
            time.sleep(0.05 * attempt)
        raise SyncError(
            f"The remote kept moving: other devices pushed {PUSH_ATTEMPTS} times while this one tried."
            " This device's changes are committed here.",
            "Run `aipm sync` again in a moment.",
        )

    def outgoing(self, branch: str) -> dict[str, int]:
        """learner -> the changes HEAD holds that the remote branch (as just fetched) does not."""
        head = self.git.tree("HEAD", "learners")
        theirs = self.git.tree(self.tracking(branch), "learners") if self.git.rev(self.tracking(branch)) else {}
        out: dict[str, int] = {}
        for rel, (_mode, oid, size) in head.items():
            start = theirs[rel][2] if rel in theirs else 0
            if classify(rel) != "log" or size <= start:
                continue
            try:
                with open(self.root / rel, "rb") as handle:  # the log here begins with what HEAD holds
                    handle.seek(start)
                    data = handle.read(size - start)
            except OSError:
                data = b""
            if len(data) != size - start:
                data = self.git.blobs([oid])[oid][start:]
            count = data.count(b"\n")
            if count:
                learner = rel.split("/")[1]
                out[learner] = out.get(learner, 0) + count
        return out

    # -- migration of old stores --------------------------------------------- #

    def legacy_folders(self) -> set[tuple[str, str]]:
        """Roadmap folders a schema-1 store would write to when migrated."""
        from aipm_cli.record.migrate import read_legacy

        found: set[tuple[str, str]] = set()
        try:
            people = list(os.scandir(self.root / "learners"))
        except OSError:
            return found
        for person in people:
            store = Path(person.path) / "progress.json"
            if person.is_dir(follow_symlinks=False) and _LEARNER.fullmatch(person.name) and store.exists():
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


_REFUSED_HINT = (
    "Another device, or a hand edit, changed the remote in a way aipm cannot check. Restore the remote from a"
    " device that has the full logs (its `git push`), or ask for help; run with --debug to see git's messages."
)


# --------------------------------------------------------------------------- #
# The commands
# --------------------------------------------------------------------------- #


def _finish(repo: Repo, result: SyncResult, started: float, error: str | None) -> None:
    result.seconds = time.perf_counter() - started
    result.git_seconds = repo.git.seconds
    previous = _read_state(repo.git_dir)
    state = {
        "last_attempt": repo._now().isoformat(),
        "last_sync": previous.get("last_sync"),
        "received_at_last_sync": previous.get("received_at_last_sync", 0),
        "sent_at_last_sync": previous.get("sent_at_last_sync", 0),
        "last_error": error,
        # Whether this repository ever completed an exchange with its remote: until it has, the
        # remote's history may be joined even when unrelated (a machine set up offline).
        "joined": bool(previous.get("joined")) or (error is None and result.remote is not None),
    }
    if error is None:
        state.update(
            last_sync=state["last_attempt"],
            received_at_last_sync=sum(result.received.values()),
            sent_at_last_sync=sum(result.sent.values()),
        )
    _write_state(repo.git_dir, state)


@contextmanager
def _sync_lock(repo: Repo) -> Iterator[None]:
    with _file_lock(repo.git_dir / SYNC_LOCK, f"Another `aipm sync` in {repo.root}"):
        yield


def init(
    root: Path,
    remote: str | None = None,
    *,
    log: Callable[[str], None] | None = None,
    now: Callable[[], datetime] | None = None,
    accept_destructive: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> SyncResult:
    """Make the data directory a git repository (or use the one it is), commit what travels, join `remote`."""
    from aipm_cli.paths import ensure_private_dir

    started = time.perf_counter()
    repo = Repo(root, log=log, now=now)
    repo.progress = progress
    try:
        ensure_private_dir(root)
    except OSError as exc:
        raise SyncError(f"Cannot create {root}: {exc.strerror}.") from None
    created = not repo.exists()
    if created:
        repo.git.run("init", "-q")
        repo.git.run("symbolic-ref", "HEAD", f"refs/heads/{DEFAULT_BRANCH}")
    elif not repo.git_dir.is_dir():
        raise SyncError(f"{repo.git_dir} is not a folder; aipm sync needs the data directory to hold its own .git.")
    else:
        repo.check_safe()
        repo.check_only_ours()
    device = repo.device()
    result = SyncResult(str(root), device, DEFAULT_BRANCH, created=created)
    with _sync_lock(repo):
        result.recovered = recover(repo.git, repo.git_dir)
        repo.harden()
        existing = repo.remote_url()
        had_remote = existing is not None
        if remote is not None:
            if existing is None:
                repo.git.run("remote", "add", REMOTE, remote)
            elif existing != remote:
                raise SyncError(
                    f"This data directory already syncs with {safe_url(existing)}.",
                    f"To switch, run `git -C {root} remote set-url {REMOTE} URL`, then `aipm sync`.",
                )
        url = repo.remote_url()
        result.remote = safe_url(url) if url else None
        head = repo.git.rev("HEAD")
        reached: str | None = None
        remote_ignore = False
        if url and head is None:
            # Before the first commit: learn the remote's branch (and its .gitignore) so this
            # machine's first commit sits on the same branch.
            try:
                repo.fetch(None)
            except Unreachable as exc:
                reached = str(exc)
            branches = [
                ref.removeprefix(f"refs/remotes/{REMOTE}/")
                for ref in repo.git.text("for-each-ref", "--format=%(refname)", f"refs/remotes/{REMOTE}/").split()
            ]
            chosen = next((b for b in (DEFAULT_BRANCH, "master") if b in branches), branches[0] if branches else None)
            remote_ignore = False
            if chosen:
                repo.git.run("symbolic-ref", "HEAD", f"refs/heads/{chosen}")
                remote_ignore = repo.git.ok("cat-file", "-e", f"{repo.tracking(chosen)}:.gitignore")
                result.joined = True
        # Joining a remote that has a .gitignore: its copy arrives with the merge.
        if not (root / ".gitignore").exists() and not (head is None and url and remote_ignore):
            _write_gitignore(root, GITIGNORE.encode())
        result.branch = repo.branch()
        repo.step("Committing this machine's changes", 0)
        with learner_locks(root, repo.legacy_folders()):
            repo.migrate()
            sent, roadmaps = repo.commit_local(device, everything=head is None)
        result.sent, result.roadmaps_sent = sent, roadmaps
        if reached is not None:
            _finish(repo, result, started, reached)
            raise _unreachable(result, url or "", reached)
        if url is None:
            _finish(repo, result, started, None)
            return result
        try:
            never_joined = not _read_state(repo.git_dir).get("joined")
            repo.exchange(
                result.branch,
                result,
                unrelated_ok=created or not had_remote or never_joined,
                accept_destructive=accept_destructive,
            )
        except Unreachable as exc:
            _finish(repo, result, started, str(exc))
            raise _unreachable(result, url, str(exc)) from None
        except SyncError as exc:
            _finish(repo, result, started, exc.message)
            raise
        _finish(repo, result, started, None)
        return result


def _write_gitignore(root: Path, data: bytes) -> None:
    from aipm_cli.fs import atomic_write

    atomic_write(root / ".gitignore", data)


def _unreachable(result: SyncResult, url: str, reason: str) -> Unreachable:
    sent = sum(result.sent.values())
    kept = f"Committed {plural(sent, 'change')} here" if sent else "Nothing new to send from here"
    return Unreachable(
        f"Could not reach the remote {safe_url(url)}: {reason}. {kept}; nothing is lost.",
        "Run `aipm sync` again when the remote is reachable (`aipm --debug sync` shows git's messages).",
    )


def sync(
    root: Path,
    *,
    log: Callable[[str], None] | None = None,
    now: Callable[[], datetime] | None = None,
    accept_destructive: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> SyncResult:
    """Commit this device's new changes, fetch, check, merge and push.

    Destructive changes from other machines (record/provenance.py) in a learner's roadmap this
    machine holds changes of are refused (DestructiveRefused, nothing merged) unless `accept_destructive`.
    """
    started = time.perf_counter()
    repo = Repo(root, log=log, now=now)
    repo.progress = progress
    if not repo.git_dir.is_dir():
        raise SyncError(
            f"{root} is not set up for syncing yet.",
            "Run `aipm sync init REMOTE` (a git URL, or a path to a bare repository) first.",
        )
    repo.check_safe()  # before anything is written into a repository git would refuse
    with _sync_lock(repo):
        recovered = recover(repo.git, repo.git_dir)
        repo.harden()
        device = repo.device()
        result = SyncResult(str(root), device, repo.branch(), recovered=recovered)
        url = repo.remote_url()
        result.remote = safe_url(url) if url else None
        repo.step("Committing this machine's changes", 0)
        with learner_locks(root, repo.legacy_folders()):
            repo.migrate()
            result.sent, result.roadmaps_sent = repo.commit_local(device, everything=repo.git.rev("HEAD") is None)
        if url is None:
            _finish(repo, result, started, "no remote")
            sent = sum(result.sent.values())
            raise Unreachable(
                f"This data directory has no remote to sync with. Committed {plural(sent, 'change')} here;"
                " nothing is lost.",
                "Add one with `aipm sync init REMOTE` (a git URL, or a path to a bare repository).",
            )
        try:
            repo.exchange(
                result.branch,
                result,
                unrelated_ok=not _read_state(repo.git_dir).get("joined"),
                accept_destructive=accept_destructive,
            )
        except Unreachable as exc:
            _finish(repo, result, started, str(exc))
            raise _unreachable(result, url, str(exc)) from None
        except SyncError as exc:
            _finish(repo, result, started, exc.message)
            raise
        _finish(repo, result, started, None)
        return result


# --------------------------------------------------------------------------- #
# Status
# --------------------------------------------------------------------------- #


def _unpushed(git: Git, root: Path, branch: str) -> dict[str, int]:
    """learner -> complete lines here that the remote branch (as last fetched) does not hold."""
    ref = f"refs/remotes/{REMOTE}/{branch}"
    remote: dict[str, tuple[str, str, int]] = {}
    if git.rev(ref):
        remote = git.tree(ref, "learners")
    return _count_beyond(root, {path: size for path, (_m, _o, size) in remote.items()})


def _count_beyond(root: Path, sizes: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for rel, path in _log_files(root):
        start = sizes.get(rel, 0)
        try:
            if path.stat().st_size <= start:
                continue
            with open(path, "rb") as handle:
                handle.seek(start)
                count = 0
                while block := handle.read(1 << 20):
                    count += block.count(b"\n")
        except OSError:
            continue
        if count:
            learner = rel.split("/")[1]
            out[learner] = out.get(learner, 0) + count
    return out


def status(root: Path, *, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Where syncing stands here: remote, branch, changes not pushed, the last sync (no network)."""
    repo = Repo(root, log=log)
    if not repo.git_dir.is_dir():
        return {
            "data_dir": str(root),
            "set_up": False,
            "remote": None,
            "branch": None,
            "not_pushed": 0,
            "not_pushed_by_learner": {},
            "received_at_last_sync": 0,
            "last_sync": None,
            "last_error": None,
        }
    branch = repo.branch()
    url = repo.remote_url()
    unpushed = _unpushed(repo.git, root, branch)
    state = _read_state(repo.git_dir)
    return {
        "data_dir": str(root),
        "set_up": True,
        "remote": safe_url(url) if url else None,
        "branch": branch,
        "not_pushed": sum(unpushed.values()),
        "not_pushed_by_learner": dict(sorted(unpushed.items())),
        "received_at_last_sync": state.get("received_at_last_sync", 0),
        "last_sync": state.get("last_sync"),
        "last_error": state.get("last_error"),
    }


def unsynced_summary(root: Path) -> str | None:
    """One line for `aipm status` when a remote is set and changes here are not synced yet; else None.

    Cheap: no git at all unless the data directory holds a .git folder with a remote, then one
    `git ls-tree` (no network). Never raises.
    """
    try:
        git_dir = root / ".git"
        if not git_dir.is_dir():
            return None
        config = (git_dir / "config").read_text(encoding="utf-8", errors="replace")
        if f'[remote "{REMOTE}"]' not in config:
            return None
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: refs/heads/"):
            return None
        branch = head.removeprefix("ref: refs/heads/")
        ref = f"refs/remotes/{REMOTE}/{branch}"
        sizes: dict[str, int] = {}
        if (git_dir / ref).exists() or ref.encode() in _packed_refs(git_dir):
            git = Git(root)
            done = git.run("ls-tree", "-r", "-l", "-z", "--full-tree", ref, "--", "learners", check=False)
            if done.returncode != 0:
                return None
            for entry in done.stdout.split(b"\0"):
                if entry:
                    meta, _, path = entry.partition(b"\t")
                    size = meta.split()[3]
                    sizes[path.decode("utf-8", "surrogateescape")] = int(size) if size != b"-" else 0
        count = sum(_count_beyond(root, sizes).values())
    except (OSError, ValueError, IndexError, AipmError):
        return None
    if not count:
        return None
    return f"{plural(count, 'change')} not synced yet: run `aipm sync`."


def _packed_refs(git_dir: Path) -> bytes:
    try:
        return (git_dir / "packed-refs").read_bytes()
    except OSError:
        return b""
