"""`aipm doctor`: paths, change logs, caches and roadmap health, with what needs attention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aipm_cli.learner import Learner, Progress


def check(learner: Learner, rebuild: bool = False, progress: Progress | None = None) -> dict[str, Any]:
    """Paths, change logs, caches and roadmap health; `problems` says what needs attention.

    `progress(what, done, total)` is told how the reading of the logs goes (a caller's display).
    """
    import os
    import stat

    from aipm_cli.errors import AipmError
    from aipm_cli.record.changes import FORMAT
    from aipm_cli.wording import count as counted

    problems: list[str] = []
    report: dict[str, Any] = {"data_dir": str(learner.layout.root), "config": str(learner.layout.config)}
    report["change_format"] = FORMAT
    # Every field is there whatever goes wrong (README: `doctor --json`): null or empty when unknown.
    for key in ("user", "settings", "roadmap", "changes_dir", "legacy_store", "changes", "in_effect",
                "recorded_roadmap_version", "cache", "cache_agrees"):  # fmt: skip
        report[key] = None
    report["rebuilt"] = False
    report["odd_states"] = []
    try:
        report["user"] = learner.user
    except AipmError as exc:
        problems.append(exc.message)
    from aipm_cli.paths import case_collisions, join_or_part

    # Learners whose names differ only in case (an older aipm, or a hand, made them): each still works by
    # its exact name, but macOS and Windows keep them in one folder, and sync refuses to carry them.
    report["case_collisions"] = case_collisions(learner.learner_names())
    for group in report["case_collisions"]:
        keep = str(report["user"]) if report.get("user") in group else group[0]
        other = next(name for name in group if name != keep)
        problems.append(
            f"The learners {' and '.join(repr(name) for name in group)} differ only in case: macOS and Windows"
            " keep them in one folder, where their progress would mix, and sync will not carry them. "
            + join_or_part(other, keep)
        )
    try:
        report["settings"] = {k: learner.config.get(k) for k in ("hours_per_week", "roadmap", "user")}
        problems.extend(learner.config.problems)
    except AipmError as exc:
        problems.append(exc.message)
    from aipm_cli.roadmap import finding

    report["duplicate_roadmaps"] = {}
    refs = finding.available(learner.layout.roadmaps, learner.layout.cache)
    report["invalid_roadmaps"] = [
        {"file": str(ref.path), "error": ref.error} for ref in refs if ref.origin == "own" and ref.error
    ]
    for bad in report["invalid_roadmaps"]:
        problems.append(
            f"{bad['file']} is not a valid roadmap: {bad['error']} "
            "Run `aipm roadmap validate FILE` to see every problem, then fix it or move it out of the folder."
        )
    for identifier, paths in finding.duplicates(refs).items():
        report["duplicate_roadmaps"][identifier] = [str(p) for p in paths]
        problems.append(
            f"{len(paths)} roadmap files have the id '{identifier}': {', '.join(p.name for p in paths)}; "
            f"{paths[0].name} is used. Change the id in the others."
        )
    roadmap = None
    try:
        roadmap = learner.roadmap
        report["roadmap"] = {"id": roadmap.id, "title": roadmap.title, "version": roadmap.version}
    except AipmError as exc:
        problems.append(" ".join(exc.lines()[:1]))
        report["roadmap"] = None
    report["orphans"] = []
    report["backups"] = []
    report["logs"] = []
    report["damaged_lines"] = []
    report["torn_lines"] = []
    if roadmap is not None and "user" in report:
        try:
            ledger = learner.ledger
            report["changes_dir"] = str(ledger.changes_dir)
            report["legacy_store"] = learner.layout.store(learner.user, old=True).exists()
            cached = ledger.cached()  # what the next command would believe, before it is replaced
            ledger.progress = progress
            if rebuild:
                result = ledger.rebuild()
                report["rebuilt"] = True
            else:
                result = ledger.load(use_cache=False)  # every line checked, not the cache's word
            report["cache_agrees"] = _cache_agrees(cached, result)
            if report["cache_agrees"] is False:
                problems.append(
                    "The derived-state cache disagreed with a fresh fold of the logs; it was rebuilt from them "
                    "(nothing in the logs changed). Please report this as a bug."
                )
            report["odd_states"] = _odd_states(ledger, result)
            for odd in report["odd_states"]:
                problems.append(odd["says"])
            report["changes"] = result.changes
            report["in_effect"] = result.in_effect
            report["recorded_roadmap_version"] = result.state.roadmap_version
            for path in ledger.files():
                info = path.lstat()  # a link in place of a log is reported as such, never followed
                report["logs"].append({"file": str(path), "bytes": info.st_size, "mode": oct(info.st_mode & 0o777)})
                if stat.S_ISREG(info.st_mode) and info.st_mode & 0o077:  # anything else: said below
                    problems.append(
                        f"{path} can be read by other users of this computer ({readable_by(info.st_mode)}); "
                        "run chmod 600 on it."
                    )
            for damage in result.problems.damage:
                report["damaged_lines"].append(
                    {"file": str(damage.file), "line": damage.line, "reason": damage.reason, "kind": damage.kind}
                )
                problems.append(advice(damage))
            for torn in result.problems.torn:
                report["torn_lines"].append({"file": str(torn.file), "offset": torn.offset, "bytes": torn.size})
                problems.append(
                    f"{torn.file} ends in a torn line ({counted(torn.size, 'byte')}, a write cut short); "
                    "it is ignored and "
                    "moved into backups/ by the next change on that device."
                )
            from aipm_cli.unit_status import orphans

            report["orphans"] = orphans(roadmap.index, result.state)
            if ledger.backups.is_dir():
                report["backups"] = sorted(str(p) for p in ledger.backups.iterdir())
            report["cache"] = str(ledger.cache_file)
        except AipmError as exc:
            problems.append(exc.message)
        except OSError as exc:
            problems.append(f"Cannot read {exc.filename}: {exc.strerror}.")
    if report["orphans"]:
        from aipm_cli.wording import listed

        count = len(report["orphans"])
        problems.append(
            f"{count} {'entry' if count == 1 else 'entries'} with progress {'is' if count == 1 else 'are'} "
            f"not in this roadmap: {listed(report['orphans'], 10)} (kept, not counted; --json lists every one)."
        )
    if not os.access(learner.layout.root if learner.layout.root.exists() else learner.layout.root.parent, os.W_OK):
        problems.append(f"The data directory {learner.layout.root} is not writable.")
    report["problems"] = list(dict.fromkeys(problems))  # each once (one cause is met by several reads)
    report["healthy"] = not problems
    return report


def advice(damage: Any) -> str:
    """What is wrong with a change log (a record.logs.Damage) and what fixes it: `doctor --repair`
    only for the lines it can move; a whole file is mended by hand, as its kind needs."""
    if damage.newer:
        return (
            f"{damage.file} holds changes from a newer aipm (line {damage.line}); writes are stopped until "
            "aipm is upgraded (pip install -U aipm-cli), which reads them. Nothing is damaged."
        )
    if damage.kind == "not_regular":
        return (
            f"Cannot read {damage.file}: {damage.reason}. Writes are stopped until it is gone: move it out of "
            f"{damage.file.parent} (if a log was there before, restore that log from a copy); "
            "`aipm doctor --repair` cannot mend it."
        )
    if damage.kind == "cr_only":  # the reason says the fix
        return f"Cannot read {damage}. Writes are stopped until it is fixed (`aipm doctor --repair` cannot)."
    if damage.kind == "unopenable":
        return (
            f"Cannot read {damage}. Writes are stopped until it is fixed: make it readable (chmod 600 on it), "
            "or restore it from a copy."
        )
    return (
        f"Cannot read {damage}. Writes are stopped until it is fixed: restore the file from a copy "
        "or run `aipm doctor --repair` to move the damaged line into backups/ (it says what moves, "
        "and asks)."
    )


def _cache_agrees(cached: Any, result: Any) -> bool | None:
    """Whether the cache said what a fresh fold says (None: there was no cache to compare)."""
    if cached is None:
        return None
    from aipm_cli.record.state import state_data

    return (
        state_data(cached.state) == state_data(result.state)
        and cached.max_id == result.max_id
        and cached.in_effect == result.in_effect
    )


def _odd_states(ledger: Any, result: Any) -> list[dict[str, Any]]:
    """States the command line would refuse to make here, which changes from several machines can:
    done dated before started, and a done item started again by a machine that had not heard."""
    out: list[dict[str, Any]] = []
    for unit, rec in sorted(result.state.items.items()):
        if rec.status == "done" and rec.started_on and rec.completed_on and rec.completed_on < rec.started_on:
            says = (
                f"{unit} is done on {rec.completed_on} but started on {rec.started_on}, later (changes from two "
                f"machines); correct it with `aipm done {unit} --on DATE`."
            )
            out.append({"unit": unit, "kind": "done_before_started", "says": says})
        if rec.status == "in_progress" and unit in result.refs:
            # A start on a done item the command line refuses: a start right after another machine's
            # done means that machine had not heard (a reset is a deliberate act, never flagged).
            history = [
                c for c, undone in ledger.recent_for(unit) if not undone and c["op"] in ("done", "start", "reset")
            ]
            for earlier, later in zip(history, history[1:], strict=False):
                if earlier["op"] == "done" and later["op"] == "start" and later["device"] != earlier["device"]:
                    says = (
                        f"{unit} was done on {earlier['on']} ({earlier['device']}) and then started again by "
                        f"{later['device']}, which had not heard; if it is done, run `aipm done {unit} "
                        f"--on {earlier['on']}`."
                    )
                    out.append({"unit": unit, "kind": "reopened", "says": says})
                    break
    return out


def readable_by(mode: int) -> str:
    """'-rw-r--r--' said as a person would: who may read and write the file, and the usual letters."""
    import stat

    who = []
    if mode & 0o044:
        who.append("read" + (" and written" if mode & 0o022 else ""))
    letters = stat.filemode(mode)
    group = "its group" if mode & 0o070 else ""
    others = "everyone" if mode & 0o007 else ""
    readers = " and ".join(w for w in (group, others) if w) or "others"
    return f"{who[0] if who else 'open'} by {readers}: {letters}"
