"""A real Learning Record Store for the tests: Ralph (`ralph runserver -b fs`) on a free loopback port.

The credentials are made with `ralph auth`; the server is stopped (its whole
process group) afterwards. Ralph 5.1's file-system backend writes every POST
with its default operation, "index", which refuses to write to a file that
exists: every POST after the first would fail with 500. The server here runs
with that one default set to "append" (a sitecustomize on its PYTHONPATH),
which is what the backend's own `write(..., operation_type=APPEND)` does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path
from typing import Any

import pytest

USER = "school"
SECRET = "not-a-real-secret-42"
_PATCH = """
try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
except ImportError:
    pass
"""


def ralph_command() -> str:
    found = Path(sys.executable).parent / "ralph"
    if found.exists():
        return str(found)
    other = shutil.which("ralph")
    if other is None:
        pytest.skip("Ralph is not installed (pip install 'ralph-malph[cli,lrs]' requests; the test extras have it)")
    return other


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Ralph:
    def __init__(self, folder: Path, auth_dir: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.data.mkdir(parents=True)
        patch = folder / "patch"
        patch.mkdir()
        (patch / "sitecustomize.py").write_text(_PATCH)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/xAPI/"
        self.env = {
            **os.environ,
            "RALPH_APP_DIR": str(auth_dir),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.data),
            "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH": str(self.data),
            "PYTHONPATH": str(patch),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.folder / f"server-{self.starts}.log", "wb")  # noqa: SIM115 (kept open by the server)
        self.process = subprocess.Popen(
            [ralph_command(), "runserver", "-b", "fs", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.data,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Ralph stopped: " + (self.folder / f"server-{self.starts}.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__lbheartbeat__", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Ralph did not start within 90 s")

    def stop(self) -> None:
        """Stop the server (its reloader and worker: the whole process group it leads)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Kill the server at once (as a crash would)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stored(self) -> list[dict[str, Any]]:
        """Every statement the LRS holds, as it stored them (its file, line by line)."""
        path = self.data / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def get(self, query: str = "") -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/xAPI/statements{query}",
            headers={
                "Authorization": "Basic " + b64encode(f"{USER}:{SECRET}".encode()).decode(),
                "X-Experience-API-Version": "1.0.3",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read()))


def make_credentials(folder: Path) -> Path:
    """A Ralph app directory holding one user's credentials, made by `ralph auth`."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RALPH_APP_DIR": str(folder), "RALPH_RUNSERVER_BACKEND": "fs"}
    done = subprocess.run(
        [ralph_command(), "auth", "-u", USER, "-p", SECRET, "-s", "all", "-M", "mailto:school@example.org", "-w"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    return folder
