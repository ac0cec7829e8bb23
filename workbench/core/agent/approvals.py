"""Approval requests: how the agent asks the user before a tool call runs.

The agent publishes an :class:`ApprovalRequest` on the bus carrying an ``asyncio.Future``; whoever
renders it (the TUI's approval modal) resolves the future with an :class:`ApprovalDecision`. The
core never imports the UI (pattern from Toad's ACP permission requests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from workbench.core.tools.base import ToolResult

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


EDIT_DIFF_LIMIT = 20_000
"""Most characters of the proposal-vs-written diff sent back to the model."""


def with_user_edit(result: ToolResult, path: str, proposed: str | None, written: str) -> ToolResult:
    """Tell the model (and the chat) that the user edited a change before it was applied.

    The model's own call still holds its proposal, so without this it would believe its content
    was written. The result's ``content`` gets the diff from the proposal to what was written;
    its ``summary`` says "edited by the user"; ``diff`` (before -> written) is kept.

    Args:
        result: what the tool returned for the edited content.
        path: the file's workspace-relative path (diff headers).
        proposed: the content the model proposed (``ApprovalRequest.new_text``).
        written: the content the user approved (``ApprovalDecision.edited_content``).

    Returns:
        A new :class:`~workbench.core.tools.base.ToolResult`.
    """
    from dataclasses import replace

    from workbench.core.tools.base import unified_diff

    if proposed == written:
        return replace(result, summary=f"{result.summary} (opened for editing, unchanged)")
    diff = unified_diff(path, proposed or "", written).replace(f"--- a/{path}", f"--- {path} (your proposal)", 1)
    diff = diff.replace(f"+++ b/{path}", f"+++ {path} (written, edited by the user)", 1)
    if len(diff) > EDIT_DIFF_LIMIT:
        diff = diff[:EDIT_DIFF_LIMIT] + "\n… (diff cut)\n"
    content = (
        f"{result.content}\n\nThe user edited your proposed content before it was applied: the file "
        f"now holds the user's version, not yours. Difference from your proposal to what was written:\n{diff}"
    )
    return replace(result, content=content, summary=f"{result.summary} (edited by the user)")
