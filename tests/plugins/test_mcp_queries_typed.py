"""``session_read`` and ``journal_recent`` (the MCP server's queries) on a session with tool calls.

The chat's ``MESSAGE_KINDS`` also holds the tool-call and checkpoint kinds; the queries read only
the user, assistant and error messages as messages and summarise the other kinds generically.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.events import Event, EventKind
from workbench.core.mcp.server import queries
from workbench.core.runtime import event_log_path
from workbench.core.store import EventStore


def _session(ws: Path) -> str:
    store = EventStore(event_log_path(ws))
    try:
        sid = store.create_session(ws).id
        for kind, payload in [
            (EventKind.USER_MESSAGE, {"turn_id": "t1", "text": "list files"}),
            (EventKind.TOOL_CALL_REQUESTED, {"turn_id": "t1", "call_id": "c1", "name": "list_dir", "arguments": "{}"}),
            (EventKind.TOOL_CALL_FINISHED, {"call_id": "c1", "name": "list_dir", "content": "a", "summary": "1 entry"}),
            (EventKind.ASSISTANT_MESSAGE, {"turn_id": "t1", "text": "one file", "interrupted": True}),
            (EventKind.TURN_ERROR, {"turn_id": "t1", "message": "boom", "error_kind": "timeout"}),
        ]:
            store.append(Event(kind, sid, payload))
    finally:
        store.close()
    return sid


def test_session_read_returns_only_messages(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    sid = _session(ws)
    messages = queries.session_read(ws, sid)["messages"]
    assert [(m["role"], m["text"]) for m in messages] == [("user", "list files"), ("assistant", "one file"), ("error", "boom")]
    assert messages[1]["interrupted"] is True


def test_journal_recent_summarises_tool_events(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    _session(ws)
    summaries = {e["kind"]: e["summary"] for e in queries.journal_recent(ws)}
    assert summaries[EventKind.USER_MESSAGE] == "list files"
    assert summaries[EventKind.TURN_ERROR] == "boom"
    assert "summary=1 entry" in summaries[EventKind.TOOL_CALL_FINISHED]
