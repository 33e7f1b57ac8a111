"""The `aipm` command line: which command runs, and how.

The Typer app is in cli/typer_app.py; the usual read command lines run without it
(cli/direct.py). `from aipm_cli.cli import app` gets the whole Typer app.
"""

import sys
from typing import Any

# Which module registers each command. `aipm` builds only the command it runs
# (Typer inspects every registered command's parameters on each run);
# `--help` and anything unknown get them all.
MODULES = (
    "views", "track", "learning", "reports", "roadmaps", "admin", "cohort", "sync", "lrs", "shellcomp", "tui", "study",
)  # fmt: skip
COMMANDS = {
    **dict.fromkeys(("status", "list", "show", "next", "log"), "views"),
    **dict.fromkeys(("start", "done", "skip", "reset", "undo", "redo", "note", "evidence"), "track"),
    **dict.fromkeys(("skills", "assess", "plan"), "learning"),
    **dict.fromkeys(("export", "import"), "reports"),
    "roadmap": "roadmaps",
    **dict.fromkeys(("config", "users", "doctor", "backups", "restore"), "admin"),
    "cohort": "cohort",
    "sync": "sync",
    "lrs": "lrs",
    "completion": "shellcomp",
    "tui": "tui",
    **dict.fromkeys(("study", "review", "today"), "study"),
}
# The global options that take a value, and the parameter each sets.
GLOBAL_WITH_VALUE = {"--user": "user", "-u": "user", "--roadmap": "roadmap", "-r": "roadmap"}
_OWN_OPTIONS = {"import": ("--user", "-u"), "cohort": ("--roadmap", "-r")}


def command_name(args: list[str]) -> str | None:
    """The command an argument list runs (None for help, version or nothing)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in GLOBAL_WITH_VALUE:
            skip = True
            continue
        if arg.startswith("-"):
            if arg in ("-h", "--help", "--version"):
                return None
            continue
        return arg
    return None


def __getattr__(name: str) -> Any:
    # `from aipm_cli.cli import app` (tests, completion, other tools) gets every command;
    # `main()` builds only the one it runs, so running aipm never pays for the others.
    if name == "app":
        from aipm_cli.cli.typer_app import make_app

        built = make_app()
        globals()["app"] = built
        return built
    if name == "make_app":
        from aipm_cli.cli.typer_app import make_app

        return make_app
    raise AttributeError(name)


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options given after the command in front of it: `aipm status --user sam`
    works like `aipm --user sam status`. A command's own option of that name stays (`import --user`,
    `cohort report --roadmap`); nothing after `--` moves."""
    command = command_name(args)
    if command is None:
        return args
    at = args.index(command)
    front, rest, moved = args[:at], [], []
    own = _OWN_OPTIONS.get(command, ())
    tail = args[at:]
    position = 0
    while position < len(tail):
        arg = tail[position]
        if arg == "--":
            rest += tail[position:]
            break
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in own:
            rest.append(arg)
        elif name in GLOBAL_WITH_VALUE and position > 0:
            if "=" in arg:
                moved.append(arg)
            elif position + 1 < len(tail):
                moved += [arg, tail[position + 1]]
                position += 1
            else:
                rest.append(arg)
        elif arg == "--debug" and position > 0:
            moved.append(arg)
        else:
            rest.append(arg)
        position += 1
    return front + moved + rest


def main() -> None:
    try:
        run(sys.argv[1:])
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)


def run(argv: list[str], direct: bool = True) -> None:
    """Run one command line (exits like a command: SystemExit with the exit code).

    The usual read command lines (`aipm status`, `aipm list --status done`...)
    run without the CLI framework (cli/direct.py); everything else, help and
    usage errors included, goes through Typer.
    """
    import os

    for stream in (sys.stdout, sys.stderr):
        # A console or pipe that cannot take UTF-8 (a Windows code page, PYTHONIOENCODING=ascii, a C
        # locale): what it cannot show is written as plain ASCII rather than fail on the first mark.
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
        if encoding not in ("utf-8", "utf8"):
            from aipm_cli.render.ascii_fallback import install

            install(stream)
    # aipm uses no pydantic plugins; looking for them scans every installed
    # package's entry points on the first model build (about 20 ms).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = hoist_global_options(argv)
    from aipm_cli.cli import boundary

    boundary.given = list(args)  # what no error may echo whole
    if direct:
        from aipm_cli.cli.direct import run_read

        code = run_read(args)
        if code is not None:
            sys.exit(code)
    from aipm_cli.cli.typer_app import make_app

    make_app(command_name(args))(args=args, prog_name="aipm")
