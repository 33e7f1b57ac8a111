"""CSV: one row per item and per project deliverable (RFC 4180, UTF-8, header row).

A spreadsheet evaluates a cell that starts with `=`, `+`, `-` or `@` (and
some also after a tab or carriage return) as a formula, so `=HYPERLINK(...)`
in a note would run. Every such cell is written with a leading `'`, which
spreadsheets show as text (OWASP's advice on CSV injection).
Then one row per module or phase that carries notes or evidence (kind `module`
or `phase`), per rated skill (kind `skill`, its latest `rating`), and per
record kept for an id the roadmap no longer has (kind `orphan`). `notes_on`
and `evidence_on` hold the date each note or evidence entry is for, one a line,
in the order of `notes` and `evidence`.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.record.state import ItemState, Note
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
    "skip_reason",
    "credential",
    "expires",
    "notes_on",
    "evidence_on",
    "rating",
    "minutes_studied",
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell that no spreadsheet reads as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(report: Report) -> str:
    from aipm_cli.unit_status import record

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)

    def write(row: list[object]) -> None:
        writer.writerow([cell(value) for value in row])

    def day(value: object) -> str:
        return value.isoformat() if value else ""  # type: ignore[attr-defined]

    studied = report.progress.study.minutes

    def extra(rec: ItemState, rating: object = "", unit: str = "") -> list[object]:
        return [rec.skip_reason or "", rec.credential or "", day(rec.expires_on),
                "\n".join(n.on.isoformat() for n in rec.notes), "\n".join(e.on.isoformat() for e in rec.evidence),
                rating, studied.get(unit, "")]  # fmt: skip

    def texts(entries: list[Note]) -> str:
        return "\n".join(e.text for e in entries)

    for r in report.rows:
        rec = record(report.progress, r.id)
        write(
            [r.id, r.title, r.kind, r.phase, r.module, "", r.status, day(rec.started_on), day(r.completed_on),
             day(rec.skipped_on), "\n".join(report.notes(r.id)), "\n".join(report.evidence(r.id)),
             *extra(rec, unit=r.id)]
        )  # fmt: skip
        for d in r.deliverables or []:
            drec = record(report.progress, d["id"])
            write(
                [d["id"], d["title"], "deliverable", r.phase, r.module, r.id, d["status"], day(drec.started_on),
                 day(drec.completed_on), day(drec.skipped_on), "\n".join(report.notes(d["id"])),
                 "\n".join(report.evidence(d["id"])), *extra(drec, unit=d["id"])]
            )  # fmt: skip
    for g in report.group_notes:
        grec = record(report.progress, g.id)
        module = g.id if g.kind == "module" else ""
        write([g.id, g.title, g.kind, g.phase, module, "", "", "", "", "", texts(g.notes), texts(g.evidence),
                         *extra(grec)])  # fmt: skip
    for k in report.skills:
        if k.rating is None:
            continue
        ratings = report.progress.skills.get(k.id, [])
        notes = [r for r in ratings if r.note]
        write([k.id, k.title, "skill", "", "", "", "rated", day(ratings[0].on), day(k.rated_on), "",
                         "\n".join(f"{r.level}: {r.note}" for r in notes), "", "", "", "",
                         "\n".join(r.on.isoformat() for r in notes), "", k.rating, ""])  # fmt: skip
    for oid, orec in report.orphans:
        write([oid, "", "orphan", "", "", "", orec.status, day(orec.started_on), day(orec.completed_on),
                         day(orec.skipped_on), texts(orec.notes), texts(orec.evidence), *extra(orec)])  # fmt: skip
    return out.getvalue()
