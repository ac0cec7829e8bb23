"""Benchmark the MCP plugin layer (run as a script: ``python tests/bench/bench_plugins.py``).

1. Tool-call round trip: ``echo`` on the healthy test server through
   ``PluginSupervisor.call_tool`` versus the same call made directly with the SDK's
   ``ClientSession`` (both sessions live, calls interleaved to share machine noise).
   Target (issue 7): median ratio <= 1.3.
2. Start-up: 5 plugins started in parallel, time until all are ACTIVE, next to the slowest
   single plugin's start within that run and one plugin started alone.

Options: ``--calls N`` (default 300), ``--plugins N`` (default 5). Exit status 1 if the ratio
target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from workbench.core.mcp.plugins import (
    PluginSettings,
    PluginSpec,
    PluginState,
    PluginStateChanged,
    PluginSupervisor,
)

HEALTHY = ROOT / "tests" / "plugins" / "servers" / "healthy.py"


def spec(name: str) -> PluginSpec:
    return PluginSpec(
        name,
        sys.executable,
        (str(HEALTHY),),
        cwd=str(HEALTHY.parent),
        source="user",
        settings=PluginSettings(init_timeout=120, auto_restart=False),
    )


async def bench_round_trip(calls: int, log_dir: Path) -> float:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=[str(HEALTHY)], cwd=str(HEALTHY.parent))
    async with stdio_client(params, errlog=open(os.devnull, "w")) as (read, write):
        async with ClientSession(read, write) as session, PluginSupervisor([spec("healthy")], log_dir=log_dir) as sup:
            await session.initialize()
            await session.list_tools()
            await sup.start_all()
            assert sup.handles["healthy"].state == PluginState.ACTIVE
            direct: list[float] = []
            through: list[float] = []
            for i in range(calls + 20):
                t0 = time.perf_counter()
                r1 = await session.call_tool("echo", {"text": "ping"})
                t1 = time.perf_counter()
                r2 = await sup.call_tool("mcp__healthy__echo", {"text": "ping"})
                t2 = time.perf_counter()
                assert r1.content[0].text == "ping" and r2.text == "ping"
                if i >= 20:  # warm-up
                    direct.append(t1 - t0)
                    through.append(t2 - t1)
    d, w = statistics.median(direct), statistics.median(through)
    ratio = w / d
    print(f"tool call round trip ({calls} calls, echo):")
    print(f"  direct SDK ClientSession   median {d * 1e3:7.3f} ms   mean {statistics.mean(direct) * 1e3:7.3f} ms")
    print(f"  PluginSupervisor.call_tool median {w * 1e3:7.3f} ms   mean {statistics.mean(through) * 1e3:7.3f} ms")
    print(f"  ratio (median) {ratio:.3f}   target <= 1.3   {'OK' if ratio <= 1.3 else 'MISSED'}")
    return ratio


async def bench_parallel_start(n: int, log_dir: Path) -> None:
    async with PluginSupervisor([spec("solo")], log_dir=log_dir) as sup:
        t0 = time.perf_counter()
        await sup.start_all()
        solo = time.perf_counter() - t0
    marks: dict[str, dict[str, float]] = {}

    def on_event(event: object) -> None:
        if isinstance(event, PluginStateChanged):
            marks.setdefault(event.plugin, {})[event.new.value] = time.perf_counter()

    async with PluginSupervisor([spec(f"p{i}") for i in range(n)], on_event, log_dir=log_dir) as sup:
        t0 = time.perf_counter()
        await sup.start_all()
        all_active = time.perf_counter() - t0
        assert all(h.state == PluginState.ACTIVE for h in sup.handles.values())
    singles = [m["active"] - m["initializing"] for m in marks.values()]
    print(f"start-up ({n} plugins in parallel, {os.cpu_count()} CPUs):")
    print(f"  one plugin alone             {solo:7.3f} s")
    print(f"  all {n} ACTIVE                 {all_active:7.3f} s")
    print(f"  slowest single start in run  {max(singles):7.3f} s   (fastest {min(singles):.3f} s)")
    print(f"  ratio all/slowest {all_active / max(singles):.3f}   all/alone {all_active / solo:.3f}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--plugins", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKBENCH_HOME"] = tmp
        ratio = await bench_round_trip(args.calls, Path(tmp) / "logs")
        await bench_parallel_start(args.plugins, Path(tmp) / "logs")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
