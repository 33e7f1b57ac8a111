"""Standalone HTML report: inline CSS and SVG charts, no network, no JavaScript.

Built from a Jinja2 template with autoescaping: every string from the learner
or a roadmap file is escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from aipm_cli.render.links import http_url
from aipm_cli.render.safe import clean

if TYPE_CHECKING:
    from aipm_cli.report import Report

TEMPLATES = Path(__file__).parent / "templates"
STATUS_WORD = {"done": "done", "in_progress": "in progress", "skipped": "skipped", "not_started": "not started"}


def _donut(percent: float, radius: float = 52) -> dict[str, float]:
    circumference = 2 * math.pi * radius
    return {"r": radius, "c": round(circumference, 2), "done": round(circumference * percent / 100, 2)}


def _activity(report: Report) -> dict[str, Any]:
    """Weekly bars from the learner's first active week (at most 26), labelled and valued."""
    data = report.weekly_activity()
    width, height, top, bottom = 600, 156, 26, 24  # room for values above, week labels below
    if not data:
        return {"bars": [], "width": width, "height": height, "first": "", "last": "", "total": 0, "weeks": 0}
    peak = max(n for _, n in data) or 1
    gap = 4 if len(data) > 12 else 10
    bar = min(60.0, (width - gap * (len(data) - 1)) / len(data))
    plot = height - top - bottom
    # Label every week when there is room, else about eight of them (always the last).
    step = max(1, math.ceil(len(data) / 8))
    bars = []
    for i, (week, count) in enumerate(data):
        h = 0 if count == 0 else max(3, round(count / peak * plot, 1))
        x = round(i * (bar + gap), 1)
        labelled = (len(data) - 1 - i) % step == 0
        # The labels at the ends line up with the chart's edges, so none is cut off.
        anchor, lx = "middle", x + bar / 2
        if i == 0:
            anchor, lx = "start", x
        elif i == len(data) - 1:
            anchor, lx = "end", x + bar
        bars.append({"x": x, "y": round(top + plot - h, 1), "w": round(bar, 1), "h": h, "cx": round(x + bar / 2, 1),
                     "week": week.isoformat(), "label": f"{week.day} {week:%b}" if labelled else "",
                     "anchor": anchor, "lx": round(lx, 1), "count": count})  # fmt: skip
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "base": top + plot,
        "first": data[0][0].isoformat(),
        "last": data[-1][0].isoformat(),
        "total": sum(n for _, n in data),
        "weeks": len(data),
        "active": sum(1 for _, n in data if n),
    }


def url_text(url: str) -> Markup:
    """A URL to show: without its scheme, breakable after / ? & = (not in the middle of a word)."""
    bare = clean(url.split("://", 1)[-1].rstrip("/"))
    parts = re.split(r"(?<=[/?&=#._-])", bare)
    return Markup("<wbr>").join(escape(p) for p in parts)


def _status_date(row: Any) -> str:
    """The date that goes with a row's status: completed, started or skipped on."""
    day = {"done": row.completed_on, "in_progress": row.started_on, "skipped": row.skipped_on}.get(row.status)
    return day.isoformat() if day else ""


def _study(report: Report) -> dict[str, Any]:
    """Study time per phase as horizontal bars (empty when no time was logged)."""
    from aipm_cli.study import spent_text

    block = report.summary.study
    if not block.get("total_minutes"):
        return {}
    most = max(block["phases"].values(), default=0) or 1
    bars = [
        {"id": p.id, "title": p.title, "minutes": block["phases"][p.id], "text": spent_text(block["phases"][p.id]),
         "width": round(block["phases"][p.id] / most * 200, 1)}
        for p in report.summary.phases
        if block["phases"].get(p.id)
    ]  # fmt: skip
    return {"total": spent_text(block["total_minutes"]), "sessions": block["sessions"], "bars": bars}


def _heat(report: Report) -> dict[str, Any]:
    """The heatmap: a column per week, a square per day; darker for more study time, a light square for a
    day with changes but no time logged."""
    if not report.heatmap or not any(d["minutes"] or d["changes"] for d in report.heatmap):
        return {}
    size, gap = 11, 3
    peak = max(d["minutes"] for d in report.heatmap) or 1
    cells = []
    for number, day in enumerate(report.heatmap):
        minutes = day["minutes"]
        if minutes:
            fill = ("#c5d0f5", "#8da2ec", "#5774df", "#3b5bdb")[min(3, int(minutes / peak * 4))]
        else:
            fill = "#dfeee6" if day["changes"] else "#eef0f3"
        what = f"{minutes} min" if minutes else "no time logged"
        if day["changes"]:
            what += f", {day['changes']} change{'' if day['changes'] == 1 else 's'}"
        cells.append({"x": number // 7 * (size + gap), "y": number % 7 * (size + gap), "fill": fill,
                      "title": f"{day['day']}: {what}"})  # fmt: skip
    weeks = (len(report.heatmap) + 6) // 7
    return {
        "cells": cells,
        "size": size,
        "width": weeks * (size + gap),
        "height": 7 * (size + gap),
        "first": report.heatmap[0]["day"],
        "last": report.heatmap[-1]["day"],
        "days": sum(1 for d in report.heatmap if d["minutes"] or d["changes"]),
    }


def context(report: Report) -> dict[str, Any]:
    from aipm_cli.estimate import report_sentence

    s = report.summary
    forecast = report_sentence(s.forecast)
    phases = []
    for p in report.roadmap.phases:
        ids = {i.id for m in p.modules for i in m.items}
        summary = next(x for x in s.phases if x.id == p.id)
        phases.append({"summary": summary, "rows": [r for r in report.rows if r.id in ids]})
    certs = {c.id for c in s.certifications}
    return {
        "r": report,
        "s": s,
        "who": report.who,
        "donut": _donut(s.percent),
        "activity": _activity(report),
        "study": _study(report),
        "heat": _heat(report),
        "forecast": forecast,
        "phases": phases,
        "word": STATUS_WORD,
        "rated": [k for k in report.skills if k.rating is not None],
        # Projects and certifications have their own sections.
        "completed": [r for r in report.completed if not r.deliverables and r.id not in certs],
        "status_date": _status_date,
        "untouched": lambda row: all(
            d["status"] == "not_started" and not report.evidence_entries(d["id"]) and not report.note_entries(d["id"])
            for d in row.deliverables
        ),
        "item_url": lambda item_id: (
            http_url(report.roadmap.index.items[item_id].item.url) if item_id in report.roadmap.index.items else None
        ),
    }


def shown(value: Any) -> Any:
    """What a template prints for a value: text follows render.safe's rule before it is escaped.

    A bidi override in a title would reorder the words around it in the browser
    (and a control character in a report printed to a terminal would act there):
    both are shown as visible escapes (`\\u202e`), as in the terminal, rather than
    isolated with <bdi>, so a reader sees that the text holds one. What the
    templates build themselves (Markup: macros, url_text) is left as built.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean(value)
    return value


def environment() -> Any:
    """The templates' Jinja environment: everything escaped, control and bidi characters shown
    escaped (render.safe), an unknown name an error."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=shown,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(report: Report) -> str:
    env = environment()
    env.filters["http_url"] = http_url
    env.filters["url_text"] = url_text
    page: str = env.get_template("report.html.j2").render(**context(report))
    return page
