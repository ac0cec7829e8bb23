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
        by: who answered: ``"user"``, or ``"headless"`` when nobody could (``workbench run``).
    """

    action: Action
    reason: str | None = None
    edited_content: str | None = None
    by: str = "user"


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
        kind: the tool's kind (``"read"``, ``"write"``, ``"command"``), when known.
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
    kind: str | None = None
    future: asyncio.Future[ApprovalDecision] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


Approver = Callable[[ApprovalRequest], Awaitable[ApprovalDecision]]
"""Resolves approval requests (the TUI publishes them; headless runs deny them)."""


async def deny_headless(request: ApprovalRequest) -> ApprovalDecision:
    """Approver for runs where nobody can answer (see :class:`workbench.core.agent.unattended.UnattendedApprover`)."""
    from workbench.core.agent.unattended import UnattendedApprover

    return await UnattendedApprover()(request)
