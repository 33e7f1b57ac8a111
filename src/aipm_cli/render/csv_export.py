"""CSV: one row per item and per project deliverable (RFC 4180, UTF-8, header row).

A spreadsheet evaluates a cell that starts with `=`, `+`, `-` or `@` (and
some also after a tab or carriage return) as a formula, so `=HYPERLINK(...)`
in a note would run. Every such cell is written with a leading `'`, which
spreadsheets show as text (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.report import Report

COLUMNS = [
    "id",
    "title",
    "kind",
    "phase",
    "module",
    "project",
    "status",
    "started",
    "completed",
    "skipped",
    "notes",
    "evidence",
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell that no spreadsheet reads as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(report: Report) -> str:
    from aipm_cli.tracker import record

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)

    def write(row: list[object]) -> None:
        writer.writerow([cell(value) for value in row])

    def day(value: object) -> str:
        return value.isoformat() if value else ""  # type: ignore[attr-defined]

    for r in report.rows:
        rec = record(report.progress, r.id)
        write(
            [r.id, r.title, r.kind, r.phase, r.module, "", r.status, day(rec.started_on), day(r.completed_on),
             day(rec.skipped_on), "\n".join(report.notes(r.id)), "\n".join(report.evidence(r.id))]
        )  # fmt: skip
        for d in r.deliverables or []:
            drec = record(report.progress, d["id"])
            write(
                [d["id"], d["title"], "deliverable", r.phase, r.module, r.id, d["status"], day(drec.started_on),
                 day(drec.completed_on), day(drec.skipped_on), "\n".join(report.notes(d["id"])),
                 "\n".join(report.evidence(d["id"]))]
            )  # fmt: skip
    return out.getvalue()
