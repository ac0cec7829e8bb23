"""``workbench run``: headless defaults (ask mode denies), the ``result`` event, Ctrl-C, model discovery."""

from __future__ import annotations

import json
import signal
import subprocess
import threading

from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

from .conftest import llm_env, one_line_reason

SLOW = "word " * 400


def _write(path: str, content: str, call_id: str) -> ToolCallSpec:
    return ToolCallSpec("write_file", json.dumps({"path": path, "content": content}), id=call_id)


def test_ask_mode_runs_and_denies_calls_that_would_ask(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(
        Reply(tool_calls=[_write("new.txt", "x", "w1"), ToolCallSpec("run_command", json.dumps({"command": "ls"}), id="c1")]),
        Reply(text="I could not change anything."),
    )
    proc = wb("run", "-p", "change things", "--path", e2e_ws, env=llm_env(scripted))  # default mode: ask
    assert proc.returncode == 0, proc.stderr
    assert "I could not change anything." in proc.stdout
    assert not (e2e_ws / "new.txt").exists()
    told = {m["tool_call_id"]: m["content"] for m in scripted.requests[1]["body"]["messages"] if m["role"] == "tool"}
    for content in told.values():
        assert "Denied by the user" not in content
        assert "nobody can approve" in content and "headless" in content
    assert "--yes" in told["w1"] and "--mode full-auto" in told["c1"]
    assert 'allow = ["write_file:new.txt"]' in told["w1"]
    err = proc.stderr
    assert "2 tool call(s) needed an approval and were denied" in err
    assert "- write_file:" in err and "- run_command:" in err
    assert "--mode auto-edit" in err and "[permissions]" in err


def test_yes_runs_file_changes_in_ask_mode(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(Reply(tool_calls=[_write("new.txt", "made", "w1")]), Reply(text="done"))
    proc = wb("run", "--yes", "-p", "make it", "--path", e2e_ws, env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    assert (e2e_ws / "new.txt").read_text() == "made"
    assert "denied" not in proc.stderr


def test_json_ends_with_a_result_event(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(
        Reply(
            tool_calls=[_write("new.txt", "x", "w1")], usage={"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107}
        ),
        Reply(text="ok", usage={"prompt_tokens": 130, "completion_tokens": 3, "total_tokens": 133}),
    )
    proc = wb("run", "--json", "-p", "go", "--path", e2e_ws, env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    result = lines[-1]
    assert result["kind"] == "result" and result["session_id"] == lines[0]["session_id"]
    p = result["payload"]
    assert p["status"] == "done" and p["error"] is None and p["steps"] == 2
    assert (p["tokens_in"], p["tokens_out"]) == (230, 10)
    assert p["cost"] in (None, 0, 0.0) and p["duration_s"] > 0
    assert [d["tool"] for d in p["denied"]] == ["write_file"] and p["denied"][0]["rule"] == "write_file:new.txt"
    assert lines[-2]["kind"] == "session.closed"


def test_ctrl_c_exits_130_with_one_line_and_keeps_the_partial_reply(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(Reply(text=SLOW, chunk_chars=4, tokens_per_second=100))  # ~20 s of streaming
    proc = wb.popen(
        "run", "-p", "talk slowly", "--path", e2e_ws, env={**llm_env(scripted), "WORKBENCH_CHAT__DELTA_BATCH_MS": "20"}
    )
    got = []
    streaming = threading.Event()

    def read() -> None:
        while chunk := proc.stdout.read(1):
            got.append(chunk)
            if len(got) >= 40:
                streaming.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert streaming.wait(60), f"no reply streamed: {''.join(got)!r}"
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
        reader.join(10)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130, err
    assert len(err.strip().splitlines()) == 1, err
    assert "interrupted" in err and "Traceback" not in err
    printed = "".join(got).strip()
    assert printed and SLOW.startswith(printed)
    [row] = json.loads(wb("sessions", "--json", "--path", e2e_ws).stdout)
    assert row["status"] == "closed"
    shown = wb("sessions", "show", row["id"], "--path", e2e_ws).stdout
    assert "## Assistant (interrupted)" in shown
    kept = shown.split("## Assistant (interrupted)\n\n")[1].strip()
    assert kept and SLOW.startswith(kept) and len(kept) < len(SLOW.strip())


def test_model_discovery_one_model_is_used(wb, e2e_ws) -> None:
    with ScriptedServer(model="local-llama", models=["local-llama"]) as server:
        proc = wb("run", "-p", "hi", "--path", e2e_ws, env=llm_env(server, model=None))
        assert proc.returncode == 0, proc.stderr
        assert "using model 'local-llama'" in proc.stderr and "/models" in proc.stderr
        chat = [r for r in server.requests if r["path"].endswith("/chat/completions")]
        assert chat and chat[0]["body"]["model"] == "local-llama"
        assert "You said: hi" in proc.stdout


def test_model_discovery_several_models_is_a_clear_error(wb, e2e_ws) -> None:
    with ScriptedServer(models=["qwen-7b", "llama-8b", "mistral"]) as server:
        proc = wb("run", "-p", "hi", "--path", e2e_ws, env=llm_env(server, model=None))
        assert proc.returncode == 2
        err = proc.stderr
        assert "lists 3 models: qwen-7b, llama-8b, mistral" in err and "--model" in err
        assert not [r for r in server.requests if r["path"].endswith("/chat/completions")]
        assert "Traceback" not in err


def test_model_discovery_none_or_unreachable_keeps_the_usual_message(wb, e2e_ws) -> None:
    with ScriptedServer(models=[]) as server:
        empty = wb("run", "-p", "hi", "--path", e2e_ws, env=llm_env(server, model=None))
    unreachable = wb("run", "-p", "hi", "--path", e2e_ws, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "k"})
    for proc in (empty, unreachable):
        assert proc.returncode == 2
        assert "no model set" in proc.stderr and "--model" in proc.stderr
        one_line_reason(proc)


def test_subprocess_fixture_is_the_installed_wheel(workbench_bin) -> None:
    head = workbench_bin.read_text().splitlines()[0]
    assert head.startswith("#!") and str(workbench_bin.parent) in head
    assert subprocess.run([str(workbench_bin), "--version"], capture_output=True, text=True).returncode == 0
