"""The SQLite event log: appending, reading, the sessions projection, paging, recovery of a
crashed reply, and session id lookup. Real SQLite files in a tmp ``WORKBENCH_HOME``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from workbench.core.events import MESSAGE_KINDS, Event, EventKind
from workbench.core.store import AsyncEventStore, EventStore, SessionNotFound

pytestmark = pytest.mark.timeout(30)


def user(sid: str, text: str, turn: str = "t1") -> Event:
    return Event(EventKind.USER_MESSAGE, sid, {"turn_id": turn, "text": text})


def delta(sid: str, text: str, turn: str = "t1", reasoning: str = "") -> Event:
    return Event(EventKind.ASSISTANT_DELTA, sid, {"turn_id": turn, "text": text, "reasoning": reasoning})


def reply(sid: str, text: str, turn: str = "t1", usage: dict | None = None) -> Event:
    return Event(
        EventKind.ASSISTANT_MESSAGE,
        sid,
        {
            "turn_id": turn,
            "text": text,
            "reasoning": "",
            "finish_reason": "stop",
            "interrupted": False,
            "usage": usage,
            "model": "m1",
            "request_id": None,
        },
    )


def test_append_assigns_increasing_seq_and_reads_back(store: EventStore, workspace: Path) -> None:
    s = store.create_session(workspace)
    payload = {"turn_id": "t1", "text": 'héllo \u2603 "quoted"\nline 2', "nested": {"a": [1, 2.5, None, True]}}
    e1 = store.append(Event(EventKind.USER_MESSAGE, s.id, payload))
    e2 = store.append(delta(s.id, "part"))
    assert e1.seq > 0 and e2.seq > e1.seq
    assert e1.ts > 0
    events = store.events(s.id)
    assert [e.kind for e in events] == [EventKind.SESSION_CREATED, EventKind.USER_MESSAGE, EventKind.ASSISTANT_DELTA]
    assert events[1] == e1 and events[1].payload == payload
    assert store.events(s.id, after_seq=e1.seq) == [e2]
    assert store.events(s.id, kinds=[EventKind.ASSISTANT_DELTA]) == [e2]
    assert store.last_seq(s.id) == e2.seq
    assert store.integrity_check() == "ok"


def test_events_survive_reopen_and_log_is_wal(store: EventStore, log_path: Path, workspace: Path) -> None:
    s = store.create_session(workspace)
    stored = store.append(user(s.id, "persist me"))
    store.close()
    with sqlite3.connect(log_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = EventStore(log_path)
    try:
        assert again.recovery_message is None
        assert again.events(s.id)[-1] == stored
    finally:
        again.close()


def test_append_many_is_all_or_nothing(store: EventStore, workspace: Path) -> None:
    s = store.create_session(workspace)
    batch = store.append_many([user(s.id, "a"), delta(s.id, "b"), reply(s.id, "c")])
    assert [e.seq for e in batch] == sorted(e.seq for e in batch)
    assert len({e.seq for e in batch}) == 3
    before = store.events(s.id)

    class Unserialisable:
        pass

    bad = Event(EventKind.ASSISTANT_DELTA, s.id, {"text": Unserialisable()})
    with pytest.raises(TypeError):
        store.append_many([user(s.id, "first of a failing batch"), bad])
    assert store.events(s.id) == before  # the first event of the failed batch was rolled back
    info = store.session(s.id)
    assert info.message_count == 2 and info.event_count == len(before)
    # The store is still usable after the rollback.
    assert store.append(user(s.id, "after")).seq > batch[-1].seq


def test_sessions_projection(store: EventStore, workspace: Path, tmp_path: Path) -> None:
    s = store.create_session(workspace)
    assert s.status == "new" and s.title is None and s.message_count == 0
    assert s.workspace == str(workspace)

    store.append(Event(EventKind.SESSION_OPENED, s.id, {"pid": os.getpid(), "model": "m0"}))
    store.append(user(s.id, "  Fix the   flaky\ntest in   parser.py  "))
    store.append(delta(s.id, "ok"))
    store.append(reply(s.id, "ok", usage={"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}))
    store.append(user(s.id, "second prompt does not retitle", turn="t2"))
    store.append(reply(s.id, "fine", turn="t2", usage={"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24}))
    info = store.session(s.id)
    assert info.title == "Fix the flaky test in parser.py"
    assert info.message_count == 4
    assert info.event_count == 7
    assert info.status == "open"
    assert (info.prompt_tokens, info.completion_tokens) == (30, 7)
    assert info.model == "m1"
    assert info.updated >= info.created

    long = store.create_session(workspace)
    store.append(user(long.id, "word " * 40))
    title = store.session(long.id).title
    assert title is not None and len(title) <= 60 and title.endswith("…")

    store.append(Event(EventKind.SESSION_CLOSED, s.id, {}))
    assert store.session(s.id).status == "closed"

    # A process that opened the session and died without closing it: "crashed".
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    store.append(Event(EventKind.SESSION_OPENED, s.id, {"pid": dead_pid, "model": "m1"}))
    assert store.session(s.id).status == "crashed"

    other_ws = tmp_path / "other"
    other_ws.mkdir()
    store.create_session(other_ws)
    mine = store.sessions(workspace)
    assert {r.id for r in mine} == {s.id, long.id}
    assert [r.updated for r in mine] == sorted((r.updated for r in mine), reverse=True)
    assert len(store.sessions()) == 3
    assert set(store.sessions(workspace)[0].to_dict()) >= {"id", "title", "created", "updated", "message_count", "status"}


def test_history_page_pages_backwards_through_messages_only(store: EventStore, workspace: Path) -> None:
    s = store.create_session(workspace)
    events = []
    for i in range(60):
        turn = f"t{i}"
        events += [
            user(s.id, f"q{i}", turn),
            delta(s.id, f"a{i}", turn),
            reply(s.id, f"a{i}", turn),
            Event(EventKind.TURN_FINISHED, s.id, {"turn_id": turn, "status": "done"}),
        ]
    store.append_many(events)
    store.append(
        Event(EventKind.TURN_ERROR, s.id, {"turn_id": "tx", "message": "boom", "error_kind": "server", "request_id": None})
    )
    all_msgs = store.events(s.id, kinds=MESSAGE_KINDS)
    assert len(all_msgs) == 121

    pages = []
    before = None
    while True:
        page = store.history_page(s.id, before_seq=before, limit=50)
        if not page:
            break
        assert [e.seq for e in page] == sorted(e.seq for e in page)
        assert all(e.kind in MESSAGE_KINDS for e in page)
        pages.append(page)
        before = page[0].seq
    assert [len(p) for p in pages] == [50, 50, 21]
    assert pages[0][-1].kind == EventKind.TURN_ERROR
    flat = [e for p in reversed(pages) for e in p]
    assert flat == all_msgs


def test_interrupted_tail_rebuilds_a_reply_cut_by_a_crash(store: EventStore, workspace: Path) -> None:
    s = store.create_session(workspace)
    assert store.interrupted_tail(s.id) is None
    store.append_many([user(s.id, "q1"), delta(s.id, "done "), reply(s.id, "done ")])
    assert store.interrupted_tail(s.id) is None
    store.append(user(s.id, "q2", turn="t2"))
    assert store.interrupted_tail(s.id) is None
    store.append(delta(s.id, "Half ", turn="t2", reasoning="hmm "))
    last = store.append(delta(s.id, "an answer", turn="t2", reasoning="more"))
    tail = store.interrupted_tail(s.id)
    assert tail is not None
    assert tail.kind == EventKind.ASSISTANT_MESSAGE
    assert tail.payload["text"] == "Half an answer"
    assert tail.payload["reasoning"] == "hmm more"
    assert tail.payload["interrupted"] is True and tail.payload["recovered"] is True
    assert tail.payload["turn_id"] == "t2"
    assert tail.seq == last.seq
    assert store.events(s.id)[-1] == last  # synthetic: nothing was written


def test_session_lookup_by_id_prefix_and_ambiguity(store: EventStore, workspace: Path) -> None:
    ids = [store.create_session(workspace).id for _ in range(17)]  # 17 > 16 hex digits: a shared first char
    assert all(len(i) == 12 for i in ids)
    for sid in ids[:3]:
        assert store.session(sid).id == sid
        unique = next(sid[:n] for n in range(1, 13) if sum(o.startswith(sid[:n]) for o in ids) == 1)
        assert store.session(unique).id == sid

    shared = next(c for c, n in Counter(i[0] for i in ids).items() if n > 1)
    with pytest.raises(SessionNotFound) as exc:
        store.session(shared)
    msg = str(exc.value)
    assert "ambiguous" in msg and "more characters" in msg
    assert sum(i in msg for i in ids if i.startswith(shared)) >= 2

    with pytest.raises(SessionNotFound) as exc:
        store.session("zzzz")
    assert "no session with id 'zzzz'" in str(exc.value) and "workbench sessions" in str(exc.value)
    # LIKE wildcards are not wildcards here.
    with pytest.raises(SessionNotFound):
        store.session("%")


async def test_async_store_runs_on_its_own_thread(log_path: Path, workspace: Path) -> None:
    import threading

    store = await AsyncEventStore.open(log_path)
    try:
        assert store.recovery_message is None
        s = await store.create_session(workspace)
        stored = await store.append(user(s.id, "async hello"))
        many = await store.append_many([delta(s.id, "x"), reply(s.id, "x")])
        assert [e.seq for e in many] == [stored.seq + 1, stored.seq + 2]
        assert (await store.session(s.id[:8])).title == "async hello"
        assert [r.id for r in await store.sessions(workspace)] == [s.id]
        assert len(await store.events(s.id)) == 4
        assert len(await store.history_page(s.id, limit=10)) == 2
        assert await store.interrupted_tail(s.id) is None
        thread = await store.call(lambda: threading.current_thread().name)
        assert thread.startswith("workbench-store") and thread != threading.current_thread().name
    finally:
        await store.close()
