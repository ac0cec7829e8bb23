"""A full (or read-only) disk is an error, not corruption: ``workbench run`` on a 2 MB tmpfs says so
in one stderr line and exits 3, nothing is set aside, and once space is freed the earlier
sessions are listed and the interrupted one continues. Real mounts, real processes.

The tmpfs needs ``mount`` (root, or a user namespace): without it these tests skip locally with
the reason, and fail under ``CI=true``."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.tmpfs import small_tmpfs

from workbench.core.events import Event, EventKind
from workbench.core.store import EventStore, LogWriteError
from workbench.scripted.server import Reply, ScriptedServer

from .conftest import CANARY, cli_env, run_cli

pytestmark = pytest.mark.timeout(120)

LONG = "".join(f"Line {i} of a long reply with some words in it.\n" for i in range(4000))  # ~200 KB


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted on a fresh folder (unmounted afterwards)."""
    with small_tmpfs(tmp_path / "small") as mnt:
        yield mnt


def _fill(mnt: Path, leave: int) -> Path:
    """Write a filler file so that about ``leave`` bytes stay free on ``mnt``; returns it."""
    st = os.statvfs(mnt)
    filler = mnt / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def _env(server: ScriptedServer, home: Path) -> dict[str, str]:
    return cli_env(
        WORKBENCH_HOME=str(home),
        OPENAI_API_KEY=CANARY,
        WORKBENCH_LLM__BASE_URL=server.base_url,
        WORKBENCH_LLM__MODEL="m",
        WORKBENCH_LLM__MAX_RETRIES="0",
    )


def _data_files(home: Path) -> list[str]:
    return sorted(p.name for p in home.rglob("*") if p.is_file())


def _assert_one_error_line(stderr: str, log: Path, what: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"workbench: cannot write the event log {log}: {what}"), stderr
    assert "Traceback" not in stderr and "never retrieved" not in stderr


def test_disk_full_mid_reply_is_an_error_and_the_session_continues(small_fs: Path, workspace: Path) -> None:
    home = small_fs / "home"
    with ScriptedServer() as server:
        env = _env(server, home)
        server.enqueue(Reply(text="first answer"))
        first = run_cli("run", "--yes", "-p", "first prompt", str(workspace), env=env)
        assert first.returncode == 0, first.stderr
        [log] = list(home.rglob("events.db"))

        filler = _fill(small_fs, 400 * 1024)
        server.enqueue(Reply(text=LONG, chunk_chars=40, tokens_per_second=20000))
        full = run_cli("run", "--yes", "--json", "-p", "second prompt", str(workspace), env=env)
        assert full.returncode == 3, full.stderr
        _assert_one_error_line(full.stderr, log, "the disk is full")
        assert f"free space on {small_fs}, then retry" in full.stderr
        printed = [json.loads(line) for line in full.stdout.splitlines()]
        result = printed.pop()
        assert result["kind"] == "result" and result["payload"]["status"] == "error"
        assert "the disk is full" in result["payload"]["error"]
        session_b = printed[0]["session_id"]
        assert f"workbench run --session {session_b}" in full.stderr
        assert EventKind.ASSISTANT_DELTA in [e["kind"] for e in printed]  # it failed mid-reply
        assert not [n for n in _data_files(home) if ".corrupt-" in n]

        still_full = run_cli("sessions", "--path", str(workspace), env=env)
        if still_full.returncode != 0:  # SQLite cannot even map its -shm file: the same one line
            assert still_full.returncode == 3
            _assert_one_error_line(still_full.stderr, log, "the disk is full")
        assert not [n for n in _data_files(home) if ".corrupt-" in n]

        filler.unlink()
        listed = run_cli("sessions", "--json", "--path", str(workspace), env=env)
        assert listed.returncode == 0 and listed.stderr == "", listed.stderr
        rows = {r["id"]: r for r in json.loads(listed.stdout)}
        assert len(rows) == 2 and session_b in rows
        assert sorted(r["title"] for r in rows.values()) == ["first prompt", "second prompt"]
        store = EventStore(log)
        try:
            stored = {e.seq: json.loads(e.to_json()) for e in store.events(session_b)}
        finally:
            store.close()
        for event in printed:  # whatever was printed is in the log
            assert stored[event["seq"]] == event

        server.enqueue(Reply(text="continued fine"))
        again = run_cli("run", "--yes", "--session", session_b, "-p", "go on", str(workspace), env=env)
        assert again.returncode == 0, again.stderr
        assert again.stdout == "continued fine\n" and again.stderr == ""
        shown = run_cli("sessions", "show", session_b, "--json", "--path", str(workspace), env=env)
        texts = [m["payload"].get("text") for m in json.loads(shown.stdout)["messages"]]
        assert texts[0] == "second prompt" and texts[-2:] == ["go on", "continued fine"]
    assert not [n for n in _data_files(home) if ".corrupt-" in n]


def test_disk_full_at_start_sets_nothing_aside(small_fs: Path, workspace: Path) -> None:
    """A start on a full disk (the log cannot even be created, or opened) is the same one line
    and exit 3; repeated starts never leave ``.corrupt-*`` files; freeing space is enough."""
    home = small_fs / "home"
    with ScriptedServer() as server:
        env = _env(server, home)
        server.enqueue(Reply(text="hello"))
        assert run_cli("run", "--yes", "-p", "before", str(workspace), env=env).returncode == 0
        [log] = list(home.rglob("events.db"))
        filler = _fill(small_fs, 0)
        for _ in range(2):
            proc = run_cli("run", "--yes", "-p", "while full", str(workspace), env=env)
            assert proc.returncode == 3, proc.stderr
            _assert_one_error_line(proc.stderr, log, "the disk is full")
        assert not [n for n in _data_files(home) if ".corrupt-" in n]
        filler.unlink()
        server.enqueue(Reply(text="back"))
        proc = run_cli("run", "--yes", "-p", "after", str(workspace), env=env)
        assert proc.returncode == 0 and proc.stdout == "back\n", proc.stderr
        listed = run_cli("sessions", "--json", "--path", str(workspace), env=env)
        assert sorted(r["title"] for r in json.loads(listed.stdout)) == ["after", "before"]


def test_read_only_file_system_is_an_error(small_fs: Path, workspace: Path) -> None:
    home = small_fs / "home"
    with ScriptedServer() as server:
        env = _env(server, home)
        server.enqueue(Reply(text="hello"))
        assert run_cli("run", "--yes", "-p", "before", str(workspace), env=env).returncode == 0
        [log] = list(home.rglob("events.db"))
        subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True, timeout=30)
        try:
            proc = run_cli("run", "--yes", "-p", "read-only", str(workspace), env=env)
            assert proc.returncode == 3, proc.stderr
            _assert_one_error_line(proc.stderr, log, "it is read-only")
            assert "writable" in proc.stderr
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True, timeout=30)
        assert not [n for n in _data_files(home) if ".corrupt-" in n]
        listed = run_cli("sessions", "--json", "--path", str(workspace), env=env)
        assert [r["title"] for r in json.loads(listed.stdout)] == ["before"]


def test_the_same_connection_writes_again_once_space_is_freed(small_fs: Path, workspace: Path) -> None:
    """In-process (the TUI keeps its store open): the failed append raises LogWriteError, nothing of
    that batch is stored, and after freeing space the same store appends again."""
    log = small_fs / "events.db"
    store = EventStore(log)
    try:
        s = store.create_session(workspace)
        kept = store.append(Event(EventKind.USER_MESSAGE, s.id, {"turn_id": "t", "text": "kept"}))
        filler = _fill(small_fs, 64 * 1024)
        with pytest.raises(LogWriteError) as info:
            for i in range(10_000):
                store.append(Event(EventKind.ASSISTANT_DELTA, s.id, {"turn_id": "t", "text": "z" * 4000, "reasoning": ""}))
        assert info.value.reason == "full" and info.value.mount == small_fs
        written = store.events(s.id)
        filler.unlink()
        after = store.append(Event(EventKind.USER_MESSAGE, s.id, {"turn_id": "u", "text": "after"}))
        assert store.events(s.id) == [*written, after] and kept in written
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    assert [p.name for p in small_fs.glob("events.db.corrupt-*")] == []
