"""The chat service: one session, one turn at a time, the agent loop behind it.

A turn (see :class:`workbench.core.agent.turn.AgentTurn`) records the prompt, streams the model's
reply, runs the tool calls it asks for (with approvals), and repeats until the model answers
without tools. Every event is committed to the log before it is published on the bus, so a
subscriber (the TUI, the headless printer) never shows anything the log does not hold.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.agent.approvals import ApprovalDecision, ApprovalRequest, Approver
from workbench.core.agent.context import conversation_from_events, system_prompt
from workbench.core.agent.registry import ToolRegistry
from workbench.core.agent.runner import PermissionState, ToolRunner
from workbench.core.agent.turn import AgentTurn, TurnOutcome
from workbench.core.bus import EventBus
from workbench.core.config import AgentSettings, ModelInfo
from workbench.core.events import CONVERSATION_KINDS, Event, EventKind
from workbench.core.llm.client import LLMClient
from workbench.core.store import AsyncEventStore, SessionInfo
from workbench.core.tools.permissions import PermissionMode, PermissionRules

if TYPE_CHECKING:
    from workbench.core.agent.tokens import TokenCounter

__all__ = ["ChatService", "TurnInProgress", "TurnOutcome"]

ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


class TurnInProgress(RuntimeError):
    """A turn is already running in this session."""


class ChatService:
    """Runs turns of one session against one :class:`LLMClient`.

    Args:
        store: the workspace's event log.
        bus: where committed events (and approval requests) are published.
        llm: the model client.
        workspace: the workspace root.
        delta_batch_ms: batch interval for streamed deltas.
        system_prompt: optional extra system prompt.
        agent: agent loop settings (mode, limits, compaction).
        rules: permission rules.
        registry: the tools offered to the model (empty: plain chat).
        models: per-model context window and prices.
        approver: resolves approval requests; default: publish on the bus and await the UI.
    """

    def __init__(
        self,
        store: AsyncEventStore,
        bus: EventBus,
        llm: LLMClient,
        workspace: Path,
        *,
        delta_batch_ms: int = 75,
        system_prompt: str | None = None,
        agent: AgentSettings | None = None,
        rules: PermissionRules | None = None,
        registry: ToolRegistry | None = None,
        models: dict[str, ModelInfo] | None = None,
        approver: Approver | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.llm = llm
        self.workspace = Path(workspace).resolve()
        self.delta_batch_ms = delta_batch_ms
        self.extra_system_prompt = system_prompt
        self.agent = agent or AgentSettings()
        self.models = models or {}
        self.registry = registry or ToolRegistry()
        self.permissions = PermissionState(PermissionMode.parse(self.agent.mode), rules or PermissionRules.parse([], [], []))
        self.registry.hidden = lambda: self.permissions.rules.denied_tools()
        self.runner = ToolRunner(
            self.emit, self.registry, self.workspace, self.permissions, approver or self._ask_ui, self.agent.tool_timeout
        )
        self.runner.redactor = getattr(getattr(store, "sync", None), "redactor", None) or self.runner.redactor
        self.session: SessionInfo | None = None
        """The current session (None until the first prompt or :meth:`open`)."""
        self._messages: list[dict[str, Any]] | None = None
        self._running = False
        self.session_usage: dict[str, int] = dict(ZERO_USAGE)
        """Tokens used in this session so far (from the API's ``usage``)."""
        self.session_cost: float | None = None
        """Cost of this session so far from the price table (None when the model has no prices)."""
        self.last_prompt_tokens = 0
        """Prompt tokens of the latest model call (how full the context is)."""
        self.checkpoints: Any = None
        """The :class:`~workbench.core.checkpoints.service.CheckpointService`, when checkpoints are on."""
        self._tokens: tuple[str, TokenCounter] | None = None
        from workbench.core.agent.tokens import warm_up

        warm_up(self.llm.model)
        from workbench.core.agent.budgets import ResultBudgets

        self.runner.budgets = ResultBudgets(lambda: self.tokens, self.agent.tool_budgets, self.context_window)
        self.tool_sources: dict[str, Any] = {}
        """Dynamic tool sets: ``{name prefix: callable returning the current tools}`` (MCP plugins),
        refreshed before every model call."""

    def refresh_tools(self) -> None:
        """Bring dynamic tool sets (see :attr:`tool_sources`) up to date in the registry."""
        for prefix, source in self.tool_sources.items():
            try:
                tools = source()
            except Exception:  # a failing plugin must not stop the turn
                tools = []
            self.registry.replace_prefix(prefix, tools)

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a turn is in flight."""
        return self._running

    async def emit(self, *events: Event) -> list[Event]:
        """Append events to the log (one transaction), then publish them; return the stored events."""

        async def commit() -> list[Event]:
            stored = await self.store.append_many(events)
            for event in stored:
                self.bus.publish(event)
            return stored

        # Shielded: a caller cancelled mid-append must not leave a committed event unpublished.
        return await asyncio.shield(commit())

    async def _ask_ui(self, request: ApprovalRequest) -> ApprovalDecision:
        self.bus.publish(request)
        return await request.future

    def model_info(self) -> ModelInfo | None:
        """The price/context entry of the current model, if configured."""
        return self.models.get(self.llm.model)

    @property
    def tokens(self) -> TokenCounter:
        """The :class:`~workbench.core.agent.tokens.TokenCounter` of the current model (made anew when
        the model changes): the one counter compaction and the tool-result budgets use."""
        if self._tokens is None or self._tokens[0] != self.llm.model:
            from workbench.core.agent.tokens import TokenCounter

            self._tokens = (self.llm.model, TokenCounter.for_model(self.llm.model))
        return self._tokens[1]

    def context_window(self) -> int:
        """Tokens the current model accepts (``[models]`` config; 128k when unknown)."""
        info = self.model_info()
        return info.context_window if info else 128_000

    def add_usage(self, usage: dict[str, int]) -> None:
        """Add one model call's usage to the session totals (and its cost)."""
        for key in self.session_usage:
            self.session_usage[key] += int(usage.get(key) or 0)
        self.last_prompt_tokens = int(usage.get("prompt_tokens") or 0)
        info = self.model_info()
        if info is not None:
            from workbench.core.agent.context import turn_cost

            self.session_cost = (self.session_cost or 0.0) + (turn_cost(usage, info.input_price, info.output_price) or 0.0)

    # -- sessions ------------------------------------------------------------------------------
    async def new_session(self) -> None:
        """Close the current session; the next prompt starts a new one."""
        await self.close()
        self.session = None
        self._messages = []
        self.session_usage = dict(ZERO_USAGE)
        self.session_cost = None
        self.permissions.session_allow.clear()

    async def open(self, session_id: str) -> SessionInfo:
        """Take over an existing session (resume): records ``session.opened`` with our pid.

        Raises:
            SessionNotFound: no such session.
        """
        await self.close()
        info = await self.store.session(session_id)
        self.session = info
        self._messages = None
        self.permissions.session_allow.clear()
        self.session_usage = {
            "prompt_tokens": info.prompt_tokens,
            "completion_tokens": info.completion_tokens,
            "total_tokens": info.prompt_tokens + info.completion_tokens,
        }
        info_price = self.model_info()
        self.session_cost = None
        if info_price is not None:
            from workbench.core.agent.context import turn_cost

            self.session_cost = turn_cost(self.session_usage, info_price.input_price, info_price.output_price)
        await self.emit(Event(EventKind.SESSION_OPENED, info.id, {"pid": os.getpid(), "model": self.llm.model}))
        self.session = await self.store.session(info.id)
        return self.session

    async def ensure_session(self) -> SessionInfo:
        """Return the current session, creating it (and recording ``session.opened``) if needed."""
        if self.session is None:
            info = await self.store.create_session(self.workspace)
            self.session = info
            self._messages = []
            await self.emit(Event(EventKind.SESSION_OPENED, info.id, {"pid": os.getpid(), "model": self.llm.model}))
            if self.permissions.mode.value != "ask":
                await self.emit(Event(EventKind.MODE_CHANGED, info.id, {"mode": self.permissions.mode.value}))
        return self.session

    async def close(self) -> None:
        """Record that this process closed the session cleanly (no-op without a session)."""
        if self.session is not None:
            await self.emit(Event(EventKind.SESSION_CLOSED, self.session.id, {}))
            self.session = None

    async def conversation(self) -> list[dict[str, Any]]:
        """The model's view of the session (rebuilt from the log once, then kept in step)."""
        if self._messages is None:
            assert self.session is not None
            events = await self.store.events(self.session.id, kinds=CONVERSATION_KINDS)
            self._messages = conversation_from_events(events)
        return self._messages

    async def system_messages(self) -> list[dict[str, Any]]:
        """The system prompt (instructions, layout, mode) as a one-message list.

        Reading AGENTS.md / CLAUDE.md and scanning the workspace layout touch the disk, so they
        run in a thread, not on the event loop.
        """
        text = await asyncio.to_thread(
            system_prompt,
            self.workspace,
            extra=self.extra_system_prompt,
            mode=self.permissions.mode.value,
            max_instruction_bytes=self.agent.instructions_max_bytes,
            tools_available=bool(len(self.registry)),
        )
        return [{"role": "system", "content": text}]

    # -- settings changed from the chat --------------------------------------------------------
    async def set_mode(self, mode: str | PermissionMode) -> PermissionMode:
        """Switch the permission mode (recorded when a session exists).

        Raises:
            ValueError: unknown mode name.
        """
        new = mode if isinstance(mode, PermissionMode) else PermissionMode.parse(mode)
        self.permissions.mode = new
        if self.session is not None:
            await self.emit(Event(EventKind.MODE_CHANGED, self.session.id, {"mode": new.value}))
        return new

    async def set_model(self, model: str) -> None:
        """Use another model from the next request on (recorded when a session exists)."""
        self.llm.model = model
        self.llm.label = model
        if self.session is not None:
            await self.emit(Event(EventKind.MODEL_CHANGED, self.session.id, {"model": model}))

    # -- context compaction --------------------------------------------------------------------
    async def maybe_compact(self, history: list[dict[str, Any]], on_usage: Any = None) -> bool:
        """Shrink the request when it nears the context window (:func:`.compaction.fit_window`).

        Raises:
            ContextOverflow: it cannot be made to fit.
        """
        from workbench.core.agent.compaction import fit_window

        return await fit_window(self, history, on_usage)

    async def compact(self, *, reason: str = "manual", keep: int | None = None, on_usage: Any = None) -> str | None:
        """Summarise all but the last ``keep`` (default ``agent.keep_recent_turns``) turns
        (:func:`.compaction.compact`); returns the summary or None when nothing is old enough.

        Raises:
            LLMError: the model failed to summarise (nothing is changed then).
        """
        from workbench.core.agent.compaction import compact

        return await compact(self, reason=reason, keep=keep, on_usage=on_usage)

    # -- turns ---------------------------------------------------------------------------------
    async def send(self, prompt: str) -> TurnOutcome:
        """Run one agent turn for ``prompt`` (see :class:`~workbench.core.agent.turn.AgentTurn`).

        Cancelling the task running this coroutine (``Esc`` in the TUI) cancels the running tool
        and the model stream; what arrived is kept (marked interrupted) and the cancellation is
        recorded before :class:`asyncio.CancelledError` propagates.

        Raises:
            TurnInProgress: a turn is already running.
        """
        if self._running:
            raise TurnInProgress("a reply is still streaming; press Esc to cancel it first")
        self._running = True
        try:
            return await AgentTurn(self, prompt).run()
        finally:
            self._running = False
