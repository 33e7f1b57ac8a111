"""Shell completion: what `aipm ... <Tab>` offers, answered before Typer or rich are imported.

The scripts `aipm completion bash|zsh|fish|powershell` prints call `aipm` itself with
`_AIPM_COMPLETE=<shell>` and `_AIPM_CWORD=<index of the word being completed>`
and the words of the line as arguments; aipm prints one candidate a line
(`value<TAB>description`). Ids come from the roadmap in use (a `--roadmap`
earlier on the line wins), read from the validated-roadmap cache, else
checked as `status` checks it (a roadmap `status` refuses, an alias bomb
say, offers nothing). Completion never writes anything, and prints nothing
when the data directory is empty or broken.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from aipm_cli import command_table
from aipm_cli.paths import Layout
from aipm_cli.roadmap.vocabulary import STATUSES

# Every command and subcommand, and the options that take a value: made from the CLI's own commands
# (aipm_cli/cli/table.py; a test holds the file to what it makes).
COMMANDS = command_table.COMMANDS
SUBCOMMANDS: dict[str, dict[str, str]] = {
    **command_table.SUBCOMMANDS,
    "completion": dict.fromkeys(("bash", "zsh", "fish", "powershell"), ""),  # the shells (an argument, not subcommands)
}
ITEM_COMMANDS = ("start", "done", "skip", "reset", "show", "note")
GLOBAL_VALUE = {"--user": "learner", "-u": "learner", "--roadmap": "roadmap", "-r": "roadmap"}

KINDS = ["course", "resource", "topic", "exercise", "project", "certification", "community", "practice"]
VALUES: dict[tuple[str, str | None], Any] = {
    ("export", "--format"): ["md", "html", "json", "csv"],
    ("export", "-f"): ["md", "html", "json", "csv"],
    ("cohort", "--format"): ["text", "md", "html", "csv", "json"],
    ("cohort", "-f"): ["text", "md", "html", "csv", "json"],
    ("cohort", "--by"): ["learner", "item"],
    ("list", "--status"): STATUSES,
    ("list", "-s"): STATUSES,
    ("list", "--kind"): KINDS,
    ("list", "-k"): KINDS,
    ("list", "--phase"): "phase",
    ("list", "-p"): "phase",
    ("list", "--module"): "module",
    ("list", "-m"): "module",
    ("config", None): ["hours_per_week", "roadmap", "user", "name", "headline", "links"],
}


def run() -> None:
    """Answer one completion request (called before anything heavy is imported)."""
    shell = os.environ.get("_AIPM_COMPLETE", "")
    try:
        words = sys.argv[1:]
        cword = int(os.environ.get("_AIPM_CWORD", len(words))) - 1
        found = candidates(words, cword)
    except Exception:  # completion must never print a traceback into someone's shell
        return
    out = sys.stdout
    for value, description in found:
        line = candidate_line(value, description, shell)
        if line is not None:
            out.write(line)


def candidate_line(value: str, description: str, shell: str) -> str | None:
    """The line a shell reads for one candidate, or None for a value no one could type.

    Values and descriptions come from roadmap files and folder names: the shell
    shows the description in the terminal, so it follows render.safe's rule
    (control and bidi characters shown escaped) on one line; a value holding
    such a character (or a line break, which would make two candidates) is left out.
    """
    from aipm_cli.render.safe import clean

    if clean(value) != value or "\n" in value or "\t" in value:
        return None
    if shell == "bash" or not description:
        return value + "\n"
    return f"{value}\t{' '.join(clean(description).split())[:80]}\n"


def candidates(words: list[str], cword: int) -> list[tuple[str, str]]:
    """What can stand at words[cword] (words exclude the program name)."""
    cword = max(0, min(cword, len(words)))
    current = words[cword] if cword < len(words) else ""
    before = words[:cword]
    roadmap_spec: str | None = None
    user_given = False
    command: str | None = None
    sub: str | None = None
    positional = 0
    skip_next = False
    for position, word in enumerate(before):
        if skip_next:
            skip_next = False
            continue
        following = before[position + 1] if position + 1 < len(before) else None
        if word in GLOBAL_VALUE and (command != "import" or word not in ("--user", "-u")):
            if GLOBAL_VALUE[word] == "roadmap" and following is not None:
                roadmap_spec = following
            user_given = user_given or GLOBAL_VALUE[word] == "learner"
            skip_next = True
            continue
        if word.startswith("-"):
            if command and ((command, word) in VALUES or _takes_value(command, word)):
                skip_next = True
            continue
        if command is None:
            command = word
        elif command in SUBCOMMANDS and sub is None:
            sub = word
        else:
            positional += 1
    del user_given
    previous = before[-1] if before else None
    home = _home()
    if not home.is_dir():  # no data directory yet, or a broken one: commands only, nothing from data
        if command is None and not current.startswith("-") and previous not in GLOBAL_VALUE:
            return _filter(list(COMMANDS.items()), current)
        return []
    # The value of an option.
    if previous in GLOBAL_VALUE and (command != "import" or previous not in ("--user", "-u")):
        kind = GLOBAL_VALUE[previous]
        return _filter(_learners(home) if kind == "learner" else _roadmaps(home), current)
    if previous == "--user" and command == "import":
        return _filter(_learners(home), current)
    if command and previous and previous.startswith("-"):
        values = VALUES.get((command, previous))
        if isinstance(values, list):
            return _filter([(v, "") for v in values], current)
        if values in ("phase", "module"):
            return _filter([(i, t) for i, t, k in _ids(home, roadmap_spec) if k == values], current)
        if _takes_value(command, previous):
            return []  # a date, a text, a file: nothing to offer
    if current.startswith("-"):
        return _filter(_options(command, sub), current)
    if command is None:
        return _filter(list(COMMANDS.items()), current)
    if command in SUBCOMMANDS and sub is None:
        return _filter(list(SUBCOMMANDS[command].items()), current)
    if command in ITEM_COMMANDS and (command in ("start", "done", "skip", "reset") or positional == 0):
        return _filter([(i, t) for i, t, _k in _ids(home, roadmap_spec)], current)
    if command == "assess" and positional == 0:
        return _filter(_skills(home, roadmap_spec), current)
    if command == "assess" and positional == 1:
        return _filter([("1", "Aware"), ("2", "Beginner"), ("3", "Practitioner"), ("4", "Advanced"),
                        ("5", "Expert")], current)  # fmt: skip
    if command == "roadmap" and sub in ("use", "show") and positional == 0:
        return _filter(_roadmaps(home), current)
    if command == "config" and positional == 0:
        return _filter([(v, "") for v in VALUES[("config", None)]], current)
    return []


def _takes_value(command: str, option: str) -> bool:
    return (command, option) in command_table.VALUED


def _filter(found: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    return [(v, d) for v, d in found if v.startswith(prefix)]


def _home() -> Path:
    from aipm_cli.paths import data_dir

    return data_dir()


def _learners(home: Path) -> list[tuple[str, str]]:
    try:
        return sorted((e.name, "learner") for e in Layout(home).learners.iterdir() if e.is_dir())
    except OSError:
        return []


def _roadmaps(home: Path) -> list[tuple[str, str]]:
    from aipm_cli.roadmap.finding import available

    return [(ref.id, ref.origin) for ref in available(Layout(home).roadmaps)]


def _roadmap_document(home: Path, spec: str | None) -> dict[str, Any] | None:
    """The validated document of the roadmap in use: from the cache, else checked as `status` checks it
    (the same bounded loader and validation; nothing is written). None when it is not a valid roadmap."""
    import json

    from aipm_cli.errors import AipmError
    from aipm_cli.roadmap import finding

    if spec is None:
        from aipm_cli.config import MAX_SETTINGS_BYTES
        from aipm_cli.fs import read_regular_file

        try:
            spec = json.loads(read_regular_file(Layout(home).config, MAX_SETTINGS_BYTES)).get("roadmap")
        except (OSError, ValueError, AttributeError, RecursionError):
            spec = None
        if not isinstance(spec, str):
            spec = None
    try:
        path = finding.find(spec or finding.DEFAULT_ROADMAP, Layout(home).roadmaps)
        data = finding.read_roadmap_bytes(path)
        document = finding._read_cache(finding._cache_path(data, Layout(home).cache))
        if isinstance(document, dict):
            return document
        from aipm_cli.roadmap.shipped import document as shipped_document

        document = shipped_document(data)  # a bundled roadmap's validated data, shipped in the package
        if document is not None:
            return document
        from aipm_cli.roadmap.loading import parse_roadmap_text

        return dict(parse_roadmap_text(data, str(path), cache_dir=None).data())
    except AipmError:  # not a roadmap `status` would use: nothing to offer
        return None


def _ids(home: Path, spec: str | None) -> list[tuple[str, str, str]]:
    """(id, title, kind) for every phase, module, item, deliverable and alias of the roadmap in use."""
    document = _roadmap_document(home, spec)
    out: list[tuple[str, str, str]] = []
    if not document:
        return out
    for phase in document.get("phases") or []:
        out.append((str(phase.get("id")), str(phase.get("title", "")), "phase"))
        for module in phase.get("modules") or []:
            out.append((str(module.get("id")), str(module.get("title", "")), "module"))
            for item in module.get("items") or []:
                title = str(item.get("title", ""))
                out.append((str(item.get("id")), title, "item"))
                out += [(str(alias), f"{title} (old id)", "alias") for alias in item.get("aliases") or []]
                for d in item.get("deliverables") or []:
                    out.append((str(d.get("id")), f"{d.get('title', '')} ({title})", "deliverable"))
    return out


def _skills(home: Path, spec: str | None) -> list[tuple[str, str]]:
    document = _roadmap_document(home, spec) or {}
    return [(str(s.get("id")), str(s.get("title", ""))) for s in document.get("skills") or []]


def _options(command: str | None, sub: str | None) -> list[tuple[str, str]]:
    """The options of a command, from the CLI itself (only when an option is being completed)."""
    from typer.main import get_command

    from aipm_cli.cli import make_app

    group = get_command(make_app(command))
    target: Any = group
    for name in (command, sub):
        if name and hasattr(target, "commands") and name in target.commands:
            target = target.commands[name]
    found = []
    for param in getattr(target, "params", []):
        for opt in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
            if opt.startswith("-"):
                found.append((opt, (getattr(param, "help", "") or "").split(".")[0]))
    return found


SCRIPTS = {
    "bash": """# aipm completion for bash: add to ~/.bashrc
#   eval "$(aipm completion bash)"
_aipm_complete() {
    local IFS=$'\\n'
    COMPREPLY=($(_AIPM_COMPLETE=bash _AIPM_CWORD="$COMP_CWORD" aipm "${COMP_WORDS[@]:1}" 2>/dev/null))
    if [ ${#COMPREPLY[@]} -eq 0 ]; then
        compopt -o default 2>/dev/null
    fi
}
complete -o nosort -F _aipm_complete aipm 2>/dev/null || complete -F _aipm_complete aipm
""",
    "zsh": """#compdef aipm
# aipm completion for zsh: add to ~/.zshrc (after compinit)
#   eval "$(aipm completion zsh)"
_aipm() {
    local -a lines items
    local line
    lines=("${(@f)$(_AIPM_COMPLETE=zsh _AIPM_CWORD=$((CURRENT - 1)) aipm "${(@)words[2,-1]}" 2>/dev/null)}")
    for line in "${lines[@]}"; do
        [[ -z $line ]] && continue
        items+=("${${line%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}")
    done
    if (( ${#items} )); then
        _describe -V aipm items
    else
        _files
    fi
}
compdef _aipm aipm
""",
    "fish": """# aipm completion for fish: save as ~/.config/fish/completions/aipm.fish
#   aipm completion fish > ~/.config/fish/completions/aipm.fish
function __aipm_complete
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l current (commandline -ct)
    set -l index (math (count $tokens) + 1)
    _AIPM_COMPLETE=fish _AIPM_CWORD=$index aipm $tokens "$current" 2>/dev/null
end
complete -c aipm -f -a '(__aipm_complete)'
""",
    # PowerShell 5.1 (Windows' own) and 7: a native-command completer. The words before the cursor
    # go to aipm as arguments (an empty word being completed too, where PowerShell passes one: 5.1
    # drops it, and aipm then completes an empty word all the same).
    "powershell": """# aipm completion for PowerShell: add to your profile (notepad $PROFILE)
#   aipm completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName aipm -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
        Where-Object { $_.Extent.StartOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
    if ($wordToComplete -eq '') { $words += '' }
    $env:_AIPM_COMPLETE = 'powershell'
    $env:_AIPM_CWORD = $words.Count
    try {
        $lines = @(& aipm @words 2>$null)
    } finally {
        Remove-Item Env:_AIPM_COMPLETE, Env:_AIPM_CWORD -ErrorAction SilentlyContinue
    }
    foreach ($line in $lines) {
        if (-not $line) { continue }
        $value, $description = $line -split "`t", 2
        if (-not $description) { $description = $value }
        [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $description)
    }
}
""",
}
