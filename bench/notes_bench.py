"""Bounded memory, constant writes: 100, 10,000 and 200,000 notes on one item.

Imported by bench/run.py (or run alone: `python bench/notes_bench.py`). The notes
arrive in another device's log (as a sync would bring them); then each size
times a write (`note` on the same item, `done` on another), `status`, `show`
of the item and `log -n 20`, warm (the cache in place), with each process's
peak memory. Targets: a write at the largest size within 1.3x of the
smallest, and every command under 150 MB.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ITEM = "ai-for-everyone"
TEXT = "a note that arrived by sync, long enough to matter " * 4


def make_notes(home: Path, count: int) -> None:
    from aipm_cli.record import changes as fmt
    from aipm_cli.record import ids

    folder = home / "learners" / "bench" / "ai-product-manager" / "changes"
    folder.mkdir(parents=True)
    (home / "device").write_text("bench-0000\n")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    last = None
    with open(folder / "other-0001.jsonl", "wb") as out:
        for n in range(count):
            moment = start + timedelta(seconds=n)
            last = ids.new_id(moment, last)
            change = {"v": 1, "id": last, "at": moment.isoformat(), "on": moment.date().isoformat(),
                      "device": "other-0001", "op": "note", "targets": [ITEM], "text": TEXT}  # fmt: skip
            out.write(fmt.line(change))


COMMANDS: dict[str, list[str]] = {
    "note": ["note", ITEM, "one more"],
    "done": ["done", "user-research"],
    "status": ["status"],
    "show": ["show", ITEM],
    "log_20": ["log", "--limit", "20"],
}


def measure_notes(aipm: list[str], sizes: list[int], repeats: int, env: dict[str, str]) -> list[dict[str, Any]]:
    sys.path.insert(0, str(HERE))
    from run import run

    rows = []
    for size in sizes:
        home = Path(tempfile.mkdtemp(prefix=f"aipm-notes-{size}-"))
        try:
            make_notes(home, size)
            here = {**env, "AIPM_HOME": str(home), "AIPM_USER": "bench"}
            run([*aipm, "status"], here)  # the first fold, and the cache
            row: dict[str, Any] = {"notes": size}
            for name, args in COMMANDS.items():
                times, peaks = [], []
                for _ in range(repeats):
                    seconds, peak, code = run([*aipm, *args], here)
                    if code != 0:
                        raise SystemExit(f"{' '.join(args)} failed at {size} notes")
                    times.append(seconds)
                    peaks.append(peak)
                    if name == "done":
                        run([*aipm, "undo"], here)
                row[name] = {"median_s": round(statistics.median(times), 3), "peak_mb": max(peaks)}
            cache = next((home / "cache" / "state").rglob("ai-product-manager.json"))
            row["cache_kb"] = round(cache.stat().st_size / 1024)
            rows.append(row)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    return rows


def targets(rows: list[dict[str, Any]]) -> list[tuple[str, float, float, bool]]:
    out = []
    for name in ("note", "done"):
        ratio = round(rows[-1][name]["median_s"] / rows[0][name]["median_s"], 2)
        out.append((f"{name} at {rows[-1]['notes']:,} notes within 1.3x of {rows[0]['notes']:,}", ratio, 1.3,
                    ratio <= 1.3))  # fmt: skip
    peak = max(r[k]["peak_mb"] for r in rows for k in COMMANDS)
    out.append(("note, done, status, show, log -n 20 under 150 MB at any number of notes", peak, 150, peak < 150))
    return out


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"{'notes':>9} " + " ".join(f"{k:>16}" for k in COMMANDS) + f" {'cache':>9}")
    for row in rows:
        cells = [f"{row[k]['median_s']:>6.3f} s {row[k]['peak_mb']:>4} MB" for k in COMMANDS]
        print(f"{row['notes']:>9} " + " ".join(f"{c:>16}" for c in cells) + f" {row['cache_kb']:>6} KB")


if __name__ == "__main__":
    import os

    from run import aipm_command

    base = {k: v for k, v in os.environ.items() if k not in ("AIPM_NOW", "AIPM_ROADMAP")}
    base.update(NO_COLOR="1", COLUMNS="80")
    measured = measure_notes(aipm_command(), [100, 10_000, 200_000], 5, base)
    print_rows(measured)
    for name, value, limit, met in targets(measured):
        print(f"{'met    ' if met else 'NOT MET'}  {name}: {value} (target {limit})")
    print(json.dumps(measured))
