"""Cost at scale of aipm's xAPI side: the export, a push to a local LRS and the second push, a cohort read back.

    python bench/xapi_bench.py            # export of 1,000,000 changes; push of 100,000; cohort of 1,000 learners
    python bench/xapi_bench.py --quick    # export of 100,000; push of 2,000; cohort of 100 (a smoke check)
    python bench/xapi_bench.py --export 0 --push 0 --learners 1000   # one part only

- **Export**: `aipm export --format xapi` of bench/history.py's history
  (status churn, undos, notes, ratings) into /dev/null, at 10,000 changes and
  at the size given: wall time, CPU time and peak memory (it streams: memory
  should stop growing with the history).
- **Push**: `aipm lrs push` of a history of the size given to Ralph
  (`ralph runserver -b fs`, as the tests start it) on a loopback port, in
  batches of 500, then the same push again (it should cost only the cursor
  check: no statement made or sent). aipm's CPU time is reported beside the
  wall time: Ralph's file-system backend reads its whole file to look for the
  ids of every batch, so the wall time of a large push is mostly Ralph's.
- **Cohort**: the given number of learners (bench/cohort_bench.py's learners,
  `--changes` each) written into Ralph (their statements as aipm makes them,
  POSTed in batches of 5,000), then `aipm cohort report --lrs URL --format
  json` (the first reads every statement into the cohort index; the second
  finds nothing new). Ralph's file-system backend also reads its file from
  the start for every page it serves (100 statements a page by default; the
  bench lets it serve aipm's 500), so that wall time too is mostly Ralph's.

Peak memory is each aipm process's own (the bench keeps its own process small:
a forked child starts with its parent's pages). Prints one line per measure
and writes bench/results/xapi-latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from base64 import b64encode
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))


def aipm_command() -> list[str]:
    script = Path(sys.executable).with_name("aipm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aipm_cli"]


def timed(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall time, CPU time (user + system) and peak memory of one process, and its exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "exit": os.waitstatus_to_exitcode(status),
    }


def show(results: dict[str, Any], key: str, cell: dict[str, Any]) -> None:
    results[key] = cell
    print(
        f"{key}: {cell['seconds']:.1f} s ({cell['cpu_seconds']:.1f} s of aipm's CPU), {cell['peak_mb']} MB"
        f" (exit {cell['exit']})",
        flush=True,
    )


def post(endpoint: str, statements: list[dict[str, Any]]) -> None:
    from ralph_lrs import SECRET, USER

    request = urllib.request.Request(
        endpoint + "statements",
        data=json.dumps(statements).encode(),
        method="POST",
        headers={
            "Authorization": "Basic " + b64encode(f"{USER}:{SECRET}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    urllib.request.urlopen(request, timeout=600).close()


def fill_cohort(endpoint: str, learners: int, changes: int) -> int:
    """Write `learners` learners' statements into the LRS (as aipm makes them); how many statements."""
    import cohort_bench

    from aipm_cli.roadmap import loading
    from aipm_cli.xapi.statements import Profile, statements, titles_of

    cohort_bench.CHANGES = changes
    roadmap = loading.load_roadmap_file(loading.find("ai-product-manager", Path("/nonexistent")))
    ids = list(roadmap.index.trackable_ids())
    skills = [s.id for s in roadmap.skills]
    titles = titles_of(roadmap)
    rng = random.Random(7)
    batch: list[dict[str, Any]] = []
    sent = 0
    for n in range(learners):
        made = cohort_bench.learner_changes(ids, skills, rng, f"laptop-{n:04x}")
        profile = Profile(f"learner-{n:04d}", roadmap.id, titles=titles)
        batch += [statement for _change_id, statement in statements(made, profile)]
        if len(batch) >= 5000:
            post(endpoint, batch)
            sent += len(batch)
            batch = []
    if batch:
        post(endpoint, batch)
        sent += len(batch)
    return sent


def main() -> None:
    from history import make_history

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke check")
    parser.add_argument("--export", type=int, help="changes in the exported history (0: no export)")
    parser.add_argument("--push", type=int, help="changes pushed to the local LRS (0: no push)")
    parser.add_argument("--learners", type=int, help="learners of the cohort read from the LRS (0: none)")
    parser.add_argument("--changes", type=int, default=50, help="changes of each learner of that cohort")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "xapi-latest.json")
    parser.add_argument("--fill", metavar="ENDPOINT", help=argparse.SUPPRESS)  # the child that writes the cohort
    args = parser.parse_args()
    if args.fill:
        print(fill_cohort(args.fill, args.learners, args.changes))
        return
    export = args.export if args.export is not None else (100_000 if args.quick else 1_000_000)
    pushed = args.push if args.push is not None else (2_000 if args.quick else 100_000)
    learners = args.learners if args.learners is not None else (100 if args.quick else 1_000)
    aipm = aipm_command()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "AIPM_USER": "bench", "NO_COLOR": "1", "AIPM_NOW": "2026-11-24T10:00:00+00:00"}
        for size in sorted({min(export, 10_000), export} - {0}):
            home = Path(tmp) / f"export-{size}"
            make_history(home, size, seed=1)
            cell = timed([*aipm, "export", "--format", "xapi"], {**base, "AIPM_HOME": str(home)})
            show(results, f"export --format xapi, {size:,} changes", cell)
        if pushed or learners:
            from ralph_lrs import SECRET, USER, Ralph, make_credentials

            auth = make_credentials(Path(tmp) / "ralph-auth")
            env = {**base, "AIPM_LRS_USER": USER, "AIPM_LRS_SECRET": SECRET}
        if pushed:
            server = Ralph(Path(tmp) / "ralph-push", auth)
            server.start()
            try:
                home = Path(tmp) / "push"
                make_history(home, pushed, seed=2)
                push = [*aipm, "lrs", "push", "--endpoint", server.endpoint]
                for label in ("first push", "second push"):
                    show(results, f"{label}, {pushed:,} changes", timed(push, {**env, "AIPM_HOME": str(home)}))
                with open(server.data / "fs_lrs.jsonl", "rb") as held:  # counted, not read into this process
                    results["statements stored"] = sum(1 for _line in held)
                print(f"statements stored: {results['statements stored']:,}", flush=True)
            finally:
                server.stop()
        if learners:
            server = Ralph(Path(tmp) / "ralph-cohort", auth)
            server.env["RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT"] = "500"  # serve aipm's pages whole
            server.start()
            try:
                start = time.perf_counter()
                # In a child process: this one stays small, as the processes it forks start with its memory.
                fill = [sys.executable, __file__, "--fill", server.endpoint, "--learners", str(learners)]
                made = subprocess.run([*fill, "--changes", str(args.changes)], env=env, capture_output=True, check=True)
                held = int(made.stdout)
                print(f"cohort of {learners:,} learners: {held:,} statements written into Ralph in "
                      f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
                results["cohort statements"] = held
                home = Path(tmp) / "instructor"
                report = [*aipm, "cohort", "report", "--lrs", server.endpoint, "--format", "json"]
                for label in ("first report", "second report"):
                    key = f"cohort report --lrs, {label}, {learners:,} learners x {args.changes} changes"
                    show(results, key, timed(report, {**env, "AIPM_HOME": str(home)}))
            finally:
                server.stop()
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
