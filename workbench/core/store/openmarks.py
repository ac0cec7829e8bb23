"""Open-session markers: noticing a lost write-ahead log.

Committed events live in ``events.db-wal`` until SQLite checkpoints them into ``events.db``. If a
process is killed and that file is then deleted (a cleanup script, a copy of the folder without
it), the events are gone and the database alone cannot tell. So each process keeps one small
marker per session it has open, ``<log folder>/open-sessions/<session id>.json``::

    {"pid": 4242, "seq": 57, "ts": 1764680000.0}

written when the session is opened and after each finished turn (``seq``: the last event of the
session known to be committed then), and deleted when the session is closed. On the next open of
the log, a marker whose process is gone is checked against the database (see :func:`check`):

* the session is closed in the log, or the ``-wal`` file is there and the log holds at least
  ``seq``: nothing was lost (the session shows as ``crashed``); the marker is removed;
* otherwise a warning names the session: its events after ``seq`` are lost (the log lacks them),
  or may be lost (the ``-wal`` file was missing at start); the marker is removed after warning once.

Markers are best effort: failing to write one (a full disk) never fails an append. Blocking: call
from the store thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from workbench.core.pids import pid_alive

MARK_DIR = "open-sessions"


class OpenMarks:
    """The markers of one event log.

    Args:
        log_path: the event log file (markers go in ``open-sessions/`` next to it).
    """

    def __init__(self, log_path: Path) -> None:
        self.log_path = Path(log_path)
        self.dir = self.log_path.parent / MARK_DIR

    def mark(self, session_id: str, seq: int) -> None:
        """Record that this process has ``session_id`` open and its events up to ``seq`` committed."""
        from workbench.core.fsutil import atomic_write
        from workbench.core.paths import private_dir

        data = json.dumps({"pid": os.getpid(), "seq": int(seq), "ts": time.time()})
        try:
            private_dir(self.dir)  # data dir folders are 0700 (SECURITY.md invariant 5)
            atomic_write(self.dir / f"{session_id}.json", data, durable=False, new_mode=0o600)  # on the append path: no fsync
        except OSError:
            pass  # best effort: a full disk must not fail the append that was just committed

    def clear(self, session_id: str) -> None:
        """Forget ``session_id`` (closed cleanly)."""
        try:
            os.unlink(self.dir / f"{session_id}.json")
        except OSError:
            pass

    def _read(self) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        try:
            names = sorted(os.listdir(self.dir))
        except OSError:
            return out
        for name in names:
            if not name.endswith(".json") or name.startswith("."):
                continue
            try:
                data = json.loads((self.dir / name).read_text(encoding="utf-8"))
                out.append((name[: -len(".json")], {"pid": int(data["pid"]), "seq": int(data["seq"])}))
            except (OSError, ValueError, KeyError, TypeError):
                self.clear(name[: -len(".json")])  # unreadable marker: nothing to compare with
        return out

    def check(self, conn: sqlite3.Connection, *, wal_existed: bool) -> list[str]:
        """Compare the markers of dead processes with the log; return warnings (one per session).

        Args:
            conn: an open connection to the log.
            wal_existed: whether ``<log>-wal`` existed before this process opened the log.
        """
        warnings: list[str] = []
        wal = self.log_path.with_name(self.log_path.name + "-wal")
        for sid, mark in self._read():
            pid, seq = mark["pid"], mark["seq"]
            if pid == os.getpid() or pid_alive(pid):
                continue
            row = conn.execute("SELECT closed FROM sessions WHERE id = ?", (sid,)).fetchone()
            if row is not None and row[0]:
                self.clear(sid)
                continue
            last = int(conn.execute("SELECT MAX(seq) FROM events WHERE session_id = ?", (sid,)).fetchone()[0] or 0)
            head = f"Session {sid} was open in process {pid}, which stopped without closing it"
            if row is None:
                warnings.append(
                    f"{head}, and it is missing from the event log {self.log_path} (its write-ahead file "
                    f"{wal.name} was {'replaced' if wal_existed else 'missing'}): its events are lost."
                )
            elif last < seq:
                warnings.append(
                    f"{head}; the event log {self.log_path} holds its events only up to seq {last} of at "
                    f"least {seq} (its write-ahead file {wal.name} was {'replaced' if wal_existed else 'missing'}): "
                    "its last events are lost."
                )
            elif not wal_existed:
                warnings.append(
                    f"{head}, and the event log's write-ahead file {wal} was missing at start: its last events may be lost."
                )
            self.clear(sid)
        return warnings

    def forget_dead(self) -> None:
        """Remove the markers of dead processes without checking (the log was replaced)."""
        for sid, mark in self._read():
            if mark["pid"] != os.getpid() and not pid_alive(mark["pid"]):
                self.clear(sid)
