"""Benchmark: journal update after one new event, 10,000-event session vs 100-event session (issue 5).

Two workspaces, each with its own event log holding one session of realistic turns (prompt, tool
call requested/approved/started/finished, answer, turn end). After a first full render, each run
appends one event to the log and times ``JournalService.update()`` (read the new event on the
store thread, append its lines to ``agentJournal.md``, rewrite ``stateRecovery.md``, save the
state). Runs of the two sizes are interleaved; the medians and their ratio are printed (target:
at most 2, i.e. the update is incremental, not a rewrite). A second line times an event that ends
a turn (which also rebuilds ``masterGuide.md``), for information.

Run: ``.venv/bin/python tests/bench/bench_journal.py [--large 10000] [--small 100] [--runs 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace


def turn_events(sid: str, n: int) -> list:
    """Seven events of one turn with a tool call (payloads shaped like the agent's)."""
    from workbench.core.events import Event
    from workbench.core.events import EventKind as K

    t, c = f"t{n}", f"c{n}"
    return [
        Event(K.USER_MESSAGE, sid, {"turn_id": t, "text": f"step {n}: please change module {n} and run the tests"}),
        Event(
            K.TOOL_CALL_REQUESTED,
            sid,
            {
                "turn_id": t,
                "step": 1,
                "call_id": c,
                "name": "edit_file",
                "arguments": json.dumps({"path": f"src/m{n}.py", "old_text": "a", "new_text": "b"}),
            },
        ),
        Event(K.TOOL_CALL_APPROVED, sid, {"call_id": c, "name": "edit_file", "by": "mode", "rule": None, "edited": False}),
        Event(K.TOOL_CALL_STARTED, sid, {"call_id": c, "name": "edit_file"}),
        Event(
            K.TOOL_CALL_FINISHED,
            sid,
            {
                "call_id": c,
                "name": "edit_file",
                "content": "ok",
                "summary": f"edited src/m{n}.py (+1 -1)",
                "is_error": False,
                "duration_ms": 3.0,
                "changed_paths": [f"src/m{n}.py"],
                "diff": "-a\n+b\n",
                "outcome": "ok",
            },
        ),
        Event(
            K.ASSISTANT_MESSAGE,
            sid,
            {
                "turn_id": t,
                "text": "Done. " + "The change is explained here. " * 20,
                "reasoning": "",
                "finish_reason": "stop",
                "interrupted": False,
                "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
                "model": "bench",
                "request_id": None,
            },
        ),
        Event(K.TURN_FINISHED, sid, {"turn_id": t, "status": "done", "steps": 2, "cost": 0.001}),
    ]


async def prepare(base: Path, name: str, events: int):
    """Create a workspace whose log holds one session of about ``events`` events; render it once."""
    from workbench.core.bus import EventBus
    from workbench.core.journal.service import JournalService
    from workbench.core.runtime import event_log_path
    from workbench.core.store import AsyncEventStore

    ws = base / name
    (ws / "src").mkdir(parents=True)
    (ws / "README.md").write_text(f"# {name}\n")
    for i in range(20):
        (ws / "src" / f"m{i}.py").write_text(f'"""Module {i}."""\n')
    store = await AsyncEventStore.open(event_log_path(ws))
    info = await store.create_session(ws)
    batch: list = []
    n = 0
    while 1 + n * 7 < events:
        batch += turn_events(info.id, n)
        n += 1
        if len(batch) >= 700:
            await store.append_many(batch)
            batch = []
    if batch:
        await store.append_many(batch)
    svc = JournalService(SimpleNamespace(workspace=ws.resolve(), store=store, bus=EventBus()))
    first = await svc.update()
    assert first.rewrote, "the first update renders everything"
    return svc, store, info.id


async def one_update(svc, store, sid: str, event) -> float:
    """Append ``event`` and return the seconds ``update()`` takes to render it."""
    await store.append(event)
    start = time.perf_counter()
    result = await svc.update()
    elapsed = time.perf_counter() - start
    assert result.events == 1 and not result.rewrote, result
    return elapsed


async def run(args: argparse.Namespace) -> int:
    from workbench.core.events import Event
    from workbench.core.events import EventKind as K

    base = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    os.environ["WORKBENCH_HOME"] = str(base / "home")
    large = await prepare(base, "large", args.large)
    small = await prepare(base, "small", args.small)
    counts = {}
    for label, (_, store, sid) in (("large", large), ("small", small)):
        counts[label] = len(await store.events(sid))
    times: dict[str, list[float]] = {"large": [], "small": [], "large-turn-end": [], "small-turn-end": []}
    for i in range(args.warmup + args.runs):
        for label, (svc, store, sid) in (("large", large), ("small", small)):
            mid = Event(
                K.TOOL_CALL_FINISHED,
                sid,
                {
                    "call_id": f"b{i}",
                    "name": "read_file",
                    "content": "x",
                    "summary": "read 10 lines",
                    "is_error": False,
                    "duration_ms": 1.0,
                    "changed_paths": [],
                    "diff": None,
                    "outcome": "ok",
                },
            )
            end = Event(K.TURN_FINISHED, sid, {"turn_id": f"b{i}", "status": "done", "steps": 1, "cost": None})
            t_mid = await one_update(svc, store, sid, mid)
            t_end = await one_update(svc, store, sid, end)
            if i >= args.warmup:
                times[label].append(t_mid)
                times[f"{label}-turn-end"].append(t_end)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    ratio = med["large"] / med["small"]
    ratio_end = med["large-turn-end"] / med["small-turn-end"]
    size = {k: (base / k / ".workbench" / "journal" / "agentJournal.md").stat().st_size for k in ("large", "small")}
    print(
        f"sessions: {counts['large']} events (journal {size['large'] / 1024:.0f} KiB) vs {counts['small']} events "
        f"(journal {size['small'] / 1024:.0f} KiB); {args.runs} runs each, interleaved"
    )
    print(
        f"update after one event:      {med['large']:.2f} ms vs {med['small']:.2f} ms  ratio {ratio:.2f} (target <= {args.target})"
    )
    print(
        f"update after a turn end:     {med['large-turn-end']:.2f} ms vs {med['small-turn-end']:.2f} ms  ratio {ratio_end:.2f} "
        "(also rebuilds masterGuide.md; information)"
    )
    for _, store, _ in (large, small):
        await store.close()
    return 0 if ratio <= args.target else 1


def main() -> int:
    """Run the benchmark; exit status 1 when the ratio is above the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--target", type=float, default=2.0)
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
