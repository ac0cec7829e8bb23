"""Running one tool call: validate -> decide -> (ask) -> run, every step an event first.

Order of events for a call (each committed before the step it describes happens):
``tool.requested`` -> ``tool.approved`` + ``tool.started`` (one transaction) -> ``tool.finished``;
or ``tool.requested`` -> ``approval.requested`` -> ``tool.denied``. Invalid arguments and unknown
tools finish with an error result the model can act on; they never run.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from workbench.core.agent.approvals import ApprovalDecision, ApprovalRequest, Approver, with_user_edit
from workbench.core.agent.registry import ToolRegistry
from workbench.core.agent.toolcalls import ToolCall
from workbench.core.events import Event, EventKind
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

    async def _finish(self, sid: str, call: ToolCall, result: ToolResult, started: float, outcome: str, *, edited: bool = False) -> CallOutcome:
        await self.emit(
            Event(
                EventKind.TOOL_CALL_FINISHED,
                sid,
                {
                    "call_id": call.id,
                    "name": call.name,
                    "content": result.content,
                    "summary": result.summary,
                    "is_error": result.is_error,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "changed_paths": result.changed_paths,
                    "diff": result.diff,
                    "outcome": outcome,
                    "edited": edited,
                },
            )
        )
        return CallOutcome(call.id, result.content, outcome, result.changed_paths)

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
            err = ToolResult(f"Error: unknown tool {call.name!r}. Available tools: {available}.", f"unknown tool {call.name}", is_error=True)
            return await self._finish(sid, call, err, started, "error")
        try:
            args = validate_arguments(tool.spec, call.arguments)
        except ToolError as exc:
            await self.emit(requested)
            return await self._finish(sid, call, ToolResult.from_error(call.name, exc), started, "error")
        perms = self.permissions
        decision = decide(tool.spec, targets_of(call.name, args), perms.mode, perms.rules, perms.session_allow)
        forced = getattr(tool, "force_ask", None)
        forced_reason = forced(args) if forced is not None else None
        if forced_reason and decision.action == "allow":
            from workbench.core.tools.permissions import Decision

            decision = Decision("ask", forced_reason, True)
        override: str | None = None
        if decision.action == "deny":
            by = "mode" if "mode" in decision.reason else "rule"
            await self.emit(requested, Event(EventKind.TOOL_CALL_DENIED, sid, {"call_id": call.id, "name": call.name, "by": by, "reason": decision.reason}))
            return CallOutcome(call.id, f"Denied: {decision.reason}", "denied")
        if decision.action == "ask":
            await self.emit(requested)
            request = ApprovalRequest(sid, call.id, call.name, args, decision.reason, decision.protected)
            if tool.spec.mutates:
                try:
                    proposal = await tool.preview(args, self.ctx)
                except ToolError as exc:
                    return await self._finish(sid, call, ToolResult.from_error(call.name, exc), started, "error")
                request.diff = proposal.diff
                request.new_text = proposal.new_text if proposal.editable else None
            if not decision.protected:
                request.rule = rule_for(tool.spec, target_of(call.name, args))
            await self.emit(
                Event(
                    EventKind.APPROVAL_REQUESTED,
                    sid,
                    {"call_id": call.id, "name": call.name, "arguments": args, "reason": decision.reason, "protected": decision.protected},
                )
            )
            try:
                answer: ApprovalDecision = await self.approver(request)
            except asyncio.CancelledError:
                if not request.future.done():
                    request.future.cancel()
                await self.emit(Event(EventKind.TOOL_CALL_DENIED, sid, {"call_id": call.id, "name": call.name, "by": "cancelled", "reason": "the turn was cancelled before the approval"}))
                raise
            if answer.action == "deny":
                reason = answer.reason or "the user denied this call"
                await self.emit(Event(EventKind.TOOL_CALL_DENIED, sid, {"call_id": call.id, "name": call.name, "by": "user", "reason": reason}))
                return CallOutcome(call.id, f"Denied by the user: {reason}", "denied")
            by = "user"
            if answer.action == "always" and request.rule and not decision.protected:
                perms.session_allow.append(request.rule)
                by = "user-always"
            override = answer.edited_content
            approved = Event(
                EventKind.TOOL_CALL_APPROVED,
                sid,
                {"call_id": call.id, "name": call.name, "by": by, "rule": request.rule if by == "user-always" else None, "edited": override is not None},
            )
            await self.emit(approved, Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": call.id, "name": call.name}))
        else:
            by = "rule" if "rule" in decision.reason else "mode"
            approved = Event(
                EventKind.TOOL_CALL_APPROVED,
                sid,
                {"call_id": call.id, "name": call.name, "by": by, "rule": None, "edited": False, "reason": decision.reason},
            )
            await self.emit(requested, approved, Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": call.id, "name": call.name}))
        started = time.perf_counter()  # the duration is the tool's own run, not the wait for approval
        try:
            result = await asyncio.wait_for(tool.run(args, self.ctx, override=override), self.tool_timeout)
        except ToolError as exc:
            return await self._finish(sid, call, ToolResult.from_error(call.name, exc), started, "error")
        except asyncio.TimeoutError:
            res = ToolResult(f"Error: {call.name} timed out after {self.tool_timeout:g} s and was cancelled.", "timed out", is_error=True)
            return await self._finish(sid, call, res, started, "timeout")
        except asyncio.CancelledError:
            res = ToolResult(f"Cancelled by the user while {call.name} was running.", "cancelled", is_error=True)
            await self._finish(sid, call, res, started, "cancelled")
            raise
        except Exception as exc:  # a bug in a tool must not kill the turn; the model sees it
            res = ToolResult(f"Error: {call.name} failed: {type(exc).__name__}: {exc}", "internal error", is_error=True)
            return await self._finish(sid, call, res, started, "error")
        if override is not None and not result.is_error:
            result = with_user_edit(result, str(args.get("path", "")), request.new_text, override)
        return await self._finish(sid, call, result, started, "error" if result.is_error else "ok", edited=override is not None)
