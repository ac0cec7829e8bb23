"""Continuing an interrupted reply after a resume.

A reply cut by a crash (sealed on the next open, see :mod:`workbench.core.store.interrupted`) or
by Esc is stored as an ``assistant.message`` with ``interrupted: true``; the model sees it with a
"cut off" note (:func:`workbench.core.agent.context.cut_off`). :func:`last_interrupted_reply`
tells the UI whether the session's latest reply is such a one, and :data:`CONTINUE_PROMPT` is the
prompt that asks the model to go on (``/continue`` in the chat).
"""

from __future__ import annotations

import json
from typing import Any

from workbench.core.event_payloads import AssistantMessage
from workbench.core.events import Event, EventKind

CONTINUE_PROMPT = (
    "Your previous reply was cut off before it finished. Continue it from exactly where it stopped; "
    "do not repeat what you already wrote."
)
"""The user message ``/continue`` sends."""


def last_interrupted_reply(store: Any, session_id: str) -> Event | None:
    """The session's latest reply when it was interrupted (and no prompt followed), else None.

    Args:
        store: a synchronous :class:`~workbench.core.store.EventStore` (call on its thread).
        session_id: the session.
    """
    row = store._conn.execute(
        "SELECT seq, kind, ts, payload FROM events WHERE session_id = ? AND kind IN (?, ?) ORDER BY seq DESC LIMIT 1",
        (session_id, EventKind.USER_MESSAGE, EventKind.ASSISTANT_MESSAGE),
    ).fetchone()
    if row is None or row[1] != EventKind.ASSISTANT_MESSAGE:
        return None
    event = Event(row[1], session_id, json.loads(row[3]), int(row[0]), float(row[2]))
    reply = AssistantMessage.of(event)
    if not reply.interrupted or not (reply.text or "").strip():
        return None
    return event
