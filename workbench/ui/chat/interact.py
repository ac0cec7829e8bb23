"""The chat's side of ``update_plan`` and ``ask_user``: the plan block, history merging, the modal.

A ``plan.updated`` event is drawn as a compact checklist (:class:`PlanBlock`) where it happened in
the conversation, and the latest plan's progress (``plan 2/5``) is shown in the status bar. The
history pages (:meth:`EventStore.history_page`) hold messages only, so the pane merges the plan
events of the same range in (:func:`merge_plans`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from workbench.core.events import Event, EventKind
from workbench.core.tools.ask import Question
from workbench.core.tools.plan import MARKS, progress

__all__ = ["PlanBlock", "Question", "latest_progress", "merge_plans", "plan_events", "show_question"]

_STYLE = {"done": "green", "in_progress": "bold yellow", "pending": ""}


class PlanBlock(Static):
    """The agent's checklist as it was after one ``update_plan`` call.

    Args:
        items: ``[{"text", "status"}]`` (already inert, see :mod:`workbench.core.tools.plan`).
        seq: the event's sequence number (for scrolling to it).
    """

    DEFAULT_CSS = "PlanBlock { height: auto; margin: 0 0 1 2; padding: 0 1; border-left: thick $accent; }"

    def __init__(self, items: list[dict[str, Any]], seq: int = 0) -> None:
        self.items = list(items or [])
        self.seq = seq
        super().__init__(self._render_items(), markup=False)

    def _render_items(self) -> Text:
        text = Text()
        text.append(progress(self.items) or "plan cleared", style="bold")
        for item in self.items:
            status = str(item.get("status"))
            text.append(f"\n{MARKS.get(status, '[ ]')} ", style=_STYLE.get(status, ""))
            text.append(str(item.get("text", "")), style="dim" if status == "done" else _STYLE.get(status, ""))
        return text


async def plan_events(store: Any, session_id: str) -> list[Event]:
    """All ``plan.updated`` events of a session (an ``AsyncEventStore``; plans are few)."""
    return await store.events(session_id, kinds=[EventKind.PLAN_UPDATED])


def merge_plans(page: list[Event], plans: list[Event], *, more: bool, before_seq: int | None = None) -> list[Event]:
    """Insert the plan events that belong to a history page, in ``seq`` order.

    Args:
        page: a page from ``history_page`` (ascending).
        plans: every plan event of the session.
        more: older pages exist (then plans older than the page's first event are left for them).
        before_seq: the page ends before this seq (None: the latest page).
    """
    lo = page[0].seq if (more and page) else 0
    hi = before_seq if before_seq is not None else 2**62
    extra = [p for p in plans if lo < p.seq < hi]
    return sorted(page + extra, key=lambda e: e.seq) if extra else page


def latest_progress(plans: list[Event]) -> str:
    """``plan D/N`` of the last plan event (``""`` when none or empty)."""
    return progress(plans[-1].payload.get("items") or []) if plans else ""


def show_question(pane: Any, question: Question) -> None:
    """Open the question modal for ``question`` over the chat pane (``pane``: the ``ChatPane``)."""
    from workbench.ui.screens.ask import AskScreen

    if question.future.done():
        return
    pane.status.state = "waiting for your answer"
    services = pane.services
    redactor = services.chat.runner.redactor if services is not None else None

    def done(_answer: Any) -> None:
        pane.status.state = "streaming…" if services is not None and services.chat.running else "ready"

    pane.app.push_screen(AskScreen(question, redactor), done)
