"""The journal projection is idempotent (issue 13 item 5): one writer at a time with a persisted
high-water mark, so concurrent or repeated updates never duplicate an entry.

* property (seeded random loop, 25 seeds): random interleavings of appends and updates through
  several projector instances (stale in-memory state included) and threads give the same three
  files as one update at the end;
* real processes: several ``update_journal`` processes race while events are appended; every
  approval line appears once;
* ``stateRecovery.md`` is rewritten after ``session.closed`` (a clean exit reads "closed").
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workbench.core.events import Event, EventKind
from workbench.core.journal.projector import (
    AGENT_JOURNAL,
    MASTER_GUIDE,
    STATE_RECOVERY,
    JournalProjector,
    fetch_events,
    journal_dir,
    update_journal,
)
from workbench.core.paths import event_log_path, workspace_data_dir
from workbench.core.store import EventStore

pytestmark = pytest.mark.timeout(120)

FILES = (AGENT_JOURNAL, MASTER_GUIDE, STATE_RECOVERY)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    path = tmp_path / "project"
    path.mkdir()
    (path / "README.md").write_text("# Demo\n")
    return path.resolve()


def turn_events(sid: str, n: int, rng: random.Random) -> list[Event]:
    """One turn's events: prompt, tool calls (approved by mode, finished), answer, end."""
    tid = f"t{n}"
    out = [Event(EventKind.USER_MESSAGE, sid, {"turn_id": tid, "text": f"prompt {n}"})]
    for c in range(rng.randint(0, 3)):
        cid = f"{tid}c{c}"
        out += [
            Event(
                EventKind.TOOL_CALL_REQUESTED,
                sid,
                {"turn_id": tid, "step": 1, "call_id": cid, "name": "read_file", "arguments": json.dumps({"path": f"f{c}.txt"})},
            ),
            Event(
                EventKind.TOOL_CALL_APPROVED,
                sid,
                {"call_id": cid, "name": "read_file", "by": "mode", "rule": None, "edited": False},
            ),
            Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": cid, "name": "read_file"}),
            Event(
                EventKind.TOOL_CALL_FINISHED,
                sid,
                {
                    "call_id": cid,
                    "name": "read_file",
                    "content": "x",
                    "summary": f"read f{c}.txt",
                    "is_error": False,
                    "duration_ms": 1.0,
                    "changed_paths": [],
                    "diff": None,
                    "outcome": "ok",
                },
            ),
        ]
    out += [
        Event(
            EventKind.ASSISTANT_MESSAGE,
            sid,
            {
                "turn_id": tid,
                "text": f"answer {n}",
                "reasoning": "",
                "finish_reason": "stop",
                "interrupted": False,
                "usage": None,
                "model": "m",
                "request_id": None,
            },
        ),
        Event(EventKind.TURN_FINISHED, sid, {"turn_id": tid, "status": "done", "steps": 1, "cost": None}),
    ]
    return out


def read_files(ws: Path) -> dict[str, str]:
    return {name: (journal_dir(ws) / name).read_text() for name in FILES}


def one_update_from_scratch(ws: Path, store: EventStore) -> dict[str, str]:
    for name in FILES:
        (journal_dir(ws) / name).unlink()
    (workspace_data_dir(ws) / "journal_state.json").unlink()
    update_journal(ws, store)
    return read_files(ws)


@pytest.mark.parametrize("seed", range(25))
def test_random_interleavings_equal_one_update_at_the_end(ws: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = EventStore(event_log_path(ws))
    stale = [JournalProjector(ws, workspace_data_dir(ws)) for _ in range(2)]  # long-lived writers

    def project(p: JournalProjector) -> None:
        with p.locked():
            after = p.prepare()
            p.apply(*fetch_events(store, ws, after))

    try:
        sessions = [store.create_session(ws).id for _ in range(rng.randint(1, 3))]
        turns = 0
        for _ in range(rng.randint(3, 8)):
            sid = rng.choice(sessions)
            turns += 1
            events = turn_events(sid, turns, rng)
            cut = rng.randint(0, len(events))
            for chunk in (events[:cut], events[cut:]):
                if chunk:
                    store.append_many(chunk)
                for _ in range(rng.randint(0, 3)):
                    how = rng.choice(["fresh", "stale", "threads"])
                    if how == "fresh":
                        update_journal(ws, store)
                    elif how == "stale":
                        project(rng.choice(stale))
                    else:  # updates racing in threads, each with its own connection and projector

                        def worker() -> None:
                            s = EventStore(event_log_path(ws))
                            try:
                                update_journal(ws, s)
                            finally:
                                s.close()

                        threads = [threading.Thread(target=worker) for _ in range(3)]
                        for t in threads:
                            t.start()
                        project(rng.choice(stale))
                        for t in threads:
                            t.join()
        update_journal(ws, store)
        incremental = read_files(ws)
        assert incremental == one_update_from_scratch(ws, store)
        approvals = sum(1 for s in sessions for _ in store.events(s, kinds=[EventKind.TOOL_CALL_APPROVED]))
        assert incremental[AGENT_JOURNAL].count("  - approved (by mode)") == approvals
    finally:
        store.close()


CHILD = """
import sys
from pathlib import Path
from workbench.core.journal.projector import update_journal
from workbench.core.paths import event_log_path
from workbench.core.store import EventStore
ws = Path(sys.argv[1])
for _ in range(int(sys.argv[2])):
    store = EventStore(event_log_path(ws))
    try:
        update_journal(ws, store)
    finally:
        store.close()
print("ok")
"""


def test_concurrent_update_processes_never_duplicate_entries(ws: Path) -> None:
    rng = random.Random(7)
    store = EventStore(event_log_path(ws))
    try:
        sid = store.create_session(ws).id
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CHILD, str(ws), "15"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=dict(os.environ),
            )
            for _ in range(4)
        ]
        for n in range(1, 13):
            store.append_many(turn_events(sid, n, rng))
            update_journal(ws, store)
        for p in procs:
            out, err = p.communicate(timeout=90)
            assert p.returncode == 0 and out.strip() == "ok", err
        update_journal(ws, store)
        journal = (journal_dir(ws) / AGENT_JOURNAL).read_text()
        approvals = len(store.events(sid, kinds=[EventKind.TOOL_CALL_APPROVED]))
        assert journal.count("  - approved (by mode)") == approvals
        assert journal.count("### Turn ") == 12
        assert read_files(ws) == one_update_from_scratch(ws, store)
    finally:
        store.close()


def test_state_recovery_says_closed_after_a_clean_exit(ws: Path) -> None:
    from workbench.scripted.server import Reply, ScriptedServer

    with ScriptedServer() as server:
        server.enqueue(Reply(text="hello"))
        env = dict(
            os.environ,
            OPENAI_API_KEY="sk-test-0123456789abcdef",
            WORKBENCH_LLM__BASE_URL=server.base_url,
            WORKBENCH_LLM__MODEL="m",
            WORKBENCH_LLM__MAX_RETRIES="0",
        )
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "run", "--yes", "-p", "hi", str(ws)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    text = (journal_dir(ws) / STATE_RECOVERY).read_text()
    assert "a Workbench process is using it now" not in text
    assert "closed" in text
