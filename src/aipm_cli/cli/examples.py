"""Every command's help ends with real examples; usage lines show words (ITEM), not Typer's {ITEM}.

The examples live here, one place for all commands, and are put on the
commands when the app is put together (`apply`). A test walks every command
and checks that its help ends with them.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

EXAMPLES: dict[tuple[str, ...], list[str]] = {
    (): ["aipm status", "aipm done ai-for-everyone --on yesterday", "aipm --user sam next"],
    ("status",): ["aipm status", "aipm status --json"],
    ("list",): ["aipm list --phase phase-1", "aipm list --status in_progress", "aipm list --kind project --json"],
    ("show",): ["aipm show ai-for-everyone", "aipm show core-product-management --json"],
    ("next",): ["aipm next", "aipm next -n 10 --json"],
    ("log",): ["aipm log", "aipm log --since 2026-10-01 --limit 20", "aipm log --json"],
    ("start",): ["aipm start ai-for-everyone", "aipm start core-product-management --on 2026-10-01"],
    ("done",): [
        "aipm done ai-for-everyone -e https://coursera.org/verify/ABC123",
        "aipm done ai-for-everyone --on 2026-10-01   # on a done item: a new date",
        "aipm done agile-certification --credential PSPO-123 --expires 2028-10-01",
    ],
    ("skip",): ["aipm skip pmp-certification --reason 'not needed for my role'"],
    ("reset",): ["aipm reset ai-for-everyone"],
    ("undo",): ["aipm undo", "aipm undo && aipm undo   # two changes back"],
    ("redo",): ["aipm redo"],
    ("note",): [
        "aipm note ai-for-everyone 'week 2: loved the quiz'",
        "aipm note core-product-management 'pair with the design module'",
        "aipm note ai-for-everyone --remove 1",
    ],
    ("evidence",): ["aipm evidence ai-for-everyone --remove 2"],
    ("skills",): ["aipm skills", "aipm skills --full"],
    ("assess",): ["aipm assess ethics 3", "aipm assess product-management 4 --note 'after the strategy course'"],
    ("plan",): ["aipm plan", "aipm plan --hours-per-week 6 --start 2026-12-01", "aipm plan --ics study.ics"],
    ("export",): ["aipm export -o report.md", "aipm export --format html -o report.html", "aipm export --format json"],
    ("import",): ["aipm import backup.json", "aipm import laptop.json --merge"],
    ("config",): ["aipm config", "aipm config hours_per_week 6", "aipm config roadmap --unset"],
    ("doctor",): ["aipm doctor", "aipm doctor --rebuild", "aipm doctor --forget-orphans"],
    ("backups",): ["aipm backups", "aipm backups --json"],
    ("restore",): ["aipm restore learner-sam-20261124T100000"],
    ("roadmap",): ["aipm roadmap list", "aipm roadmap use data-engineering"],
    ("roadmap", "list"): ["aipm roadmap list", "aipm roadmap list --json"],
    ("roadmap", "show"): ["aipm roadmap show", "aipm roadmap show data-engineering --json"],
    ("roadmap", "use"): ["aipm roadmap use data-engineering", "aipm roadmap use ~/plans/data-eng.yaml"],
    ("roadmap", "validate"): ["aipm roadmap validate my-plan.yaml"],
    ("roadmap", "schema"): ["aipm roadmap schema > roadmap.schema.json"],
    ("study",): ["aipm study", "aipm study --json"],
    ("study", "start"): ["aipm study start ai-for-everyone"],
    ("study", "stop"): ["aipm study stop", "aipm study stop --spent 45m"],
    ("study", "add"): ["aipm study add ai-for-everyone 1h30m", "aipm study add ai-for-everyone 45m --on yesterday"],
    ("study", "import"): [
        "aipm study import timew.json   # from `timew export > timew.json`",
        "aipm study import ~/.config/watson/frames",
    ],
    ("review",): ["aipm review", "aipm review ai-for-everyone good", "aipm review --off"],
    ("today",): ["aipm today", "aipm today --json"],
    ("users",): ["aipm users", "aipm users rename sam samira", "aipm users remove sam"],
    ("users", "rename"): ["aipm users rename sam samira"],
    ("users", "remove"): ["aipm users remove sam", "aipm restore learner-sam-20261124T100000"],
    ("cohort",): ["aipm cohort report exports/"],
    ("cohort", "report"): [
        "aipm cohort report exports/",
        "aipm cohort report exports/ --filter at-risk --sort percent",
        "aipm cohort report --lrs https://lrs.example.edu/xAPI/ -o cohort.html",
    ],
    ("cohort", "pull"): [
        "aipm cohort pull https://git.example.org/ada/aipm.git",
        "aipm cohort pull --list",
    ],
    ("cohort", "nudge"): [
        "aipm cohort nudge exports/",
        "aipm cohort nudge exports/ --format json -o drafts.json",
    ],
    ("sync",): ["aipm sync", "aipm sync --status"],
    ("lrs",): ["aipm lrs push", "aipm lrs status", "aipm lrs pull --endpoint https://lrs.example.edu/xAPI/"],
    ("lrs", "login"): [
        "aipm lrs login",
        "aipm lrs login --endpoint https://lrs.example.edu/xAPI/ --username ada",
        "aipm lrs login --username ada < lrs-secret.txt",
    ],
    ("lrs", "logout"): ["aipm lrs logout", "aipm lrs logout --endpoint https://lrs.example.edu/xAPI/"],
    ("lrs", "pull"): ["aipm lrs pull", "aipm lrs pull --endpoint https://lrs.example.edu/xAPI/ --again"],
    ("lrs", "push"): ["aipm lrs push", "aipm lrs push --endpoint https://lrs.example.edu/xAPI/"],
    ("lrs", "status"): ["aipm lrs status", "aipm lrs status --json"],
    ("tui",): ["aipm tui", "aipm tui --user sam"],
    ("completion",): [
        'aipm completion bash   # then: eval "$(aipm completion bash)" in ~/.bashrc',
        "aipm completion fish > ~/.config/fish/completions/aipm.fish",
    ],
    ("sync", "init"): ["aipm sync init git@github.com:me/aipm-data.git", "aipm sync init"],
}


def epilog(path: tuple[str, ...]) -> str:
    """The help's closing paragraph: the examples, kept as written (\\b stops the rewrapping)."""
    lines = EXAMPLES[path]
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def _usage_words(pieces: list[str]) -> list[str]:
    # Typer writes a required argument as {ITEM}; a word reads better, and [ITEM] already marks optional ones.
    return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


class AipmCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage_words(super().collect_usage_pieces(ctx))


class AipmSubGroup(TyperGroup):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage_words(super().collect_usage_pieces(ctx))


def apply(app: Any, path: tuple[str, ...] = ()) -> None:
    """Put the examples and the command class on every command registered on a Typer app, recursively."""
    from typer.models import DefaultPlaceholder

    if path in EXAMPLES:
        app.info.epilog = epilog(path)
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-").rstrip("-")
        info.epilog = epilog((*path, name))
        if info.cls is None or info.cls is TyperCommand or isinstance(info.cls, DefaultPlaceholder):
            info.cls = AipmCommand
    for group in app.registered_groups:
        sub = group.typer_instance
        name = group.name or sub.info.name
        if sub.info.cls is None or sub.info.cls is TyperGroup or isinstance(sub.info.cls, DefaultPlaceholder):
            sub.info.cls = AipmSubGroup
        group.epilog = epilog((*path, name))
        apply(sub, (*path, name))
