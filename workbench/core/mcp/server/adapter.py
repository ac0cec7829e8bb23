"""Workbench as an MCP server (stdio): specs, journal, sessions and the sandbox for other agents.

Built with the official SDK's server API (``mcp.server.mcpserver.MCPServer``, protocol
https://modelcontextprotocol.io/specification). Tools:

* ``spec_list``, ``spec_read``, ``spec_lint``, ``spec_trace``, ``spec_set_task_state``;
* ``journal_recent`` (latest events of the workspace), ``journal_state_recovery``;
* ``sessions_list``, ``session_read`` (a conversation from the event log);
* ``sandbox_run``: a shell command in the workspace's Docker sandbox (session ``"mcp"``), with the
  sandbox's hardening (no network, limits, non-root user, see :mod:`workbench.core.sandbox.policy`).

Typed errors become tool error results (``isError``) carrying the message and its fix. The
blocking work runs in worker threads (the SDK runs synchronous tools with ``anyio.to_thread``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.mcp.server import queries

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from workbench.core.config import Settings

SANDBOX_SESSION = "mcp"
"""Session id of the sandbox container ``sandbox_run`` uses."""
SERVER_NAME = "workbench"
"""``serverInfo.name`` reported to clients."""

log = logging.getLogger("workbench.core.mcp.server")

_EXPECTED: tuple[type[BaseException], ...] = (LookupError, ValueError, OSError)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from workbench.core.sandbox.errors import SandboxError
    from workbench.core.specs.models import SpecError

    return (SpecError, SandboxError, *_EXPECTED)


def _as_tool_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the typed errors of ``fn`` into ``ToolError`` (an error result with the message)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mcp.server.mcpserver.exceptions import ToolError

        try:
            return fn(*args, **kwargs)
        except _expected_errors() as exc:
            raise ToolError(str(exc)) from exc

    return wrapper


class SandboxRunner:
    """Runs ``sandbox_run`` commands in one lazily created :class:`SandboxService`.

    Args:
        settings: the workspace's settings (``[sandbox]``).
        workspace: the workspace root.
    """

    def __init__(self, settings: Settings, workspace: Path) -> None:
        self.settings = settings
        self.workspace = workspace
        self.service: Any = None
        """The :class:`SandboxService` once a command ran (None before)."""

    def run(self, command: str, timeout: float | None = None) -> dict[str, Any]:
        """Run ``command`` with ``/bin/sh -c`` in ``/workspace`` of the sandbox (blocking).

        Returns:
            ``{"exit_code", "duration_s", "output", "timed_out", "oom_killed", "pids_limit_hit", "note"}``.

        Raises:
            EngineUnavailable: no Docker engine (the message says how to start one).
            ImageMissing, RuntimeMissing, SetupFailed: see :class:`SandboxService`.
        """
        if self.service is None:
            from workbench.core.sandbox.service import SandboxService

            self.service = SandboxService(self.settings.sandbox, self.workspace)
        r = self.service.run_command_sync(SANDBOX_SESSION, command, timeout)
        return {
            "exit_code": r.exit_code,
            "duration_s": round(r.duration_s, 3),
            "output": r.output_for_model,
            "timed_out": r.timed_out,
            "oom_killed": r.oom_killed,
            "pids_limit_hit": r.pids_limit_hit,
            "note": r.note,
        }

    def close(self) -> None:
        """Remove the ``mcp`` session container if one was created (blocking)."""
        if self.service is not None:
            try:
                self.service.prune_sync({SANDBOX_SESSION})
            except Exception as exc:  # noqa: BLE001 - best effort at shutdown
                log.warning("could not remove the sandbox container: %s", exc)


def build_server(workspace: Path, settings: Settings, sandbox: SandboxRunner | None = None) -> MCPServer:
    """Return the Workbench MCP server for ``workspace`` (not running yet).

    Args:
        workspace: the workspace root (absolute).
        settings: its effective settings.
        sandbox: the runner of ``sandbox_run`` (default: a new :class:`SandboxRunner`).
    """
    from mcp.server.mcpserver import MCPServer

    ws = Path(workspace).resolve()
    runner = sandbox or SandboxRunner(settings, ws)
    server = MCPServer(
        SERVER_NAME,
        instructions=(
            f"Workbench workspace {ws}: spec documents (.workbench/specs), the event log of its chat "
            "sessions (journal), and a hardened Docker sandbox that mounts the workspace at /workspace."
        ),
        log_level="WARNING",
    )

    @server.tool()
    @_as_tool_errors
    def spec_list() -> list[dict[str, Any]]:
        """List the workspace's specs with each document's workflow state and task progress."""
        return queries.spec_list(ws)

    @server.tool()
    @_as_tool_errors
    def spec_read(name: str, doc: Literal["requirements", "design", "tasks"] = "requirements") -> str:
        """Return the Markdown of one document of spec `name`."""
        return queries.spec_read(ws, name, doc)

    @server.tool()
    @_as_tool_errors
    def spec_lint(name: str | None = None) -> dict[str, Any]:
        """Parse and EARS-lint one spec (or all when `name` is omitted); lists every problem with file and line."""
        return queries.spec_lint(ws, name)

    @server.tool()
    @_as_tool_errors
    def spec_trace(name: str | None = None) -> list[dict[str, Any]]:
        """Traceability of one spec (or all), both ways: criterion -> tasks and design items (`matrix`,
        `design_matrix`), task -> criteria (`by_task`), design item -> criteria (`by_design`) and -> tasks
        (`design_tasks`), criteria no task / no design item covers, citations of unknown criteria."""
        return queries.spec_trace(ws, name)

    @server.tool()
    @_as_tool_errors
    def spec_set_task_state(name: str, task_id: str, state: Literal["todo", "in_progress", "done"]) -> dict[str, Any]:
        """Set the checkbox of task `task_id` (e.g. "2.1") in spec `name`'s tasks.md; other lines stay byte-identical."""
        return queries.spec_set_task_state(ws, name, task_id, state)

    @server.tool()
    @_as_tool_errors
    def journal_recent(limit: int = 50) -> list[dict[str, Any]]:
        """The latest events of the workspace (prompts, replies, errors, plugin events), oldest first."""
        return queries.journal_recent(ws, max(1, min(limit, 500)))

    @server.tool()
    @_as_tool_errors
    def journal_state_recovery() -> str:
        """Where work stopped: the latest session, its status, its last messages and how to resume it."""
        return queries.state_recovery(ws)

    @server.tool()
    @_as_tool_errors
    def sessions_list(limit: int = 50) -> list[dict[str, Any]]:
        """The workspace's chat sessions, most recently updated first (id, title, status, counts, model)."""
        return queries.sessions_list(ws, max(1, min(limit, 500)))

    @server.tool()
    @_as_tool_errors
    def session_read(session_id: str, limit: int = 200) -> dict[str, Any]:
        """A session's conversation (user, assistant and error messages); `session_id` may be a unique prefix."""
        return queries.session_read(ws, session_id, max(1, min(limit, 2000)))

    @server.tool()
    @_as_tool_errors
    def sandbox_run(command: str, timeout: float = 60.0) -> dict[str, Any]:
        """Run a shell command in the workspace's Docker sandbox (no network, resource limits, non-root),
        in /workspace; returns the exit code and the (truncated) combined output."""
        return runner.run(command, timeout)

    return server


async def serve_stdio(workspace: Path, settings: Settings) -> None:
    """Serve ``workspace`` over stdio until the client closes stdin; then remove the sandbox container."""
    import anyio

    runner = SandboxRunner(settings, Path(workspace).resolve())
    server = build_server(workspace, settings, runner)
    try:
        await server.run_stdio_async()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(runner.close)
