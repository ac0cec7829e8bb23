"""SIGKILL the workbench in the middle of a rewind; on the next start the restore is completed and
every file is wholly old or wholly new; the log still holds everything acknowledged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from workbench.core.config import load_settings
from workbench.core.events import EventKind
from workbench.core.runtime import start_services
from workbench.scripted.server import Reply, ToolCallSpec

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from workbench.core.config import load_settings
    from workbench.core.runtime import start_services

    async def main():
        ws, sid, cp = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
        services = await start_services(ws, load_settings(ws, {"llm": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}}))
        await services.chat.open(sid)
        print("rewinding", flush=True)
        await services.checkpoints.rewind(cp, "files")
        print("done", flush=True)

    asyncio.run(main())
    """
)


async def test_sigkill_during_rewind_is_completed_on_start(make_rig, server, workspace, tmp_path):
    old = {f"f{i}.txt": f"old {i}\n" * 50 for i in range(30)}
    for name, text in old.items():
        (workspace / name).write_text(text)
    calls = [ToolCallSpec("write_file", json.dumps({"path": n, "content": f"new {n}\n"}), id=f"c{i}") for i, n in enumerate(old)]
    server.enqueue(Reply(tool_calls=calls), Reply(text="rewrote them"))
    rig = await make_rig("full-auto")
    await rig.chat.send("rewrite all")
    sid = rig.chat.session.id
    before = [e for e in await rig.events() if e.kind == EventKind.CHECKPOINT_CREATED][0].payload["checkpoint"]
    acknowledged = len(await rig.events())
    await rig.services.aclose()

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, WORKBENCH_CHECKPOINT_TEST_OP_DELAY="0.05")
    proc = subprocess.Popen([sys.executable, str(script), str(workspace), sid, before], stdout=subprocess.PIPE, env=env)
    assert proc.stdout.readline().strip() == b"rewinding"
    time.sleep(0.6)  # some files restored, not all (30 files x 50 ms)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    states = {n: (workspace / n).read_text() for n in old}
    assert any(v == old[n] for n, v in states.items()) and any(v != old[n] for n, v in states.items()), "killed midway"

    settings = load_settings(workspace, {"llm": {"base_url": server.base_url, "model": "m"}})
    services = await start_services(workspace, settings)
    try:
        assert any("interrupted" in n and "completed" in n for n in services.notices)
        for name, text in old.items():
            assert (workspace / name).read_text() == text  # rolled forward: wholly the checkpoint's bytes
        events = await services.store.events(sid)
        assert len(events) >= acknowledged
        kinds = [e.kind for e in events]
        assert EventKind.REWIND_STARTED in kinds and kinds.count(EventKind.CHECKPOINT_RESTORED) == 1
        restored = [e for e in events if e.kind == EventKind.CHECKPOINT_RESTORED][0].payload
        assert restored["recovered"] is True and restored["checkpoint"] == before
        listed = [e.payload["checkpoint"] for e in events if e.kind == EventKind.CHECKPOINT_CREATED]
        assert restored["before_restore"] in listed, "the pre-rewind checkpoint is listed (undoable)"
        assert any(restored["before_restore"][:12] in n for n in services.notices)
        assert (await services.store.session(sid)).status == "crashed"
    finally:
        await services.aclose()
