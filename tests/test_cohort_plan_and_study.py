"""The cohort report: each learner against their own plan (when their export shares it), and study time."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from conftest import Run

NOW = {"AIPM_NOW": "2026-11-24T10:00:00+00:00"}
ITEM = "ai-for-everyone"


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_learner_who_shares_a_plan_is_measured_against_it_in_every_format(
    run: Run, home: Path, tmp_path: Path
) -> None:
    assert run("config", "hours_per_week", "5", env=NOW).exit_code == 0
    assert run("done", ITEM, "--on", "2026-09-15", env=NOW).exit_code == 0  # ten weeks ago, and nothing since
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert run("export", "-f", "json", "-o", str(inbox / "ada.json"), env=NOW).exit_code == 0
    exported = json.loads((inbox / "ada.json").read_text())
    assert exported["plan"] == {"hours_per_week": 5.0}
    # The same learner's export without a plan (the weekly hours never set) under another name.
    exported.pop("plan")
    exported["user"] = "sam"
    (inbox / "sam.json").write_text(json.dumps(exported, indent=2))

    data = json.loads(run("cohort", "report", str(inbox), "-f", "json", env=NOW).stdout)
    ada = {x["name"]: x for x in data["learners"]}["ada"]
    sam = {x["name"]: x for x in data["learners"]}["sam"]
    assert ada["plan_hours_per_week"] == 5.0 and ada["behind_basis"] == "own plan"
    assert ada["hours_expected"] == 50.0  # 5 h a week for the ten weeks since their first change
    assert 0 < ada["hours_done"] < 40.0  # one course done: more than two weeks behind
    assert ada["behind_weeks"] == round((50.0 - ada["hours_done"]) / 5, 1)
    assert sam["plan_hours_per_week"] is None and sam["behind_basis"] != "own plan"
    behind = next(f for f in ada["flags"] if f["rule"] == "behind")
    assert behind["rule_text"] == "2 weeks or more behind the learner's own plan (the weekly hours their export shares)"
    assert behind["seen"].startswith(f"{ada['behind_weeks']:g} weeks behind their own plan: ")
    assert "their 5 h a week gives 50 h" in behind["seen"]
    assert not any(f["rule"] == "behind" for f in sam["flags"])  # two learners: no cohort pace to be behind
    for fmt in ("text", "md", "html", "csv"):
        shown = flat(run("cohort", "report", str(inbox), "-f", fmt, env=NOW).stdout)
        assert "behind their own plan" in shown, fmt
        assert flat(behind["rule_text"]).replace("'", "&#39;" if fmt == "html" else "'") in shown, fmt
    rows = {r["learner"]: r for r in csv.DictReader(io.StringIO(run("cohort", "report", str(inbox), "-f", "csv",
                                                                      env=NOW).stdout))}  # fmt: skip
    assert rows["ada"]["behind_basis"] == "own plan" and rows["ada"]["plan_hours_per_week"] == "5.0"
    assert rows["sam"]["plan_hours_per_week"] == ""


def test_an_export_without_set_weekly_hours_shares_no_plan(run: Run, tmp_path: Path) -> None:
    assert run("done", ITEM, env=NOW).exit_code == 0
    out = tmp_path / "ada.json"
    assert run("export", "-f", "json", "-o", str(out), env=NOW).exit_code == 0
    assert "plan" not in json.loads(out.read_text())  # the default 8 h is no plan the learner made


def test_study_time_in_all_and_this_week_in_every_format(run: Run, home: Path, tmp_path: Path) -> None:
    assert run("study", "add", ITEM, "2h", "--on", "2026-11-10", env=NOW).exit_code == 0  # two weeks ago
    assert run("study", "add", ITEM, "1h30m", "--on", "2026-11-23", env=NOW).exit_code == 0  # this week (Monday)
    assert run("--user", "sam", "study", "add", ITEM, "20m", env=NOW).exit_code == 0
    assert run("--user", "bob", "done", ITEM, env=NOW).exit_code == 0  # no study time
    cohort = tmp_path / "cohort"
    shutil.copytree(home, cohort)
    data = json.loads(run("cohort", "report", str(cohort), "-f", "json", env=NOW).stdout)
    minutes = {x["name"]: (x["minutes_studied"], x["minutes_studied_this_week"]) for x in data["learners"]}
    assert minutes == {"ada": (210, 90), "bob": (0, 0), "sam": (20, 20)}
    rows = list(csv.DictReader(io.StringIO(run("cohort", "report", str(cohort), "-f", "csv", env=NOW).stdout)))
    assert {r["learner"]: r["minutes_studied_this_week"] for r in rows} == {"ada": "90", "bob": "0", "sam": "20"}
    text = run("cohort", "report", str(cohort), env={**NOW, "COLUMNS": "120"}).stdout
    md = run("cohort", "report", str(cohort), "-f", "md", env=NOW).stdout
    html = run("cohort", "report", str(cohort), "-f", "html", env=NOW).stdout
    assert "Study (wk)" in text and "| Studied (this week) |" in md and "Studied (week)</th>" in html
    for shown in (text, md, html):
        assert "3h30m (1h30m)" in shown and "20m (20m)" in shown
    line = next(x for x in md.splitlines() if x.startswith("| bob |"))
    assert "| – |" in line  # no study time: a dash


def test_no_study_column_for_a_cohort_without_study_time(run: Run, home: Path, tmp_path: Path) -> None:
    assert run("done", ITEM, env=NOW).exit_code == 0
    cohort = tmp_path / "cohort"
    shutil.copytree(home, cohort)
    for fmt, column in (("text", "Study (wk)"), ("md", "Studied (this week)"), ("html", "Studied (week)")):
        assert column not in run("cohort", "report", str(cohort), "-f", fmt, env=NOW).stdout, fmt
