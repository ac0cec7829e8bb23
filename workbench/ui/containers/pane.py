"""The Containers pane (4): this workspace's sandbox containers, live stats, and a followed log.

* The table (name, image, status, uptime, CPU %, memory, session) is refreshed by an async worker
  that lists containers in a thread every second; a second worker samples ``stats`` (about one
  second per call) for one running container at a time, oldest sample first (staggered).
* The selected container's output is followed by a :class:`~workbench.core.sandbox.logs.LogFollower`
  (one reader thread) into a bounded :class:`ContainerLog`; stderr lines start with ``▌`` in red.
  Output of the agent's ``run_command`` in that container's session (``CommandOutput`` on the bus)
  and of commands typed here (``!``) is added to the same view and to the container's log file.
* No engine: the pane shows the reason and the fix and checks again every few seconds.
* Containers of sessions that ended or crashed are listed with an offer to prune them (``p``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from workbench.ui.containers.format import (
    COLUMNS,
    COMMAND_MARK,
    EMPTY_TEXT,
    STDERR_MARK,
    engine_message,
    row_cells,
    stale_message,
)
from workbench.ui.containers.ingest import LineIngest
from workbench.ui.containers.logview import ContainerLog
from workbench.ui.plugins.modals import ConfirmModal

if TYPE_CHECKING:
    from workbench.core.runtime import Services
    from workbench.core.sandbox.containers import ContainerInfo, ContainerStats
    from workbench.core.sandbox.logs import LogBatch, LogFollower
    from workbench.core.sandbox.recovery import StaleContainer
    from workbench.core.sandbox.service import SandboxService


class ContainersPane(Vertical, can_focus=True):
    """Sandbox containers of the workspace (pane 4)."""

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
        Binding("f", "toggle_follow", "Pause/follow", id="containers.follow",
                tooltip="Pause or resume following the log"),
        Binding("slash", "search", "Search", id="containers.search", tooltip="Search the log (Enter: next match)"),
        Binding("n", "next_match", "Next match", id="containers.next", show=False,
                tooltip="Jump to the next search match"),
        Binding("N", "next_match(True)", "Previous match", id="containers.previous", show=False,
                tooltip="Jump to the previous search match"),
        Binding("c", "clear", "Clear", id="containers.clear", tooltip="Clear the log view (the file keeps it)"),
        Binding("G", "end", "End", id="containers.end", tooltip="Jump to the end of the log and follow"),
        Binding("s", "start", "Start", id="containers.start", tooltip="Start the selected container"),
        Binding("x", "stop", "Stop", id="containers.stop", tooltip="Stop the selected container"),
        Binding("r", "restart", "Restart", id="containers.restart", tooltip="Restart the selected container"),
        Binding("d", "remove", "Remove", id="containers.remove", tooltip="Remove the selected container (asks)"),
        Binding("exclamation_mark", "command", "Run", id="containers.command",
                tooltip="Run a shell command in the selected container's session sandbox"),
        Binding("y", "copy_output", "Copy output", id="containers.copy",
                tooltip="Copy the last command's full output to the clipboard"),
        Binding("p", "prune", "Prune", id="containers.prune",
                tooltip="Remove the containers of ended or crashed sessions (asks)"),
        Binding("escape", "close_input", "Close", id="containers.close_input", show=False,
                tooltip="Close the search or command prompt"),
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
        self.last_output = ""
        """Full output of the last command typed in the pane."""
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
        table: DataTable[str] = DataTable(id="containers-table", cursor_type="row", zebra_stripes=False)
        table.add_class("hidden")
        yield table
        yield Static("", id="containers-stale", classes="hidden", markup=False)
        yield Static("", id="containers-status", classes="hidden", markup=False)
        yield ContainerLog(self.MAX_LINES, id="containers-log", classes="hidden")
        yield Input(id="containers-input", classes="hidden")

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.table.add_column(label, key=key)
        self.ingest = LineIngest(asyncio.get_running_loop(), self._write_lines, self.MAX_LINES)

    def on_focus(self) -> None:
        if not self.table.has_class("hidden"):
            self.table.focus()

    @property
    def table(self) -> DataTable[str]:
        """The container table (one row per container, keyed by container id)."""
        return self.query_one("#containers-table", DataTable)

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
        except asyncio.TimeoutError:
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
                self._update_row(self.containers[target.id])
            await asyncio.sleep(0.25)

    @work(group="containers-bus", exclusive=True)
    async def _bus_loop(self) -> None:
        """Add the agent's live command output for the followed session; refresh on new containers."""
        from workbench.core.events import Event, EventKind
        from workbench.core.sandbox.tool import CommandOutput

        assert self.services is not None

        def wanted(item: Any) -> bool:
            return isinstance(item, CommandOutput) or (
                isinstance(item, Event) and item.kind in (EventKind.SANDBOX_CONTAINER, EventKind.TOOL_CALL_FINISHED))

        with self.services.bus.subscribe(wanted) as sub:
            async for item in sub:
                if isinstance(item, CommandOutput):
                    self._agent_output_latest = True
                    followed = self.followed
                    if followed is not None and followed.session == item.session_id:
                        self.feed(item.stream, item.text.encode("utf-8"))
                elif item.kind == EventKind.TOOL_CALL_FINISHED:
                    if item.payload.get("name") == "run_command":
                        self.flush_partial()
                else:
                    self.poll_soon()

    # -- rendering -----------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        message = self.query_one("#containers-message", Static)
        message.update(text)
        message.remove_class("hidden")
        for selector in ("#containers-table", "#containers-stale", "#containers-status", "#containers-log"):
            self.query_one(selector).add_class("hidden")

    def _apply(self, containers: list[ContainerInfo], sessions: list[Any]) -> None:
        from workbench.core.sandbox.recovery import stale_containers

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
        ids = [c.id for c in containers]
        if [key.value for key in table.rows] != ids:
            selected = self.selected_id()
            table.clear()
            for info in containers:
                cells = self._cells(info)
                table.add_row(*(cells[key] for key, _ in COLUMNS), key=info.id)
            if selected in ids:
                table.move_cursor(row=ids.index(selected))
        else:
            for info in containers:
                self._update_row(info)
        self._check_follow()

    def _cells(self, info: ContainerInfo) -> dict[str, str]:
        return row_cells(info, self.stats.get(info.id), self.session_status.get(info.session, "unknown"))

    def _update_row(self, info: ContainerInfo) -> None:
        table = self.table
        if info.id not in table.rows:
            return
        cells = self._cells(info)
        for (key, _), old in zip(COLUMNS, table.get_row(info.id)):
            if cells[key] != old:
                table.update_cell(info.id, key, cells[key], update_width=True)

    def selected_id(self) -> str | None:
        """The id of the container under the table cursor (None when the table is empty)."""
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def selected(self) -> ContainerInfo | None:
        """The container under the table cursor."""
        cid = self.selected_id()
        return self.containers.get(cid) if cid else None

    def _status_text(self) -> str:
        if self.followed is None:
            return ""
        state = "paused" if self.paused else "following"
        text = f"{state} {self.followed.name} · {STDERR_MARK.strip()} marks stderr"
        if self.paused and self._held:
            text += f" · {len(self._held)} new line(s) held, f to resume"
        if self._search:
            text += f" · search {self._search!r}: n/N next/previous"
        return text

    def _update_status(self) -> None:
        self.query_one("#containers-status", Static).update(self._status_text())

    # -- following -----------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#containers-table")
    def _row_changed(self) -> None:
        self._check_follow()

    def _check_follow(self) -> None:
        """Follow the selected container; follow it again when it was (re)started."""
        info = self.selected()
        if info is None:
            return
        current = self.followed
        ended = self.follower is not None and self.follower.join(0)
        if current is None or current.id != info.id:
            self._follow(info, clear=current is not None)
        elif ended and info.running and not (current.running and current.started_at == info.started_at):
            self._follow(info, clear=True)
        else:
            self.followed = info

    @work(group="containers-logs", exclusive=True, exit_on_error=False)
    async def _follow(self, info: ContainerInfo, clear: bool) -> None:
        from workbench.core.sandbox.logs import FrameParser

        old, self.follower = self.follower, None
        self.followed = info
        self._parser = FrameParser()
        if old is not None:
            await asyncio.to_thread(old.stop)
        if clear:
            self.log_view.clear()
            self._held.clear()
        self._update_status()
        assert self.service is not None
        ingest = self.ingest
        assert ingest is not None

        def on_batch(batch: LogBatch) -> None:
            ingest.push(batch.texts(STDERR_MARK))

        try:
            follower = await self.service.follow(info, on_batch)
        except Exception as exc:  # noqa: BLE001 - removed meanwhile, or the engine went away
            self.notify(f"Cannot follow {info.name}: {exc}", severity="warning")
            return
        if self.followed is not None and self.followed.id == info.id:
            self.follower = follower
        else:  # pragma: no cover - superseded while starting
            await asyncio.to_thread(follower.stop)

    def feed(self, stream: str, data: bytes) -> None:
        """Add output of a command in the followed container (from any thread) to the view and file."""
        follower = self.follower
        if follower is not None:
            follower.feed(stream, data)
            return
        from workbench.core.sandbox.logs import FrameParser, LogBatch

        out = LogBatch()
        parser = self._parser or FrameParser()
        self._parser = parser
        parser.add(stream, data, out)
        if self.ingest is not None:
            self.ingest.push(out.texts(STDERR_MARK))

    def _write_lines(self, lines: list[str]) -> None:
        if self.paused:
            self._held.extend(lines)
            self._update_status()
            return
        self.log_view.write_lines(lines)

    async def on_unmount(self) -> None:
        follower, self.follower = self.follower, None
        if follower is not None:
            await asyncio.to_thread(follower.stop)

    # -- log keys ------------------------------------------------------------------------------
    def action_toggle_follow(self) -> None:
        """Pause following (the view stays still; new lines are held) or resume it."""
        self.paused = not self.paused
        log = self.log_view
        if not self.paused:
            if self._held:
                lines = list(self._held)
                self._held.clear()
                log.write_lines(lines, scroll_end=False)
            log.auto_scroll = True
            log.scroll_end(animate=False, immediate=True)
        else:
            log.auto_scroll = False
        self._update_status()

    def action_end(self) -> None:
        """Jump to the end of the log and follow it again."""
        if self.paused:
            self.action_toggle_follow()
        else:
            self.log_view.scroll_end(animate=False, immediate=True)

    def action_clear(self) -> None:
        """Clear the view (the log file on disk keeps everything)."""
        self.log_view.clear()
        self._held.clear()
        self._match = None
        self.log_view.refresh()
        self._update_status()

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

    def action_next_match(self, backwards: bool = False) -> None:
        """Jump to the next (or previous) line matching the search; pauses following."""
        if not self._search:
            self.notify("Press / to search first.")
            return
        log = self.log_view
        start = self._match if self._match is not None else (log.scroll_offset.y + log.size.height // 2)
        found = log.find(self._search, start, backwards)
        if found is None:
            self.notify(f"No line matches {self._search!r}.", severity="warning")
            return
        if not self.paused:
            self.action_toggle_follow()
        self._match = found
        log.show_line(found)

    # -- container actions ---------------------------------------------------------------------
    def _target(self) -> ContainerInfo | None:
        info = self.selected()
        if info is None or self.service is None:
            self.notify("No container selected.", severity="warning")
        return info

    async def _guard(self, coro: Any, done: str) -> None:
        from workbench.core.sandbox.errors import SandboxError

        try:
            await coro
        except SandboxError as exc:
            self.notify(str(exc), severity="error", timeout=15)
        except Exception as exc:  # noqa: BLE001 - docker API errors carry the engine's message
            self.notify(f"{type(exc).__name__}: {exc}", severity="error", timeout=15)
        else:
            self.notify(done)
        self.poll_soon()

    @work(group="containers-action", exit_on_error=False)
    async def action_start(self) -> None:
        """Start the selected container."""
        info = self._target()
        if info is not None and self.service is not None:
            await self._guard(self.service.start(info.id), f"Started {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_stop(self) -> None:
        """Stop the selected container (SIGTERM, then SIGKILL after 5 s)."""
        info = self._target()
        if info is not None and self.service is not None:
            await self._guard(self.service.stop(info.id), f"Stopped {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_restart(self) -> None:
        """Restart the selected container."""
        info = self._target()
        if info is not None and self.service is not None:
            await self._guard(self.service.restart(info.id), f"Restarted {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_remove(self) -> None:
        """Remove the selected container after a confirmation (a running one is killed)."""
        info = self._target()
        if info is None or self.service is None:
            return
        body = (f"container {info.name} ({info.status})\nimage {info.image}\nsession {info.session}\n\n"
                "Files in /workspace stay; anything else inside the container is lost. The session's "
                "sandbox is recreated on its next command.")
        if not await self.app.push_screen_wait(ConfirmModal(f"Remove the container {info.name}?", body,
                                                            yes_label="Remove (y)")):
            return
        await self._guard(self.service.remove(info.id), f"Removed {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_prune(self) -> None:
        """Remove the containers of ended or crashed sessions, after a confirmation."""
        from workbench.core.sandbox.recovery import stale_containers

        if self.service is None or self.services is None or not self.engine_ok:
            self.notify("No Docker engine: nothing to prune.", severity="warning")
            return
        await self.refresh_now()
        chat = self.services.chat
        keep = [chat.session.id] if chat.session is not None else []
        sessions = await self.services.store.sessions(self.services.workspace)
        stale = stale_containers(list(self.containers.values()), sessions, keep)
        if not stale:
            self.notify("Nothing to prune: every container belongs to an open session.")
            return
        body = "\n".join(f"{s.container.name}  {s.container.status}  session {s.container.session} "
                         f"({s.session_status})" for s in stale)
        if not await self.app.push_screen_wait(ConfirmModal(
                f"Remove {len(stale)} container(s) of ended or crashed sessions?", body, yes_label="Prune (y)")):
            return
        removed = await self.service.prune({s.container.session for s in stale})
        self.notify(f"Removed {len(removed)} container(s).")
        self.poll_soon()

    @work(group="containers-command", exit_on_error=False)
    async def _run_command(self, command: str) -> None:
        """Run ``command`` in the selected container's session sandbox, streaming into the view."""
        from workbench.core.sandbox.errors import SandboxError

        if self.service is None or self.services is None:
            return
        info = self.selected()
        session_id = info.session if info is not None else (await self.services.chat.ensure_session()).id
        ingest = self.ingest
        assert ingest is not None
        ingest.push([f"{COMMAND_MARK}{command}"])
        chunks: list[str] = []

        def on_output(stream: str, data: bytes) -> None:
            chunks.append(data.decode("utf-8", errors="replace"))
            followed = self.followed
            if followed is not None and followed.session == session_id:
                self.feed(stream, data)

        try:
            result = await self.service.run_command(session_id, command, on_output=on_output)
        except SandboxError as exc:
            ingest.push([f"{STDERR_MARK}{exc}"])
            self.notify(str(exc), severity="error", timeout=15)
            return
        except Exception as exc:  # noqa: BLE001 - docker transport errors
            ingest.push([f"{STDERR_MARK}{type(exc).__name__}: {exc}"])
            self.notify(f"{type(exc).__name__}: {exc}", severity="error", timeout=15)
            return
        self.flush_partial()
        self.last_output = "".join(chunks)
        self._agent_output_latest = False
        status = "timed out (killed)" if result.timed_out else f"exit {result.exit_code}"
        if result.oom_killed:
            status += ", OOM-killed"
        ingest.push([f"[{status}, {result.duration_s:.2f} s]"])
        self.poll_soon()

    def flush_partial(self) -> None:
        """Show the partial last line of a command's output (its command ended)."""
        if self.follower is not None:
            self.follower.flush_feed()
            return
        if self._parser is not None and self.ingest is not None:
            from workbench.core.sandbox.logs import LogBatch

            rest = LogBatch()
            self._parser.flush(rest)
            self.ingest.push(rest.texts(STDERR_MARK))

    def action_copy_output(self) -> None:
        """Copy the full output of the last command (the agent's or one typed here) to the clipboard."""
        text = self.last_output
        source = "your last command"
        if self._agent_output_latest or not text:
            tool = self.services.extras.get("run_command") if self.services is not None else None
            agent_text = getattr(tool, "last_output", "") if tool is not None else ""
            if agent_text:
                text, source = agent_text, "the agent's last command"
        if not text:
            self.notify("No command output to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the output of {source} ({len(text):,} characters).")
