"""Running one tool call: validate -> decide -> (ask) -> run, every step an event first.

Order of events for a call (each committed before the step it describes happens):
``tool.requested`` -> ``tool.approved`` + ``tool.started`` (one transaction) -> ``tool.finished``;
or ``tool.requested`` -> ``approval.requested`` -> ``tool.denied``. Invalid arguments and unknown
tools finish with an error result the model can act on; they never run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.agent.approvals import ApprovalDecision, ApprovalRequest, Approver, with_user_edit
from workbench.core.agent.registry import ToolRegistry
from workbench.core.agent.toolcalls import ToolCall
from workbench.core.events import Event, EventKind
from workbench.core.sanitize import sanitize
from workbench.core.tools.base import ToolContext, ToolError, ToolResult, validate_arguments
from workbench.core.tools.permissions import (
    PermissionMode,
    PermissionRules,
    decide,
    rule_for,
    target_of,
    targets_of,
)

Emit = Callable[..., Awaitable[list[Event]]]


@dataclass
class PermissionState:
    """The session's permission mode, configured rules and "always allow" rules added this session."""

    mode: PermissionMode
    rules: PermissionRules
    session_allow: list[str] = field(default_factory=list)


@dataclass
class CallOutcome:
    """What the model gets back for one call (``content``), and how it ended."""

    call_id: str
    content: str
    outcome: str  # ok | error | timeout | cancelled | denied
    changed_paths: list[str] = field(default_factory=list)


def cap_result(content: str, max_chars: int) -> tuple[str, str | None]:
    """Bound a tool result before it reaches the model (any tool: built-in, command, MCP).

    Returns:
        ``(content for the model, full content or None)``: when ``content`` is longer than
        ``max_chars`` characters, its head with a note saying how much was cut and where the whole
        result is (the ``tool.finished`` event keeps it as ``full_content``); else ``(content, None)``.
    """
    if len(content) <= max_chars:
        return content, None
    keep = content[:max_chars]
    note = (
        f"\n\n[... result cut: {len(content) - max_chars} more characters ({len(content)} in all) are not shown, "
        f"to stay within the tool-result budget of {max_chars} characters. The full result is kept in the "
        "session log for the user. Ask for less: a narrower query, a path/glob, or offset/limit.]"
    )
    return keep + note, content


class ToolRunner:
    """Executes tool calls for one session.

    Args:
        emit: commits events to the log and publishes them (``ChatService.emit``).
        registry: the available tools.
        workspace: the workspace root.
        permissions: mode and rules (mutated by "always allow" and mode changes).
        approver: resolves approval requests.
        tool_timeout: seconds per call.
    """

    def __init__(
        self,
        emit: Emit,
        registry: ToolRegistry,
        workspace: Path,
        permissions: PermissionState,
        approver: Approver,
        tool_timeout: float,
    ) -> None:
        self.emit = emit
        self.registry = registry
        self.ctx = ToolContext(workspace=workspace)
        self.permissions = permissions
        self.approver = approver
        self.tool_timeout = tool_timeout
        from workbench.core.guard import ProtectedGuard

        self._guard_turn: str | None = None
        self.guard = ProtectedGuard(workspace)
        """Checks the protected paths after every call (:mod:`workbench.core.guard.check`)."""
        from workbench.core.agent.budgets import ResultBudgets
        from workbench.core.agent.tokens import TokenCounter
        from workbench.core.redact import Redactor

        counter = TokenCounter()
        self.budgets = ResultBudgets(lambda: counter)
        """Per-tool token budgets of results (:mod:`workbench.core.agent.budgets`); the chat service
        sets the session's (its model's counter, ``agent.tool_budgets``, the context window)."""
        self.redactor = Redactor()
        """Masks secrets in what approval requests show (the modal is a sink too); the chat
        service sets the session's redactor."""

    async def _finish(
        self, sid: str, call: ToolCall, result: ToolResult, started: float, outcome: str, *, edited: bool = False
    ) -> CallOutcome:
        raw = result.content  # shown and sent escaped; the raw text stays in the log (raw_content)
        safe = await asyncio.to_thread(sanitize, raw) if len(raw) > 65536 else sanitize(raw)
        if len(safe) > 8192 and self.budgets.counter().method != "estimate":
            # tokenizing tens of KB takes milliseconds: off the event loop (the estimate takes microseconds)
            content, cut = await asyncio.to_thread(self.budgets.cap, call.name, safe)
        else:
            content, cut = self.budgets.cap(call.name, safe)
        content, full = cap_result(content, self.ctx.limits.result_max_chars)
        if cut:
            full = safe
        await self.emit(
            Event(
                EventKind.TOOL_CALL_FINISHED,
                sid,
                {
                    "call_id": call.id,
                    "name": call.name,
                    "content": content,
                    **({"full_content": full} if full is not None else {}),
                    **({"raw_content": raw} if safe is not raw else {}),
                    "summary": sanitize(result.summary) if result.summary else result.summary,
                    "is_error": result.is_error,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "changed_paths": result.changed_paths,
                    "diff": result.diff,
                    "outcome": outcome,
                    "edited": edited,
                },
            )
        )
        return CallOutcome(call.id, content, outcome, result.changed_paths)

    async def run(self, sid: str, turn_id: str, step: int, call: ToolCall) -> CallOutcome:
        """Run one call (see module doc). Cancellation is recorded, then re-raised."""
        started = time.perf_counter()
        requested = Event(
            EventKind.TOOL_CALL_REQUESTED,
            sid,
            {"turn_id": turn_id, "step": step, "call_id": call.id, "name": call.name, "arguments": call.arguments},
        )
        tool = self.registry.get(call.name)
        if tool is None:
            await self.emit(requested)
            available = ", ".join(self.registry.names())
            err = ToolResult(
                f"Error: unknown tool {call.name!r}. Available tools: {available}.", f"unknown tool {call.name}", is_error=True
            )
            return await self._finish(sid, call, err, started, "error")
        try:
            args = validate_arguments(tool.spec, call.arguments)
        except ToolError as exc:
            await self.emit(requested)
            return await self._finish(sid, call, ToolResult.from_error(call.name, exc), started, "error")
        perms = self.permissions
        extra = await asyncio.to_thread(self.guard.extra_protected)
        decision = decide(tool.spec, targets_of(call.name, args), perms.mode, perms.rules, perms.session_allow, extra)
        approved_paths: frozenset[str] = frozenset()
        forced = getattr(tool, "force_ask", None)
        forced_reason = forced(args) if forced is not None else None
        if forced_reason and decision.action == "allow":
            from workbench.core.tools.permissions import Decision

            decision = Decision("ask", forced_reason, True)
        override: str | None = None
        if decision.action == "deny":
            by = "mode" if "mode" in decision.reason else "rule"
            await self.emit(
                requested,
                Event(
                    EventKind.TOOL_CALL_DENIED, sid, {"call_id": call.id, "name": call.name, "by": by, "reason": decision.reason}
                ),
            )
            return CallOutcome(call.id, f"Denied: {decision.reason}", "denied")
        if decision.action == "ask":
            await self.emit(requested)
            request = ApprovalRequest(
                sid, call.id, call.name, self.redactor(args), decision.reason, decision.protected, kind=tool.spec.kind
            )
            if tool.spec.mutates:
                try:
                    proposal = await tool.preview(args, self.ctx)
                except ToolError as exc:
                    return await self._finish(sid, call, ToolResult.from_error(call.name, exc), started, "error")
                request.diff = self.redactor.text(proposal.diff) if proposal.diff else proposal.diff
                request.new_text = proposal.new_text if proposal.editable else None
            if not decision.protected:
                request.rule = rule_for(tool.spec, target_of(call.name, args))
            await self.emit(
                Event(
                    EventKind.APPROVAL_REQUESTED,
                    sid,
                    {
                        "call_id": call.id,
                        "name": call.name,
                        "arguments": args,
                        "reason": decision.reason,
                        "protected": decision.protected,
                    },
                )
            )
            try:
                answer: ApprovalDecision = await self.approver(request)
            except asyncio.CancelledError:
                if not request.future.done():
                    request.future.cancel()
                await self.emit(
                    Event(
                        EventKind.TOOL_CALL_DENIED,
                        sid,
                        {
                            "call_id": call.id,
                            "name": call.name,
                            "by": "cancelled",
                            "reason": "the turn was cancelled before the approval",
                        },
                    )
                )
                raise
            if answer.action == "deny":
                reason = answer.reason or "the user denied this call"
                await self.emit(
                    Event(
                        EventKind.TOOL_CALL_DENIED,
                        sid,
                        {"call_id": call.id, "name": call.name, "by": answer.by, "reason": reason},
                    )
                )
                prefix = "Denied by the user" if answer.by == "user" else "Denied"
                return CallOutcome(call.id, f"{prefix}: {reason}", "denied")
            by = "user"
            if decision.protected and tool.spec.kind != "command":
                approved_paths = frozenset(
                    "/".join(t.casefold().split("/")[: i + 1])
                    for t in targets_of(call.name, args)
                    for i in range(t.count("/") + 1)
                )  # the approved files and the folders created for them
            if answer.action == "always" and request.rule and not decision.protected:
                perms.session_allow.append(request.rule)
                by = "user-always"
            override = answer.edited_content
            approved = Event(
                EventKind.TOOL_CALL_APPROVED,
                sid,
                {
                    "call_id": call.id,
                    "name": call.name,
                    "by": by,
                    "rule": request.rule if by == "user-always" else None,
                    "edited": override is not None,
                },
            )
            early, before = await self._guard_start(sid, turn_id, call, args)
            await self.emit(approved, Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": call.id, "name": call.name}))
        else:
            by = "rule" if "rule" in decision.reason else "mode"
            approved = Event(
                EventKind.TOOL_CALL_APPROVED,
                sid,
                {"call_id": call.id, "name": call.name, "by": by, "rule": None, "edited": False, "reason": decision.reason},
            )
            await self.emit(requested)
            early, before = await self._guard_start(sid, turn_id, call, args)
            await self.emit(approved, Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": call.id, "name": call.name}))
        started = time.perf_counter()  # the duration is the tool's own run, not the wait for approval
        try:
            result = await asyncio.wait_for(
                tool.run(args, self.ctx, override=override), self.tool_timeout + float(getattr(tool, "timeout_grace", 0.0))
            )
            outcome = "error" if result.is_error else "ok"
        except ToolError as exc:
            result, outcome = ToolResult.from_error(call.name, exc), "error"
        except TimeoutError:
            result = ToolResult(
                f"Error: {call.name} timed out after {self.tool_timeout:g} s and was cancelled.", "timed out", is_error=True
            )
            outcome = "timeout"
        except asyncio.CancelledError:
            res = ToolResult(f"Cancelled by the user while {call.name} was running.", "cancelled", is_error=True)
            await asyncio.shield(self._check_protected(sid, call, args, before, approved_paths, res, headless=True))
            await self._finish(sid, call, res, started, "cancelled")
            raise
        except Exception as exc:  # a bug in a tool must not kill the turn; the model sees it
            result = ToolResult(f"Error: {call.name} failed: {type(exc).__name__}: {exc}", "internal error", is_error=True)
            outcome = "error"
        if override is not None and outcome == "ok":
            result = with_user_edit(result, str(args.get("path", "")), request.new_text, override)
        result, outcome = await self._check_protected(sid, call, args, before, approved_paths, result, outcome=outcome)
        if early != "none":  # a change made between calls was found (and reverted or approved) first
            result = ToolResult(
                f"{result.content}\n\n{early}", result.summary, result.diff, result.changed_paths, result.is_error
            )
        return await self._finish(sid, call, result, started, outcome, edited=override is not None)

    async def _guard_start(self, sid: str, turn_id: str, call: ToolCall, args: dict[str, Any]) -> tuple[str, Any]:
        """Before a call runs: check what changed since the previous call of the turn, then
        record the protected set. Returns ``(note for the model or "none", snapshot)``."""
        if self._guard_turn != turn_id:
            self._guard_turn = turn_id
            self.guard.reset()
        _, early = await self._check_protected(sid, call, args, None, frozenset(), ToolResult("", ""))
        return early, await self.guard.before()

    async def _check_protected(
        self,
        sid: str,
        call: ToolCall,
        args: dict[str, Any],
        before: Any,
        approved_paths: frozenset[str],
        result: ToolResult,
        *,
        outcome: str = "error",
        headless: bool = False,
    ) -> tuple[ToolResult, str]:
        """Run the protected-path check after a call; report a revert to the model and the log.

        Changes outside ``approved_paths`` go to the approver as a protected change with its
        diff (``headless``: not asked, reverted). Returns the result (with the verdict's note
        appended) and the outcome (``"denied"`` when reverted).
        """

        async def ask(diff: str, changes: list[Any]) -> bool:
            if headless:
                return False
            listed = ", ".join(c.path for c in changes[:8])
            request = ApprovalRequest(
                sid,
                call.id,
                call.name,
                self.redactor(args),
                f"{'a process left running by an earlier call' if before is None else 'this call'} changed protected "
                f"paths ({listed}); approve keeps the change, deny reverts it",
                True,
            )
            request.diff = self.redactor.text(diff)
            await self.emit(
                Event(
                    EventKind.APPROVAL_REQUESTED,
                    sid,
                    {
                        "call_id": call.id,
                        "name": call.name,
                        "arguments": args,
                        "reason": request.reason,
                        "protected": True,
                        "diff": diff,
                    },
                )
            )
            answer = await self.approver(request)
            return answer.action in ("approve", "always")

        if before is None:  # the check between calls: the note is the second value ("none" if nothing)
            verdict = await self.guard.between(ask)
            if not verdict.changes:
                return result, "none"
        else:
            verdict = await self.guard.after(before, approved_paths, ask)
        if not verdict.changes:
            return result, outcome
        await self.emit(
            Event(
                EventKind.PROTECTED_CHANGE,
                sid,
                {
                    "call_id": call.id,
                    "name": call.name,
                    "action": verdict.action,
                    "between_calls": before is None,
                    "changes": [{"path": c.path, "change": c.what} for c in verdict.changes],
                    "failed": verdict.failed,
                    "diff": verdict.diff,
                },
            )
        )
        note = verdict.message()
        if before is None:
            return result, note.replace("this call changed", "a process left running by an earlier call changed", 1)
        content = f"{result.content}\n\n{note}" if result.content else note
        if verdict.action == "reverted":
            summary = f"protected change reverted ({len(verdict.changes)} path(s))"
            return ToolResult(content, summary, is_error=True, changed_paths=result.changed_paths, diff=result.diff), "denied"
        return ToolResult(
            content, result.summary, is_error=result.is_error, changed_paths=result.changed_paths, diff=result.diff
        ), outcome
