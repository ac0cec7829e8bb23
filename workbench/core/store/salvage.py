"""Copying every readable row of a damaged event log into a new one.

Works on a copy of the damaged file (and its ``-wal``) in a temporary folder, so the set-aside
file is never touched. Rows are gathered from every route that still works, and merged by key:

1. **Through SQLite.** Sessions by a full scan (then both directions, then by rowid ranges);
   event keys ``(seq, session_id, kind)`` from the covering indexes ``events_session_seq`` and
   ``events_session_kind_seq`` (forwards and backwards, so a bad page in the middle costs only
   the rows behind it); then whole event rows by ``seq`` ranges over every known seq: a range
   whose read raises, or lacks a known seq, is split in two, down to single rows, so only rows on
   bad pages are skipped.
2. **From the pages.** :func:`workbench.core.store.pagescan.scan_rows` decodes every table-leaf
   page of the file and of its ``-wal``: rows below a damaged root or interior page are found
   there. A row is taken as an event when it has the events table's shape (5 columns, ``seq`` as
   the rowid, text ``session_id``/``kind``, a number ``ts``, a JSON ``payload``) and as a session
   when it has the sessions table's (a 12-hex-digit id, a workspace, a creation time).

Events are copied with their original ``seq``; the sessions projection is rebuilt by replaying
them. Sessions with no readable events keep their row (title, workspace, times). Events whose key
is in an index but whose row could not be read anywhere are counted as ``unreadable``.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.events import Event

if TYPE_CHECKING:
    from workbench.core.store.db import EventStore

MAX_SPLIT_QUERIES = 200_000
"""Bound on the range queries of one salvage (each failing query on a bad page is fast)."""


@dataclass
class SalvageResult:
    """What a salvage copied.

    Attributes:
        sessions: sessions in the new log.
        events: events copied.
        unreadable: events known from an index whose row could not be read.
    """

    sessions: int = 0
    events: int = 0
    unreadable: int = 0


@dataclass
class _Found:
    events: dict[int, tuple[str, str, float, str]] = field(default_factory=dict)
    keys: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    sessions: dict[str, tuple[str, str | None, float, float, str | None]] = field(default_factory=dict)


def _safe_rows(conn: sqlite3.Connection, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` until the first error (the rows read before it are kept)."""
    out: list[tuple[Any, ...]] = []
    try:
        for row in conn.execute(sql, tuple(args)):
            out.append(row)
    except sqlite3.Error:
        pass
    return out


def _is_session_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 12 and all(c in "0123456789abcdef" for c in value)


def _add_event(found: _Found, seq: Any, sid: Any, kind: Any, ts: Any, payload: Any) -> None:
    if not (isinstance(seq, int) and seq > 0 and isinstance(sid, str) and isinstance(kind, str)):
        return
    if not isinstance(ts, (int, float)) or not isinstance(payload, str):
        return
    try:
        if not isinstance(json.loads(payload), dict):
            return
    except ValueError:
        return
    found.events.setdefault(seq, (sid, kind, float(ts), payload))


def _add_session(found: _Found, row: tuple[Any, ...]) -> None:
    sid, ws, title, created, updated, parent = row
    if not _is_session_id(sid) or not isinstance(ws, str) or not isinstance(created, (int, float)):
        return
    updated = updated if isinstance(updated, (int, float)) else created
    old = found.sessions.get(sid)
    if old is None or updated > old[3]:  # a stale copy of the row on a free page loses
        found.sessions[sid] = (
            ws,
            title if isinstance(title, str) else None,
            float(created),
            float(updated),
            parent if isinstance(parent, str) else None,
        )


def _read_sql(conn: sqlite3.Connection, found: _Found) -> None:
    cols = "id, workspace, title, created, updated, parent_id"
    for order in ("ASC", "DESC"):
        for row in _safe_rows(conn, f"SELECT {cols} FROM sessions ORDER BY rowid {order}"):
            _add_session(found, row)
    for order in ("ASC", "DESC"):
        for sid, seq in _safe_rows(
            conn, f"SELECT session_id, seq FROM events INDEXED BY events_session_seq ORDER BY session_id {order}, seq {order}"
        ):
            if isinstance(seq, int):
                found.keys.setdefault(seq, (sid, None))
        for sid, kind, seq in _safe_rows(
            conn,
            "SELECT session_id, kind, seq FROM events INDEXED BY "
            f"events_session_kind_seq ORDER BY session_id {order}, kind {order}, seq {order}",
        ):
            if isinstance(seq, int):
                found.keys[seq] = (sid, kind)
    ev = "SELECT seq, session_id, kind, ts, payload FROM events"
    for order in ("ASC", "DESC"):
        for row in _safe_rows(conn, f"{ev} ORDER BY seq {order}"):
            _add_event(found, *row)


def _split_ranges(conn: sqlite3.Connection, found: _Found, known: list[int]) -> None:
    """Read event rows by ``seq`` ranges over ``known`` (sorted); split ranges whose read raises."""
    ev = "SELECT seq, session_id, kind, ts, payload FROM events WHERE seq BETWEEN ? AND ?"
    budget = MAX_SPLIT_QUERIES
    stack = [(0, len(known) - 1)] if known else []
    for lo, hi in ((-(1 << 63), known[0] - 1), (known[-1] + 1, (1 << 63) - 1)) if known else ():
        for row in _safe_rows(conn, ev, (lo, hi)):
            _add_event(found, *row)
    while stack and budget > 0:
        i, j = stack.pop()
        if all(known[k] in found.events for k in range(i, j + 1)):
            continue
        budget -= 1
        try:
            for row in conn.execute(ev, (known[i], known[j])).fetchall():
                _add_event(found, *row)
        except sqlite3.Error:
            pass
        # A range over a bad page may raise, or quietly end early (a garbled cell looks like a
        # row past the range): either way, split while a known seq of it is still missing.
        if i < j and not all(known[k] in found.events for k in range(i, j + 1)):
            mid = (i + j) // 2
            stack += [(mid + 1, j), (i, mid)]


def _read_pages(path: Path, found: _Found) -> None:
    from workbench.core.store.pagescan import scan_rows

    try:
        for rowid, values in scan_rows(path):
            if len(values) == 5 and values[0] is None:
                _add_event(found, rowid, *values[1:])
            elif len(values) >= 10 and _is_session_id(values[0]):
                _add_session(found, (values[0], values[1], values[2], values[3], values[4], values[9]))
    except OSError:
        pass


def gather(damaged: Path) -> _Found:
    """Collect every readable session and event of ``damaged`` (the file is only read; SQLite
    reads a temporary copy, since opening a WAL database creates files next to it)."""
    found = _Found()
    _read_pages(damaged, found)
    with tempfile.TemporaryDirectory(prefix="workbench-salvage-") as tmp:
        copy = Path(tmp) / "copy.db"
        try:
            shutil.copyfile(damaged, copy)
            side = damaged.with_name(damaged.name + "-wal")
            if side.exists():
                shutil.copyfile(side, Path(tmp) / "copy.db-wal")
            conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        except (OSError, sqlite3.Error):
            return found
        try:
            _read_sql(conn, found)
            _split_ranges(conn, found, sorted(set(found.keys) | set(found.events)))
        except sqlite3.Error:
            pass
        finally:
            conn.close()
    return found


def salvage_into(store: EventStore, damaged: Path) -> SalvageResult:
    """Copy what can be read from ``damaged`` into ``store`` (a new, empty log), in one transaction.

    Raises:
        sqlite3.Error / OSError: writing the new log failed (the caller rolls back and reports).
    """
    found = gather(damaged)
    result = SalvageResult()
    result.unreadable = sum(1 for seq in found.keys if seq not in found.events)
    sids = {sid for sid, *_ in found.events.values()} | set(found.sessions)
    if not sids:
        return result
    workspaces = Counter(s[0] for s in found.sessions.values())
    fallback_ws = workspaces.most_common(1)[0][0] if workspaces else "?"
    first_ts: dict[str, float] = {}
    created_ws: dict[str, str] = {}
    for seq in sorted(found.events):
        sid, kind, ts, payload = found.events[seq]
        first_ts.setdefault(sid, ts)
        if kind == "session.created" and sid not in created_ws:
            created_ws[sid] = json.loads(payload).get("workspace") or fallback_ws
    conn = store._conn
    with store._transaction():
        for sid in sorted(sids):
            ws, title, created, updated, parent = found.sessions.get(sid) or (
                created_ws.get(sid, fallback_ws),
                None,
                first_ts[sid],
                first_ts[sid],
                None,
            )
            conn.execute(
                "INSERT OR IGNORE INTO sessions(id, workspace, title, created, updated, parent_id) VALUES (?,?,?,?,?,?)",
                (sid, ws, title, created, updated, parent),
            )
        for seq in sorted(found.events):
            sid, kind, ts, payload = found.events[seq]
            conn.execute(
                "INSERT INTO events(seq, session_id, kind, ts, payload) VALUES (?,?,?,?,?)", (seq, sid, kind, ts, payload)
            )
            store._project(Event(kind, sid, json.loads(payload), seq, ts))
            result.events += 1
    result.sessions = len(sids)
    return result


_RECOVER_WORKS: bool | None = None


def _sqlite_recover_works() -> bool:
    """Whether this machine's ``sqlite3`` shell has a working ``.recover`` (probed once)."""
    global _RECOVER_WORKS
    if _RECOVER_WORKS is None:
        _RECOVER_WORKS = False
        exe = shutil.which("sqlite3")
        if exe:
            with tempfile.TemporaryDirectory(prefix="workbench-probe-") as tmp:
                probe = Path(tmp) / "probe.db"
                with sqlite3.connect(probe) as c:
                    c.execute("CREATE TABLE t(x)")
                    c.execute("INSERT INTO t VALUES ('probe-row')")
                c.close()
                try:
                    out = subprocess.run([exe, str(probe), ".recover"], capture_output=True, text=True, timeout=10)
                    _RECOVER_WORKS = out.returncode == 0 and "probe-row" in out.stdout
                except (OSError, subprocess.SubprocessError):
                    pass
    return _RECOVER_WORKS


def inspect_hint(damaged: Path) -> str | None:
    """A command that works on this machine to inspect ``damaged`` further, or None.

    ``sqlite3 FILE .recover`` when the ``sqlite3`` shell is installed and its ``.recover`` works
    (some builds lack the ``sqlite_dbpage`` table it needs and fail with "SQL logic error").
    """
    if _sqlite_recover_works():
        return f"sqlite3 {damaged} .recover > recovered.sql"
    return None
