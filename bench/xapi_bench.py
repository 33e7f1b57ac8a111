"""Cost at scale of aipm's xAPI side: the export, a push to a local LRS and the second push.

    python bench/xapi_bench.py                       # export of 1,000,000 changes; push of 10,000
    python bench/xapi_bench.py --export 100000 --push 2000

The history is bench/history.py's (status churn, undos, notes, ratings). The
export is timed writing to /dev/null, with the process's peak memory (it
streams: memory should not grow with the history). The push goes to Ralph
(`ralph runserver -b fs`, as the tests start it) on a loopback port, in
batches of 500; the second push should cost only the cursor check. Ralph's
file-system backend reads its whole file to look for the ids of every
batch, so pushes of 100,000 changes take long on it whatever the client does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))


def aipm_command() -> list[str]:
    script = Path(sys.executable).with_name("aipm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aipm_cli"]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, round(usage.ru_maxrss / 1024), os.waitstatus_to_exitcode(status)


def main() -> None:
    from history import make_history

    parser = argparse.ArgumentParser()
    parser.add_argument("--export", type=int, default=1_000_000, help="changes in the exported history")
    parser.add_argument("--push", type=int, default=10_000, help="changes pushed to the local LRS (0: no push)")
    args = parser.parse_args()
    aipm = aipm_command()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "AIPM_USER": "bench", "NO_COLOR": "1", "AIPM_NOW": "2026-11-24T10:00:00+00:00"}
        for size in sorted({min(args.export, 10_000), args.export}):
            home = Path(tmp) / f"export-{size}"
            make_history(home, size, seed=1)
            seconds, peak, code = timed([*aipm, "export", "--format", "xapi"], {**base, "AIPM_HOME": str(home)})
            results[f"export {size:,} changes"] = {"seconds": round(seconds, 2), "peak_mb": peak, "exit": code}
            print(f"export --format xapi, {size:,} changes: {seconds:.1f} s, {peak} MB (exit {code})", flush=True)
        if args.push:
            from ralph_lrs import SECRET, USER, Ralph, make_credentials

            server = Ralph(Path(tmp) / "ralph", make_credentials(Path(tmp) / "ralph-auth"))
            server.start()
            try:
                home = Path(tmp) / "push"
                make_history(home, args.push, seed=2)
                env = {**base, "AIPM_HOME": str(home), "AIPM_LRS_USER": USER, "AIPM_LRS_SECRET": SECRET}
                push = [*aipm, "lrs", "push", "--endpoint", server.endpoint]
                for label in ("first push", "second push"):
                    seconds, peak, code = timed(push, env)
                    key = f"{label}, {args.push:,} changes"
                    results[key] = {"seconds": round(seconds, 2), "peak_mb": peak, "exit": code}
                    print(f"{key}: {seconds:.1f} s, {peak} MB (exit {code})", flush=True)
                results["statements stored"] = len(server.stored())
            finally:
                server.stop()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "xapi-latest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
