"""Script files, the demo reply, the Markdown corpus and the scripted server's command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workbench.scripted.server import (
    Fault,
    Reply,
    ScriptError,
    ToolCallSpec,
    demo_reply,
    load_script,
    markdown_reply_corpus,
)

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, data: object, raw: str | None = None) -> Path:
    path = tmp_path / "script.json"
    path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
    return path


def test_load_script_builds_replies_and_faults(tmp_path):
    path = write(
        tmp_path,
        [
            {"text": "hi", "reasoning": "r", "tokens_per_second": 200, "chunk_chars": 8},
            {"tool_calls": [{"name": "ls", "arguments": '{"dir": "."}'}, {"name": "cat", "arguments": {"p": 1}, "id": "c9"}]},
            {"fault": {"status": 429, "retry_after": 1}},
            {"fault": {"cut_after_chunks": 3, "reply": {"text": "partial"}}},
        ],
    )
    assert load_script(path) == [
        Reply(text="hi", reasoning="r", tokens_per_second=200, chunk_chars=8),
        Reply(tool_calls=[ToolCallSpec("ls", '{"dir": "."}'), ToolCallSpec("cat", '{"p": 1}', id="c9")]),
        Fault(status=429, retry_after=1),
        Fault(cut_after_chunks=3, reply=Reply(text="partial")),
    ]


@pytest.mark.parametrize(
    ("data", "raw", "expected"),
    [
        (None, '[{"text": 1,}]', r"script\.json:1:\d+: invalid JSON"),
        ({"text": "x"}, None, "must be a JSON list"),
        ([{"text": "ok"}, {"txt": "typo"}], None, r"item 1: unknown key\(s\) \['txt'\]; allowed: "),
        ([{"fault": {"status": 200}}], None, "item 0: fault: 'status' must be an HTTP error status"),
        ([{"fault": {"stall": 2}}], None, r"item 0: fault: unknown key\(s\) \['stall'\]"),
        ([{"fault": {"status": 429}, "text": "x"}], None, "item 0: a fault item has only the key 'fault'"),
        ([{"tool_calls": [{"arguments": "{}"}]}], None, r"item 0: tool_calls\[0\]: needs a string 'name'"),
        ([{"text": "x", "tokens_per_second": 0}], None, "'tokens_per_second' must be a positive number"),
        (["just text"], None, "item 0: expected a JSON object, got str"),
    ],
)
def test_load_script_errors_name_file_and_item(tmp_path, data, raw, expected):
    path = write(tmp_path, data, raw)
    with pytest.raises(ScriptError, match=expected) as info:
        load_script(path)
    assert str(path) in str(info.value)


def test_load_script_missing_file(tmp_path):
    with pytest.raises(ScriptError, match="nope.json: cannot read the script file"):
        load_script(tmp_path / "nope.json")


def test_demo_reply_is_markdown_that_echoes_the_prompt():
    body = {
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "Explain *streams*"},
        ]
    }
    reply = demo_reply(body)
    assert "the scripted demo model" in reply.text
    assert "> Explain *streams*" in reply.text
    assert reply.text.startswith("## ")
    assert "\n- " in reply.text and "```python\n" in reply.text and reply.text.count("```") == 2
    assert "user turn 2" in reply.text
    assert reply.reasoning and reply.tokens_per_second == 150


def test_markdown_corpus_is_deterministic_and_sized():
    text = markdown_reply_corpus(20000)
    assert text == markdown_reply_corpus(20000, seed=0)
    assert text != markdown_reply_corpus(20000, seed=1)
    assert abs(len(text) - 80000) < 1000
    assert text.count("```") % 2 == 0 and text.count("```python") >= 10
    lines = text.splitlines()
    assert sum(line.startswith(("## ", "### ")) for line in lines) >= 10
    assert sum(line.startswith(("- ", "* ", "1. ")) for line in lines) >= 50
    assert len(markdown_reply_corpus(100)) < 1000


def spawn(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "workbench.scripted.server", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def post(base_url: str, prompt: str) -> dict:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": prompt}]}).encode()
    request = urllib.request.Request(f"{base_url}/chat/completions", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_serves_script_then_demo_and_dies_on_signal(tmp_path, sig):
    script = write(tmp_path, [{"text": "from the script"}])
    proc = spawn("--script", str(script), "--demo")
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert post(url, "hi")["choices"][0]["message"]["content"] == "from the script"
        demo = post(url, "what are you?")["choices"][0]["message"]
        assert "the scripted demo model" in demo["content"] and demo["reasoning_content"]
        started = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 2
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_bad_script_exits_2_with_a_clear_message(tmp_path):
    script = write(tmp_path, [{"fault": {"status": "429"}}])
    proc = spawn("--script", str(script))
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 2 and out == ""
    assert f"{script}: item 0: fault: 'status' must be a non-negative integer" in err


def test_demo_make_a_plan_keeps_a_checklist_and_asks():
    """The demo's "make a plan": update_plan, then ask_user with choices, then the plan moves on and
    the answer is quoted back."""
    tools = [{"type": "function", "function": {"name": n}} for n in ("update_plan", "ask_user", "read_file", "edit_file")]
    messages = [{"role": "user", "content": "make a plan"}]

    def step():
        return demo_reply({"messages": messages, "tools": tools})

    def call(reply, result):
        spec = reply.tool_calls[0]
        messages.append(
            {
                "role": "assistant",
                "content": reply.text or None,
                "tool_calls": [
                    {"id": spec.id or "c", "type": "function", "function": {"name": spec.name, "arguments": spec.arguments}}
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": spec.id or "c", "content": result})
        return spec

    first = call(step(), "plan 0/3")
    assert first.name == "update_plan" and json.loads(first.arguments)["items"][0]["status"] == "in_progress"
    ask = call(step(), "The user chose: unittest.")
    assert ask.name == "ask_user" and json.loads(ask.arguments)["choices"] == ["pytest", "unittest"]
    moved = call(step(), "plan 1/3")
    assert moved.name == "update_plan" and [i["status"] for i in json.loads(moved.arguments)["items"]] == [
        "done",
        "in_progress",
        "pending",
    ]
    final = step()
    assert not final.tool_calls and "The user chose: unittest." in final.text
