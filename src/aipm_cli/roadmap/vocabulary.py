"""The roadmap's and the store's fixed vocabulary.

Kept free of imports so the fast paths (`--help`, cached views) can use it
without building any pydantic model.
"""

KINDS = ("course", "resource", "topic", "exercise", "project", "certification", "community", "practice")
STATUSES = ("not_started", "in_progress", "done", "skipped")

# Self-rating levels for skills.

LEVELS: dict[int, tuple[str, str]] = {
    1: ("Aware", "I know what it is and why it matters"),
    2: ("Beginner", "I can do it with guidance"),
    3: ("Practitioner", "I do it on my own in everyday work"),
    4: ("Advanced", "I handle hard cases and guide others"),
    5: ("Expert", "I set direction and teach it"),
}
LEVEL_HELP = "; ".join(f"{n} {name}: {text}" for n, (name, text) in LEVELS.items())
