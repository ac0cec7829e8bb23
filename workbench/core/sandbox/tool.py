"""``run_command``: the agent's shell, always inside the session's sandbox container.

The command runs with ``docker exec`` in the session's hardened container (created on first use,
see :class:`~workbench.core.sandbox.service.SandboxService`); output streams live to the bus as
:class:`CommandOutput` items (the Containers pane and the chat show it) and is written in full to
the container's log file, while the model receives the exit code, the duration and the output
truncated to head and tail. A command that asks for network always needs an approval and runs in
a separate short-lived container, never the session's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from workbench.core.events import Event, EventKind
from workbench.core.tools.base import Proposal, Tool, ToolContext, ToolError, ToolResult, ToolSpec


@dataclass(frozen=True)
class CommandOutput:
    """A chunk of a running command's output (published on the bus, not stored as an event).

    Attributes:
        session_id: the session.
        call_id: the tool call (None for commands typed in the Containers pane).
        container: the container id.
        stream: ``"stdout"`` or ``"stderr"``.
        text: decoded text (UTF-8, invalid bytes replaced).
    """

    session_id: str
    call_id: str | None
    container: str | None
    stream: str
    text: str


SPEC = ToolSpec(
    name="run_command",
    description=(
        "Run a shell command (sh -c) in the project's sandbox: a Docker container with the project "
        "mounted at /workspace (the working directory), no network, a read-only root filesystem "
        "(write to /workspace or /tmp), and CPU, memory and process limits. Returns the exit code, "
        "the duration and the output (long output is cut in the middle). Set network=true only when "
        "the command must download something; it always needs the user's approval."
    ),
    parameters={
        "type": "object",
        "properties": {
            "command": {"type": "string", "minLength": 1, "description": "shell command line"},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "description": "seconds (default from config)"},
            "network": {"type": "boolean", "description": "run in a separate container with network access (needs approval)"},
        },
        "required": ["command"],
        "additionalProperties": False,
    },
    mutates=True,
    kind="command",
)


class RunCommandTool(Tool):
    """The ``run_command`` tool bound to a workspace's sandbox.

    Args:
        sandbox: returns the workspace's :class:`SandboxService` (created lazily).
        session_id: returns the current session id.
        emit: commits events (sandbox lifecycle) to the log and publishes them.
        publish: publishes :class:`CommandOutput` items from any thread.
        current_call: returns the id of the tool call being run (for output attribution).
    """

    spec = SPEC

    def __init__(
        self,
        sandbox: Callable[[], Any],
        session_id: Callable[[], str],
        emit: Callable[..., Awaitable[Any]],
        publish: Callable[[Any], None],
    ) -> None:
        self._sandbox = sandbox
        self._session_id = session_id
        self._emit = emit
        self._publish = publish
        self.last_output: str = ""
        """Full output of the last command (for "copy the last command's output")."""
        self._ensured: set[str] = set()

    def mark_ensured(self, session_id: str) -> None:
        """Record that the session's container is known to run (e.g. re-attached on resume), so
        the next command does not record another ``sandbox.container`` event."""
        self._ensured.add(session_id)

    def force_ask(self, args: dict[str, Any]) -> str | None:
        """Why this call needs an approval whatever the mode (network access), or None."""
        if args.get("network"):
            return "the command asks for network access: always needs your approval"
        return None

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """Commands have no file preview; the modal shows the command line."""
        return Proposal(path="", old_text=None, new_text=None, diff="", editable=False)

    async def _ensure(self, service: Any, sid: str) -> None:
        if sid in self._ensured:
            return
        info = await service.ensure(sid)
        self._ensured.add(sid)
        c = info.container
        await self._emit(
            Event(
                EventKind.SANDBOX_CONTAINER,
                sid,
                {"outcome": info.outcome, "container": c.id, "name": c.name, "image": c.image,
                 "setup": [{"command": s.command, "exit_code": s.exit_code} for s in (info.setup or [])]},
            )
        )

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Run the command; engine or image problems are raised as :class:`ToolError` with the fix."""
        from workbench.core.sandbox.errors import EngineUnavailable, ImageMissing, RuntimeMissing, SetupFailed

        command = args["command"]
        sid = self._session_id()
        timeout = args.get("timeout")
        try:
            service = self._sandbox()
            chunks: list[str] = []

            def on_output(stream: str, data: bytes) -> None:
                text = data.decode("utf-8", errors="replace")
                chunks.append(text)
                self._publish(CommandOutput(sid, None, None, stream, text))

            if args.get("network"):
                result = await service.run_command_with_network(command, timeout, on_output)
            else:
                await self._ensure(service, sid)
                result = await service.run_command(sid, command, timeout, on_output)
        except EngineUnavailable as exc:
            raise ToolError(f"run_command is unavailable: no Docker engine ({exc}). Ask the user to start Docker; do not retry.") from exc
        except (ImageMissing, RuntimeMissing, SetupFailed) as exc:
            raise ToolError(f"run_command is unavailable: {exc}") from exc
        self.last_output = "".join(chunks)
        status = "timed out (killed)" if result.timed_out else f"exit {result.exit_code}"
        if result.oom_killed:
            status += ", OOM-killed (memory limit)"
        if result.pids_limit_hit:
            status += ", hit the process limit (pids_limit)"
        header = f"$ {command}\n[{status}, {result.duration_s:.2f} s"
        if result.dropped_bytes:
            header += f", {result.dropped_bytes} bytes of output dropped from the middle"
        header += "]\n"
        content = header + result.output_for_model
        if result.note:
            content += f"\n[{result.note}]"
        failed = result.timed_out or result.oom_killed or (result.exit_code not in (0, None))
        return ToolResult(content, f"{status} in {result.duration_s:.2f} s", is_error=bool(failed))
