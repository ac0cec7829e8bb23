"""Benchmark: overhead of the agent loop per tool step, excluding model time (issue 3).

Runs ``read_file`` of a 100 KB file through :class:`workbench.core.agent.runner.ToolRunner` —
argument validation, the permission decision, the ``tool.requested/approved/started`` events
(one committed transaction) and ``tool.finished`` (another), and the tool itself — and prints the
median next to a plain ``open().read()`` of the same file, measured in the same run.

Run: ``.venv/bin/python tests/bench/bench_agent.py [--quick]``. Target: overhead under 5 ms median.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


async def main(quick: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wb-bench-agent-"))
    os.environ["WORKBENCH_HOME"] = str(tmp / "home")
    ws = tmp / "ws"
    ws.mkdir()
    line = "x" * 99 + "\n"
    (ws / "big.txt").write_text(line * 1024)  # 100 KiB

    from workbench.core.agent.approvals import deny_headless
    from workbench.core.agent.registry import ToolRegistry
    from workbench.core.agent.runner import PermissionState, ToolRunner
    from workbench.core.agent.toolcalls import ToolCall
    from workbench.core.bus import EventBus
    from workbench.core.store import AsyncEventStore
    from workbench.core.tools import builtin_tools
    from workbench.core.tools.permissions import PermissionMode, PermissionRules

    store = await AsyncEventStore.open(tmp / "events.db")
    bus = EventBus()
    session = await store.create_session(ws)

    async def emit(*events):
        stored = await store.append_many(events)
        for e in stored:
            bus.publish(e)
        return stored

    runner = ToolRunner(
        emit, ToolRegistry(builtin_tools()), ws, PermissionState(PermissionMode.AUTO_EDIT, PermissionRules()), deny_headless, 30
    )
    n = 50 if quick else 300
    args = json.dumps({"path": "big.txt"})
    for i in range(10):  # warm up
        await runner.run(session.id, "t", 1, ToolCall(f"w{i}", "read_file", args))
    loop_times, plain_times = [], []
    for i in range(n):
        t0 = time.perf_counter()
        out = await runner.run(session.id, "t", 1, ToolCall(f"c{i}", "read_file", args))
        loop_times.append(time.perf_counter() - t0)
        assert out.outcome == "ok"
        t0 = time.perf_counter()
        with open(ws / "big.txt") as fh:
            fh.read()
        plain_times.append(time.perf_counter() - t0)
    await store.close()
    # the part this loop added for issue 14 (token budget check of the result), timed alone
    content = out.content
    budget_times = []
    for i in range(n):
        fresh = f"{content}{i}"  # a new string each time: the counter's cache would hide the cost
        t0 = time.perf_counter()
        runner.budgets.cap("read_file", fresh)
        budget_times.append(time.perf_counter() - t0)
    med_loop = statistics.median(loop_times) * 1000
    med_plain = statistics.median(plain_times) * 1000
    overhead = med_loop - med_plain
    print(f"agent tool step read_file(100 KB): median {med_loop:.3f} ms over {n} runs (events: 2 committed transactions)")
    print(f"plain open().read():                median {med_plain:.3f} ms")
    print(f"overhead per tool step: {overhead:.3f} ms (target < 5 ms): {'OK' if overhead < 5 else 'OVER'}")
    print(f"ratio agent/plain: {med_loop / med_plain:.1f}x")
    print(
        f"of which the token budget check of the {len(content)}-character result: median {statistics.median(budget_times) * 1000:.3f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
