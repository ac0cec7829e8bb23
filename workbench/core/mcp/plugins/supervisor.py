"""Supervise MCP plugins: start, watch, restart with backoff, stop without leaving processes.

Each plugin has one supervision task. A run: INITIALIZING (spawn, ``initialize`` and
``tools/list`` under ``init_timeout``) -> ACTIVE (until the transport ends, the server sends
invalid data, or a stop is requested) -> STOPPING -> STOPPED; any failure -> ERROR with a reason
and the tail of stderr, then an automatic restart after ``restart_base_delay * 2**n`` seconds
(capped), at most ``max_restarts`` times in a row. Plugins start in parallel and never wait on
each other; one plugin's runs never overlap (its lock serializes start/stop/restart).

Shutdown of a stdio plugin: the SDK closes its stdin, waits 2 s, SIGTERMs the process group and
SIGKILLs it 2 s later; the supervisor then SIGKILLs anything left in the group. A failed plugin is
SIGTERMed at once. Should Workbench itself be SIGKILLed, the launcher's ``PR_SET_PDEATHSIG``
(Linux) kills each plugin's main process, and closing stdin ends well-behaved servers on every
platform; grandchildren that a plugin started outside that are not covered on other platforms.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.core.mcp.plugins.errors import PluginNotFoundError, PluginNotTrustedError, ToolUnavailableError
from workbench.core.mcp.plugins.fingerprint import run_files
from workbench.core.mcp.plugins.handle import PluginFailure, PluginHandle, RecentCall
from workbench.core.mcp.plugins.orphans import PidRegistry
from workbench.core.mcp.plugins.plugin_config import PluginSpec
from workbench.core.mcp.plugins.plugin_trust import TrustStatus, TrustStore, describe_for_approval
from workbench.core.mcp.plugins.supervision import _SETTLED, STDERR_TAIL_LINES, _describe, _RunnerMixin
from workbench.core.mcp.plugins.supervisor_events import PluginEvent, PluginState, PluginToolCalled
from workbench.core.mcp.plugins.tool_approvals import ToolApprovals
from workbench.core.mcp.plugins.tools import PluginTool, PluginToolResult, convert_result
from workbench.core.tasks import spawn


class PluginSupervisor(_RunnerMixin):
    """Runs the configured plugins and offers their tools.

    Args:
        specs: the plugins (see :func:`workbench.core.mcp.plugins.plugin_config.load_specs`).
        on_event: called on the event loop with every :class:`PluginEvent` (exceptions are logged).
        trust: decisions for workspace specs; None means workspace specs are never started.
        approvals: tool approvals; None approves every listed tool.
        log_dir: where ``<name>.stderr.log`` files go (default: the data dir's ``plugins``).
        term_grace: seconds between SIGTERM and SIGKILL when killing a failed plugin's group.
    """

    def __init__(
        self,
        specs: Iterable[PluginSpec],
        on_event: Callable[[PluginEvent], None] | None = None,
        *,
        trust: TrustStore | None = None,
        approvals: ToolApprovals | None = None,
        log_dir: Path | None = None,
        term_grace: float = 2.0,
    ) -> None:
        if log_dir is None:
            from workbench.core.paths import data_home

            log_dir = data_home() / "plugins"
        self.log_dir = Path(log_dir)
        self.trust = trust
        self.workspace = trust.workspace if trust is not None else None
        """Workspace root for the files named on command lines (from ``trust``)."""
        self.approvals = approvals
        self.term_grace = term_grace
        self._on_event = on_event
        self.handles: dict[str, PluginHandle] = {}
        """Plugin name -> live :class:`PluginHandle` (read-only for callers)."""
        self._by_qualified: dict[str, tuple[PluginHandle, PluginTool]] = {}
        self.pids = PidRegistry(self.log_dir / "pids.json")
        """Process groups of running plugins (for :meth:`PidRegistry.reap_orphans` after a crash)."""
        self._reaped = False
        self.config_warnings: list[str] = []
        """Skipped ``.mcp.json`` entries (unknown type, bad name), set by whoever loaded the specs."""
        for spec in specs:
            self.handles[spec.name] = PluginHandle(spec, self.log_dir / f"{spec.name}.stderr.log")

    # -- queries --------------------------------------------------------------------------

    def handle(self, name: str) -> PluginHandle:
        """Return the handle of plugin ``name``.

        Raises:
            PluginNotFoundError: no such plugin.
        """
        try:
            return self.handles[name]
        except KeyError:
            known = ", ".join(sorted(self.handles)) or "none"
            raise PluginNotFoundError(f"no plugin named {name!r} (configured: {known})") from None

    def trust_status(self, name: str) -> TrustStatus:
        """The last known :class:`TrustStatus` of ``name`` (computed once if never checked).

        Cheap after the first call; :meth:`check_trust` refreshes it (every start and automatic
        restart does).
        """
        handle = self.handle(name)
        cached = handle._trust
        if cached is not None and cached[0] is handle.spec:
            return cached[1]
        status = self._compute_trust(handle.spec)
        handle._trust = (handle.spec, status)
        return status

    def _compute_trust(self, spec: PluginSpec) -> TrustStatus:
        if spec.source == "user":
            return TrustStatus("user")
        if self.trust is None:
            return TrustStatus("untrusted")
        return self.trust.status(spec)

    async def check_trust(self, name: str) -> TrustStatus:
        """Re-read the trust record and the files the plugin runs (in a thread); return the status."""
        handle = self.handle(name)
        spec = handle.spec
        status = await asyncio.to_thread(self._compute_trust, spec)
        handle._trust = (spec, status)
        return status

    def is_trusted(self, name: str) -> bool:
        """True when ``name`` may be started (user-level, or a workspace spec trusted as it is now)."""
        return self.trust_status(name).trusted

    def tools(self) -> list[PluginTool]:
        """Return every tool offered to the agent now (ACTIVE plugins, approved, allowed)."""
        return [t for h in self.handles.values() for t in h.enabled_tools()]

    def openai_tools(self) -> list[dict[str, Any]]:
        """Return :meth:`tools` as OpenAI function-tool dicts (``mcp__<server>__<tool>``)."""
        return [t.openai_tool() for t in self.tools()]

    # -- lifecycle ------------------------------------------------------------------------

    async def start_all(self, *, wait: bool = True) -> None:
        """Start every enabled, trusted plugin in parallel; untrusted ones stay REGISTERED.

        Args:
            wait: return once each started plugin is ACTIVE or ERROR (first attempt).
        """
        names = []
        for name, handle in self.handles.items():
            if handle.spec.settings.enabled and (handle.spec.error or (await self.check_trust(name)).trusted):
                names.append(name)
        await asyncio.gather(*(self.start(n, wait=wait) for n in names))

    async def start(self, name: str, *, wait: bool = True) -> PluginHandle:
        """Start plugin ``name`` (no-op when it is already running); resets the restart counter.

        The trust record and the files the plugin runs are checked first; an invalid entry
        (:attr:`PluginSpec.error`) goes to ERROR without starting anything.

        Args:
            name: the plugin.
            wait: return only once it is ACTIVE, ERROR or STOPPED.

        Raises:
            PluginNotFoundError: unknown name.
            PluginNotTrustedError: a workspace plugin that is not trusted as it is now (never
                trusted, or changed since; the message says what changed).
        """
        handle = self.handle(name)
        if handle.spec.error:
            if not handle.running:
                self._set_state(handle, PluginState.ERROR, PluginFailure(handle.spec.error))
            return handle
        status = await self.check_trust(name)
        if not status.trusted:
            text = await asyncio.to_thread(describe_for_approval, handle.spec, workspace=self.workspace, changes=status.changes)
            raise PluginNotTrustedError(name, text, status)
        await self.reap_orphans()
        async with handle._lock:
            if not handle.running:
                handle.restarts = 0
                handle.restart_delays = []
                handle._stop = asyncio.Event()
                handle._pinned_files = await asyncio.to_thread(run_files, handle.spec, self.workspace)
                self._set_state(handle, PluginState.INITIALIZING)
                handle._task = spawn(self._supervise(handle), name=f"plugin:{name}")
        if wait:
            await handle.wait_for(*_SETTLED)
        return handle

    async def _refuse_restart(self, handle: PluginHandle) -> str | None:
        """Why an automatic restart must not happen (trust or the files it runs changed), or None."""
        name = handle.name
        if handle.spec.source == "workspace":
            status = await self.check_trust(name)
            if not status.trusted:
                return (
                    f"not restarted: {status.summary()}. Review it and trust it again "
                    f"(workbench mcp trust {name}, or key t in the Plugins pane)"
                )
            return None
        now = await asyncio.to_thread(run_files, handle.spec, self.workspace)
        if now != handle._pinned_files:
            changed = sorted(k for k in now.keys() | handle._pinned_files.keys() if now.get(k) != handle._pinned_files.get(k))
            return (
                f"not restarted: the files it runs changed since it was started ({', '.join(changed)}); "
                "start it again by hand to run the new version"
            )
        return None

    async def reap_orphans(self) -> list[int]:
        """Kill plugin process groups left by an earlier Workbench that died (once per supervisor).

        Returns:
            The process group ids that were killed.
        """
        if self._reaped:
            return []
        self._reaped = True
        return await asyncio.to_thread(self.pids.reap_orphans)

    async def stop(self, name: str) -> None:
        """Stop plugin ``name`` (closes stdin, then SIGTERM, then SIGKILL) and wait until STOPPED."""
        handle = self.handle(name)
        async with handle._lock:
            handle._stop.set()
            if handle._init_scope is not None:
                handle._init_scope.cancel()  # do not wait for a slow or hung initialize
            if handle._task is not None:
                await asyncio.gather(handle._task, return_exceptions=True)
                handle._task = None

    async def restart(self, name: str) -> PluginHandle:
        """Stop then start ``name``; returns once it is ACTIVE or ERROR."""
        await self.stop(name)
        return await self.start(name)

    async def aclose(self) -> None:
        """Stop every plugin, in parallel."""
        await asyncio.gather(*(self.stop(n) for n in self.handles), return_exceptions=True)

    async def __aenter__(self) -> PluginSupervisor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable plugin ``name`` for this session; disabling stops it.

        The change is not written to the config file (the caller persists it if wanted).
        """
        handle = self.handle(name)
        handle.spec = replace(handle.spec, settings=handle.spec.settings.model_copy(update={"enabled": enabled}))
        if not enabled:
            await self.stop(name)

    async def update_specs(self, specs: Iterable[PluginSpec]) -> None:
        """Apply a reloaded configuration.

        New plugins are added (REGISTERED, not started); removed ones are stopped and dropped;
        running plugins whose spec changed are restarted with the new spec (if still trusted,
        else stopped); counters of kept plugins are preserved.
        """
        new = {spec.name: spec for spec in specs}
        for name in [n for n in self.handles if n not in new]:
            await self.stop(name)
            del self.handles[name]
        for name, spec in new.items():
            handle = self.handles.get(name)
            if handle is None:
                self.handles[name] = PluginHandle(spec, self.log_dir / f"{name}.stderr.log")
                continue
            if handle.spec == spec:
                continue
            was_running = handle.running
            await self.stop(name)
            handle.spec = spec
            if was_running and spec.settings.enabled and (await self.check_trust(name)).trusted:
                await self.start(name, wait=False)
        self._index_tools()

    def approve_tool(self, name: str, tool: str) -> None:
        """Approve the current definition of ``tool`` of plugin ``name`` (after a change)."""
        handle = self.handle(name)
        found = next((t for t in handle.tools if t.name == tool), None)
        if found is None:
            raise PluginNotFoundError(f"plugin {name!r} has no tool {tool!r}")
        if self.approvals is not None:
            self.approvals.approve(name, found.definition())
        handle.tools = [replace(t, status="approved", diff="") if t.name == tool else t for t in handle.tools]
        self._index_tools()
        self._emit_tools(handle)

    # -- tool calls -----------------------------------------------------------------------

    async def call_tool(
        self, qualified_name: str, arguments: dict[str, Any] | None = None, timeout: float | None = None
    ) -> PluginToolResult:
        """Call a plugin tool by its ``mcp__<server>__<tool>`` name.

        Tool errors, protocol errors, timeouts and a plugin that is not ACTIVE come back as a
        result with ``is_error=True`` (text for the model). Each call emits
        :class:`PluginToolCalled`.

        Args:
            qualified_name: the name offered to the model.
            arguments: the JSON arguments.
            timeout: seconds; default the plugin's ``call_timeout``.

        Raises:
            PluginNotFoundError: no tool by that name was offered.
            ToolUnavailableError: the tool changed and awaits approval, or is not allowed.
        """
        entry = self._by_qualified.get(qualified_name)
        if entry is None:
            raise PluginNotFoundError(f"no plugin tool named {qualified_name!r}")
        handle, tool = entry
        if not tool.enabled:
            why = "is not in allowed_tools" if not tool.allowed else f"is {tool.status} and awaits approval"
            raise ToolUnavailableError(f"tool {tool.name!r} of plugin {handle.name!r} {why}")
        timeout = timeout if timeout is not None else handle.spec.settings.call_timeout
        session = handle._session
        start = time.perf_counter()
        if handle.state != PluginState.ACTIVE or session is None:
            why = f": {handle.last_error.reason}" if handle.last_error and handle.state == PluginState.ERROR else ""
            result = PluginToolResult(f"plugin {handle.name!r} is {handle.state.value}{why}", True, 0.0)
        else:
            try:
                raw = await session.call_tool(tool.name, arguments or {}, read_timeout_seconds=timeout)
                result = convert_result(raw, time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an error result
                result = PluginToolResult(self._call_error(handle, tool, exc, timeout), True, time.perf_counter() - start)
        counters = handle.counters
        counters.calls += 1
        counters.errors += result.is_error
        counters.total_latency_s += result.duration_s
        handle.recent_calls.append(RecentCall(tool.name, result.duration_s, result.is_error, time.time()))
        self._emit(
            PluginToolCalled(
                handle.name,
                tool=tool.name,
                qualified_name=qualified_name,
                duration_s=result.duration_s,
                is_error=result.is_error,
                error=result.text if result.is_error else None,
            )
        )
        return result

    def _call_error(self, handle: PluginHandle, tool: PluginTool, exc: Exception, timeout: float) -> str:
        from mcp import MCPError
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        if isinstance(exc, MCPError) and exc.code == REQUEST_TIMEOUT:
            return f"tool {tool.name!r} of plugin {handle.name!r} timed out after {timeout:g}s"
        if isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED:
            tail = handle.stderr_tail(STDERR_TAIL_LINES)
            return str(PluginFailure(f"plugin {handle.name!r} closed the connection during the call", tail))
        if isinstance(exc, MCPError):
            return f"plugin {handle.name!r} returned error {exc.code}: {exc.message}"
        return f"calling {tool.name!r} of plugin {handle.name!r} failed: {_describe(exc)}"

    # -- internals --------------------------------------------------------------------------
