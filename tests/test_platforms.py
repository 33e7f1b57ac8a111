"""aipm where learners are: names every platform can hold, one place for platform
differences, and a platform check that runs on Linux (issue 29)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from aipm_cli.errors import InputError
from aipm_cli.paths import check_user_name, unportable
from conftest import Run

# --------------------------------------------------------------------------- #
# Names every platform can hold
# --------------------------------------------------------------------------- #

WINDOWS_RESERVED = ["CON", "con", "Prn", "aux", "NUL", "nul.jsonl", "COM1", "com9.txt", "LPT1", "lpt9.log", "Aux.x.y"]


@pytest.mark.parametrize("name", WINDOWS_RESERVED)
def test_a_windows_device_name_is_refused_as_a_learner_name(name: str) -> None:
    with pytest.raises(InputError) as caught:
        check_user_name(name)
    assert "device name on Windows" in str(caught.value)


@pytest.mark.parametrize("name", ["a.", "name..", "x" * 65])
def test_a_name_windows_would_change_or_cannot_hold_is_refused(name: str) -> None:
    with pytest.raises(InputError):
        check_user_name(name)


@pytest.mark.parametrize("name", ["a:b", "a<b", "a>b", 'a"b', "a/b", "a\\b", "a|b", "a?b", "a*b", "a ", "a\x01"])
def test_the_characters_windows_refuses_make_a_name_unportable(name: str) -> None:
    assert unportable(name) is not None


@pytest.mark.parametrize("name", ["console", "com0", "comA", "lpt", "nully", "ada", "maya.k", "x" * 64])
def test_names_that_only_look_reserved_are_kept(name: str) -> None:
    assert unportable(name) is None
    assert check_user_name(name) == name


def test_a_reserved_learner_name_is_refused_on_the_command_line(run: Run, home: Path) -> None:
    result = run("done", "ai-for-everyone", "--user", "nul")
    assert result.exit_code == 2  # a name that cannot be used is a usage error, as every unusable name is
    assert "'nul' is not a usable learner name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "learners" / "nul").exists()


def test_two_learners_differing_only_in_case_are_refused_as_one(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone", "--user", "Maya").exit_code == 0
    result = run("done", "user-research", "--user", "maya")
    assert result.exit_code == 1
    assert "There is already a learner called 'Maya'" in result.stderr
    assert sorted(p.name for p in (home / "learners").iterdir()) == ["Maya"]
    # Reads are refused too: on macOS and Windows they would show Maya's record as maya's.
    assert run("status", "--user", "maya").exit_code == 1
    assert run("status", "--user", "Maya").exit_code == 0


def test_renaming_into_a_case_twin_is_refused_but_a_case_only_rename_is_not(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone", "--user", "maya").exit_code == 0
    assert run("done", "ai-for-everyone", "--user", "bob").exit_code == 0
    refused = run("users", "rename", "bob", "Maya")
    assert refused.exit_code == 1
    assert "'maya'" in refused.stderr
    assert run("users", "rename", "maya", "Maya").exit_code == 0
    assert sorted(p.name for p in (home / "learners").iterdir()) == ["Maya", "bob"]


def test_a_device_id_windows_cannot_hold_as_a_file_name_is_refused(home: Path) -> None:
    from aipm_cli.errors import StoreError
    from aipm_cli.record.ledger import device_id

    home.mkdir(parents=True)
    (home / "device").write_text("nul\n")  # its log would be nul.jsonl: the NUL device on Windows
    with pytest.raises(StoreError):
        device_id(home)
    (home / "device").write_text("nully\n")
    assert device_id(home) == "nully"


@pytest.mark.parametrize("roadmap_id", ["con", "aux", "com3", "lpt1", "x" * 65])
def test_a_roadmap_id_that_names_an_unportable_folder_is_refused(roadmap_id: str) -> None:
    from pydantic import ValidationError

    from aipm_cli.roadmap.models import Roadmap

    with pytest.raises(ValidationError) as caught:
        Roadmap.model_validate({"id": roadmap_id, "title": "T", "version": "1"})
    assert "cannot be a roadmap id" in str(caught.value)


def test_the_default_learner_name_is_portable(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    from aipm_cli.paths import default_user_name

    monkeypatch.setattr(getpass, "getuser", lambda: "CON")
    assert default_user_name() == "CON-learner"
    monkeypatch.setattr(getpass, "getuser", lambda: "a" * 80)
    assert unportable(default_user_name()) is None


# --------------------------------------------------------------------------- #
# One place for platform differences
# --------------------------------------------------------------------------- #

SRC = Path(__file__).resolve().parent.parent / "src" / "aipm_cli"
POSIX_ONLY = {
    "O_NOFOLLOW", "O_DIRECTORY", "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "fchmod", "fchown", "lchown", "chown",
    "geteuid", "getuid", "getegid", "getgid", "getpwuid", "mkfifo", "mknod", "fork", "setsid", "killpg", "getpgid",
    "replace",  # os.replace: Windows refuses it while another process has the file open (portable.replace retries)
}  # fmt: skip
POSIX_MODULES = {"pwd", "grp", "fcntl", "termios", "resource"}


def _posix_only_uses(path: Path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr in POSIX_ONLY:
                found.append(f"{path.name}:{node.lineno}: os.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}:
            if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value in POSIX_ONLY:
                found.append(f"{path.name}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{path.name}:{node.lineno}: from os import {a.name}" for a in node.names if a.name in POSIX_ONLY]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{path.name}:{node.lineno}: import {n}" for n in names if n.split(".")[0] in POSIX_MODULES]
    return found


def test_no_posix_only_call_outside_the_platform_module() -> None:
    uses = [use for path in sorted(SRC.rglob("*.py")) if path.name != "portable.py" for use in _posix_only_uses(path)]
    assert uses == [], "POSIX-only calls outside src/aipm_cli/portable.py:\n" + "\n".join(uses)


def test_the_source_check_sees_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, fcntl\nos.fchmod(1, 0)\nflags = getattr(os, 'O_NOFOLLOW', 0)\nos.replace('a', 'b')\n"
        "from os import geteuid\nx = os.path.join('a')\n"
    )
    assert sorted(use.split(": ", 1)[1] for use in _posix_only_uses(sample)) == sorted(
        ["import fcntl", "os.fchmod", "getattr(..., 'O_NOFOLLOW')", "os.replace", "from os import geteuid"]
    )


def test_without_o_nofollow_a_planted_link_is_still_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from aipm_cli.fs import read_device_file, read_private_file

    monkeypatch.delattr(os, "O_NOFOLLOW")
    secret = tmp_path / "elsewhere"
    secret.write_text("someone-else\n")
    secret.chmod(0o600)
    link = tmp_path / "device"
    link.symlink_to(secret)
    text, why = read_device_file(link)
    assert text == "" and "symbolic link" in why
    assert read_private_file(link) is None
    assert read_private_file(secret) == b"someone-else\n"


def test_a_replace_refused_by_a_sharing_violation_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    from aipm_cli.fs import atomic_write

    real = os.replace
    refused: list[str] = []

    def busy_once(source: str, target: str) -> None:
        if not refused:
            refused.append(str(target))
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        real(source, target)

    monkeypatch.setattr(os, "replace", busy_once)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    target = tmp_path / "store.json"
    target.write_bytes(b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and refused == [str(target)]
    assert [p.name for p in tmp_path.iterdir()] == ["store.json"]  # no temporary file left


def test_a_lasting_permission_error_is_raised_after_a_bounded_number_of_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    from aipm_cli import portable
    from aipm_cli.fs import atomic_write

    tries: list[str] = []
    pauses: list[float] = []

    def always_busy(source: str, target: str) -> None:
        tries.append(source)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", always_busy)
    monkeypatch.setattr(time, "sleep", pauses.append)
    target = tmp_path / "store.json"
    target.write_bytes(b"old")
    with pytest.raises(PermissionError):
        atomic_write(target, b"new")
    assert len(tries) == portable.REPLACE_TRIES and len(pauses) == portable.REPLACE_TRIES - 1
    assert sum(pauses) < 2
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["store.json"]


# --------------------------------------------------------------------------- #
# The platform check: aipm's modules see the `os` Windows has
# --------------------------------------------------------------------------- #

# A start-up hook for a child Python: every aipm_cli module runs with an
# `__import__` that hands it this `os` (third-party libraries and the standard
# library keep the real one, as they choose their own platform code on
# Windows). It counts what it refused into $AIPM_WINDOWS_LOG at exit, so the
# test can show that the hook was in effect.
WINDOWS_OS_HOOK = r"""
import atexit, builtins, importlib.abc, json, os as _os, stat as _stat, sys, types

GONE = {"O_NOFOLLOW", "O_DIRECTORY", "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "fchmod", "fchown", "lchown", "chown",
        "geteuid", "getuid", "getegid", "getgid", "mkfifo", "mknod", "fork", "setsid", "killpg", "getpgid", "sync"}
counts = {"modules": 0, "directory_opens_refused": 0, "replaces_refused": 0, "replaces": 0}
windows_os = types.ModuleType("os")
windows_os.__dict__.update({k: v for k, v in vars(_os).items() if k not in GONE})


def _open(path, flags, mode=0o777, *, dir_fd=None):
    try:
        found = _os.stat(path, dir_fd=dir_fd)
    except OSError:
        found = None
    if found is not None and _stat.S_ISDIR(found.st_mode):
        counts["directory_opens_refused"] += 1
        raise PermissionError(13, "Permission denied", str(path))
    return _os.open(path, flags, mode, dir_fd=dir_fd)


_busy_once = set()


def _replace(source, target, **kwargs):
    key = _os.fspath(source)
    if key not in _busy_once:  # a sharing violation: another process has the file open
        _busy_once.add(key)
        counts["replaces_refused"] += 1
        raise PermissionError(13, "The process cannot access the file because it is being used by another process",
                              str(target))
    counts["replaces"] += 1
    return _os.replace(source, target, **kwargs)


windows_os.open = _open
windows_os.replace = _replace
_real_import = builtins.__import__


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name == "os":
        return windows_os
    return _real_import(name, globals, locals, fromlist, level)


_builtins = dict(vars(builtins), __import__=_import)


class _WindowsOsForAipm(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "aipm_cli" and not name.startswith("aipm_cli."):
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        else:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module"):
            original = loader.exec_module

            def exec_module(module, original=original):
                module.__dict__["__builtins__"] = _builtins
                counts["modules"] += 1
                original(module)

            loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _WindowsOsForAipm())


@atexit.register
def _report():
    with open(_os.environ["AIPM_WINDOWS_LOG"], "a") as out:
        out.write(json.dumps(counts) + "\n")
"""

SCENARIO = [
    ("write", ["done", "ai-for-everyone"]),
    ("write", ["start", "user-research", "--on", "yesterday"]),
    ("write", ["note", "ai-for-everyone", "a note to keep"]),
    ("write", ["done", "product-lifecycle"]),
    ("undo", ["undo"]),
    ("write", ["skip", "product-hunt", "--reason", "not for me"]),
    ("export", ["export", "-f", "json", "-o", "{tmp}/export.json"]),
    ("import", ["import", "{tmp}/export.json", "--user", "grace"]),
    ("import", ["import", "{tmp}/export.json", "--user", "grace"]),  # twice: adds nothing
    ("export", ["export", "-f", "json", "-o", "{tmp}/grace.json", "--user", "grace"]),
    ("doctor", ["doctor"]),
    ("doctor", ["doctor", "--user", "grace"]),
    ("read", ["status", "--json"]),
    ("read", ["log", "--json"]),
]


def _run_scenario(folder: Path, hook: Path | None) -> list[tuple[str, int, str, str]]:
    import os
    import re
    import subprocess
    import sys

    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(AIPM_HOME=str(folder / "home"), AIPM_WINDOWS_LOG=str(folder / "windows.log"), COLUMNS="1000")
    if hook is not None:
        env["PYTHONPATH"] = str(hook)
    out = []
    for what, args in SCENARIO:
        line = [arg.replace("{tmp}", str(folder)) for arg in args]
        done = subprocess.run([sys.executable, "-m", "aipm_cli", *line], env=env, capture_output=True, text=True)
        stderr = done.stderr.replace(str(folder), "TMP")
        assert "Traceback" not in stderr, (line, stderr)
        stdout = re.sub(r"\b[0-9A-Z]{26}\b", "ID", done.stdout.replace(str(folder), "TMP"))  # change ids
        out.append((what, done.returncode, re.sub(r'"device": "[^"]*"', "DEVICE", stdout), stderr))
    return out


def _logs(home: Path) -> dict[str, list[dict[str, object]]]:
    """Every change of every learner, by learner and roadmap, without the ids and device names that differ."""
    import json

    found: dict[str, list[dict[str, object]]] = {}
    for path in sorted(home.glob("learners/*/*/changes/*.jsonl")):
        raw = path.read_bytes()
        assert raw.endswith(b"\n") and b"\r" not in raw, path
        key = f"{path.parts[-4]}/{path.parts[-3]}"
        for line in raw.splitlines():
            change = json.loads(line)
            found.setdefault(key, []).append({k: v for k, v in change.items() if k in {"op", "item", "status", "text"}})
    return found


def test_core_scenarios_pass_with_the_os_windows_has(tmp_path: Path) -> None:
    import json

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(WINDOWS_OS_HOOK)
    control = _run_scenario(tmp_path / "linux", None)
    windows = _run_scenario(tmp_path / "windows", hook)

    # Every scenario does there what it does here: same exit codes, same output, nothing lost.
    for (what, code, out, err), (_, w_code, w_out, w_err) in zip(control, windows, strict=True):
        assert (w_code, w_out, w_err) == (code, out, err), what
    assert [code for what, code, _, _ in control if what != "doctor"] == [0] * (len(SCENARIO) - 2)
    linux_logs, windows_logs = _logs(tmp_path / "linux" / "home"), _logs(tmp_path / "windows" / "home")
    assert windows_logs == linux_logs
    assert set(windows_logs) == {"ada/ai-product-manager", "grace/ai-product-manager"}
    exported = json.loads((tmp_path / "windows" / "export.json").read_text())
    assert exported["summary"]["counts"]["done"] == 1 and exported["summary"]["counts"]["skipped"] == 1
    grace = json.loads((tmp_path / "windows" / "grace.json").read_text())
    assert grace["summary"]["counts"] == exported["summary"]["counts"]
    leftovers = [p.name for p in (tmp_path / "windows" / "home").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []

    # The hook was in effect: aipm's modules saw it, folders could not be opened, replaces were refused.
    counts = [json.loads(line) for line in (tmp_path / "windows" / "windows.log").read_text().splitlines()]
    assert len(counts) == len(SCENARIO)
    assert all(c["modules"] > 10 for c in counts)
    assert sum(c["directory_opens_refused"] for c in counts) > 0
    assert sum(c["replaces_refused"] for c in counts) > 0
    assert sum(c["replaces"] for c in counts) == sum(c["replaces_refused"] for c in counts)  # each retried once
    assert not (tmp_path / "linux" / "windows.log").exists()


# --------------------------------------------------------------------------- #
# Line endings: sync with Git for Windows' default, core.autocrlf=true
# --------------------------------------------------------------------------- #
# aipm runs every git command with `-c core.autocrlf=false` and writes `.git/info/attributes`
# (ranked above any `.gitattributes`) unsetting text and eol for every path: this test guards both
# (it passes with either, and fails with neither). A committed `.gitattributes` is refused when it
# comes from a remote (tests/test_sync.py), as a remote's attributes could rewrite logs; so a plain
# `git clone` by hand, outside aipm, is not covered.


@pytest.mark.parametrize("copied_from_windows", [False, True], ids=["lf", "a-crlf-log"])
def test_sync_with_autocrlf_keeps_every_log_byte_exact_on_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copied_from_windows: bool
) -> None:
    """With `copied_from_windows`, laptop A's log has CRLF line ends before its first sync (a copy
    that a Windows tool converted): it travels as it is, is read on B, and A's later lines end in \\n."""
    import json
    import subprocess

    from typer.testing import CliRunner

    from aipm_cli.cli import app

    global_config = tmp_path / "gitconfig"
    global_config.write_text(
        "[core]\n\tautocrlf = true\n[user]\n\tname = Test\n\temail = test@example.org\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    assert subprocess.run(["git", "config", "core.autocrlf"], capture_output=True, text=True).stdout.strip() == "true"

    def aipm(home: Path, *args: str) -> None:
        result = CliRunner().invoke(app, list(args), env={"AIPM_HOME": str(home)}, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    a, b = tmp_path / "laptop-a", tmp_path / "work-b"
    for home in (a, b):
        home.mkdir()
        (home / "device").write_text(home.name + "\n")
    aipm(a, "done", "ai-for-everyone")
    aipm(a, "note", "ai-for-everyone", "line one")
    converted = b""
    if copied_from_windows:
        _log, converted = _to_crlf(a / "learners" / "ada" / "ai-product-manager" / "changes")
    aipm(a, "sync", "init", str(remote))
    aipm(b, "skip", "product-hunt", "--reason", "later")
    aipm(b, "sync", "init", str(remote))
    aipm(a, "sync")
    aipm(b, "done", "user-research")
    aipm(a, "start", "product-hunt")
    aipm(b, "sync")
    aipm(a, "sync")
    aipm(b, "sync")

    def logs(home: Path) -> dict[str, bytes]:
        return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.glob("learners/*/*/changes/*.jsonl"))}

    on_a, on_b = logs(a), logs(b)
    assert len(on_a) == 2
    assert on_a == on_b
    for name, data in on_a.items():
        if copied_from_windows and name.endswith("laptop-a.jsonl"):
            assert data.startswith(converted) and converted.count(b"\r\n") == 2
            assert b"\r" not in data[len(converted) :] and data.endswith(b"\n")
        else:
            assert b"\r" not in data, name
        committed = subprocess.run(["git", "-C", str(a), "show", f"HEAD:{name}"], capture_output=True, check=True)
        assert committed.stdout == data, name
    # git itself sees nothing to convert (a clean status on both sides).
    for home in (a, b):
        status = subprocess.run(["git", "-C", str(home), "status", "--porcelain"], capture_output=True, text=True)
        assert status.stdout == "", status.stdout
        shown = CliRunner().invoke(app, ["status", "--json"], env={"AIPM_HOME": str(home)}, catch_exceptions=False)
        counts = json.loads(shown.stdout)["counts"]
        assert (counts["done"], counts["in_progress"]) == (2, 1), home.name  # product-hunt: skipped, then started


# --------------------------------------------------------------------------- #
# The dependencies resolve to wheels on macOS and Windows
# --------------------------------------------------------------------------- #

_CONNECTION_TROUBLE = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable",
                       "Max retries exceeded", "ConnectTimeout", "Connection refused")  # fmt: skip
# orjson's Intel macOS wheels start at macOS 10.15 (orjson >= 3.9): nothing installs it on 10.12-10.14.
_KNOWN_GAP = pytest.mark.xfail(
    strict=True, reason="orjson>=3.9 has no wheel for Intel macOS before 10.15 (its x86_64 wheels start at 10_15)"
)


@pytest.mark.platforms
@pytest.mark.parametrize("python", ["3.11", "3.13"])
@pytest.mark.parametrize(
    "platform",
    [
        "win_amd64",
        "macosx_11_0_arm64",
        pytest.param("macosx_10_12_x86_64", marks=_KNOWN_GAP),
        "macosx_10_15_x86_64",
    ],
)
def test_the_dependencies_resolve_to_wheels_for(platform: str, python: str, tmp_path: Path) -> None:
    """`pip download --only-binary=:all:` of the project's requirements for another platform: every one of
    them has a wheel there (nothing would need a compiler on a learner's laptop). Prints what it chose."""
    import os
    import subprocess
    import sys
    import tomllib

    if os.environ.get("AIPM_OFFLINE"):
        pytest.skip("AIPM_OFFLINE is set: resolving wheels for other platforms needs a package index")
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    requirements = project["project"]["dependencies"]
    dest = tmp_path / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-cache-dir", "--only-binary=:all:",
         "--platform", platform, "--python-version", python, "--dest", str(dest), *requirements],
        capture_output=True, text=True,
    )  # fmt: skip
    trouble = next((t for t in _CONNECTION_TROUBLE if t in done.stderr), None)
    if done.returncode != 0 and trouble is not None:
        pytest.skip(f"no package index reachable ({trouble}): the resolution for {platform} was not checked")
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert done.returncode == 0, f"{platform}, Python {python}: " + " ".join(errors)
    wheels = sorted(p.name for p in dest.iterdir())
    assert wheels and all(name.endswith(".whl") for name in wheels)
    native = [name for name in wheels if not name.endswith("-none-any.whl")]
    print(f"\n{platform}, Python {python}: {len(wheels)} wheels; built for the platform: {', '.join(native)}")


# --------------------------------------------------------------------------- #
# PowerShell completion
# --------------------------------------------------------------------------- #


def _powershell_candidates(words: list[str], cword: int) -> list[tuple[str, str]]:
    """What aipm answers the PowerShell script: the words before the cursor, _AIPM_CWORD their count."""
    from conftest import aipm_process

    done = aipm_process(*words, env={"_AIPM_COMPLETE": "powershell", "_AIPM_CWORD": str(cword)})
    assert done.returncode == 0 and done.stderr == ""
    return [tuple(line.split("\t", 1)) if "\t" in line else (line, "") for line in done.stdout.splitlines()]  # type: ignore[misc]


def test_aipm_prints_a_powershell_completer(run: Run) -> None:
    result = run("completion", "powershell")
    assert result.exit_code == 0
    script = result.stdout
    assert "Register-ArgumentCompleter -Native -CommandName aipm" in script
    assert "$env:_AIPM_COMPLETE = 'powershell'" in script and "$env:_AIPM_CWORD = $words.Count" in script
    assert "& aipm @words" in script and "CompletionResult]::new($value, $value, 'ParameterValue'" in script
    assert "Remove-Item Env:_AIPM_COMPLETE, Env:_AIPM_CWORD" in script  # the session's environment is left as it was
    assert script.count("{") == script.count("}") and script.count("(") == script.count(")")


def test_the_powershell_protocol_gives_values_and_descriptions(run: Run) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    items = _powershell_candidates(["done", "ai-f"], 2)
    assert ("ai-for-everyone", "AI for Everyone") in [(v, d.split(" (")[0]) for v, d in items]
    commands = {value for value, _ in _powershell_candidates([""], 1)}
    assert {"done", "status", "completion"} <= commands
    # Windows PowerShell 5.1 drops an empty argument: the same answer without it.
    assert {value for value, _ in _powershell_candidates([], 1)} == commands
    assert "powershell" in {value for value, _ in _powershell_candidates(["completion", "p"], 2)}


@pytest.mark.skipif(not __import__("shutil").which("pwsh"), reason="pwsh (PowerShell 7) is not installed here")
def test_the_powershell_completer_in_pwsh(run: Run, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    assert run("done", "ai-for-everyone").exit_code == 0
    script = tmp_path / "aipm.ps1"
    script.write_text(run("completion", "powershell").stdout)
    program = (
        f". '{script}'\n"
        "$line = 'aipm done ai-f'\n"
        "(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | "
        "ForEach-Object { $_.CompletionText }\n"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(["pwsh", "-NoProfile", "-NonInteractive", "-Command", program], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert "ai-for-everyone" in out.stdout.split()


def test_a_learner_made_before_with_a_reserved_name_can_be_renamed(run: Run, home: Path) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    (home / "learners" / "ada").rename(home / "learners" / "con")  # as an older aipm allowed
    refused = run("status", "--user", "con")
    assert refused.exit_code == 2 and "aipm users rename con NEW" in refused.stderr
    # `aipm users` reads them (they are not "unreadable") and says how to rename them.
    listed = run("users", "--json")
    (con,) = json.loads(listed.stdout)["users"]
    assert con["percent"] is not None and con["readable"] and "aipm users rename con NEW" in con["rename"]
    assert "aipm users rename con NEW" in run("users").stderr
    moved = run("users", "rename", "con", "maya")
    assert moved.exit_code == 0, moved.stderr
    assert [p.name for p in (home / "learners").iterdir()] == ["maya"]
    assert '"done": 1' in run("status", "--user", "maya", "--json").stdout


# --------------------------------------------------------------------------- #
# Logs with CRLF line ends (a copy from Windows, a git client that converted them)
# --------------------------------------------------------------------------- #


def _to_crlf(folder: Path) -> tuple[Path, bytes]:
    """The learner's one log rewritten with CRLF line ends, as a copy from Windows leaves it."""
    (log,) = folder.glob("*.jsonl")
    converted = log.read_bytes().replace(b"\n", b"\r\n")
    log.write_bytes(converted)
    return log, converted


def test_a_log_with_crlf_line_ends_is_read_whole_and_never_rewritten(run: Run, run_json, store_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("note", "ai-for-everyone", "line one").exit_code == 0
    assert run("start", "user-research").exit_code == 0
    log, converted = _to_crlf(store_path)
    assert converted.count(b"\r\n") == 3

    counts = run_json("status")["counts"]
    assert (counts["done"], counts["in_progress"]) == (1, 1)
    assert [c["action"] for c in run_json("log")] == ["start", "note", "done"]
    assert "line one" in run("show", "ai-for-everyone").stdout
    doctor = run("doctor")
    assert doctor.exit_code == 0, doctor.stdout + doctor.stderr  # CRLF is no damage: nothing to report
    # Writing after it: an undo of a CRLF line, then a new change; aipm's own lines end in \n.
    assert run("undo").exit_code == 0
    assert run("done", "product-hunt").exit_code == 0
    data = log.read_bytes()
    assert data.startswith(converted)  # never rewritten
    assert data[len(converted) :].count(b"\n") == 2 and b"\r" not in data[len(converted) :]
    counts = run_json("status")["counts"]
    assert (counts["done"], counts["in_progress"]) == (2, 0)
    assert [c["action"] for c in run_json("log")][:2] == ["done", "undo"]
    assert run("doctor").exit_code == 0


def test_a_log_whose_lines_end_in_cr_alone_is_refused_and_never_set_aside(
    run: Run, run_json, store_path: Path, home: Path
) -> None:  # type: ignore[no-untyped-def]
    """Lines that end in \\r alone (an editor's or a copy's conversion) are no write cut short: aipm
    used to take the whole file for a torn last line, hide its progress and move it into backups/ on
    the next change. Now it says what is wrong, refuses to write, and leaves the file as it is."""
    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("note", "ai-for-everyone", "line one").exit_code == 0
    (log,) = store_path.glob("*.jsonl")
    original = log.read_bytes()
    log.write_bytes(original.replace(b"\n", b"\r"))
    converted = log.read_bytes()

    shown = run("status")
    assert shown.exit_code == 0 and "carriage return alone" in shown.stderr
    refused = run("done", "user-research")
    assert refused.exit_code == 1 and "Nothing was changed" in refused.stderr
    assert "line 1 on, its lines end in a carriage return alone" in refused.stderr
    assert run("doctor").exit_code != 0
    run("doctor", "--repair", "--yes")
    assert log.read_bytes() == converted  # never rewritten, never set aside
    assert not (home / "learners" / "ada" / "backups").exists() or not any(
        (home / "learners" / "ada" / "backups").iterdir()
    )
    log.write_bytes(converted.replace(b"\r", b"\n"))  # what the message says to do
    assert run_json("status")["counts"]["done"] == 1
    assert run("done", "user-research").exit_code == 0


def test_crlf_lines_read_the_same_with_orjson_and_from_the_end(run: Run, store_path: Path) -> None:
    """The readers a big log or `aipm log` use (orjson, the quick shape, reading backwards, one line
    at an offset) take a CRLF line as the same change."""
    from aipm_cli.record import logs
    from aipm_cli.record.changes import gate

    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("note", "ai-for-everyone", "line one").exit_code == 0
    (log,) = store_path.glob("*.jsonl")
    before = [change for change, _offset in logs.changes(log, logs.Problems())]
    log, _converted = _to_crlf(store_path)
    logs.fast_reading()
    problems = logs.Problems()
    read = list(logs.changes(log, problems))
    assert [change for change, _offset in read] == before
    assert problems.damage == [] and problems.torn == []
    assert [logs.read_at(log, offset) for _change, offset in read] == before
    assert [gate(raw) for _offset, raw in logs.reverse_lines(log)] == before[::-1]


# --------------------------------------------------------------------------- #
# Consoles that cannot show UTF-8 or colour
# --------------------------------------------------------------------------- #

# (`export` to a pipe is data, written as UTF-8 whatever the console: test_data_keeps_its_bytes...)
_VIEWS = [["status"], ["show", "ai-for-everyone"], ["log"], ["plan"], ["study"], ["review"], ["today"], ["list"],
          ["skills"], ["roadmap", "show"]]  # fmt: skip
# aipm's marks and bars, as the old escape fallback showed them on such a console
_ESCAPED_MARKS = ["\\u2588", "\\u2591", "\\u2713", "\\u25cb", "\\u25d0", "\\xb7", "\\u2014", "\\u203a"]


def _aipm_bytes(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    import os
    import sys

    return subprocess.run([sys.executable, "-m", "aipm_cli", *args], capture_output=True, env={**os.environ, **env},
                          timeout=120)  # fmt: skip


@pytest.fixture
def noted(run: Run) -> None:
    assert run("done", "ai-for-everyone").exit_code == 0
    assert run("start", "user-research").exit_code == 0
    assert run("note", "ai-for-everyone", "café, naïve — 中文 ✓").exit_code == 0


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_every_view_degrades_to_text_the_console_encoding_holds(noted: None, encoding: str) -> None:
    for view in _VIEWS:
        done = _aipm_bytes(*view, env={"PYTHONIOENCODING": encoding})
        assert done.returncode == 0 and done.stderr == b"", (view, done.stderr[-300:])
        shown = done.stdout.decode(encoding)  # strict: every byte is text of that encoding
        assert not any(mark in shown for mark in _ESCAPED_MARKS), (view, shown[:400])
        assert "\x1b[" not in shown
    status = _aipm_bytes("status", env={"PYTHONIOENCODING": encoding}).stdout.decode(encoding)
    assert "################  100%" in status and "----------------    0%" in status  # the bars, in ASCII
    shown = _aipm_bytes("show", "ai-for-everyone", env={"PYTHONIOENCODING": encoding}).stdout.decode(encoding)
    within = ">" if encoding == "ascii" else "›"  # cp1252 holds '›' (and '·', '—', 'é'): written as they are
    assert "+ done" in shown and f"Foundation {within} Foundation Course" in shown
    # Data: a letter the encoding lacks loses its accent, a character with no ASCII form is escaped.
    expected = "cafe, naive - \\u4e2d\\u6587 +" if encoding == "ascii" else "café, naïve — \\u4e2d\\u6587 +"
    assert expected in _aipm_bytes("log", env={"PYTHONIOENCODING": encoding}).stdout.decode(encoding)


def test_data_keeps_its_bytes_on_a_console_that_is_not_utf8(noted: None) -> None:
    """JSON is the same data in ASCII escapes; a report to a pipe is UTF-8, whatever the console's encoding."""
    for args in (["status", "--json"], ["log", "--json"], ["show", "ai-for-everyone", "--json"]):
        utf8 = _aipm_bytes(*args, env={"PYTHONIOENCODING": "utf-8"}).stdout
        ascii_ = _aipm_bytes(*args, env={"PYTHONIOENCODING": "ascii"}).stdout
        assert ascii_.isascii() and json.loads(ascii_) == json.loads(utf8), args
    utf8 = _aipm_bytes("export", "--format", "markdown", env={"PYTHONIOENCODING": "utf-8"}).stdout
    assert "café, naïve — 中文 ✓".encode() in utf8
    for encoding in ("ascii", "cp1252"):
        assert _aipm_bytes("export", "--format", "markdown", env={"PYTHONIOENCODING": encoding}).stdout == utf8


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_no_color_on_a_terminal_gives_no_escape_codes(noted: None) -> None:
    import os
    import sys

    def on_a_terminal(*args: str, **env: str) -> bytes:
        main, child = os.openpty()
        full = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm-256color", **env}
        process = subprocess.Popen([sys.executable, "-m", "aipm_cli", *args], stdin=child, stdout=child,
                                   stderr=child, env=full)  # fmt: skip
        os.close(child)
        out = b""
        while True:
            try:
                chunk = os.read(main, 1 << 16)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        process.wait(timeout=120)
        os.close(main)
        return out

    assert b"\x1b[" in on_a_terminal("status")  # a terminal: styled (the counterpart)
    for args in (["status"], ["show", "ai-for-everyone"], ["done", "no-such-item"]):
        shown = on_a_terminal(*args, NO_COLOR="1")
        assert b"\x1b[" not in shown, (args, shown[:300])
        assert shown.strip()


# --------------------------------------------------------------------------- #
# Installing with pipx from a built wheel, as the README says
# --------------------------------------------------------------------------- #


@pytest.mark.platforms
def test_aipm_installs_with_pipx_from_a_built_wheel(tmp_path: Path) -> None:
    """`pipx install` of the wheel built from this checkout, into a PIPX_HOME of its own: the installed
    command (not this checkout) answers --version and shows an empty dashboard."""
    import os
    import sys

    if os.environ.get("AIPM_OFFLINE"):
        pytest.skip("AIPM_OFFLINE is set: pipx installs the dependencies from a package index")
    repo = Path(__file__).resolve().parent.parent
    wheels = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(repo)], check=True)
    (wheel,) = wheels.glob("aipm_cli-*.whl")
    pipx = {"PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin"),
            "PIPX_MAN_DIR": str(tmp_path / "man"), "USE_EMOJI": "0"}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPX_", "VIRTUAL_ENV"))} | pipx
    installed = subprocess.run([sys.executable, "-m", "pipx", "install", "--python", sys.executable, str(wheel)],
                               capture_output=True, text=True, env=env)  # fmt: skip
    trouble = next((t for t in _CONNECTION_TROUBLE if t in installed.stderr + installed.stdout), None)
    if installed.returncode != 0 and trouble is not None:
        pytest.skip(f"no package index reachable ({trouble}): the pipx install was not checked")
    assert installed.returncode == 0, installed.stderr[-2000:]
    aipm = tmp_path / "bin" / ("aipm.exe" if os.name == "nt" else "aipm")
    assert aipm.exists()
    run_env = env | {"AIPM_HOME": str(tmp_path / "data")}
    version = subprocess.run([str(aipm), "--version"], capture_output=True, text=True, env=run_env)
    assert version.returncode == 0 and version.stdout.startswith("aipm ")
    assert wheel.name.split("-")[1] in version.stdout  # the wheel's version
    status = subprocess.run([str(aipm), "status"], capture_output=True, text=True, env=run_env)
    assert status.returncode == 0, status.stderr
    assert "AI Product Manager" in status.stdout and "0/114 done" in status.stdout
    where = subprocess.run([str(tmp_path / "pipx" / "venvs" / "aipm-cli" / "bin" / "python"), "-c",
                            "import aipm_cli; print(aipm_cli.__file__)"], capture_output=True, text=True)  # fmt: skip
    assert where.stdout.startswith(str(tmp_path / "pipx")), where.stdout  # the installed copy, not this checkout
    print(f"\npipx installed {wheel.name}: {version.stdout.strip()}")
