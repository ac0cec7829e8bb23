"""Interrupted work becomes part of the record: sealing the sessions of crashed processes.

When a process dies mid-turn (SIGKILL, power cut), the log ends with the turn's streamed
``assistant.delta`` batches and maybe a ``tool.started`` with no result. On the first open of the
log afterwards, :func:`seal_crashed_sessions` writes what that turn left as ordinary events, so
every later reader (resume, ``sessions show``, exports, the journal, the next model request) sees
the same record without rebuilding it from deltas:

* the trailing deltas become one ``assistant.message`` with ``interrupted: true`` (and
  ``recovered: true``);
* every requested or started tool call with no result gets a ``tool.finished`` with
  ``outcome: "unknown"`` (``state`` says whether it had started: it may have run) and is never
  re-run by itself;
* the turn gets a ``turn.finished`` with ``status: "interrupted"``.

A session qualifies when it is not closed and the process that opened it is gone (status
``crashed``). The check and the writes run in one ``BEGIN IMMEDIATE`` transaction, so two
processes opening the log at once seal a session once: the second sees the turn already finished.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from workbench.core.event_payloads import AssistantDelta, AssistantMessage, ToolCallRequested, ToolCallsSkipped
from workbench.core.events import Event, EventKind

if TYPE_CHECKING:
    from workbench.core.store.db import EventStore

OUTCOME_UNKNOWN_TEXT = (
    "outcome unknown: Workbench stopped (crashed or was killed) while this tool call ran. It was not "
    "re-run; check the workspace before repeating it."
)
NOT_RUN_TEXT = "not run: Workbench stopped (crashed or was killed) before this tool call started."

_END_KINDS = (EventKind.ASSISTANT_MESSAGE, EventKind.TURN_ERROR, EventKind.TURN_FINISHED, EventKind.USER_MESSAGE)

_STEP_PAYLOADS = (AssistantDelta, AssistantMessage, ToolCallRequested, ToolCallsSkipped)
"""The payloads that carry the model call's ``step`` (the turn's step count is the highest)."""


def crashed_session_ids(store: EventStore, session_id: str | None = None) -> list[str]:
    """Ids of sessions whose owning process died without closing them (status ``crashed``);
    with ``session_id``, only that one if it qualifies. One query, one ``kill(pid, 0)`` per row."""
    sql = "SELECT * FROM sessions WHERE closed = 0 AND pid IS NOT NULL"
    args: tuple[Any, ...] = ()
    if session_id is not None:
        sql += " AND id = ?"
        args = (session_id,)
    return [row[0] for row in store._conn.execute(sql, args).fetchall() if store._row_to_info(row).status == "crashed"]


def interrupted_events(store: EventStore, session_id: str) -> list[Event]:
    """The events that seal the session's unfinished last turn (``[]`` when it ended normally).

    Reads only the events after the session's last ``user.message`` (one turn), through the
    ``(session_id, kind, seq)`` and ``(session_id, seq)`` indexes.
    """
    row = store._conn.execute(
        "SELECT seq, payload FROM events WHERE session_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1",
        (session_id, EventKind.USER_MESSAGE),
    ).fetchone()
    if row is None:
        return []
    user_seq = int(row[0])
    finished = store._conn.execute(
        "SELECT MAX(seq) FROM events WHERE session_id = ? AND kind = ?", (session_id, EventKind.TURN_FINISHED)
    ).fetchone()[0]
    if finished is not None and finished > user_seq:  # the common case: two index lookups, no scan
        return []
    turn_id = json.loads(row[1]).get("turn_id")
    tail = store.events(session_id, after_seq=user_seq - 1)
    if any(e.kind == EventKind.TURN_FINISHED for e in tail):
        return []
    out: list[Event] = []
    last_end = max((e.seq for e in tail if e.kind in _END_KINDS), default=0)
    deltas = [e for e in tail if e.kind == EventKind.ASSISTANT_DELTA and e.seq > last_end]
    steps = max([int(p.step or 0) for e in tail if isinstance(p := e.data, _STEP_PAYLOADS)] or [0])
    if deltas:
        parts = [AssistantDelta.of(d) for d in deltas]
        out.append(
            Event(
                EventKind.ASSISTANT_MESSAGE,
                session_id,
                {
                    "turn_id": parts[0].turn_id or turn_id,
                    "step": parts[0].step,
                    "text": "".join(p.text for p in parts),
                    "reasoning": "".join(p.reasoning for p in parts),
                    "tool_calls": [],
                    "finish_reason": None,
                    "interrupted": True,
                    "recovered": True,
                    "usage": None,
                    "model": None,
                    "request_id": None,
                },
            )
        )
    from workbench.core.agent.context import unfinished_calls

    for call in unfinished_calls(tail):
        started = call["state"] == "started"
        text = OUTCOME_UNKNOWN_TEXT if started else NOT_RUN_TEXT
        out.append(
            Event(
                EventKind.TOOL_CALL_FINISHED,
                session_id,
                {
                    "call_id": call["call_id"],
                    "name": call["name"],
                    "content": text,
                    "summary": "outcome unknown (interrupted by a crash)" if started else "not run (interrupted by a crash)",
                    "is_error": True,
                    "duration_ms": 0.0,
                    "changed_paths": [],
                    "diff": None,
                    "outcome": "unknown",
                    "state": call["state"],
                    "recovered": True,
                },
            )
        )
    out.append(
        Event(
            EventKind.TURN_FINISHED,
            session_id,
            {
                "turn_id": turn_id,
                "status": "interrupted",
                "steps": steps,
                "cost": None,
                "recovered": True,
            },
        )
    )
    return out


def seal_crashed_sessions(store: EventStore) -> list[str]:
    """Seal the unfinished turn of every crashed session (see module doc).

    Returns:
        Ids of the sessions that got events. A write error (full disk, read-only file) is not
        raised: the session is left as it was and readers still rebuild the reply from deltas.
    """
    import sqlite3

    sealed: list[str] = []
    try:
        candidates = crashed_session_ids(store)
    except sqlite3.Error:
        return sealed
    for sid in candidates:
        try:
            with store._transaction():
                if not crashed_session_ids(store, sid):  # re-checked under the write lock
                    continue
                events = interrupted_events(store, sid)
                now = time.time()
                for event in events:
                    store._insert(event, now)
            if events:
                sealed.append(sid)
        except sqlite3.Error:
            continue
    return sealed
