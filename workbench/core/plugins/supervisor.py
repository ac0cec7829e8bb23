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
import logging
import math
import time
from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.core.plugins.approvals import ToolApprovals
from workbench.core.plugins.config import PluginSpec
from workbench.core.plugins.errors import PluginNotFoundError, PluginNotTrustedError, ToolUnavailableError
from workbench.core.plugins.events import (
    PluginEvent,
    PluginRestartScheduled,
    PluginState,
    PluginStateChanged,
    PluginStderr,
    PluginToolCalled,
    PluginToolsChanged,
)
from workbench.core.plugins.handle import PluginFailure, PluginHandle, RecentCall
from workbench.core.plugins.orphans import PidRegistry
from workbench.core.plugins.process import StderrCapture, terminate_group
from workbench.core.plugins.tools import PluginTool, PluginToolResult, convert_result, tool_from_mcp
from workbench.core.plugins.trust import TrustStore, describe_for_approval

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 20
"""Lines of stderr attached to an ERROR."""
STABLE_AFTER_S = 60.0
"""A run ACTIVE for this long resets the automatic restart counter."""

_SETTLED = (PluginState.ACTIVE, PluginState.ERROR, PluginState.STOPPED)


class _RunFailed(Exception):
    """A run ended in failure; ``args[0]`` is the reason."""


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    exc = _leaf(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class PluginSupervisor:
    """Runs the configured plugins and offers their tools.

    Args:
        specs: the plugins (see :func:`workbench.core.plugins.config.load_specs`).
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
        self.approvals = approvals
        self.term_grace = term_grace
        self._on_event = on_event
        self.handles: dict[str, PluginHandle] = {}
        self._by_qualified: dict[str, tuple[PluginHandle, PluginTool]] = {}
        self.pids = PidRegistry(self.log_dir / "pids.json")
        """Process groups of running plugins (for :meth:`PidRegistry.reap_orphans` after a crash)."""
        self._reaped = False
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

    def is_trusted(self, name: str) -> bool:
        """True when ``name`` may be started (user-level, or a workspace spec the user trusted)."""
        spec = self.handle(name).spec
        if spec.source == "user":
            return True
        return self.trust is not None and self.trust.is_trusted(spec)

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
        names = [n for n, h in self.handles.items() if h.spec.settings.enabled and self.is_trusted(n)]
        await asyncio.gather(*(self.start(n, wait=wait) for n in names))

    async def start(self, name: str, *, wait: bool = True) -> PluginHandle:
        """Start plugin ``name`` (no-op when it is already running); resets the restart counter.

        Args:
            name: the plugin.
            wait: return only once it is ACTIVE, ERROR or STOPPED.

        Raises:
            PluginNotFoundError: unknown name.
            PluginNotTrustedError: a workspace plugin whose command line is not trusted.
        """
        handle = self.handle(name)
        if not self.is_trusted(name):
            raise PluginNotTrustedError(name, describe_for_approval(handle.spec))
        await self.reap_orphans()
        async with handle._lock:
            if not handle.running:
                handle.restarts = 0
                handle.restart_delays = []
                handle._stop = asyncio.Event()
                self._set_state(handle, PluginState.INITIALIZING)
                handle._task = asyncio.create_task(self._supervise(handle), name=f"plugin:{name}")
        if wait:
            await handle.wait_for(*_SETTLED)
        return handle

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
            if was_running and spec.settings.enabled and self.is_trusted(name):
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
        handle.tools = [
            replace(t, status="approved", diff="") if t.name == tool else t
            for t in handle.tools
        ]
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
                result = PluginToolResult(self._call_error(handle, tool, exc, timeout), True,
                                          time.perf_counter() - start)
        counters = handle.counters
        counters.calls += 1
        counters.errors += result.is_error
        counters.total_latency_s += result.duration_s
        handle.recent_calls.append(RecentCall(tool.name, result.duration_s, result.is_error, time.time()))
        self._emit(PluginToolCalled(handle.name, tool=tool.name, qualified_name=qualified_name,
                                    duration_s=result.duration_s, is_error=result.is_error,
                                    error=result.text if result.is_error else None))
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

    def _emit(self, event: PluginEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a broken listener must not stop supervision
            log.exception("plugin event listener failed on %s", event.kind)

    def _set_state(self, handle: PluginHandle, new: PluginState, failure: PluginFailure | None = None) -> None:
        old = handle.state
        handle.state = new
        if new == PluginState.ERROR:
            handle.last_error = failure
        if new in (PluginState.INITIALIZING, PluginState.STOPPED, PluginState.ERROR):
            handle.started_at = None
        handle._changed.set()
        self._emit(PluginStateChanged(
            handle.name, old=old, new=new, pid=handle.pid,
            reason=failure.reason if failure else None,
            stderr_tail=list(failure.stderr_tail) if failure else [],
        ))

    def _index_tools(self) -> None:
        self._by_qualified = {
            t.qualified_name: (h, t) for h in self.handles.values() for t in h.tools
        }

    def _emit_tools(self, handle: PluginHandle) -> None:
        self._emit(PluginToolsChanged(
            handle.name,
            tools=[t.qualified_name for t in handle.tools if t.enabled],
            pending={t.name: t.diff for t in handle.tools if t.status != "approved"},
        ))

    async def _load_tools(self, handle: PluginHandle, session: Any) -> None:
        listed: list[Any] = []
        cursor: str | None = None
        from mcp.types import PaginatedRequestParams

        while True:
            page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
            listed.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        tools = [tool_from_mcp(handle.name, t) for t in listed]
        allowed = handle.spec.settings.allowed_tools
        reviews = {}
        if self.approvals is not None:
            reviews = await asyncio.to_thread(self.approvals.review, handle.name, [t.definition() for t in tools])
        out = []
        for t in tools:
            review = reviews.get(t.name)
            out.append(replace(
                t,
                status=review.status if review else "approved",
                diff=review.diff if review else "",
                allowed=allowed is None or t.name in allowed,
            ))
        handle.tools = out
        self._index_tools()
        self._emit_tools(handle)

    async def _refresh_tools(self, handle: PluginHandle, session: Any) -> None:
        try:
            await self._load_tools(handle, session)
        except Exception as exc:  # noqa: BLE001 - a failed refresh keeps the old list
            log.warning("plugin %s: reloading tools failed: %s", handle.name, _describe(exc))

    async def _supervise(self, handle: PluginHandle) -> None:
        settings = handle.spec.settings
        while True:
            ok = await self._run_once(handle)
            if ok or handle._stop.is_set():
                break
            if not settings.auto_restart or handle.restarts >= settings.max_restarts:
                break
            delay = min(settings.restart_base_delay * 2 ** handle.restarts, settings.restart_max_delay)
            handle.restarts += 1
            handle.restart_delays.append(delay)
            self._emit(PluginRestartScheduled(handle.name, attempt=handle.restarts,
                                              max_restarts=settings.max_restarts, delay_s=delay))
            try:
                await asyncio.wait_for(handle._stop.wait(), delay)
            except TimeoutError:
                continue
            break
        if handle._stop.is_set() and handle.state == PluginState.ERROR:
            self._set_state(handle, PluginState.STOPPED)

    async def _run_once(self, handle: PluginHandle) -> bool:
        """One run; returns True when it ended by a stop request, False on failure."""
        import anyio

        spec = handle.spec
        loop = asyncio.get_running_loop()
        handle.pid = None
        failure_future: asyncio.Future[str] = loop.create_future()
        handle._failure = failure_future

        def fail(reason: str) -> None:
            if not failure_future.done():
                failure_future.set_result(reason)

        def on_pid(pid: int) -> None:  # reader thread: blocking file IO is fine here
            self.pids.add(spec.name, pid)
            loop.call_soon_threadsafe(setattr, handle, "pid", pid)

        def on_lines(lines: list[str]) -> None:
            loop.call_soon_threadsafe(self._emit, PluginStderr(spec.name, lines=lines))

        capture = None
        if spec.command:
            capture = StderrCapture(handle.stderr_log, on_lines=on_lines, on_pid=on_pid)
        handle._capture = capture
        if handle.state != PluginState.INITIALIZING:
            self._set_state(handle, PluginState.INITIALIZING)
        reason: str | None = None
        active_since: float | None = None

        async def on_notification(message: Any) -> None:
            from mcp.types import ToolListChangedNotification

            if isinstance(message, ToolListChangedNotification) and handle._session is not None:
                handle._refresh = asyncio.create_task(self._refresh_tools(handle, handle._session))

        # The init deadline scope encloses the exit stack: anyio scopes must nest (LIFO) with the
        # SDK's task groups. stop() cancels it to abort a slow initialize.
        init_scope = anyio.CancelScope(deadline=anyio.current_time() + spec.settings.init_timeout)
        handle._init_scope = init_scope
        try:
            with init_scope:
                async with AsyncExitStack() as stack:
                    try:
                        if spec.cwd and not Path(spec.cwd).is_dir():
                            raise _RunFailed(
                                f"working directory {spec.cwd} does not exist (fix 'cwd' in {spec.origin})"
                            )
                        conn = await open_connection_lazy(
                            spec, stack, capture=capture, on_notification=on_notification, on_protocol_error=fail,
                        )
                        await self._load_tools(handle, conn.session)
                        if capture is not None and handle.pid is None:
                            await _wait_pid(handle)
                        await asyncio.sleep(0)  # let a pending protocol-error report land
                        if failure_future.done():
                            raise _RunFailed(failure_future.result())
                        init_scope.deadline = math.inf
                        handle._init_scope = None
                        handle._session = conn.session
                        handle.started_at = time.time()
                        active_since = time.monotonic()
                        self._set_state(handle, PluginState.ACTIVE)
                        reason = await self._watch(handle, conn, failure_future)
                    except _RunFailed as exc:
                        reason = str(exc)
                    except Exception as exc:  # noqa: BLE001 - any failure of a run is reported, not raised
                        reason = _startup_reason(exc)
                    finally:
                        handle._session = None
                        handle._init_scope = None
                        if handle._refresh is not None:
                            handle._refresh.cancel()
                        with anyio.CancelScope(shield=True):
                            if reason is None and not init_scope.cancel_called:
                                self._set_state(handle, PluginState.STOPPING)
                            elif reason is not None and handle.pid is not None:
                                # A failed plugin gets no polite grace period.
                                await terminate_group(handle.pid, self.term_grace)
        except Exception as exc:  # noqa: BLE001 - errors while closing the transport
            if reason is None and not handle._stop.is_set():
                reason = f"closing the connection failed: {_describe(exc)}"
        if init_scope.cancelled_caught and reason is None and not handle._stop.is_set():
            reason = (
                f"initialization timed out after {spec.settings.init_timeout:g}s "
                "(no answer to initialize/tools/list; raise init_timeout if it is just slow)"
            )
        if handle.pid is not None:
            if await terminate_group(handle.pid, self.term_grace):  # leftovers in the process group
                await asyncio.to_thread(self.pids.remove, handle.pid)
        if capture is not None:
            # Stderr is complete once every holder of the pipe is gone.
            await asyncio.to_thread(capture.eof.wait, 2.0)
        if active_since is not None and time.monotonic() - active_since >= STABLE_AFTER_S:
            handle.restarts = 0
        if reason is None:
            self._set_state(handle, PluginState.STOPPED)
            return True
        tail = handle.stderr_tail(STDERR_TAIL_LINES)
        self._set_state(handle, PluginState.ERROR, PluginFailure(reason, tail))
        return False

    async def _watch(self, handle: PluginHandle, conn: Any, failure: asyncio.Future[str]) -> str | None:
        """Wait while ACTIVE; return a failure reason, or None when a stop was requested."""
        stop_wait = asyncio.ensure_future(handle._stop.wait())
        closed_wait = asyncio.ensure_future(conn.closed.wait())
        try:
            await asyncio.wait({stop_wait, closed_wait, failure}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_wait.cancel()
            closed_wait.cancel()
        if failure.done():
            return failure.result()
        if conn.closed.is_set() and not handle._stop.is_set():
            return "the plugin exited or closed its stdout"
        return None


async def open_connection_lazy(*args: Any, **kwargs: Any) -> Any:
    """Import :mod:`.connection` (and the SDK) on first use, then open the connection."""
    from workbench.core.plugins.connection import open_connection

    return await open_connection(*args, **kwargs)


async def _wait_pid(handle: PluginHandle, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while handle.pid is None and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


def _startup_reason(exc: BaseException) -> str:
    leaf = _leaf(exc)
    try:
        from mcp import MCPError
        from mcp.types import CONNECTION_CLOSED
    except ImportError:  # pragma: no cover
        return _describe(leaf)
    if isinstance(leaf, MCPError) and leaf.code == CONNECTION_CLOSED:
        return "the plugin exited or closed its stdout before answering"
    if isinstance(leaf, MCPError):
        return f"the plugin answered with error {leaf.code}: {leaf.message}"
    if isinstance(leaf, OSError):
        return f"cannot start the plugin: {leaf}"
    return _describe(leaf)
