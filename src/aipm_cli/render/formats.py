"""The one registry of report formats: name, file extensions, aliases, and the renderer of each report.

`aipm export` and `aipm cohort report` both choose their format here (from
--format as typed, else the -o file's extension, else their default), their
--format help lists the formats from here, and shell completion offers them
from here (through the generated command_table.py). A renderer is a module
whose `render(...) -> str` writes the report, imported only when used.
"""

from __future__ import annotations

from pathlib import Path

from aipm_cli.errors import UsageError
from aipm_cli.plainclass import plain


@plain(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]  # the -o file endings that choose it
    aliases: tuple[str, ...]  # other spellings --format accepts
    export: str | None  # the module rendering `aipm export` in it (None: not an export format)
    cohort: str | None  # the module rendering `aipm cohort report` in it (None: not a cohort format)


FORMATS: tuple[Format, ...] = (
    Format("text", (), ("txt", "terminal"), None, "aipm_cli.render.cohort_terminal"),
    Format("md", (".md", ".markdown"), ("markdown",), "aipm_cli.render.markdown", "aipm_cli.render.cohort_markdown"),
    Format("html", (".html", ".htm"), ("htm",), "aipm_cli.render.html", "aipm_cli.render.cohort_html"),
    Format("json", (".json",), (), "aipm_cli.render.json_export", "aipm_cli.render.cohort_json"),
    Format("csv", (".csv",), (), "aipm_cli.render.csv_export", "aipm_cli.render.cohort_csv"),
    # xAPI statements, one a line: written by the export itself (streamed), from aipm_cli.xapi.statements
    Format("xapi", (".jsonl",), (), "aipm_cli.xapi.statements", None),
)
DEFAULTS = {"export": "md", "cohort": "text"}  # when neither --format nor a known -o extension says
WHAT = {"export": "report", "cohort": "cohort report"}


def formats(kind: str) -> list[Format]:
    """The formats of one report ("export" or "cohort"), in the order help lists them."""
    return [f for f in FORMATS if getattr(f, kind) is not None]


def names(kind: str) -> list[str]:
    return [f.name for f in formats(kind)]


def listed(kind: str) -> str:
    """The formats in words, for help text: 'md, html, json, csv or xapi'."""
    found = names(kind)
    return ", ".join(found[:-1]) + f" or {found[-1]}"


def extensions(kind: str) -> dict[str, str]:
    """File ending -> format, for one report."""
    return {ext: f.name for f in formats(kind) for ext in f.extensions}


def choose(kind: str, fmt: str | None, output: Path | None) -> str:
    """The format a report is written in: --format as typed (any case, a leading dot, an alias),
    else the -o file's extension, else the report's default. A format this report does not have
    is a UsageError naming the ones it has."""
    if fmt is None:
        return extensions(kind).get(output.suffix.lower(), DEFAULTS[kind]) if output is not None else DEFAULTS[kind]
    typed = fmt.strip().lower().lstrip(".")
    for f in formats(kind):
        if typed == f.name or typed in f.aliases:
            return f.name
    raise UsageError(f"'{typed}' is not a {WHAT[kind]} format; use one of: {', '.join(names(kind))}.", "--format")


def renderer(kind: str, name: str) -> str:
    """The module that renders this report in this format."""
    module: str | None = next(getattr(f, kind) for f in FORMATS if f.name == name)
    if module is None:
        raise KeyError(name)
    return module
