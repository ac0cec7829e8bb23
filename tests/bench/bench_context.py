"""Benchmarks of context discipline (issue 14).

1. Token counting of a 100k-token conversation (200 messages): the first count, then the
   incremental count of each next request (one message more), for the estimate and for tiktoken
   (cl100k and o200k, offline); baseline: the previous counter (``len/4`` over every message, no cache),
   measured in the same run. Target: incremental < 1 ms.
2. Tokens sent per turn over a 20-turn scripted session (real HTTP to the scripted server; each
   turn reads a ~100 KB file, then answers), with the old behaviour (whole files in results, no
   budgets, no shrinking: how it was before this issue) and the new one (defaults, 128k window).
   Tokens are the server's reported ``prompt_tokens`` (summary calls included).

Run: ``.venv/bin/python tests/bench/bench_context.py``. The step overhead is ``bench_agent.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path


def _old_estimate(messages, tools=None) -> int:
    """The counter before this change (``context.estimate_tokens`` as it was): chars/4, no cache."""
    chars = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            chars += len(content)
        for call in m.get("tool_calls") or ():
            chars += len(call["function"]["arguments"]) + len(call["function"]["name"])
        chars += 8
    if tools:
        chars += len(json.dumps(tools, separators=(",", ":")))
    return chars // 4 + 1


def bench_counting() -> None:
    from workbench.core.agent.registry import ToolRegistry
    from workbench.core.agent.tokens import TokenCounter
    from workbench.core.tools import builtin_tools

    tools = ToolRegistry(builtin_tools()).openai_tools()
    words = "def compute(self, value):\n    return self.table.get(value, 0) + 1  # lookup\n"
    convo = [{"role": "system", "content": "You are the coding agent." * 20}]
    for i in range(200):
        convo.append(
            {
                "role": "user" if i % 2 else "tool",
                "content": f"message {i}\n" + words * 27,
                **({} if i % 2 else {"tool_call_id": str(i)}),
            }
        )
    extra = [{"role": "user", "content": f"next {k} " + words * 3} for k in range(200)]
    from workbench.core.agent.tokens import tiktoken_encoder

    counters = [TokenCounter()]
    for model in ("gpt-4", "gpt-4o"):
        t0 = time.perf_counter()
        tiktoken_encoder(model)
        print(f"load the BPE file for {model}: {(time.perf_counter() - t0) * 1000:.0f} ms (once per process, in a thread)")
        counters.append(TokenCounter.for_model(model))
    for counter in counters:
        t0 = time.perf_counter()
        total = counter.count(convo, tools)
        first = (time.perf_counter() - t0) * 1000
        times, base = [], []
        msgs = list(convo)
        for m in extra:
            msgs.append(m)
            t0 = time.perf_counter()
            counter.count(msgs, tools)
            times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            _old_estimate(msgs, tools)
            base.append(time.perf_counter() - t0)
        inc, old = statistics.median(times) * 1000, statistics.median(base) * 1000
        print(
            f"count {total} tokens, {len(convo)} messages [{counter.method}]: first {first:.2f} ms; "
            f"incremental median {inc:.3f} ms (target < 1 ms: {'OK' if inc < 1 else 'OVER'}); "
            f"baseline old chars/4 counter {old:.3f} ms; ratio new/old {inc / old:.2f}x"
        )


def _model(body: dict):
    from workbench.scripted.server import Reply, ToolCallSpec

    msgs = body["messages"]
    if msgs[0]["content"].startswith("You summarise coding sessions"):
        tasks = sorted(set(re.findall(r"task (\d+)", json.dumps(msgs))), key=int)
        return Reply(text=f"Summary: tasks {', '.join(tasks)} were done by reading files.")
    last = msgs[-1]
    if last["role"] == "user":
        n = re.search(r"task (\d+)", last["content"]).group(1)
        return Reply(tool_calls=[ToolCallSpec("read_file", json.dumps({"path": f"f{n}.py"}), id=f"r{n}")])
    return Reply(text="I read it; the function is fine.")


async def _session(tmp: Path, old: bool) -> tuple[list[int], int]:
    from workbench.core.agent.budgets import DEFAULT_BUDGETS, ResultBudgets
    from workbench.core.config import ModelInfo, load_settings
    from workbench.core.runtime import start_services
    from workbench.core.tools.base import ToolContext, ToolLimits
    from workbench.scripted.server import ScriptedServer

    ws = tmp / ("old" if old else "new")
    ws.mkdir()
    body = "".join(f"def function_{k}(value):\n    return value * {k} + len(str(value))  # helper {k}\n\n" for k in range(1400))
    for i in range(20):
        (ws / f"f{i}.py").write_text(f"# file {i}\n" + body)  # ~100 KB
    per_turn = []
    with ScriptedServer(model="scripted-agent") as server:
        server.default = _model
        settings = load_settings(
            ws,
            {
                "llm": {
                    "base_url": server.base_url,
                    "model": "scripted-agent",
                    "api_key": "sk-bench",
                    "max_retries": 0,
                    "timeout": 60,
                },
                "agent": {"mode": "ask"},
            },
        )
        services = await start_services(ws, settings)
        chat = services.chat
        if old:  # as before: whole files, results uncapped, no budgets, nothing shrunk
            chat.runner.ctx = ToolContext(
                ws, ToolLimits(read_max_bytes=10**9, read_max_lines=10**9, read_max_line_chars=10**9, result_max_chars=10**9)
            )
            chat.runner.budgets = ResultBudgets(lambda: chat.tokens, {k: 10**9 for k in DEFAULT_BUDGETS}, lambda: 10**12)
            chat.models["scripted-agent"] = ModelInfo(context_window=10**9)
        else:
            chat.models["scripted-agent"] = ModelInfo(context_window=128_000)
        for i in range(20):
            out = await chat.send(f"task {i}: review f{i}.py")
            assert out.status == "done", out.error
            per_turn.append(out.usage["prompt_tokens"])
        await services.aclose()
        from workbench.scripted.server import Reply
        from workbench.scripted.wire import usage_for

        largest = max(
            usage_for(Reply(text=""), r["body"])["prompt_tokens"]
            for r in server.requests
            if r["path"].endswith("chat/completions")
        )
    return per_turn, largest


async def bench_session() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wb-bench-ctx-"))
    os.environ["WORKBENCH_HOME"] = str(tmp / "home")
    old, old_max = await _session(tmp, old=True)
    new, new_max = await _session(tmp, old=False)
    print(
        f"20-turn session, tokens sent per turn (old -> new): mean {statistics.mean(old):.0f} -> {statistics.mean(new):.0f}; "
        f"turn 20 {old[-1]} -> {new[-1]}; total {sum(old)} -> {sum(new)}; ratio old/new {sum(old) / sum(new):.1f}x"
    )
    print(f"largest single request: old {old_max} tokens, new {new_max} tokens (window 128000)")


if __name__ == "__main__":
    bench_counting()
    asyncio.run(bench_session())
