"""The Journal pane (3): a live tail of the event log, one line per event, with filters and search.

Lines are rendered from the log (:func:`workbench.core.journal.entries.entry_for`), not from the
Markdown files: the latest entries of the recent sessions on attach, then every committed event
from the bus. One :class:`~textual.widgets.OptionList` holds at most :attr:`JournalPane.MAX_ENTRIES`
lines (older ones drop off), so the widget count stays flat however long the session grows.

Keys: ``1``-``7`` toggle the categories (chat, tool, command, checkpoint, spec, plugin, error),
``k`` cycles through showing one category at a time, ``/`` searches (``escape`` clears), ``enter``
jumps to the entry's place in the chat, ``c`` opens the entry's checkpoint in the rewind screen,
``t`` shows or hides the times.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from workbench.core.journal.entries import CATEGORIES, CHECKPOINT_CREATED, JournalEntry
from workbench.ui.journal.format import entry_line, filter_line, separator_line

if TYPE_CHECKING:
    from workbench.core.events import Event
    from workbench.core.runtime import Services

INITIAL_ENTRIES = 500
"""Entries loaded from the log when the pane attaches."""


class JournalPane(Vertical, can_focus=True):
    """Live journal of the workspace (pane 3)."""

    BORDER_TITLE = "3 Journal"
    ALLOW_MAXIMIZE = True
    MAX_ENTRIES = 2000
    """Entries kept (up to a quarter more between trims); older ones drop off the top."""
    DEFAULT_CSS = """
    JournalPane #journal-filter { height: 1; padding: 0 1; }
    JournalPane #journal-list { height: 1fr; border: none; padding: 0; background: transparent; }
    JournalPane #journal-list:focus { border: none; }
    JournalPane #journal-search { height: 3; display: none; }
    JournalPane.-searching #journal-search { display: block; }
    JournalPane #journal-message { color: $text-muted; padding: 0 1; display: none; }
    JournalPane.-empty #journal-message { display: block; }
    """
    BINDINGS = [
        *[
            Binding(
                str(n),
                f"toggle_category('{cat}')",
                cat.capitalize(),
                id=f"journal.filter.{cat}",
                show=False,
                tooltip=f"Show or hide {cat} entries",
            )
            for n, cat in enumerate(CATEGORIES, 1)
        ],
        Binding(
            "k",
            "cycle_category",
            "Cycle filter",
            id="journal.filter.cycle",
            tooltip="Show one category at a time: all, chat, tool, command, checkpoint, spec, plugin, error",
        ),
        Binding("slash", "search", "Search", id="journal.search", tooltip="Show only entries containing a text"),
        Binding(
            "c",
            "open_checkpoint",
            "Checkpoint",
            id="journal.checkpoint",
            tooltip="Open the rewind screen on the checkpoint of the highlighted entry",
        ),
        Binding("t", "toggle_times", "Times", id="journal.times", show=False, tooltip="Show or hide the times"),
        Binding("escape", "clear_search", "Clear search", id="journal.clear_search", show=False, tooltip="Clear the search"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services: Services | None = None
        self.entries: list[JournalEntry] = []
        """Entries loaded or received, oldest first: at most ``MAX_ENTRIES`` after a trim, which
        happens when a quarter more have arrived (so the list is rebuilt once per quarter)."""
        self.enabled: set[str] = set(CATEGORIES)
        """Categories shown."""
        self.search = ""
        """Case-insensitive text an entry must contain (empty: all)."""
        self.show_time = True
        """Whether lines start with ``HH:MM:SS``."""
        self.shown: list[JournalEntry | None] = []
        """What each option of the list is (None: a session separator)."""
        self._titles: dict[str, str] = {}
        self._last_seq = 0
        self._cycle = -1

    def compose(self) -> ComposeResult:
        yield Static("", id="journal-filter")
        yield Static("Nothing in the journal yet: it fills as you chat.", id="journal-message", markup=False)
        yield OptionList(id="journal-list", markup=False)
        yield Input(placeholder="search the journal (enter: keep, escape: clear)", id="journal-search")

    def on_mount(self) -> None:
        self.add_class("-empty")
        self._update_header()

    def on_focus(self) -> None:
        ol = self.list
        ol.focus()
        if ol.highlighted is None and self.shown:
            ol.highlighted = self._last_entry_index()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``escape`` is the pane's only while a search is open or set (else the screen's)."""
        if action == "clear_search":
            return self.has_class("-searching") or bool(self.search)
        return True

    @property
    def list(self) -> OptionList:
        """The entry list."""
        return self.query_one("#journal-list", OptionList)

    # -- wiring --------------------------------------------------------------------------------
    async def attach(self, services: Services) -> None:
        """Bind to the running services: load the recent entries, then follow the bus."""
        self.services = services
        self._follow()

    @work(group="journal-events", exclusive=True, exit_on_error=False)
    async def _follow(self) -> None:
        from workbench.core.events import Event
        from workbench.core.journal.entries import SKIPPED_KINDS, recent_entries

        services = self.services
        assert services is not None
        with services.bus.subscribe(lambda e: isinstance(e, Event) and e.kind not in SKIPPED_KINDS) as sub:
            sessions = await services.store.sessions(services.workspace)
            self._titles.update({s.id: s.title for s in sessions if s.title})
            loaded = await services.store.call(recent_entries, services.store.sync, services.workspace, limit=INITIAL_ENTRIES)
            self.add_entries(loaded)
            async for event in sub:
                batch = [event]
                while not sub.queue.empty():  # a burst becomes one update of the list
                    batch.append(sub.queue.get_nowait())
                self.add_events(batch)

    # -- entries -------------------------------------------------------------------------------
    def add_events(self, events: list[Event]) -> None:
        """Turn committed events into entries and show them (already shown seqs are skipped)."""
        from workbench.core import event_payloads as P
        from workbench.core.events import EventKind
        from workbench.core.journal.entries import entry_for

        entries = []
        for event in events:
            if event.kind == EventKind.SESSION_TITLED:
                self._titles[event.session_id] = P.SessionTitled.of(event).title or ""
            elif event.kind == EventKind.USER_MESSAGE and event.session_id not in self._titles:
                self._titles[event.session_id] = " ".join(str(P.UserMessage.of(event).text).split())[:60]
            entry = entry_for(event)
            if entry is not None:
                entries.append(entry)
        self.add_entries(entries)

    def add_entries(self, entries: list[JournalEntry]) -> None:
        """Append entries (in seq order) to the journal and to the list when they match the filter."""
        entries = [e for e in entries if e.seq > self._last_seq]
        if not entries:
            return
        self._last_seq = entries[-1].seq
        self.entries.extend(entries)
        self.remove_class("-empty")
        if len(self.entries) > self.MAX_ENTRIES + self.MAX_ENTRIES // 4:  # trim in chunks, not per event
            del self.entries[: len(self.entries) - self.MAX_ENTRIES]
            self.rebuild()
            return
        ol = self.list
        following = ol.highlighted is None or ol.highlighted >= ol.option_count - 1
        options = self._options([e for e in entries if self.matches(e)], self._last_shown_session())
        if options:
            ol.add_options(options)
            if following:
                if ol.highlighted is not None:
                    ol.highlighted = self._last_entry_index()
                ol.scroll_end(animate=False, immediate=False)
        self._update_header()

    def matches(self, entry: JournalEntry) -> bool:
        """Whether ``entry`` passes the category filter and the search."""
        if not (entry.categories & self.enabled):
            return False
        return not self.search or self.search.lower() in entry.summary.lower() or self.search.lower() in entry.kind

    def _last_shown_session(self) -> str | None:
        for item in reversed(self.shown):
            if item is not None:
                return item.session_id
        return None

    def _last_entry_index(self) -> int | None:
        for i in range(len(self.shown) - 1, -1, -1):
            if self.shown[i] is not None:
                return i
        return None

    def _options(self, entries: list[JournalEntry], session: str | None) -> list[Option]:
        options: list[Option] = []
        for entry in entries:
            if entry.session_id != session:
                title = "workspace" if entry.session_id == "workspace" else (self._titles.get(entry.session_id) or "new session")
                options.append(Option(separator_line(title), disabled=True))
                self.shown.append(None)
                session = entry.session_id
            options.append(Option(entry_line(entry, show_time=self.show_time), id=f"seq-{entry.seq}"))
            self.shown.append(entry)
        return options

    def rebuild(self) -> None:
        """Rebuild the list from :attr:`entries` with the current filter (keeps the highlighted entry)."""
        ol = self.list
        current = self.highlighted_entry()
        self.shown = []
        ol.clear_options()
        ol.add_options(self._options([e for e in self.entries if self.matches(e)], None))
        if current is not None and current in self.shown:
            ol.highlighted = self.shown.index(current)
        elif self.shown:
            ol.highlighted = self._last_entry_index()
        self._update_header()

    def highlighted_entry(self) -> JournalEntry | None:
        """The entry under the cursor (None on a separator or when empty)."""
        ol = self.list
        if ol.highlighted is None or ol.highlighted >= len(self.shown):
            return None
        return self.shown[ol.highlighted]

    def visible_entries(self) -> list[JournalEntry]:
        """The entries the list shows now, in order."""
        return [e for e in self.shown if e is not None]

    def _update_header(self) -> None:
        shown = sum(1 for e in self.shown if e is not None)
        self.query_one("#journal-filter", Static).update(filter_line(self.enabled, self.search, shown, len(self.entries)))

    # -- filters and search --------------------------------------------------------------------
    def action_toggle_category(self, category: str) -> None:
        """Show or hide one category."""
        self.enabled ^= {category}
        self._cycle = -1
        self.rebuild()

    def action_cycle_category(self) -> None:
        """Cycle: all categories, then each one alone, then all again."""
        self._cycle = self._cycle + 1 if self._cycle + 1 < len(CATEGORIES) else -1
        self.enabled = set(CATEGORIES) if self._cycle < 0 else {CATEGORIES[self._cycle]}
        self.rebuild()

    def action_toggle_times(self) -> None:
        """Show or hide the time column."""
        self.show_time = not self.show_time
        self.rebuild()

    def action_search(self) -> None:
        """Open the search box."""
        self.add_class("-searching")
        box = self.query_one("#journal-search", Input)
        box.value = self.search
        box.focus()

    @on(Input.Changed, "#journal-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value.strip()
        self.rebuild()

    @on(Input.Submitted, "#journal-search")
    def _search_done(self) -> None:
        self.remove_class("-searching")
        self.list.focus()

    def action_clear_search(self) -> None:
        """Clear the search and close the box."""
        self.remove_class("-searching")
        if self.search:
            self.search = ""
            self.query_one("#journal-search", Input).value = ""
            self.rebuild()
        self.list.focus()

    # -- jumps ---------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#journal-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = self.highlighted_entry()
        if entry is not None:
            self.jump_to_chat(entry)

    def jump_to_chat(self, entry: JournalEntry) -> None:
        """Scroll the chat to ``entry`` when the chat can (``scroll_to_seq``); otherwise say so."""
        chats = self.app.query("#chat")
        chat = chats.first() if chats else None
        scroll = getattr(chat, "scroll_to_seq", None)
        if scroll is None:
            self.notify(f"The chat cannot jump to an event yet (event {entry.seq}: {entry.summary[:60]}).", severity="warning")
            return
        result = scroll(entry.seq)
        if inspect.isawaitable(result):
            self.run_worker(result, group="journal-jump", exclusive=True)

    def checkpoint_for(self, entry: JournalEntry) -> JournalEntry | None:
        """The checkpoint of ``entry``: itself, the one of its turn, the latest before it, or the next one
        in its session (among the loaded entries)."""
        if entry.checkpoint:
            return entry
        cps = [e for e in self.entries if e.kind == CHECKPOINT_CREATED and e.session_id == entry.session_id and e.checkpoint]
        if entry.turn_id:
            same_turn = [e for e in cps if e.turn_id == entry.turn_id]
            if same_turn:
                return same_turn[0]
        before = [e for e in cps if e.seq <= entry.seq]
        if before:
            return before[-1]
        after = [e for e in cps if e.seq > entry.seq]
        return after[0] if after else None

    def action_open_checkpoint(self) -> None:
        """Open the rewind screen on the highlighted entry's checkpoint (or say why not)."""
        entry = self.highlighted_entry()
        if entry is None:
            return
        cp = self.checkpoint_for(entry)
        if cp is None:
            self.notify("No checkpoint for this entry: they are taken before the first change of a turn.", severity="warning")
            return
        sha = str(cp.checkpoint)
        if importlib.util.find_spec("workbench.ui.screens.rewind") is None:
            self.notify(f"Checkpoint {sha[:12]}: restore it with `workbench rewind {sha[:12]}`.")
            return
        services = self.services
        chat_session = services.chat.session.id if services is not None and services.chat.session else None
        if cp.session_id != chat_session:
            self.notify(
                f"Checkpoint {sha[:12]} belongs to session {cp.session_id}: resume it (ctrl+r) to rewind there, "
                f"or run `workbench rewind {sha[:12]}`.",
                severity="warning",
            )
            return
        chats = self.app.query("#chat")
        opener = getattr(chats.first(), "open_rewind", None) if chats else None
        if opener is None:
            self.notify(f"Checkpoint {sha[:12]}: restore it with `workbench rewind {sha[:12]}`.")
            return
        if "checkpoint" in inspect.signature(opener).parameters:
            opener(checkpoint=sha)
        else:
            opener()
            self._select_in_rewind(sha)

    @work(group="journal-rewind", exclusive=True)
    async def _select_in_rewind(self, sha: str) -> None:
        """Highlight ``sha`` in the rewind screen once the chat pane has opened it."""
        import asyncio

        from workbench.ui.screens.rewind import RewindScreen

        for _ in range(100):
            screen = self.app.screen
            lists = screen.query(OptionList) if isinstance(screen, RewindScreen) else None
            if lists and lists.first().has_focus:  # its on_mount ran (highlight 0, then focus)
                ol = lists.first()
                for i in range(ol.option_count):
                    if ol.get_option_at_index(i).id == sha:
                        ol.highlighted = i
                        return
                self.notify(f"Checkpoint {sha[:12]} is not in the rewind list.", severity="warning")
                return
            await asyncio.sleep(0.02)
