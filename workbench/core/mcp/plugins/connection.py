"""One live MCP connection: the SDK transport plus a ``ClientSession``, entered on an exit stack.

stdio: the SDK's ``stdio_client`` starts the plugin through the launcher
(:mod:`workbench.core.mcp.plugins._launcher`) with the environment from
:func:`workbench.core.mcp.plugins.env.build_plugin_env`; its stderr goes to a
:class:`~workbench.core.mcp.plugins.process.StderrCapture`. HTTP: the SDK's
``streamable_http_client``; SSE (``"type": "sse"``): the SDK's ``sse_client``. The read stream is wrapped so the end of the transport (a crash, the
server closing stdout) is observable; garbage on stdout reaches ``on_protocol_error``.

The ``mcp`` SDK is imported lazily (it costs tens of milliseconds at import).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from workbench.core.mcp.plugins.env import build_plugin_env
from workbench.core.mcp.plugins.plugin_config import PluginSpec
from workbench.core.mcp.plugins.process import StderrCapture, launcher_argv

CLIENT_NAME = "workbench"
CLIENT_VERSION = "0.1.0"


class _WatchedReadStream:
    """Delegates to the transport's read stream and calls ``on_end`` once when it ends."""

    def __init__(self, inner: Any, on_end: Callable[[], None]) -> None:
        self._inner = inner
        self._on_end = on_end
        self._ended = False

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._on_end()

    async def receive(self) -> Any:
        import anyio

        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._end()
            raise

    def __aiter__(self) -> _WatchedReadStream:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedReadStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._end()
        await self.aclose()

    def __getattr__(self, name: str) -> Any:  # e.g. ``last_context`` of context-aware streams
        return getattr(self._inner, name)


@dataclass
class Connection:
    """An initialized session.

    Attributes:
        session: the SDK ``ClientSession`` (safe to use from any task on the same loop).
        closed: set when the transport ended (the process exited or closed stdout).
        protocol_errors: messages of invalid lines the server wrote to stdout.
        server_name: ``serverInfo.name`` from ``initialize``.
    """

    session: Any
    closed: asyncio.Event
    protocol_errors: list[str] = field(default_factory=list)
    server_name: str = ""


async def open_connection(
    spec: PluginSpec,
    stack: AsyncExitStack,
    *,
    capture: StderrCapture | None,
    on_notification: Callable[[Any], Awaitable[None]],
    on_protocol_error: Callable[[str], None],
) -> Connection:
    """Start (stdio) or reach (HTTP) the server and run ``initialize``; contexts go on ``stack``.

    Bound it with a timeout in the caller. Closing ``stack`` closes the session, then the SDK
    closes stdin, waits, SIGTERMs and finally SIGKILLs the process group.

    Args:
        spec: the plugin.
        stack: exit stack owned by the calling task (anyio contexts exit in the task that entered them).
        capture: stderr capture for stdio plugins (None for HTTP).
        on_notification: awaited with each server notification (e.g. tools/list_changed).
        on_protocol_error: called with a message for each invalid message from the server.

    Returns:
        The initialized :class:`Connection`.

    Raises:
        OSError: the process could not be spawned (bad ``cwd``...).
        mcp.MCPError: the server answered ``initialize`` with an error or closed the connection.
    """
    from mcp import ClientSession
    from mcp.types import Implementation

    loop = asyncio.get_running_loop()
    closed = asyncio.Event()
    conn_errors: list[str] = []

    if spec.url and spec.transport == "sse":
        read, write = await _enter_sse(spec, stack)
    elif spec.url:
        read, write = await _enter_http(spec, stack)
    else:
        assert capture is not None
        read, write = await _enter_stdio(spec, stack, capture)

    def on_end() -> None:
        loop.call_soon(closed.set)

    async def message_handler(message: Any) -> None:
        if isinstance(message, Exception):
            text = describe_stream_error(message)
            conn_errors.append(text)
            on_protocol_error(text)
            return
        await on_notification(message)

    session = ClientSession(
        _WatchedReadStream(read, on_end),
        write,
        message_handler=message_handler,
        client_info=Implementation(name=CLIENT_NAME, version=CLIENT_VERSION),
    )
    await stack.enter_async_context(session)
    result = await session.initialize()
    return Connection(session=session, closed=closed, protocol_errors=conn_errors, server_name=result.server_info.name)


def describe_stream_error(exc: Exception) -> str:
    """Describe an invalid message the transport reported (for a stdio server: a stdout line)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
        except (IndexError, TypeError, ValueError):
            first = None
        if first and isinstance(first.get("input"), str):
            line = first["input"]
            shown = repr(line[:200]) + ("..." if len(line) > 200 else "")
            return (
                f"protocol error: the plugin wrote a line to stdout that is not a JSON-RPC message: {shown} "
                "(stdout is reserved for MCP messages; the plugin must log to stderr)"
            )
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"protocol error: invalid message from the plugin: {text}"


class _DropParseErrors(logging.Filter):
    """Drop the SDK's traceback for unparsable stdout lines: the supervisor reports them itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to parse JSONRPC message")


_PARSE_FILTER = _DropParseErrors()
logging.getLogger("mcp.client.stdio").addFilter(_PARSE_FILTER)


async def _enter_stdio(spec: PluginSpec, stack: AsyncExitStack, capture: StderrCapture) -> tuple[Any, Any]:
    from mcp import StdioServerParameters, stdio_client

    assert spec.command is not None
    env = build_plugin_env(spec.env)
    command, args = launcher_argv(spec.command, spec.args, list(env))
    params = StdioServerParameters(command=command, args=args, env=env, cwd=spec.cwd)
    try:
        streams = await stack.enter_async_context(stdio_client(params, errlog=capture.errlog()))
    finally:
        capture.spawned()
    return streams


async def _enter_http(spec: PluginSpec, stack: AsyncExitStack) -> tuple[Any, Any]:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    assert spec.url is not None
    client = await stack.enter_async_context(httpx2.AsyncClient(headers=dict(spec.headers), timeout=30.0))
    return await stack.enter_async_context(streamable_http_client(spec.url, http_client=client))


SSE_READ_TIMEOUT_S = 300.0
"""Seconds without any SSE event (the SDK's servers ping every 15 s) before the stream counts as dead."""


async def _enter_sse(spec: PluginSpec, stack: AsyncExitStack) -> tuple[Any, Any]:
    from mcp.client.sse import sse_client

    assert spec.url is not None
    return await stack.enter_async_context(
        sse_client(spec.url, headers=dict(spec.headers), timeout=30.0, sse_read_timeout=SSE_READ_TIMEOUT_S)
    )
