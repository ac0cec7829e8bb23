"""Events: the single source of truth of a session.

Every state change is an :class:`Event` appended to the SQLite event log (see
:mod:`workbench.core.store`) *before* anything reacts to it; the chat history, the journal and the
panes are projections of the log.

An event is ``(seq, session_id, kind, ts, payload)``: ``seq`` is the log's global, strictly
increasing sequence number (assigned on append), ``ts`` a Unix timestamp in seconds (float, UTC),
``payload`` a JSON-serialisable dict whose keys depend on ``kind`` (documented on
:class:`EventKind`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class EventKind:
    """The event kinds and their payloads.

    Attributes are plain strings so they compare and serialise cheaply.
    """

    SESSION_CREATED = "session.created"
    """``{"workspace": str, "title": str|None, "parent_id": str|None, "fork_seq": int|None}``"""
    SESSION_OPENED = "session.opened"
    """``{"pid": int, "model": str}``: a process took the session (resume or new)."""
    SESSION_CLOSED = "session.closed"
    """``{}``: the owning process closed the session cleanly."""
    SESSION_TITLED = "session.titled"
    """``{"title": str}``"""
    USER_MESSAGE = "user.message"
    """``{"turn_id": str, "text": str}``"""
    ASSISTANT_DELTA = "assistant.delta"
    """``{"turn_id": str, "text": str, "reasoning": str}``: a batch of streamed deltas (~50-100 ms)."""
    ASSISTANT_MESSAGE = "assistant.message"
    """``{"turn_id": str, "text": str, "reasoning": str, "finish_reason": str|None,
    "interrupted": bool, "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}|None,
    "model": str, "request_id": str|None}``: the reply as it ended (complete or interrupted)."""
    TURN_ERROR = "turn.error"
    """``{"turn_id": str, "message": str, "error_kind": str, "request_id": str|None}``"""
    TURN_CANCELLED = "turn.cancelled"
    """``{"turn_id": str, "reason": str}``"""
    TURN_FINISHED = "turn.finished"
    """``{"turn_id": str, "status": "done"|"error"|"cancelled"}``"""


#: Kinds that make up the visible conversation (what the chat history pages through).
MESSAGE_KINDS: tuple[str, ...] = (
    EventKind.USER_MESSAGE,
    EventKind.ASSISTANT_MESSAGE,
    EventKind.TURN_ERROR,
)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event log.

    Attributes:
        kind: one of :class:`EventKind`.
        session_id: the session the event belongs to.
        payload: JSON-serialisable details (shape per kind).
        seq: global sequence number; 0 until the store assigns it.
        ts: Unix time in seconds when appended; 0.0 until then.
    """

    kind: str
    session_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    ts: float = 0.0

    def to_json(self) -> str:
        """Return the event as one line of JSON (``{"seq", "ts", "session_id", "kind", "payload"}``)."""
        return json.dumps(
            {
                "seq": self.seq,
                "ts": self.ts,
                "session_id": self.session_id,
                "kind": self.kind,
                "payload": self.payload,
            },
            ensure_ascii=False,
        )
