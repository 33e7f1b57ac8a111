"""`aipm cohort nudge`'s drafts as text (one after another) or JSON; nothing is ever sent."""

from __future__ import annotations

import json
from datetime import date

from aipm_cli.cohort.nudge import Nudge

NUDGE_FORMATS = ("text", "json")


def render(drafts: list[Nudge], as_of: date, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {"format": "aipm-cohort-nudges", "as_of": as_of.isoformat(), "sent": False,
             "drafts": [vars(d) for d in drafts]},
            indent=2, ensure_ascii=False,
        ) + "\n"  # fmt: skip
    blocks = []
    for d in drafts:
        to = f"To: {d.name} <{d.address}>" if d.address else f"To: {d.name} (no address shared in an export)"
        block = f"{to}\nSubject: {d.subject}\n\n{d.body}\n"
        if d.mailto:
            block += f"\n{d.mailto}\n"
        blocks.append(block)
    return ("\n" + "-" * 72 + "\n\n").join(blocks)
