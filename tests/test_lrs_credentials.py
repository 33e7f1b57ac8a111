"""The LRS credentials in the system keyring (`aipm lrs login` / `logout`), and `aipm lrs push`'s progress.

The keyring is keyrings.alt's plain-text file backend, put in tmp_path by
conftest (PYTHON_KEYRING_BACKEND, KEYRING_PROPERTY_FILE_PATH): a real keyring
backend, never the user's own.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Run
from test_lrs import Fake
from test_speed import _on_a_terminal, _piped

SECRET = "s3cr3t-Zq9-only-in-the-keyring"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    from aipm_cli.xapi import client as client_module

    monkeypatch.setattr(client_module, "BACKOFF", 0.001)
    found = Fake()
    try:
        yield found
    finally:
        found.close()


def keyring_file(tmp_path: Path) -> Path:
    return Path(os.environ["KEYRING_PROPERTY_FILE_PATH"])


def in_keyring(endpoint: str, entry: str) -> str | None:
    """What the test keyring holds (read with keyring's own backend)."""
    from keyrings.alt.file import PlaintextKeyring

    return PlaintextKeyring().get_password("aipm-lrs:" + endpoint.rstrip("/"), entry)


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def everything_written(tmp_path: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file under tmp_path but the keyring's own."""
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != keyring_file(tmp_path):
            yield path, path.read_bytes()


def test_login_keeps_the_credentials_in_the_keyring_only_and_push_uses_them(
    run: Run, server: Fake, tmp_path: Path, home: Path
) -> None:
    run("done", "ai-for-everyone")
    assert run("config", "lrs_endpoint", server.endpoint).exit_code == 0
    before = run("lrs", "status", "--json")
    assert json.loads(before.stdout)["credentials_from"] is None
    kept = run("lrs", "login", "--username", "learner-7", input=SECRET + "\n")
    assert kept.exit_code == 0, kept.stderr
    assert "Kept the credentials of learner-7" in kept.stderr and "system keyring" in kept.stderr
    # In the keyring (a file here, keyrings.alt's), under the endpoint's service name.
    assert in_keyring(server.endpoint, "secret") == SECRET and in_keyring(server.endpoint, "user") == "learner-7"
    status = run("lrs", "status", "--json")
    assert json.loads(status.stdout)["credentials_from"] == "keyring"
    assert "Credentials: from the system keyring." in run("lrs", "status").stdout
    pushed = run("lrs", "push", "--json")
    assert pushed.exit_code == 0, pushed.stderr
    assert json.loads(pushed.stdout)["stored"] == 1
    assert server.headers[-1]["Authorization"] == basic("learner-7", SECRET)
    # The secret is nowhere else: not in any output, config.json, the change log, the cache.
    outputs = [kept, before, status, pushed, run("config"), run("config", "--json"), run("log")]
    for result in outputs:
        assert SECRET not in result.stdout + result.stderr
    for path, data in everything_written(tmp_path):
        assert SECRET.encode() not in data, path
    assert (home / "config.json").exists()
    # Logging out forgets them: the next push says how to set them again.
    out = run("lrs", "logout")
    assert out.exit_code == 0 and "Removed the credentials" in out.stderr
    assert in_keyring(server.endpoint, "secret") is None
    again = run("lrs", "push")
    assert again.exit_code == 1
    assert "are not set" in again.stderr and "aipm lrs login" in again.stderr
    assert "Traceback" not in again.stderr
    assert "held no credentials" in run("lrs", "logout").stderr


def test_the_keyring_is_per_endpoint_and_the_environment_wins(
    run: Run, server: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("done", "ai-for-everyone")
    other = "https://lrs.example.edu/xAPI/"
    assert run("lrs", "login", "--endpoint", other, "--username", "elsewhere", input="other-secret\n").exit_code == 0
    none = run("lrs", "push", "--endpoint", server.endpoint)
    assert none.exit_code == 1 and f"credentials for {server.endpoint} are not set" in none.stderr
    assert server.posts == []
    # The same endpoint with or without its trailing slash is one entry.
    assert (
        run("lrs", "login", "--endpoint", server.endpoint.rstrip("/"), "--username", "kr", input=SECRET).exit_code == 0
    )
    assert run("lrs", "push", "--endpoint", server.endpoint).exit_code == 0
    assert server.headers[-1]["Authorization"] == basic("kr", SECRET)
    monkeypatch.setenv("AIPM_LRS_USER", "env-user")
    monkeypatch.setenv("AIPM_LRS_SECRET", "env-secret")
    run("done", "machine-learning")
    assert json.loads(run("lrs", "status", "--endpoint", server.endpoint, "--json").stdout)["credentials_from"] == (
        "environment"
    )
    said = run("lrs", "login", "--endpoint", server.endpoint, "--username", "kr", input=SECRET)
    assert "AIPM_LRS_USER is set" in said.stderr
    assert run("lrs", "push", "--endpoint", server.endpoint).exit_code == 0
    assert server.headers[-1]["Authorization"] == basic("env-user", "env-secret")
    # One of the two variables alone is a mistake to name, not a reason to mix sources.
    monkeypatch.delenv("AIPM_LRS_SECRET")
    half = run("lrs", "push", "--endpoint", server.endpoint)
    assert half.exit_code == 1 and "AIPM_LRS_USER is set but AIPM_LRS_SECRET is not" in half.stderr


def test_without_a_usable_keyring_the_error_says_so(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = "https://lrs.example.edu/xAPI/"
    run("done", "ai-for-everyone")
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    missing = run("lrs", "push", "--endpoint", endpoint)
    assert missing.exit_code == 1
    assert "the keyring package is not installed" in missing.stderr
    assert "AIPM_LRS_USER and AIPM_LRS_SECRET" in missing.stderr and "Traceback" not in missing.stderr
    login = run("lrs", "login", "--endpoint", endpoint, "--username", "u", input="x\n")
    assert login.exit_code == 1 and "keyring package is not installed" in login.stderr
    monkeypatch.delitem(sys.modules, "keyring")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # installed, no backend
    nothing = run("lrs", "push", "--endpoint", endpoint)
    assert nothing.exit_code == 1 and "no keyring backend works here" in nothing.stderr
    status = run("lrs", "status", "--endpoint", endpoint)
    assert status.exit_code == 0 and "Credentials: not set" in status.stdout


def test_a_keyring_error_never_repeats_the_secret(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "grumpy_keyring.py").write_text(
        "from keyring.backend import KeyringBackend\n"
        "class Keyring(KeyringBackend):\n"
        "    priority = 1\n"
        "    def get_password(self, service, username):\n"
        "        return None\n"
        "    def set_password(self, service, username, password):\n"
        "        if username == 'secret':\n"
        "            raise RuntimeError('locked; could not store ' + password)\n"
        "    def delete_password(self, service, username):\n"
        "        raise RuntimeError('locked')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "grumpy_keyring.Keyring")
    result = run("lrs", "login", "--endpoint", "https://lrs.example.edu/xAPI/", "--username", "u", input=SECRET + "\n")
    assert result.exit_code == 1
    assert "The system keyring failed to keep the LRS credentials: locked; could not store ***" in result.stderr
    assert SECRET not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_login_asks_for_the_secret_without_echoing_it_on_a_terminal(home: Path, tmp_path: Path) -> None:
    import pty
    import select
    import subprocess
    import termios
    import time

    master, slave = pty.openpty()
    env = {**os.environ, "AIPM_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aipm_cli", "lrs", "login", "--endpoint", "https://lrs.example.edu/xAPI/"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    seen = b""

    def read_until(wanted: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while wanted not in seen and time.monotonic() < deadline:
            ready, _w, _x = select.select([master], [], [], 1)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    return

    read_until(b"User name")
    os.write(master, b"learner-7\n")
    read_until(b"not shown")
    # The prompt is drawn before echo is turned off (which drops what was typed ahead): wait for that.
    deadline = time.monotonic() + 60
    while termios.tcgetattr(master)[3] & termios.ECHO and time.monotonic() < deadline:
        time.sleep(0.05)
    os.write(master, SECRET.encode() + b"\n")
    read_until(b"Kept the credentials")
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"login did not finish; the terminal showed: {seen!r}")
    read_until(b"\x00")  # whatever is left (the other side is closed: returns at once)
    os.close(master)
    shown = seen.decode("utf-8", "replace")
    assert code == 0, shown
    assert "learner-7" in shown and "Kept the credentials of learner-7" in shown
    assert SECRET not in shown
    assert in_keyring("https://lrs.example.edu/xAPI/", "secret") == SECRET


def test_login_piped_needs_the_user_name_as_an_option(run: Run) -> None:
    result = run("lrs", "login", "--endpoint", "https://lrs.example.edu/xAPI/", input="secret\n")
    assert result.exit_code == 2 and "--username" in result.stderr
    empty = run("lrs", "login", "--endpoint", "https://lrs.example.edu/xAPI/", "--username", "u", input="\n")
    assert empty.exit_code == 1 and "No secret was given" in empty.stderr
    plain = run("lrs", "login", "--endpoint", "http://lrs.example.edu/xAPI/", "--username", "u", input="s\n")
    assert plain.exit_code == 1 and "unencrypted" in plain.stderr


# --------------------------------------------------------------------------- #
# Progress on a long push: on a terminal only, never piped or with --json
# --------------------------------------------------------------------------- #


def test_a_long_push_shows_progress_on_a_terminal_only(
    run: Run, server: Fake, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for item in ("ai-for-everyone", "machine-learning", "computer-vision", "the-ai-pm-role"):
        assert run("done", item).exit_code == 0
    monkeypatch.setenv("AIPM_LRS_USER", "learner-7")
    monkeypatch.setenv("AIPM_LRS_SECRET", SECRET)
    env = {"AIPM_HOME": str(home)}
    push = ["lrs", "push", "--endpoint", server.endpoint, "--batch-size", "1"]
    code, _out, terminal = _on_a_terminal(push, env)
    assert code == 0, terminal
    assert "Sending statements to the LRS" in terminal
    assert len(server.posts) > 1
    for path in (home / "cache" / "lrs").iterdir():
        path.unlink()  # send everything again
    code, _out, err = _piped(push, env)
    assert code == 0 and "Sending statements" not in err and "\x1b" not in err
    for path in (home / "cache" / "lrs").iterdir():
        path.unlink()
    code, out, terminal = _on_a_terminal([*push, "--json"], env)
    assert code == 0 and json.loads(out)["already_there"] > 0
    assert "Sending statements" not in terminal
    assert SECRET not in terminal
