"""``workbench sessions show ID`` after ``workbench run --json`` is SIGKILLed mid-stream, on the
installed wheel: the partial reply is shown marked interrupted, and still after another turn."""

from __future__ import annotations

import json
import os
import signal

from workbench.scripted.server import Reply

from .conftest import llm_env

PARTIAL = "".join(f"Part {i} of a long answer that is cut. " for i in range(400))


def test_partial_reply_survives_a_sigkill_and_another_turn(wb, e2e_ws, scripted) -> None:
    env = {**llm_env(scripted), "WORKBENCH_CHAT__DELTA_BATCH_MS": "20", "WORKBENCH_LLM__MAX_RETRIES": "0"}
    scripted.enqueue(Reply(text=PARTIAL, chunk_chars=8, tokens_per_second=400))
    proc = wb.popen("run", "--json", "-p", "tell me a long story", "--path", e2e_ws, env=env)
    seen: list[dict] = []
    try:
        for line in proc.stdout:  # wait for a delta on stdout, then kill
            seen.append(json.loads(line))
            if seen[-1]["kind"] == "assistant.delta":
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the run must be killed mid-stream"
    sid = seen[0]["session_id"]
    printed = "".join(e["payload"]["text"] for e in seen if e["kind"] == "assistant.delta")
    assert printed and PARTIAL.startswith(printed)

    show = wb("sessions", "show", sid, "--path", e2e_ws)
    assert show.returncode == 0, show.stderr
    assert show.stdout.count("## Assistant (interrupted)") == 1
    kept = show.stdout.split("## Assistant (interrupted)\n\n")[1].strip()
    assert kept.startswith(printed.strip()) and PARTIAL.startswith(kept)

    scripted.enqueue(Reply(text="Continuing from where I stopped."))
    nxt = wb("run", "--session", sid, "-p", "please go on", "--path", e2e_ws, env=env)
    assert nxt.returncode == 0, nxt.stderr
    assert "Continuing from where I stopped." in nxt.stdout and "Traceback" not in nxt.stderr
    sent = scripted.requests[-1]["body"]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"].startswith(printed.rstrip())  # the model sees the cut-off reply

    after = wb("sessions", "show", sid, "--path", e2e_ws)
    assert after.returncode == 0, after.stderr
    assert after.stdout.count("## Assistant (interrupted)") == 1
    assert after.stdout.index("(interrupted)") < after.stdout.index("Continuing from where I stopped.")
    js = json.loads(wb("sessions", "show", sid, "--json", "--path", e2e_ws).stdout)
    assert sum(1 for m in js["messages"] if m["payload"].get("interrupted")) == 1
