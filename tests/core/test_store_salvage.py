"""A damaged event log is moved aside and what can still be read is copied into the new one."""

from __future__ import annotations

import hashlib
from pathlib import Path

from workbench.core.events import Event, EventKind
from workbench.core.store import EventStore


def _fill(path: Path) -> list[str]:
    store = EventStore(path)
    ids = []
    for n in range(3):
        s = store.create_session(path.parent)
        ids.append(s.id)
        store.append(Event(EventKind.USER_MESSAGE, s.id, {"turn_id": "t", "text": f"prompt {n}"}))
        for i in range(300):
            store.append(Event(EventKind.ASSISTANT_DELTA, s.id, {"turn_id": "t", "text": "x" * 200, "reasoning": ""}))
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    store.close()
    return ids


def test_damaged_pages_are_set_aside_and_readable_rows_kept(tmp_path: Path):
    path = tmp_path / "events.db"
    ids = _fill(path)
    data = bytearray(path.read_bytes())
    page = 4096
    # garble a run of pages near the end (the tail of the events table b-tree)
    start = len(data) - 6 * page
    data[start : start + 3 * page] = b"\xde\xad\xbe\xef" * (3 * page // 4)
    path.write_bytes(bytes(data))
    damaged_hash = hashlib.sha256(bytes(data)).hexdigest()

    store = EventStore(path)
    try:
        assert store.recovery_message and "moved to" in store.recovery_message
        aside = list(tmp_path.glob("events.db.corrupt-*"))
        assert len(aside) == 1 and hashlib.sha256(aside[0].read_bytes()).hexdigest() == damaged_hash
        assert store.integrity_check() == "ok"
        sessions = store.sessions()
        assert "readable event(s) were copied" in store.recovery_message
        assert len(sessions) == 3 and {s.id for s in sessions} == set(ids)
        assert sorted(s.title for s in sessions) == ["prompt 0", "prompt 1", "prompt 2"]
        # the new log works
        s = store.create_session(tmp_path)
        store.append(Event(EventKind.USER_MESSAGE, s.id, {"turn_id": "t", "text": "after"}))
        assert store.session(s.id).title == "after"
    finally:
        store.close()


def test_garbage_file_keeps_nothing_but_is_not_overwritten(tmp_path: Path):
    path = tmp_path / "events.db"
    path.write_bytes(b"this is not a database at all" * 100)
    store = EventStore(path)
    try:
        assert "nothing could be read" in store.recovery_message
        aside = list(tmp_path.glob("events.db.corrupt-*"))
        assert aside[0].read_bytes() == b"this is not a database at all" * 100
    finally:
        store.close()
