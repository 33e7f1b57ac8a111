"""A study history for the benchmark: study sessions and review ratings as change lines (issue 26).

    python bench/study.py DATA_DIR [SESSIONS] [RATINGS]

Writes one device's log on the bundled roadmap: the items of the first
module done, then SESSIONS timed study sessions (one to eight a day, spread
over the items) and RATINGS review ratings of the finished items, in id order,
as aipm itself would have written them.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aipm_cli.record.changes import line
from aipm_cli.record.ids import encode_id

ITEMS = ["ai-for-everyone", "identifying-ai-opportunities", "cross-functional-collaboration"]
DONE = ["ai-for-everyone"]


def write(home: Path, sessions: int = 100_000, ratings: int = 10_000, device: str = "bench") -> Path:
    folder = home / "learners" / "ada" / "ai-product-manager" / "changes"
    folder.mkdir(parents=True, exist_ok=True)
    (home / "device").write_text(device + "\n")
    start = datetime(2000, 1, 1, tzinfo=UTC)
    counter = [0]

    def change(moment: datetime, **fields: object) -> bytes:
        counter[0] += 1
        millis = int(moment.timestamp() * 1000)
        data = {"v": 1, "id": encode_id((millis << 80) | counter[0]), "at": moment.isoformat(),
                "on": moment.date().isoformat(), "device": device, **fields}  # fmt: skip
        return line(data)

    out = [change(start, op="done", targets=DONE, units=DONE)]
    total = sessions + ratings
    step = timedelta(minutes=max(1, (24 * 60 * 365 * 25) // max(1, total)))  # over about 25 years
    moment = start + step
    every = max(1, total // max(1, ratings)) if ratings else 0
    for number in range(total):
        if every and number % every == every - 1 and ratings:
            out.append(change(moment, op="review", targets=[DONE[0]], rating=1 + number % 4))
            ratings -= 1
        else:
            began = moment - timedelta(minutes=30)
            out.append(change(moment, op="study", targets=[ITEMS[number % len(ITEMS)]], minutes=25,
                              began=began.isoformat(timespec="seconds")))  # fmt: skip
        moment += step
    path = folder / f"{device}.jsonl"
    path.write_bytes(b"".join(out))
    return path


if __name__ == "__main__":
    target = write(Path(sys.argv[1]), *(int(a) for a in sys.argv[2:4]))
    print(json.dumps({"log": str(target), "bytes": target.stat().st_size}))


def study_bench(runs: int, base_env: dict[str, str], sessions: int = 100_000, ratings: int = 10_000) -> dict:
    """`today`, `review` and `study` with SESSIONS sessions and RATINGS ratings in the log, and `study start`
    and `study stop`, interleaved with the baseline (`import typer, rich.console, pydantic, yaml`)."""
    import shutil
    import statistics
    import subprocess
    import tempfile

    from run import BASELINE, aipm_command, run

    aipm = aipm_command()
    home = Path(tempfile.mkdtemp(prefix="aipm-bench-study-"))
    write(home, sessions, ratings)
    env = {**base_env, "AIPM_HOME": str(home), "AIPM_USER": "ada"}
    subprocess.run([*aipm, "status"], env=env, check=True, capture_output=True)  # the cache, as after any write
    commands = {
        "baseline": BASELINE, "today": [*aipm, "today"], "review": [*aipm, "review"], "study": [*aipm, "study"],
        "study start": [*aipm, "study", "start", "ai-for-everyone"], "study stop": [*aipm, "study", "stop"],
        # Writes of another kind on the same log, for comparison.
        "done": [*aipm, "done", "product-hunt"], "reset": [*aipm, "reset", "product-hunt"],
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            elapsed, _mem, code = run(cmd, env)
            if code != 0:
                raise SystemExit(f"`{' '.join(cmd)}` failed with exit code {code}")
            times[name].append(elapsed)
    shutil.rmtree(home, ignore_errors=True)
    base = statistics.median(times["baseline"])
    return {
        name: {"median_ms": round(statistics.median(t) * 1000, 1), "ratio": round(statistics.median(t) / base, 2)}
        for name, t in times.items()
    }
