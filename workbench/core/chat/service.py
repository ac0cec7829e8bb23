"""The chat service: one session, one turn at a time.

A turn is: append ``user.message`` -> stream the reply from the model, appending
``assistant.delta`` batches -> append ``assistant.message`` (complete, or ``interrupted`` when
cancelled or cut) -> ``turn.finished``. Failures append ``turn.error`` with a one-line message. Every
event is committed to the log before it is published on the bus, so a subscriber (the TUI, the
headless printer) never shows anything the log does not hold.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.bus import EventBus
from workbench.core.chat.batcher import DeltaBatcher
from workbench.core.events import Event, EventKind
from workbench.core.llm.client import LLMClient
from workbench.core.llm.errors import LLMError
from workbench.core.llm.stream import Finish, ReasoningDelta, TextDelta, Usage
from workbench.core.store import AsyncEventStore, SessionInfo


class TurnInProgress(RuntimeError):
    """A turn is already running in this session."""


@dataclass
class TurnOutcome:
    """How a turn ended.

    Attributes:
        turn_id: the turn's id.
        status: ``"done"``, ``"error"`` or ``"cancelled"``.
        text: the reply text (partial when not done).
        error: the error message when status is ``"error"``.
        usage: token usage reported by the API, if any.
    """

    turn_id: str
    status: str
    text: str
    error: str | None = None
    usage: dict[str, int] | None = None


class ChatService:
    """Runs turns of one session against one :class:`LLMClient`.

    Args:
        store: the workspace's event log.
        bus: where committed events are published.
        llm: the model client.
        workspace: the workspace root.
        delta_batch_ms: batch interval for streamed deltas.
        system_prompt: optional extra system prompt.
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
    ) -> None:
        self.store = store
        self.bus = bus
        self.llm = llm
        self.workspace = Path(workspace).resolve()
        self.delta_batch_ms = delta_batch_ms
        self.system_prompt = system_prompt
        self.session: SessionInfo | None = None
        """The current session (None until the first prompt or :meth:`open`)."""
        self._messages: list[dict[str, Any]] | None = None
        self._running = False
        self.session_usage: dict[str, int] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        """Tokens used in this session so far (from the API's ``usage``)."""

    @property
    def running(self) -> bool:
        """True while a turn is in flight."""
        return self._running

    async def emit(self, *events: Event) -> list[Event]:
        """Append events to the log (one transaction), then publish them; return the stored events."""
        stored = await self.store.append_many(events)
        for event in stored:
            self.bus.publish(event)
        return stored

    async def new_session(self) -> SessionInfo:
        """Start a fresh session (it is written on the first prompt)."""
        await self.close()
        self.session = None
        self._messages = []
        self.session_usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return None  # type: ignore[return-value]

    async def open(self, session_id: str) -> SessionInfo:
        """Take over an existing session (resume): records ``session.opened`` with our pid.

        Raises:
            SessionNotFound: no such session.
        """
        await self.close()
        info = await self.store.session(session_id)
        self.session = info
        self._messages = None
        self.session_usage = {
            "prompt_tokens": info.prompt_tokens,
            "completion_tokens": info.completion_tokens,
            "total_tokens": info.prompt_tokens + info.completion_tokens,
        }
        await self.emit(Event(EventKind.SESSION_OPENED, info.id, {"pid": os.getpid(), "model": self.llm.model}))
        self.session = await self.store.session(info.id)
        return self.session

    async def _ensure_session(self) -> SessionInfo:
        if self.session is None:
            info = await self.store.create_session(self.workspace)
            self.session = info
            self._messages = []
            await self.emit(Event(EventKind.SESSION_OPENED, info.id, {"pid": os.getpid(), "model": self.llm.model}))
        return self.session

    async def close(self) -> None:
        """Record that this process closed the session cleanly (no-op without a session)."""
        if self.session is not None:
            await self.emit(Event(EventKind.SESSION_CLOSED, self.session.id, {}))
            self.session = None

    async def _conversation(self) -> list[dict[str, Any]]:
        if self._messages is None:
            assert self.session is not None
            events = await self.store.events(
                self.session.id, kinds=[EventKind.USER_MESSAGE, EventKind.ASSISTANT_MESSAGE]
            )
            msgs: list[dict[str, Any]] = []
            for e in events:
                if e.kind == EventKind.USER_MESSAGE:
                    msgs.append({"role": "user", "content": e.payload["text"]})
                elif e.payload.get("text"):
                    msgs.append({"role": "assistant", "content": e.payload["text"]})
            self._messages = msgs
        return self._messages

    def _system(self) -> list[dict[str, Any]]:
        text = (
            "You are the coding assistant inside Workbench, working on the project at "
            f"{self.workspace}. Answer in Markdown."
        )
        if self.system_prompt:
            text += "\n\n" + self.system_prompt
        return [{"role": "system", "content": text}]

    async def send(self, prompt: str) -> TurnOutcome:
        """Run one turn: record the prompt, stream the reply, record how it ended.

        Cancelling the task running this coroutine (``Esc`` in the TUI) keeps what arrived, marked
        interrupted, and re-raises :class:`asyncio.CancelledError`.

        Raises:
            TurnInProgress: a turn is already running.
            asyncio.CancelledError: the turn was cancelled (after recording it).
        """
        if self._running:
            raise TurnInProgress("a reply is still streaming; press Esc to cancel it first")
        self._running = True
        try:
            return await self._turn(prompt)
        finally:
            self._running = False

    async def _turn(self, prompt: str) -> TurnOutcome:
        session = await self._ensure_session()
        sid = session.id
        turn_id = uuid.uuid4().hex[:10]
        history = await self._conversation()
        await self.emit(Event(EventKind.USER_MESSAGE, sid, {"turn_id": turn_id, "text": prompt}))
        history.append({"role": "user", "content": prompt})

        async def flush(text: str, reasoning: str) -> None:
            await self.emit(
                Event(EventKind.ASSISTANT_DELTA, sid, {"turn_id": turn_id, "text": text, "reasoning": reasoning})
            )

        batcher = DeltaBatcher(flush, self.delta_batch_ms / 1000)
        usage: dict[str, int] | None = None
        finish: str | None = None

        async def end(interrupted: bool) -> None:
            await batcher.close()
            if batcher.text or batcher.reasoning or not interrupted:
                await self.emit(
                    Event(
                        EventKind.ASSISTANT_MESSAGE,
                        sid,
                        {
                            "turn_id": turn_id,
                            "text": batcher.text,
                            "reasoning": batcher.reasoning,
                            "finish_reason": finish,
                            "interrupted": interrupted,
                            "usage": usage,
                            "model": self.llm.model,
                            "request_id": self.llm.last_request_id,
                        },
                    )
                )
                if batcher.text:
                    history.append({"role": "assistant", "content": batcher.text})

        try:
            async for item in self.llm.stream_chat(self._system() + history):
                if isinstance(item, TextDelta):
                    batcher.add(text=item.text)
                elif isinstance(item, ReasoningDelta):
                    batcher.add(reasoning=item.text)
                elif isinstance(item, Usage):
                    usage = item.to_dict()
                    for k in self.session_usage:
                        self.session_usage[k] += usage[k]
                elif isinstance(item, Finish):
                    finish = item.reason
        except asyncio.CancelledError:
            await end(interrupted=True)
            await self.emit(
                Event(EventKind.TURN_CANCELLED, sid, {"turn_id": turn_id, "reason": "cancelled by the user"}),
                Event(EventKind.TURN_FINISHED, sid, {"turn_id": turn_id, "status": "cancelled"}),
            )
            raise
        except LLMError as exc:
            await end(interrupted=True)
            await self.emit(
                Event(
                    EventKind.TURN_ERROR,
                    sid,
                    {"turn_id": turn_id, "message": exc.message, "error_kind": exc.kind, "request_id": exc.request_id},
                ),
                Event(EventKind.TURN_FINISHED, sid, {"turn_id": turn_id, "status": "error"}),
            )
            return TurnOutcome(turn_id, "error", batcher.text, exc.message, usage)
        await end(interrupted=False)
        await self.emit(Event(EventKind.TURN_FINISHED, sid, {"turn_id": turn_id, "status": "done"}))
        return TurnOutcome(turn_id, "done", batcher.text, None, usage)
