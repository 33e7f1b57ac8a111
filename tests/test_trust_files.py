"""A record that defends itself (issue 22): files, settings, names, full disks and read-only places.

Every hostile file is built by the test inside its own temporary folder: FIFOs
with os.mkfifo, "endless" files as huge sparse files (read in a child process
whose address space is capped, so a reader that tries to read it all fails
fast instead of eating the machine's memory). A full disk and a read-only data
directory are simulated by wrapping the os-level calls for paths under the
data directory (tests run as root, so chmod alone would not stop a write).
"""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from aipm_cli.errors import InputError
from conftest import Run, log_bytes

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "roadmap" / "ai-product-manager.yaml"
MEMORY_CAP = 1536 * 1024 * 1024  # a child aipm's address space: far below what reading a sparse file whole needs
SPARSE = 8 * 1024 * 1024 * 1024  # "endless": 8 GB of holes


def aipm(
    home: Path, *args: str, env: dict[str, str] | None = None, cap: bool = False
) -> subprocess.CompletedProcess[str]:
    """aipm in a child process (a reader that waits on a FIFO must not take the test run with it).

    The timeout only stops a child that hangs, so that the test fails instead of waiting forever;
    nothing here measures time.
    """

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    full_env = {**os.environ, "AIPM_HOME": str(home), **(env or {})}
    try:
        return subprocess.run(
            [sys.executable, "-m", "aipm_cli", *args], capture_output=True, text=True, env=full_env,
            timeout=60, preexec_fn=limit if cap else None, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"aipm {' '.join(args)} hung (it waited on a file it should have refused)")


def one_clear_error(result: Any, *needles: str) -> str:
    """An error the learner can act on: exit 1, one or two lines, no traceback, no 'unexpected'."""
    code = result.returncode if hasattr(result, "returncode") else result.exit_code
    err = result.stderr
    assert code == 1, (code, err)
    assert "unexpected" not in err and "Traceback" not in err, err
    assert 1 <= len(err.strip().splitlines()) <= 3, err
    for needle in needles:
        assert needle in err, (needle, err)
    return str(err)


# --------------------------------------------------------------------------- #
# The device file
# --------------------------------------------------------------------------- #


def test_a_fifo_as_the_device_file_is_refused_at_once(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    logs = log_bytes(home / "learners" / "ada" / "ai-product-manager" / "changes")
    (home / "device").unlink()
    os.mkfifo(home / "device", 0o600)
    result = aipm(home, "done", "user-research")
    one_clear_error(result, str(home / "device"), "FIFO")
    assert aipm(home, "status").returncode == 0  # reading needs no device id
    assert log_bytes(home / "learners" / "ada" / "ai-product-manager" / "changes") == logs


def test_a_device_file_that_is_a_link_is_refused(home: Path, tmp_path: Path) -> None:
    home.mkdir()
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe, 0o600)
    (home / "device").symlink_to(pipe)
    one_clear_error(aipm(home, "done", "user-research"), str(home / "device"), "symbolic link")
    # A link to a file that happens to look like a device id is not read either: it may be anyone's file.
    secret = tmp_path / "secret"
    secret.write_text("0123456789abcdef\n")
    (home / "device").unlink()
    (home / "device").symlink_to(secret)
    one_clear_error(aipm(home, "done", "user-research"), "symbolic link")
    assert not (home / "learners" / "ada" / "ai-product-manager" / "changes" / "0123456789abcdef.jsonl").exists()


def test_an_endless_device_file_is_refused_without_reading_it(home: Path) -> None:
    home.mkdir()
    with open(home / "device", "wb") as handle:
        handle.truncate(SPARSE)
    one_clear_error(aipm(home, "done", "user-research", cap=True), str(home / "device"), "larger than")


# --------------------------------------------------------------------------- #
# An old (schema-1) progress.json
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("args", [("status",), ("done", "ai-for-everyone"), ("doctor",), ("cohort", "report", "HOME")])
def test_a_fifo_as_the_old_store_is_a_clean_error(home: Path, args: tuple[str, ...]) -> None:
    folder = home / "learners" / "ada"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "progress.json", 0o600)
    result = aipm(home, *[str(home) if a == "HOME" else a for a in args])
    assert result.returncode == 1, result.stderr
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
    said = result.stdout + result.stderr  # (doctor reports on stdout)
    assert "progress.json" in said and "FIFO" in said, said
    assert (folder / "progress.json").is_fifo()  # left as it is


def test_an_endless_old_store_is_refused_without_reading_it(home: Path) -> None:
    folder = home / "learners" / "ada"
    folder.mkdir(parents=True)
    with open(folder / "progress.json", "wb") as handle:
        handle.truncate(SPARSE)
    one_clear_error(aipm(home, "status", cap=True), "progress.json", "larger than")


# --------------------------------------------------------------------------- #
# Own roadmap files, and caches aipm wrote itself
# --------------------------------------------------------------------------- #


def test_an_endless_own_roadmap_file_is_listed_as_unreadable_not_read(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    (home / "roadmaps").mkdir()
    with open(home / "roadmaps" / "big.yaml", "wb") as handle:
        handle.truncate(SPARSE)
    result = aipm(home, "roadmap", "list", "--json", cap=True)
    assert result.returncode == 0, result.stderr
    listed = {ref["id"]: ref for ref in json.loads(result.stdout)}
    assert "larger than" in str(listed["big"])
    assert aipm(home, "status", cap=True).returncode == 0


def test_a_fifo_planted_as_a_refused_roadmap_note_is_not_read(run: Run, home: Path) -> None:
    (home / "roadmaps").mkdir(parents=True)
    (home / "roadmaps" / "broken.yaml").write_text("id: broken\nphases: [\n")
    assert run("roadmap", "list").exit_code == 0  # the refusal is noted in the cache once
    notes = list((home / "cache" / "roadmaps").glob("*.invalid"))
    assert len(notes) == 1
    notes[0].unlink()
    os.mkfifo(notes[0], 0o600)
    result = aipm(home, "roadmap", "list")
    assert result.returncode == 0, result.stderr
    assert "broken" in result.stdout


def test_an_endless_calendar_cache_is_not_read(run: Run, home: Path, tmp_path: Path) -> None:
    assert run("plan", "--ics", str(tmp_path / "a.ics")).exit_code == 0
    state = home / "cache" / "calendar" / "ada.json"
    assert state.is_file()
    state.unlink()
    with open(state, "wb") as handle:
        handle.truncate(SPARSE)
    state.chmod(0o600)
    result = aipm(home, "plan", "--ics", str(tmp_path / "b.ics"), cap=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")


# --------------------------------------------------------------------------- #
# Writes never follow a link planted at aipm's own paths
# --------------------------------------------------------------------------- #


def test_config_write_replaces_a_planted_link_and_never_writes_through_it(run: Run, home: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text('{"roadmap": "keep-me"}\n')
    outside.chmod(0o644)
    home.mkdir()
    (home / "config.json").symlink_to(outside)
    assert run("config", "hours_per_week", "6").exit_code == 0
    assert outside.read_text() == '{"roadmap": "keep-me"}\n'
    assert oct(outside.stat().st_mode & 0o777) == "0o644"
    assert not (home / "config.json").is_symlink()
    assert json.loads((home / "config.json").read_text())["hours_per_week"] == 6


def test_cache_write_replaces_a_planted_link_and_never_writes_through_it(run: Run, home: Path, tmp_path: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    cache = home / "cache" / "state" / "ada" / "ai-product-manager.json"
    assert cache.is_file()
    outside = tmp_path / "root-owned.conf"
    outside.write_text("important\n")
    cache.unlink()
    cache.symlink_to(outside)
    assert run("start", "user-research").exit_code == 0
    assert run("status").exit_code == 0
    assert outside.read_text() == "important\n"
    assert not cache.is_symlink()


def test_a_link_planted_at_a_lock_is_refused_never_written_through(run: Run, home: Path, tmp_path: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    outside = tmp_path / "outside"
    outside.write_text("important\n")
    lock = home / "learners" / "ada" / "ai-product-manager" / "write.lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(outside)
    (home / "config.json.lock").unlink(missing_ok=True)
    (home / "config.json.lock").symlink_to(outside)
    one_clear_error(run("done", "user-research"), "symbolic link", "delete the link")
    one_clear_error(run("config", "hours_per_week", "5"), "symbolic link", "delete the link")
    assert outside.read_text() == "important\n"
    lock.unlink()
    assert run("done", "user-research").exit_code == 0


def test_atomic_write_never_follows_a_link_by_default(tmp_path: Path) -> None:
    from aipm_cli.fs import atomic_write

    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "own.json"
    link.symlink_to(victim)
    atomic_write(link, b"new")
    assert victim.read_text() == "keep"
    assert not link.is_symlink() and link.read_bytes() == b"new"


# --------------------------------------------------------------------------- #
# Tab completion reads the roadmap like status does
# --------------------------------------------------------------------------- #

BOMB = """\
id: bomb
title: Bomb
version: "1"
x0: &a0 {id: a-item, title: A, kind: topic}
x1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
x2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
x3: &a3 [{id: a-module, title: M, items: *a2}, {id: a-module, title: M, items: *a2}]
x4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
phases:
  - {id: a-phase, title: P, modules: *a4}
  - {id: a-phase, title: P, modules: *a4}
  - {id: a-phase, title: P, modules: *a4}
  - {id: a-phase, title: P, modules: *a4}
  - {id: a-phase, title: P, modules: *a4}
  - {id: a-phase, title: P, modules: *a4}
  - {id: a-phase, title: P, modules: *a4}
  - {id: a-phase, title: P, modules: *a4}
"""


def test_completion_refuses_an_alias_bomb_like_status(run: Run, home: Path, tmp_path: Path) -> None:
    from aipm_cli.completion import candidates

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    assert len(BOMB) < 3000
    assert run("--roadmap", str(bomb), "status").exit_code == 1  # status refuses it
    home.mkdir(exist_ok=True)
    assert candidates(["--roadmap", str(bomb), "done", "a-"], 3) == []
    assert candidates(["--roadmap", str(bomb), "list", "--phase", "a"], 4) == []
    # A valid roadmap file still completes, without the cache.
    own = tmp_path / "own.yaml"
    own.write_text(BUNDLED.read_text())
    assert ("ai-for-everyone", "AI for Everyone") in candidates(["--roadmap", str(own), "done", "ai-for-e"], 3)


def test_completion_refuses_an_invalid_roadmap(home: Path, tmp_path: Path) -> None:
    from aipm_cli.completion import candidates

    home.mkdir()
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nversion: '1'\nphases:\n  - {id: Not A Slug, title: P, modules: []}\n")
    assert candidates(["--roadmap", str(bad), "start", ""], 3) == []


def test_completion_never_waits_on_a_fifo_settings_file(home: Path) -> None:
    home.mkdir()
    os.mkfifo(home / "config.json", 0o600)
    env = {"_AIPM_COMPLETE": "bash", "_AIPM_CWORD": "2"}
    result = aipm(home, "done", "ai-for-e", env=env)
    assert result.returncode == 0 and "ai-for-everyone" in result.stdout


# --------------------------------------------------------------------------- #
# Settings: bounded on write and on read
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value", ["0.001", "0.0005", "0.49", "100.5", "1e400", "nan", "inf", "0"])
def test_config_refuses_hours_out_of_bounds(run: Run, home: Path, value: str) -> None:
    result = run("config", "hours_per_week", value)
    assert result.exit_code == 2, result.stderr  # a value that cannot be used: a usage error (README, exit codes)
    assert "hours a week is out of range" in result.stderr and "from 0.5 to 100" in result.stderr
    assert "unexpected" not in result.stderr
    assert not (home / "config.json").exists()


@pytest.mark.parametrize("value", ["0.5", "100", "7.5"])
def test_config_takes_hours_within_bounds(run: Run, run_json: Callable[..., Any], value: str) -> None:
    assert run("config", "hours_per_week", value).exit_code == 0
    assert run_json("config")["hours_per_week"] == float(value)
    assert run("plan").exit_code == 0


@pytest.mark.parametrize("value", ["0.0001", "0.4", "1000"])
def test_plan_refuses_hours_out_of_bounds_as_a_usage_error(run: Run, value: str) -> None:
    result = run("plan", "--hours-per-week", value)
    assert result.exit_code == 2, result.stderr
    assert "hours a week is out of range" in result.stderr and "unexpected" not in result.stderr


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ({"hours_per_week": 0.0005}, "hours_per_week"),
        ({"hours_per_week": "lots"}, "hours_per_week"),
        ({"hours_per_week": 1e308}, "hours_per_week"),
        ({"user": "bob\n"}, "user"),
        ({"roadmap": "  "}, "roadmap"),
        ({"links": "javascript:alert(1)"}, "links"),
        ({"name": "x" * 500}, "name"),
    ],
)
def test_a_bad_stored_setting_is_a_warning_and_the_default_is_used(
    run: Run, home: Path, stored: dict[str, Any], key: str
) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    (home / "config.json").write_text(json.dumps({**stored, "from_a_newer_aipm": 1}))
    for args in (
        ("status",),
        ("export",),
        ("plan",),
        ("status", "--json"),
        ("plan", "--json"),
        ("done", "user-research"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
        warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
        assert len(warnings) == 1 and key in warnings[0] and "config.json" in warnings[0], (args, result.stderr)
        if "--json" in args:
            json.loads(result.stdout)  # stdout stays pure JSON
    assert not (home / "learners" / "bob\n").exists()
    assert run("status", "--json").exit_code == 0
    shown = json.loads(run("config", "--json").stdout)
    assert shown[key] == {"hours_per_week": 8, "roadmap": "ai-product-manager"}.get(key)  # the default is in effect
    doctor = run("doctor")
    assert doctor.exit_code == 1 and key in doctor.stdout + doctor.stderr
    assert json.loads((home / "config.json").read_text())["from_a_newer_aipm"] == 1  # nothing was rewritten
    # Setting it again mends it.
    good = {"hours_per_week": "6", "user": "ada", "roadmap": "ai-product-manager", "links": "https://a.example",
            "name": "Ada"}[key]  # fmt: skip
    assert run("config", key, good).exit_code == 0
    assert "Warning" not in run("status").stderr


def test_a_bad_stored_hours_value_no_longer_crashes_the_forecast(run: Run, home: Path) -> None:
    home.mkdir()
    (home / "config.json").write_text('{"hours_per_week": 0.0005}')
    result = run("plan", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["hours_per_week"] == 8


def test_config_values_are_unit_checked() -> None:
    from aipm_cli.config import MAX_HOURS_PER_WEEK, MIN_HOURS_PER_WEEK, parse_value

    assert (MIN_HOURS_PER_WEEK, MAX_HOURS_PER_WEEK) == (0.5, 100)
    assert parse_value("hours_per_week", "0.5") == 0.5
    for bad in ("0.4999", "inf", "-inf", "nan", "100.01"):
        with pytest.raises(InputError):
            parse_value("hours_per_week", bad)


# --------------------------------------------------------------------------- #
# Names end at the end of the text, not before a trailing newline
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", ["bob\n", "ada\n", "x\r", "bob\n\n"])
def test_a_name_with_a_trailing_newline_is_refused(name: str) -> None:
    from aipm_cli.paths import check_user_name

    with pytest.raises(InputError, match="not a usable learner name"):
        check_user_name(name)


def test_no_learner_folder_gets_a_newline_in_its_name(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    # (a name that cannot be used is a usage error, exit 2, wherever it is given)
    for result in (
        run("--user", "bob\n", "done", "ai-for-everyone"),
        run("users", "rename", "ada", "bob\n"),
        run("export", "--format", "json", "-o", str(home / "export.json")),
    ):
        if result.exit_code != 0:
            assert result.exit_code in (1, 2) and "not a usable learner name" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    imported = run("import", str(home / "export.json"), "--user", "bob\n")
    assert imported.exit_code in (1, 2) and "not a usable learner name" in imported.stderr
    refused = run("config", "user", "bob\n")
    assert refused.exit_code == 2 and "not a usable learner name" in refused.stderr  # a value that cannot be used
    assert sorted(p.name for p in (home / "learners").iterdir()) == ["ada"]


def test_a_roadmap_id_with_a_trailing_newline_is_refused(run: Run, tmp_path: Path) -> None:
    text = BUNDLED.read_text().replace("id: ai-product-manager\n", 'id: "ai-product-manager\\n"\n', 1)
    assert text != BUNDLED.read_text()
    (tmp_path / "nl.yaml").write_text(text)
    result = run("roadmap", "validate", str(tmp_path / "nl.yaml"))
    assert result.exit_code == 1


def test_a_backup_folder_name_with_a_newline_is_not_taken_for_a_learner() -> None:
    from aipm_cli.learners import backup_user as _backup_user

    assert _backup_user("learner-ada-20261124T100000") == "ada"
    assert _backup_user("learner-ada-20261124T100000-2") == "ada"
    assert _backup_user("learner-bob-20261124T100000\n") != "bob"


# --------------------------------------------------------------------------- #
# A full disk and a read-only data directory
# --------------------------------------------------------------------------- #


def _inside(path: Any, home: Path) -> bool:
    if isinstance(path, int):
        try:
            path = os.readlink(f"/proc/self/fd/{path}")
        except OSError:
            return False
    try:
        text = os.fsdecode(path)
    except TypeError:
        return False
    return os.path.abspath(text).startswith(str(home) + os.sep) or os.path.abspath(text) == str(home)


@contextmanager
def disk_full(monkeypatch: pytest.MonkeyPatch, home: Path, *, torn: bool = True) -> Iterator[None]:
    """Every write into a file under `home` fails with ENOSPC (after writing half of what it was given,
    as a real full disk does with a short write)."""
    real_write = os.write

    def write(fd: int, data: Any) -> int:
        if _inside(fd, home):
            half = len(data) // 2 if torn else 0
            if half:
                real_write(fd, bytes(data)[:half])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # what a buffered write left in memory fails here (as delayed allocation does)
        if _inside(fd, home) and not os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", write)
        patch.setattr(os, "fsync", fsync)
        yield


@contextmanager
def read_only(monkeypatch: pytest.MonkeyPatch, home: Path) -> Iterator[None]:
    """The data directory as on a read-only mount: reading works, every change fails with EROFS."""
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    real_open = os.open

    def refuse(*paths: Any) -> None:
        if any(_inside(p, home) for p in paths):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(paths[0]))

    def fake_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
        if flags & writing:
            refuse(path)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def wrap(name: str, count: int) -> Callable[..., Any]:
        real = getattr(os, name)

        def fake(*args: Any, **kwargs: Any) -> Any:
            refuse(*args[:count])
            return real(*args, **kwargs)

        return fake

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", fake_open)
        for name, count in (("mkdir", 1), ("rename", 2), ("replace", 2), ("unlink", 1), ("rmdir", 1),
                            ("chmod", 1), ("symlink", 2), ("link", 2), ("truncate", 1)):  # fmt: skip
            patch.setattr(os, name, wrap(name, count))
        yield


def _ours(home: Path) -> dict[str, bytes]:
    """Every change-log line of every learner: what must survive."""
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*.jsonl"))}


WRITES = [
    ("done", "user-research"),
    ("start", "user-research", "--note", "n"),
    ("note", "ai-for-everyone", "a note"),
    ("assess", "product-management", "3"),
    ("undo",),
    ("skip", "user-research"),
    ("config", "hours_per_week", "6"),
    ("roadmap", "use", "ai-product-manager"),
    ("doctor", "--rebuild"),
    ("users", "rename", "ada", "ada2"),
    ("users", "remove", "ada", "--yes"),
]


@pytest.mark.parametrize("args", WRITES, ids=lambda a: "-".join(a[:2]))
def test_a_full_disk_is_one_clear_sentence_and_nothing_is_lost(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    assert run("done", "ai-for-everyone", "--note", "mine").exit_code == 0
    before = _ours(home)
    with disk_full(monkeypatch, home):
        first = run(*args)
        second = run(*args)  # after a first failure too
        third = run("done", "user-research")
        status = run("status")
    for result in (first, second):
        assert result.exit_code in (0, 1), result.stderr
        assert "unexpected" not in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) <= 3, result.stderr
        if result.exit_code and (result is first or first.exit_code):  # (a rename needs no space: then it is done)
            assert "No space left on device" in result.stderr, result.stderr
    one_clear_error(third, "No space left on device")
    assert "unexpected" not in status.stderr
    after = _ours(home)
    for name, data in before.items():  # every line the learner had is still there (or moved whole, by rename)
        assert data in after.values(), name
    # With space again, everything works, and what was recorded before is still in effect.
    assert run("done", "user-research").exit_code == 0
    if args[0] != "users":  # (after a rename or a removal, "ada" is a new learner)
        record = json.loads(run("show", "ai-for-everyone", "--json").stdout)
        assert record["status"] == "done" and [n["text"] for n in record["notes"]] == ["mine"]


def test_after_a_full_disk_the_log_holds_no_torn_line(run: Run, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    before = _ours(home)
    with disk_full(monkeypatch, home):
        result = run("note", "ai-for-everyone", "x" * 2000)
    one_clear_error(result, "No space left on device", "Nothing was changed")
    assert _ours(home) == before  # the half-written line was taken back
    assert run("doctor").exit_code == 0


def test_a_torn_line_that_cannot_be_set_aside_on_a_full_disk_is_a_clear_error(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("done", "ai-for-everyone", "--note", "mine").exit_code == 0
    log = next((home / "learners" / "ada" / "ai-product-manager" / "changes").glob("*.jsonl"))
    with open(log, "ab") as handle:
        handle.write(b'{"v":1,"id":"01')  # a write cut short by a kill
    before = log.read_bytes()
    with disk_full(monkeypatch, home, torn=False):
        for _ in range(2):
            one_clear_error(run("done", "user-research"), "No space left on device", "Nothing was changed")
    assert log.read_bytes() == before
    assert run("done", "user-research").exit_code == 0
    assert json.loads(run("show", "ai-for-everyone", "--json").stdout)["status"] == "done"
    assert any(p.name.startswith("torn-") for p in (home / "learners" / "ada" / "backups").iterdir())


def test_an_import_on_a_full_disk_adds_nothing_and_says_so(
    run: Run, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("--user", "grace", "done", "user-research", "--note", "from grace").exit_code == 0
    export = tmp_path / "grace.json"
    assert run("--user", "grace", "export", "--format", "json", "-o", str(export)).exit_code == 0
    assert run("done", "ai-for-everyone").exit_code == 0
    before = _ours(home)
    with disk_full(monkeypatch, home):
        for _ in range(2):
            one_clear_error(run("import", str(export)), "No space left on device", "Nothing was changed")
    assert _ours(home) == before
    assert not list((home / "learners" / "ada" / "ai-product-manager" / "changes").glob(".*"))  # no leftovers
    assert run("import", str(export)).exit_code == 0
    assert json.loads(run("show", "user-research", "--json").stdout)["status"] == "done"


def test_an_import_whose_marker_cannot_be_written_is_taken_back_whole(
    run: Run, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("--user", "grace", "done", "user-research").exit_code == 0
    export = tmp_path / "grace.json"
    assert run("--user", "grace", "export", "--format", "json", "-o", str(export)).exit_code == 0
    assert run("done", "ai-for-everyone").exit_code == 0
    before = _ours(home)
    from aipm_cli.record import logs

    def no_space(path: Path, payload: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(logs, "append", no_space)
    one_clear_error(run("import", str(export)), "No space left on device", "Nothing was changed")
    assert _ours(home) == before
    assert json.loads(run("show", "user-research", "--json").stdout)["status"] == "not_started"


def test_a_migration_on_a_full_disk_keeps_the_old_store_working(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import DATA

    monkeypatch.setenv("AIPM_BUNDLED_ROADMAPS", str(home.parent / "bundled"))
    (home.parent / "bundled").mkdir()
    (home.parent / "bundled" / "ai-product-manager.yaml").write_bytes(
        (DATA / "released" / "ai-product-manager-1.0.0.yaml").read_bytes()
    )
    store = home / "learners" / "ada" / "progress.json"
    store.parent.mkdir(parents=True)
    store.write_bytes((DATA / "schema1" / "rich" / "learners" / "ada" / "progress.json").read_bytes())
    old = store.read_bytes()
    seen = run("status", "--json").stdout
    with disk_full(monkeypatch, home):
        for _ in range(2):
            one_clear_error(run("done", "user-research"), "No space left on device", str(store))
    assert store.read_bytes() == old
    assert run("status", "--json").stdout == seen
    assert run("done", "user-research").exit_code == 0  # with space again, it migrates
    assert not store.exists()
    assert [p.read_bytes() for p in (home / "learners" / "ada" / "backups").glob("progress-schema1-*")] == [old]


def test_a_link_planted_at_the_old_store_backup_is_never_written_through(run: Run, home: Path, tmp_path: Path) -> None:
    from aipm_cli.fs import sha256_hex
    from conftest import DATA

    store = home / "learners" / "ada" / "progress.json"
    store.parent.mkdir(parents=True)
    raw = (DATA / "schema1" / "merge" / "learners" / "ada" / "progress.json").read_bytes()
    store.write_bytes(raw)
    outside = tmp_path / "outside"
    outside.write_text("keep\n")
    backups = home / "learners" / "ada" / "backups"
    backups.mkdir()
    keep = backups / f"progress-schema1-{sha256_hex(raw)[:12]}.json"
    for planted in (keep, keep.with_name(keep.name + ".tmp")):
        planted.symlink_to(outside)
    assert run("doctor", "--rebuild").exit_code in (0, 1)
    assert outside.read_text() == "keep\n"
    assert not store.exists() and keep.read_bytes() == raw and not keep.is_symlink()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EDQUOT])
def test_any_other_full_disk_or_read_only_refusal_is_still_a_sentence(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    from aipm_cli.cli.boundary import unexpected
    from aipm_cli.learner import Learner

    assert run("done", "ai-for-everyone").exit_code == 0

    def refused(self: Any) -> Any:
        raise OSError(code, os.strerror(code), str(home / "somewhere"))

    monkeypatch.setattr(Learner, "summary", refused)
    err = one_clear_error(run("status"), os.strerror(code), str(home / "somewhere"))
    assert "Nothing was saved" not in err
    saved = unexpected(OSError(code, os.strerror(code)), saved=True)
    assert saved[1].startswith("Your change was saved before the error.") and "unexpected" not in saved[0]


READ_ONLY = [
    *WRITES,
    ("restore", "grace"),
    ("import", "EXPORT"),
    ("export", "-o", "HOME/report.md"),
    ("plan", "--ics", "HOME/plan.ics"),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: "-".join(a[:2]))
def test_a_read_only_data_directory_is_one_clear_sentence(
    run: Run, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    assert run("done", "ai-for-everyone", "--note", "mine").exit_code == 0
    assert run("export", "--format", "json", "-o", str(tmp_path / "export.json")).exit_code == 0
    assert run("--user", "grace", "start", "user-research").exit_code == 0
    assert run("users", "remove", "grace").exit_code == 0
    before = _ours(home)
    args = tuple(a.replace("HOME", str(home)).replace("EXPORT", str(tmp_path / "export.json")) for a in args)
    with read_only(monkeypatch, home):
        result = run(*args)
        status = run("status")
    assert status.exit_code == 0, status.stderr  # reading still works
    assert result.exit_code == 1, result.stderr
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "Read-only file system" in result.stdout + result.stderr, result.stderr  # (doctor reports on stdout)
    assert len(result.stderr.strip().splitlines()) <= 3
    assert _ours(home) == before
