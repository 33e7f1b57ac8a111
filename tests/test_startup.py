"""Start-up stays fast: what commands import, and caches that are never trusted when stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Run, roadmap_cache, write_roadmap_cache

HEAVY = (
    "aipm_cli.roadmap.models",
    "aipm_cli.report",
    "aipm_cli.render.html",
    "aipm_cli.render.dashboard",
    "aipm_cli.render.lists",
    "aipm_cli.render.history",
    "aipm_cli.render.study_views",
    "aipm_cli.render.plan_table",
    "aipm_cli.render.entries",
    "jinja2",
    "pydantic.main",
    "yaml",
    "filelock",
)


def imported_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    code = (
        "import sys\n"
        "from aipm_cli.cli import main\n"
        f"sys.argv = ['aipm', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return set(result.stderr.splitlines())


def test_version_and_help_import_nothing_heavy() -> None:
    for args in (("--version",), ("--help",), ("status", "--help")):
        loaded = imported_by(*args)
        assert "aipm_cli.cli" in loaded
        assert not [m for m in HEAVY if m in loaded], args


READS = [
    ("status",), ("status", "--json"), ("list",), ("list", "--status", "done"), ("next",), ("show", "ai-for-everyone"),
    ("show", "foundation"), ("log", "--limit", "20"), ("skills",), ("plan",), ("export", "--format", "md"),
]  # fmt: skip


def test_read_commands_import_no_pydantic_and_no_yaml(run: Run) -> None:
    run("done", "ai-for-everyone")  # the first use of a roadmap file validates and caches it
    for args in READS:
        loaded = imported_by(*args)
        assert "aipm_cli.learner" in loaded, args
        assert not [m for m in ("pydantic", "yaml", "aipm_cli.roadmap.models", "jinja2") if m in loaded], args


def test_review_and_study_sessions_are_not_built_by_typer(run: Run) -> None:
    """`review` (the list), `study` and `study start`/`stop` take the direct path: assembling Typer cost
    them 0.1x of the baseline (review 1.08x against a 1.0x budget, start/stop 1.38/1.42x against 1.3x)."""
    run("done", "ai-for-everyone")
    for args in (
        ("review",),
        ("review", "--all"),
        ("study",),
        ("study", "start", "ai-for-everyone"),
        ("study", "stop"),
    ):
        loaded = imported_by(*args)
        assert "aipm_cli.learner" in loaded, args
        assert not [m for m in loaded if m == "typer" or m.startswith("typer.")], args
    assert "typer" in imported_by("review", "ai-for-everyone", "good")  # a rating still goes through Typer


def test_a_new_day_needs_no_cache_of_its_own(run: Run) -> None:
    run("done", "ai-for-everyone")
    loaded = imported_by("status", env={"AIPM_NOW": "2027-01-01T09:00:00+00:00"})
    assert "pydantic" not in loaded and "yaml" not in loaded


def _done(run: Run, **env: str) -> int:
    return json.loads(run("status", "--json", env=env or None).stdout)["counts"]["done"]


def test_views_follow_every_input(run: Run, home: Path, tmp_path: Path) -> None:
    run("done", "ai-for-everyone")
    assert _done(run) == 1
    # another device's log arrives behind aipm's back (a sync)
    other = home / "learners" / "ada" / "ai-product-manager" / "changes" / "other-device.jsonl"
    change = {
        "v": 1, "id": "01M3VB5YT0D3E1N066X2910Q7K", "at": "2026-10-01T09:00:00+00:00", "on": "2026-10-01",
        "device": "other-device", "op": "done", "targets": ["user-research"], "units": ["user-research"],
    }  # fmt: skip
    other.write_text(json.dumps(change) + "\n")
    assert _done(run) == 2
    # another day, other weekly hours
    assert (
        json.loads(run("status", "--json", env={"AIPM_NOW": "2026-12-01T10:00:00+00:00"}).stdout)["today"]
        == "2026-12-01"
    )
    run("config", "hours_per_week", "4")
    assert json.loads(run("status", "--json").stdout)["forecast"]["hours_per_week"] == 4
    # damaged cache files are ignored, and deleting the cache is harmless
    for cached in (home / "cache").rglob("*.json"):
        cached.write_text("{broken")
    assert _done(run) == 2
    import shutil

    shutil.rmtree(home / "cache")
    assert _done(run) == 2


def test_a_roadmap_cache_from_other_code_is_not_used(run: Run, home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The cache key holds aipm's version and its validating code: after an upgrade the file is read again."""
    import aipm_cli

    run("status")
    (cached,) = (home / "cache" / "roadmaps").iterdir()
    doc = roadmap_cache(cached)
    doc["title"] = "What an older aipm made of it"
    write_roadmap_cache(cached, doc)
    assert json.loads(run("status", "--json").stdout)["roadmap"]["title"] == "What an older aipm made of it"
    monkeypatch.setattr(aipm_cli, "__version__", aipm_cli.__version__ + ".post1")
    assert json.loads(run("status", "--json").stdout)["roadmap"]["title"] == "AI Product Manager"
    monkeypatch.undo()
    import os

    models = Path(aipm_cli.__file__).parent / "roadmap" / "models.py"
    info = models.stat()
    try:
        os.utime(models, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))  # the code changed (an editable install)
        assert json.loads(run("status", "--json").stdout)["roadmap"]["title"] == "AI Product Manager"
    finally:
        os.utime(models, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_status_never_hides_a_log_gone_bad(run: Run, home: Path) -> None:
    run("done", "ai-for-everyone")
    run("done", "user-research")
    assert _done(run) == 2
    log = next((home / "learners" / "ada" / "ai-product-manager" / "changes").glob("*.jsonl"))
    lines = log.read_bytes().splitlines()
    log.write_bytes(lines[0] + b"\n" + b'{"v": 1, "broken": true}\n')
    result = run("status", "--json")
    assert json.loads(result.stdout)["counts"]["done"] == 1  # what can be read is shown ...
    assert "cannot be read" in result.stderr and "line 2" in result.stderr  # ... with a warning
    assert run("done", "product-strategy").exit_code == 1  # and nothing is written
    for args in (["log", "-n", "3"], ["log", "--json"]):  # the log, read from the end, says so too
        shown = run(*args)
        assert shown.exit_code == 0 and "ai-for-everyone" in shown.stdout
        assert "cannot be read" in shown.stderr and f"{log}, the line at byte {len(lines[0]) + 1}" in shown.stderr
    json.loads(run("log", "--json").stdout)  # the warning never enters the JSON


def test_roadmap_cache_is_keyed_by_content_and_never_trusted_blindly(run: Run, home: Path, tmp_path: Path) -> None:
    plan = tmp_path / "mine.yaml"
    text = 'id: mine\ntitle: Mine\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n        title: M\n        items:\n          - {id: a, title: A, kind: topic}\n'
    plan.write_text(text)
    assert run("--roadmap", str(plan), "done", "a").exit_code == 0
    cached = list((home / "cache" / "roadmaps").iterdir())
    assert len(cached) == 1
    # a cache file damaged on disk (its checksum fails) is ignored and written again
    good = cached[0].read_bytes()
    cached[0].write_bytes(good.replace(b'"title":"Mine"', b'"title":"Mina"'))
    assert run("--roadmap", str(plan), "status").stdout.startswith("Mine ")
    assert cached[0].read_bytes() == good
    cached[0].write_text(json.dumps({"check": "x", "roadmap": {"id": "mine", "title": "", "phases": []}}))
    assert run("--roadmap", str(plan), "reset", "a").exit_code == 0
    assert roadmap_cache(cached[0])["phases"]
    # a cache file others may write is never trusted
    os.chmod(cached[0], 0o666)
    doc = roadmap_cache(cached[0])
    doc["title"] = "Planted"
    write_roadmap_cache(cached[0], doc)
    assert json.loads(run("--roadmap", str(plan), "status", "--json").stdout)["roadmap"]["title"] == "Mine"
    # an invalid roadmap is never cached, and is refused with its problems
    plan.write_text(text.replace("kind: topic", "kind: lecture"))
    result = run("--roadmap", str(plan), "done", "a")
    assert result.exit_code == 1
    assert "'lecture' is not allowed here" in result.stderr
    assert len(list((home / "cache" / "roadmaps").iterdir())) == 1


def test_views_follow_a_changed_roadmap_file(run: Run, tmp_path: Path) -> None:
    plan = tmp_path / "mine.yaml"
    text = 'id: mine\ntitle: Mine\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n        title: M\n        items:\n          - {id: a, title: A, kind: topic}\n'
    plan.write_text(text)
    run("--roadmap", str(plan), "done", "a")
    assert json.loads(run("--roadmap", str(plan), "status", "--json").stdout)["counts"]["total"] == 1
    plan.write_text(text + "          - {id: b, title: B, kind: topic}\n")
    assert json.loads(run("--roadmap", str(plan), "status", "--json").stdout)["counts"]["total"] == 2
    plan.write_text(text.replace("kind: topic", "kind: nonsense"))
    assert run("--roadmap", str(plan), "status").exit_code == 1
