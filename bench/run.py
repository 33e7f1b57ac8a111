"""aipm's benchmark: start-up against the bare imports, and cost at scale.

    python bench/run.py            # full run (a few minutes)
    python bench/run.py --quick    # fewer runs and sizes, for a smoke check
    python bench/run.py --startup  # only the start-up table

Run it with the Python of the environment aipm is installed in. It prints a
table, reports each target as met or not, and writes bench/results/latest.json.

Start-up: every read command (status, list, next, show, log -n 20, skills,
plan, export md), warm and cold (a new day, the derived-state cache gone),
three writes (done, note, undo), --help and the first `status` after a fresh
install (no data directory, no cache: the bundled roadmap's validated data
ships in the package), timed interleaved with two
baselines: `python -c "import typer, rich.console, pydantic, yaml"` and
`python -c "import typer, rich.console"` (medians of many runs). The package
is byte-compiled first, as `pip install` leaves it.

Notes: 100, 10,000 and 200,000 notes on one item (bench/notes_bench.py): a
write's cost and every read's memory stay flat.

History: 1,000, 100,000 and 1,000,000 changes (bench/history.py) on the
bundled roadmap. Each size times `done`, `undo`, `status`, `show`, `log
--limit 20`, `doctor` and a full cache rebuild, the full `log` (time to its
first line, and in all), each process's peak memory, and the disk that 20
writes add to the data directory; and the full `log` and `log --json` into a
file (changes a second), `export --format json` (its memory), and reading
every line once with orjson (what doctor and --rebuild are held to, 2x).

xAPI (bench/xapi_bench.py, in a child process): `export --format xapi` of
1,000,000 changes (memory flat), `lrs push` of 100,000 changes to a local
Ralph LRS and the second push (only the cursor check), and `cohort report
--lrs` of 1,000 learners read back from it.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
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


READS = {
    "status": ["status"],
    "list": ["list"],
    "next": ["next"],
    "show": ["show", "ai-for-everyone"],
    "log -n 20": ["log", "--limit", "20"],
    "skills": ["skills"],
    "plan": ["plan"],
    "export md": ["export", "--format", "md"],
}
WRITES = {"done": ["done", "user-research"], "note": ["note", "user-research", "bench"], "undo": ["undo"]}
BASELINE_LIGHT = [sys.executable, "-c", "import typer, rich.console"]


def startup(runs: int, base_env: dict[str, str]) -> dict[str, dict[str, float]]:
    """Every read command warm and cold, and three writes, interleaved with both baselines."""
    aipm = aipm_command()
    home = Path(tempfile.mkdtemp(prefix="aipm-bench-"))
    env = {**base_env, "AIPM_HOME": str(home), "AIPM_USER": "bench"}
    # A learner with some progress, so the views have something to show.
    for args in (["done", "ai-for-everyone"], ["start", "digital-product-management"], ["skip", "product-hunt"],
                 ["assess", "product-management", "2"]):  # fmt: skip
        subprocess.run([*aipm, *args], env=env, check=True, capture_output=True)
    commands: dict[str, list[str]] = {"baseline": BASELINE, "baseline light": BASELINE_LIGHT}
    for name, args in READS.items():
        commands[name] = [*aipm, *args]
        commands[f"{name} (cold)"] = [*aipm, *args]
    for name, args in WRITES.items():
        commands[name] = [*aipm, *args]
    commands["--help"] = [*aipm, "--help"]
    # The first command after an install: a data directory and a cache that do not exist yet.
    commands["status (first)"] = [*aipm, "status"]
    times: dict[str, list[float]] = {name: [] for name in commands}
    state_cache = home / "cache" / "state"
    for round_number in range(runs):
        for name, cmd in commands.items():
            run_env = env
            if name.endswith("(cold)"):
                # A new day, and the derived-state cache gone: what a learner who looks every few days gets.
                shutil.rmtree(state_cache, ignore_errors=True)
                run_env = {**env, "AIPM_NOW": f"2027-{1 + round_number % 12:02d}-{1 + round_number % 28:02d}T09:00:00"}
            if name == "status (first)":
                run_env = {**env, "AIPM_HOME": str(home / f"fresh-{round_number}")}
            if name == "done":  # measure a real write every time: undo the mark first (not timed)
                subprocess.run([*aipm, "reset", "user-research"], env=env, capture_output=True)
            if name == "undo":
                subprocess.run([*aipm, "done", "user-research"], env=env, capture_output=True)
            elapsed, _mem, code = run(cmd, run_env)
            if code != 0:
                raise SystemExit(f"`{' '.join(cmd)}` failed with exit code {code}")
            times[name].append(elapsed)
    shutil.rmtree(home, ignore_errors=True)
    base = statistics.median(times["baseline"])
    light = statistics.median(times["baseline light"])
    return {
        name: {
            "median_ms": round(statistics.median(t) * 1000, 1),
            "ratio": round(statistics.median(t) / base, 2),
            "ratio_light": round(statistics.median(t) / light, 2),
        }
        for name, t in times.items()
    }


def completion_bench(runs: int, base_env: dict[str, str]) -> dict[str, float]:
    """One completion request at 2,000 items, interleaved with `import typer, rich.console`."""
    import yaml

    aipm = aipm_command()
    work = Path(tempfile.mkdtemp(prefix="aipm-bench-completion-"))
    items = [{"id": f"item-{n:04d}", "title": f"Generated item {n}", "kind": "topic"} for n in range(2000)]
    modules = [
        {"id": f"module-{m}", "title": f"Module {m}", "items": items[m * 100 : (m + 1) * 100]} for m in range(20)
    ]
    roadmap = {
        "id": "bench",
        "title": "Bench",
        "version": "1",
        "phases": [{"id": "p", "title": "P", "modules": modules}],
    }
    path = work / "bench.yaml"
    path.write_text(yaml.safe_dump(roadmap, sort_keys=False))
    env = {**base_env, "AIPM_HOME": str(work / "home"), "AIPM_USER": "bench"}
    subprocess.run([*aipm, "--roadmap", str(path), "status"], env=env, check=True, capture_output=True)
    request = {**env, "_AIPM_COMPLETE": "bash", "_AIPM_CWORD": "4"}
    times: dict[str, list[float]] = {"baseline light": [], "completion": []}
    for _ in range(runs):
        times["baseline light"].append(run(BASELINE_LIGHT, env)[0])
        times["completion"].append(run([*aipm, "--roadmap", str(path), "done", "item-01"], request)[0])
    shutil.rmtree(work, ignore_errors=True)
    light = statistics.median(times["baseline light"])
    done = statistics.median(times["completion"])
    return {"median_ms": round(done * 1000, 1), "ratio_light": round(done / light, 2)}


def tui_bench(runs: int, base_env: dict[str, str]) -> dict[str, float]:
    """Time to the first frame of `aipm tui` (drawn headless, then it leaves)."""
    aipm = aipm_command()
    home = Path(tempfile.mkdtemp(prefix="aipm-bench-tui-"))
    env = {**base_env, "AIPM_HOME": str(home), "AIPM_USER": "bench", "AIPM_TUI_FIRST_FRAME": "1"}
    subprocess.run([*aipm, "done", "ai-for-everyone"], env=env, check=True, capture_output=True)
    times = [run([*aipm, "tui"], env)[0] for _ in range(runs)]
    shutil.rmtree(home, ignore_errors=True)
    return {"median_s": round(statistics.median(times), 3)}


def growth_ratio(rows: list[dict[str, object]], key: str) -> float:
    """Largest over smallest median across history sizes (1.0 = flat)."""
    values = [float(r[key]["median_s"]) for r in rows]  # type: ignore[index]
    return round(max(values) / min(values), 2) if min(values) > 0 else 0.0


def print_startup(start: dict[str, dict[str, float]]) -> None:
    print()
    print(f"{'start-up':<20} {'median':>9} {'x baseline':>11} {'x light':>8}")
    for name, value in start.items():
        print(f"{name:<20} {value['median_ms']:>7} ms {value['ratio']:>10}x {value['ratio_light']:>7}x")


def print_study(studied: dict[str, dict[str, float]]) -> None:
    print()
    print(f"{'100,000 sessions':<20} {'median':>9} {'x baseline':>11}")
    for name, value in studied.items():
        print(f"{name:<20} {value['median_ms']:>7} ms {value['ratio']:>10}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes")
    parser.add_argument("--runs", type=int, help="start-up runs per command (default 30, quick 8)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--startup", action="store_true", help="only the start-up table (nothing written)")
    parser.add_argument("--study", action="store_true", help="only the study-time and review table (nothing written)")
    args = parser.parse_args()
    runs = args.runs or (8 if args.quick else 30)
    sizes = [1_000, 100_000] if args.quick else [1_000, 100_000, 1_000_000]
    repeats = 1 if args.quick else 3

    import aipm_cli

    compileall.compile_dir(str(Path(aipm_cli.__file__).parent), quiet=1)
    env = {k: v for k, v in os.environ.items() if k not in ("AIPM_NOW", "AIPM_ROADMAP")}
    env.update(NO_COLOR="1", COLUMNS="80")

    sys.path.insert(0, str(HERE))
    from study import study_bench

    if args.study:
        print_study(study_bench(runs, env))
        return
    print(f"Start-up ({runs} interleaved runs each)...", file=sys.stderr)
    start = startup(runs, env)
    if args.startup:
        print_startup(start)
        return
    print("Study time and review...", file=sys.stderr)
    studied = study_bench(runs, env)
    print("History...", file=sys.stderr)
    from history import measure_history

    rows = measure_history(aipm_command(), sizes, repeats, env)
    from history import measure_import

    imported = measure_import(aipm_command(), sizes[-1], env)
    print("Notes...", file=sys.stderr)
    from notes_bench import measure_notes, print_rows
    from notes_bench import targets as notes_targets

    noted = measure_notes(aipm_command(), [100, 10_000, 200_000], repeats + 2, env)
    print("Completion...", file=sys.stderr)
    completing = completion_bench(runs, env)
    print("Terminal UI...", file=sys.stderr)
    tui = tui_bench(max(5, runs // 3), env)
    print("Sync...", file=sys.stderr)
    from sync_bench import sync_benchmark

    synced = sync_benchmark(10_000)
    print("Cohort...", file=sys.stderr)
    cohort = subprocess.run(
        [sys.executable, str(HERE / "cohort_bench.py"), *(["--quick"] if args.quick else [])],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    print("xAPI and a local LRS...", file=sys.stderr)
    xapi_out = HERE / "results" / "xapi-latest.json"
    xapi_text = subprocess.run(
        [sys.executable, str(HERE / "xapi_bench.py"), "--output", str(xapi_out), *(["--quick"] if args.quick else [])],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    xapi = json.loads(xapi_out.read_text())

    targets = []
    for name in READS:
        for key in (name, f"{name} (cold)"):
            ratio = start[key]["ratio"]
            targets.append((f"{key} within 1.0x of the baseline", ratio, 1.0, ratio <= 1.0))
    fresh = start["status (first)"]["ratio"]
    targets.append(("first status after a fresh install within 1.2x of the baseline", fresh, 1.2, fresh <= 1.2))
    light = start["status"]["ratio_light"]
    targets.append(("status within 1.1x of `import typer, rich.console`", light, 1.1, light <= 1.1))
    for name in WRITES:
        ratio = start[name]["ratio"]
        targets.append((f"{name} within 1.3x of the baseline", ratio, 1.3, ratio <= 1.3))
    targets.append(
        ("--help within 1.1x of the baseline", start["--help"]["ratio"], 1.1, start["--help"]["ratio"] <= 1.1)
    )
    flat = ("done", "undo", "status", "show", "log_20")
    for key in flat:
        ratio = growth_ratio(rows, key)
        targets.append((f"{key}: largest history within 1.3x of the smallest", ratio, 1.3, ratio <= 1.3))
    peak = max(int(r[k]["peak_mb"]) for r in rows for k in flat)  # type: ignore[index]
    targets.append(("done, undo, status, show, log -n 20 under 150 MB", peak, 150, peak < 150))
    largest = rows[-1]
    first = largest["log_full"]["first_line_s"]  # type: ignore[index]
    targets.append(("full log: first line under 1 s", first, 1.0, first < 1.0))
    for key, seconds, megabytes in (("doctor", 10, 500), ("rebuild", 10, 500)):
        cell = largest[key]
        targets.append((f"{key} under {seconds} s", cell["median_s"], seconds, cell["median_s"] < seconds))  # type: ignore[index]
        targets.append((f"{key} under {megabytes} MB", cell["peak_mb"], megabytes, cell["peak_mb"] < megabytes))  # type: ignore[index]
    for row in rows:
        if int(row["changes"]) < 100_000:  # type: ignore[call-overload]
            continue
        size = f"{row['changes']:,}"
        for key, what in (("log_file", "full log into a file"), ("log_json_file", "full log --json into a file")):
            rate = row[key]["per_second"]  # type: ignore[index]
            targets.append((f"{what} at {size}: changes a second", rate, 50_000, rate >= 50_000))
        cell = row["export_json"]
        targets.append((f"export --format json at {size} under 150 MB", cell["peak_mb"], 150, cell["peak_mb"] < 150))  # type: ignore[index]
        base = float(row["parse_only"]["median_s"])  # type: ignore[index]
        for key in ("doctor", "rebuild"):
            ratio = round(float(row[key]["median_s"]) / base, 2)  # type: ignore[index]
            targets.append((f"{key} at {size} within 2x of parsing every line once", ratio, 2.0, ratio <= 2.0))
    peaks = [int(r["log_full"]["peak_mb"]) for r in rows]  # type: ignore[index]
    targets.append(("full log: memory flat (largest peak within 1.3x of smallest)", round(max(peaks) / min(peaks), 2),
                    1.3, max(peaks) <= 1.3 * min(peaks)))  # fmt: skip
    ratio = completing["ratio_light"]
    targets.append(("completion at 2,000 items within 1.1x of `import typer, rich.console`", ratio, 1.1, ratio <= 1.1))
    targets.append(("tui: first frame under 1 s", tui["median_s"], 1.0, tui["median_s"] < 1.0))
    worst = max(synced[step]["aipm_seconds"] for step in ("send", "receive"))
    targets.append(("sync of 10,000 changes: aipm's own share under 1 s", worst, 1.0, worst < 1.0))
    limit_s = 60 * sizes[-1] / 1_000_000
    targets.append((f"import of {sizes[-1]:,} changes under {limit_s:g} s", imported["seconds"], limit_s,
                    imported["seconds"] < limit_s))  # fmt: skip
    targets.append(
        (f"import of {sizes[-1]:,} changes under 1 GB", imported["peak_mb"], 1024, imported["peak_mb"] < 1024)
    )
    targets += notes_targets(noted)
    for name, limit in (("today", 1.0), ("review", 1.0), ("study", 1.0), ("study start", 1.3), ("study stop", 1.3)):
        ratio = studied[name]["ratio"]
        targets.append((f"{name} with 100,000 sessions and 10,000 ratings within {limit}x of the baseline", ratio,
                        limit, ratio <= limit))  # fmt: skip
    disk = max(float(r["disk_20_writes_kb"]) for r in rows)  # type: ignore[arg-type]
    targets.append(("disk used by 20 writes under 64 KB at any size", disk, 64, disk < 64))

    print_startup(start)
    print(f"{'completion':<20} {completing['median_ms']:>7} ms {'':>11} {completing['ratio_light']:>7}x")
    print_study(studied)
    print()
    keys = ("done", "undo", "status", "show", "log_20", "doctor", "rebuild")
    print(f"{'changes':>9} " + " ".join(f"{k:>16}" for k in keys) + f" {'full log':>20} {'20 writes':>10}")
    for row in rows:
        cells = [f"{row[k]['median_s']:>6.3f} s {row[k]['peak_mb']:>4} MB" for k in keys]  # type: ignore[index]
        full = row["log_full"]
        log_cell = f"{full['first_line_s']:.2f}/{full['median_s']:.1f} s {full['peak_mb']} MB"  # type: ignore[index]
        print(f"{row['changes']:>9} " + " ".join(f"{c:>16}" for c in cells) + f" {log_cell:>20} "
              f"{row['disk_20_writes_kb']:>7} KB")  # fmt: skip
    print()
    print(f"{'changes':>9} {'log > file':>18} {'log --json > file':>18} {'export json':>18} {'parse every line':>17}")
    for row in rows:
        cells = [
            f"{row[k]['per_second']:>8,}/s {row[k]['peak_mb']:>4} MB"
            for k in ("log_file", "log_json_file", "export_json")
        ]  # type: ignore[index]
        parse = row["parse_only"]  # type: ignore[index]
        print(f"{row['changes']:>9} " + " ".join(f"{c:>18}" for c in cells) + f" {parse['median_s']:>15} s")  # type: ignore[index]
    print()
    print_rows(noted)
    print()
    print(f"tui: first frame in {tui['median_s']} s")
    print(f"import of {imported['changes']:,} changes: {imported['seconds']} s, {imported['peak_mb']} MB")
    for step in ("send", "receive"):
        cell = synced[step]
        print(f"sync of 10,000 changes, {step}: {cell['process_seconds']} s "
              f"(git {cell['git_seconds']} s, aipm {cell['aipm_seconds']} s)")  # fmt: skip
    print()
    print("cohort report:")
    print(cohort)
    print("xAPI (export, push to a local Ralph LRS, cohort read back from it):")
    print(xapi_text)
    exports = [value for key, value in xapi.items() if key.startswith("export --format xapi")]
    if len(exports) == 2:
        ratio = round(exports[1]["peak_mb"] / exports[0]["peak_mb"], 2)
        targets.append(("export --format xapi: memory at the largest size within 4x of 10,000 changes (it streams)",
                        ratio, 4.0, ratio <= 4.0))  # fmt: skip
    second = next((value for key, value in xapi.items() if key.startswith("second push")), None)
    if second is not None:
        targets.append(("second lrs push (nothing new): aipm's CPU under 2 s", second["cpu_seconds"], 2.0,
                        second["cpu_seconds"] < 2.0))  # fmt: skip
    for name, value, limit, met in targets:
        print(f"{'met    ' if met else 'NOT MET'}  {name}: {value} (target {limit})")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "startup": start,
        "history": rows,
        "notes": noted,
        "completion": completing,
        "study": studied,
        "tui": tui,
        "import": imported,
        "sync": synced,
        "cohort": cohort,
        "xapi": xapi,
        "targets": [{"target": n, "value": v, "limit": lim, "met": m} for n, v, lim, m in targets],
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
