"""How many changes here are not synced yet: for `aipm status` (one line, cheap: no git at all
unless the data directory has a remote, then one `git ls-tree`, no network) and `aipm sync --status`."""

from __future__ import annotations

from pathlib import Path

from aipm_cli import wording
from aipm_cli.errors import AipmError
from aipm_cli.sync.git import REMOTE, Git
from aipm_cli.sync.policy import log_files, own_log


def count_unpushed(git: Git, root: Path, branch: str) -> dict[str, int]:
    """learner -> complete lines here that the remote branch (as last fetched) does not hold."""
    ref = f"refs/remotes/{REMOTE}/{branch}"
    remote: dict[str, tuple[str, str, int]] = {}
    if git.rev(ref):
        remote = git.tree(ref, "learners")
    return _count_beyond(root, {path: size for path, (_m, _o, size) in remote.items()})


def _count_beyond(root: Path, sizes: dict[str, int]) -> dict[str, int]:
    """learner -> lines here beyond what the remote holds, in the logs this device would send: its own,
    and any the remote does not have. Another device's log that grew here is never sent (sync refuses
    a log another machine wrote that changed here), so it is not counted as waiting."""
    from aipm_cli.paths import Layout

    try:
        own = Layout(root).device_file.read_text(encoding="utf-8").strip()
    except OSError:
        own = ""
    out: dict[str, int] = {}
    for rel, path in log_files(root):
        if own and rel in sizes and not own_log(path.name, own):
            continue
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
    return f"{wording.count(count, 'change')} not synced yet: run `aipm sync`."


def _packed_refs(git_dir: Path) -> bytes:
    try:
        return (git_dir / "packed-refs").read_bytes()
    except OSError:
        return b""
