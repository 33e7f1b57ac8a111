"""Hostile places: devices, FIFOs, sockets, symlinks, umasks, shared folders (issue 14).

Device nodes are made by the test with mknod in its own temporary folder,
and only when running as root; the system's /dev is never touched.
"""

from __future__ import annotations

import os
import socket
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from aipm_cli.errors import StoreError
from aipm_cli.fs import atomic_write, make_private_dir, read_private_file, write_output
from conftest import Run

as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def char_device(folder: Path, name: str, major: int, minor: int) -> Path:
    path = folder / name
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    return path


# --------------------------------------------------------------------------- #
# Never replace what is not a regular file
# --------------------------------------------------------------------------- #


@as_root
def test_export_into_a_null_device_writes_into_it_and_keeps_it(run: Run, tmp_path: Path) -> None:
    null = char_device(tmp_path, "null", 1, 3)
    result = run("export", "-o", str(null))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert os.lstat(null).st_rdev == os.makedev(1, 3)
    assert not list(tmp_path.glob(".null.*"))  # no temporary file left beside it


@as_root
def test_export_into_a_full_device_is_a_clean_error_and_keeps_it(run: Run, tmp_path: Path) -> None:
    full = char_device(tmp_path, "full", 1, 7)
    result = run("export", "-o", str(full))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Cannot write {full}: No space left on device.")
    assert stat.S_ISCHR(os.lstat(full).st_mode)


@as_root
def test_plan_ics_into_a_device_keeps_it(run: Run, tmp_path: Path) -> None:
    null = char_device(tmp_path, "cal.ics", 1, 3)
    result = run("plan", "--ics", str(null))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)


@pytest.mark.parametrize("args", [("export", "-o"), ("plan", "--ics")])
def test_a_fifo_is_written_into_like_cat_does(run: Run, tmp_path: Path, args: tuple[str, str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    result = run(*args, str(fifo))
    thread.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0]
    expected = b"BEGIN:VCALENDAR" if args[0] == "plan" else b"# "
    assert received[0].startswith(expected)


def test_a_socket_is_refused_and_kept(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "s.md"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        result = run("export", "-o", str(path))
    finally:
        server.close()
    assert result.exit_code == 1
    assert "it is a socket" in result.stderr
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_dash_is_stdout(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("export", "-o", "-", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.startswith("id,title,kind")
    assert not (tmp_path / "-").exists()
    # every format: the report is printed, as without -o, and no "Wrote ... to -." line follows
    for fmt in ("md", "html", "json", "csv"):
        dashed, plain = run("export", "-o", "-", "--format", fmt), run("export", "--format", fmt)
        assert dashed.exit_code == 0 and dashed.stdout == plain.stdout, fmt
        assert "Wrote" not in dashed.stderr, (fmt, dashed.stderr)
    default = run("export", "-o", "-")
    assert default.stdout.startswith("# ") and "Wrote" not in default.stderr  # Markdown, the default
    assert not (tmp_path / "-").exists()


def test_an_existing_file_keeps_its_mode(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o600)
    assert run("export", "-o", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().startswith("# ")


def test_a_symlink_is_written_through_and_its_target_keeps_its_mode(run: Run, tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert run("export", "-o", str(link)).exit_code == 0
    assert link.is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert real.read_text().startswith("# ")


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o027, 0o640)])
def test_a_new_file_gets_the_mode_the_umask_allows(run: Run, tmp_path: Path, mask: int, mode: int) -> None:
    target = tmp_path / "new.md"
    with umask(mask):
        assert run("export", "-o", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_write_output_units(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    with pytest.raises(Exception, match="is a folder"):
        write_output(folder, b"x")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "made-by-the-write")
    write_output(dangling, b"x")
    assert dangling.is_symlink() and (tmp_path / "made-by-the-write").read_bytes() == b"x"


# --------------------------------------------------------------------------- #
# aipm's own files: private, atomic, never over a special file
# --------------------------------------------------------------------------- #


def test_atomic_write_refuses_a_fifo_and_keeps_it(tmp_path: Path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    with pytest.raises(StoreError, match="it is a FIFO"):
        atomic_write(fifo, b"{}")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_atomic_write_is_private_whatever_the_umask(tmp_path: Path) -> None:
    with umask(0):
        atomic_write(tmp_path / "f", b"x")
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o600


def test_atomic_write_can_replace_a_link_instead_of_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "cache.json"
    link.symlink_to(victim)
    atomic_write(link, b"new", follow_symlinks=False)
    assert victim.read_text() == "keep"
    assert not link.is_symlink() and link.read_bytes() == b"new"


def test_config_refuses_to_replace_a_fifo(run: Run, home: Path) -> None:
    home.mkdir()
    os.mkfifo(home / "config.json", 0o600)
    result = run("config", "hours_per_week", "5")
    assert result.exit_code == 1
    assert stat.S_ISFIFO(os.lstat(home / "config.json").st_mode)


def test_make_private_dir_makes_every_missing_folder_0700(tmp_path: Path) -> None:
    with umask(0):
        make_private_dir(tmp_path / "a" / "b" / "c")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with umask(0o277):
        make_private_dir(tmp_path / "x")
    assert stat.S_IMODE((tmp_path / "x").stat().st_mode) == 0o700


def test_make_private_dir_never_changes_an_existing_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    make_private_dir(shared)
    make_private_dir(shared / "mine")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "mine").stat().st_mode) == 0o700


def test_everything_aipm_creates_is_private_under_umask_000(run: Run, home: Path, tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_bytes((Path(__file__).parent.parent / "roadmap" / "ai-product-manager.yaml").read_bytes())
    with umask(0):
        for args in (
            ("done", "ai-for-everyone", "--note", "n"),
            ("config", "hours_per_week", "6"),
            ("status",),
            ("--roadmap", str(own), "status"),
            ("done", "ai-for-everyone", "--evidence", "e"),
            ("undo",),
        ):
            result = run(*args)
            assert result.exit_code == 0, (args, result.stderr)
    seen = 0
    for folder, _dirs, files in os.walk(home):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
        for name in files:
            seen += 1
            assert stat.S_IMODE(os.stat(Path(folder) / name).st_mode) == 0o600, name
    assert seen >= 4
    assert {p.name for p in home.iterdir()} >= {"learners", "cache", "config.json"}


def test_config_keeps_the_mode_of_an_existing_data_directory(run: Run, home: Path) -> None:
    home.mkdir()
    home.chmod(0o1777)  # a shared folder: sticky, everyone may write
    assert run("config", "hours_per_week", "5").exit_code == 0
    assert run("done", "ai-for-everyone").exit_code == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o1777
    assert stat.S_IMODE((home / "learners").stat().st_mode) == 0o700


def test_read_private_file_ignores_what_others_could_have_planted(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_bytes(b"ok")
    good.chmod(0o600)
    assert read_private_file(good) == b"ok"
    assert read_private_file(good, limit=1) is None
    good.chmod(0o622)
    assert read_private_file(good) is None
    good.chmod(0o600)
    link = tmp_path / "link"
    link.symlink_to(good)
    assert read_private_file(link) is None
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    assert read_private_file(fifo) is None  # and it does not wait for a writer
    if os.geteuid() == 0:
        os.chown(good, 12345, 12345)
        assert read_private_file(good) is None
