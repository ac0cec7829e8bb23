"""A damaged event log is moved aside (never overwritten, bytes preserved) with a clear message,
and a new log is started; the CLI reports it on stderr and carries on."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from workbench.core.events import Event, EventKind
from workbench.core.store import AsyncEventStore, EventStore

from .conftest import run_cli

pytestmark = pytest.mark.timeout(60)


def _fill(path: Path, workspace: Path, n: int = 400) -> None:
    store = EventStore(path)
    try:
        s = store.create_session(workspace)
        store.append_many(
            Event(EventKind.USER_MESSAGE, s.id, {"turn_id": f"t{i}", "text": f"message {i} " + "y" * 200}) for i in range(n)
        )
    finally:
        store.close()
    assert not Path(str(path) + "-wal").exists() or Path(str(path) + "-wal").stat().st_size == 0


def _garbage(path: Path, workspace: Path) -> None:
    path.write_bytes(b"this is not an SQLite database\n" * 300 + os.urandom(3000))


def _truncated(path: Path, workspace: Path) -> None:
    _fill(path, workspace)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _garbled(path: Path, workspace: Path) -> None:
    _fill(path, workspace)
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    # Keep the header page, scribble over the b-tree pages that follow it.
    data[page : 4 * page] = (b"\xde\xad\xbe\xef" * page)[: 3 * page]
    path.write_bytes(bytes(data))


def _corrupt_files(path: Path) -> list[Path]:
    return sorted(
        p for p in path.parent.iterdir() if p.name.startswith(path.name + ".corrupt-") and not p.name.endswith(("-wal", "-shm"))
    )


@pytest.mark.parametrize("damage", [_garbage, _truncated, _garbled], ids=["garbage", "truncated", "garbled"])
def test_corrupt_log_is_moved_aside_and_a_new_one_works(damage, log_path: Path, workspace: Path) -> None:
    damage(log_path, workspace)
    original = log_path.read_bytes()

    store = EventStore(log_path)
    try:
        moved = _corrupt_files(log_path)
        assert len(moved) == 1
        assert moved[0].read_bytes() == original, "the damaged file must be kept byte for byte"
        msg = store.recovery_message
        assert msg is not None
        assert str(log_path) in msg and str(moved[0]) in msg
        assert "damaged" in msg and "nothing was overwritten" in msg
        # The new log works.
        s = store.create_session(workspace)
        e = store.append(Event(EventKind.USER_MESSAGE, s.id, {"turn_id": "t", "text": "fresh start"}))
        assert store.events(s.id)[-1] == e
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    with sqlite3.connect(log_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = EventStore(log_path)
    try:
        assert again.recovery_message is None
        titles = [r.title for r in again.sessions(workspace)]
        # the new session, plus the old one when salvage could read some of it
        assert titles[0] == "fresh start" and all(t.startswith("message 0 ") for t in titles[1:])
    finally:
        again.close()


def test_second_corruption_never_overwrites_the_first(log_path: Path, workspace: Path) -> None:
    first = b"first damaged file " * 100
    second = b"second damaged file " * 100
    log_path.write_bytes(first)
    EventStore(log_path).close()
    log_path.write_bytes(second)  # damaged again (likely within the same second: same time stamp)
    store = EventStore(log_path)
    store.close()
    moved = _corrupt_files(log_path)
    assert len(moved) == 2
    assert sorted(p.read_bytes() for p in moved) == sorted([first, second])


def test_wal_and_shm_move_with_the_corrupt_file(log_path: Path, workspace: Path) -> None:
    log_path.write_bytes(b"garbage" * 500)
    wal = Path(str(log_path) + "-wal")
    wal.write_bytes(b"old wal bytes")
    store = EventStore(log_path)
    store.close()
    [moved] = _corrupt_files(log_path)
    assert Path(str(moved) + "-wal").read_bytes() == b"old wal bytes"


async def test_async_store_exposes_the_recovery_message(log_path: Path, workspace: Path) -> None:
    _garbage(log_path, workspace)
    store = await AsyncEventStore.open(log_path)
    try:
        assert store.recovery_message is not None and "moved to" in store.recovery_message
        s = await store.create_session(workspace)
        assert (await store.session(s.id)).status == "new"
    finally:
        await store.close()


def test_sessions_command_reports_recovery_on_stderr(log_path: Path, workspace: Path) -> None:
    original = b"\x00\x01 definitely not sqlite " * 200
    log_path.write_bytes(original)
    proc = run_cli("sessions", "--path", str(workspace))
    assert proc.returncode == 0, proc.stderr
    [moved] = _corrupt_files(log_path)
    assert moved.read_bytes() == original
    assert "damaged" in proc.stderr and str(log_path) in proc.stderr and str(moved) in proc.stderr
    assert "No sessions yet" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_sessions_show_reports_recovery_on_stderr(log_path: Path, workspace: Path) -> None:
    log_path.write_bytes(b"garbage " * 500)
    proc = run_cli("sessions", "show", "abc123", "--path", str(workspace))
    [moved] = _corrupt_files(log_path)
    assert proc.returncode == 2  # the old sessions are in the moved-aside file, not in the new log
    assert str(moved) in proc.stderr and "no session with id 'abc123'" in proc.stderr
