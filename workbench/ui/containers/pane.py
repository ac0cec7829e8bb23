"""The Containers pane (4): this workspace's sandbox containers, live stats, and a followed log.

* The table (name, image, status, uptime, CPU %, memory, session) is refreshed by an async worker
  that lists containers in a thread every second; a second worker samples ``stats`` (about one
  second per call) for one running container at a time, oldest sample first (staggered).
* The selected container's output is followed into a bounded log view (``following.py``,
  ``ingest.py``, ``logview.py``). Output of the agent's ``run_command`` in that container's
  session (``CommandOutput`` on the bus) and of commands typed here (``!``) is added to the same
  view and to the container's log file.
* Actions by key (start, stop, restart, remove, prune, run, copy output) are in ``actions.py``.
* No engine: the pane shows the reason and the fix and checks again every few seconds.
* Containers of sessions that ended or crashed are listed with an offer to prune them (``p``).

This module holds the pane's widgets, its workers (listing, stats, bus) and the prompt.
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from workbench.ui.containers.actions import ContainerActions
from workbench.ui.containers.following import LogFollowing, StatusLine
from workbench.ui.containers.format import EMPTY_TEXT, engine_message, row_cells, stale_message
from workbench.ui.containers.ingest import LineIngest
from workbench.ui.containers.logview import ContainerLog
from workbench.ui.containers.table import ContainerTable

if TYPE_CHECKING:
    from workbench.core.runtime import Services
    from workbench.core.sandbox.containers import ContainerInfo, ContainerStats
    from workbench.core.sandbox.logs import LogFollower
    from workbench.core.sandbox.reattach import StaleContainer
    from workbench.core.sandbox.service import SandboxService


class ContainersPane(ContainerActions, LogFollowing, Vertical, can_focus=True):
    """Sandbox containers of the workspace (pane 4).

    Call :meth:`attach` with the running services; the engine is contacted in workers only.
    """

    BORDER_TITLE = "4 Containers"
    ALLOW_MAXIMIZE = True
    MAX_LINES = 10_000
    """Lines kept in the log view (the full log is in the data dir's ``logs/`` folder)."""
    LIST_INTERVAL = 1.0
    """Seconds between two container listings."""
    ENGINE_RETRY = 5.0
    """Seconds between two engine checks while none is reachable."""
    DEFAULT_CSS = """
    ContainersPane #containers-message { color: $text-muted; padding: 0 1; }
    ContainersPane #containers-table { height: auto; max-height: 40%; }
    ContainersPane #containers-stale { color: $warning; padding: 0 1; }
    ContainersPane #containers-status { color: $text-muted; padding: 0 1; height: 1; }
    ContainersPane #containers-input { dock: bottom; }
    ContainersPane .hidden { display: none; }
    """
    BINDINGS = [
        Binding("f", "toggle_follow", "Pause/follow", id="containers.follow", tooltip="Pause or resume following the log"),
        Binding("slash", "search", "Search", id="containers.search", tooltip="Search the log (Enter: next match)"),
        Binding("n", "next_match", "Next match", id="containers.next", show=False, tooltip="Jump to the next search match"),
        Binding(
            "N",
            "next_match(True)",
            "Previous match",
            id="containers.previous",
            show=False,
            tooltip="Jump to the previous search match",
        ),
        Binding("c", "clear", "Clear", id="containers.clear", tooltip="Clear the log view (the file keeps it)"),
        Binding("G", "end", "End", id="containers.end", tooltip="Jump to the end of the log and follow"),
        Binding("s", "start", "Start", id="containers.start", tooltip="Start the selected container"),
        Binding("x", "stop", "Stop", id="containers.stop", tooltip="Stop the selected container"),
        Binding("r", "restart", "Restart", id="containers.restart", tooltip="Restart the selected container"),
        Binding("d", "remove", "Remove", id="containers.remove", tooltip="Remove the selected container (asks)"),
        Binding(
            "exclamation_mark",
            "command",
            "Run",
            id="containers.command",
            tooltip="Run a shell command in the selected container's session sandbox",
        ),
        Binding(
            "y",
            "copy_output",
            "Copy output",
            id="containers.copy",
            tooltip="Copy the last command's full output to the clipboard",
        ),
        Binding(
            "o",
            "open_output",
            "Open output",
            id="containers.open_output",
            tooltip="Open the last command's whole output (its spool file) in $PAGER",
        ),
        Binding(
            "p", "prune", "Prune", id="containers.prune", tooltip="Remove the containers of ended or crashed sessions (asks)"
        ),
        Binding(
            "escape",
            "close_input",
            "Close",
            id="containers.close_input",
            show=False,
            tooltip="Close the search or command prompt",
        ),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services: Services | None = None
        self.service: SandboxService | None = None
        """The workspace's sandbox service (None before attach)."""
        self.engine_ok: bool | None = None
        """Whether the engine answered at the last check (None: not checked yet)."""
        self.containers: dict[str, ContainerInfo] = {}
        """The containers listed last, by id."""
        self.stats: dict[str, ContainerStats] = {}
        """The last stats sample of each running container, by id."""
        self.stale: list[StaleContainer] = []
        """Containers of sessions that ended or crashed (offered for pruning)."""
        self.session_status: dict[str, str] = {}
        self.paused = False
        """Following is paused: new lines are held (bounded) until resumed."""
        self.followed: ContainerInfo | None = None
        """The container whose log is shown."""
        self.follower: LogFollower | None = None
        self.ingest: LineIngest | None = None
        self.last_spool: Path | None = None
        """Spool file with the whole output of the last command typed in the pane."""
        self._agent_output_latest = False
        self._held: deque[str] = deque(maxlen=self.MAX_LINES)
        self._input_mode = ""
        self._search = ""
        self._match: int | None = None
        self._sampled: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._parser: Any = None
        self._stale_text = ""

    def compose(self) -> ComposeResult:
        yield Static("Starting…", id="containers-message", markup=False)
        yield ContainerTable(id="containers-table", cursor_type="row", zebra_stripes=False, classes="hidden")
        yield Static("", id="containers-stale", classes="hidden", markup=False)
        yield StatusLine(id="containers-status", classes="hidden")
        yield ContainerLog(self.MAX_LINES, id="containers-log", classes="hidden")
        yield Input(id="containers-input", classes="hidden")

    def on_mount(self) -> None:
        self.ingest = LineIngest(asyncio.get_running_loop(), self._write_lines, self.MAX_LINES)

    def on_focus(self) -> None:
        if not self.table.has_class("hidden"):
            self.table.focus()

    @property
    def table(self) -> ContainerTable:
        """The container table (one row per container, keyed by container id)."""
        return self.query_one("#containers-table", ContainerTable)

    @property
    def log_view(self) -> ContainerLog:
        """The log view of the followed container."""
        return self.query_one("#containers-log", ContainerLog)

    # -- wiring --------------------------------------------------------------------------------
    async def attach(self, services: Services) -> None:
        """Bind to the running services; the engine is contacted in workers, after the next frame."""
        from workbench.core.runtime import sandbox_service

        self.services = services
        self.service = sandbox_service(services)
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        self._poll_loop()
        self._stats_loop()
        self._bus_loop()

    @work(group="containers-poll", exclusive=True, exit_on_error=False)
    async def _poll_loop(self) -> None:
        from workbench.core.sandbox.engine import engine_status

        while True:
            if not self.engine_ok:
                status = await engine_status()
                self.engine_ok = status.available
                if not status.available:
                    self._show_message(engine_message(status))
                    await self._sleep(self.ENGINE_RETRY)
                    continue
            try:
                await self.refresh_now()
            except Exception:  # noqa: BLE001 - the engine went away: re-check and say why
                self.engine_ok = False
                continue
            await self._sleep(self.LIST_INTERVAL)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    def poll_soon(self) -> None:
        """Refresh the table now instead of at the next tick."""
        self._wake.set()

    async def refresh_now(self) -> None:
        """List the containers (in a thread), read the session states, and redraw.

        Raises:
            Exception: a docker error (the engine went away).
        """
        assert self.service is not None and self.services is not None
        containers = await self.service.list_containers()
        sessions = await self.services.store.sessions(self.services.workspace)
        self._apply(containers, sessions)

    @work(group="containers-stats", exclusive=True, exit_on_error=False)
    async def _stats_loop(self) -> None:
        """Sample one running container per round, the one sampled longest ago (staggered)."""
        loop = asyncio.get_running_loop()
        while True:
            running = [c for c in self.containers.values() if c.running] if self.engine_ok else []
            if not running:
                await asyncio.sleep(1.0)
                continue
            target = min(running, key=lambda c: self._sampled.get(c.id, 0.0))
            assert self.service is not None
            try:
                sample = await self.service.stats(target.id)
            except Exception:  # noqa: BLE001 - removed or stopped meanwhile
                self._sampled[target.id] = loop.time()
                await asyncio.sleep(0.5)
                continue
            self._sampled[target.id] = loop.time()
            self.stats[target.id] = sample
            if target.id in self.containers:
                self.table.update_rows([target.id], self._cells)
            await asyncio.sleep(0.25)

    @work(group="containers-bus", exclusive=True)
    async def _bus_loop(self) -> None:
        """Add the agent's live command output for the followed session; refresh on new containers."""
        from workbench.core.event_payloads import ToolCallFinished
        from workbench.core.events import Event, EventKind
        from workbench.core.sandbox.tool import CommandOutput

        assert self.services is not None

        def wanted(item: Any) -> bool:
            return isinstance(item, CommandOutput) or (
                isinstance(item, Event) and item.kind in (EventKind.SANDBOX_CONTAINER, EventKind.TOOL_CALL_FINISHED)
            )

        with self.services.bus.subscribe(wanted) as sub:
            async for item in sub:
                if isinstance(item, CommandOutput):
                    self._agent_output_latest = True
                    followed = self.followed
                    if followed is not None and followed.session == item.session_id:
                        self.feed(item.stream, item.text.encode("utf-8"))
                elif item.kind == EventKind.TOOL_CALL_FINISHED:
                    if ToolCallFinished.of(item).name == "run_command":
                        self.flush_partial()
                else:
                    self.poll_soon()

    # -- table and messages --------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        message = self.query_one("#containers-message", Static)
        message.update(text)
        message.remove_class("hidden")
        for selector in ("#containers-table", "#containers-stale", "#containers-status", "#containers-log"):
            self.query_one(selector).add_class("hidden")

    def _apply(self, containers: list[ContainerInfo], sessions: list[Any]) -> None:
        from workbench.core.sandbox.reattach import stale_containers

        self.containers = {c.id: c for c in containers}
        self.session_status = {s.id: s.status for s in sessions}
        ready = getattr(self.app, "ready", None)
        if ready is None or ready.is_set():  # before: a resumed session still reads "crashed"
            chat = self.services.chat if self.services is not None else None
            keep = [chat.session.id] if chat is not None and chat.session is not None else []
            self.stale = stale_containers(containers, sessions, keep)
        stale = self.query_one("#containers-stale", Static)
        message = stale_message(self.stale)
        if message != self._stale_text:  # Static.update lays out the whole screen again
            self._stale_text = message
            stale.update(message)
        stale.set_class(not self.stale, "hidden")
        table = self.table
        if not containers:
            self._show_message(EMPTY_TEXT)
            if table.row_count:
                table.clear()
            stale.add_class("hidden")
            return
        self.query_one("#containers-message").add_class("hidden")
        for selector in ("#containers-table", "#containers-status", "#containers-log"):
            self.query_one(selector).remove_class("hidden")
        if self.has_focus:
            table.focus()
        table.show([c.id for c in containers], self._cells)
        self._check_follow()

    def _cells(self, cid: str) -> dict[str, str]:
        info = self.containers[cid]
        return row_cells(info, self.stats.get(cid), self.session_status.get(info.session, "unknown"))

    def selected_id(self) -> str | None:
        """The id of the container under the table cursor (None when the table is empty)."""
        return self.table.selected_id()

    def selected(self) -> ContainerInfo | None:
        """The container under the table cursor."""
        cid = self.selected_id()
        return self.containers.get(cid) if cid else None

    # -- events and the prompt ------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#containers-table")
    def _row_changed(self) -> None:
        self._check_follow()

    def _open_input(self, mode: str, placeholder: str, value: str = "") -> None:
        field = self.query_one("#containers-input", Input)
        self._input_mode = mode
        field.placeholder = placeholder
        field.value = value
        field.remove_class("hidden")
        field.focus()

    def action_search(self) -> None:
        """Open the search prompt (Enter jumps to the next match; the view pauses)."""
        self._open_input("search", "search the log (Enter: next match, Esc: close)", self._search)

    def action_command(self) -> None:
        """Open the command prompt (runs in the selected container's session sandbox)."""
        info = self.selected()
        target = info.name if info else "the current session's sandbox"
        self._open_input("command", f"command to run in {target} (sh -c; Enter: run, Esc: cancel)")

    def action_close_input(self) -> None:
        """Close the search or command prompt."""
        field = self.query_one("#containers-input", Input)
        if field.has_class("hidden"):
            return
        field.add_class("hidden")
        self._input_mode = ""
        if not self.table.has_class("hidden"):
            self.table.focus()

    @on(Input.Submitted, "#containers-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        mode, value = self._input_mode, event.value.strip()
        if mode == "search":
            self._search = value
            self.log_view.set_search(value)
            self._match = None
            if value:
                self.action_next_match()
            self._update_status()
            return  # the prompt stays open: Enter again for the next match
        self.action_close_input()
        if mode == "command" and value:
            self._run_command(value)

    async def on_unmount(self) -> None:
        await self._stop_following()
