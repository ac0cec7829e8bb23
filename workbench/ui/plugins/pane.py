"""The Plugins pane (5): MCP servers, their state, tools, calls and stderr; start/stop/trust keys.

It reads the live :class:`~workbench.core.mcp.plugins.handle.PluginHandle` records of the workspace's
supervisor (see :func:`workbench.core.mcp.plugins.service.plugin_runtime`) and redraws when a plugin
event is committed to the log (bus) and once a second (uptime). Every action runs in a worker;
typed plugin errors become notifications.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from workbench.ui.plugins.format import COLUMNS, EMPTY_TEXT, detail_text, row_cells
from workbench.ui.plugins.modals import ConfirmModal

if TYPE_CHECKING:
    from workbench.core.mcp.plugins.handle import PluginHandle
    from workbench.core.mcp.plugins.supervisor import PluginSupervisor
    from workbench.core.runtime import Services


class PluginsPane(Vertical, can_focus=True):
    """MCP plugins of the workspace (pane 5)."""

    BORDER_TITLE = "5 Plugins"
    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = """
    PluginsPane #plugins-message { color: $text-muted; padding: 0 1; }
    PluginsPane #plugins-table { height: auto; max-height: 70%; }
    PluginsPane.-maximized #plugins-table { max-height: 50%; }
    PluginsPane #plugins-detail { height: 1fr; padding: 0 1; }
    PluginsPane .hidden { display: none; }
    """
    BINDINGS = [
        Binding("s", "start", "Start", id="plugins.start", tooltip="Start the selected plugin"),
        Binding("x", "stop", "Stop", id="plugins.stop", tooltip="Stop the selected plugin"),
        Binding("r", "restart", "Restart", id="plugins.restart", tooltip="Restart the selected plugin"),
        Binding(
            "e",
            "toggle_enabled",
            "Enable/disable",
            id="plugins.enable",
            tooltip="Enable or disable the selected plugin for this session",
        ),
        Binding(
            "a",
            "approve",
            "Approve tools",
            id="plugins.approve",
            tooltip="Review and approve the selected plugin's changed tools",
        ),
        Binding("t", "trust", "Trust", id="plugins.trust", tooltip="Review the command line of a workspace plugin and trust it"),
        Binding("l", "reload", "Reload config", id="plugins.reload", tooltip="Re-read .mcp.json and [plugins]"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services: Services | None = None
        self.supervisor: PluginSupervisor | None = None
        """The workspace's supervisor once the runtime started (None before, or on a config error)."""
        self._detail_cache = ""

    def compose(self) -> ComposeResult:
        yield Static("Starting…", id="plugins-message", markup=False)
        table: DataTable[str] = DataTable(id="plugins-table", cursor_type="row", zebra_stripes=False)
        table.add_class("hidden")
        yield table
        with VerticalScroll(id="plugins-detail", classes="hidden"):
            yield Static("", id="plugins-detail-text", markup=False)

    def on_mount(self) -> None:
        table = self.table
        for key, label in COLUMNS:
            table.add_column(label, key=key)

    def on_focus(self) -> None:
        if not self.table.has_class("hidden"):
            self.table.focus()

    @property
    def table(self) -> DataTable[str]:
        """The plugin table (one row per plugin, keyed by name)."""
        return self.query_one("#plugins-table", DataTable)

    # -- wiring --------------------------------------------------------------------------------
    async def attach(self, services: Services) -> None:
        """Bind to the running services; the plugin runtime starts in a worker after the next frame."""
        self.services = services
        self.call_after_refresh(self._start_runtime)

    @work(group="plugins-boot", exclusive=True, exit_on_error=False)
    async def _start_runtime(self) -> None:
        from workbench.core.mcp.plugins.errors import PluginError
        from workbench.core.mcp.plugins.service import plugin_runtime

        assert self.services is not None
        try:
            self.supervisor = await plugin_runtime(self.services)
        except PluginError as exc:
            self._show_message(f"The plugin configuration is invalid:\n\n{exc}\n\nFix it, then press l to reload.")
            return
        for warning in getattr(self.supervisor, "config_warnings", []):
            self.notify(warning, severity="warning", timeout=15)
        self.refresh_view()
        self._follow()
        self.set_interval(1.0, self.refresh_view, name="plugins-tick")

    @work(group="plugins-events", exclusive=True)
    async def _follow(self) -> None:
        from workbench.core.events import Event
        from workbench.core.mcp.plugins.service import PLUGIN_KINDS

        assert self.services is not None
        with self.services.bus.subscribe(lambda e: isinstance(e, Event) and e.kind in PLUGIN_KINDS) as sub:
            async for _event in sub:
                while not sub.queue.empty():  # coalesce a burst into one redraw
                    sub.queue.get_nowait()
                self.refresh_view()

    # -- rendering -----------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        message = self.query_one("#plugins-message", Static)
        if getattr(message, "shown_text", None) != text:  # update() re-lays out the whole screen
            message.update(text)
            message.shown_text = text  # type: ignore[attr-defined]
        message.remove_class("hidden")
        self.table.add_class("hidden")
        self.query_one("#plugins-detail").add_class("hidden")

    def selected_name(self) -> str | None:
        """The name of the plugin under the table cursor (None when the table is empty)."""
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def _selected(self) -> PluginHandle | None:
        name = self.selected_name()
        if self.supervisor is None or name is None:
            return None
        return self.supervisor.handles.get(name)

    def refresh_view(self) -> None:
        """Redraw the table (cells in place, rows added/removed by name) and the detail."""
        sup = self.supervisor
        if sup is None:
            return
        table = self.table
        names = sorted(sup.handles)
        if not names:
            self._show_message(EMPTY_TEXT)
            if table.row_count:
                table.clear()
            return
        self.query_one("#plugins-message").add_class("hidden")
        table.remove_class("hidden")
        self.query_one("#plugins-detail").remove_class("hidden")
        if self.has_focus:
            table.focus()
        current = [key.value for key in table.rows]
        if current != names:
            selected = self.selected_name()
            table.clear()
            for name in names:
                cells = row_cells(sup.handles[name], sup.trust_status(name))
                table.add_row(*(cells[key] for key, _ in COLUMNS), key=name)
            if selected in names:
                table.move_cursor(row=names.index(selected))
        else:
            for name in names:
                cells = row_cells(sup.handles[name], sup.trust_status(name))
                row = table.get_row(name)
                for (key, _), old in zip(COLUMNS, row, strict=False):
                    if cells[key] != old:
                        table.update_cell(name, key, cells[key], update_width=True)
        self._refresh_detail()

    def _refresh_detail(self) -> None:
        handle = self._selected()
        text = (
            ""
            if handle is None or self.supervisor is None
            else detail_text(handle, self.supervisor.is_trusted(handle.name), self.supervisor.trust_status(handle.name))
        )
        if text != self._detail_cache:
            self._detail_cache = text
            self.query_one("#plugins-detail-text", Static).update(text)

    @on(DataTable.RowHighlighted, "#plugins-table")
    def _row_changed(self) -> None:
        self._refresh_detail()

    # -- actions -------------------------------------------------------------------------------
    def _target(self) -> tuple[PluginSupervisor, PluginHandle] | None:
        handle = self._selected()
        if self.supervisor is None or handle is None:
            self.notify("No plugin selected.", severity="warning")
            return None
        return self.supervisor, handle

    async def _guard(self, coro: Any) -> Any:
        from workbench.core.mcp.plugins.errors import PluginError

        try:
            return await coro
        except PluginError as exc:
            self.notify(str(exc), severity="error", timeout=15)
        finally:
            self.refresh_view()
        return None

    async def _confirm_trust(self, sup: PluginSupervisor, handle: PluginHandle) -> bool:
        """Show the exact command line, env values (secrets masked, ``r`` reveals), the files it
        runs and what changed since an earlier trust; on yes record the trust. Returns the answer."""
        from workbench.core.mcp.plugins.plugin_trust import describe_for_approval

        status = await sup.check_trust(handle.name)
        ws = sup.workspace

        def describe(reveal: bool) -> str:
            return describe_for_approval(handle.spec, reveal=reveal, workspace=ws, changes=status.changes)

        body = await asyncio.to_thread(describe, False)
        revealed = await asyncio.to_thread(describe, True)
        again = " again" if status.state in ("changed", "legacy") else ""
        question = f'Trust the MCP server "{handle.name}" from this workspace\'s .mcp.json{again} and start it?'
        modal = ConfirmModal(question, body, yes_label="Trust and start (y)", revealed_body=revealed)
        if not await self.app.push_screen_wait(modal):
            self.notify(f"{handle.name} stays untrusted and stopped.")
            return False
        assert sup.trust is not None
        await asyncio.to_thread(sup.trust.trust, handle.spec)
        return True

    async def _trusted_target(self):
        """The selected plugin, once trusted (asks first for an untrusted one); None otherwise."""
        target = self._target()
        if target is None:
            return None
        sup, handle = target
        if not sup.is_trusted(handle.name) and not await self._confirm_trust(sup, handle):
            return None
        return target

    @work(group="plugins-action", exit_on_error=False)
    async def action_start(self) -> None:
        """Start the selected plugin (asks for trust first when it is an untrusted workspace plugin)."""
        target = await self._trusted_target()
        if target is not None:
            await self._guard(target[0].start(target[1].name, wait=False))

    @work(group="plugins-action", exit_on_error=False)
    async def action_trust(self) -> None:
        """Review the selected workspace plugin's command line; on yes trust and start it."""
        target = self._target()
        if target is None:
            return
        sup, handle = target
        if sup.is_trusted(handle.name):
            source = "your [plugins] config" if handle.spec.source == "user" else "an earlier approval"
            self.notify(f"{handle.name} is already trusted ({source}).")
            return
        if await self._confirm_trust(sup, handle):
            await self._guard(sup.start(handle.name, wait=False))

    @work(group="plugins-action", exit_on_error=False)
    async def action_stop(self) -> None:
        """Stop the selected plugin (closes stdin, then SIGTERM, then SIGKILL)."""
        target = self._target()
        if target is not None:
            await self._guard(target[0].stop(target[1].name))

    @work(group="plugins-action", exit_on_error=False)
    async def action_restart(self) -> None:
        """Stop then start the selected plugin (asks for trust first when needed)."""
        target = await self._trusted_target()
        if target is None:
            return
        sup, handle = target
        await self._guard(sup.stop(handle.name))
        await self._guard(sup.start(handle.name, wait=False))

    @work(group="plugins-action", exit_on_error=False)
    async def action_toggle_enabled(self) -> None:
        """Disable (and stop) or enable (and start, when trusted) the selected plugin for this session."""
        target = self._target()
        if target is None:
            return
        sup, handle = target
        enable = not handle.spec.settings.enabled
        await self._guard(sup.set_enabled(handle.name, enable))
        if enable and sup.is_trusted(handle.name):
            await self._guard(sup.start(handle.name, wait=False))
        word = "enabled" if enable else "disabled"
        self.notify(
            f"{handle.name} {word} for this session "
            f"(to keep it, set enabled = {str(enable).lower()} in [plugins.settings.{handle.name}])."
        )

    @work(group="plugins-action", exit_on_error=False)
    async def action_approve(self) -> None:
        """Show the diff of the selected plugin's changed or new tools; on yes approve them all."""
        target = self._target()
        if target is None:
            return
        sup, handle = target
        pending = [t for t in handle.tools if t.status != "approved"]
        if not pending:
            self.notify(f"{handle.name} has no changed tools to approve.")
            return
        body = "\n\n".join(f"{t.name} ({t.status}):\n{t.diff}" for t in pending)
        question = f"Approve {len(pending)} changed tool(s) of {handle.name}? They are offered to the agent again."
        if not await self.app.push_screen_wait(ConfirmModal(question, body, yes_label="Approve (y)")):
            return
        for tool in pending:  # a small JSON write each; the supervisor's state lives on this loop
            try:
                sup.approve_tool(handle.name, tool.name)
            except Exception as exc:  # noqa: BLE001 - the tool may have vanished meanwhile
                self.notify(str(exc), severity="error")
        self.refresh_view()
        self.notify(f"Approved {len(pending)} tool(s) of {handle.name}.")

    @work(group="plugins-action", exit_on_error=False)
    async def action_reload(self) -> None:
        """Re-read ``.mcp.json`` and ``[plugins]``; apply the changes to the running plugins."""
        from workbench.core.config import ConfigError
        from workbench.core.mcp.plugins.errors import PluginError
        from workbench.core.mcp.plugins.service import plugin_runtime, reload_plugins

        if self.services is None:
            self.notify("Still starting.", severity="warning")
            return
        first = self.supervisor is None
        try:
            self.supervisor = await reload_plugins(self.services)
        except (PluginError, ConfigError) as exc:
            self.notify(f"Reload failed; the running plugins are unchanged:\n{exc}", severity="error", timeout=20)
            return
        if first:  # the runtime failed at start: begin following it now
            self.supervisor = await plugin_runtime(self.services)
            self._follow()
            self.set_interval(1.0, self.refresh_view, name="plugins-tick")
        self.refresh_view()
        self.notify(f"Plugin configuration reloaded ({len(self.supervisor.handles)} plugin(s)).")
