"""What the model sees: the system prompt and the conversation rebuilt from the event log.

The system prompt holds the workspace's project instructions (``AGENTS.md``, see
https://agents.md, and ``CLAUDE.md`` when present) and a brief layout of the workspace. The
conversation is a projection of the log (:data:`~workbench.core.events.CONVERSATION_KINDS`): a
``context.compacted`` event replaces everything before it with its summary; a tool call with no
recorded result (the process died while it ran) is answered with an "outcome unknown" tool message,
never re-run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.core import event_payloads as P
from workbench.core.events import Event, EventKind
from workbench.core.sanitize import sanitize

INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md")
LAYOUT_SKIP = {".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache", ".tox", "dist", "build"}
OUTCOME_UNKNOWN = (
    "outcome unknown: Workbench stopped before this tool call recorded a result. It was not re-run; "
    "check the workspace before repeating it."
)

CUT_OFF_NOTE = "[This reply was cut off before it finished (interrupted); it is incomplete.]"
"""Appended to an interrupted reply in the model's view, so the model knows it stopped midway."""


def cut_off(text: str) -> str:
    """``text`` of an interrupted reply with :data:`CUT_OFF_NOTE` appended."""
    return (text.rstrip() + "\n\n" if text.strip() else "") + CUT_OFF_NOTE


def workspace_layout(workspace: Path, *, max_entries: int = 60) -> str:
    """A brief tree of the workspace: top-level entries and one level below folders.

    Args:
        workspace: the root.
        max_entries: lines at most (the rest is summarised as a count).
    """
    lines: list[str] = []
    hidden = 0
    try:
        top = sorted(os.scandir(workspace), key=lambda e: (not e.is_dir(follow_symlinks=False), e.name))
    except OSError:
        return "(workspace not readable)"
    for entry in top:
        if entry.name in LAYOUT_SKIP:
            continue
        if len(lines) >= max_entries:
            hidden += 1
            continue
        if entry.is_dir(follow_symlinks=False):
            try:
                children = sorted(
                    c.name + ("/" if c.is_dir(follow_symlinks=False) else "")
                    for c in os.scandir(entry.path)
                    if c.name not in LAYOUT_SKIP
                )
            except OSError:
                children = []
            shown = ", ".join(children[:8]) + (f", … (+{len(children) - 8})" if len(children) > 8 else "")
            lines.append(f"{entry.name}/  {shown}")
        else:
            lines.append(entry.name)
    if hidden:
        lines.append(f"… and {hidden} more entries")
    return "\n".join(lines) or "(empty workspace)"


def project_instructions(workspace: Path, max_bytes: int) -> list[tuple[str, str]]:
    """Return ``[(file name, text)]`` of the instruction files at the workspace root.

    Only trusted content is used (:func:`workbench.core.trust.effective_bytes`): an untrusted file
    is left out, a file changed since it was trusted contributes its trusted version. Symlinks are
    never followed.
    """
    from workbench.core import trust

    out = []
    for name in INSTRUCTION_FILES:
        if (workspace / name).is_symlink():
            continue
        data = trust.effective_bytes(workspace, name)
        if data is not None:
            out.append((name, data[:max_bytes].decode("utf-8", errors="replace")))
    return out


def system_prompt(workspace: Path, *, extra: str | None, mode: str, max_instruction_bytes: int, tools_available: bool) -> str:
    """Build the system prompt (workspace, mode, tools, instructions, layout)."""
    parts = [
        "You are the coding agent inside Workbench, working on the project at "
        f"{workspace}. All tool paths are relative to that folder. Answer in Markdown.",
        f"Permission mode: {mode}. The user approves or denies changes; when a call is denied, do not "
        "retry it unchanged: adapt or ask.",
    ]
    if tools_available:
        parts.append(
            "Use the tools to read before you change anything. Prefer edit_file (exact search/replace; "
            "multi_edit for several changes to one file) "
            "for small changes; write_file for new files. Keep changes minimal and explain them."
        )
    for name, text in project_instructions(workspace, max_instruction_bytes):
        parts.append(f"Project instructions from {name}:\n\n{text.strip()}")
    parts.append("Workspace layout (brief):\n" + workspace_layout(workspace))
    if extra:
        parts.append(extra)
    return "\n\n".join(parts)


def estimate_tokens(messages: Iterable[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    """Tokens of a request by the model-free estimate (:func:`.tokens.estimate_tokens`); compaction
    uses the session's :class:`~workbench.core.agent.tokens.TokenCounter` (``ChatService.tokens``)."""
    from workbench.core.agent.tokens import estimate_tokens as _estimate

    return _estimate(messages, tools)


STUB_THRESHOLD = 800
"""Tool results longer than this many characters may be replaced by a stub to fit the window."""
STUB_PREFIX = "[result of "


def stub_tool_results(history: list[dict[str, Any]], over: Any, *, keep_last: int = 0, counter: Any = None) -> int:
    """Replace large tool results in ``history`` (oldest first) by short re-readable stubs
    (:func:`workbench.core.agent.budgets.stub_for`: which call it was, how to get it again).

    Args:
        history: the model's messages; changed in place (the event log keeps the originals).
        over: callable returning True while the request is still too large; checked after each stub.
        keep_last: this many of the newest tool messages are left alone.
        counter: the :class:`~workbench.core.agent.tokens.TokenCounter` (for the stub's token count).

    Returns:
        The number of results stubbed.
    """
    from workbench.core.agent.budgets import call_index, stub_for
    from workbench.core.agent.tokens import estimate_text

    tools_at = [i for i, m in enumerate(history) if m.get("role") == "tool"]
    candidates = tools_at[: len(tools_at) - keep_last] if keep_last else tools_at
    calls: dict[str, tuple[str, str]] | None = None
    done = 0
    for i in candidates:
        if not over():
            break
        content = history[i].get("content") or ""
        if len(content) <= STUB_THRESHOLD or content.startswith(STUB_PREFIX):
            continue
        if calls is None:
            calls = call_index(history)
        name, arguments = calls.get(history[i].get("tool_call_id", ""), (None, None))
        tokens = counter.text(content) if counter is not None else estimate_text(content)
        history[i] = {**history[i], "content": stub_for(name, arguments, content, tokens)}
        done += 1
    return done


def conversation_from_events(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Rebuild the OpenAI ``messages`` (without the system prompt) from conversation events.

    Tool calls recorded as skipped are dropped from their assistant message; a requested call with
    no result gets an :data:`OUTCOME_UNKNOWN` tool message so the transcript stays valid. An
    interrupted reply (``interrupted: true``) keeps its text with :data:`CUT_OFF_NOTE` appended.
    """
    events = list(events)
    msgs: list[dict[str, Any]] = []
    compactions = [e for e in events if e.kind == EventKind.CONTEXT_COMPACTED]
    if compactions:
        last = compactions[-1]
        summary = P.ContextCompacted.of(last)
        cut = int(summary.up_to_seq if summary.up_to_seq is not None else last.seq)
        events = [e for e in events if e.seq > cut and e.kind != EventKind.CONTEXT_COMPACTED]
        msgs = [
            {"role": "user", "content": "Summary of the earlier conversation (compacted):\n\n" + summary.summary},
            {"role": "assistant", "content": "Understood; I will continue from this summary."},
        ]
    pending: dict[str, str] = {}  # call_id -> name, awaiting a result
    skipped: set[str] = set()
    for e in events:
        if e.kind == EventKind.TOOL_CALLS_SKIPPED:
            skipped.update(P.ToolCallsSkipped.of(e).call_ids)

    def close_pending() -> None:
        for call_id in list(pending):
            msgs.append({"role": "tool", "tool_call_id": call_id, "content": OUTCOME_UNKNOWN})
        pending.clear()

    for e in events:
        if e.kind == EventKind.USER_MESSAGE:
            close_pending()
            msgs.append({"role": "user", "content": P.UserMessage.of(e).text})
        elif e.kind == EventKind.ASSISTANT_MESSAGE:
            close_pending()
            reply = P.AssistantMessage.of(e)
            calls = [c for c in reply.tool_calls or () if c["id"] not in skipped]
            if not reply.text and not calls:
                continue
            content = reply.text or None
            if content and reply.interrupted:
                content = cut_off(content)
            msg: dict[str, Any] = {"role": "assistant", "content": content}
            if calls:
                msg["tool_calls"] = [
                    {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                    for c in calls
                ]
                for c in calls:
                    pending[c["id"]] = c["name"]
            msgs.append(msg)
        elif e.kind in (EventKind.TOOL_CALL_FINISHED, EventKind.TOOL_CALL_DENIED):
            result = e.data
            assert isinstance(result, (P.ToolCallFinished, P.ToolCallDenied))
            call_id = result.call_id
            if call_id not in pending:
                continue
            pending.pop(call_id)
            if isinstance(result, P.ToolCallFinished):
                content = sanitize(result.content)  # logs written before escaping kept it raw
            else:
                reason = result.reason or "no reason given"
                content = f"Denied: {reason}"
            msgs.append({"role": "tool", "tool_call_id": call_id, "content": content})
    close_pending()
    return msgs


def unfinished_calls(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Tool calls requested (and approved or started) with no result: ``[{"call_id", "name", "state"}]``.

    ``state`` is ``"started"`` (it may have run: outcome unknown) or ``"requested"`` (never ran).
    """
    state: dict[str | None, dict[str, Any]] = {}  # by call id (None only in a malformed log)
    for e in events:
        match e.data:
            case P.ToolCallRequested() as req:
                state[req.call_id] = {"call_id": req.call_id, "name": req.name, "state": "requested", "seq": e.seq}
            case P.ToolCallStarted() as started if started.call_id in state:
                state[started.call_id]["state"] = "started"
            case P.ToolCallFinished() | P.ToolCallDenied() as done:
                state.pop(done.call_id, None)
            case P.ToolCallsSkipped() as skipped:
                for cid in skipped.call_ids:
                    state.pop(cid, None)
    return list(state.values())


def turn_cost(usage: dict[str, int] | None, input_price: float, output_price: float) -> float | None:
    """Cost of one model call: tokens × price per million tokens (None without usage)."""
    if not usage:
        return None
    return usage.get("prompt_tokens", 0) * input_price / 1e6 + usage.get("completion_tokens", 0) * output_price / 1e6
