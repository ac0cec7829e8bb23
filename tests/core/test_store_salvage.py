"""A damaged event log is moved aside and every row that can still be read is copied into the new
one: through SQLite (tables, covering indexes, seq ranges split around bad pages) and straight
from the table-leaf pages (rows below a damaged root page)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from workbench.core.events import Event, EventKind
from workbench.core.store import EventStore, salvage
from workbench.core.store.pagescan import Pages

from .conftest import run_cli

pytestmark = pytest.mark.timeout(120)

PER_SESSION = 300


def _fill(path: Path, workspace: Path | None = None) -> tuple[list[str], dict[int, tuple[str, str, dict]]]:
    """Three sessions of a prompt and PER_SESSION deltas; returns ids and ``{seq: (sid, kind, payload)}``."""
    store = EventStore(path)
    ids = []
    for n in range(3):
        s = store.create_session(workspace or path.parent)
        ids.append(s.id)
        store.append(Event(EventKind.USER_MESSAGE, s.id, {"turn_id": "t", "text": f"prompt {n}"}))
        store.append_many(
            Event(EventKind.ASSISTANT_DELTA, s.id, {"turn_id": "t", "text": f"{n}:{i} " + "x" * 200, "reasoning": ""})
            for i in range(PER_SESSION)
        )
    original = {e.seq: (e.session_id, e.kind, e.payload) for sid in ids for e in store.events(sid)}
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    store.close()
    return ids, original


def _page_size_and_root(path: Path, table: str) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    return size, root


def _flip(path: Path, page_no: int, page_size: int, length: int, at: int = 0) -> None:
    data = bytearray(path.read_bytes())
    start = (page_no - 1) * page_size + at
    data[start : start + length] = bytes(b ^ 0xFF for b in data[start : start + length])
    path.write_bytes(bytes(data))


def _index_reachable(path: Path, tmp: Path) -> tuple[set[str], set[int]]:
    """Session ids and event seqs that plain SQLite still answers from the damaged file (a copy)."""
    copy = tmp / "probe.db"
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        sids = {r[0] for r in conn.execute("SELECT id FROM sessions")}
        seqs = {r[0] for r in conn.execute("SELECT seq FROM events INDEXED BY events_session_seq")}
        with pytest.raises(sqlite3.DatabaseError):  # the table itself is unreadable
            conn.execute("SELECT count(*), sum(length(payload)) FROM events").fetchall()
    finally:
        conn.close()
    return sids, seqs


def _recover_counts(path: Path, tmp: Path) -> tuple[int, int] | None:
    """(sessions, events) that ``sqlite3 FILE .recover`` gets back, or None without a working CLI."""
    if not salvage._sqlite_recover_works():
        return None
    out = tmp / "recovered.db"
    dump = subprocess.run(["sqlite3", str(path), ".recover"], capture_output=True, text=True, timeout=60)
    subprocess.run(["sqlite3", str(out)], input=dump.stdout, capture_output=True, text=True, timeout=60)
    conn = sqlite3.connect(out)
    try:
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
        if "lost_and_found" in tables:  # rows .recover could not attribute: count the event-shaped ones
            cols = [r[1] for r in conn.execute("PRAGMA table_info(lost_and_found)")]
            if "c4" in cols:
                events += conn.execute(
                    "SELECT count(*) FROM lost_and_found WHERE nfield = 5 AND c0 IS NULL AND json_valid(c4)"
                ).fetchone()[0]
    finally:
        conn.close()
    return sessions, events


def test_flipped_events_root_page_is_salvaged_through_the_cli(tmp_path: Path, workspace: Path, log_path: Path) -> None:
    ids, original = _fill(log_path, workspace)
    page_size, root = _page_size_and_root(log_path, "events")
    _flip(log_path, root, page_size, 40)
    damaged = log_path.read_bytes()
    sids_sql, seqs_index = _index_reachable(log_path, tmp_path)
    assert sids_sql == set(ids) and seqs_index == set(original)
    recovered_by_cli = _recover_counts(log_path, tmp_path)

    proc = run_cli("sessions", "--json", "--path", str(workspace))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    listed = json.loads(proc.stdout)
    assert {s["id"] for s in listed} == set(ids)
    assert sorted(s["title"] for s in listed) == ["prompt 0", "prompt 1", "prompt 2"]
    assert all(s["event_count"] == PER_SESSION + 2 for s in listed)
    [aside] = list(log_path.parent.glob("events.db.corrupt-*[0-9]"))
    assert aside.read_bytes() == damaged, "the damaged file is kept byte for byte"
    assert "damaged" in proc.stderr and str(aside) in proc.stderr
    assert f"3 session(s) and {len(original)} event(s) were recovered" in proc.stderr
    assert ("sqlite3 " in proc.stderr) == salvage._sqlite_recover_works()  # a hint only when it works here

    store = EventStore(log_path)
    try:
        assert store.recovery_message is None
        got = {e.seq: (e.session_id, e.kind, e.payload) for sid in ids for e in store.events(sid)}
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    assert got == original  # every event, with its seq and payload
    assert set(got) >= seqs_index
    if recovered_by_cli is not None:
        assert len(ids) >= recovered_by_cli[0] and len(got) >= recovered_by_cli[1]


def test_sql_route_splits_ranges_around_a_bad_leaf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the page scan, seq ranges that fail are halved down to single rows: only the rows
    of the garbled leaf are missing, and they are counted as unreadable (their keys are indexed)."""
    path = tmp_path / "events.db"
    ids, original = _fill(path)
    pages = Pages(path.read_bytes())
    on_page: dict[int, list[int]] = {}
    for pgno, page in pages.versions():
        for rowid, values in pages.leaf_rows(pgno, page):
            if len(values) == 5 and values[0] is None:
                on_page.setdefault(pgno, []).append(rowid)
    middle = sorted(original)[len(original) // 2]
    [bad] = [p for p, rows in on_page.items() if middle in rows]
    lost = set(on_page[bad])
    _flip(path, bad, pages.page_size, pages.page_size - 100, at=100)  # cells gone, header kept
    monkeypatch.setattr(salvage, "_read_pages", lambda _path, _found: None)

    found = salvage.gather(path)
    assert set(found.events) == set(original) - lost
    assert {seq for seq in found.keys if seq not in found.events} == lost
    for seq, (sid, kind, ts, payload) in found.events.items():
        assert (sid, kind, json.loads(payload)) == original[seq]


def test_damaged_pages_are_set_aside_and_readable_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    ids, original = _fill(path)
    data = bytearray(path.read_bytes())
    page = 4096
    # garble a run of pages near the end (the tail of the events table b-tree)
    start = len(data) - 6 * page
    data[start : start + 3 * page] = b"\xde\xad\xbe\xef" * (3 * page // 4)
    path.write_bytes(bytes(data))
    damaged_hash = hashlib.sha256(bytes(data)).hexdigest()

    store = EventStore(path)
    try:
        msg = store.recovery_message
        assert msg and "moved to" in msg
        aside = list(tmp_path.glob("events.db.corrupt-*"))
        assert len(aside) == 1 and hashlib.sha256(aside[0].read_bytes()).hexdigest() == damaged_hash
        assert store.integrity_check() == "ok"
        sessions = store.sessions()
        assert len(sessions) == 3 and {s.id for s in sessions} == set(ids)
        assert sorted(s.title for s in sessions) == ["prompt 0", "prompt 1", "prompt 2"]
        got = {e.seq: (e.session_id, e.kind, e.payload) for sid in ids for e in store.events(sid)}
        assert all(original[seq] == row for seq, row in got.items())
        assert f"3 session(s) and {len(got)} event(s) were recovered" in msg
        assert len(got) >= len(original) - 3 * 20  # at most the rows of the three garbled pages
        # the new log works
        s = store.create_session(tmp_path)
        store.append(Event(EventKind.USER_MESSAGE, s.id, {"turn_id": "t", "text": "after"}))
        assert store.session(s.id).title == "after"
    finally:
        store.close()


def test_garbage_file_keeps_nothing_but_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    path.write_bytes(b"this is not a database at all" * 100)
    store = EventStore(path)
    try:
        assert "nothing could be read" in store.recovery_message
        aside = list(tmp_path.glob("events.db.corrupt-*"))
        assert aside[0].read_bytes() == b"this is not a database at all" * 100
    finally:
        store.close()
