"""The command table shell completion reads, made from the CLI's own commands.

Completion answers before Typer is imported (it must be quick), so it reads a
table written into `aipm_cli/command_table.py`: every command, its
subcommands, the first line of each one's help, and the options that take a
value. This module makes that table from the Typer app; tests/test_completion.py
checks that the file holds exactly what it makes (regenerate with
`python -m aipm_cli.cli.table > src/aipm_cli/command_table.py`).
"""

from __future__ import annotations

import pprint
from typing import Any


def _summary(command: Any) -> str:
    text = (command.help or command.short_help or "").strip().split("\n")[0].strip()
    if len(text) > 1 and not text[1].isupper():  # "A dated plan" -> "a dated plan"; "JSON ..." stays
        text = text[0].lower() + text[1:]
    return text.rstrip(".")


def _arguments(command: Any) -> list[str]:
    """A command's positional arguments by metavar ('ITEM', '[RATING]', 'ITEM...'), in order."""
    out = []
    for param in getattr(command, "params", []):
        if param.param_type_name == "argument":
            name = (param.metavar or param.name.upper()).strip("[]")
            out.append(name + ("..." if param.nargs == -1 and not name.endswith("...") else ""))
    return out


def choices() -> dict[str, list[list[str]]]:
    """The values an argument's metavar stands for, when they are a fixed few: [value, description]."""
    from aipm_cli.review import RATINGS
    from aipm_cli.roadmap.vocabulary import LEVELS

    return {
        "RATING": [[word, f"{number} of 4"] for word, number in RATINGS.items()],
        "LEVEL": [[str(number), name] for number, (name, _text) in LEVELS.items()],
    }


def table() -> dict[str, Any]:
    """{commands: {name: summary}, subcommands: {group: {name: summary}}, valued: [[command, option]],
    arguments: {'command' or 'command sub': [metavar, ...]}, choices: {metavar: [[value, description]]},
    formats: {command: [format]}} (the formats from the one format registry, render/formats.py)."""
    from typer.main import get_command

    from aipm_cli.cli import make_app

    group: Any = get_command(make_app())
    commands: dict[str, str] = {}
    subcommands: dict[str, dict[str, str]] = {}
    valued: set[tuple[str, str]] = set()
    arguments: dict[str, list[str]] = {}
    for name, command in group.commands.items():
        if getattr(command, "hidden", False):
            continue
        commands[name] = _summary(command)
        inner = getattr(command, "commands", None)
        targets = [command]
        if _arguments(command):
            arguments[name] = _arguments(command)
        if inner:
            subcommands[name] = {sub: _summary(c) for sub, c in inner.items() if not getattr(c, "hidden", False)}
            targets += list(inner.values())
            for sub, c in inner.items():
                if _arguments(c) and not getattr(c, "hidden", False):
                    arguments[f"{name} {sub}"] = _arguments(c)
        for target in targets:
            for param in getattr(target, "params", []):
                if param.param_type_name == "option" and not param.is_flag and not getattr(param, "count", False):
                    for opt in (*param.opts, *param.secondary_opts):
                        valued.add((name, opt))
    from aipm_cli.render.formats import names

    formats = {"export": names("export"), "cohort": names("cohort")}
    return {"commands": commands, "subcommands": subcommands, "valued": sorted(valued), "arguments": arguments,
            "choices": choices(), "formats": formats}  # fmt: skip


def source() -> str:
    """The text of aipm_cli/command_table.py."""
    made = table()
    return (
        '"""Made by `python -m aipm_cli.cli.table` from the CLI\'s own commands: do not edit by hand."""\n\n'
        f"COMMANDS = {pprint.pformat(made['commands'], width=110, sort_dicts=False)}\n"
        f"SUBCOMMANDS = {pprint.pformat(made['subcommands'], width=110, sort_dicts=False)}\n"
        f"VALUED = {pprint.pformat({tuple(v) for v in made['valued']}, width=110)}\n"
        f"ARGUMENTS = {pprint.pformat(made['arguments'], width=110, sort_dicts=False)}\n"
        f"CHOICES = {pprint.pformat(made['choices'], width=110, sort_dicts=False)}\n"
        f"FORMATS = {pprint.pformat(made['formats'], width=110, sort_dicts=False)}\n"
    )


if __name__ == "__main__":
    import sys

    sys.stdout.write(source())
