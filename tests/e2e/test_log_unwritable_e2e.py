"""``workbench run`` exits 3 with one stderr line when the event log cannot be written (read-only or
full data dir on a small tmpfs), on the installed wheel; nothing is set aside and the earlier
sessions stay listed once the disk is writable again.

The tmpfs needs ``mount`` (root, or a user namespace): without it these tests skip locally with
the reason, and fail under ``CI=true`` (as in ``tests/core/test_store_diskfull.py``)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.tmpfs import small_tmpfs

from workbench.scripted.server import Reply

from .conftest import llm_env


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted on a fresh folder (unmounted afterwards)."""
    with small_tmpfs(tmp_path / "small") as mnt:
        yield mnt


def _one_error_line(proc: subprocess.CompletedProcess[str], log: Path, what: str) -> str:
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"workbench: cannot write the event log {log}: {what}"), proc.stderr
    assert "Traceback" not in proc.stderr and "never retrieved" not in proc.stderr
    return lines[0]


def _corrupt(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if ".corrupt-" in p.name]


def test_read_only_then_full_data_dir_exit_3_with_one_line(wb, e2e_ws, scripted, small_fs) -> None:
    home = small_fs / "home"
    env = {**llm_env(scripted), "WORKBENCH_HOME": str(home), "WORKBENCH_LLM__MAX_RETRIES": "0"}
    scripted.enqueue(Reply(text="hello"))
    first = wb("run", "-p", "before", "--path", e2e_ws, env=env)
    assert first.returncode == 0, first.stderr
    [log] = list(home.rglob("events.db"))

    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True, timeout=30)
    try:
        ro = wb("run", "-p", "read-only", "--path", e2e_ws, env=env)
        assert "writable" in _one_error_line(ro, log, "it is read-only")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True, timeout=30)

    st = os.statvfs(small_fs)
    filler = small_fs / "filler"
    with open(filler, "wb") as fh:  # no byte left
        fh.write(b"\0" * (st.f_bavail * st.f_frsize))
    full = wb("run", "-p", "while full", "--path", e2e_ws, env=env)
    _one_error_line(full, log, "the disk is full")
    filler.unlink()

    assert _corrupt(home) == []
    listed = wb("sessions", "--json", "--path", e2e_ws, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "before" in [r["title"] for r in json.loads(listed.stdout)]
    scripted.enqueue(Reply(text="back"))
    again = wb("run", "-p", "after", "--path", e2e_ws, env=env)
    assert again.returncode == 0 and again.stdout == "back\n", again.stderr
