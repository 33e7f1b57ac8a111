"""Benchmark of `aipm cohort report`: 250, 500 and 1,000 learners with 500 changes each.

    python bench/cohort_bench.py            # 250 / 500 / 1,000 learners
    python bench/cohort_bench.py --quick    # 50 / 100 learners, a smoke check
    python bench/cohort_bench.py --scale    # 1,000 and 10,000 learners, with the cohort index (opt-in: minutes
                                            # and about 1.3 GB of disk; not run in CI)
    python bench/cohort_bench.py --scale --sizes 1000   # one size only

`--scale` writes one data directory per size (the first 200 learners' logs
are generated, the rest are copies of them under other names: the report
folds each learner anyway), then measures:

- the baseline: reading and parsing every log line once with the same JSON
  reader the fold uses (`record.logs.changes`), in one process;
- the first report (an empty cohort index) and its peak memory;
- a second report after 1% of the learners made 10 new changes each (only
  those learners are folded again).

Targets (issue 28): the first report within 2x the baseline and under
500 MB; the second under 5 s on 2 cores.

Each cohort is written twice, straight to disk for speed (change lines made
with `aipm_cli.record.changes.line`, ids from `new_id`): as one JSON export
per learner in a folder, and as one data directory holding every learner (the
layout a clone of a cohort's sync repository has). `aipm cohort report
--format json` is then timed on each as a separate process, with its peak
memory. Target: under 5 s and 500 MB at 1,000 learners, growing linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import aipm_command  # noqa: E402

CHANGES = 500
TARGET_SECONDS = 5.0
TARGET_MB = 500


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, int]:
    """Wall time (s), CPU time (s, with the worker processes), peak RSS (MB) and exit code (as run.run, plus CPU).

    CPU time is reported beside wall time because on a shared machine the wall time says more about
    the neighbours than about aipm.
    """
    import subprocess
    import time

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, round(usage.ru_maxrss / 1024), os.waitstatus_to_exitcode(status)


def learner_changes(ids: list[str], skills: list[str], rng: random.Random, device: str) -> list[dict[str, object]]:
    """CHANGES plausible changes over a year: starts, completions, skips, notes, evidence, ratings, undos."""
    from aipm_cli.record.changes import FORMAT
    from aipm_cli.record.ids import new_id

    moment = datetime(2025, 11, 24, 9, tzinfo=UTC)
    step = timedelta(days=365) / CHANGES
    out: list[dict[str, object]] = []
    last: str | None = None
    for _ in range(CHANGES):
        moment += step
        roll = rng.random()
        change: dict[str, object]
        if roll < 0.05 and out and out[-1]["op"] != "undo":
            change = {"op": "undo", "target": out[-1]["id"]}
        elif roll < 0.15:
            change = {"op": "assess", "skill": rng.choice(skills), "level": rng.randint(1, 5)}
        elif roll < 0.25:
            change = {"op": "note", "targets": [rng.choice(ids)], "text": "Worked through the exercises again."}
        else:
            item = rng.choice(ids)
            op = rng.choice(["start", "start", "done", "done", "done", "skip", "reset"])
            change = {"op": op, "targets": [item], "units": [item]}
            if op == "done" and rng.random() < 0.3:
                change["evidence"] = [f"https://example.org/portfolio/{item}"]
        last = new_id(moment, last)
        change.update(v=FORMAT, id=last, at=moment.isoformat(), on=moment.date().isoformat(), device=device)
        out.append(change)
    return out


def make_cohort(size: int, folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """`size` learners as a folder of exports and as one data directory."""
    from aipm_cli.record.changes import line
    from aipm_cli.roadmap import finding, loading

    roadmap = loading.load_roadmap_file(finding.find("ai-product-manager", folder / "none"))
    ids = list(roadmap.index.trackable_ids())
    skills = [s.id for s in roadmap.skills]
    rng = random.Random(seed)
    exports = folder / "exports"
    data = folder / "data"
    exports.mkdir(parents=True)
    for n in range(size):
        name = f"learner-{n:04d}"
        device = f"laptop-{n:04x}"
        made = learner_changes(ids, skills, rng, device)
        lines = [line(c) for c in made]
        changes = data / "learners" / name / roadmap.id / "changes"
        changes.mkdir(parents=True)
        (changes / f"{device}.jsonl").write_bytes(b"".join(lines))
        head = {
            "format": "aipm-export",
            "export_version": 2,
            "exported_at": "2026-11-24T10:00:00+00:00",
            "as_of": "2026-11-24",
            "user": name,
            "roadmap": {"id": roadmap.id, "title": roadmap.title, "version": roadmap.version},
        }
        text = json.dumps(head, indent=2)[:-2] + ',\n  "changes": [\n    '
        text += ",\n    ".join(raw.decode().rstrip("\n") for raw in lines) + "\n  ]\n}\n"
        (exports / f"{name}.json").write_text(text)
    return exports, data


def make_data_dir(size: int, folder: Path, distinct: int = 200, seed: int = 7) -> tuple[Path, list[Path]]:
    """`size` learners in one data directory (the first `distinct` generated, the rest copies); their log files."""
    from aipm_cli.record.changes import line
    from aipm_cli.roadmap import finding, loading

    roadmap = loading.load_roadmap_file(finding.find("ai-product-manager", folder / "none"))
    ids = list(roadmap.index.trackable_ids())
    skills = [s.id for s in roadmap.skills]
    rng = random.Random(seed)
    data = folder / "data"
    made: list[bytes] = []
    files = []
    for n in range(size):
        if n < distinct:
            made.append(b"".join(line(c) for c in learner_changes(ids, skills, rng, f"laptop-{n:04x}")))
        changes = data / "learners" / f"learner-{n:05d}" / roadmap.id / "changes"
        changes.mkdir(parents=True)
        path = changes / f"laptop-{n % distinct:04x}.jsonl"
        path.write_bytes(made[n % distinct])
        files.append(path)
    return data, files


def append_changes(path: Path, count: int, rng: random.Random) -> None:
    """`count` new changes at the end of a learner's log, dated after everything in it."""
    from aipm_cli.record.changes import FORMAT, line
    from aipm_cli.record.ids import new_id

    device = path.stem
    moment = datetime(2026, 11, 24, 8, tzinfo=UTC)
    last = None
    out = []
    for n in range(count):
        moment += timedelta(minutes=1)
        last = new_id(moment, last)
        item = rng.choice(["ai-for-everyone", "user-research", "product-strategy"])
        op = "start" if n % 2 else "done"
        out.append(line({"v": FORMAT, "id": last, "at": moment.isoformat(), "on": moment.date().isoformat(),
                         "device": device, "op": op, "targets": [item], "units": [item]}))  # fmt: skip
    with path.open("ab") as handle:
        handle.write(b"".join(out))


def baseline(files: list[Path]) -> float:
    """Seconds to read and parse every line of these logs once, with the reader the fold uses."""
    import time

    from aipm_cli.record import logs

    logs.fast_reading()
    start = time.perf_counter()
    for path in files:
        for _change in logs.changes(path, logs.Problems()):
            pass
    return time.perf_counter() - start


def scale(sizes: list[int]) -> None:
    """The --scale run: first and second report, against the baseline (see the module docstring)."""
    aipm = aipm_command()
    rows = []
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="aipm-cohort-scale-"))
        try:
            data, files = make_data_dir(size, folder)
            env = {**os.environ, "AIPM_HOME": str(folder / "home"), "AIPM_NOW": "2026-11-24T10:00:00+00:00"}
            parse = baseline(files)
            command = [*aipm, "cohort", "report", str(data), "--format", "json"]
            first = timed(command, env)
            rng = random.Random(size)
            for path in rng.sample(files, max(1, size // 100)):
                append_changes(path, 10, rng)
            second = timed(command, env)
            rebuilt = timed([*command, "--rebuild"], env)
            for label, (_seconds, _cpu, _mb, code) in (("first", first), ("second", second), ("--rebuild", rebuilt)):
                if code != 0:
                    raise SystemExit(f"cohort report ({label}, {size} learners) exited with {code}")
            rows.append((size, parse, first, second, rebuilt))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'learners':>8} {'changes':>10} {'parse s':>8}  {'first: wall, CPU, MB':>22}  {'x parse':>7}"
          f"  {'second: wall, CPU, MB':>22}  {'--rebuild: wall, CPU':>20}")  # fmt: skip
    for size, parse, first, second, rebuilt in rows:
        print(f"{size:>8} {size * CHANGES:>10,} {parse:>8.2f}  {first[0]:>8.2f} {first[1]:>7.2f} {first[2]:>5}"
              f"  {first[0] / parse:>7.1f}  {second[0]:>8.2f} {second[1]:>7.2f} {second[2]:>5}"
              f"  {rebuilt[0]:>10.2f} {rebuilt[1]:>8.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small cohorts only")
    parser.add_argument("--scale", action="store_true", help="1,000 and 10,000 learners with the cohort index")
    parser.add_argument("--sizes", type=int, nargs="+", help="with --scale: these cohort sizes")
    args = parser.parse_args()
    if args.scale:
        scale(args.sizes or [1000, 10000])
        return
    sizes = [50, 100] if args.quick else [250, 500, 1000]
    aipm = aipm_command()
    rows = []
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="aipm-cohort-bench-"))
        try:
            exports, data = make_cohort(size, folder)
            env = {**os.environ, "AIPM_HOME": str(folder / "home"), "AIPM_NOW": "2026-11-24T10:00:00+00:00"}
            for kind, source in (("exports", exports), ("data dir", data)):
                seconds, cpu, mb, code = timed([*aipm, "cohort", "report", str(source), "--format", "json"], env)
                if code != 0:
                    raise SystemExit(f"cohort report on {kind} ({size} learners) exited with {code}")
                rows.append((size, kind, seconds, cpu, mb))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'learners':>8}  {'source':<9} {'changes':>9} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}  target")
    for size, kind, seconds, cpu, mb in rows:
        met = "met" if seconds < TARGET_SECONDS and mb < TARGET_MB else "MISSED"
        print(f"{size:>8}  {kind:<9} {size * CHANGES:>9,} {seconds:>7.2f} {cpu:>7.2f} {mb:>8}  {met}")


if __name__ == "__main__":
    main()
