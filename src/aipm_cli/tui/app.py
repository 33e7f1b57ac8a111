"""The terminal UI. Every action calls the same core methods as the command line, so it records
exactly the change the equivalent command records, under the same lock, with the same errors."""

from __future__ import annotations

import webbrowser
from datetime import date
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static, Tree
from textual.widgets.tree import TreeNode

from aipm_cli.errors import AipmError
from aipm_cli.render.safe import clean, drawn
from aipm_cli.wording import count as counted

MARKS = {"done": "✓", "in_progress": "◐", "skipped": "–", "not_started": "○"}
STATE_WORDS = {"start": "in progress", "done": "done", "skip": "skipped", "reset": "not started"}
FILTERS = ("all", "open", "in progress", "done")
# At most 70 columns a line: what the help box holds at 80 columns (76 wide, its border and padding).
HELP = """Keys

  ↑ ↓ ← →  move, expand, collapse     enter  expand or collapse
  s  start          d  done            k  skip (asks for a reason)
  r  reset          u  undo            U  redo
  n  add a note     e  add evidence (once started or done)
  o  open the item's link in the browser
  /  filter by text
  f  show all, open, in progress or done items (in turn)
  g  go to what `aipm next` suggests
  t  your day, as `aipm today` shows it
  D  the date changes are for (default: today)
  ?  this help      q  quit

A change on a module or phase asks first, and is one change,
as on the command line.

Press any key to close (q, escape and ? too)."""


class Ask(ModalScreen[str | None]):
    """One line of text, or None when cancelled (escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", check: Any = None) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.check = check  # raises AipmError on a value that cannot be used: the dialog stays open

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Label(Text(self.question))
            yield Input(value=self.value, id="answer")
            yield Label("", id="problem")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.check is not None:
            try:
                self.check(event.value)
            except AipmError as exc:
                # Said in the dialog, which stays open with the value to correct (escape cancels).
                self.query_one("#problem", Label).update(Text(clean(" ".join(exc.lines())), style="bold red"))
                return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    BINDINGS = [Binding("y", "yes", "Yes"), Binding("n,escape", "no", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Label(Text(self.question + "  [y/n]"))

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class Closing(ModalScreen[None]):
    """A screen any key closes, q and escape included: the key stops here rather than reach the app's
    bindings (where q quits), except ctrl+c, which leaves the app at once as everywhere."""

    def on_key(self, event: Any) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(None)


class Day(Closing):
    """`aipm today`'s view, drawn from plain text (never from captured terminal codes)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(Text(self.text + "\n\nPress any key to close."))


class Help(Closing):
    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(Text(HELP))


def header_lines(width: int, who: tuple[str, str, str], percent: float, said: list[str], compact: str) -> list[str]:
    """The header in `width` columns, nothing cut at its edge: the learner, the roadmap and the progress
    bar (the roadmap's title, then the learner's name, shortened with an ellipsis when they are long);
    then what is done, the estimate and the date changes are for (`said`), with the estimate in fewer
    words (`compact`, the same numbers) or on a line of its own when they do not fit on one."""
    from aipm_cli.render.entries import fit

    user, title, version = who
    filled = round(percent / 100 * 20)
    tail = f" v{version}  " + "█" * filled + "░" * (20 - filled) + f" {percent:.1f}%"
    room = width - len(tail) - len(" · ")
    if len(user) + len(title) > room:
        title = fit(title, max(room - len(user), min(len(title), room // 2)))  # half the room, or what is left
        user = fit(user, max(8, room - len(title)))
    done, estimate, day = said
    for words in (estimate, compact):
        line = " · ".join(part for part in (done, words, day) if part)
        if len(line) <= width:
            return [f"{user} · {title}{tail}", line]
    rest = " · ".join(part for part in (done, day) if part)
    return [f"{user} · {title}{tail}", rest, estimate if len(estimate) <= width else compact]


class AipmApp(App[None]):
    """Header, the roadmap tree, the selected entry's details, a message bar and the keys."""

    CSS = """
    #header { height: auto; padding: 0 1; }
    #main { height: 1fr; }
    #tree { width: 1fr; min-width: 30; overflow-x: hidden; }
    #detail { width: 1fr; padding: 0 1; border-left: solid $primary-darken-2; scrollbar-gutter: stable; }
    #message { height: 1; padding: 0 1; }
    #ask, #help { width: 76; height: auto; padding: 1 2; border: solid $primary; background: $surface; }
    #ask Label { width: 100%; }
    Ask, Confirm, Help { align: center middle; }
    """
    # The footer at 80 columns: every key it shows, "q Quit" included (no command palette key).
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("s", "mark('start')", "Start"),
        Binding("d", "mark('done')", "Done"),
        Binding("k", "skip", "Skip"),
        Binding("r", "mark('reset')", "Reset"),
        Binding("u", "undo", "Undo"),
        Binding("U", "redo", "Redo", show=False),
        Binding("n", "note", "Note", show=False),
        Binding("e", "evidence", "Evidence", show=False),
        Binding("o", "open", "Open", show=False),
        Binding("slash", "search", "Filter"),
        Binding("f", "cycle_filter", "Status", show=False),
        Binding("g", "go_next", "Next"),
        Binding("D", "set_day", "Date", show=False),
        Binding("t", "today", "Today", show=False),  # (in `?`: the footer keeps "q Quit" at 80 columns)
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),  # leaves at once, the terminal restored
    ]

    def __init__(self, learner: Any, refresh_seconds: float = 1.0, exit_after_first_frame: bool = False) -> None:
        super().__init__()
        self.exit_after_first_frame = exit_after_first_frame  # bench/run.py times the first frame this way
        self.learner = learner
        self.day: date | None = None  # None: today
        self.text_filter = ""
        self.status_filter = 0
        self.refresh_seconds = refresh_seconds
        self._signature: list[Any] = []
        self._entries: dict[str, TreeNode[Any]] = {}
        self._width = 0  # the terminal's, once it is told (0: the app's size)

    # -- layout ------------------------------------------------------------ #

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        with Horizontal(id="main"):
            tree: Tree[Any] = Tree("roadmap", id="tree")
            tree.show_root = False
            yield tree
            with VerticalScroll(id="detail"):
                yield Static(id="detail-text")
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "aipm"
        self._signature = self.learner.ledger.signature()
        self.rebuild()
        self.set_interval(self.refresh_seconds, self.watch_record)
        self.query_one(Tree).focus()
        if self.exit_after_first_frame:
            self.call_after_refresh(self.exit)

    def on_resize(self, event: Resize) -> None:
        self._width = event.size.width  # the app's own size is the old one still, while this is handled
        if self._entries:
            self.rebuild()

    # -- what is shown -------------------------------------------------------- #

    def rebuild(self, keep: str | None = None) -> None:
        """The header and the tree from the learner's state; keeps the selection when it can."""
        from aipm_cli.progress import counts_for
        from aipm_cli.render.entries import fit
        from aipm_cli.unit_status import status_of

        tree = self.query_one(Tree)
        selected = keep or self.selected_id()
        roadmap = self.learner.roadmap
        state = self.learner.read_state()
        summary = self.learner.summary()
        from aipm_cli.estimate import short

        done = f"{summary.counts.done}/{counted(summary.counts.total - summary.counts.skipped, 'unit')} done"
        lines = header_lines(
            max(20, (self._width or self.size.width) - 2),  # inside the header's padding
            (clean(self.learner.user), clean(roadmap.title), clean(roadmap.version)),
            summary.percent,
            [done, short(summary.forecast), f"changes for {self.day.isoformat()}" if self.day else ""],
            short(summary.forecast, compact=True),
        )
        header = Text(lines[0], style="bold")
        for line in lines[1:]:
            header.append("\n" + line, style="dim")
        self.query_one("#header", Static).update(header)
        index = roadmap.index
        tree.clear()
        self._entries = {}
        wanted = self.text_filter.lower()
        show = FILTERS[self.status_filter]

        def keep_item(item: Any) -> bool:
            status = status_of(index, state, item.id)
            if show == "open" and status in ("done", "skipped"):
                return False
            if show == "in progress" and status != "in_progress":
                return False
            if show == "done" and status != "done":
                return False
            return not wanted or wanted in item.title.lower() or wanted in item.id

        # Labels fit the tree's width: a long title ends in "…", and what follows it (a percentage,
        # a duration) stays whole. The tree draws 4 columns of guides a level, then "▼ " on a branch.
        tree_width = (tree.size.width or self.size.width // 2) - 1

        def label(mark: str, title: str, tail: str, indent: int, style: str = "") -> Text:
            room = max(8, tree_width - indent - len(mark) - len(tail))
            text = Text(mark + fit(clean(title), room), style=style)
            if tail:
                text.append(tail, style="dim")
            return text

        for phase in roadmap.phases:
            items_of_phase = [i for m in phase.modules for i in m.items]
            shown = [i for i in items_of_phase if keep_item(i)]
            if not shown:
                continue
            counts = counts_for(roadmap, state, items_of_phase)
            tail = "  " + ("skipped" if counts.total and counts.skipped == counts.total else f"{counts.percent:.0f}%")
            plabel = label("", phase.title, tail, 2, "bold")
            phase_node = tree.root.add(plabel, data=("phase", phase.id), expand=bool(wanted or show != "all"))
            self._entries[phase.id] = phase_node
            for module in phase.modules:
                module_items = [i for i in module.items if keep_item(i)]
                if not module_items:
                    continue
                mc = counts_for(roadmap, state, list(module.items))
                tail = f"  {mc.percent:.0f}%" + (f" · {module.duration}" if module.duration else "")
                mlabel = label("", module.title, tail, 6)
                module_node = phase_node.add(mlabel, data=("module", module.id), expand=bool(wanted or show != "all"))
                self._entries[module.id] = module_node
                for item in module_items:
                    status = status_of(index, state, item.id)
                    tail = f"  {item.duration}" if item.duration else ""
                    ilabel = label(f"{MARKS[status]} ", item.title, tail, 10 if item.deliverables else 8)
                    if item.deliverables:
                        item_node = module_node.add(ilabel, data=("item", item.id))
                        for d in item.deliverables:
                            dstatus = state.record(d.id).status
                            dlabel = label(f"{MARKS[dstatus]} ", d.title, "", 12)
                            dnode = item_node.add_leaf(dlabel, data=("deliverable", d.id))
                            self._entries[d.id] = dnode
                    else:
                        item_node = module_node.add_leaf(ilabel, data=("item", item.id))
                    self._entries[item.id] = item_node
        if selected and selected in self._entries:
            self.select(selected)
        elif tree.root.children:
            tree.move_cursor(tree.root.children[0])
        self.show_detail()

    def select(self, ident: str) -> None:
        node = self._entries.get(ident)
        if node is None:
            return
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.call_after_refresh(self._move_to, node)  # the tree knows a node's line once it is drawn

    def _move_to(self, node: TreeNode[Any]) -> None:
        tree = self.query_one(Tree)
        tree.move_cursor(node)
        tree.scroll_to_node(node, animate=False)
        self.show_detail()

    def selected(self) -> tuple[str, str] | None:
        node = self.query_one(Tree).cursor_node
        return node.data if node is not None and node.data else None

    def selected_id(self) -> str | None:
        chosen = self.selected()
        return chosen[1] if chosen else None

    def on_tree_node_highlighted(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        from aipm_cli.render.lists import group_view, item_view

        pane = self.query_one("#detail-text", Static)
        chosen = self.selected()
        if chosen is None:
            pane.update(Text("Nothing matches the filter. Press / to change it, f for the status filter."))
            return
        kind, ident = chosen
        try:
            target = self.learner.resolve(ident)
            # Drawn at the pane's own width (so nothing is wrapped twice) into a Text built from the
            # view's own pieces and styles, never ANSI read back: an escape sequence in a title stays
            # text (render.safe). Textual takes colour away itself under NO_COLOR.
            width = max(30, (pane.size.width or self.size.width // 2 - 4) - 1)
            if kind in ("phase", "module"):
                shown = drawn(group_view, width, self.learner.group(target), self.learner.names())
            else:
                shown = drawn(item_view, width, self.learner.item(target), zone=self.learner.zone())
            pane.update(shown)
        except AipmError as exc:
            self.say(" ".join(exc.lines()), error=True)

    def say(self, message: str, error: bool = False) -> None:
        self.query_one("#message", Static).update(Text(clean(message), style="bold red" if error else "green"))

    # -- changes -------------------------------------------------------------- #

    def watch_record(self) -> None:
        """Show what another process (a command in another terminal, a sync) wrote."""
        signature = self.learner.ledger.signature()
        if signature != self._signature:
            self._signature = signature
            self.learner.refresh()
            self.rebuild()

    def changed(self, message: str) -> None:
        self.learner.refresh()
        self._signature = self.learner.ledger.signature()
        self.rebuild()
        self.say(message)

    def attempt(self, action: Any, done_message: Any) -> None:
        try:
            result = action()
        except AipmError as exc:
            self.say(" ".join(exc.lines()), error=True)
            return
        self.changed(done_message(result) if callable(done_message) else done_message)

    def action_mark(self, verb: str, reason: str | None = None) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        kind, ident = chosen

        def said(marked: Any) -> str:
            result = marked.result
            if not result.changed and result.change is None and not result.redated:
                return f"{ident} is already {STATE_WORDS[verb]}; nothing changed."
            if not result.changed and result.redated:
                return f"Corrected the date of {ident} to {marked.on.isoformat()}."
            return f"{verb}: {ident}" + (f" ({len(result.changed)} changed)" if kind in ("phase", "module") else "")

        def go() -> None:
            self.attempt(lambda: self.learner.mark(verb, [ident], on=self.day, reason=reason), said)

        if kind in ("phase", "module"):

            def answered(yes: bool | None) -> None:
                if yes:
                    go()
                else:
                    self.say("Nothing changed.")

            self.push_screen(Confirm(f"{verb} every item of the {kind} '{ident}', as one change?"), answered)
        else:
            go()

    def action_skip(self) -> None:
        if self.selected() is None:
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.action_mark("skip", reason=reason.strip() or None)

        self.push_screen(Ask("Skip: why? (optional; enter to skip, escape to cancel)"), answered)

    def action_undo(self) -> None:
        from aipm_cli.record.changes import describe

        self.attempt(self.learner.undo, lambda change: f"Undid {describe(change)}.")

    def action_redo(self) -> None:
        from aipm_cli.record.changes import describe

        self.attempt(self.learner.redo, lambda change: f"Redid {describe(change)}.")

    def action_note(self) -> None:
        ident = self.selected_id()
        if ident is None:
            return

        def answered(text: str | None) -> None:
            if text and text.strip():
                self.attempt(lambda: self.learner.add_note(ident, text, self.day), f"Noted on {ident}.")

        self.push_screen(Ask(f"Note on {ident}:"), answered)

    def action_evidence(self) -> None:
        from aipm_cli.unit_status import status_of

        ident = self.selected_id()
        if ident is None:
            return
        status = status_of(self.learner.roadmap.index, self.learner.read_state(), ident)
        if status not in ("done", "in_progress"):
            self.say("Evidence goes with a start or a done: press s or d first.", error=True)
            return
        verb = "done" if status == "done" else "start"

        def answered(text: str | None) -> None:
            if text and text.strip():
                self.attempt(
                    lambda: self.learner.mark(verb, [ident], evidence=[text.strip()]), f"Evidence kept on {ident}."
                )

        self.push_screen(Ask(f"Evidence for {ident} (a link, a credential id):"), answered)

    def action_open(self) -> None:
        from aipm_cli.roadmap.urls import is_http_url

        chosen = self.selected()
        if chosen is None or chosen[0] != "item":
            return
        url = self.learner.roadmap.index.items[chosen[1]].item.url
        if url and is_http_url(url):
            try:
                opened = webbrowser.open(url)
            except webbrowser.Error:
                opened = False
            self.say(f"Opened {url}" if opened else f"No browser was found; the link is {url}", error=not opened)
        else:
            self.say("This entry has no web link.", error=True)

    def action_search(self) -> None:
        def answered(text: str | None) -> None:
            if text is not None:
                self.text_filter = text.strip()
                self.rebuild()
                self.say(f"Filter: {self.text_filter!r}" if self.text_filter else "Filter cleared.")

        self.push_screen(Ask("Filter by text (empty: all):", self.text_filter), answered)

    def action_cycle_filter(self) -> None:
        self.status_filter = (self.status_filter + 1) % len(FILTERS)
        self.rebuild()
        self.say(f"Showing: {FILTERS[self.status_filter]}")

    def action_go_next(self) -> None:
        upcoming = self.learner.upcoming(1)
        if not upcoming:
            self.say("Nothing to do next.")
            return
        if upcoming[0].id not in self._entries:
            self.text_filter, self.status_filter = "", 0
            self.rebuild()
        self.select(upcoming[0].id)
        self.show_detail()

    def action_set_day(self) -> None:
        from aipm_cli.dates import parse_date

        def check(text: str) -> None:
            if text.strip():
                parse_date(text, self.learner.today())

        def answered(text: str | None) -> None:
            if text is None:
                return
            self.day = parse_date(text, self.learner.today()) if text.strip() else None
            self.rebuild()
            self.say(f"Changes are for {self.day.isoformat()}." if self.day else "Changes are for today.")

        self.push_screen(Ask("The date changes are for (YYYY-MM-DD, today, yesterday):", check=check), answered)

    def action_help(self) -> None:
        self.push_screen(Help())

    def action_today(self) -> None:
        import io

        from rich.console import Console

        from aipm_cli.render.study_views import day_view
        from aipm_cli.study import today_view

        try:
            data = today_view(self.learner)
        except AipmError as exc:
            self.query_one("#message", Static).update(Text(clean(" ".join(exc.lines()))))
            return
        console = Console(file=io.StringIO(), width=70, color_system=None, no_color=True, highlight=False)
        with console.capture() as captured:
            day_view(console, data)
        self.push_screen(Day(captured.get().rstrip()))
