"""``update_plan``: the checklist the agent keeps for the current task (like Claude Code's TodoWrite).

The model sends the whole list each time (``{"items": [{"text", "status"}]}``, status
``pending`` | ``in_progress`` | ``done``, at most one ``in_progress``). Each accepted call is
recorded as one ``plan.updated`` event holding the whole list, so the plan is a projection of the
log: the chat shows a checklist block, the status bar ``plan 2/5``, and a resumed session, ``sessions
show`` and ``export`` show the latest plan. Item texts are made inert (:func:`workbench.core.sanitize.inert_text`) before they
are stored in the event; the raw arguments stay in ``tool.requested``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.core.event_payloads import PlanUpdated
from workbench.core.events import Event, EventKind
from workbench.core.sanitize import inert_text
from workbench.core.tools.base import Tool, ToolContext, ToolError, ToolResult, ToolSpec

STATUSES = ("pending", "in_progress", "done")
"""Item states, in checklist order."""
MAX_ITEMS = 50
MAX_TEXT = 300
MARKS = {"pending": "[ ]", "in_progress": "[~]", "done": "[x]"}
"""How each state is drawn in text views (chat, ``sessions show``, Markdown)."""


def check_plan(items: Any) -> list[dict[str, str]]:
    """Validate and clean a plan.

    Args:
        items: the ``items`` argument: a list of ``{"text": str, "status": str}``.

    Returns:
        ``[{"text", "status"}]`` with texts made inert and stripped.

    Raises:
        ToolError: not a list, an empty text, an unknown status, more than one ``in_progress``,
            or more than :data:`MAX_ITEMS` items (the message says what to fix).
    """
    if not isinstance(items, list):
        raise ToolError('items must be a list of {"text", "status"} objects')
    if len(items) > MAX_ITEMS:
        raise ToolError(f"a plan holds at most {MAX_ITEMS} items (got {len(items)}); merge small steps")
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ToolError(f"item {n} must be an object with 'text' and 'status'")
        text = inert_text(str(item.get("text", "")), newlines=False).strip()
        status = item.get("status")
        if not text:
            raise ToolError(f"item {n} has an empty text; describe the step in a few words")
        if status not in STATUSES:
            raise ToolError(f"item {n} has status {status!r}; use one of {', '.join(STATUSES)}")
        out.append({"text": text[:MAX_TEXT], "status": status})
    busy = [n for n, i in enumerate(out, 1) if i["status"] == "in_progress"]
    if len(busy) > 1:
        raise ToolError(
            f"only one item may be in_progress at a time, but items {', '.join(map(str, busy))} are; "
            "mark the others pending or done and send the whole list again"
        )
    return out


def progress(items: list[dict[str, Any]]) -> str:
    """``"plan 2/5"`` (done / all), or ``""`` for an empty plan."""
    if not items:
        return ""
    done = sum(1 for i in items if i.get("status") == "done")
    return f"plan {done}/{len(items)}"


def checklist(items: list[dict[str, Any]], indent: str = "") -> list[str]:
    """The plan as text lines: ``[x] done``, ``[~] in progress``, ``[ ] pending``."""
    return [f"{indent}{MARKS.get(str(i.get('status')), '[ ]')} {i.get('text', '')}" for i in items]


def markdown(items: list[dict[str, Any]]) -> list[str]:
    """The plan as a Markdown task list (GFM ``- [x]``); the step in progress is in bold."""
    lines = []
    for i in items:
        text = str(i.get("text", ""))
        if i.get("status") == "in_progress":
            lines.append(f"- [ ] **{text}** (in progress)")
        else:
            lines.append(f"- [{'x' if i.get('status') == 'done' else ' '}] {text}")
    return lines


def latest_plan(events: Iterable[Event]) -> list[dict[str, Any]] | None:
    """The items of the last ``plan.updated`` event among ``events`` (None when there is none)."""
    items = None
    for e in events:
        if e.kind == EventKind.PLAN_UPDATED:
            items = list(PlanUpdated.of(e).items or [])
    return items


class UpdatePlanTool(Tool):
    """``update_plan``: replace the session's plan; records ``plan.updated``.

    Args:
        chat: the session's :class:`~workbench.core.chat.service.ChatService` (``emit`` and
            ``session`` are used).
    """

    spec = ToolSpec(
        name="update_plan",
        description=(
            "Keep a short checklist of the steps of the current task, shown to the user. Send the WHOLE "
            "list every time (it replaces the previous one). Each item has 'text' (a few words) and "
            "'status': pending, in_progress or done. At most one item is in_progress. Use it for tasks "
            "with 3 or more steps; update it as you start and finish steps."
        ),
        parameters={
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "maxItems": MAX_ITEMS,
                    "items": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string", "minLength": 1, "maxLength": 1000},
                            "status": {"type": "string", "enum": list(STATUSES)},
                        },
                        "required": ["text", "status"],
                        "additionalProperties": False,
                    },
                },
            },
            "required": ["items"],
            "additionalProperties": False,
        },
        mutates=False,
        kind="read",
    )

    def __init__(self, chat: Any) -> None:
        self.chat = chat

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Validate the list, record ``plan.updated``, return the checklist to the model."""
        items = check_plan(args.get("items"))
        session = self.chat.session
        if session is None:
            raise ToolError("no session is open")
        await self.chat.emit(Event(EventKind.PLAN_UPDATED, session.id, {"items": items}))
        head = progress(items) or "plan cleared"
        body = "\n".join(checklist(items))
        return ToolResult(content=f"Plan updated ({head}):\n{body}" if body else "Plan cleared.", summary=head)
