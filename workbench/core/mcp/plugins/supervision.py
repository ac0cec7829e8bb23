"""The supervision loop of one plugin: runs, failures, restarts with backoff, tool (re)loading.

Mixed into :class:`workbench.core.mcp.plugins.supervisor.PluginSupervisor`; see that module for the
lifecycle. Split out to keep each module small.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.mcp.plugins.handle import PluginFailure, PluginHandle
from workbench.core.mcp.plugins.process import StderrCapture, terminate_group
from workbench.core.mcp.plugins.supervisor_events import (
    PluginEvent,
    PluginRestartScheduled,
    PluginState,
    PluginStateChanged,
    PluginStderr,
    PluginToolsChanged,
)
from workbench.core.mcp.plugins.tool_approvals import ToolApprovals
from workbench.core.mcp.plugins.tools import PluginTool, tool_from_mcp
from workbench.core.tasks import spawn

if TYPE_CHECKING:
    from collections.abc import Callable

    from workbench.core.mcp.plugins.orphans import PidRegistry

log = logging.getLogger("workbench.core.mcp.plugins.supervisor")

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


class _RunnerMixin:
    """State changes, events and the per-plugin run loop (needs the attributes below)."""

    handles: dict[str, PluginHandle]
    approvals: ToolApprovals | None
    term_grace: float
    pids: PidRegistry
    _on_event: Callable[[PluginEvent], None] | None
    _by_qualified: dict[str, tuple[PluginHandle, PluginTool]]

    async def _refuse_restart(self, handle: PluginHandle) -> str | None:  # pragma: no cover - overridden
        return None

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
        self._emit(
            PluginStateChanged(
                handle.name,
                old=old,
                new=new,
                pid=handle.pid,
                reason=failure.reason if failure else None,
                stderr_tail=list(failure.stderr_tail) if failure else [],
            )
        )

    def _index_tools(self) -> None:
        self._by_qualified = {t.qualified_name: (h, t) for h in self.handles.values() for t in h.tools}

    def _emit_tools(self, handle: PluginHandle) -> None:
        self._emit(
            PluginToolsChanged(
                handle.name,
                tools=[t.qualified_name for t in handle.tools if t.enabled],
                pending={t.name: t.diff for t in handle.tools if t.status != "approved"},
            )
        )

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
            out.append(
                replace(
                    t,
                    status=review.status if review else "approved",
                    diff=review.diff if review else "",
                    allowed=allowed is None or t.name in allowed,
                )
            )
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
        first = True
        while True:
            if not first:  # trust and the files it runs are checked again before every restart
                refusal = await self._refuse_restart(handle)
                if refusal is not None:
                    self._set_state(handle, PluginState.ERROR, PluginFailure(refusal))
                    break
            first = False
            ok = await self._run_once(handle)
            if ok or handle._stop.is_set():
                break
            if not settings.auto_restart or handle.restarts >= settings.max_restarts:
                break
            delay = min(settings.restart_base_delay * 2**handle.restarts, settings.restart_max_delay)
            handle.restarts += 1
            handle.restart_delays.append(delay)
            self._emit(
                PluginRestartScheduled(handle.name, attempt=handle.restarts, max_restarts=settings.max_restarts, delay_s=delay)
            )
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
                handle._refresh = spawn(self._refresh_tools(handle, handle._session), name=f"plugin-tools:{handle.name}")

        # The init deadline scope encloses the exit stack: anyio scopes must nest (LIFO) with the
        # SDK's task groups. stop() cancels it to abort a slow initialize.
        init_scope = anyio.CancelScope(deadline=anyio.current_time() + spec.settings.init_timeout)
        handle._init_scope = init_scope
        try:
            with init_scope:
                async with AsyncExitStack() as stack:
                    try:
                        if spec.cwd and not Path(spec.cwd).is_dir():
                            raise _RunFailed(f"working directory {spec.cwd} does not exist (fix 'cwd' in {spec.origin})")
                        conn = await open_connection_lazy(
                            spec,
                            stack,
                            capture=capture,
                            on_notification=on_notification,
                            on_protocol_error=fail,
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
                            if reason is None and (handle._stop.is_set() or not init_scope.cancel_called):
                                self._set_state(handle, PluginState.STOPPING)
                            elif handle.pid is not None and (reason is not None or init_scope.cancel_called):
                                # A failed or timed-out plugin gets no polite grace period.
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
            capture.spawned()  # idempotent; closes our write end if the spawn never happened
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
        stop_wait = spawn(handle._stop.wait(), name="plugin-stop-wait")
        closed_wait = spawn(conn.closed.wait(), name="plugin-closed-wait")
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
    from workbench.core.mcp.plugins.connection import open_connection

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
