"""Standalone HTML report: inline CSS and SVG charts, no network, no JavaScript.

Built from a Jinja2 template with autoescaping: every string from the learner
or a roadmap file is escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.render.links import http_url

if TYPE_CHECKING:
    from aipm_cli.report import Report

TEMPLATES = Path(__file__).parent / "templates"
STATUS_WORD = {"done": "done", "in_progress": "in progress", "skipped": "skipped", "not_started": "not started"}


def _donut(percent: float, radius: float = 52) -> dict[str, float]:
    circumference = 2 * math.pi * radius
    return {"r": radius, "c": round(circumference, 2), "done": round(circumference * percent / 100, 2)}


def _activity(report: Report, weeks: int = 26) -> dict[str, Any]:
    data = report.weekly_activity(weeks)
    peak = max((n for _, n in data), default=0) or 1
    width, height, gap = 600, 120, 4
    bar = (width - gap * (len(data) - 1)) / len(data)
    bars = []
    for i, (week, count) in enumerate(data):
        h = 0 if count == 0 else max(3, round(count / peak * (height - 20), 1))
        bars.append({"x": round(i * (bar + gap), 1), "y": round(height - h, 1), "w": round(bar, 1), "h": h,
                     "week": week.isoformat(), "count": count})  # fmt: skip
    first = data[0][0].isoformat() if data else ""
    last = data[-1][0].isoformat() if data else ""
    return {"bars": bars, "width": width, "height": height, "peak": peak, "first": first, "last": last}


def context(report: Report) -> dict[str, Any]:
    from aipm_cli.render.terminal import month_range

    s = report.summary
    forecast = None
    if s.forecast.finish:
        forecast = f"At {s.forecast.hours_per_week:g} h a week: done {month_range(*s.forecast.finish)}."
        if s.forecast.pace_finish:
            pace = f"{s.forecast.pace_hours_per_week:g} h a week"
            forecast += f" At the pace so far ({pace}): {month_range(*s.forecast.pace_finish)}."
    phases = []
    for p in report.roadmap.phases:
        ids = {i.id for m in p.modules for i in m.items}
        summary = next(x for x in s.phases if x.id == p.id)
        phases.append({"summary": summary, "rows": [r for r in report.rows if r.id in ids]})
    return {
        "r": report,
        "s": s,
        "donut": _donut(s.percent),
        "activity": _activity(report),
        "forecast": forecast,
        "phases": phases,
        "word": STATUS_WORD,
        "rated": [k for k in report.skills if k.rating is not None],
    }


def render(report: Report) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["http_url"] = http_url
    return env.get_template("report.html.j2").render(**context(report))
