"""`aipm sync` of many new changes between two devices: aipm's own time beside git's.

    python bench/sync_bench.py               # 10,000 changes
    python bench/sync_bench.py --changes 50000

Two data directories join one local bare repository. Device A gets N new
changes (written in the change format, as N `aipm note` / `done` / `start`
would), then A sends them (`aipm sync`) and B receives them (`aipm sync`),
each as a real process. `aipm sync --json` reports the time spent inside the
sync and the part of it spent waiting for git; aipm's own share is the rest
(committing, checking every new line, locks). The process's wall time adds
Python's start-up. Target (issue 12): aipm's own share under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ITEMS = ["ai-for-everyone", "digital-product-management", "product-strategy", "user-research", "product-lifecycle"]


def _aipm(home: Path, *args: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "aipm_cli", *args],
        env={**env, "AIPM_HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"aipm {' '.join(args)} failed: {done.stderr}")
    return elapsed, done.stdout


def _write_changes(home: Path, device: str, count: int) -> None:
    """Append `count` changes to the device's log, as that many commands would."""
    from aipm_cli.record import changes as fmt
    from aipm_cli.record import ids

    folder = home / "learners" / "ada" / "ai-product-manager" / "changes"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    moment = datetime(2026, 11, 1, 9, tzinfo=UTC)
    after = None
    lines = []
    for number in range(count):
        moment += timedelta(seconds=7)
        item = ITEMS[number % len(ITEMS)]
        change: dict[str, Any] = {"v": fmt.FORMAT, "at": moment.isoformat(), "on": moment.date().isoformat()}
        change["id"] = after = ids.new_id(moment, after)
        change["device"] = device
        if number % 3 == 0:
            change.update(op="note", targets=[item], text=f"note {number}: what I learned today")
        else:
            change.update(op="start" if number % 3 == 1 else "done", targets=[item], units=[item])
        lines.append(fmt.line(fmt.check(change)))
    with open(folder / f"{device}.jsonl", "ab") as handle:
        handle.write(b"".join(lines))


def sync_benchmark(changes: int = 10_000) -> dict[str, Any]:
    """Times of sending and receiving `changes` new changes; aipm's own share beside git's."""
    with tempfile.TemporaryDirectory(prefix="aipm-sync-bench-") as tmp:
        base = Path(tmp)
        env = {
            **os.environ,
            "HOME": str(base),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@example.org",
            "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@example.org",
            "AIPM_USER": "ada",
            "NO_COLOR": "1",
        }
        remote = base / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True, env=env)
        homes = {}
        for name in ("laptop-a", "work-b"):
            home = base / name
            home.mkdir()
            (home / "device").write_text(name + "\n")
            _aipm(home, "done", "ai-for-everyone", env=env)
            _aipm(home, "sync", "init", str(remote), env=env)
            homes[name] = home
        _aipm(homes["laptop-a"], "sync", env=env)
        _write_changes(homes["laptop-a"], "laptop-a", changes)
        out: dict[str, Any] = {"changes": changes}
        for step, name in (("send", "laptop-a"), ("receive", "work-b")):
            wall, stdout = _aipm(homes[name], "sync", "--json", env=env)
            doc = json.loads(stdout)
            timings = doc["timings"]
            moved = doc["sent"] if step == "send" else doc["received"]
            if moved != changes:
                raise SystemExit(f"{step}: moved {moved} changes, expected {changes}")
            out[step] = {
                "process_seconds": round(wall, 3),
                "sync_seconds": timings["total_seconds"],
                "git_seconds": timings["git_seconds"],
                "aipm_seconds": round(timings["total_seconds"] - timings["git_seconds"], 3),
            }
        wall, _ = _aipm(homes["work-b"], "status", env=env)
        out["status_after_receive_seconds"] = round(wall, 3)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=10_000)
    args = parser.parse_args()
    result = sync_benchmark(args.changes)
    print(f"aipm sync of {result['changes']:,} new changes between two devices")
    print(f"{'':10}{'process':>10}{'in sync':>10}{'git':>10}{'aipm':>10}")
    for step in ("send", "receive"):
        row = result[step]
        print(
            f"{step:10}{row['process_seconds']:>9.3f}s{row['sync_seconds']:>9.3f}s"
            f"{row['git_seconds']:>9.3f}s{row['aipm_seconds']:>9.3f}s"
        )
    print(f"first `aipm status` after receiving: {result['status_after_receive_seconds']:.3f}s")
    worst = max(result[s]["aipm_seconds"] for s in ("send", "receive"))
    print(f"target: aipm's own share under 1 s: {'met' if worst < 1 else 'NOT met'} ({worst:.3f}s)")


if __name__ == "__main__":
    main()
