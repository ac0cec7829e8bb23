"""Synchronous SQLite event log.

One database file per workspace (``<data dir>/workspaces/<key>/events.db``), in WAL mode with
``synchronous=FULL``: every append is one explicit transaction, committed before the caller gets the
event back, so whatever the UI or stdout showed survives a SIGKILL (and a power loss).

Tables:

* ``events(seq INTEGER PRIMARY KEY, session_id, kind, ts, payload JSON)``: the log itself.
* ``sessions(id, workspace, title, created, updated, message_count, pid, closed, parent_id, ...)``:
  a projection kept in the same transaction as each append, so listing sessions never scans events.

A file that is not a SQLite database, or fails ``PRAGMA quick_check``, is moved aside (never
overwritten) to ``events.db.corrupt-<UTC time>`` together with its ``-wal``/``-shm`` files, a new
log is started and every row still readable is copied into it (:mod:`.opening`, :mod:`.salvage`);
:attr:`EventStore.recovery_message` says what happened. A failing *disk* (full, I/O error,
read-only) is not damage: it raises :class:`~workbench.core.store.errors.LogWriteError` and
nothing is moved. A session left open by a dead process whose ``-wal`` went missing is reported
too (:mod:`.openmarks`).

Not thread-safe: use it from one thread (see :class:`workbench.core.store.aio.AsyncEventStore`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.event_payloads import AssistantDelta, AssistantMessage, SessionOpened, SessionTitled, UserMessage
from workbench.core.events import MESSAGE_KINDS, Event, EventKind
from workbench.core.pids import pid_alive
from workbench.core.store.errors import CorruptLogError, LogWriteError, classify, translate
from workbench.core.store.opening import LogOpening
from workbench.core.store.openmarks import OpenMarks

__all__ = ["CorruptLogError", "EventStore", "LogWriteError", "SessionInfo", "SessionNotFound"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts REAL NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_session_seq ON events(session_id, seq);
CREATE INDEX IF NOT EXISTS events_session_kind_seq ON events(session_id, kind, seq);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    title TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    event_count INTEGER NOT NULL DEFAULT 0,
    pid INTEGER,
    closed INTEGER NOT NULL DEFAULT 0,
    parent_id TEXT,
    model TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0
);
"""


class SessionNotFound(KeyError):
    """No session matches the given id or id prefix (or the prefix is ambiguous)."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain message.
        return str(self.args[0]) if self.args else "session not found"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A row of the session list.

    Attributes:
        id: session id (12 hex characters).
        workspace: absolute workspace path.
        title: from the first prompt (None until then).
        created / updated: Unix times in seconds.
        message_count: user + assistant messages.
        event_count: events in the log for this session.
        status: ``"open"`` (a live process holds it), ``"crashed"`` (its process died without
            closing it), ``"closed"``, or ``"new"`` (never opened).
        parent_id: the session this one was forked from, if any.
        model: the model last used.
        prompt_tokens / completion_tokens: summed from the API's ``usage``.
    """

    id: str
    workspace: str
    title: str | None
    created: float
    updated: float
    message_count: int
    event_count: int
    status: str
    parent_id: str | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int

    def to_dict(self) -> dict[str, Any]:
        """Return the row as a JSON-ready dict."""
        return {
            "id": self.id,
            "workspace": self.workspace,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "message_count": self.message_count,
            "event_count": self.event_count,
            "status": self.status,
            "parent_id": self.parent_id,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


def _title_from(text: str, limit: int = 60) -> str:
    line = " ".join(text.strip().split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class EventStore(LogOpening):
    """The event log of one workspace (a SQLite file).

    Args:
        path: the database file; its folder is created if missing.

    Raises:
        CorruptLogError: the file is unusable and could not be moved aside.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.recovery_message: str | None = None
        """What the user should know about the log after opening it (None: nothing): a damaged
        file was moved aside and salvaged, or an open session's last events may have been lost."""
        from workbench.core.redact import Redactor

        self.redactor = Redactor()
        """Applied to every payload before it is written (see :mod:`workbench.core.redact`)."""
        self._marks = OpenMarks(self.path)
        self._mine: set[str] = set()
        wal_existed = self.path.with_name(self.path.name + "-wal").exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists() or self.path.stat().st_mode & 0o077:
                from workbench.core.paths import private_file

                private_file(self.path)  # 0600 before SQLite opens it; -wal/-shm copy its mode
        except OSError as exc:
            raise (classify(exc, self.path) or exc) from exc
        self._conn = self._open()
        self._check_marks(wal_existed)
        from workbench.core.store.interrupted import seal_crashed_sessions

        try:
            sealed = seal_crashed_sessions(self)
        except LogWriteError:  # a disk failing on a read: the sessions stay as they were
            sealed = []
        self.sealed_sessions: list[str] = sealed
        """Crashed sessions whose unfinished turn was written down on this open (see
        :mod:`workbench.core.store.interrupted`)."""

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            # Checkpoint every 256 pages (1 MiB at 4 KiB pages, default 1000) and cut the -wal
            # back to 1 MiB after a checkpoint: the -wal stays small on a small disk.
            conn.execute("PRAGMA wal_autocheckpoint=256")
            conn.execute(f"PRAGMA journal_size_limit={1 << 20}")
            conn.executescript(_SCHEMA)
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the database connection (idempotent).

        Sessions this process still has open keep their markers (see :mod:`.openmarks`) unless
        closing checkpointed everything into the main file (the ``-wal`` is gone then).
        """
        try:
            self._conn.close()
        except sqlite3.Error:  # pragma: no cover
            pass
        if self._mine and not self.path.with_name(self.path.name + "-wal").exists():
            for sid in self._mine:
                self._marks.clear(sid)
            self._mine.clear()

    # -- sessions ----------------------------------------------------------------------------
    @translate
    def create_session(self, workspace: Path | str, *, parent_id: str | None = None, fork_seq: int | None = None) -> SessionInfo:
        """Create a session and append its ``session.created`` event.

        Args:
            workspace: the workspace path (stored absolute).
            parent_id: the session this one forks, if any.
            fork_seq: the last event seq of the parent that the fork keeps.

        Returns:
            The new session's row.
        """
        session_id = uuid.uuid4().hex[:12]
        now = time.time()
        ws = str(Path(workspace).resolve())
        with self._transaction():
            self._conn.execute(
                "INSERT INTO sessions(id, workspace, created, updated, parent_id) VALUES (?,?,?,?,?)",
                (session_id, ws, now, now, parent_id),
            )
            self._insert(
                Event(
                    EventKind.SESSION_CREATED,
                    session_id,
                    {"workspace": ws, "title": None, "parent_id": parent_id, "fork_seq": fork_seq},
                ),
                now,
            )
        return self.session(session_id)

    @translate
    def session(self, id_or_prefix: str) -> SessionInfo:
        """Return the session whose id is, or starts with, ``id_or_prefix``.

        Raises:
            SessionNotFound: no match, or several sessions share the prefix.
        """
        rows = self._conn.execute(
            "SELECT * FROM sessions WHERE id = ? OR id LIKE ? ORDER BY created",
            (id_or_prefix, id_or_prefix.replace("%", "").replace("_", "") + "%"),
        ).fetchall()
        exact = [r for r in rows if r[0] == id_or_prefix]
        rows = exact or rows
        if not rows:
            raise SessionNotFound(f"no session with id {id_or_prefix!r}; list them with `workbench sessions`")
        if len(rows) > 1:
            ids = ", ".join(r[0] for r in rows[:5])
            raise SessionNotFound(f"session id {id_or_prefix!r} is ambiguous ({ids}); give more characters")
        return self._row_to_info(rows[0])

    @translate
    def sessions(self, workspace: Path | str | None = None) -> list[SessionInfo]:
        """Return sessions, most recently updated first (optionally only one workspace's)."""
        if workspace is None:
            rows = self._conn.execute("SELECT * FROM sessions ORDER BY updated DESC").fetchall()
        else:
            rows = self._conn.execute(
                "SELECT * FROM sessions WHERE workspace = ? ORDER BY updated DESC",
                (str(Path(workspace).resolve()),),
            ).fetchall()
        return [self._row_to_info(r) for r in rows]

    def _row_to_info(self, row: tuple[Any, ...]) -> SessionInfo:
        (sid, ws, title, created, updated, mcount, ecount, pid, closed, parent, model, pt, ct) = row
        if closed:
            status = "closed"
        elif pid is None:
            status = "new"
        elif pid_alive(pid):
            status = "open"
        else:
            status = "crashed"
        return SessionInfo(sid, ws, title, created, updated, mcount, ecount, status, parent, model, pt, ct)

    # -- appending ---------------------------------------------------------------------------
    def append(self, event: Event) -> Event:
        """Append one event in its own committed transaction.

        Returns:
            The stored event, with ``seq`` and ``ts`` assigned.
        """
        return self.append_many([event])[0]

    @translate
    def append_many(self, events: Iterable[Event]) -> list[Event]:
        """Append several events in one committed transaction (all or nothing).

        Raises:
            LogWriteError: the disk is full, failing or read-only (nothing of the batch is stored;
                everything committed before stays).
        """
        now = time.time()
        out: list[Event] = []
        with self._transaction():
            for event in events:
                out.append(self._insert(event, now))
        self._mark_open_sessions(out)
        return out

    def _mark_open_sessions(self, stored: list[Event]) -> None:
        """Keep this process's open-session markers in step (see :mod:`.openmarks`)."""
        for e in stored:
            if e.kind == EventKind.SESSION_OPENED and SessionOpened.of(e).pid == os.getpid():
                self._mine.add(e.session_id)
                self._marks.mark(e.session_id, e.seq)
            elif e.kind == EventKind.TURN_FINISHED and e.session_id in self._mine:
                self._marks.mark(e.session_id, e.seq)
            elif e.kind == EventKind.SESSION_CLOSED:
                self._mine.discard(e.session_id)
                self._marks.clear(e.session_id)

    def _insert(self, event: Event, now: float) -> Event:
        clean = self.redactor(event.payload)
        event = Event(event.kind, event.session_id, clean, event.seq, event.ts)
        payload = json.dumps(clean, ensure_ascii=False, separators=(",", ":"))
        cur = self._conn.execute(
            "INSERT INTO events(session_id, kind, ts, payload) VALUES (?,?,?,?)",
            (event.session_id, event.kind, now, payload),
        )
        assert cur.lastrowid is not None  # set by every INSERT
        stored = Event(event.kind, event.session_id, event.payload, int(cur.lastrowid), now)
        self._project(stored)
        return stored

    def _project(self, e: Event) -> None:
        """Keep the ``sessions`` row in step with the event (same transaction)."""
        sets = ["updated = ?", "event_count = event_count + 1"]
        args: list[Any] = [e.ts]
        if e.kind == EventKind.USER_MESSAGE:
            sets.append("message_count = message_count + 1")
            sets.append("title = COALESCE(title, ?)")
            args.append(_title_from(UserMessage.of(e).text) or None)
        elif e.kind == EventKind.ASSISTANT_MESSAGE:
            sets.append("message_count = message_count + 1")
            reply = AssistantMessage.of(e)
            usage = reply.usage or {}
            sets.append("prompt_tokens = prompt_tokens + ?")
            args.append(int(usage.get("prompt_tokens") or 0))
            sets.append("completion_tokens = completion_tokens + ?")
            args.append(int(usage.get("completion_tokens") or 0))
            if reply.model:
                sets.append("model = ?")
                args.append(reply.model)
        elif e.kind == EventKind.SESSION_TITLED:
            sets.append("title = ?")
            args.append(SessionTitled.of(e).title)
        elif e.kind == EventKind.SESSION_OPENED:
            opened = SessionOpened.of(e)
            sets += ["pid = ?", "closed = 0"]
            args.append(opened.pid)
            if opened.model:
                sets.append("model = ?")
                args.append(opened.model)
        elif e.kind == EventKind.SESSION_CLOSED:
            sets += ["closed = 1", "pid = NULL"]
        args.append(e.session_id)
        self._conn.execute(f"UPDATE sessions SET {', '.join(sets)} WHERE id = ?", args)

    class _Tx:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __enter__(self) -> None:
            self.conn.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
            if exc_type is None:
                try:
                    self.conn.execute("COMMIT")
                    return
                except BaseException:
                    self._rollback()
                    raise
            self._rollback()

        def _rollback(self) -> None:
            # SQLite may have rolled back already (SQLITE_FULL, SQLITE_IOERR): then there is
            # no transaction left, and ROLLBACK would raise over the real error.
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass

    def _transaction(self) -> EventStore._Tx:
        return EventStore._Tx(self._conn)

    # -- reading -----------------------------------------------------------------------------
    @translate
    def events(
        self,
        session_id: str,
        *,
        after_seq: int = 0,
        kinds: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """Return a session's events with ``seq > after_seq`` in order (optionally filtered)."""
        return list(self.iter_events(session_id, after_seq=after_seq, kinds=kinds, limit=limit))

    def iter_events(
        self,
        session_id: str,
        *,
        after_seq: int = 0,
        kinds: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[Event]:
        """Iterate a session's events in ``seq`` order without loading them all at once."""
        sql = "SELECT seq, session_id, kind, ts, payload FROM events WHERE session_id = ? AND seq > ?"
        args: list[Any] = [session_id, after_seq]
        if kinds is not None:
            kinds = list(kinds)
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += kinds
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        for seq, sid, kind, ts, payload in self._conn.execute(sql, args):
            yield Event(kind, sid, json.loads(payload), seq, ts)

    @translate
    def history_page(self, session_id: str, *, before_seq: int | None = None, limit: int = 50) -> list[Event]:
        """Return up to ``limit`` conversation events (:data:`MESSAGE_KINDS`) before ``before_seq``.

        The page is in ascending ``seq`` order; pass the first event's ``seq`` as ``before_seq`` to
        get the previous page. Uses the ``(session_id, kind, seq)`` index, so the cost depends on
        the page size, not on the session's length.
        """
        before = before_seq if before_seq is not None else 2**62
        kinds = list(MESSAGE_KINDS)
        rows = self._conn.execute(
            "SELECT seq, session_id, kind, ts, payload FROM events "
            f"WHERE session_id = ? AND kind IN ({','.join('?' * len(kinds))}) AND seq < ? "
            "ORDER BY seq DESC LIMIT ?",
            [session_id, *kinds, before, limit],
        ).fetchall()
        rows.reverse()
        return [Event(k, s, json.loads(p), q, t) for q, s, k, t, p in rows]

    @translate
    def interrupted_tail(self, session_id: str) -> Event | None:
        """Rebuild a reply that was cut by a crash (deltas written, no ``assistant.message``).

        Returns:
            A synthetic ``assistant.message`` event (not stored) marked ``interrupted`` holding the
            text of the trailing deltas, or None when the last reply ended normally.
        """
        row = self._conn.execute(
            "SELECT seq FROM events WHERE session_id = ? AND kind IN (?, ?, ?, ?) ORDER BY seq DESC LIMIT 1",
            (
                session_id,
                EventKind.ASSISTANT_MESSAGE,
                EventKind.TURN_FINISHED,
                EventKind.USER_MESSAGE,
                EventKind.TURN_ERROR,
            ),
        ).fetchone()
        last_end = row[0] if row else 0
        deltas = self.events(session_id, after_seq=last_end, kinds=[EventKind.ASSISTANT_DELTA])
        if not deltas:
            return None
        parts = [AssistantDelta.of(d) for d in deltas]
        text = "".join(p.text for p in parts)
        reasoning = "".join(p.reasoning for p in parts)
        return Event(
            EventKind.ASSISTANT_MESSAGE,
            session_id,
            {
                "turn_id": parts[0].turn_id,
                "text": text,
                "reasoning": reasoning,
                "finish_reason": None,
                "interrupted": True,
                "usage": None,
                "model": None,
                "request_id": None,
                "recovered": True,
            },
            deltas[-1].seq,
            deltas[-1].ts,
        )

    @translate
    def last_seq(self, session_id: str) -> int:
        """Return the highest ``seq`` of a session (0 when it has no events)."""
        row = self._conn.execute("SELECT MAX(seq) FROM events WHERE session_id = ?", (session_id,)).fetchone()
        return int(row[0] or 0)

    @translate
    def integrity_check(self) -> str:
        """Run ``PRAGMA integrity_check`` and return its first line (``"ok"`` when healthy)."""
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])
