"""aipm's benchmark: start-up against the bare imports, and cost at scale.

    python bench/run.py            # full run (a few minutes)
    python bench/run.py --quick    # fewer runs and sizes, for a smoke check

Run it with the Python of the environment aipm is installed in. It prints a
table, reports each target as met or not, and writes bench/results/latest.json.

Start-up: `aipm status`, `aipm --help`, `aipm list` and `aipm done ITEM` are
timed interleaved with the baseline `python -c "import typer, rich.console,
pydantic, yaml"` (medians of many runs). The package is byte-compiled first,
as `pip install` leaves it.

Scale: a generated roadmap (250 to 2,000 items) and a store with 12,500 to
100,000 history entries, made through aipm's public export format and
`aipm import`. Each size times `status` (warm snapshot and cold), `list
--json`, `done` and `export --format json`, with each process's peak memory.
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = [sys.executable, "-c", "import typer, rich.console, pydantic, yaml"]
KINDS = ["course", "topic", "resource", "practice", "exercise"]
DURATIONS = ["2h", "4 weeks", "6-8 weeks", "90 minutes", None]


def aipm_command() -> list[str]:
    script = Path(sys.executable).with_name("aipm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aipm_cli"]


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall time (s), peak RSS (MB) and exit code of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, round(usage.ru_maxrss / 1024), proc.returncode


# --------------------------------------------------------------------------- #
# Start-up
# --------------------------------------------------------------------------- #


def startup(runs: int, base_env: dict[str, str]) -> dict[str, dict[str, float]]:
    aipm = aipm_command()
    home = Path(tempfile.mkdtemp(prefix="aipm-bench-"))
    env = {**base_env, "AIPM_HOME": str(home), "AIPM_USER": "bench"}
    # A learner with some progress, so the views have something to show.
    for args in (["done", "ai-for-everyone"], ["start", "digital-product-management"], ["skip", "product-hunt"]):
        subprocess.run([*aipm, *args], env=env, check=True, capture_output=True)
    commands = {
        "baseline": BASELINE,
        "status": [*aipm, "status"],
        "--help": [*aipm, "--help"],
        "list": [*aipm, "list"],
        "done": [*aipm, "done", "user-research"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            if name == "done":  # measure a real write every time: undo the mark first (not timed)
                subprocess.run([*aipm, "reset", "user-research"], env=env, capture_output=True)
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


# --------------------------------------------------------------------------- #
# Scale
# --------------------------------------------------------------------------- #


def make_roadmap(items: int, path: Path, rng: random.Random) -> list[str]:
    import yaml

    ids: list[str] = []
    phases = []
    per_module, modules_per_phase = 10, 10
    count = 0
    for p in range(math.ceil(items / (per_module * modules_per_phase))):
        modules = []
        for m in range(modules_per_phase):
            entries = []
            for _ in range(per_module):
                if count == items:
                    break
                item_id = f"item-{count:05d}"
                entry: dict[str, object] = {
                    "id": item_id,
                    "title": f"Generated item {count} on topic {p}.{m}",
                    "kind": rng.choice(KINDS),
                }
                duration = rng.choice(DURATIONS)
                if duration:
                    entry["duration"] = duration
                if ids and rng.random() < 0.3:
                    entry["requires"] = [ids[-1]]
                entries.append(entry)
                ids.append(item_id)
                count += 1
            if entries:
                modules.append({"id": f"m-{p}-{m}", "title": f"Module {p}.{m}", "items": entries})
        phases.append({"id": f"phase-{p}", "title": f"Phase {p}", "modules": modules})
    roadmap = {"id": f"bench-{items}", "title": f"Benchmark {items}", "version": "1", "phases": phases}
    path.write_text(yaml.safe_dump(roadmap, sort_keys=False))
    return ids


def make_export(roadmap_id: str, ids: list[str], history: int, path: Path, rng: random.Random) -> None:
    """A store's worth of history in aipm's public export format."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    items: dict[str, dict[str, str]] = {}
    entries = []
    for seq in range(1, history + 1):
        item_id = rng.choice(ids)
        at = start + timedelta(minutes=30 * seq)
        before = items.get(item_id)
        status = rng.choice(["in_progress", "done", "skipped", "not_started"])
        after = None
        if status != "not_started":
            after = {"status": status, "started_on": at.date().isoformat()}
            if status == "done":
                after["completed_on"] = at.date().isoformat()
            items[item_id] = after
        else:
            items.pop(item_id, None)
        verb = {"in_progress": "start", "done": "done", "skipped": "skip", "not_started": "reset"}[status]
        entries.append({"seq": seq, "at": at.isoformat(), "action": verb, "items": [item_id],
                        "before": {item_id: before}, "after": {item_id: after}})  # fmt: skip
    document = {
        "format": "aipm-export",
        "export_version": 1,
        "user": "bench",
        "roadmap": {"id": roadmap_id, "title": roadmap_id, "version": "1"},
        "progress": {"roadmap_version": "1", "items": items, "skills": {}, "history": entries},
    }
    path.write_text(json.dumps(document))


def measure(
    cmd: list[str], env: dict[str, str], repeats: int, before: list[str] | None = None, clear: Path | None = None
) -> dict[str, float]:
    """Median time and peak memory of `cmd`; `before` runs untimed first, `clear` is deleted first."""
    samples, peaks = [], []
    for _ in range(repeats):
        if before:
            subprocess.run(before, env=env, capture_output=True)
        if clear is not None:
            shutil.rmtree(clear, ignore_errors=True)
        elapsed, peak, code = run(cmd, env)
        if code != 0:
            raise SystemExit(f"`{' '.join(cmd)}` failed with exit code {code}")
        samples.append(elapsed)
        peaks.append(peak)
    return {"median_s": round(statistics.median(samples), 3), "peak_mb": max(peaks)}


def scale(sizes: list[tuple[int, int]], repeats: int, base_env: dict[str, str]) -> list[dict[str, object]]:
    aipm = aipm_command()
    rng = random.Random(20261124)
    results = []
    for items, history in sizes:
        work = Path(tempfile.mkdtemp(prefix="aipm-bench-scale-"))
        roadmap = work / "roadmap.yaml"
        # Generated in a child process: a child's peak-memory figure starts at
        # its parent's size when forked, so this process must stay small.
        subprocess.run(
            [sys.executable, __file__, "--make", str(items), str(history), str(work), str(rng.randrange(10**9))],
            check=True,
        )
        target = "item-00000"
        env = {**base_env, "AIPM_HOME": str(work / "home"), "AIPM_USER": "bench"}
        base = [*aipm, "--roadmap", str(roadmap)]
        subprocess.run([*base, "import", str(work / "export.json")], env=env, check=True, capture_output=True)
        snapshots = work / "home" / "cache" / "snapshots"
        row: dict[str, object] = {"items": items, "history": history}

        subprocess.run([*base, "status"], env=env, capture_output=True)  # warm the snapshot
        row["status"] = measure([*base, "status"], env, repeats)
        row["status_cold"] = measure([*base, "status"], env, repeats, clear=snapshots)
        row["list_json"] = measure([*base, "list", "--json"], env, repeats)
        row["done"] = measure([*base, "done", target], env, repeats, before=[*base, "reset", target])
        row["export_json"] = measure([*base, "export", "--format", "json"], env, repeats)
        results.append(row)
        shutil.rmtree(work, ignore_errors=True)
        print(f"  measured {items} items, {history} history entries", file=sys.stderr)
    return results


# --------------------------------------------------------------------------- #
# Targets and report
# --------------------------------------------------------------------------- #


def growth(results: list[dict[str, object]], key: str) -> float | None:
    """The exponent of cost against size between the two largest sizes (1.0 = linear)."""
    if len(results) < 2:
        return None
    small, large = results[-2], results[-1]
    size_ratio = int(large["history"]) / int(small["history"])  # type: ignore[call-overload]
    t_small = small[key]["median_s"]  # type: ignore[index]
    t_large = large[key]["median_s"]  # type: ignore[index]
    if t_small <= 0:
        return None
    return round(math.log(t_large / t_small) / math.log(size_ratio), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes")
    parser.add_argument("--runs", type=int, help="start-up runs per command (default 30, quick 8)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--make", nargs=4, metavar=("ITEMS", "HISTORY", "DIR", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:  # child mode: write one size's roadmap and export
        items, history, folder, seed = int(args.make[0]), int(args.make[1]), Path(args.make[2]), int(args.make[3])
        generator = random.Random(seed)
        ids = make_roadmap(items, folder / "roadmap.yaml", generator)
        make_export(f"bench-{items}", ids, history, folder / "export.json", generator)
        return
    runs = args.runs or (8 if args.quick else 30)
    sizes = (
        [(250, 12_500), (500, 25_000)]
        if args.quick
        else [(250, 12_500), (500, 25_000), (1000, 50_000), (2000, 100_000)]
    )
    repeats = 1 if args.quick else 3

    import aipm_cli

    compileall.compile_dir(str(Path(aipm_cli.__file__).parent), quiet=1)
    env = {k: v for k, v in os.environ.items() if k not in ("AIPM_NOW", "AIPM_ROADMAP")}
    env.update(NO_COLOR="1", COLUMNS="80")

    print(f"Start-up ({runs} interleaved runs each)...", file=sys.stderr)
    start = startup(runs, env)
    print("Scale...", file=sys.stderr)
    big = scale(sizes, repeats, env)

    largest = big[-1]
    targets = [
        ("status within 1.15x of the baseline", start["status"]["ratio"], 1.15, start["status"]["ratio"] <= 1.15),
        ("--help within 1.1x of the baseline", start["--help"]["ratio"], 1.1, start["--help"]["ratio"] <= 1.1),
    ]
    if largest["items"] == 2000:
        for key, limit in (("status", 0.5), ("done", 0.6), ("export_json", 1.0)):
            value = largest[key]["median_s"]  # type: ignore[index]
            targets.append((f"{key} at 2,000 items / 100,000 entries under {limit} s", value, limit, value < limit))
        peak = max(largest[k]["peak_mb"] for k in ("status", "status_cold", "list_json", "done", "export_json"))  # type: ignore[index]
        targets.append(("peak memory at that size under 150 MB", peak, 150, peak < 150))
    for key in ("status", "status_cold", "list_json", "done", "export_json"):
        exponent = growth(big, key)
        if exponent is not None:
            targets.append((f"{key}: cost grows linearly (exponent <= 1.2)", exponent, 1.2, exponent <= 1.2))

    print()
    print(f"{'start-up':<12} {'median':>9} {'x baseline':>11}")
    for name, value in start.items():
        print(f"{name:<12} {value['median_ms']:>7} ms {value['ratio']:>10}x")
    print()
    header = f"{'items':>6} {'history':>8} " + " ".join(
        f"{k:>18}" for k in ("status", "status cold", "list --json", "done", "export json")
    )
    print(header)
    for row in big:
        cells = []
        for key in ("status", "status_cold", "list_json", "done", "export_json"):
            cell = row[key]
            cells.append(f"{cell['median_s']:>7.3f} s {cell['peak_mb']:>4} MB")  # type: ignore[index]
        print(f"{row['items']:>6} {row['history']:>8} " + " ".join(f"{c:>18}" for c in cells))
    print()
    for name, value, limit, met in targets:
        print(f"{'met    ' if met else 'NOT MET'}  {name}: {value} (target {limit})")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "startup": start,
        "scale": big,
        "targets": [{"target": n, "value": v, "limit": lim, "met": m} for n, v, lim, m in targets],
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
