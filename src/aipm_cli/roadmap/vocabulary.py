"""The roadmap's and the store's fixed vocabulary.

Kept free of imports (but typing) so the fast paths (`--help`, cached views) can use it
without building any pydantic model. Every list of statuses and kinds in aipm comes from here.
"""

from typing import Literal, get_args

KINDS = ("course", "resource", "topic", "exercise", "project", "certification", "community", "practice")
Status = Literal["not_started", "in_progress", "done", "skipped"]
STATUSES: tuple[Status, ...] = get_args(Status)

# Self-rating levels for skills.

LEVELS: dict[int, tuple[str, str]] = {
    1: ("Aware", "I know what it is and why it matters"),
    2: ("Beginner", "I can do it with guidance"),
    3: ("Practitioner", "I do it on my own in everyday work"),
    4: ("Advanced", "I handle hard cases and guide others"),
    5: ("Expert", "I set direction and teach it"),
}
LEVEL_HELP = "; ".join(f"{n} {name}: {text}" for n, (name, text) in LEVELS.items())
