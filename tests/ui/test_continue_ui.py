"""Pilot test: resuming a session whose reply was cut by a SIGKILL of a real ``workbench run``
offers to continue it (a notification naming ``/continue``), and ``/continue`` sends the partial
reply (marked as cut off) plus the "continue" prompt to the model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.agent.context import CUT_OFF_NOTE
from workbench.core.chat.resume import CONTINUE_PROMPT
from workbench.scripted.server import Reply

from .conftest import make_app, wait_ready, wait_until
from .test_app import idle, send

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(90)


def crash_mid_stream(server, workspace: Path) -> tuple[str, str]:
    """Run ``workbench run --json`` and SIGKILL it after the first delta; returns (session, text printed)."""
    server.enqueue(Reply(text="A long answer that will be cut. " * 300, chunk_chars=8, tokens_per_second=400))
    env = dict(
        os.environ,
        OPENAI_API_KEY="sk-canary-ui-0123456789",
        WORKBENCH_LLM__BASE_URL=server.base_url,
        WORKBENCH_LLM__MODEL="scripted-test",
        WORKBENCH_LLM__MAX_RETRIES="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--yes", "--json", "-p", "write a lot", str(workspace)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1]["kind"] == "assistant.delta":
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    return seen[0]["session_id"], "".join(e["payload"]["text"] for e in seen if e["kind"] == "assistant.delta")


async def test_resume_offers_continue_and_continue_sends_the_cut_reply(workspace, server):
    sid, printed = crash_mid_stream(server, workspace)
    app = make_app(workspace, server, session_id=sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await wait_until(pilot, lambda: any("/continue" in str(n.message) for n in app._notifications))
        server.enqueue(Reply(text="…and here is the rest."))
        before = len(server.requests)
        await send(pilot, "/continue")
        await wait_until(pilot, lambda: len(server.requests) > before and idle(app))
        messages = server.requests[-1]["body"]["messages"]
        assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
        assert messages[2]["content"].startswith(printed.strip()) and messages[2]["content"].endswith(CUT_OFF_NOTE)
        assert messages[3]["content"] == CONTINUE_PROMPT
