"""The plugin supervisor of a running workspace: created once, logged, closed with the services.

:func:`plugin_runtime` builds the :class:`~workbench.core.mcp.plugins.supervisor.PluginSupervisor`
for ``services.workspace`` from ``[plugins]`` and ``.mcp.json``, keeps it in
``services.plugins`` and registers its shutdown in ``services.closers``. Every
supervisor event becomes a committed event-log entry (see :mod:`workbench.core.events`) before
it is published on the bus, in the order the supervisor reported them:

========================  =====================================  ============================
log kind                  supervisor event                       payload
========================  =====================================  ============================
``plugin.state``          ``PluginStateChanged``                 plugin, old, new, pid, reason,
                                                                 stderr_tail, ts
``plugin.tools_changed``  ``PluginToolsChanged``                 plugin, tools, pending, ts
``plugin.call``           ``PluginToolCalled``                   plugin, tool, qualified_name,
                                                                 duration_s, is_error, error, ts
``plugin.restart``        ``PluginRestartScheduled``             plugin, attempt, max_restarts,
                                                                 delay_s, ts
========================  =====================================  ============================

Stderr lines are not logged (they are in ``<data dir>/workspaces/<key>/plugins/<name>.stderr.log``
and in :meth:`PluginHandle.stderr_tail`). Events go to the current chat session, or to the
pseudo-session ``"workspace"`` when no session is open. The ``mcp`` SDK is imported only when a
plugin starts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from workbench.core.events import PLUGIN_KINDS as ALL_PLUGIN_KINDS
from workbench.core.events import Event, EventKind
from workbench.core.mcp.plugins.supervisor_events import (
    PluginEvent,
    PluginRestartScheduled,
    PluginStateChanged,
    PluginToolCalled,
    PluginToolsChanged,
)
from workbench.core.tasks import spawn

if TYPE_CHECKING:
    from workbench.core.mcp.plugins.plugin_config import PluginSpec
    from workbench.core.mcp.plugins.supervisor import PluginSupervisor
    from workbench.core.runtime import Services

log = logging.getLogger("workbench.core.mcp.plugins.service")

PLUGIN_STATE = EventKind.PLUGIN_STATE
"""Log kind of a state change: ``{"plugin", "old", "new", "pid", "reason", "stderr_tail", "ts"}``."""
PLUGIN_TOOLS_CHANGED = EventKind.PLUGIN_TOOLS_CHANGED
"""Log kind of a (re)loaded tool list: ``{"plugin", "tools", "pending", "ts"}``."""
PLUGIN_CALL = EventKind.PLUGIN_CALL
"""Log kind of a finished tool call: ``{"plugin", "tool", "qualified_name", "duration_s", "is_error", "error", "ts"}``."""
PLUGIN_RESTART = EventKind.PLUGIN_RESTART
"""Log kind of a scheduled automatic restart: ``{"plugin", "attempt", "max_restarts", "delay_s", "ts"}``."""
PLUGIN_KINDS: tuple[str, ...] = ALL_PLUGIN_KINDS
"""Every log kind this module writes."""

WORKSPACE_SESSION = "workspace"
"""Session id of plugin events that happen while no chat session is open."""


_KINDS: dict[type, str] = {
    PluginStateChanged: PLUGIN_STATE,
    PluginToolsChanged: PLUGIN_TOOLS_CHANGED,
    PluginToolCalled: PLUGIN_CALL,
    PluginRestartScheduled: PLUGIN_RESTART,
}


def log_kind(event: PluginEvent) -> str | None:
    """Return the log kind of a supervisor event, or None when it is not logged (stderr)."""
    return _KINDS.get(type(event))


def current_session_id(services: Services) -> str:
    """Return the open chat session's id, or :data:`WORKSPACE_SESSION`."""
    chat = getattr(services, "chat", None)
    session = getattr(chat, "session", None)
    return session.id if session is not None else WORKSPACE_SESSION


class _EventWriter:
    """Appends supervisor events to the log in order (one task, batches), then publishes them.

    Args:
        services: the running services (``store``, ``bus``, ``chat``).
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task = spawn(self._run(), name="plugin-event-writer")

    def __call__(self, event: PluginEvent) -> None:
        kind = log_kind(event)
        if kind is not None:
            self._queue.put_nowait(Event(kind, current_session_id(self._services), event.payload()))

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            events = [e for e in batch if e is not None]
            if events:
                try:
                    stored = await self._services.store.append_many(events)
                except Exception:  # noqa: BLE001 - a failing log must not stop supervision
                    log.exception("could not log %d plugin event(s)", len(events))
                else:
                    for e in stored:
                        self._services.bus.publish(e)
            if None in batch:
                return

    async def aclose(self) -> None:
        """Write what is queued, then end the task."""
        if not self._task.done():
            self._queue.put_nowait(None)
            await asyncio.gather(self._task, return_exceptions=True)


async def load_workspace_specs(
    services: Services, *, reread_config: bool = False, warnings: list[str] | None = None
) -> list[PluginSpec]:
    """Read the plugin list of ``services.workspace`` (in a thread).

    Args:
        services: the running services.
        reread_config: load the config files again for ``[plugins]`` (a reload), instead of
            using ``services.settings.plugins``.
        warnings: receives one message per skipped ``.mcp.json`` entry (unknown type, bad name).

    Raises:
        PluginConfigError: ``.mcp.json`` or ``[plugins]`` is invalid.
        workbench.core.config.ConfigError: a config file is invalid (``reread_config`` only).
    """
    from workbench.core.mcp.plugins.plugin_config import load_specs

    def load() -> list[PluginSpec]:
        plugins = services.settings.plugins
        if reread_config:
            from workbench.core.config import load_settings

            plugins = load_settings(services.workspace).plugins
        return load_specs(services.workspace, plugins, warnings=warnings)

    return await asyncio.to_thread(load)


async def plugin_runtime(services: Services, *, start: bool = True) -> PluginSupervisor:
    """Return the workspace's plugin supervisor, creating it on the first call.

    On creation the supervisor gets the workspace's trust and tool-approval stores and its stderr
    logs go to ``workspace_data_dir(ws)/plugins``; its events are logged and published (see the
    module docstring); ``supervisor.aclose`` (after which queued events are still written) is
    added to ``services.closers``. With ``start`` the enabled, trusted plugins are started in the
    background (the call does not wait for them).

    Args:
        services: the running services.
        start: start the enabled, trusted plugins when the supervisor is created.

    Returns:
        The supervisor in ``services.plugins``.

    Raises:
        PluginConfigError: ``.mcp.json`` or ``[plugins]`` is invalid (nothing is created; call
            again after fixing it).
    """
    existing = services.plugins
    if existing is not None:
        return existing
    warnings: list[str] = []
    specs = await load_workspace_specs(services, warnings=warnings)
    existing = services.plugins
    if existing is not None:  # another caller won while we read the files
        return existing

    from workbench.core.mcp.plugins.plugin_trust import TrustStore
    from workbench.core.mcp.plugins.supervisor import PluginSupervisor
    from workbench.core.mcp.plugins.tool_approvals import ToolApprovals
    from workbench.core.paths import workspace_data_dir

    ws = services.workspace
    writer = _EventWriter(services)
    supervisor = PluginSupervisor(
        specs,
        on_event=writer,
        trust=TrustStore.for_workspace(ws),
        approvals=ToolApprovals.for_workspace(ws),
        log_dir=workspace_data_dir(ws) / "plugins",
    )
    supervisor.config_warnings = warnings  # skipped .mcp.json entries, for the UI to show
    services.plugins = supervisor
    from workbench.core.mcp.plugins.agent_tools import PREFIX, plugin_agent_tools

    services.chat.tool_sources[PREFIX] = lambda: plugin_agent_tools(supervisor)

    async def close() -> None:
        try:
            await supervisor.aclose()
        finally:
            await writer.aclose()

    services.closers.append(close)
    if start:
        _start_in_background(supervisor)
    return supervisor


def _start_in_background(supervisor: PluginSupervisor) -> asyncio.Task[Any]:
    return spawn(supervisor.start_all(wait=False), name="plugins-start-all")


async def reload_plugins(services: Services) -> PluginSupervisor:
    """Re-read ``.mcp.json`` and ``[plugins]`` and apply them to the running supervisor.

    New plugins are added (and started when enabled and trusted), removed ones stopped, changed
    running ones restarted (see :meth:`PluginSupervisor.update_specs`).

    Raises:
        PluginConfigError, ConfigError: the files are invalid; the running plugins are untouched.
    """
    if services.plugins is None:
        return await plugin_runtime(services)
    supervisor = await plugin_runtime(services, start=False)
    specs = await load_workspace_specs(services, reread_config=True)
    known = set(supervisor.handles)
    await supervisor.update_specs(specs)
    for name in supervisor.handles.keys() - known:
        handle = supervisor.handles[name]
        if handle.spec.settings.enabled and supervisor.is_trusted(name):
            await supervisor.start(name, wait=False)
    return supervisor


async def start_plugins_for_run(services: Services) -> list[str]:
    """Start the workspace's enabled, trusted plugins for a headless run and wait for them.

    Their tools (``mcp__<server>__<tool>``) are offered from the first model call; they stop
    when the services close. Nothing is created when no plugin is configured.

    Returns:
        Lines for stderr: skipped ``.mcp.json`` entries, one line naming the plugins not
        started because they are not trusted (or changed since trusted) with the command to
        trust them, and one line per plugin that failed to start. A broken ``.mcp.json`` is
        one line too (the run goes on without plugins).
    """
    from workbench.core.mcp.plugins.errors import PluginConfigError

    warnings: list[str] = []
    try:
        specs = await load_workspace_specs(services, warnings=warnings)
    except PluginConfigError as exc:
        return [f"MCP plugins are off for this run: {exc}"]
    if not specs:
        return warnings
    supervisor = await plugin_runtime(services, start=False)
    await supervisor.start_all(wait=True)
    lines = list(warnings)
    untrusted: list[str] = []
    for name in sorted(supervisor.handles):
        handle = supervisor.handles[name]
        status = supervisor.trust_status(name)
        if handle.spec.error or handle.state.value == "error":
            reason = handle.last_error.reason if handle.last_error else handle.spec.error
            lines.append(f"MCP plugin {name!r} did not start: {reason}")
        elif not status.trusted and handle.spec.settings.enabled:
            why = {"changed": "changed since trusted", "legacy": "trusted by an older Workbench"}.get(status.state)
            untrusted.append(f"{name} ({why})" if why else name)
    if untrusted:
        lines.append(
            f"MCP plugins not started (not trusted): {', '.join(untrusted)}; review and trust each with "
            "`workbench mcp trust NAME`"
        )
    return lines
