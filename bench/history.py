"""Cost at scale of the change log: 1,000 to 1,000,000 changes on the bundled roadmap.

Imported by bench/run.py. The history is generated straight into a change-log
file (as a device that had made all those changes would have written it):
status churn on the bundled roadmap's items, undos of the newest change, a
capped number of notes and ratings (a learner's state is bounded by the
roadmap; what grows is the history).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROADMAP_ITEMS = [
    "ai-for-everyone", "identifying-ai-opportunities", "cross-functional-collaboration", "digital-product-management",
    "product-strategy", "user-research", "product-lifecycle", "agile-methodologies", "product-analytics",
    "market-analysis", "ml-pipeline", "data-requirements", "model-evaluation", "product-hunt",
]  # fmt: skip
TARGET = "business-models"


def make_history(home: Path, count: int, seed: int) -> None:
    """Write `count` changes into one device's log under `home`."""
    from aipm_cli.record import changes as fmt
    from aipm_cli.record import ids

    rng = random.Random(seed)
    folder = home / "learners" / "bench" / "ai-product-manager" / "changes"
    folder.mkdir(parents=True)
    (home / "device").write_text("bench-0000\n")
    start = datetime(2020, 1, 1, tzinfo=UTC)
    live: list[str] = []
    notes = ratings = 0
    last = None
    with open(folder / "bench-0000.jsonl", "wb") as out:
        for n in range(count):
            moment = start + timedelta(minutes=3 * n)
            change_id = ids.new_id(moment, last)
            last = change_id
            base: dict[str, Any] = {"v": 1, "id": change_id, "at": moment.isoformat(), "on": moment.date().isoformat(),
                                    "device": "bench-0000"}  # fmt: skip
            roll = rng.random()
            if roll < 0.03 and live:
                change = {**base, "op": "undo", "target": live.pop(), "about": "a change"}
            elif roll < 0.04 and notes < 300:
                notes += 1
                change = {**base, "op": "note", "targets": [rng.choice(ROADMAP_ITEMS)], "text": f"note {n}"}
            elif roll < 0.045 and ratings < 100:
                ratings += 1
                change = {**base, "op": "assess", "skill": "product-management", "level": rng.randint(1, 5)}
            else:
                item = rng.choice(ROADMAP_ITEMS)
                op = rng.choice(["start", "done", "skip", "reset"])
                change = {**base, "op": op, "targets": [item], "units": [item]}
            if change["op"] != "undo":
                live.append(change_id)
                del live[:-50]
            out.write(fmt.line(change))
    os.chmod(folder / "bench-0000.jsonl", 0o600)  # as aipm writes it


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, round(usage.ru_maxrss / 1024), os.waitstatus_to_exitcode(status)


def _first_line(cmd: list[str], env: dict[str, str], lines: int = 50_000) -> tuple[float, float, int]:
    """Seconds to the first line of output, seconds to `lines` lines, and peak MB by then.

    The process is stopped after `lines` lines: printing a million changes takes minutes whatever
    the tool; what matters is that output starts at once and memory stays flat while it streams.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    proc.stdout.readline()
    first = time.perf_counter() - start
    for _number, _line in zip(range(lines), proc.stdout, strict=False):
        pass
    streamed = time.perf_counter() - start
    try:
        os.kill(proc.pid, signal.SIGKILL)  # not proc.kill(): it would reap the child before wait4 reads its usage
    except ProcessLookupError:
        pass
    _pid, _status, usage = os.wait4(proc.pid, 0)
    return first, streamed, round(usage.ru_maxrss / 1024)


def _size(folder: Path) -> int:
    """Bytes in a folder; for a data directory, the cache apart (it is rewritten, and may shrink)."""
    return sum(
        p.stat().st_size for p in folder.rglob("*") if p.is_file() and "cache" not in p.relative_to(folder).parts
    )


def measure_history(aipm: list[str], sizes: list[int], repeats: int, base_env: dict[str, str]) -> list[dict[str, Any]]:
    """Every size measured in the same rounds (interleaved), so a busy machine skews no size more than another."""
    import statistics

    work = Path(tempfile.mkdtemp(prefix="aipm-bench-history-"))
    envs: dict[int, dict[str, str]] = {}
    rows: dict[int, dict[str, Any]] = {}
    for count in sizes:
        home = work / f"home-{count}"
        # Generated in a child process, so this process stays small for the peak-memory figures.
        subprocess.run([sys.executable, __file__, str(home), str(count)], check=True)
        envs[count] = {**base_env, "AIPM_HOME": str(home), "AIPM_USER": "bench"}
        seconds, peak, _code = _run([*aipm, "doctor", "--rebuild"], envs[count])
        rows[count] = {"changes": count, "rebuild": {"median_s": round(seconds, 3), "peak_mb": peak}}
        subprocess.run([*aipm, "status"], env=envs[count], capture_output=True)  # warm
        print(f"  made {count} changes", file=sys.stderr)
    measures: list[tuple[str, list[str], list[str] | None]] = [
        ("done", ["done", TARGET], ["reset", TARGET]),
        ("undo", ["undo"], ["done", TARGET]),
        ("status", ["status"], None),
        ("show", ["show", "ai-for-everyone"], None),
        ("log_20", ["log", "--limit", "20"], None),
        ("doctor", ["doctor"], None),
    ]
    samples: dict[tuple[int, str], list[tuple[float, int]]] = {}
    for _ in range(repeats):
        for name, cmd, before in measures:
            for count in sizes:
                if before:
                    subprocess.run([*aipm, *before], env=envs[count], capture_output=True)
                seconds, peak, code = _run([*aipm, *cmd], envs[count])
                if code not in (0, 1):
                    raise SystemExit(f"`aipm {' '.join(cmd)}` failed with exit code {code}")
                samples.setdefault((count, name), []).append((seconds, peak))
    for (count, name), found in samples.items():
        rows[count][name] = {
            "median_s": round(statistics.median(s for s, _ in found), 3),
            "peak_mb": max(p for _, p in found),
        }
    for count in sizes:
        env = envs[count]
        home = Path(env["AIPM_HOME"])
        rows[count].update(_streams(aipm, env, home, count))
        first, total, peak = _first_line([*aipm, "log"], env)
        rows[count]["log_full"] = {"first_line_s": round(first, 3), "median_s": round(total, 3), "peak_mb": peak}
        before_size = _size(home)
        for n in range(10):
            subprocess.run([*aipm, "done" if n % 2 == 0 else "reset", TARGET], env=env, capture_output=True)
            subprocess.run([*aipm, "note", TARGET, f"bench {n}"], env=env, capture_output=True)
        rows[count]["disk_20_writes_kb"] = round((_size(home) - before_size) / 1024, 1)
        rows[count]["log_mb"] = round(_size(home / "learners") / 2**20, 1)
    shutil.rmtree(work, ignore_errors=True)
    return [rows[count] for count in sizes]


# Reads and parses every line of a log once with the reader aipm's fold uses (orjson): what a full
# fold (doctor, --rebuild) is held to (within 2x).
_PARSE_ONLY = """
import sys
import orjson
loads = orjson.loads
with open(sys.argv[1], "rb") as handle:
    for line in handle:
        loads(line)
"""


def _streams(aipm: list[str], env: dict[str, str], home: Path, count: int) -> dict[str, Any]:
    """The full `log` (plain and --json) into a file, `export --format json`, and reading every line once."""
    out: dict[str, Any] = {}
    target = home.parent / f"out-{count}"
    for key, args in (("log_file", ["log"]), ("log_json_file", ["log", "--json"]),
                      ("export_json", ["export", "--format", "json", "-o", str(target)])):  # fmt: skip
        start = time.perf_counter()
        with open(target, "wb") as sink:
            proc = subprocess.Popen([*aipm, *args], env=env, stdout=sink, stderr=subprocess.DEVNULL)
            _pid, _status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out[key] = {
            "seconds": round(seconds, 2),
            "per_second": round(count / seconds),
            "peak_mb": round(usage.ru_maxrss / 1024),
        }
        target.unlink()
    log = next((home / "learners").rglob("*.jsonl"))
    seconds, peak, _code = _run([sys.executable, "-c", _PARSE_ONLY, str(log)], env)
    out["parse_only"] = {"median_s": round(seconds, 3), "peak_mb": peak}
    return out


def measure_import(aipm: list[str], count: int, base_env: dict[str, str]) -> dict[str, Any]:
    """`aipm import` of an export holding `count` changes, into an empty data directory: time and peak memory."""
    work = Path(tempfile.mkdtemp(prefix="aipm-bench-import-"))
    try:
        subprocess.run([sys.executable, __file__, str(work / "source"), str(count)], check=True)
        log = next((work / "source").rglob("*.jsonl"))
        with open(work / "export.json", "wb") as out:
            out.write(b'{\n  "format": "aipm-export",\n  "export_version": 2,\n  "user": "bench",\n')
            out.write(
                b'  "roadmap": {"id": "ai-product-manager", "title": "AI Product Manager", "version": "1.1.0"},\n'
            )
            out.write(b'  "changes": [\n')
            with open(log, "rb") as source:
                first = True
                for line in source:
                    out.write((b"" if first else b",\n") + b"    " + line.rstrip(b"\n"))
                    first = False
            out.write(b"\n  ]\n}\n")
        env = {**base_env, "AIPM_HOME": str(work / "home"), "AIPM_USER": "bench"}
        seconds, peak, code = _run([*aipm, "import", str(work / "export.json")], env)
        if code != 0:
            raise SystemExit(f"aipm import of {count} changes exited with {code}")
        return {"changes": count, "seconds": round(seconds, 2), "peak_mb": peak}
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    make_history(Path(sys.argv[1]), int(sys.argv[2]), seed=20261125)
