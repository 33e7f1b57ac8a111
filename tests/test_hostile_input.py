"""Hostile input: files, names and text a learner might be handed (issue 14).

Roadmaps built to cost minutes or gigabytes, values that would echo whole
files, escape sequences and rich markup in data, spreadsheet formulas, long
requires chains, empty names.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aipm_cli.errors import RoadmapError, excerpt
from aipm_cli.plan import order
from aipm_cli.render.csv_export import cell
from aipm_cli.render.safe import clean, message
from aipm_cli.roadmap import loading
from aipm_cli.roadmap.models import Roadmap, RoadmapProgress
from conftest import REPO, Run, aipm_process, roadmap_cache, write_roadmap_cache

BUNDLED = REPO / "roadmap" / "ai-product-manager.yaml"
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")


def tiny(items: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {
        "id": "tiny", "title": "Tiny", "version": "1", **top,
        "phases": [{"id": "p", "title": "P", "modules": [{"id": "m", "title": "M", "items": items}]}],
    }  # fmt: skip


def write_yaml(path: Path, doc: Any) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# --------------------------------------------------------------------------- #
# Bounded cost for roadmap files
# --------------------------------------------------------------------------- #

BILLION_LAUGHS = """\
id: laughs
title: Laughs
version: "1"
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
phases: *i
"""


def test_aliases_that_multiply_the_document_are_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    result = run("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert "too big to load" in result.stderr
    assert "values once its aliases (*name) are expanded" in result.stderr
    assert run("--roadmap", str(path), "status").exit_code == 1


def test_one_list_shared_by_every_item_is_refused(run: Run, tmp_path: Path) -> None:
    # A valid roadmap whose items all share one long outcomes list through an
    # alias: small on disk, huge to validate and to cache.
    outcomes = "\n".join(f"    - outcome number {n} of a long shared list" for n in range(300))
    items = "\n".join(
        f"          - {{id: item-{n}, title: Item {n}, kind: topic, outcomes: *shared}}" for n in range(1, 400)
    )
    text = (
        'id: shared\ntitle: Shared\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n'
        "      - id: m\n        title: M\n        items:\n"
        "          - id: item-0\n            title: Item 0\n            kind: topic\n            outcomes: &shared\n"
        + outcomes.replace("    - ", "              - ")
        + "\n"
        + items
        + "\n"
    )
    path = tmp_path / "shared.yaml"
    path.write_text(text)
    assert len(text) < 60_000
    result = run("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert "aliases (*name) multiply the document" in result.stderr


def test_an_alias_inside_itself_is_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text('id: loop\ntitle: Loop\nversion: "1"\nphases: &x [*x]\n')
    result = run("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert "refers to a value that contains it" in result.stderr


def test_modest_anchors_are_fine(run: Run, tmp_path: Path) -> None:
    text = (
        'id: anchors\ntitle: Anchors\nversion: "1"\nskills: [{id: s, title: S}]\n'
        "phases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n        title: M\n        items:\n"
        "          - {id: a, title: A, kind: topic, skills: &sk [s]}\n"
        "          - {id: b, title: B, kind: topic, skills: *sk}\n"
    )
    path = tmp_path / "anchors.yaml"
    path.write_text(text)
    result = run("roadmap", "validate", str(path))
    assert result.exit_code == 0, result.stderr


def test_nesting_is_bounded(tmp_path: Path) -> None:
    deep = "x: " + "[" * 100 + "]" * 100
    with pytest.raises(RoadmapError) as caught:
        loading.parse_roadmap_text(deep.encode(), "deep.yaml")
    assert "nested more than 64 levels" in str(caught.value.problems[0])


def test_the_bundled_roadmap_is_well_within_the_bounds() -> None:
    node = yaml.compose(BUNDLED.read_text(), Loader=yaml.SafeLoader)
    unique, expanded, depth = loading.measure(node)
    assert expanded < 2 * unique and expanded * 100 < loading.MAX_NODES and depth * 4 < loading.MAX_DEPTH


def test_a_roadmap_over_the_size_limit_is_refused_unread(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(loading.MAX_ROADMAP_BYTES + 1)
    result = run("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert "larger than the limit of 10 MB" in result.stderr


def test_an_error_quotes_only_an_excerpt_of_a_long_value(run: Run, tmp_path: Path) -> None:
    long_id = "Bad Id " + "x" * 2_000_000
    path = write_yaml(tmp_path / "long.yaml", tiny([{"id": long_id, "title": "T", "kind": "topic"}]))
    result = run("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert "is not a valid id" in result.stderr
    assert len(result.stderr) < 1_000
    assert "(2,000,007 characters)" in result.stderr


def test_a_password_file_given_as_a_roadmap_is_not_echoed(run: Run, tmp_path: Path) -> None:
    lines = [f"user{n}:x:{1000 + n}:{1000 + n}:User {n}:/home/user{n}:/bin/bash" for n in range(40)]
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0:root:/root:/bin/bash\n" + "\n".join(lines) + "\n")
    result = run("--roadmap", str(path), "status")
    assert result.exit_code == 1
    assert "user3" not in result.stderr
    assert len(result.stderr) < 600


def test_unreadable_scalars_are_a_clean_error(run: Run, tmp_path: Path) -> None:
    for body in ("hours_per_week: " + "9" * 5000, "when: 2026-13-45"):
        path = tmp_path / "values.yaml"
        path.write_text(f'id: v\ntitle: V\nversion: "1"\n{body}\n')
        result = run("roadmap", "validate", str(path))
        assert result.exit_code == 1
        assert "unexpected" not in result.stderr
        assert len(result.stderr) < 600


def test_a_fifo_as_a_roadmap_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "roadmap.yaml"
    os.mkfifo(fifo)
    for args in (("roadmap", "validate", str(fifo)), ("--roadmap", str(fifo), "status")):
        result = aipm_process(
            *args,
            env={"AIPM_HOME": str(tmp_path / "home")},
        )
        assert result.returncode == 1
        assert "it is a FIFO (named pipe), not a regular file" in result.stderr


def _limit_memory() -> None:  # the old code read a zero device until memory ran out
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@as_root
def test_a_device_as_a_roadmap_is_refused_without_reading_forever(tmp_path: Path) -> None:
    zero = tmp_path / "zero.yaml"
    os.mknod(zero, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    result = subprocess.run(
        [sys.executable, "-m", "aipm_cli", "roadmap", "validate", str(zero)],
        capture_output=True, text=True, timeout=30, preexec_fn=_limit_memory,
        env={**os.environ, "AIPM_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert result.returncode == 1
    assert "it is a character device, not a regular file" in result.stderr


def test_a_planted_roadmap_cache_is_ignored_and_rebuilt(run: Run, home: Path) -> None:
    assert run("status").exit_code == 0  # builds the cache
    (cached,) = (home / "cache" / "roadmaps").iterdir()
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    planted = roadmap_cache(cached)
    planted["phases"][0]["modules"][0]["items"][0]["title"] = "Attacker's title"
    write_roadmap_cache(cached, planted)  # a well-made plant: only where it lies gives it away
    cached.chmod(0o666)  # as another user could leave it in a world-writable cache folder
    shown = run("show", "ai-for-everyone")
    assert "Attacker" not in shown.stdout
    assert "Attacker" not in cached.read_text()  # rebuilt
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    if os.geteuid() == 0:
        write_roadmap_cache(cached, planted)
        cached.chmod(0o600)
        os.chown(cached, 12345, 12345)  # private, but someone else's
        assert "Attacker" not in run("show", "ai-for-everyone").stdout


# --------------------------------------------------------------------------- #
# plan in O(n log n)
# --------------------------------------------------------------------------- #


class CountingList(list):  # type: ignore[type-arg]
    """A requires list that counts how often it is read."""

    reads = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        CountingList.reads += 1
        return super().__iter__()


def chain(n: int) -> Roadmap:
    """Each item requires the next one: the roadmap order is the reverse of the study order."""
    items = [
        {"id": f"i{i}", "title": f"Item {i}", "kind": "topic", "duration": "2 hours",
         "requires": [f"i{i + 1}"] if i < n - 1 else []}
        for i in range(n)
    ]  # fmt: skip
    return Roadmap.model_validate(tiny(items))


def test_plan_reads_each_requires_list_a_bounded_number_of_times() -> None:
    roadmap = chain(3000)
    for placed in roadmap.index.items.values():
        placed.requires = CountingList(placed.requires)
    CountingList.reads = 0
    placed_order = order(roadmap, RoadmapProgress())
    assert placed_order[0] == "i2999" and placed_order[-1] == "i0"
    assert CountingList.reads <= 2 * 3000  # the old scan read them about n²/2 times


def reference_order(roadmap: Roadmap, progress: RoadmapProgress) -> list[str]:
    """The plan order as first written (quadratic): the specification the fast one must match."""
    from aipm_cli.unit_status import status_of

    index = roadmap.index
    left = [i for i in index.items if status_of(index, progress, i) not in ("done", "skipped")]
    ranked = sorted(left, key=lambda i: (status_of(index, progress, i) != "in_progress", index.items[i].order))
    settled = {i for i in index.items if i not in left}
    placed: list[str] = []
    waiting = list(ranked)
    while waiting:
        for position, item_id in enumerate(waiting):
            if all(r in settled for r in index.items[item_id].requires):
                placed.append(item_id)
                settled.add(item_id)
                del waiting[position]
                break
        else:
            placed.extend(waiting)
            break
    return placed


_BUNDLED_ROADMAP = loading.load_roadmap_file(BUNDLED)


@given(st.lists(st.sampled_from(["done", "skip", "start", None]), min_size=120, max_size=120))
@settings(max_examples=40, deadline=None)
def test_plan_order_is_unchanged_on_the_bundled_roadmap(statuses: list[str | None]) -> None:
    from aipm_cli.roadmap.models import ItemProgress

    progress = RoadmapProgress()
    goal = {"done": "done", "skip": "skipped", "start": "in_progress"}
    for unit, verb in zip(_BUNDLED_ROADMAP.index.trackable_ids(), statuses, strict=False):
        if verb:
            progress.items[unit] = ItemProgress(status=goal[verb])  # type: ignore[arg-type]
    assert order(_BUNDLED_ROADMAP, progress) == reference_order(_BUNDLED_ROADMAP, progress)


def test_plan_of_a_long_chain_through_the_cli(run: Run, tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "chain.yaml", chain(2000).model_dump(mode="json", exclude_defaults=True))
    result = run("--roadmap", str(path), "plan", "--json", "--start", "2026-12-01")
    assert result.exit_code == 0, result.stderr
    planned = json.loads(result.stdout)["items"]
    assert [p["id"] for p in planned[:2]] == ["i1999", "i1998"]
    assert planned[0]["start"] == date(2026, 12, 1).isoformat()


# --------------------------------------------------------------------------- #
# Text is data
# --------------------------------------------------------------------------- #

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\x9b31m\x7f"


def test_clean_shows_every_control_character_escaped() -> None:
    assert clean("a\tb\nc") == "a\tb\nc"
    assert clean(ESCAPES) == "\\x1b]0;pwned\\x07\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\x9b31m\\x7f"
    assert clean("\x00\r\x85") == "\\x00\\x0d\\x85"


def test_messages_keep_our_style_tags_and_print_data_as_typed() -> None:
    shown = message("[green]✓[/] Now using Data PM [beta] from [old]/x :100: \\[esc]")
    assert shown.plain == "✓ Now using Data PM [beta] from [old]/x :100: [esc]"
    assert shown.spans and shown.spans[0].style == "green"


@pytest.fixture
def hostile(run: Run, tmp_path: Path) -> list[str]:
    """A roadmap and progress full of escape sequences and markup."""
    doc = tiny(
        [
            {"id": "evil", "title": f"Data PM [beta] :100: {ESCAPES}", "kind": "course",
             "description": f"about {ESCAPES}", "outcomes": [f"out {ESCAPES}"]},
            {"id": "calc", "title": "=HYPERLINK(\"http://evil\",\"x\")", "kind": "topic"},
        ],
        skills=[{"id": "s", "title": f"[bold]Skill[/bold] {ESCAPES}"}],
        title=f"Data PM [beta] :100: {ESCAPES}",
    )  # fmt: skip
    (tmp_path / "[old]").mkdir()
    path = write_yaml(tmp_path / "[old]" / "hostile.yaml", doc)
    base = ["--roadmap", str(path)]
    assert (
        run(
            *base, "done", "evil", "--note", f"note {ESCAPES} [red]x[/red]", "--evidence", f"@SUM(1) {ESCAPES}"
        ).exit_code
        == 0
    )
    assert run(*base, "start", "calc", "--note", "+cmd|' /C calc'!A0").exit_code == 0
    return base


@pytest.mark.parametrize(
    "args",
    [("status",), ("list",), ("show", "evil"), ("log",), ("next",), ("roadmap", "show"), ("skills",), ("plan",)],
)
def test_views_show_control_characters_escaped_and_markup_as_typed(
    run: Run, hostile: list[str], args: tuple[str, ...]
) -> None:
    result = run(*hostile, *args)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\x7f" not in out
    if args[0] in ("list", "show", "roadmap"):
        assert "\\x1b]0;pwned" in out
        assert "Data PM [beta] :100:" in out or "Data PM [beta]" in out
    if args == ("show", "evil"):
        assert "note \\x1b]0;pwned" in out and "[red]x[/red]" in out
    if args == ("roadmap", "show"):
        assert "[old]" in out
        assert "[bold]Skill[/bold]" in out


def test_errors_and_messages_print_markup_and_emoji_codes_as_typed(
    run: Run, hostile: list[str], tmp_path: Path
) -> None:
    missing = tmp_path / "[old]" / "x:100:.yaml"
    result = run("roadmap", "validate", str(missing))
    assert result.stderr.startswith(f"Error: No roadmap file at {missing}.")
    result = run(*hostile, "roadmap", "use", hostile[1])
    assert result.exit_code == 0, result.stderr
    assert "Data PM [beta] :100: \\x1b]0;pwned" in result.stderr  # the roadmap's title, as typed
    target = tmp_path / "[old]" / "report.md"
    result = run(*hostile, "export", "-o", str(target))
    assert f"Wrote the md report to {target}." in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [\n" + "\n" * 99 + "  :100: x\x1b]0;t\x07\n")
    result = run("roadmap", "validate", str(bad))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr


def test_the_markdown_report_neutralises_control_characters(run: Run, hostile: list[str]) -> None:
    md = run(*hostile, "export").stdout
    assert "\x1b" not in md and "\x07" not in md and "\x9b" not in md
    assert "\\\\x1b" in md  # the backslash itself escaped for Markdown


def test_the_csv_report_neutralises_formulas(run: Run, hostile: list[str]) -> None:
    raw = run(*hostile, "export", "--format", "csv").stdout
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(raw, newline=""))}
    assert rows["calc"]["title"] == '\'=HYPERLINK("http://evil","x")'
    assert rows["calc"]["notes"] == "'+cmd|' /C calc'!A0"
    assert rows["evil"]["evidence"].startswith("'@SUM(1)")
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize(
    ("value", "expected"), [("=1+1", "'=1+1"), ("-2", "'-2"), ("\tx", "'\tx"), ("a=b", "a=b"), ("", "")]
)
def test_csv_cell(value: str, expected: str) -> None:
    assert cell(value) == expected


def test_excerpt() -> None:
    assert excerpt("short") == "short"
    assert len(excerpt("x" * 10_000)) < 90
    assert "digits" in excerpt(10**5000)


# --------------------------------------------------------------------------- #
# Names
# --------------------------------------------------------------------------- #


def test_an_empty_user_option_is_refused(run: Run) -> None:
    result = run("--user", "", "status")
    assert result.exit_code == 2  # a usage error (README: exit codes)
    assert "is not a usable learner name" in result.stderr


def test_an_empty_user_variable_is_refused(run: Run) -> None:
    result = run("status", env={"AIPM_USER": ""})
    assert result.exit_code == 2
    assert "is not a usable learner name" in result.stderr


def test_views_drawn_elsewhere_are_cleaned_too(run: Run, tmp_path: Path) -> None:
    # doctor's grid is built outside render/entries.py: the console every view draws on cleans it.
    home = tmp_path / "home\x1b]0;pwned\x07"
    result = run("doctor", env={"AIPM_HOME": str(home)})
    assert result.exit_code in (0, 1)
    assert "\x1b" not in result.stdout
    assert "home\\x1b]0;" in result.stdout


def test_json_output_escapes_del_and_c1_controls(run: Run) -> None:
    assert run("note", "ai-for-everyone", "csi \x9b2J and del \x7f").exit_code == 0
    out = run("show", "ai-for-everyone", "--json").stdout
    assert "\x9b" not in out and "\x7f" not in out and "\\u009b" in out
    assert json.loads(out)["notes"][0]["text"] == "csi \x9b2J and del \x7f"


@pytest.mark.parametrize(
    "content, why",
    [(b"[" * 100000, "nested too deeply"), (b'{"schema_version": ' + b"9" * 5000 + b"}", "number too large")],
)
def test_an_old_store_with_deep_nesting_or_huge_numbers_is_a_clean_error(
    run: Run, home: Path, content: bytes, why: str
) -> None:
    store = home / "learners" / "ada" / "progress.json"
    store.parent.mkdir(parents=True)
    store.write_bytes(content)
    result = run("status")
    assert result.exit_code == 1 and why in result.stderr and "unexpected" not in result.stderr
    assert store.read_bytes() == content


def test_import_into_an_empty_learner_name_is_refused(run: Run, tmp_path: Path) -> None:
    run("done", "ai-for-everyone")
    run("export", "-f", "json", "-o", str(tmp_path / "e.json"))
    result = run("import", "--user", "", str(tmp_path / "e.json"))
    assert result.exit_code == 1 and "not a usable learner name" in result.stderr


def test_import_of_a_folder_a_fifo_or_a_link_to_one_is_a_clear_error_and_makes_nothing(
    run: Run, tmp_path: Path, home: Path
) -> None:
    """`aipm import` reads its file as the careful reader does (fs.read_regular_file): a folder was an
    unexpected error (IsADirectoryError) asking for a bug report."""
    folder = tmp_path / "exports"
    folder.mkdir()
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    link = tmp_path / "link.json"
    link.symlink_to(fifo)
    for path, says in ((folder, "is a folder, not an export"), (fifo, "FIFO"), (link, "FIFO")):
        result = run("import", str(path))
        assert result.exit_code == 1, result.stderr
        assert says in result.stderr and "unexpected" not in result.stderr, result.stderr
        assert "aipm export --format json" in result.stderr
    assert not (home / "learners").exists()
