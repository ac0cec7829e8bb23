"""Keeping every request under the model's context window.

Before each model call :func:`fit_window` measures the request with the session's
:class:`~workbench.core.agent.tokens.TokenCounter` (``chat.tokens``: tiktoken or a calibrated
estimate, corrected by the server's reported usage; system prompt + history + tool schemas; the
previous call's reported ``prompt_tokens`` when larger). When it reaches
``agent.compact_at × context_window`` it shrinks the request, cheapest first:

1. old large tool results become short stubs (the event log keeps them; the model can re-read);
2. older turns are summarised (:func:`summarise`), keeping ``agent.keep_recent_turns`` turns
   verbatim, then fewer (down to only the turn in flight) while the request is still too large;
3. every large tool result, recent ones included, becomes a stub.

If the request still exceeds the window, :class:`ContextOverflow` says why. A summary request is
itself sized to fit the window, and its tokens and cost count in usage (session and turn).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from workbench.core.agent.context import conversation_from_events, stub_tool_results
from workbench.core.agent.tokens import TokenCounter, encoder_ready, tiktoken_encoder
from workbench.core.events import CONVERSATION_KINDS, Event, EventKind
from workbench.core.llm.errors import LLMError
from workbench.core.llm.stream import TextDelta, Usage

if TYPE_CHECKING:
    from workbench.core.chat.service import ChatService

UsageSink = Callable[[dict[str, int]], Any]
_SUMMARY_SYSTEM = (
    "You summarise coding sessions. Keep decisions, file names, open problems and the user's goals "
    "(the earliest task too). Be concise."
)


class ContextOverflow(Exception):
    """The request cannot be made to fit the context window; ``str()`` tells the user why."""


async def fit_window(chat: ChatService, history: list[dict[str, Any]], on_usage: UsageSink | None = None) -> bool:
    """Shrink ``history`` (in place) until the next request fits; see the module docstring.

    Returns:
        True when something was stubbed or summarised.

    Raises:
        ContextOverflow: still over ``context_window`` after every step.
        LLMError: a summary request failed.
    """
    if not encoder_ready(chat.llm.model):  # loading a BPE file takes ~100 ms: once, in a thread
        await asyncio.to_thread(tiktoken_encoder, chat.llm.model)
    window = chat.context_window()
    limit = chat.agent.compact_at * window
    system = await chat.system_messages()
    tools = chat.registry.openai_tools() if len(chat.registry) else None

    counter = chat.tokens

    def used() -> int:
        return counter.count(system + history, tools)

    if max(chat.last_prompt_tokens, used()) < limit:
        return False
    chat.last_prompt_tokens = 0  # the reported count is stale once we shrink
    stub_tool_results(history, lambda: used() >= limit, keep_last=1, counter=counter)
    if used() >= limit:
        keep = _turns_that_fit(
            history, chat.agent.keep_recent_turns, limit - used() + counter.count(history), chat.running, counter
        )
        if await compact(chat, reason="auto", keep=keep, on_usage=on_usage) is not None:
            stub_tool_results(history, lambda: used() >= limit, keep_last=1, counter=counter)
    stub_tool_results(history, lambda: used() >= limit, counter=counter)
    if used() >= window:
        raise ContextOverflow(
            f"The conversation does not fit the model's context window even after compacting: about {used()} "
            f"tokens (system prompt, tool schemas and the current turn) against a window of {window} "
            f'([models."{chat.llm.model}"] context_window). Start a new session (/new) or use a model with a larger window.'
        )
    return True


def _turns_that_fit(history: list[dict[str, Any]], keep: int, room: float, running: bool, counter: TokenCounter) -> int:
    """The most recent turns (at most ``keep``) whose messages fit in ``room`` tokens minus room
    for a summary; 0 when none does (the turn in flight is kept by :func:`compact` anyway)."""
    starts = [
        i
        for i, m in enumerate(history)
        if m.get("role") == "user" and not str(m.get("content", "")).startswith("Summary of the earlier")
    ]
    if running and starts:
        starts = starts[:-1]  # the turn in flight is kept on top of ``keep``
    target = room * 0.6
    for k in range(min(keep, len(starts)), 0, -1):
        if counter.count(history[starts[-k] :]) <= target:
            return k
    return 0


def _transcript(old: list[dict[str, Any]], budget_chars: int) -> str:
    """The text the summariser reads, at most ``budget_chars``: every message clipped, and when
    still too long the first message (an earlier summary) plus the most recent ones."""
    parts = []
    for m in old:
        limit = 300 if m["role"] == "tool" else 2000
        content = m.get("content") or ""
        text = content if len(content) <= limit else content[:limit] + f" [... {len(content) - limit} chars]"
        calls = "".join(
            f"\n[tool call {c['function']['name']}({c['function']['arguments'][:200]})]" for c in m.get("tool_calls", [])
        )
        parts.append(f"{m['role'].upper()}: {text}{calls}")
    joined = "\n\n".join(parts)
    if len(joined) <= budget_chars:
        return joined
    head = parts[0][: budget_chars // 3]
    tail_budget = budget_chars - len(head) - 40
    tail = joined[-tail_budget:] if tail_budget > 0 else ""
    return f"{head}\n\n[... earlier messages left out ...]\n\n{tail}"


async def compact(
    chat: ChatService, *, reason: str = "manual", keep: int | None = None, on_usage: UsageSink | None = None
) -> str | None:
    """Summarise all but the last ``keep`` turns (default ``agent.keep_recent_turns``; the turn in
    flight is always kept) into a ``context.compacted`` event and rebuild the conversation.

    The summary request is sized to ``compact_at × context_window``; its usage is added to the
    session totals (:meth:`ChatService.add_usage`), passed to ``on_usage`` and recorded in the event.

    Returns:
        The summary, or None when there is nothing old enough to compact.

    Raises:
        LLMError: the model failed to summarise (nothing is changed then).
    """
    if chat.session is None:
        return None
    events = await chat.store.events(chat.session.id, kinds=CONVERSATION_KINDS)
    users = [e for e in events if e.kind == EventKind.USER_MESSAGE]
    keep = chat.agent.keep_recent_turns if keep is None else keep
    if chat.running:
        keep += 1  # the turn in flight stays verbatim
    if len(users) <= keep:
        return None
    cut_seq = users[-keep].seq - 1 if keep else events[-1].seq
    old = conversation_from_events([e for e in events if e.seq <= cut_seq])
    counter = chat.tokens
    limit = int(chat.agent.compact_at * chat.context_window()) - 200  # room for the summary's reply framing
    budget = 4 * limit - 4 * counter.count([{"role": "system", "content": _SUMMARY_SYSTEM}]) - 600
    prefix = "Summarise this conversation so far so that work can continue from the summary alone:\n\n"
    for _ in range(6):  # the transcript is cut in characters; shrink until the counter agrees it fits
        request = [
            {"role": "system", "content": _SUMMARY_SYSTEM},
            {"role": "user", "content": prefix + _transcript(old, max(400, budget - len(prefix)))},
        ]
        used = counter.count(request)
        if used <= limit or budget <= 400:
            break
        budget = int(budget * limit / used * 0.95)
    parts: list[str] = []
    usage: dict[str, int] | None = None
    async for item in chat.llm.stream_chat(request):
        if isinstance(item, TextDelta):
            parts.append(item.text)
        elif isinstance(item, Usage):
            usage = item.to_dict()
    summary = "".join(parts).strip()
    if usage:
        chat.add_usage(usage)
        if on_usage is not None:
            on_usage(usage)
    if not summary:
        raise LLMError("The model returned an empty summary; nothing was compacted.", "api")
    max_summary = max(400, budget // 4)
    if len(summary) > max_summary:
        summary = summary[:max_summary] + " [summary cut to fit the context window]"
    summary += await _plan_note(chat)
    before = counter.count(await chat.conversation())
    info = chat.model_info()
    from workbench.core.agent.context import turn_cost

    cost = turn_cost(usage, info.input_price, info.output_price) if (usage and info) else None
    await chat.emit(
        Event(
            EventKind.CONTEXT_COMPACTED,
            chat.session.id,
            {
                "summary": summary,
                "up_to_seq": cut_seq,
                "tokens_before": before,
                "reason": reason,
                "usage": usage,
                "cost": cost,
            },
        )
    )
    events = await chat.store.events(chat.session.id, kinds=CONVERSATION_KINDS)
    rebuilt = conversation_from_events(events)
    messages = await chat.conversation()
    messages[:] = rebuilt
    chat.last_prompt_tokens = 0
    return summary


async def _plan_note(chat: ChatService) -> str:
    """The session's current plan (the last ``plan.updated``) as a note for the summary, or "".

    The ``update_plan`` calls that set it are among the turns being summarised; without this the
    model would lose its own checklist at the first compaction while the user still sees it.
    """
    from workbench.core.tools.plan import checklist, latest_plan

    assert chat.session is not None
    items = latest_plan(await chat.store.events(chat.session.id, kinds=(EventKind.PLAN_UPDATED,)))
    if not items:
        return ""
    return "\n\nYour current plan (kept by update_plan; update it as you go):\n" + "\n".join(checklist(items))
