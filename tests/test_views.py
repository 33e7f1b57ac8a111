"""status, list, show, next, log: exact output at 80 columns, JSON fields, the counting rules."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA

GOLDEN = DATA / "golden"

# A learner with a few items done, one in progress and one skipped, over three months.
STORY = [
    ("2026-09-01T09:00:00+00:00", ("start", "ai-for-everyone")),
    ("2026-09-28T09:00:00+00:00", ("done", "ai-for-everyone", "--evidence", "https://coursera.org/verify/ABC123")),
    ("2026-10-05T09:00:00+00:00", ("done", "identifying-ai-opportunities", "cross-functional-collaboration")),
    ("2026-10-20T09:00:00+00:00", ("start", "digital-product-management")),
    ("2026-11-02T09:00:00+00:00", ("done", "user-research", "product-strategy")),
    ("2026-11-10T09:00:00+00:00", ("skip", "product-hunt", "--reason", "not relevant to me")),
    ("2026-11-20T09:00:00+00:00", ("done", "agile-certification", "--credential", "CSM-1", "--expires", "2028-11-20")),
]


@pytest.fixture
def story(run) -> None:  # type: ignore[no-untyped-def]
    for now, args in STORY:
        assert run(*args, env={"AIPM_NOW": now}).exit_code == 0


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("AIPM_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_status_golden(run, story) -> None:  # type: ignore[no-untyped-def]
    result = run("status")
    assert result.exit_code == 0
    golden("status-80.txt", result.stdout)


def test_status_of_a_new_learner_golden(run) -> None:  # type: ignore[no-untyped-def]
    result = run("status")
    golden("status-new-80.txt", result.stdout)
    assert "Start here: aipm start ai-for-everyone" in result.stdout
    assert "No pace yet" in result.stdout


def test_list_golden(run, story) -> None:  # type: ignore[no-untyped-def]
    golden("list-80.txt", run("list").stdout)


@pytest.mark.parametrize("columns", ["80", "60", "120"])
def test_plan_golden(run, story, columns: str) -> None:  # type: ignore[no-untyped-def]
    # Wide: start, end, item (wrapped, id never split from its line when it fits), hours; narrow: no end.
    golden(f"plan-{columns}.txt", run("plan", "-w", "6", env={"COLUMNS": columns}).stdout)


def test_plan_fits_a_tiny_terminal_and_stops_at_its_content_in_a_wide_one(run, story) -> None:  # type: ignore[no-untyped-def]
    tiny = run("plan", env={"COLUMNS": "20"}).stdout.splitlines()
    assert tiny and max(len(line) for line in tiny) <= 20
    wide = run("plan", env={"COLUMNS": "400"}).stdout.splitlines()
    assert max(len(line) for line in wide) < 250  # the item column is as wide as its widest entry, no more
    assert wide[0].endswith("hours") and len(wide[1]) == len(wide[0])


def test_list_filters_golden(run, story) -> None:  # type: ignore[no-untyped-def]
    golden("list-phase1-done-80.txt", run("list", "--phase", "phase-1", "--status", "done").stdout)


# Every command that draws a view for the terminal (what is only JSON, a file or one line is left out).
VIEWS = [
    ("status",),
    ("list",),
    ("list", "--phase", "phase-1"),
    ("show", "ai-for-everyone"),
    ("show", "agile-certification"),
    ("show", "core-product-management"),
    ("show", "phase-2"),
    ("next",),
    ("log",),
    ("skills",),
    ("skills", "--full"),
    ("plan",),
    ("roadmap", "list"),
    ("roadmap", "show"),
    ("doctor",),
    ("config",),
    ("users",),
    ("backups",),
    ("cohort", "report", "{home}"),
]


def _ids_and_paths(home: os.PathLike[str]) -> tuple[set[str], list[str]]:
    from aipm_cli.learner import Learner

    roadmap = Learner(home, user="ada").roadmap  # type: ignore[arg-type]
    ids = {i for i in roadmap.index.all_ids() if len(i) >= 6} | set(roadmap.index.skills) | {roadmap.id}
    own = Path(home, "roadmaps")
    ids |= {p.stem for p in own.glob("*.yaml")} | {"data-engineering-for-product-managers"}
    return ids, [str(home)]


_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def split_inside_a_word(text: str, ids: set[str], paths: list[str]) -> list[str]:
    """Ids cut across two lines, and paths cut anywhere but after a '/'."""
    found = []
    lines = [line for line in text.splitlines() if line.strip()]
    for above, below in zip(lines, lines[1:], strict=False):
        tail, head = above.split()[-1], below.split()[0]
        joined = tail + head
        cut = len(tail)
        for i in ids:
            start = joined.find(i)
            while start >= 0:
                end = start + len(i)
                whole = (start == 0 or joined[start - 1] not in _ID_CHARS) and (
                    end == len(joined) or joined[end] not in _ID_CHARS
                )
                if whole and start < cut < end:
                    found.append(f"{tail} / {head}")
                start = joined.find(i, start + 1)
        if any(joined in p for p in paths) and not tail.endswith("/"):
            found.append(f"path cut: {tail} / {head}")
        # In a table the pieces of a cut id sit in one column: "ai-product" above, "-manager" below.
        below_words = [w for w in below.split() if len(w) >= 2]
        for word in above.split():
            if len(word) < 3:
                continue
            for i in ids:
                if i != word and i.startswith(word) and word not in ids:
                    rest = i[len(word) :]
                    if any(rest.startswith(w) or w.startswith(rest) for w in below_words):
                        found.append(f"{word} / {rest}")
    return found


@pytest.mark.parametrize("columns", ["80", "60", "120"])
@pytest.mark.parametrize("command", VIEWS, ids=" ".join)
def test_views_fit_the_terminal_without_escape_codes(run, story, home, columns: str, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    run("users", "remove", "nobody")  # (nothing to remove: an error, and the backups view stays empty)
    run("--user", "sam", "done", "ai-for-everyone")
    run("users", "remove", "sam")  # a backup with a long name
    own = home / "roadmaps"  # an own roadmap with a long id, in a file of another name
    own.mkdir(parents=True, exist_ok=True)
    (own / "data-engineering-for-product-managers-2026.yaml").write_text(
        "id: data-engineering-for-product-managers\ntitle: Data Engineering for Product Managers\nversion: '1'\n"
        "phases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n        title: M\n        items:\n"
        "          - {id: ai-product-management-certification-renewal, title: Renewal, kind: certification}\n"
    )
    args = [part.format(home=home) for part in command]
    result = run(*args, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    assert "\x1b[" not in result.stdout
    widest = max(len(line) for line in result.stdout.splitlines())
    assert widest <= int(columns), f"{widest} > {columns}"
    assert not any(line != line.rstrip() for line in result.stdout.splitlines())
    ids, paths = _ids_and_paths(home)
    assert split_inside_a_word(result.stdout, ids, paths) == []
    assert "\n\n\n" not in result.stdout, "a run of empty lines (a column squeezed to nothing?)"


def test_the_cohort_learners_on_a_narrow_terminal_keep_their_flags_whole(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """At 60 columns the learners are listed a line each with their flags under them; the flags column
    had been squeezed to nothing (a letter a line, shown as empty lines)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("ada", "bob"):
        assert run("--user", name, "done", "ai-for-everyone").exit_code == 0
        assert run("--user", name, "export", "--format", "json", "-o", str(folder / f"{name}.json")).exit_code == 0
    for columns in ("60", "80"):
        out = run("cohort", "report", str(folder), env={"COLUMNS": columns, "AIPM_NOW": "2027-01-20"}).stdout
        learners = out[out.index("Learners") : out.index("Phases and modules")]
        assert learners.count("low-and-idle") == 2, (columns, learners)
        assert "\n\n\n" not in out


def test_the_split_check_catches_what_it_should() -> None:
    ids = {"product-management-certification"}
    assert split_inside_a_word("  Product  product-management-certificat\n  ion", ids, []) != []
    assert split_inside_a_word("data dir  /tmp/some/da\n          ta/dir", set(), ["/tmp/some/data/dir"]) != []
    assert split_inside_a_word("data dir  /tmp/some/\n          data/dir", set(), ["/tmp/some/data/dir"]) == []
    table = "*  ai-product    AI Product\n   -manager      Manager"
    assert split_inside_a_word(table, {"ai-product-manager"}, []) == ["ai-product / -manager"]


def test_colour_off_in_a_pipe_even_without_no_color(story) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    result = subprocess.run([sys.executable, "-m", "aipm_cli", "status"], capture_output=True, text=True, env=env)
    assert result.returncode == 0
    assert "AI Product Manager" in result.stdout
    assert "\x1b[" not in result.stdout


def test_status_json_fields(run_json, story) -> None:  # type: ignore[no-untyped-def]
    data = run_json("status")
    assert data["roadmap"] == {"id": "ai-product-manager", "title": "AI Product Manager", "version": "1.2.0"}
    assert data["user"] == "ada"
    assert data["counts"] == {"total": 114, "done": 6, "in_progress": 1, "skipped": 1, "not_started": 106}
    assert data["percent"] == round(6 / 113 * 100, 1)
    first = data["phases"][0]
    assert set(first) == {"id", "title", "percent", "counts", "modules"}
    assert first["counts"] == {"total": 1, "done": 1, "in_progress": 0, "skipped": 0, "not_started": 0}
    assert [r["id"] for r in data["in_progress"]] == ["digital-product-management"]
    # The first open item of each phase in turn: the role, Phase 1, Phase 2.
    assert [r["id"] for r in data["next"]] == [
        "product-strategy-and-roadmap",
        "product-lifecycle",
        "ai-product-management-specialization",
    ]
    assert set(data["forecast"]) == {
        "hours_per_week",
        "remaining_hours",
        "finish",
        "pace_hours_per_week",
        "pace_finish",
        "basis",
        "source_hours",
        "default_hours",
        "reference_hours_per_week",
        "ongoing_left",
        "pace_since",
        "studied_hours_per_week",
        "studied_per_source_hour",
        "studied_remaining_hours",
        "studied_finish",
        "studied_since",
        "studied_window_since",
        "studied_finished_items",
        "studied_logged_hours",
        "studied_missing",
    }
    assert data["forecast"]["studied_finish"] is None  # no study time logged: no claim from it
    f = data["forecast"]
    assert f["remaining_hours"] == [
        round(f["source_hours"][0] + f["default_hours"][0], 1),
        round(f["source_hours"][1] + f["default_hours"][1], 1),
    ]
    assert f["reference_hours_per_week"] == 8 and f["ongoing_left"] == 24 and f["pace_since"] == "2026-09-01"
    assert data["active_weeks"] == 5
    assert len(data["weeks"]) == 8
    assert data["orphans"] == []


def test_list_json_fields(run_json, story) -> None:  # type: ignore[no-untyped-def]
    items = run_json("list")
    assert len(items) == 102
    first = items[0]
    assert {"id", "title", "kind", "phase", "module", "status", "started_on", "completed_on", "skipped_on"} <= set(
        first
    )
    assert (first["id"], first["status"], first["started_on"], first["completed_on"]) == (
        "ai-for-everyone",
        "done",
        "2026-09-01",
        "2026-09-28",
    )


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (("--status", "done", "--kind", "topic"), ["identifying-ai-opportunities", "cross-functional-collaboration", "product-strategy", "user-research"]),
        (("--phase", "phase-1", "--status", "in_progress"), ["digital-product-management"]),
        (("--module", "core-product-management", "--kind", "course"), ["digital-product-management"]),
        (("--kind", "certification", "--status", "done"), ["agile-certification"]),
        (("--status", "skipped"), ["product-hunt"]),
        (("--phase", "Phase 4: Advanced Skills", "--kind", "course"), []),
    ],
)  # fmt: skip
def test_list_filters_combine(run_json, story, filters: tuple[str, ...], ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert [i["id"] for i in run_json("list", *filters)] == ids


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("--status", "finished"), "'finished' is not a status; use not_started, in_progress, done or skipped.", 2),
        (("--kind", "video"), "'video' is not a kind;", 2),
        (("--phase", "core-product-management"), "'core-product-management' is a module, not a phase.", 1),
    ],
)
def test_bad_filters(run, args: tuple[str, ...], message: str, code: int) -> None:  # type: ignore[no-untyped-def]
    result = run("list", *args)
    assert result.exit_code == code
    assert message in " ".join(result.stderr.replace("│", " ").split())


def test_skipped_items_leave_the_fraction(run_json, run) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    before = run_json("status")["percent"]
    run("skip", "phase-4")
    after = run_json("status")
    assert after["percent"] == round(1 / (114 - 10) * 100, 1)
    assert after["percent"] > before


def test_projects_count_by_deliverables(run_json, run) -> None:  # type: ignore[no-untyped-def]
    run("done", "feature-analysis-market-research", "feature-analysis-user-needs")
    phase = next(p for p in run_json("status")["phases"] if p["id"] == "portfolio-projects")
    assert phase["counts"]["done"] == 2
    assert phase["percent"] == round(2 / 16 * 100, 1)


def test_next_respects_requires(run_json, run) -> None:  # type: ignore[no-untyped-def]
    ids = [r["id"] for r in run_json("next", "-n", "200")]
    assert "digital-product-management" not in ids  # phases need the foundation course first
    run("done", "ai-for-everyone")
    ids = [r["id"] for r in run_json("next", "-n", "200")]
    assert "digital-product-management" in ids
    assert "end-to-end-ai-product" not in ids  # advanced projects wait for the beginner ones


def test_next_puts_in_progress_first(run_json, run) -> None:  # type: ignore[no-untyped-def]
    run("done", "ai-for-everyone")
    run("start", "ml-pipeline")
    assert run_json("next", "-n", "2")[0]["id"] == "ml-pipeline"


def test_forecast_without_history_makes_no_pace_claim(run_json) -> None:  # type: ignore[no-untyped-def]
    forecast = run_json("status")["forecast"]
    assert forecast["pace_hours_per_week"] is None
    assert forecast["pace_finish"] is None
    low, high = forecast["remaining_hours"]
    assert 0 < low < high
    assert forecast["finish"][0] < forecast["finish"][1]


def test_forecast_with_history_uses_the_learners_pace(run_json, story) -> None:  # type: ignore[no-untyped-def]
    forecast = run_json("status")["forecast"]
    assert forecast["pace_hours_per_week"] > 0
    assert forecast["pace_finish"][0] <= forecast["pace_finish"][1]


def test_forecast_ranges_stay_ranges(run_json, run) -> None:  # type: ignore[no-untyped-def]
    # Everything done but one 6-8 week module: 48-64 study hours at the roadmap's 8 h a week.
    run("done", "foundation", "ai-product-manager-role", "phase-1", "phase-2", "phase-3", "phase-4", "course-exercises",
        "portfolio-projects", "professional-development", "learning-practices")  # fmt: skip
    run("reset", "data-analytics")
    forecast = run_json("status")["forecast"]
    assert forecast["remaining_hours"] == [48.0, 64.0]
    assert forecast["finish"] == ["2027-01-05", "2027-01-19"]


def test_show_json_has_everything(run_json, story) -> None:  # type: ignore[no-untyped-def]
    data = run_json("show", "digital-product-management")
    assert data["provider"] is None  # the source names no provider
    assert data["requires"] == [{"id": "ai-for-everyone", "title": "AI for Everyone", "status": "done"}]
    assert data["skills"] == [{"id": "product-management", "title": "Product Management Skills"}]
    assert data["status"] == "in_progress"
    assert data["started_on"] == "2026-10-20"
    assert [h["action"] for h in data["history"]] == ["start"]


def test_log_since_until_and_limit(run_json, run, story) -> None:  # type: ignore[no-untyped-def]
    log = run_json("log")
    assert [e["on"] for e in log] == [now[:10] for now, _ in reversed(STORY)]
    assert [e["action"] for e in log] == [args[0] for _, args in reversed(STORY)]
    assert len({e["device"] for e in log}) == 1 and len({e["id"] for e in log}) == len(STORY)
    assert [e["items"] for e in run_json("log", "--since", "2026-11-01")] == [
        ["agile-certification"],
        ["product-hunt"],
        ["user-research", "product-strategy"],
    ]
    assert len(run_json("log", "--limit", "2")) == 2
    # a backdated change is filtered by the date it is for, not the day it was typed
    run("done", "ml-pipeline", "--on", "2026-09-15")
    assert [e["items"] for e in run_json("log", "--since", "2026-09-10", "--until", "2026-09-20")] == [["ml-pipeline"]]


def test_log_text(run, story) -> None:  # type: ignore[no-untyped-def]
    text = run("log", "-n", "2").stdout
    assert re.search(r"2026-11-20  done  Agile Certification \(agile-certification\)", text)
    assert "Product Hunt (product-hunt) — not relevant to me" in text
    assert "recorded 2026-11-20 09:00 on " in text


def test_dashboard_shows_five_items_in_progress_and_counts_the_rest(run, run_json) -> None:  # type: ignore[no-untyped-def]
    items = ["identifying-ai-opportunities", "cross-functional-collaboration", "product-strategy-and-roadmap",
             "ethics-and-risk-management", "ai-product-evaluation", "follow-ai-product-blogs", "mentor-others"]  # fmt: skip
    run("start", *items)
    text = run("status").stdout
    section = text.split("In progress\n")[1].split("\n\n")[0].splitlines()
    assert len([line for line in section if line.startswith("  ◐ ")]) == 5
    assert section[-1] == "  and 2 more: aipm list --status in_progress"
    assert len(run_json("status")["in_progress"]) == 7
    assert text.splitlines()[2].startswith("7 in progress")  # the count matches what is listed


def test_colour_when_the_terminal_allows_it(story) -> None:  # type: ignore[no-untyped-def]
    # The counterpart of the no-escape-codes tests: colour does appear when asked for.
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["FORCE_COLOR"] = "1"
    result = subprocess.run([sys.executable, "-m", "aipm_cli", "status"], capture_output=True, text=True, env=env)
    assert result.returncode == 0
    assert "\x1b[" in result.stdout
