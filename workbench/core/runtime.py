"""Building the services for one workspace (used by the TUI, the headless runner and the CLI)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core import paths
from workbench.core.agent.approvals import Approver
from workbench.core.agent.registry import ToolRegistry
from workbench.core.bus import EventBus
from workbench.core.chat.service import ChatService
from workbench.core.config import Settings
from workbench.core.llm.client import LLMClient, client_from_settings
from workbench.core.store import AsyncEventStore, LogWriteError, SessionInfo, SessionNotFound
from workbench.core.tools import builtin_tools

if TYPE_CHECKING:
    from workbench.core.checkpoints.service import CheckpointService
    from workbench.core.journal.service import JournalService
    from workbench.core.mcp.plugins.supervisor import PluginSupervisor
    from workbench.core.sandbox.service import SandboxService
    from workbench.core.sandbox.tool import RunCommandTool


# LogWriteError, SessionNotFound and SessionInfo are re-exported for the UI, which reaches the event
# log only through these services (the import contract in pyproject.toml): the errors the services
# raise and the session record they return.
__all__ = [
    "LogWriteError",
    "Services",
    "SessionInfo",
    "SessionNotFound",
    "event_log_path",
    "sandbox_service",
    "start_services",
]

event_log_path = paths.event_log_path


@dataclass
class Services:
    """The running services of one workspace.

    Attributes:
        workspace: the workspace root (absolute).
        settings: effective settings.
        store: the event log.
        bus: the event bus.
        llm: the model client.
        chat: the chat service.

    The subsystems are typed members, each created by its owner module: ``checkpoints``,
    ``run_command`` and ``journal`` when the services start (``checkpoints`` stays None when the
    shadow repository cannot be made), ``plugins`` on the first
    :func:`~workbench.core.mcp.plugins.service.plugin_runtime` call, and :attr:`sandbox` lazily on
    first use (creating it does not contact Docker).
    """

    workspace: Path
    settings: Settings
    store: AsyncEventStore
    bus: EventBus
    llm: LLMClient
    chat: ChatService
    checkpoints: CheckpointService | None = None
    """Checkpoints and rewind (None: checkpoints are off in this workspace, see :attr:`notices`)."""
    run_command: RunCommandTool | None = None
    """The agent's ``run_command`` tool (registered in ``chat.registry``)."""
    journal: JournalService | None = None
    """Keeps ``.workbench/journal/`` in step with the log (see :func:`~workbench.core.journal.service.start_journal`)."""
    plugins: PluginSupervisor | None = None
    """The MCP plugin supervisor, once :func:`~workbench.core.mcp.plugins.service.plugin_runtime` made it."""
    sandbox_started: SandboxService | None = None
    """The sandbox service if something used it already (None: Docker was never needed)."""
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Async callables run (last registered first) when the services close."""
    notices: list[str] = field(default_factory=list)
    """Messages for the user from startup (recovered rewinds, disabled subsystems)."""

    @property
    def sandbox(self) -> SandboxService:
        """The workspace's sandbox service, created on first use (Docker is contacted later, in a thread)."""
        svc = self.sandbox_started
        if svc is None:
            from workbench.core.sandbox.service import SandboxService

            svc = self.sandbox_started = SandboxService(self.settings.sandbox, self.workspace)
        return svc

    async def aclose(self) -> None:
        """Close the session cleanly, the model client and the log."""
        try:
            for closer in reversed(self.closers):
                try:
                    await closer()
                except Exception:  # one failing subsystem must not keep the log open
                    pass
            await self.chat.close()
            journal = self.journal
            if journal is not None:  # render session.closed too (stateRecovery.md says "closed")
                try:
                    await asyncio.wait_for(journal.update(), 5)
                except Exception:
                    pass
        finally:
            await self.llm.close()
            await self.store.close()


async def start_services(workspace: Path, settings: Settings, *, approver: Approver | None = None) -> Services:
    """Open the event log and build the services.

    Args:
        workspace: the workspace root.
        settings: effective settings.
        approver: resolves tool-call approvals; default: publish on the bus for the TUI.

    Raises:
        ConfigError: the model cannot be determined from the settings.
        CorruptLogError: the log is unusable even after moving a damaged file aside.
    """
    workspace = Path(workspace).resolve()
    llm = client_from_settings(settings.llm)
    store = await AsyncEventStore.open(event_log_path(workspace))
    from workbench.core.redact import Redactor

    redactor = Redactor.for_settings(settings, llm.secrets())
    await store.call(setattr, store.sync, "redactor", redactor)
    bus = EventBus()
    chat = ChatService(
        store,
        bus,
        llm,
        workspace,
        delta_batch_ms=settings.chat.delta_batch_ms,
        system_prompt=settings.chat.system_prompt,
        agent=settings.agent,
        rules=settings.permissions.rules(),
        registry=ToolRegistry(builtin_tools()),
        models=settings.models,
        approver=approver,
    )
    services = Services(workspace, settings, store, bus, llm, chat)
    _add_sandbox_tool(services)
    from workbench.core.tools.ask import interaction_tools

    for tool in interaction_tools(chat):  # update_plan, ask_user (issue 14)
        chat.registry.add(tool)
    await _add_checkpoints(services)
    from workbench.core.journal.service import start_journal

    start_journal(services)
    return services


async def _add_checkpoints(services: Services) -> None:
    from workbench.core.checkpoints import ShadowRepo
    from workbench.core.checkpoints.service import CheckpointService, recover_interrupted_rewind

    try:
        repo = ShadowRepo(services.workspace, settings=services.settings.checkpoints)
    except Exception as exc:  # no git, odd workspace: the chat still works, without checkpoints
        services.notices.append(f"Checkpoints are off: {exc}")
        return
    service = CheckpointService(services.chat, repo)
    if services.settings.sandbox.snapshot_on_checkpoint:
        service.sandbox = lambda: sandbox_service(services)
    services.chat.checkpoints = service
    services.checkpoints = service
    try:
        message = await recover_interrupted_rewind(repo, services.store, services.workspace)
    except Exception as exc:
        services.notices.append(f"An interrupted rewind could not be completed: {exc}")
    else:
        if message:
            services.notices.append(message)


def sandbox_service(services: Services) -> SandboxService:
    """Return the workspace's :class:`~workbench.core.sandbox.service.SandboxService` (``services.sandbox``).

    Creating it does not touch Docker; the engine is contacted on first use, in a thread.
    """
    return services.sandbox


def _add_sandbox_tool(services: Services) -> None:
    from workbench.core.sandbox.tool import RunCommandTool

    chat = services.chat

    def session_id() -> str:
        assert chat.session is not None, "run_command needs a session"
        return chat.session.id

    from workbench.core.sandbox.reattach import prune_crashed, stop_on_exit

    async def prune() -> list[str]:
        return await prune_crashed(services)

    async def stop() -> None:
        await stop_on_exit(services)

    tool = RunCommandTool(
        lambda: sandbox_service(services),
        session_id,
        chat.emit,
        services.bus.publish_threadsafe,
        tool_timeout=lambda: services.settings.agent.tool_timeout,
        prune_crashed=prune,
    )
    chat.registry.add(tool)
    services.run_command = tool
    services.closers.append(stop)
