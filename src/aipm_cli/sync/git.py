"""Running the system git for a sync: a clean environment, no prompt, no pager, C locale, and nothing
the repository's own configuration names ever runs (no hook, no fsmonitor, no filter).

Git's output goes to a `log` callback only (`aipm --debug sync`); a password in a remote URL is
stripped before anything is shown.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import AipmError
from aipm_cli.sync.errors import GitMissing, SyncError, Unreachable, UnsafeRepository

if TYPE_CHECKING:
    import subprocess

REMOTE = "origin"
NETWORK_TIMEOUT = 600.0
LOCAL_TIMEOUT = 120.0
_URL_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s]*):[^/@\s]*@")


def safe_url(url: str) -> str:
    """A remote URL fit to show: any password removed."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}@" if m["user"] else m["scheme"], url)


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
# only git's built-in text merge for anything in the data directory (see harden).
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


def harden(git_dir: Path) -> None:
    """Git on the learner's terms: hooks from aipm's own empty folder, aipm's attributes ranked first.

    Every git command aipm runs already sets `core.fsmonitor=false` and `core.hooksPath` (see Git.run).
    Filters are switched off through `.git/info/attributes`, the attributes file git ranks above
    `.gitattributes` and `core.attributesFile`: aipm's line there, kept last, unsets `filter`, `diff`
    (so no textconv or external diff), `text`, `eol`, `ident` and `working-tree-encoding`, and names
    git's built-in text merge, for every path in the data directory. (A `-c filter.NAME.clean=` per
    configured filter would have to find every name, includes too; one attributes line needs none.)
    """
    from aipm_cli.fs import atomic_write, make_private_dir, read_regular_file

    hooks = git_dir / HOOKS_DIR
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
    info = git_dir / "info" / "attributes"
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


def remote_url(git: Git) -> str | None:
    """The URL of the remote aipm syncs with (None: none set)."""
    done = git.run("config", "--get", f"remote.{REMOTE}.url", check=False)
    url = done.stdout.decode("utf-8", "replace").strip()
    return url or None


def local_folder(url: str, root: Path) -> Path | None:
    """The folder a remote URL names when it is a path on this machine (git's rule: no `scheme://`,
    no scp-like `host:path`), or a file:// URL; None for a hosted remote."""
    if url.startswith("file://"):
        from urllib.parse import unquote

        return Path(unquote(url[len("file://") :]))
    if "://" in url:
        return None
    if not re.match(r"[A-Za-z]:[\\/]", url) and ":" in url.split("/", 1)[0]:
        return None  # host:path, ssh
    path = Path(url).expanduser()
    return path if path.is_absolute() else root / path


def mend_remote_head(git: Git, url: str | None, branch: str) -> bool:
    """Point a bare repository on disk at the branch just pushed, when its HEAD names a branch it does not
    have: plain `git init --bare` leaves HEAD at `master` while aipm pushes `main`, so a plain `git clone`
    of it checks out nothing and a fetch of its HEAD fails. Hosted remotes are left alone (their default
    branch is the host's setting). True when HEAD was moved."""
    folder = local_folder(url, git.root) if url else None
    if folder is None or not (folder / "HEAD").is_file() or not (folder / "objects").is_dir():
        return False  # not a bare repository here (a non-bare one keeps its own checkout's HEAD)
    there = ("--git-dir", str(folder))
    head = git.run("symbolic-ref", "-q", "HEAD", check=False, extra=there).stdout.decode("utf-8", "replace").strip()
    if not head.startswith("refs/heads/") or head == f"refs/heads/{branch}":
        return False
    if git.run("rev-parse", "--verify", "-q", head, check=False, extra=there).returncode == 0:
        return False  # HEAD names a branch that exists: someone chose it
    return git.run("symbolic-ref", "HEAD", f"refs/heads/{branch}", check=False, extra=there).returncode == 0
