"""``run_command``: the agent's shell, always inside the session's sandbox container.

The command runs with ``docker exec`` in the session's hardened container (created on first use,
see :class:`~workbench.core.sandbox.service.SandboxService`); output streams live to the bus as
:class:`CommandOutput` items (the Containers pane and the chat show it) and is written in full to
the container's log file, while the model receives the exit code, the duration and the output
truncated to head and tail. A command that asks for network always needs an approval and runs in
a separate short-lived container, never the session's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        tool_timeout: returns ``[agent] tool_timeout`` (part of the one deadline).
        prune_crashed: removes the containers of crashed sessions; called when a session's first
            container is created; returns their names.
    """

    spec = SPEC

    def __init__(
        self,
        sandbox: Callable[[], Any],
        session_id: Callable[[], str],
        emit: Callable[..., Awaitable[Any]],
        publish: Callable[[Any], None],
        tool_timeout: Callable[[], float] | None = None,
        prune_crashed: Callable[[], Awaitable[list[str]]] | None = None,
    ) -> None:
        self._sandbox = sandbox
        self._session_id = session_id
        self._emit = emit
        self._publish = publish
        self._tool_timeout = tool_timeout
        self._prune_crashed = prune_crashed
        self.last_spool: Path | None = None
        """Spool file holding the whole output of the last command."""
        self._ensured: set[str] = set()
        self._pending_notes: dict[str, list[str]] = {}

    timeout_grace = 20.0
    """Seconds the agent runner waits past ``tool_timeout``: this tool enforces the deadline
    itself (killing the process tree and saying so once) and needs that long at most."""

    @property
    def last_output(self) -> str:
        """Output of the last command (for "copy the last command's output"), at most 8 MiB,
        read from its spool file."""
        if self.last_spool is None:
            return ""
        try:
            with open(self.last_spool, "rb") as fh:
                return fh.read(8 << 20).decode("utf-8", errors="replace")
        except OSError:
            return ""

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
        pruned: list[str] = []
        if info.outcome == "created" and self._prune_crashed is not None:
            try:
                pruned = await self._prune_crashed()
            except Exception:  # noqa: BLE001 - pruning is housekeeping; the command still runs
                pruned = []
        notes = self._pending_notes.setdefault(sid, [])
        if info.write_problem:
            notes.append(info.write_problem)
        if info.orphans_killed:
            notes.append(
                "the sandbox was reset to end commands a crashed session left running"
                if info.orphans_killed < 0
                else f"{info.orphans_killed} processes left running by a crashed session were killed"
            )
        if pruned:
            notes.append(f"removed {len(pruned)} stale sandbox container(s) of crashed sessions: {', '.join(pruned)}")
        await self._emit(
            Event(
                EventKind.SANDBOX_CONTAINER,
                sid,
                {
                    "outcome": info.outcome,
                    "container": c.id,
                    "name": c.name,
                    "image": c.image,
                    "setup": [{"command": s.command, "exit_code": s.exit_code} for s in (info.setup or [])],
                    "orphans_killed": info.orphans_killed,
                    "write_problem": info.write_problem,
                    "pruned": pruned,
                },
            )
        )

    def deadline(self, args: dict[str, Any], service: Any) -> float:
        """The command's one deadline in seconds: the smallest of the call's ``timeout``,
        ``[sandbox] command_timeout`` and ``[agent] tool_timeout``."""
        limits = [float(service.settings.command_timeout)]
        if args.get("timeout"):
            limits.append(float(args["timeout"]))
        if self._tool_timeout is not None:
            limits.append(float(self._tool_timeout()))
        return min(limits)

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Run the command; engine or image problems are raised as :class:`ToolError` with the fix."""
        from workbench.core.sandbox.errors import EngineUnavailable, ImageMissing, RuntimeMissing, SetupFailed

        command = args["command"]
        sid = self._session_id()
        try:
            service = self._sandbox()
            timeout = self.deadline(args, service)

            def on_output(stream: str, data: bytes) -> None:
                self._publish(CommandOutput(sid, None, None, stream, data.decode("utf-8", errors="replace")))

            spool = service.new_spool_path(sid)
            if args.get("network"):
                result = await service.run_command_with_network(command, timeout, on_output)
            else:
                await self._ensure(service, sid)
                result = await service.run_command(sid, command, timeout, on_output, spool=spool)
        except EngineUnavailable as exc:
            raise ToolError(
                f"run_command is unavailable: no Docker engine ({exc}). Ask the user to start Docker; do not retry."
            ) from exc
        except (ImageMissing, RuntimeMissing, SetupFailed) as exc:
            raise ToolError(f"run_command is unavailable: {exc}") from exc
        self.last_spool = result.spool_path
        status = "timed out (killed)" if result.timed_out else f"exit {result.exit_code}"
        if result.oom_killed:
            status += ", a process was killed for memory"
        if result.pids_limit_hit:
            status += ", hit the process limit"
        if result.reset:
            status += ", sandbox reset"
        header = f"$ {command}\n[{status}, {result.duration_s:.2f} s"
        if result.dropped_bytes:
            header += f", {result.dropped_bytes} bytes of output dropped from the middle"
            if result.spool_path is not None:
                header += f"; full output: {result.spool_path}"
        header += "]\n"
        content = header + result.output_for_model
        summary = f"{status} in {result.duration_s:.2f} s"
        if result.note:
            summary += f" ({result.note})"
        if result.dropped_bytes and result.spool_path is not None:
            summary += f"; full output: {result.spool_path}"
        notes = self._pending_notes.pop(sid, [])
        write_problem = any(n.startswith("the sandbox cannot write") for n in notes)
        if notes:
            content += "".join(f"\n[{n}]" for n in notes)
            summary += "".join(f"; {n}" for n in notes)
        failed = (
            result.timed_out
            or result.cancelled
            or result.oom_killed
            or result.reset
            or write_problem
            or result.exit_code not in (0, None)
        )
        return ToolResult(content, summary, is_error=bool(failed))
