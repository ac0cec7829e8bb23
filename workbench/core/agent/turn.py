"""One agent turn: the OpenAI function-calling loop.

Loop (https://platform.openai.com/docs/guides/function-calling): stream a reply with the tools
offered -> record it (text, reasoning, tool calls) -> if it asked for tools and finished cleanly,
run each call through :class:`~workbench.core.agent.runner.ToolRunner` and send the results back
-> repeat until a reply has no tool calls. Limits: ``agent.max_steps`` model calls, a per-tool
timeout, and ``agent.turn_budget`` seconds of wall clock for the whole turn.

Tool calls from a reply that did not finish cleanly (stream cut, malformed chunk,
``finish_reason`` "length" or "content_filter") are recorded as skipped and never executed.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core.agent.compaction import ContextOverflow
from workbench.core.agent.context import cut_off, turn_cost
from workbench.core.agent.toolcalls import ToolCall, ToolCallAccumulator
from workbench.core.chat.batcher import DeltaBatcher
from workbench.core.events import Event, EventKind
from workbench.core.llm.errors import LLMError
from workbench.core.llm.stream import Finish, ReasoningDelta, TextDelta, ToolCallDelta, Usage
from workbench.core.redact import Redactor, StreamRedactor

if TYPE_CHECKING:
    from workbench.core.agent.host import TurnHost

CLEAN_FINISH = ("stop", "tool_calls", "function_call")


@dataclass
class TurnOutcome:
    """How a turn ended.

    Attributes:
        turn_id: the turn's id.
        status: ``"done"``, ``"error"`` or ``"cancelled"``.
        text: the last reply's text (partial when not done).
        error: the error message when status is ``"error"``.
        usage: tokens used by the turn (all model calls).
        steps: model calls made.
        cost: price of the turn from the model's price table (None when unknown).
        tool_calls: calls run (or denied) in the turn.
    """

    turn_id: str
    status: str
    text: str
    error: str | None = None
    usage: dict[str, int] | None = None
    steps: int = 0
    cost: float | None = None
    tool_calls: int = 0


@dataclass
class _Step:
    text: str = ""
    reasoning: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    finish: str | None = None
    usage: dict[str, int] | None = None


class AgentTurn:
    """Runs one turn for ``chat`` (see module doc).

    ``chat`` is the turn's host: only the members of :class:`~workbench.core.agent.host.TurnHost`
    are used (the chat service in the product; a test checks the turn reaches for nothing else).
    """

    def __init__(self, chat: TurnHost, prompt: str) -> None:
        self.chat = chat
        self.prompt = prompt
        self.turn_id = uuid.uuid4().hex[:10]
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        self.cost: float | None = None
        self.tool_calls = 0
        self._changed = False

    def _add_usage(self, usage: dict[str, int] | None, *, session: bool = True) -> float | None:
        """Count one model call's usage in the turn (and, with ``session``, the session totals)."""
        if not usage:
            return None
        for key in self.usage:
            self.usage[key] += int(usage.get(key) or 0)
        if session:
            self.chat.add_usage(usage)
        price = self.chat.model_info()
        cost = turn_cost(usage, price.input_price, price.output_price) if price else None
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost
        return cost

    async def run(self) -> TurnOutcome:
        """Run the turn; cancellation is recorded, then re-raised."""
        chat = self.chat
        sid = (await chat.ensure_session()).id
        history = await chat.conversation()
        await chat.emit(Event(EventKind.USER_MESSAGE, sid, {"turn_id": self.turn_id, "text": self.prompt}))
        history.append({"role": "user", "content": self.prompt})
        step_no = 0
        last_text = ""
        try:
            async with asyncio.timeout(chat.agent.turn_budget):
                while True:
                    step_no += 1
                    if step_no > chat.agent.max_steps:
                        return await self._fail(
                            sid,
                            f"Stopped after {chat.agent.max_steps} model calls (agent.max_steps). Send a prompt to continue.",
                            "max_steps",
                            step_no - 1,
                        )
                    chat.refresh_tools()
                    try:
                        await chat.maybe_compact(history, on_usage=lambda u: self._add_usage(u, session=False))
                    except ContextOverflow as exc:
                        return await self._fail(sid, str(exc), "context_window", step_no - 1)
                    step = await self._stream_step(sid, step_no, history)
                    if isinstance(step, TurnOutcome):
                        return step
                    last_text = step.text
                    if not step.calls:
                        break
                    if step.finish not in CLEAN_FINISH:
                        await chat.emit(
                            Event(
                                EventKind.TOOL_CALLS_SKIPPED,
                                sid,
                                {
                                    "turn_id": self.turn_id,
                                    "step": step_no,
                                    "call_ids": [c.id for c in step.calls],
                                    "reason": f"the reply ended with finish_reason {step.finish!r}",
                                },
                            )
                        )
                        return await self._fail(
                            sid,
                            f"The reply ended with finish_reason {step.finish!r}; its {len(step.calls)} tool call(s) were not run.",
                            "unclean_finish",
                            step_no,
                        )
                    for call in step.calls:
                        self.tool_calls += 1
                        await self._checkpoint_before(sid, call)
                        outcome = await chat.runner.run(sid, self.turn_id, step_no, call)
                        history.append({"role": "tool", "tool_call_id": call.id, "content": outcome.content})
        except TimeoutError:
            return await self._fail(
                sid,
                f"The turn took longer than agent.turn_budget ({chat.agent.turn_budget:g} s) and was stopped.",
                "turn_budget",
                step_no,
            )
        except asyncio.CancelledError:
            await self._checkpoint_after()
            await chat.emit(
                Event(EventKind.TURN_CANCELLED, sid, {"turn_id": self.turn_id, "reason": "cancelled by the user"}),
                Event(
                    EventKind.TURN_FINISHED,
                    sid,
                    {"turn_id": self.turn_id, "status": "cancelled", "steps": step_no, "cost": self.cost},
                ),
            )
            raise
        await self._checkpoint_after()
        await chat.emit(
            Event(EventKind.TURN_FINISHED, sid, {"turn_id": self.turn_id, "status": "done", "steps": step_no, "cost": self.cost})
        )
        return TurnOutcome(self.turn_id, "done", last_text, None, self.usage, step_no, self.cost, self.tool_calls)

    async def _checkpoint_before(self, sid: str, call: ToolCall) -> None:
        """Snapshot the workspace before the first change (write or command) of the turn (session ``sid``)."""
        cps = self.chat.checkpoints
        tool = self.chat.registry.get(call.name)
        if cps is None or tool is None or self._changed or tool.spec.kind not in ("write", "command"):
            return
        self._changed = True
        try:
            await cps.checkpoint(
                f"before: {self.prompt.strip().splitlines()[0][:50] if self.prompt.strip() else 'turn'}", turn_id=self.turn_id
            )
        except Exception as exc:  # a failing snapshot must not block the work; say so
            await self.chat.emit(
                Event(
                    EventKind.TURN_ERROR,
                    sid,
                    {
                        "turn_id": self.turn_id,
                        "message": f"Checkpoint failed (continuing without it): {exc}",
                        "error_kind": "checkpoint",
                        "request_id": None,
                    },
                )
            )

    async def _checkpoint_after(self) -> None:
        """Snapshot at the end of a turn that may have changed files (recorded only if it did)."""
        cps = self.chat.checkpoints
        if cps is None or not self._changed:
            return
        try:
            await cps.checkpoint("after turn", turn_id=self.turn_id, always=False)
        except Exception:
            pass

    async def _fail(
        self, sid: str, message: str, kind: str, steps: int, request_id: str | None = None, text: str = ""
    ) -> TurnOutcome:
        await self._checkpoint_after()
        await self.chat.emit(
            Event(
                EventKind.TURN_ERROR,
                sid,
                {"turn_id": self.turn_id, "message": message, "error_kind": kind, "request_id": request_id},
            ),
            Event(EventKind.TURN_FINISHED, sid, {"turn_id": self.turn_id, "status": "error", "steps": steps, "cost": self.cost}),
        )
        return TurnOutcome(self.turn_id, "error", text, message, self.usage, steps, self.cost, self.tool_calls)

    async def _stream_step(self, sid: str, step_no: int, history: list[dict[str, Any]]) -> _Step | TurnOutcome:
        chat = self.chat
        turn_id = self.turn_id

        # Deltas pass a streaming redactor: a secret split across deltas is held back until it is
        # whole, then masked (per-event redaction in the store would miss it; SECURITY.md inv. 5).
        redactor = getattr(getattr(chat.store, "sync", None), "redactor", None) or Redactor()
        text_stream, reasoning_stream = StreamRedactor(redactor), StreamRedactor(redactor)

        async def emit_delta(text: str, reasoning: str) -> None:
            if text or reasoning:
                await chat.emit(
                    Event(
                        EventKind.ASSISTANT_DELTA,
                        sid,
                        {"turn_id": turn_id, "step": step_no, "text": text, "reasoning": reasoning},
                    )
                )

        async def flush(text: str, reasoning: str) -> None:
            await emit_delta(text_stream.feed(text), reasoning_stream.feed(reasoning))

        batcher = DeltaBatcher(flush, chat.delta_batch_ms / 1000)
        acc = ToolCallAccumulator()
        step = _Step()

        async def skip_calls(reason: str) -> None:
            """Record that the calls of this cut step never run (``tool.calls_skipped``)."""
            if step.calls:
                ids = [c.id for c in step.calls]
                payload = {"turn_id": turn_id, "step": step_no, "call_ids": ids, "reason": reason}
                await chat.emit(Event(EventKind.TOOL_CALLS_SKIPPED, sid, payload))

        async def end(interrupted: bool) -> None:
            await batcher.close()
            await emit_delta(text_stream.flush(), reasoning_stream.flush())
            step.text, step.reasoning = batcher.text, batcher.reasoning
            step.calls = acc.calls(turn_id, step_no)
            cost = self._add_usage(step.usage)
            if step.text or step.reasoning or step.calls or not interrupted:
                await chat.emit(
                    Event(
                        EventKind.ASSISTANT_MESSAGE,
                        sid,
                        {
                            "turn_id": turn_id,
                            "step": step_no,
                            "text": step.text,
                            "reasoning": step.reasoning,
                            "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in step.calls],
                            "finish_reason": step.finish,
                            "interrupted": interrupted,
                            "usage": step.usage,
                            "cost": cost,
                            "model": chat.llm.model,
                            "request_id": chat.llm.last_request_id,
                        },
                    )
                )

        chat.refresh_tools()
        tools = chat.registry.openai_tools() if len(chat.registry) else None
        system = await chat.system_messages()
        sent = system + history
        try:
            async for item in chat.llm.stream_chat(sent, tools=tools):
                if isinstance(item, TextDelta):
                    batcher.add(text=item.text)
                elif isinstance(item, ReasoningDelta):
                    batcher.add(reasoning=item.text)
                elif isinstance(item, ToolCallDelta):
                    acc.add(item)
                elif isinstance(item, Usage):
                    step.usage = item.to_dict()
                elif isinstance(item, Finish):
                    step.finish = item.reason
        except asyncio.CancelledError:
            await end(interrupted=True)
            if step.text:
                history.append({"role": "assistant", "content": cut_off(step.text)})
            await skip_calls("the turn was cancelled")
            raise
        except LLMError as exc:
            await end(interrupted=True)
            await skip_calls(f"the stream failed: {exc.kind}")
            if step.text:
                history.append({"role": "assistant", "content": cut_off(step.text)})
            return await self._fail(sid, exc.message, exc.kind, step_no, exc.request_id, step.text)
        await end(interrupted=False)
        if step.usage:  # correct the counter with what the server counted (:meth:`TokenCounter.observe`)
            chat.tokens.observe(chat.tokens.raw(sent, tools), int(step.usage.get("prompt_tokens") or 0))
        msg: dict[str, Any] = {"role": "assistant", "content": step.text or None}
        if step.calls and step.finish in CLEAN_FINISH:
            msg["tool_calls"] = [c.to_openai() for c in step.calls]
        if msg["content"] or msg.get("tool_calls"):
            history.append(msg)
        return step
