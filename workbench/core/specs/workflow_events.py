"""Spec workflow events in the event log, and the review actions that record them.

Approvals live in the JSON store (``store.ApprovalStore``, read by the CLI and ``compute_status``);
the app records every review action as an event of the chat session too, so approvals are
events (who, when, content hash, git commit) in the same log as the conversation:

* ``spec.drafted``: ``{"spec", "doc", "sha256", "previous_sha256": str|None, "revision": bool,
  "comments": [comment id], "who", "ts", "commit": str|None, "chars": int}``;
* ``spec.approved``: ``{"spec", "doc", "sha256", "commit", "who", "ts"}``;
* ``spec.changes_requested``: ``{"spec", "doc", "sha256", "commit", "who", "ts", "note",
  "comments": [comment id]}``;
* ``spec.task_state``: ``{"spec", "task", "title", "state": "todo"|"in_progress"|"done",
  "previous": str, "reason": str}``.

The async actions here run the blocking store work in a thread, then emit the event through
``services.chat.emit`` (committed to the log, then published on the bus).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from workbench.core.events import SPEC_KINDS, Event, EventKind

from .models import Spec

if TYPE_CHECKING:
    from .comments import Comment
    from .host import SpecHost
    from .review import ReviewStores
    from .workflow import ApprovalRecord

SPEC_DRAFTED = EventKind.SPEC_DRAFTED
SPEC_APPROVED = EventKind.SPEC_APPROVED
SPEC_CHANGES_REQUESTED = EventKind.SPEC_CHANGES_REQUESTED
SPEC_TASK_STATE = EventKind.SPEC_TASK_STATE
SPEC_EVENT_KINDS: tuple[str, ...] = SPEC_KINDS
"""Every spec event kind (payloads in the module docstring)."""


async def emit_spec_event(services: SpecHost, kind: str, payload: dict[str, Any]) -> Event:
    """Commit one spec event to the chat session's log (the session is created if needed) and publish it.

    Args:
        services: the running services.
        kind: one of ``SPEC_EVENT_KINDS``.
        payload: the event payload (see the module docstring).

    Returns:
        The stored event (with ``seq`` and ``ts``).

    Raises:
        ValueError: ``kind`` is not a spec event kind.
    """
    if kind not in SPEC_EVENT_KINDS:
        raise ValueError(f"unknown spec event kind {kind!r}; expected one of {', '.join(SPEC_EVENT_KINDS)}")
    session = await services.chat.ensure_session()
    stored = await services.chat.emit(Event(kind, session.id, payload))
    return stored[0]


def _stores(spec: Spec, stores: ReviewStores | None) -> ReviewStores:
    from .review import ReviewStores

    return stores or ReviewStores.for_workspace(spec.workspace)


def record_payload(record: ApprovalRecord) -> dict[str, Any]:
    """The common event payload of a review record: spec, doc, hash, commit, who, when."""
    return {
        "spec": record.spec,
        "doc": record.doc,
        "sha256": record.sha256,
        "commit": record.commit,
        "who": record.who,
        "ts": record.ts,
    }


async def approve(
    services: SpecHost, spec: Spec, doc: str, stores: ReviewStores | None = None, who: str | None = None
) -> ApprovalRecord:
    """Approve ``doc`` (``review.approve_doc`` in a thread) and record ``spec.approved``.

    Raises:
        WorkflowError: refused (out of order, missing file); nothing is recorded then.
        ApprovalStoreError: the approvals file is malformed.
    """
    from .review import approve_doc

    store = await asyncio.to_thread(_stores, spec, stores)
    record = await asyncio.to_thread(approve_doc, spec, doc, store, who)
    await emit_spec_event(services, SPEC_APPROVED, record_payload(record))
    return record


async def request_changes(
    services: SpecHost, spec: Spec, doc: str, stores: ReviewStores | None = None, who: str | None = None
) -> tuple[ApprovalRecord, list[Comment]]:
    """Request changes on ``doc`` with its pending comments and record ``spec.changes_requested``.

    Raises:
        WorkflowError: no pending comment, or the document does not exist.
    """
    from .review import request_changes as _request

    store = await asyncio.to_thread(_stores, spec, stores)
    record, comments = await asyncio.to_thread(_request, spec, doc, store, who)
    payload = record_payload(record) | {"note": record.note, "comments": [c.id for c in comments]}
    await emit_spec_event(services, SPEC_CHANGES_REQUESTED, payload)
    return record, comments


async def set_task(services: SpecHost, spec: Spec, task_id: str, state: str, *, reason: str = "") -> None:
    """Set one task's checkbox (``tasks.set_task_state``: only that line changes) and record ``spec.task_state``.

    Args:
        services: the running services.
        spec: the spec.
        task_id: e.g. ``"2.1"``.
        state: ``todo``, ``in_progress`` or ``done``.
        reason: why (``"started"``, ``"confirmed done"``, ``"ticked"``...).

    Raises:
        TaskNotFoundError: no such task (or a duplicate id).
        ValueError: unknown state, or tasks.md is not UTF-8.
        OSError: the file cannot be read or written.
    """
    from .tasks import load_tasks, set_task_state

    def change() -> tuple[str, str]:
        path = spec.path("tasks")
        task = load_tasks(path).get(task_id)
        set_task_state(path, task_id, state)
        return (task.state if task else "", task.title if task else "")

    previous, title = await asyncio.to_thread(change)
    payload = {"spec": spec.key, "task": task_id, "title": title, "state": state, "previous": previous, "reason": reason}
    await emit_spec_event(services, SPEC_TASK_STATE, payload)
