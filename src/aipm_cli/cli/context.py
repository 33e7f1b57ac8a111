"""The one application object, built in the root callback and passed down."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipm_cli.errors import InputError
from aipm_cli.paths import Layout, data_dir

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from aipm_cli.learner import Learner


class App:
    def __init__(
        self,
        *,
        user: str | None = None,
        roadmap: str | None = None,
        debug: bool = False,
        home: Path | None = None,
    ) -> None:
        self.layout = Layout(home or data_dir())
        self.debug = debug
        self._user_option = user
        self._roadmap_option = roadmap

    # -- output ----------------------------------------------------------- #

    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        from aipm_cli.render.safe import color_system

        return Console(highlight=False, color_system=color_system())

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        from aipm_cli.render.safe import color_system

        return Console(stderr=True, highlight=False, color_system=color_system())

    def show(self, view: Any, *args: Any, **kwargs: Any) -> None:
        """Render a terminal view to stdout, without the padding rich leaves at line ends.

        The view draws on a console that shows control characters in data
        escaped and never reads emoji codes (see render.safe).
        """
        from aipm_cli.render.safe import safe_console

        self.warn()
        console = safe_console(highlight=False)
        console.size = console.size  # measured once: rich would ask the terminal again on every print
        with console.capture() as captured:
            view(console, *args, **kwargs)
        sys.stdout.write("\n".join(line.rstrip() for line in captured.get().split("\n")))
        sys.stdout.flush()

    def show_stream(self, view: Any, entries: Any, batch: int = 200) -> None:
        """Render a view of many entries in batches, flushing each, so output starts at once."""
        chunk: list[Any] = []
        shown = False
        for entry in entries:
            chunk.append(entry)
            if len(chunk) >= batch:
                self.show(view, chunk)
                chunk, shown = [], True
        if chunk or not shown:
            self.show(view, chunk)

    def write_lines(self, lines: Any, empty: str, batch: int = 2000) -> None:
        """Plain text, one piece per entry, to a pipe or a file: the first piece out at once, then in batches."""
        self.warn()
        write = sys.stdout.write
        chunk: list[str] = []
        shown = False
        for line in lines:
            chunk.append(line)
            if len(chunk) >= batch or not shown:
                write("".join(chunk))
                sys.stdout.flush()
                chunk, shown = [], True
        if chunk:
            write("".join(chunk))
        elif not shown:
            write(empty)
        sys.stdout.flush()
        self.warn()  # what reading the stream found (lines it had to skip)

    def emit_json_stream(self, items: Any) -> None:
        """A JSON list written item by item (one JSON document in the end)."""
        self.warn()
        from aipm_cli.render.ascii_fallback import json_for

        write = sys.stdout.write
        dumps = _json_dumper()
        first = True
        for item in items:
            text = json_for(sys.stdout, dumps(item)).replace("\n", "\n  ")
            write(("[\n  " if first else ",\n  ") + text)
            first = False
        write("[]\n" if first else "\n]\n")
        sys.stdout.flush()
        self.warn()  # what reading the stream found (lines it had to skip)

    def emit_json(self, data: Any) -> None:
        self.warn()
        from aipm_cli.render.ascii_fallback import json_for

        sys.stdout.write(json_for(sys.stdout, _json_text(data)) + "\n")

    def write_file(self, path: Path, data: bytes | Iterable[bytes], option: str, fmt: str = "text") -> None:
        """Write a file the learner asked for (a report, a calendar); `-` is stdout.

        See fs.write_output: a device or FIFO is written into, never replaced; an
        existing file keeps its mode; a new one gets the umask's. `-` on a
        terminal shows control characters escaped, as `write_report` does.
        """
        from aipm_cli.fs import write_output

        self.warn()
        if str(path) == "-":
            from aipm_cli.render.safe import for_terminal, is_terminal

            if is_terminal(sys.stdout):
                data = data if isinstance(data, bytes) else b"".join(data)
                data = for_terminal(data.decode("utf-8", "surrogateescape"), fmt).encode("utf-8", "backslashreplace")
        else:
            target = path.expanduser()
            folder = target.absolute().parent
            if not folder.is_dir():
                raise InputError(
                    f"The folder {folder} does not exist.", f"Create it first, or choose another {option} path."
                )
            path = target
        write_output(path, data, option)

    def say(self, message: str | Text) -> None:
        """A message for the learner (stderr: stdout is for data).

        A str may carry style tags ("[green]✓[/] ..."); nothing else in it is
        read as markup, an emoji code or a control character (see
        render.safe.message). A Text is printed as built.
        """
        from rich.text import Text

        from aipm_cli.render.safe import message as safe_message

        self.warn()
        self.err.print(message if isinstance(message, Text) else safe_message(message), soft_wrap=True)

    def say_plain(self, message: str) -> None:
        """A message whose text is data: no markup is read in it, control characters shown escaped."""
        from aipm_cli.render.safe import text

        self.err.print(text(message), soft_wrap=True)

    def say_wrapped(self, message: str, indent: int = 0, hang: int = 2) -> None:
        """A message as say_plain shows it, wrapped between words at the terminal's width: the first line
        indented by `indent`, the rest by `indent + hang` (a long path or word is folded, never cut)."""
        import textwrap

        from rich.text import Text

        from aipm_cli.render.safe import clean

        lines = textwrap.wrap(clean(message), max(20, self.err.width), initial_indent=" " * indent,
                              subsequent_indent=" " * (indent + hang), break_on_hyphens=False)  # fmt: skip
        self.err.print(Text("\n".join(lines)), soft_wrap=True)

    def write_report(self, report: str, fmt: str) -> None:
        """A report's text to stdout: byte for byte to a file or a pipe (as UTF-8, whatever the console's
        encoding); on a terminal, with control characters shown escaped like every view (render.safe.for_terminal)."""
        from aipm_cli.render.ascii_fallback import json_for, takes_utf8
        from aipm_cli.render.safe import for_terminal, is_terminal

        self.warn()
        if is_terminal(sys.stdout):
            shown = for_terminal(report, fmt)
            sys.stdout.write(json_for(sys.stdout, shown) if fmt == "json" else shown)
        elif takes_utf8(sys.stdout) or not hasattr(sys.stdout, "buffer"):
            sys.stdout.write(report)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(report.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()

    def confirm(self, statement: str, question: str, yes: bool, what: str) -> None:
        """Go ahead with `--yes`, or when the learner answers yes on a terminal; otherwise refuse
        (nothing done). `what` names the command to run again with --yes."""
        from aipm_cli.errors import AipmError
        from aipm_cli.render.safe import is_terminal

        if yes:
            return
        if not is_terminal(sys.stdin):
            raise InputError(f"{statement} Nothing was done.", f"Run `{what} --yes` to go ahead.")
        import typer

        if not typer.confirm(f"{statement} {question}", default=False, err=True):
            raise AipmError("Nothing was done.")

    # -- the core ----------------------------------------------------------- #

    @cached_property
    def learner(self) -> Learner:
        from aipm_cli.learner import Learner

        learner = Learner(self.layout.root, user=self._user_option, roadmap=self._roadmap_option)
        learner.debug = self.debug
        if self.command in READ_COMMANDS or self.command in TAKE_BACK_COMMANDS:
            check_learner(learner, self.command)
        return learner

    # The command this App runs (set by the root callback, or by cli/direct.py): a read of a
    # learner who has no data here is refused with the learners there are (see check_learner).
    command: str | None = None
    _others: list[str] | None = None  # the learners here when a change is for a new one

    def new_learner_note(self) -> None:
        """After a change for a learner who had no data here while others have: say it is a new learner."""
        others = self._others
        if others:
            self.say_plain(
                f"Note: '{self.learner.user}' ({self.learner.user_source()}) is a new learner here; "
                f"learners here before: {', '.join(others)}."
            )
            self._others = None

    def learner_before_change(self) -> None:
        """Before a change: remember whether the learner is new while others exist (said after the change)."""
        learner = self.learner
        if not learner.has_data():
            self._others = [n for n in learner.learner_names() if n != learner.user]

    @property
    def saved(self) -> bool:
        return "learner" in self.__dict__ and self.learner.saved

    @saved.setter
    def saved(self, value: bool) -> None:
        self.learner.saved = value

    def warn(self) -> None:
        """Print the core's new warnings (settings it ignored, lines it could not read) on stderr, once each."""
        if "learner" not in self.__dict__:
            return
        if not self._config_warned and "config" in self.learner.__dict__:
            self._config_warned = True
            for problem in self.learner.config.problems:
                self.say_plain(f"Warning: {problem}")
        for warning in self.learner.warnings[self._warned :]:
            self.say_plain(f"Warning: {warning}. Run `aipm doctor`.")
        self._warned = len(self.learner.warnings)

    _warned = 0
    _config_warned = False


# Commands that read a learner's progress (or take back a change of theirs): for a learner with no
# data here they would show an empty 0% or create the learner's folders.
READ_COMMANDS = frozenset(("status", "list", "show", "next", "log", "skills", "plan", "export", "tui"))
TAKE_BACK_COMMANDS = frozenset(("undo", "redo"))


def check_learner(learner: Learner, command: str | None) -> None:
    """Refuse a read of a learner who has no data here when there are (or were) others: a mistyped or
    removed name would look like lost progress. `undo`, `redo` and removals are refused for any learner
    with no data (there is nothing to take back, and nothing is created). Nothing is written."""
    if learner.has_data():
        return
    name = learner.user
    known = learner.learner_names()
    removed = [n for n in learner.removed_learners() if n not in known]
    if command in READ_COMMANDS and not known and not removed:
        return  # a first run: the empty dashboard is the truth
    where = f"'{name}' ({learner.user_source()})"
    if command in TAKE_BACK_COMMANDS:
        message = f"There is nothing to {command}: learner {where} has no progress here."
    elif command in READ_COMMANDS:
        message = f"The learner in use, {where}, has no progress here."
    else:
        message = f"Learner {where} has no progress here."
    hint = f"Learners here: {', '.join(known)}." if known else "There are no learners here yet."
    if removed:
        hint += f" Removed: {', '.join(removed)} (`aipm restore NAME` brings one back)."
    hint += " Choose one with --user NAME, or `aipm config user NAME`."
    raise InputError(message, hint)


def _json_dumper() -> Any:
    """`_json_text` for many items: orjson where it gives the same text (about five times faster), json otherwise."""
    from aipm_cli.render.safe import json_escaped

    try:
        import orjson
    except ImportError:  # pragma: no cover - a dependency; kept working without it
        return _json_text
    option = orjson.OPT_INDENT_2

    def dumps(data: Any) -> str:
        try:
            return json_escaped(orjson.dumps(data, option=option).decode("utf-8"))
        except (TypeError, ValueError):  # what orjson will not write (a number past 64 bits): json's text
            return _json_text(data)

    return dumps


def _json_text(data: Any) -> str:
    from aipm_cli.render.safe import json_escaped

    # DEL, C1 and the bidi controls are valid raw in JSON text, but a terminal would act on them.
    return json_escaped(json.dumps(data, indent=2, ensure_ascii=False))
