"""`aipm cohort report`: a cohort with known answers, made through aipm's own commands.

The cohort (report date 2026-11-24):

    class/            a data directory (like a clone of a cohort's sync repository)
      ada             the status story: 6 done, 1 in progress since 2026-10-20 (stuck), 1 skipped
      bob             2 done, 1 in progress, all on 2026-11-23; evidence that is not a link
      fay             on another roadmap ("mine")
    inbox/            a folder of exports
      ada-early.json  ada's export of 2026-10-06: overlaps her data directory
      cy.json         1 done and 1 skipped in August: inactive
      dan.json        on roadmap version 0.9.0, where user-research was called user-research-basics
      eve.json        an export renamed by hand (to a name sorted first), with a hostile note (markup, HTML)
      broken.json     not an export
      newer.json      an export of a newer format
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aipm_cli.cli import app
from conftest import CHROMIUM_FLAGS, GOLDEN_DIR, NOW, chromium

# A hostile learner name (a formula, markup, HTML) is refused like anywhere else in aipm (paths.check_user_name):
# test_doctor_words.py has those. eve's note stays hostile.
EVE = "0-Eve_B.x"
EVE_NOTE = "<script>alert('note')</script> & [link=https://evil.example]x[/link]"
BOB_EVIDENCE = "javascript:alert(1)"
BOB_LINK = "https://example.org/bob?a=1&b=<2>"


# The figures below were worked out on the released roadmap (1.0.0): pin it.
RELEASED = str(Path(__file__).parent / "data" / "released" / "bundle")


@pytest.fixture(autouse=True)
def released_roadmap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIPM_BUNDLED_ROADMAPS", RELEASED)


def aipm(home: Path, user: str, now: str, *args: str) -> str:
    env = {"AIPM_HOME": str(home), "AIPM_USER": user, "AIPM_NOW": now, "NO_COLOR": "1", "COLUMNS": "80",
           "AIPM_BUNDLED_ROADMAPS": RELEASED}  # fmt: skip
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder with its bytes and mode (what 'nothing was written' means)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        out[str(path.relative_to(folder))] = (path.read_bytes() if path.is_file() else b"", info.st_mode)
    return out


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cohort")
    data = base / "class"
    inbox = base / "inbox"
    inbox.mkdir()

    # ada: the status story, in the shared data directory; an early export of hers in the inbox.
    for now, args in [
        ("2026-09-01T09:00:00+00:00", ("start", "ai-for-everyone")),
        ("2026-09-28T09:00:00+00:00", ("done", "ai-for-everyone", "--evidence", "https://coursera.org/verify/ABC123")),
        ("2026-10-05T09:00:00+00:00", ("done", "identifying-ai-opportunities", "cross-functional-collaboration")),
        ("2026-10-06T09:00:00+00:00", ("export", "-f", "json", "-o", str(inbox / "ada-early.json"))),
        ("2026-10-20T09:00:00+00:00", ("start", "digital-product-management")),
        ("2026-11-02T09:00:00+00:00", ("done", "user-research", "product-strategy")),
        ("2026-11-10T09:00:00+00:00", ("skip", "product-hunt", "--reason", "not relevant to me")),
        ("2026-11-20T09:00:00+00:00", ("done", "agile-certification", "--credential", "CSM-1")),
        ("2026-11-20T10:00:00+00:00", ("assess", "product-management", "3")),
    ]:
        aipm(data, "ada", now, *args)
    # bob: everything on 2026-11-23.
    day = "2026-11-23T09:00:00+00:00"
    aipm(data, "bob", day, "start", "ai-for-everyone")
    aipm(data, "bob", day, "done", "user-research", "--evidence", BOB_EVIDENCE)
    aipm(data, "bob", day, "done", "product-strategy", "--evidence", BOB_LINK)
    aipm(data, "bob", day, "assess", "product-management", "5")
    # fay: another roadmap.
    mine = base / "mine.yaml"
    mine.write_text(
        'id: mine\ntitle: Mine\nversion: "1"\nphases:\n  - id: p\n    title: P\n    modules:\n      - id: m\n'
        "        title: M\n        items:\n          - {id: only, title: Only, kind: topic}\n"
    )
    aipm(data, "fay", day, "--roadmap", str(mine), "done", "only")

    # cy: inactive since August, exported today.
    own = base / "cy-home"
    aipm(own, "cy", "2026-08-01T09:00:00+00:00", "done", "ai-for-everyone")
    aipm(own, "cy", "2026-08-02T09:00:00+00:00", "skip", "product-hunt")
    aipm(own, "cy", NOW, "export", "-f", "json", "-o", str(inbox / "cy.json"))

    # dan: on version 0.9.0 of the roadmap, where user-research had another id.
    old = base / "ai-product-manager-0.9.yaml"
    text = (Path(RELEASED) / "ai-product-manager.yaml").read_text()
    old.write_text(
        text.replace('version: "1.0.0"', 'version: "0.9.0"').replace("id: user-research,", "id: user-research-basics,")
    )
    own = base / "dan-home"
    aipm(own, "dan", "2026-11-01T09:00:00+00:00", "--roadmap", str(old), "done", "ai-for-everyone")
    aipm(own, "dan", "2026-11-15T09:00:00+00:00", "--roadmap", str(old), "done", "user-research-basics")
    aipm(own, "dan", NOW, "--roadmap", str(old), "export", "-f", "json", "-o", str(inbox / "dan.json"))

    # eve: another name, written into her export by hand.
    own = base / "eve-home"
    aipm(own, "eve", "2026-11-22T09:00:00+00:00", "start", "ai-for-everyone", "--note", EVE_NOTE)
    aipm(own, "eve", NOW, "export", "-f", "json", "-o", str(inbox / "eve.json"))
    document = json.loads((inbox / "eve.json").read_text())
    document["user"] = EVE
    (inbox / "eve.json").write_text(json.dumps(document))

    (inbox / "broken.json").write_text('{"hello": "world"}')
    newer = json.loads((inbox / "cy.json").read_text())
    newer["export_version"] = 99
    (inbox / "newer.json").write_text(json.dumps(newer))
    return base


@pytest.fixture
def report(cohort: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `aipm cohort report` from the cohort's folder (sources named relatively, as a user would)."""
    monkeypatch.chdir(cohort)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, ["cohort", "report", *args], catch_exceptions=False)

    return invoke


def as_json(report: Any, *args: str) -> dict[str, Any]:
    result = report("class", "inbox", "-f", "json", *args)
    assert result.exit_code == 1, result.stderr  # two files could not be read
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def learners(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {learner["name"]: learner for learner in data["learners"]}


# --------------------------------------------------------------------------- #
# Every figure of the JSON document
# --------------------------------------------------------------------------- #


def test_json_cohort_at_a_glance(report: Any) -> None:
    data = as_json(report)
    assert data["format"] == "aipm-cohort" and data["cohort_version"] == 1
    assert data["as_of"] == "2026-11-24"
    assert data["roadmap"] == {"id": "ai-product-manager", "title": "AI Product Manager", "version": "1.0.0"}
    assert data["settings"] == {
        "stuck_weeks": 4,
        "inactive_days": 14,
        "with_notes": False,
        "hours_per_week": 8.0,
        "rules": {"on": ["low-and-idle", "behind", "stuck", "never-started"], "under_percent": 25.0, "idle_days": 7,
                  "behind_weeks": 2.0},
        "sort": "name",
        "filters": [],
    }  # fmt: skip
    assert data["could_not_read"] == 2 and data["notices"] == []
    # cy: 1.0% after 16 weeks; dan: 1.0%, quiet 9 days; ada: stuck 5 weeks. The cohort's median pace is
    # dan's 0.30 points a week (of ada 0.48, dan 0.30, cy 0.06; bob and eve joined under a week ago).
    assert [(x["name"], [f["rule"] for f in x["flags"]]) for x in data["attention"]] == [
        ("cy", ["low-and-idle", "behind"]),
        ("dan", ["low-and-idle"]),
        ("ada", ["stuck"]),
    ]
    cy = data["attention"][0]["flags"]
    assert cy[0]["reason"] == "1.0% done, no change for 114 days (rule: under 25% done and inactive 7 days or more)"
    assert cy[1]["seen"] == "13.1 weeks behind: 1.0% done after 16 weeks, the cohort's median pace gives 5.0%"
    # ada 5.8, bob 1.9, cy 1.0, dan 1.0, eve 0.0
    assert data["cohort"] == {
        "learners": 5,
        "median_percent": 1.0,
        "lowest_percent": 0.0,
        "highest_percent": 5.8,
        "middle_half": [1.0, 1.9],
        "active_last_7_days": 3,  # ada (4 days), bob (1), eve (2); dan's last change is 9 days old
        "inactive": 1,  # cy
        "stuck": 1,  # ada
        "bands": [
            {"band": "0%", "learners": 1},
            {"band": "0–25%", "learners": 4},
            {"band": "25–50%", "learners": 0},
            {"band": "50–75%", "learners": 0},
            {"band": "75–100%", "learners": 0},
            {"band": "100%", "learners": 0},
        ],
        "at_risk": 3,
        "percentile_15_85": [0.6, 3.5],
        "shown": 5,
    }
    assert [learner["name"] for learner in data["learners"]] == [EVE, "ada", "bob", "cy", "dan"]


def test_json_learners(report: Any) -> None:
    found = learners(as_json(report))
    ada = found["ada"]
    assert ada["sources"] == ["class", os.path.join("inbox", "ada-early.json")]
    assert (ada["percent"], ada["counts"]) == (
        5.8,
        {"total": 104, "done": 6, "in_progress": 1, "skipped": 1, "not_started": 96},
    )
    assert ada["last_activity"] == "2026-11-20" and ada["days_inactive"] == 4
    assert ada["active_last_7_days"] is True and ada["inactive"] is False
    assert ada["active_weeks"] == 5 and ada["weeks_shown"] == 8
    assert ada["stuck"] == [
        {"id": "digital-product-management", "title": "Digital Product Management Specialization",
         "since": "2026-10-20", "weeks": 5}
    ]  # fmt: skip
    assert ada["skipped"] == ["product-hunt"]
    assert ada["skills"] == {"product-management": 3}
    assert ada["roadmap_version"] == "1.0.0" and ada["other_version"] is False
    assert ada["orphans"] == [] and ada["notes"] == []
    assert [(e["item"], e["text"], e["link"]) for e in ada["evidence"]] == [
        ("ai-for-everyone", "https://coursera.org/verify/ABC123", "https://coursera.org/verify/ABC123")
    ]
    # Joined by change id: the early export's changes are already in the data directory.
    logs = list((Path("class") / "learners" / "ada" / "ai-product-manager" / "changes").glob("*.jsonl"))
    assert ada["changes"] == sum(len(p.read_bytes().splitlines()) for p in logs) == 9 - 1  # the export is no change

    bob = found["bob"]
    assert (bob["percent"], bob["counts"]["done"], bob["counts"]["in_progress"], bob["counts"]["skipped"]) == (
        1.9,
        2,
        1,
        0,
    )
    assert bob["last_activity"] == "2026-11-23" and bob["active_weeks"] == 1 and bob["stuck"] == []
    assert bob["pace_hours_per_week"] is None and bob["pace_finish"] is None  # no history, no pace claim
    assert bob["roadmap_version"] is None and bob["other_version"] is False  # a data directory does not say
    assert [(e["item"], e["text"], e["link"]) for e in bob["evidence"]] == [  # in roadmap order
        ("product-strategy", BOB_LINK, "https://example.org/bob?a=1&b=%3C2%3E"),
        ("user-research", BOB_EVIDENCE, None),
    ]

    cy = found["cy"]
    assert (cy["percent"], cy["counts"]["done"], cy["counts"]["skipped"]) == (1.0, 1, 1)
    assert cy["last_activity"] == "2026-08-02" and cy["days_inactive"] == 114
    assert cy["inactive"] is True and cy["active_last_7_days"] is False and cy["active_weeks"] == 0
    assert cy["sources"] == [os.path.join("inbox", "cy.json")] and cy["roadmap_version"] == "1.0.0"

    dan = found["dan"]
    assert dan["roadmap_version"] == "0.9.0" and dan["other_version"] is True
    assert dan["orphans"] == ["user-research-basics"]  # kept and shown, never dropped
    assert (dan["percent"], dan["counts"]["done"]) == (1.0, 1)
    assert dan["days_inactive"] == 9 and dan["active_last_7_days"] is False and dan["inactive"] is False

    eve = found[EVE]
    assert (eve["percent"], eve["counts"]["in_progress"], eve["last_activity"]) == (0.0, 1, "2026-11-22")
    assert eve["notes"] == []  # notes only with --with-notes


def test_json_matches_what_each_learner_sees_in_status(report: Any, cohort: Path) -> None:
    """Percent, counts, active weeks, pace and forecast follow `aipm status`'s rules exactly."""
    ada = learners(as_json(report))["ada"]
    copy = cohort.parent / "status-copy"  # status writes a cache: never in the source
    shutil.copytree(cohort / "class", copy, dirs_exist_ok=True)
    status = json.loads(aipm(copy, "ada", NOW, "status", "--json"))
    assert ada["percent"] == status["percent"]
    assert ada["counts"] == status["counts"]
    assert ada["active_weeks"] == status["active_weeks"]
    assert ada["pace_hours_per_week"] == status["forecast"]["pace_hours_per_week"] is not None
    assert ada["pace_finish"] == status["forecast"]["pace_finish"]
    assert ada["finish"] == status["forecast"]["finish"]
    assert ada["phases"] == {p["id"]: p["percent"] for p in status["phases"]}


def test_json_phases_items_skills_and_the_rest(report: Any) -> None:
    data = as_json(report)
    foundation = data["phases"][0]
    # Foundation has 6 units: ada 3 (50%), bob 0, cy 1 (16.7%), dan 1 (16.7%), eve 0.
    assert (foundation["id"], foundation["median"], foundation["lowest"], foundation["highest"]) == (
        "foundation", 16.7, 0.0, 50.0
    )  # fmt: skip
    assert foundation["finished"] == 0
    course = foundation["modules"][0]
    assert (course["id"], course["median"], course["highest"], course["finished"]) == (
        "foundation-course",
        100.0,
        100.0,
        3,
    )
    assert data["stuck"] == [
        {"id": "digital-product-management", "title": "Digital Product Management Specialization", "learners": ["ada"]}
    ]
    assert data["skipped"] == [{"id": "product-hunt", "title": "Product Hunt", "learners": ["ada", "cy"]}]
    pm = next(k for k in data["skills"] if k["id"] == "product-management")
    assert pm == {
        "id": "product-management", "title": "Product management", "rated": 2, "median": 4.0, "lowest": 3, "highest": 5,
        "levels": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
    }  # fmt: skip
    assert all(k["rated"] == 0 for k in data["skills"] if k["id"] != "product-management")
    assert data["other_roadmaps"] == [{"name": "fay", "roadmap": "mine", "sources": ["class"]}]
    assert data["unreadable"] == [
        {"source": os.path.join("inbox", "broken.json"), "reason": "it is not an aipm export"},
        {
            "source": os.path.join("inbox", "newer.json"),
            "reason": "it was written by a newer aipm (export version 99; this aipm reads 2)",
        },
    ]


def test_thresholds_notes_and_as_of(report: Any) -> None:
    data = as_json(report, "--stuck-weeks", "6", "--inactive-days", "3", "--with-notes")
    found = learners(data)
    assert data["cohort"]["stuck"] == 0  # ada's 5 weeks are under 6
    assert [n for n, learner in found.items() if learner["inactive"]] == ["ada", "cy", "dan"]
    assert [(n["item"], n["text"]) for n in found[EVE]["notes"]] == [("ai-for-everyone", EVE_NOTE)]

    early = as_json(report, "--as-of", "2026-10-06")
    found = learners(early)
    assert early["as_of"] == "2026-10-06"
    assert (found["ada"]["counts"]["done"], found["ada"]["counts"]["in_progress"], found["ada"]["percent"]) == (
        3,
        0,
        2.9,
    )
    assert found["ada"]["skills"] == {} and found["ada"]["last_activity"] == "2026-10-05"
    assert found["bob"]["counts"]["done"] == 0 and found["bob"]["last_activity"] is None and found["bob"]["inactive"]
    assert found["cy"]["counts"]["skipped"] == 1 and found["cy"]["days_inactive"] == 65
    assert early["cohort"]["active_last_7_days"] == 1  # ada, on 2026-10-05


def test_sources_are_never_written(report: Any, cohort: Path, tmp_path: Path) -> None:
    before = {name: tree(cohort / name) for name in ("class", "inbox")}
    for fmt in ("text", "md", "html", "csv", "json"):
        report("class", "inbox", "-f", fmt)
    report("class", "inbox", "-f", "csv", "--by", "item", "--as-of", "2026-10-01")
    report("class", "inbox", "-o", str(tmp_path / "out.html"))
    assert {name: tree(cohort / name) for name in ("class", "inbox")} == before


def test_a_dash_for_the_output_is_stdout(report: Any, cohort: Path) -> None:
    """`-o -` prints the report as without -o, and says nothing about writing a file called "-"."""
    for fmt in ("text", "md", "json"):
        dashed, plain = report("class", "inbox", "-f", fmt, "-o", "-"), report("class", "inbox", "-f", fmt)
        assert dashed.stdout == plain.stdout and dashed.stdout, fmt
        assert "Wrote" not in dashed.stderr, (fmt, dashed.stderr)
    assert not (cohort / "-").exists()


def test_parallel_workers_give_the_same_report(cohort: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aipm_cli.cohort.build import build
    from aipm_cli.cohort.model import Options
    from aipm_cli.render.cohort_json import document
    from aipm_cli.roadmap import finding, loading

    monkeypatch.chdir(cohort)
    roadmap = loading.load_roadmap_file(finding.find("ai-product-manager", cohort / "none"))
    options = Options(today=date(2026, 11, 24), with_notes=True)
    now = datetime(2026, 11, 24, 10, tzinfo=UTC)
    one = document(build(roadmap, [Path("class"), Path("inbox")], options, now, workers=1))
    two = document(build(roadmap, [Path("class"), Path("inbox")], options, now, workers=2))
    assert one == two and one["cohort"]["learners"] == 5


# --------------------------------------------------------------------------- #
# The terminal, CSV, Markdown and HTML views
# --------------------------------------------------------------------------- #


def test_terminal_view_golden(report: Any) -> None:
    result = report("class", "inbox")
    assert result.exit_code == 1
    path = GOLDEN_DIR / "cohort-80.txt"
    if os.environ.get("AIPM_UPDATE_GOLDEN"):
        path.write_text(result.stdout)
    assert result.stdout == path.read_text()
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    broken, newer = os.path.join("inbox", "broken.json"), os.path.join("inbox", "newer.json")
    assert result.stderr == (
        f"Could not read {broken}: it is not an aipm export.\n"
        f"Could not read {newer}: it was written by a newer aipm (export version 99; this aipm reads 2).\n"
    )


def test_terminal_shows_markup_and_control_characters_as_text(report: Any) -> None:
    out = report("class", "inbox", "--with-notes").stdout
    assert "[link=https://evil.example]x[/link]" in out  # markup shown, not applied
    assert "\x1b" not in out


def test_csv_one_row_per_learner(report: Any) -> None:
    from aipm_cli.render.cohort_csv import LEARNER_COLUMNS

    result = report("class", "inbox", "-f", "csv")
    assert result.stdout_bytes.startswith(",".join(LEARNER_COLUMNS).encode() + b"\r\n")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["learner"] for r in rows] == [EVE, "ada", "bob", "cy", "dan"]
    ada = rows[1]
    assert (ada["percent"], ada["done"], ada["in_progress"], ada["skipped"], ada["not_started"], ada["total"]) == (
        "5.8", "6", "1", "1", "96", "104"
    )  # fmt: skip
    assert (ada["last_activity"], ada["active_last_7_days"], ada["active_weeks"], ada["inactive"]) == (
        "2026-11-20", "yes", "5/8", "no"
    )  # fmt: skip
    assert ada["stuck"] == "digital-product-management" and ada["roadmap_version"] == "1.0.0"
    assert rows[4]["other_version"] == "yes" and rows[3]["days_inactive"] == "114"
    assert rows[2]["pace_hours_per_week"] == "" and ada["pace_hours_per_week"] != ""


def test_csv_by_item(report: Any) -> None:
    from aipm_cli.render.cohort_csv import ITEM_COLUMNS

    result = report("class", "inbox", "-f", "csv", "--by", "item", "--with-notes")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout_bytes.startswith(",".join(ITEM_COLUMNS).encode() + b"\r\n")
    per_learner = len(rows) // 5
    assert len(rows) == 5 * per_learner and per_learner > 104  # items and deliverables
    ada = {r["item"]: r for r in rows if r["learner"] == "ada"}
    assert ada["digital-product-management"]["status"] == "in_progress"
    assert ada["digital-product-management"]["stuck"] == "yes"
    assert ada["ai-for-everyone"]["completed"] == "2026-09-28"
    assert ada["ai-for-everyone"]["evidence"] == "https://coursera.org/verify/ABC123"
    assert ada["feature-analysis-user-needs"]["project"] == "ai-feature-analysis"
    eve = {r["item"]: r for r in rows if r["learner"] == EVE}
    assert eve["ai-for-everyone"]["notes"] == EVE_NOTE


def test_csv_cells_never_run_as_formulas() -> None:
    from aipm_cli.render.cohort_csv import cell

    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert cell(text) == "'" + text
    assert cell("ok=fine") == "ok=fine" and cell(None) == "" and cell(True) == "yes" and cell(5.8) == "5.8"


def test_by_item_is_for_csv(report: Any) -> None:
    result = report("class", "--by", "item")
    assert result.exit_code == 2 and "--by item is for the CSV format" in result.stderr


def test_markdown_escapes_learner_text(report: Any) -> None:
    md = report("class", "inbox", "-f", "md", "--with-notes").stdout
    # Markdown shows them as text: every `<` that could open a tag is escaped.
    assert not re.search(r"(?<!\\)<(script|b)\b", md) and "\\<script>" in md
    assert "\\<script>alert('note')\\</script>" in md
    assert "\\[link=https://evil.example\\]x" in md
    assert "[https://coursera.org/verify/ABC123](https://coursera.org/verify/ABC123)" in md
    assert "](javascript" not in md


def test_html_escapes_every_learner_text(report: Any) -> None:
    html = report("class", "inbox", "-f", "html", "--with-notes").stdout
    assert "<script" not in html.lower() and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt; &amp; [link=https://evil.example]x[/link]" in html
    assert EVE in html
    hrefs = [h.split('"')[0] for h in html.split('href="')[1:]]
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    assert "javascript:alert(1)" in html and 'href="javascript' not in html
    assert "http://" not in html.split("<body>")[0].replace('content="width', "")  # nothing fetched


@pytest.mark.browser
def test_html_renders_in_chromium(report: Any, tmp_path: Path) -> None:
    browser = chromium()
    page = tmp_path / "cohort.html"
    assert report("class", "inbox", "--with-notes", "-o", str(page)).exit_code == 1
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-500:]
    assert '<strong id="learners">5</strong>' in dom.stdout
    assert '<strong id="median">1.0%</strong>' in dom.stdout
    assert '<strong id="active">3</strong>' in dom.stdout
    assert "<script" not in dom.stdout.lower()  # nothing from a learner became an element
    assert "&lt;script&gt;alert('note')&lt;/script&gt;" in dom.stdout  # eve's note, shown as text
    shot = Path(os.environ.get("AIPM_COHORT_SHOT", tmp_path / "shot.png"))
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1000,2400", f"--screenshot={shot}",
         page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


# --------------------------------------------------------------------------- #
# Bad sources
# --------------------------------------------------------------------------- #


def test_bad_sources_are_named_and_the_rest_reported(report: Any, cohort: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(cohort / "class", damaged)
    log = next((damaged / "learners" / "bob" / "ai-product-manager" / "changes").glob("*.jsonl"))
    with open(log, "ab") as handle:
        handle.write(b'{"v": 1, "id": "nonsense"}\n')
    empty = tmp_path / "empty"
    empty.mkdir()
    result = report(str(damaged), str(empty), str(tmp_path / "missing.json"), "-f", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [learner["name"] for learner in data["learners"]] == ["ada", "bob"]
    assert learners(data)["bob"]["counts"]["done"] == 2  # the readable lines still count
    assert data["unreadable"] == [
        {"source": str(empty), "reason": "it is not an aipm data directory and holds no JSON exports"},
        {"source": str(tmp_path / "missing.json"), "reason": "there is no such file or folder"},
        {"source": f"{log}, line 5", "reason": "its id is not a change id (the line was skipped)"},
    ]
    assert f"Could not read {log}, line 5: its id is not a change id (the line was skipped)." in result.stderr


def test_no_sources_is_a_usage_error(report: Any) -> None:
    assert report().exit_code == 2


def test_a_clean_cohort_exits_0(report: Any) -> None:
    result = report("class", os.path.join("inbox", "cy.json"), "-f", "json")
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(result.stdout)["cohort"]["learners"] == 3


def test_a_folder_of_everything_joins_each_learner_once(report: Any) -> None:
    """The cohort's whole folder: data directories inside it are read as such, exports as exports."""
    alone = learners(as_json(report))["cy"]
    result = report(".", "-f", "json")
    assert result.exit_code == 1  # broken.json and newer.json
    found = learners(json.loads(result.stdout))
    assert list(found) == [EVE, "ada", "bob", "cy", "dan", "eve"]  # eve's export renamed her: a learner of its own
    cy = found["cy"]
    assert cy["sources"] == ["cy-home", os.path.join("inbox", "cy.json")]
    assert cy["changes"] == alone["changes"] == 2 and cy["counts"] == alone["counts"]
    assert found["dan"]["other_version"] is True and found["dan"]["roadmap_version"] == "0.9.0"


def test_an_unmigrated_schema_1_store_is_read_without_migrating_it(report: Any, tmp_path: Path) -> None:
    store = tmp_path / "old" / "learners" / "gus" / "progress.json"
    store.parent.mkdir(parents=True)
    store.write_text(
        json.dumps(
            {"schema_version": 1, "user": "gus", "created": "2026-10-01T09:00:00+00:00", "roadmaps": {
                "ai-product-manager": {"roadmap_version": "0.8.0", "items": {
                    "ai-for-everyone": {"status": "done", "started_on": "2026-10-01", "completed_on": "2026-11-01"}}}}}
        )
    )  # fmt: skip
    before = tree(tmp_path / "old")
    result = report(str(tmp_path / "old"), "-f", "json")
    assert result.exit_code == 0, result.stderr
    gus = learners(json.loads(result.stdout))["gus"]
    assert (gus["counts"]["done"], gus["roadmap_version"], gus["other_version"]) == (1, "0.8.0", True)
    assert tree(tmp_path / "old") == before  # not migrated, nothing written


def test_a_newer_store_is_named(report: Any, tmp_path: Path) -> None:
    store = tmp_path / "old" / "learners" / "gus" / "progress.json"
    store.parent.mkdir(parents=True)
    store.write_text(json.dumps({"schema_version": 9, "user": "gus"}))
    result = report(str(tmp_path / "old"))
    assert result.exit_code == 1
    assert f"Could not read {store}: " in result.stderr and "newer aipm" in result.stderr
    assert ".." not in result.stderr


# --------------------------------------------------------------------------- #
# The core, on a tiny roadmap, without the CLI
# --------------------------------------------------------------------------- #

TINY = """
id: tiny
title: Tiny
version: "2"
phases:
  - id: p1
    title: One
    modules:
      - id: m1
        title: M1
        items:
          - {id: a, title: A, kind: topic}
          - {id: b, title: B, kind: topic}
  - id: p2
    title: Two
    modules:
      - id: m2
        title: M2
        items:
          - {id: c, title: C, kind: topic}
"""


def _write(root: Path, name: str, changes: list[tuple[str, str, list[str]]]) -> None:
    from aipm_cli.record.changes import FORMAT, line
    from aipm_cli.record.ids import new_id

    folder = root / "learners" / name / "tiny" / "changes"
    folder.mkdir(parents=True)
    out, last = [], None
    for on, op, targets in changes:
        moment = datetime.fromisoformat(on + "T09:00:00+00:00")
        last = new_id(moment, last)
        change = {"v": FORMAT, "id": last, "at": moment.isoformat(), "on": on, "device": "d", "op": op,
                  "targets": targets, "units": targets}  # fmt: skip
        out.append(line(change))
    (folder / "d.jsonl").write_bytes(b"".join(out))


def test_core_bands_phases_and_finishers(tmp_path: Path) -> None:
    from aipm_cli.cohort.build import build
    from aipm_cli.cohort.model import Options
    from aipm_cli.roadmap.loading import parse_roadmap_text

    roadmap = parse_roadmap_text(TINY.encode(), "tiny.yaml")
    root = tmp_path / "data"
    _write(root, "all", [("2026-11-01", "done", ["a", "b"]), ("2026-11-02", "skip", ["c"])])  # 100%: c skipped
    _write(root, "half", [("2026-11-01", "done", ["a"]), ("2026-11-20", "start", ["c"])])  # 1/3
    _write(root, "none", [("2026-11-23", "start", ["a"]), ("2026-11-23", "reset", ["a"])])  # 0%, yet active
    _write(root, "later", [("2026-12-01", "done", ["a"])])  # dated after the report's day: not counted
    s = build(roadmap, [root], Options(today=date(2026, 11, 24)), datetime(2026, 11, 24, tzinfo=UTC))
    by = {learner.name: learner for learner in s.learners}
    assert [(n, learner.percent) for n, learner in by.items()] == [
        ("all", 100.0),
        ("half", 33.3),
        ("later", 0.0),
        ("none", 0.0),
    ]
    assert dict(s.glance.bands) == {"0%": 2, "0–25%": 0, "25–50%": 1, "50–75%": 0, "75–100%": 0, "100%": 1}
    assert (s.glance.median, s.glance.lowest, s.glance.highest, s.glance.quartiles) == (
        16.7,
        0.0,
        100.0,
        (0.0, 50.0),
    )  # median of 0, 0, 1/3 and 100%: 1/6 is 16.7% (from the rounded 33.3 it was 16.6)
    assert by["later"].last_activity is None and by["later"].inactive and by["later"].changes == 1
    assert by["none"].last_activity == date(2026, 11, 23) and by["none"].active_lately
    one, two = s.phases
    assert (one.median, one.lowest, one.highest, one.finished) == (25.0, 0.0, 100.0, 1)
    assert (two.median, two.finished) == (0.0, 0)  # "all" skipped c: nothing left, but nothing done either
    assert s.skipped[0].id == "c" and s.skipped[0].learners == ["all"]
    assert s.stuck == []  # "half" started c 4 days ago
    weeks = build(roadmap, [root], Options(today=date(2026, 12, 30)), datetime(2026, 12, 30, tzinfo=UTC))
    assert [x.id for x in next(x for x in weeks.learners if x.name == "half").stuck] == ["c"]
