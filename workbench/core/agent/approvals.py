"""Approval requests: how the agent asks the user before a tool call runs.

The agent publishes an :class:`ApprovalRequest` on the bus carrying an ``asyncio.Future``; whoever
renders it (the TUI's approval modal) resolves the future with an :class:`ApprovalDecision`. The
core never imports the UI (pattern from Toad's ACP permission requests).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Literal

Action = Literal["approve", "deny", "always"]


@dataclass(frozen=True)
class ApprovalDecision:
    """The user's answer.

    Attributes:
        action: ``approve`` (run once), ``deny``, or ``always`` (run, and add an allow rule for
            the rest of the session).
        reason: for ``deny``: sent back to the model (optional).
        edited_content: the user's edit of the proposed file content (``e`` in the modal).
        by: who decided (see the field).
    """

    action: Action
    reason: str | None = None
    edited_content: str | None = None
    by: str = "user"
    """Who decided: ``"user"`` (a person answered), or ``"headless"`` (nobody could be asked: the
    reason names the rule or mode that required the approval and how to allow the call)."""


@dataclass
class ApprovalRequest:
    """A tool call waiting for the user.

    Attributes:
        session_id: the session.
        call_id: the tool call id.
        tool: tool name.
        arguments: validated arguments.
        reason: why approval is needed (mode, rule, protected path).
        protected: the call touches a protected path (no "always" offered).
        diff: unified diff of the proposed change, for file tools.
        new_text: the proposed new content when it can be edited before applying.
        rule: the allow rule "always" would add.
        future: resolved with the :class:`ApprovalDecision`.
    """

    session_id: str
    call_id: str
    tool: str
    arguments: dict[str, Any]
    reason: str
    protected: bool = False
    diff: str | None = None
    new_text: str | None = None
    rule: str | None = None
    future: asyncio.Future[ApprovalDecision] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


Approver = Callable[[ApprovalRequest], Awaitable[ApprovalDecision]]
"""Resolves approval requests (the TUI publishes them; headless runs deny them)."""


def how_to_allow(request: ApprovalRequest) -> str:
    """Say how the user can let ``request`` run without being asked (for headless denials)."""
    if request.protected:
        return ("protected paths always need an approval from a person: run it in the TUI "
                "(`workbench`), where the approval shows the change")
    if request.reason.startswith("rule "):
        return "remove or narrow that ask rule in [permissions] of your config, or run it in the TUI (`workbench`)"
    rule = f"`{request.rule}`" if request.rule else f"`{request.tool}:PATTERN`"
    mode = "full-auto" if request.tool == "run_command" or request.reason.startswith("auto-edit") else "auto-edit"
    return (f"add an allow rule such as {rule} to [permissions] allow in your config, "
            f"rerun with --mode {mode}, or run it in the TUI (`workbench`)")


async def deny_headless(request: ApprovalRequest) -> ApprovalDecision:
    """Approver for runs where nobody can answer: deny, naming the rule or mode and how to allow it.

    The decision has ``by="headless"``: nobody was asked, so it is never reported as the user's.
    """
    return ApprovalDecision(
        "deny",
        f"not run: {request.reason}, and this headless run cannot ask anyone. To allow it: "
        f"{how_to_allow(request)}. Do not retry it; explain what you would change instead.",
        by="headless",
    )
