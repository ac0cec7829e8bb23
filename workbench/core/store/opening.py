"""Opening the event log: telling damage from a failing disk, setting a damaged file aside.

:class:`LogOpening` is the part of :class:`~workbench.core.store.db.EventStore` that runs before
the first read or write: it checks the file (header, ``PRAGMA quick_check``), connects with the
log's pragmas, moves a damaged file aside and salvages it (:mod:`.salvage`), and compares the
open-session markers with the log (:mod:`.openmarks`). Only a bad header, ``SQLITE_CORRUPT``/
``SQLITE_NOTADB`` or a failing ``quick_check`` count as damage; a full, failing or read-only disk
raises :class:`~workbench.core.store.errors.LogWriteError` and nothing is moved.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

from workbench.core.store.errors import CorruptLogError, classify, is_corruption
from workbench.core.store.openmarks import OpenMarks

if TYPE_CHECKING:
    from workbench.core.store.db import EventStore

SQLITE_HEADER = b"SQLite format 3\x00"


class LogOpening:
    """Mixin of :class:`~workbench.core.store.db.EventStore`: opening, damage handling, salvage."""

    path: Path
    recovery_message: str | None
    _conn: sqlite3.Connection
    _marks: OpenMarks

    def _connect(self) -> sqlite3.Connection:  # pragma: no cover - defined by EventStore
        raise NotImplementedError

    def _open(self) -> sqlite3.Connection:
        problem = self._check_file()
        if problem is None:
            try:
                return self._connect()
            except sqlite3.DatabaseError as exc:
                if not is_corruption(exc):
                    err = classify(exc, self.path)
                    if err is None:
                        raise
                    raise err from exc
                problem = f"{type(exc).__name__}: {exc}"
        return self._replace_damaged(problem)

    def _replace_damaged(self, problem: str) -> sqlite3.Connection:
        """Move the damaged file aside, start a new log and salvage into it.

        When the new log cannot be written (a full disk), everything is put back as it was and
        :class:`LogWriteError` is raised: nothing is left set aside.
        """
        from workbench.core.store.salvage import SalvageResult, inspect_hint, salvage_into

        moved = self._move_aside()
        note = ""
        try:
            from workbench.core.paths import private_file

            private_file(self.path)
            self._conn = self._connect()
            try:
                # LogOpening is only ever the EventStore mixin (see the class docstring).
                result = salvage_into(cast("EventStore", self), moved)
            except (sqlite3.Error, OSError) as exc:
                if classify(exc, self.path) is not None:
                    raise
                result, note = SalvageResult(), f" (salvage stopped: {exc})"
        except (sqlite3.Error, OSError) as exc:
            self._put_back(moved)
            err = classify(exc, self.path)
            if err is not None:
                raise err from exc
            raise CorruptLogError(f"cannot create a new event log at {self.path}: {exc}") from exc
        if result.sessions or result.events:
            kept = f"{result.sessions} session(s) and {result.events} event(s) were recovered into it"
        else:
            kept = "nothing could be read from it"
        if result.unreadable:
            kept += f"; {result.unreadable} event(s) listed in an index could not be read"
        hint = inspect_hint(moved)
        self.recovery_message = (
            f"The event log {self.path} is damaged ({problem}). It was moved to {moved} "
            f"(nothing was overwritten) and a new log was started; {kept}{note}."
            + (f" Inspect the old file with: {hint}" if hint else "")
        )
        return self._conn

    def _put_back(self, moved: Path) -> None:
        """Undo :meth:`_move_aside` after the new log could not be created."""
        try:
            self._conn.close()
        except (AttributeError, sqlite3.Error):
            pass
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.path.with_name(self.path.name + suffix))
            except OSError:
                pass
        os.rename(moved, self.path)
        for suffix in ("-wal", "-shm"):
            side = moved.with_name(moved.name + suffix)
            if side.exists():
                os.rename(side, self.path.with_name(self.path.name + suffix))

    def _check_marks(self, wal_existed: bool) -> None:
        if self.recovery_message is not None:  # a new log: the old markers cannot be compared
            self._marks.forget_dead()
            return
        try:
            warnings = self._marks.check(self._conn, wal_existed=wal_existed)
        except sqlite3.Error:
            return
        if warnings:
            self.recovery_message = " ".join(warnings)

    def _check_file(self) -> str | None:
        """Return why the file is damaged, or None when it is fine (or does not exist).

        Only a bad header, ``SQLITE_CORRUPT``/``SQLITE_NOTADB`` or a failing ``PRAGMA quick_check``
        count as damage.

        Raises:
            LogWriteError: the file cannot be read or checked because of the disk.
        """
        try:
            size = self.path.stat().st_size
            if size == 0:
                return None
            with open(self.path, "rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise (classify(exc, self.path) or exc) from exc
        if header != SQLITE_HEADER:
            return "not a SQLite database: bad file header"
        try:
            conn = sqlite3.connect(self.path, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout=5000")
                rows = conn.execute("PRAGMA quick_check").fetchall()
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            if is_corruption(exc):
                return f"{type(exc).__name__}: {exc}"
            err = classify(exc, self.path)
            if err is None:
                raise
            raise err from exc
        if rows != [("ok",)]:
            return "integrity check failed: " + "; ".join(str(r[0]) for r in rows[:3])
        return None

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        os.rename(self.path, target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.rename(side, target.with_name(target.name + suffix))
        return target
