"""Every test runs with its own data directory, a fixed clock, no colour, 80 columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner, Result

# Hypothesis profiles. Tests that set max_examples themselves keep it; the fuzz
# suite (tests/test_fuzz.py) takes its size from the profile:
#   ci   (default) a bounded run: the whole fuzz file in well under a minute on 2 cores;
#   long           many more examples: pytest -m fuzz --hypothesis-profile=long
# The deadline is the per-case time bound (one case runs aipm a few times).
_FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=100, deadline=15_000, suppress_health_check=_FUZZ_HEALTH)
settings.register_profile("long", max_examples=2_000, deadline=15_000, suppress_health_check=_FUZZ_HEALTH)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
GOLDEN_DIR = DATA / "golden"
NOW = "2026-11-24T10:00:00+00:00"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AIPM_HOME", str(home))
    monkeypatch.setenv("AIPM_USER", "ada")
    monkeypatch.setenv("AIPM_NOW", NOW)
    # The learner's zone (Learner.zone) falls back to TZ: UTC here, whatever the machine's zone is.
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("AIPM_BUNDLED_ROADMAPS", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    # The LRS credentials: none from the environment, and a keyring that is a file in tmp_path (keyrings.alt's
    # plain-text backend, from the test extras), so no test reads or writes the real user keyring.
    monkeypatch.delenv("AIPM_LRS_USER", raising=False)
    monkeypatch.delenv("AIPM_LRS_SECRET", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("KEYRING_PROPERTY_FILE_PATH", str(tmp_path / "keyring" / "keyring_pass.cfg"))
    return home


@pytest.fixture
def home(isolated_env: Path) -> Path:
    return isolated_env


Run = Callable[..., Result]


def invoke_line(
    args: list[str], input: str | None = None, env: dict[str, str] | None = None, direct: bool = True
) -> Result:
    """Run a command line in-process by the installed command's path (the usual read command
    lines without Typer, unless `direct` is False; everything else through it)."""
    from aipm_cli.cli import run as run_line

    runner = CliRunner()
    code = 0
    with runner.isolation(input=input, env=env) as (stdout, stderr, output):
        try:
            run_line(list(args), direct=direct)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            out, err, both = stdout.getvalue(), stderr.getvalue(), output.getvalue()
    return Result(
        runner=runner, stdout_bytes=out, stderr_bytes=err, output_bytes=both,
        return_value=None, exit_code=code, exception=None, exc_info=None,
    )  # fmt: skip


@pytest.fixture
def run() -> Run:
    """Invoke the CLI in-process (see invoke_line); exceptions are not swallowed."""

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return invoke_line(list(args), input=input, env=env)

    return invoke


@pytest.fixture
def run_json(run: Run) -> Callable[..., Any]:
    def invoke(*args: str) -> Any:
        result = run(*args, "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return invoke


def aipm_process(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run aipm as a real process (the console entry point's error boundary included)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aipm_cli", *args], capture_output=True, text=True, env=full_env, timeout=120, **kwargs
    )


@pytest.fixture
def store_path(home: Path) -> Path:
    """The folder of the learner's change logs on the bundled roadmap."""
    return home / "learners" / "ada" / "ai-product-manager" / "changes"


def log_bytes(folder: Path) -> dict[str, bytes]:
    """Every change-log file of a folder, by name (to check that nothing changed)."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.jsonl"))} if folder.is_dir() else {}


def roadmap_cache(path: Path) -> Any:
    """The document a roadmap cache file holds (after its checksum line)."""
    return json.loads(path.read_bytes().partition(b"\n")[2])


def write_roadmap_cache(path: Path, document: Any) -> None:
    """A well-made roadmap cache file (right checksum) holding `document`: a plant or an old aipm's."""
    from aipm_cli.roadmap.finding import cache_document

    path.write_bytes(cache_document(document))


# --------------------------------------------------------------------------- #
# A real browser (Debian's chromium): HTML reports are looked at as a person would
# --------------------------------------------------------------------------- #

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def chromium() -> str:
    """The Chromium binary; a failure in CI (which installs it), a skip elsewhere when it is missing."""
    import shutil

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI; .ci/run installs it with apt-get")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


def pdf_pages(browser: str, page: Path, tmp_path: Path, *flags: str) -> int:
    """How many pages `page` prints on, printed to PDF by Chromium (no header or footer)."""
    from pypdf import PdfReader

    pdf = page.with_suffix(".pdf")
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, *flags, f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    return len(PdfReader(pdf).pages)
