"""The design step (issue 23): one rule for what is undone, and the layers the code keeps.

- The undo/redo rule is written once (record/fold.py `UndoRule`); the fold and `log` both use it, and
  a long chain of undos of undos settles (no silent cap on rounds).
- The CLI reaches the record only through the core; the core never imports the CLI or a framework;
  completion imports no framework; no module-level import circle; no module over 600 lines.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aipm_cli.record.fold import Source, UndoRule, cancellations
from aipm_cli.record.ids import encode_id

SRC = Path(__file__).resolve().parent.parent / "src" / "aipm_cli"


def _id(n: int) -> str:
    return encode_id(1_700_000_000_000 * (1 << 80) + n)


def reference_out(changes: list[dict[str, Any]]) -> dict[str, bool]:
    """What is out by the definition itself (README, fold.py), written as recursion: independent of the code."""
    by_target: dict[str, list[dict[str, Any]]] = {}
    for c in changes:
        if c["op"] in ("undo", "redo"):
            by_target.setdefault(c["target"], []).append(c)

    @cache
    def out(change_id: str) -> bool:
        # An undo in effect, not cancelled by a redo in effect, that names this change.
        return any(u["op"] == "undo" and not out(u["id"]) and not redone(u["id"]) for u in by_target.get(change_id, ()))

    @cache
    def redone(undo_id: str) -> bool:
        return any(r["op"] == "redo" and not out(r["id"]) for r in by_target.get(undo_id, ()))

    return {c["id"]: out(c["id"]) for c in changes}


def history(moves: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """A change, then undos and redos, each naming an older change (as the gate demands)."""
    changes: list[dict[str, Any]] = [{"id": _id(0), "op": "done", "targets": ["a"], "units": ["a"]}]
    for n, (op, back) in enumerate(moves, start=1):
        target = changes[max(0, len(changes) - 1 - back)]["id"]
        changes.append({"id": _id(n), "op": op, "target": target})
    return changes


def fold_out(changes: list[dict[str, Any]], *, with_import: bool = False) -> dict[str, bool]:
    sources = [Source(changes=list(changes), name="log")]
    if with_import:  # an import in effect (it brought the first change): the fold takes its other path
        marker = {"id": _id(10_000), "op": "import", "file": "x.import-1.jsonl", "ids": [changes[0]["id"]]}
        sources.append(Source(changes=[marker], name="import"))
    cancel = cancellations(sources)
    return {c["id"]: cancel.out(c["id"]) for c in changes}


def log_out(changes: list[dict[str, Any]]) -> dict[str, bool]:
    rule = UndoRule()
    return {c["id"]: rule.out(c) for c in sorted(changes, key=lambda c: c["id"], reverse=True)}


def test_a_long_chain_of_undos_of_undos_settles_in_the_fold_and_the_log() -> None:
    # done, undo it, undo that undo, ... 15 deep: every other undo stands, and the done is out at odd depth.
    for depth in (11, 14, 15):
        changes = history([("undo", 0)] * depth)
        want = reference_out(changes)
        assert want[changes[0]["id"]] is (depth % 2 == 1)
        assert fold_out(changes) == want
        assert fold_out(changes, with_import=True) == want
        assert log_out(changes) == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["undo", "undo", "redo"]), st.integers(0, 4)), max_size=25))
def test_the_fold_and_the_log_follow_the_definition_of_undo_and_redo(moves: list[tuple[str, int]]) -> None:
    changes = history(moves)
    want = reference_out(changes)
    assert fold_out(changes) == want
    assert fold_out(changes, with_import=True) == want
    assert log_out(changes) == want


# --------------------------------------------------------------------------- #
# Layers
# --------------------------------------------------------------------------- #


def _modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, *, top_level: bool) -> set[str]:
    """The modules a file imports: at module level only (what runs on import), or anywhere (in functions
    too); what an `if TYPE_CHECKING:` block imports is left out (it never runs), its `else` is not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found: set[str] = set()

    def add(node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            return
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            up = parts[: len(parts) - node.level + 1]
            base = ".".join([*up, base] if base else up)
        found.add(base)
        found.update(f"{base}.{alias.name}" for alias in node.names)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            add(node)
            return
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if top_level and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return  # runs when called, not on import
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _package_of(name: str) -> str:
    return name.split(".")[1] if name.count(".") else ""


RECORD_INSIDE = {"aipm_cli.record.fold", "aipm_cli.record.logs", "aipm_cli.record.state", "aipm_cli.record.ledger",
                 "aipm_cli.record.migrate", "aipm_cli.record.legacy", "aipm_cli.record.studying"}  # fmt: skip
FRAMEWORKS = ("typer", "click", "rich", "textual", "pydantic", "yaml")


# What sync and the cohort report are made of: the CLI calls their services, never these.
SERVICE_INSIDE = {f"aipm_cli.sync.{m}" for m in ("repo", "git", "policy", "arriving", "recovery", "locks")} | {
    f"aipm_cli.cohort.{m}" for m in ("discovery", "fold", "statistics", "rules", "build", "index", "digest")
}


def test_the_cli_reaches_the_record_sync_and_cohort_only_through_the_core() -> None:
    found = []
    for name, path in _modules().items():
        if name.startswith(("aipm_cli.cli", "aipm_cli.tui")):
            for used in _imports(path, top_level=False) & (RECORD_INSIDE | SERVICE_INSIDE):
                found.append(f"{name} imports {used}")
    assert not found, "\n".join(found)


def test_the_readme_shows_where_things_are() -> None:
    """Every module and package at the top of the package is named in the README's layout, and
    every name there exists (the layout drawn is the layout shipped)."""
    import re

    readme = (SRC.parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("Where things are")
    block = readme[readme.index("```", start) + 3 : readme.index("```", readme.index("```", start) + 3)]
    named = set(re.findall(r"([a-z_]+(?:\.py|/))", block))
    here = {p.name + "/" for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    here |= {p.name for p in SRC.glob("*.py")}
    assert here - named == set(), f"not in the README's layout: {sorted(here - named)}"
    for package in ("record", "sync", "cohort", "roadmap", "xapi"):
        for module in (SRC / package).glob("*.py"):
            if module.name != "__init__.py":
                assert module.name in named, f"{package}/{module.name} is not in the README's layout"
    stale = {n for n in named if n.endswith(".py") and not list(SRC.rglob(n))}
    assert not stale, f"the README's layout names what is gone: {sorted(stale)}"


def test_the_core_never_imports_the_cli_or_the_command_line_framework() -> None:
    found = []
    for name, path in _modules().items():
        if name.startswith(("aipm_cli.cli", "aipm_cli.tui")) or name in ("aipm_cli.entry", "aipm_cli.completion"):
            continue  # (completion asks the CLI for its table only when that table is being made)
        for used in _imports(path, top_level=False):
            if used.startswith(("aipm_cli.cli", "aipm_cli.tui", "typer", "click", "textual")):
                found.append(f"{name} imports {used}")
    assert not found, "\n".join(found)


def test_completion_and_the_record_import_no_framework_at_module_level() -> None:
    found = []
    for name, path in _modules().items():
        if name in ("aipm_cli.completion", "aipm_cli.entry", "aipm_cli.command_table") or name.startswith(
            "aipm_cli.record"
        ):
            for used in _imports(path, top_level=True):
                if used.split(".")[0] in FRAMEWORKS:
                    found.append(f"{name} imports {used}")
    assert not found, "\n".join(found)


def test_no_module_level_import_circle() -> None:
    modules = _modules()
    edges = {
        name: {used for used in _imports(path, top_level=True) if used in modules and used != name}
        for name, path in modules.items()
    }
    # A package's __init__ importing its own modules is not a circle through them.
    for name in list(edges):
        edges[name] = {used for used in edges[name] if not name.startswith(used + ".")}
    seen: dict[str, int] = {}
    circles: list[str] = []

    def walk(node: str, trail: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(edges[node]):
            if seen.get(nxt) == 1:
                circles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in seen:
                walk(nxt, [*trail, nxt])
        seen[node] = 2

    for name in sorted(edges):
        if name not in seen:
            walk(name, [name])
    assert not circles, "\n".join(circles)


@pytest.mark.parametrize("limit", [600])
def test_no_module_over_600_lines(limit: int) -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert not long, long
