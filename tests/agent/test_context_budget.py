"""Requests stay bounded: tool results are capped before the model (full result in the log), and
compaction keeps every request the scripted server receives under the model's context window."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from helpers.trust import trust_workspace

from workbench.core.config import ModelInfo
from workbench.core.events import EventKind
from workbench.core.tools.base import ToolLimits
from workbench.scripted.server import Reply, ToolCallSpec
from workbench.scripted.wire import usage_for

from .conftest import args, tool_messages

LIMITS = ToolLimits()
BUDGET = LIMITS.result_max_chars + 400  # the cap plus its note


def _chat_bodies(server) -> list[dict]:
    return [r["body"] for r in server.requests if r["path"].endswith("chat/completions")]


def _request_tokens(rig, body: dict) -> int:
    """The session's own counter (the one compaction decides with) applied to what the server received."""
    return rig.chat.tokens.count(body["messages"], body.get("tools"))


async def test_huge_files_never_flood_a_request(make_rig, server, workspace):
    big = "".join(f"row {i:07d} " + "z" * 40 + "\n" for i in range(100_000))  # ~5.3 MB
    (workspace / "big.log").write_text(big)
    line = "".join(chr(ord("a") + i % 26) for i in range(2_000_000))  # one 2 MB line
    (workspace / "min.js").write_text(line + "\n")
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("read_file", args(path="big.log"), id="r1")]),
        Reply(tool_calls=[ToolCallSpec("read_file", args(path="min.js"), id="r2")]),
        Reply(tool_calls=[ToolCallSpec("read_file", args(path="min.js", offset=1, char_offset=1_990_000), id="r3")]),
        Reply(tool_calls=[ToolCallSpec("read_file", args(path="big.log", offset=99_999), id="r4")]),
        Reply(text="done"),
    )
    rig = await make_rig("ask")
    out = await rig.chat.send("look at the big files")
    assert out.status == "done"
    bodies = _chat_bodies(server)
    for body in bodies:
        for content in tool_messages(body).values():
            assert len(content) <= BUDGET
        assert len(json.dumps(body)) < 4 * LIMITS.read_max_bytes + 40_000, "a request carried far more than the budget"
    msgs = tool_messages(bodies[-1])
    assert msgs["r1"].startswith("[read_file big.log: lines 1-") and "call again with offset=" in msgs["r1"]
    assert "line 1 is cut at character 2000 of 2000000; read_file with offset=1 and char_offset=2000" in msgs["r2"]
    assert msgs["r3"].splitlines()[1] == line[1_990_000:]  # the end of the giant line is reachable
    assert msgs["r4"].splitlines()[1:] == [f" 99999\trow 0099998 {'z' * 40}", f"100000\trow 0099999 {'z' * 40}"]
    await rig.services.aclose()


async def test_mcp_result_is_capped_for_the_model_and_kept_whole_in_the_log(make_rig, server, workspace):
    from workbench.core.mcp.plugins.plugin_config import load_specs
    from workbench.core.mcp.plugins.plugin_trust import TrustStore
    from workbench.core.mcp.plugins.service import plugin_runtime

    script = Path(__file__).parent / "servers" / "big_output.py"
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"big": {"command": sys.executable, "args": [str(script)]}}}))
    trust_workspace(workspace)
    rig = await make_rig("full-auto")
    for spec in load_specs(workspace, rig.services.settings.plugins):
        TrustStore.for_workspace(workspace).trust(spec)
    sup = await plugin_runtime(rig.services, start=False)
    await sup.start_all(wait=True)
    server.enqueue(Reply(tool_calls=[ToolCallSpec("mcp__big__big", json.dumps({"n": 2_000_000}), id="m1")]), Reply(text="ok"))
    out = await rig.chat.send("call big")
    assert out.status == "done"
    sent = tool_messages(_chat_bodies(server)[-1])["m1"]
    assert sent.startswith("START") and len(sent) <= BUDGET
    assert "more line (" in sent and "over its budget of 6000 tokens" in sent and "full result is kept in the session log" in sent
    assert rig.chat.tokens.text(sent) <= 6000
    finished = [e for e in await rig.events() if e.kind == EventKind.TOOL_CALL_FINISHED][0]
    assert len(finished.payload["full_content"]) == 2_000_000 and finished.payload["full_content"].endswith("END")
    await rig.services.aclose()


def _reported_prompt(body: dict) -> int:
    return usage_for(Reply(text=""), body)["prompt_tokens"]


def _model(body: dict) -> Reply:
    """The scripted model: read the file a task names, then answer; summarise when asked."""
    msgs = body["messages"]
    if msgs[0]["content"].startswith("You summarise coding sessions"):
        seen = json.dumps(msgs)
        tasks = sorted(set(re.findall(r"task (\d+)", seen)), key=int)
        keep = " The earliest task is ZEBRA." if "ZEBRA" in seen else ""
        return Reply(text=f"Summary: tasks {', '.join(tasks)} were done by reading files.{keep}")
    last = msgs[-1]
    if last["role"] == "user" and last["content"] == "which was the earliest task?":
        seen = json.dumps(msgs)  # the model answers only from what it was sent
        return Reply(text="The earliest task was ZEBRA." if "ZEBRA" in seen else "I do not know any more.")
    if last["role"] == "user":
        n = re.search(r"task (\d+)", last["content"]).group(1)
        return Reply(tool_calls=[ToolCallSpec("read_file", args(path=f"f{n}.txt"), id=f"r{n}")])
    return Reply(text="read it: " + "w" * 400)


async def test_twenty_turns_of_large_reads_stay_under_a_4000_token_window(make_rig, server, workspace):
    for i in range(20):
        (workspace / f"f{i}.txt").write_text("".join(f"file {i} line {k} " + "q" * 30 + "\n" for k in range(120)))
    server.default = _model
    rig = await make_rig("ask", keep_recent_turns=4, compact_at=0.8)
    window = 4000
    rig.chat.models["scripted-agent"] = ModelInfo(context_window=window, input_price=1.0, output_price=2.0)
    turn_prompt_tokens = 0
    for i in range(20):
        out = await rig.chat.send(f"task {i}: read f{i}.txt" + (" (the earliest task is ZEBRA)" if i == 0 else ""))
        assert out.status == "done", out.error
        turn_prompt_tokens += out.usage["prompt_tokens"]
    answer = await rig.chat.send("which was the earliest task?")
    assert answer.status == "done" and answer.text == "The earliest task was ZEBRA."  # the summaries kept it
    turn_prompt_tokens += answer.usage["prompt_tokens"]
    bodies = _chat_bodies(server)
    sizes = [_request_tokens(rig, b) for b in bodies]
    assert max(sizes) < window, sizes
    assert max(_reported_prompt(b) for b in bodies) < window  # the server's own count agrees
    stubs = [
        m["content"]
        for b in bodies
        for m in b["messages"]
        if m["role"] == "tool" and m["content"].startswith("[result of read_file ")
    ]
    # each read was cut to the 1000-token budget (a quarter of the window); the stub names the lines really sent
    stub = re.compile(
        r"\[result of read_file f\d+\.txt lines 1-(\d+) \(of 120\) elided to fit the context window; "
        r"call read_file again with offset=1 limit=(\d+) if you need it\]"
    )
    assert stubs and all((m := stub.fullmatch(s)) and m[1] == m[2] and int(m[1]) < 120 for s in stubs), stubs[:2]
    compactions = [e for e in await rig.events() if e.kind == EventKind.CONTEXT_COMPACTED]
    assert compactions, "no compaction happened"
    assert all(e.payload["usage"]["prompt_tokens"] > 0 and e.payload["cost"] > 0 for e in compactions)
    # the last request still carries the earliest task through the chain of summaries
    assert "ZEBRA" in json.dumps(bodies[-1]["messages"])
    # summary calls are counted: the session's prompt tokens are every request's reported usage
    assert rig.chat.session_usage["prompt_tokens"] == sum(_reported_prompt(b) for b in bodies) == turn_prompt_tokens
    print(
        f"\n20 turns, window {window}: {len(bodies)} requests, {len(compactions)} compactions, "
        f"largest request {max(sizes)} tokens, mean {sum(sizes) // len(sizes)}"
    )
    await rig.services.aclose()


async def test_keep_recent_turns_cannot_block_compaction(make_rig, server, workspace):
    server.default = _model
    for i in range(3):
        (workspace / f"f{i}.txt").write_text("x" * 5000 + "\n")
    rig = await make_rig("ask", keep_recent_turns=10, compact_at=0.7)
    rig.chat.models["scripted-agent"] = ModelInfo(context_window=4000)
    for i in range(4):
        out = await rig.chat.send(f"task {i % 3}")
        assert out.status == "done", out.error
    assert max(_request_tokens(rig, b) for b in _chat_bodies(server)) < 4000
    assert [e for e in await rig.events() if e.kind == EventKind.CONTEXT_COMPACTED]
    await rig.services.aclose()


async def test_a_turn_that_cannot_fit_says_why(make_rig, server, workspace):
    rig = await make_rig("ask")
    rig.chat.models["scripted-agent"] = ModelInfo(context_window=1024)
    out = await rig.chat.send("hello " * 2000)
    assert out.status == "error" and "does not fit the model's context window" in out.error
    assert "context_window" in out.error and not _chat_bodies(server)
    errors = [e.payload for e in await rig.events() if e.kind == EventKind.TURN_ERROR]
    assert errors and errors[-1]["error_kind"] == "context_window" and errors[-1]["message"] == out.error  # the user sees why
    await rig.services.aclose()
