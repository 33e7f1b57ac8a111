"""The HTML cohort report in a real browser: the first screen, a phone's width, and the printed page count.

A cohort of 30 learners on the bundled roadmap (seeded: the same every run)
is reported to HTML and opened in headless Chromium: at 1280 x 800 the
at-risk list with its reasons and the drop-off view are on the first
screen; at 400 px the page does not scroll sideways (tables scroll in their
own box); printed to A4 it takes at most 4 pages without --full.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import CHROMIUM_FLAGS, Run, chromium, pdf_pages

FLAGS = [*CHROMIUM_FLAGS, "--hide-scrollbars"]  # measured as a phone shows it: no scrollbar taking width
NOW = "2026-11-24T10:00:00+00:00"

# Measures the page where it is shown (in a frame of the probe page) and posts the figures to the probe.
MEASURE = """<script>
window.addEventListener('load', () => {
  const box = (sel) => { const e = document.querySelector(sel); if (!e) return null;
    const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const rows = [...document.querySelectorAll('#attention tr.at-risk')].map((tr) => tr.getBoundingClientRect().bottom);
  const flagFont = document.querySelector('#attention ul.flags')
    ? parseFloat(getComputedStyle(document.querySelector('#attention ul.flags')).fontSize) : 0;
  parent.postMessage(JSON.stringify({width: innerWidth, height: innerHeight,
    scrollWidth: document.documentElement.scrollWidth, attention: box('#attention'), dropoff: box('#dropoff'),
    flow: box('#dropoff .flow'), stalls: box('#dropoff .stalls'), rows: rows, flagFont: flagFont,
    rules: box('#attention p.rules')}), '*');
});
</script>"""
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="report-measured.html" width="{width}" height="800" style="border:0"></iframe>
<pre id="out"></pre>
<script>window.addEventListener('message', (e) => {{ document.getElementById('out').textContent = e.data; }});</script>
</body></html>"""


def thirty_learners(data: Path) -> None:
    """30 learners over 20 weeks on the bundled roadmap: some fast, most middling, a few idle or stuck."""
    from aipm_cli.record.changes import FORMAT, line
    from aipm_cli.record.ids import new_id
    from aipm_cli.roadmap import finding, loading

    roadmap = loading.load_roadmap_file(finding.find("ai-product-manager", data / "none"))
    ids = list(roadmap.index.items)
    skills = [s.id for s in roadmap.skills]
    rng = random.Random(28)
    for n in range(30):
        name = f"{rng.choice(['ada', 'bo', 'cy', 'dee', 'eli', 'fay', 'gus', 'hal'])}-{n:02d}"
        start = datetime(2026, 7, 6, 9, tzinfo=UTC) + timedelta(days=rng.randint(0, 30))
        speed = rng.choice([0, 1, 2, 2, 3, 3, 3, 4, 6])  # items finished a week
        weeks = rng.randint(2, 19)
        moment, last, out = start, None, []
        reach = min(len(ids), speed * weeks)
        end = datetime(2026, 11, 22, 9, tzinfo=UTC) - timedelta(days=rng.choice([0, 1, 3, 10, 30]))
        step = (end - start) / max(1, 2 * reach)  # the last change of each falls before `end`
        for k, item in enumerate(ids[:reach]):
            for op in ("start", "done") if k < reach - 2 else ("start",):
                moment += step * rng.uniform(0.5, 1.0)
                last = new_id(moment, last)
                change = {"v": FORMAT, "id": last, "at": moment.isoformat(), "on": moment.date().isoformat(),
                          "device": "d", "op": op, "targets": [item], "units": [item]}  # fmt: skip
                if op == "done" and rng.random() < 0.3:
                    change["evidence"] = [f"https://example.org/{name}/{item}"]
                out.append(line(change))
            if rng.random() < 0.1:
                moment += timedelta(hours=1)
                last = new_id(moment, last)
                change = {"v": FORMAT, "id": last, "at": moment.isoformat(), "on": moment.date().isoformat(),
                          "device": "d", "op": "assess", "skill": rng.choice(skills), "level": rng.randint(1, 5)}  # fmt: skip
                out.append(line(change))
        if not out:  # joined, nothing started: one rating says they were here
            last = new_id(start, None)
            change = {"v": FORMAT, "id": last, "at": start.isoformat(), "on": start.date().isoformat(),
                      "device": "d", "op": "assess", "skill": skills[0], "level": 2}  # fmt: skip
            out.append(line(change))
        folder = data / "learners" / name / roadmap.id / "changes"
        folder.mkdir(parents=True)
        (folder / "d.jsonl").write_bytes(b"".join(out))


def measured(browser: str, page: Path, width: int, tmp_path: Path) -> dict[str, object]:
    """The figures MEASURE takes of the page shown in a frame `width` px wide and 800 px high."""
    html = page.read_text("utf-8")
    (page.parent / "report-measured.html").write_text(html.replace("</body>", MEASURE + "</body>"), "utf-8")
    probe = page.parent / f"probe-{width}.html"
    probe.write_text(PROBE.format(width=width), "utf-8")
    dom = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900",
         "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-500:]
    found = re.search(r'<pre id="out">(.+?)</pre>', dom.stdout)
    assert found, dom.stdout[-500:]
    figures: dict[str, object] = json.loads(found.group(1))
    assert figures["width"] == width and figures["height"] == 800
    return figures


@pytest.mark.browser
def test_thirty_learners_first_screen_phone_width_and_four_printed_pages(run: Run, tmp_path: Path) -> None:
    browser = chromium()
    data = tmp_path / "cohort"
    thirty_learners(data)
    page = tmp_path / "out" / "report.html"
    page.parent.mkdir()
    result = run("cohort", "report", str(data), "-o", str(page), env={"AIPM_NOW": NOW})
    assert result.exit_code == 0, result.stderr
    summary = json.loads(run("cohort", "report", str(data), "-f", "json", env={"AIPM_NOW": NOW}).stdout)
    flagged = len(summary["attention"])
    assert summary["cohort"]["learners"] == 30 and 8 <= flagged <= 30  # a cohort with someone to help

    wide = measured(browser, page, 1280, tmp_path)
    assert wide["scrollWidth"] == 1280
    attention, dropoff = wide["attention"], wide["dropoff"]
    assert isinstance(attention, dict) and isinstance(dropoff, dict)
    assert attention["top"] < 300 and dropoff["top"] < 300  # side by side, near the top
    rows = wide["rows"]
    assert isinstance(rows, list) and len(rows) >= min(flagged, 20)
    assert sum(1 for bottom in rows if bottom <= 800) >= 5  # at-risk learners and their reasons, on screen
    rules = wide["rules"]
    assert isinstance(rules, dict) and rules["bottom"] <= 800  # the rules the flags name
    for part in ("flow", "stalls"):
        shown = wide[part]
        assert isinstance(shown, dict) and shown["bottom"] <= 800, part  # the drop-off chart and where it stalls

    narrow = measured(browser, page, 400, tmp_path)
    assert narrow["scrollWidth"] == 400  # the page never scrolls sideways; tables scroll in their own box
    assert isinstance(narrow["flagFont"], float | int) and narrow["flagFont"] >= 12
    attention = narrow["attention"]
    assert isinstance(attention, dict) and attention["right"] <= 400 and attention["top"] < 400

    assert pdf_pages(browser, page, tmp_path, "--hide-scrollbars") <= 4
    full = tmp_path / "out" / "full.html"
    assert run("cohort", "report", str(data), "--full", "-o", str(full), env={"AIPM_NOW": NOW}).exit_code == 0
    assert pdf_pages(browser, full, tmp_path, "--hide-scrollbars") > 4  # --full prints every list whole
