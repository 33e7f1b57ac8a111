"""Nudges: drafts for the instructor to send (aipm never sends anything)."""

from __future__ import annotations

from dataclasses import dataclass

from aipm_cli.cohort.model import CohortSummary


@dataclass
class Nudge:
    name: str
    address: str | None  # shared by the learner in their export; None: none shared
    subject: str
    body: str
    mailto: str | None  # a mailto: link with the draft, when there is an address


def nudges(s: CohortSummary) -> list[Nudge]:
    """One short draft per learner needing attention, saying what the report saw (most flags first)."""
    from urllib.parse import quote

    title = s.roadmap["title"]
    out = []
    for learner in s.attention:
        subject = f"Checking in on your {title} roadmap"
        seen = [f"- {f.seen}" for f in learner.flags]
        body = "\n".join(
            [
                f"Hi {learner.name},",
                "",
                f"I looked at how the cohort stands on {title} as of {s.as_of.isoformat()}, and wanted to check in."
                f" You are at {learner.percent:.1f}% done. What I saw:",
                *seen,
                "",
                "Is something in the way? Reply and tell me how I can help, even if it is just to adjust the plan.",
            ]
        )
        mailto = None
        if learner.contact:
            mailto = f"mailto:{learner.contact}?subject={quote(subject)}&body={quote(body)}"
        out.append(Nudge(learner.name, learner.contact, subject, body, mailto))
    return out
