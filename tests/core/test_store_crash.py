"""Crash safety: a writer process is SIGKILLed at a random point; every event it acknowledged
(printed after ``append`` returned) must be in the reopened log, intact, and the database must
pass ``PRAGMA integrity_check``. Repeated with different kill points."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workbench.core.events import EventKind
from workbench.core.store import EventStore

from .conftest import REPO
from .helpers.store_writer import payload

pytestmark = pytest.mark.timeout(60)

WRITER = Path(__file__).parent / "helpers" / "store_writer.py"


def _drain(stream, lines: list[str], enough: threading.Event) -> None:
    for line in stream:
        lines.append(line)
        if len(lines) >= 5:
            enough.set()
    enough.set()


@pytest.mark.parametrize("round_no", range(5))
def test_sigkill_keeps_every_acknowledged_event(round_no: int, log_path: Path, workspace: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(log_path), str(workspace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = child.stdout.readline()
        assert first.startswith("session "), (first, child.stderr.read() if child.poll() is not None else "")
        session_id = first.split()[1]
        lines: list[str] = []
        enough = threading.Event()
        reader = threading.Thread(target=_drain, args=(child.stdout, lines, enough), daemon=True)
        reader.start()
        enough.wait(60)  # wait for events (five acknowledgements), not for time, then kill at a random point
        time.sleep(rng.uniform(0.0, 0.5))
        assert child.poll() is None, child.stderr.read()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        reader.join(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    acks = []
    for line in lines:
        if not line.endswith("\n"):
            continue  # torn last line: not an acknowledgement
        _, seq, group, index = line.split()
        acks.append((int(seq), int(group), int(index)))
    assert len(acks) >= 5, f"seed {seed}: the writer acknowledged too little ({len(acks)}) before the kill"

    with sqlite3.connect(log_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"seed {seed}"

    store = EventStore(log_path)
    try:
        assert store.recovery_message is None, f"seed {seed}: {store.recovery_message}"
        events = {e.seq: e for e in store.events(session_id)}
        info = store.session(session_id)
    finally:
        store.close()
    for seq, group, index in acks:
        event = events.get(seq)
        assert event is not None, f"seed {seed}: acknowledged seq {seq} is missing after SIGKILL"
        assert event.kind == EventKind.ASSISTANT_DELTA
        assert event.payload == payload(group, index), f"seed {seed}: seq {seq} payload differs"
    # Nothing half-written: each append_many group (even groups) is in the log whole or not at all.
    groups: dict[str, int] = {}
    for e in events.values():
        if e.kind == EventKind.ASSISTANT_DELTA:
            groups[e.payload["turn_id"]] = groups.get(e.payload["turn_id"], 0) + 1
    for name, count in groups.items():
        assert count == (1 if int(name[1:]) % 2 else 3), f"seed {seed}: group {name} has {count} events"
    # The sessions projection was updated in the same transactions.
    assert info.event_count == len(events)
