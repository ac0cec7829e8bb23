"""What an agent turn needs from its host: the :class:`TurnHost` protocol.

:class:`~workbench.core.agent.turn.AgentTurn` runs one turn *for* a host (the
:class:`~workbench.core.chat.service.ChatService` in the product). It used to take the whole chat
service and reach into it; this protocol names the members it uses, so the agent loop can be read,
tested and reused without the chat service, and a change of the chat service that keeps these
members cannot break the turn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from workbench.core.agent.registry import ToolRegistry
    from workbench.core.agent.runner import ToolRunner
    from workbench.core.agent.tokens import TokenCounter
    from workbench.core.checkpoints.service import CheckpointService
    from workbench.core.config import AgentSettings, ModelInfo
    from workbench.core.events import Event
    from workbench.core.llm.client import LLMClient
    from workbench.core.store import AsyncEventStore, SessionInfo


class TurnHost(Protocol):
    """The members of the chat service an agent turn uses (and nothing else).

    Attributes:
        session: the open session (None before :meth:`ensure_session`).
        agent: ``[agent]`` settings (``max_steps``, ``turn_budget``, ...).
        delta_batch_ms: how long streamed deltas are batched before one ``assistant.delta`` event.
        llm: the model client (``stream_chat``, ``model``, ``last_request_id``).
        registry: the tools offered to the model.
        runner: runs one tool call (permissions, approval, events).
        checkpoints: the checkpoint service, or None when checkpoints are off.
        store: the event log (its ``sync.redactor`` masks secrets in streamed text).
        tokens: the current model's token counter (calibrated with each reply's usage).
    """

    session: SessionInfo | None
    agent: AgentSettings
    delta_batch_ms: int
    llm: LLMClient
    registry: ToolRegistry
    runner: ToolRunner
    checkpoints: CheckpointService | None
    store: AsyncEventStore

    @property
    def tokens(self) -> TokenCounter:
        """The token counter of the current model."""
        ...

    async def emit(self, *events: Event) -> list[Event]:
        """Append ``events`` to the log (committed), then publish them."""
        ...

    async def ensure_session(self) -> SessionInfo:
        """Return the open session, creating one if needed."""
        ...

    async def conversation(self) -> list[dict[str, Any]]:
        """The model's view of the conversation so far (OpenAI ``messages``, no system prompt)."""
        ...

    async def system_messages(self) -> list[dict[str, Any]]:
        """The system messages sent before the conversation."""
        ...

    def refresh_tools(self) -> None:
        """Bring ``registry`` up to date with the tool sources (plugins)."""
        ...

    async def maybe_compact(self, history: list[dict[str, Any]], on_usage: Callable[[dict[str, int]], Any] | None = None) -> bool:
        """Compact ``history`` in place when it nears the context window; True when it did."""
        ...

    def add_usage(self, usage: dict[str, int]) -> None:
        """Count one model call's token usage in the session totals."""
        ...

    def model_info(self) -> ModelInfo | None:
        """Prices and context window of the current model, when configured."""
        ...
