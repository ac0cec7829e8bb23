"""Sandbox benchmarks on a real engine (ratios measured in one run; see PERFORMANCE.md "Docker").

1. Log ingest: a container printing 200,000 lines of ~80 chars. Lines/s through ``LogFollower``
   (attached before start) into a bounded buffer (``deque(maxlen=10_000)``, like the pane's
   ``Log(max_lines=...)``), divided by lines/s of ``docker logs CONTAINER > /dev/null`` of the same
   container. Target: >= 0.5. Peak RSS of this process is reported.
2. ``run_command("true")`` in a warm sandbox divided by ``docker exec CONTAINER true``. Target: <= 1.5.
3. Log ingest into the Containers pane (the real app under ``App.run_test``, headless): the pane
   follows a created container of the workspace, which is then started and prints 200,000 lines;
   lines/s until the pane's ingest has taken every line and written it to its ``Log``
   (``max_lines=10,000``), divided by lines/s of ``docker logs`` of the same container to
   /dev/null. Targets: ratio >= 0.5, and the UI's frame time p99 under 50 ms (the gaps of a 10 ms
   timer on the app's event loop during the ingest). Peak RSS of this process is reported.

4. Memory with huge output: peak RSS (``VmHWM`` polled from ``/proc/PID/status``) of a real ``workbench run``
   subprocess whose command prints ``--rss-mb`` MB (default 1,000) through the scripted model
   server, against the same run printing one line, measured in the same run. Target: delta
   < +50 MB (the output goes to a spool file; only head and tail stay in memory).

Usage: ``.venv/bin/python tests/bench/bench_sandbox.py [--image TAG] [--lines N] [--repeats N]
[--only logs|exec|pane|rss] [--rss-mb N]``.
Needs ``.ci/docker-setup.sh`` (engine + ``workbench-test/busybox``).
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: helpers

from workbench.core.sandbox.exec import run_command
from workbench.core.sandbox.logs import LogFollower
from workbench.core.sandbox.policy import SandboxSettings, container_config

PAD = "x" * 72


def bench_logs(client, image: str, lines: int, repeats: int) -> tuple[float, float, float]:
    """Return (median follower lines/s, median docker-logs lines/s, median ratio)."""
    ratios, fol_rates, cli_rates = [], [], []
    for _ in range(repeats):
        cmd = ["sh", "-c", f"seq 1 {lines} | sed 's/$/ {PAD}/'"]
        container = client.containers.create(image, cmd, network_mode="none", labels={"workbench.bench": "1"})
        try:
            buffer: collections.deque = collections.deque(maxlen=10_000)
            count = [0]

            def on_batch(batch, buffer=buffer, count=count):
                buffer.extend(batch.texts())  # the lines' texts, as the pane takes them
                count[0] += len(batch)

            with tempfile.TemporaryDirectory() as tmp:
                follower = LogFollower(client.api, container.id, on_batch, Path(tmp) / "c.log")
                start = time.perf_counter()
                follower.start()
                container.start()
                follower.join()
                followed = time.perf_counter() - start
            assert count[0] == lines, f"follower got {count[0]} of {lines} lines (error: {follower.error})"
            start = time.perf_counter()
            subprocess.run(["docker", "logs", container.id], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            cli = time.perf_counter() - start
        finally:
            container.remove(force=True)
        fol_rates.append(lines / followed)
        cli_rates.append(lines / cli)
        ratios.append(cli / followed)
    return statistics.median(fol_rates), statistics.median(cli_rates), statistics.median(ratios)


def bench_exec(client, image: str, repeats: int) -> tuple[float, float, float]:
    """Return (median run_command s, median docker exec s, ratio)."""
    workspace = Path(tempfile.mkdtemp(prefix="wb-bench-ws-"))
    settings = SandboxSettings(image=image)
    container = client.containers.create(**container_config(settings, workspace, "bench"))
    try:
        container.start()
        run_command(container, "true", 10)  # warm: first call reads the cgroup baseline
        subprocess.run(["docker", "exec", container.id, "true"], check=True)
        ours, cli = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            result = run_command(container, "true", 10)
            ours.append(time.perf_counter() - start)
            assert result.exit_code == 0
            start = time.perf_counter()
            subprocess.run(["docker", "exec", container.id, "true"], check=True)
            cli.append(time.perf_counter() - start)
    finally:
        container.remove(force=True)
        workspace.rmdir()
    a, b = statistics.median(ours), statistics.median(cli)
    return a, b, a / b


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def _pane_once(client, image: str, lines: int, workspace: Path, server) -> tuple[float, float, list[float]]:
    """One pane ingest run: return (pane seconds, docker-logs seconds, timer gaps in seconds)."""
    import asyncio

    from workbench.core.sandbox.policy import container_config
    from workbench.ui.app import WorkbenchApp
    from workbench.ui.containers.pane import ContainersPane

    kwargs = container_config(SandboxSettings(image=image, mem_limit="256m"), workspace, "bench-pane")
    kwargs["command"] = ["sh", "-c", f"seq 1 {lines} | sed 's/$/ {PAD}/'"]
    container = client.containers.create(**kwargs)
    llm = {"model": "scripted-bench", "api_key": "sk-bench-0123456789", "base_url": server.base_url}
    app = WorkbenchApp(workspace, {"llm": llm})
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await asyncio.wait_for(app.ready.wait(), 30)
            pane = app.query_one(ContainersPane)
            end = time.monotonic() + 30
            while pane.follower is None:
                assert time.monotonic() < end, "the pane did not follow the container"
                await pilot.pause(0.02)
            await pilot.press("alt+4", "f2")
            # Steady state: let the app's post-start work (the SDK prewarm import) finish and its
            # garbage go, so a start-up full collection does not land in the measurement.
            await asyncio.sleep(1.0)
            gc.collect()
            ingest = pane.ingest
            base = ingest.received
            gaps: list[float] = []
            last = [time.perf_counter()]

            def tick() -> None:
                now = time.perf_counter()
                gaps.append(now - last[0])
                last[0] = now

            timer = app.set_interval(0.01, tick)
            start = time.perf_counter()
            await asyncio.to_thread(container.start)
            while ingest.received - base < lines or ingest._scheduled:
                if time.perf_counter() - start > 120:
                    raise AssertionError(f"pane got {ingest.received - base} of {lines} lines")
                await asyncio.sleep(0.005)
            took = time.perf_counter() - start
            timer.stop()
            shown = pane.log_view.lines
            assert shown[-1].startswith(f"{lines} "), shown[-1:]
            assert pane.log_view.line_count <= pane.MAX_LINES
            await pilot.press("ctrl+q")
        start = time.perf_counter()
        subprocess.run(["docker", "logs", container.id], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        cli = time.perf_counter() - start
    finally:
        container.remove(force=True)
    return took, cli, gaps[1:]


def bench_pane(client, image: str, lines: int, repeats: int) -> dict[str, float]:
    """Run the pane ingest benchmark ``repeats`` times; return medians and the pooled frame p99."""
    import asyncio
    import shutil

    from workbench.scripted.server import ScriptedServer

    home = tempfile.mkdtemp(prefix="wb-bench-home-")
    os.environ["WORKBENCH_HOME"] = home
    workspace = Path(tempfile.mkdtemp(prefix="wb-bench-pane-"))
    (workspace / ".workbench").mkdir()
    (workspace / ".workbench" / "config.toml").write_text(f'[sandbox]\nimage = "{image}"\n')
    from helpers.trust import trust_workspace

    trust_workspace(workspace)  # as `workbench trust` would: the config applies, no trust screen
    rates, cli_rates, ratios, all_gaps = [], [], [], []
    try:
        with ScriptedServer(model="scripted-bench") as server:
            for _ in range(repeats):
                took, cli, gaps = asyncio.run(_pane_once(client, image, lines, workspace, server))
                rates.append(lines / took)
                cli_rates.append(lines / cli)
                ratios.append(cli / took)
                all_gaps.extend(gaps)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return {
        "pane": statistics.median(rates),
        "cli": statistics.median(cli_rates),
        "ratio": statistics.median(ratios),
        "p50": _percentile(all_gaps, 50) * 1000,
        "p99": _percentile(all_gaps, 99) * 1000,
        "max": max(all_gaps) * 1000,
    }


def _vm_hwm_kib(pid: int) -> int:
    """``VmHWM`` (peak RSS of the process's own memory, reset at exec) from /proc/PID/status, KiB."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _run_peak_rss(server, workspace: Path, command: str, timeout: float) -> tuple[int, float, int]:
    """Run ``workbench run`` whose model runs ``command``; return (exit code, seconds, peak RSS KiB)."""
    import json

    from workbench.scripted.server import Reply, ToolCallSpec

    server.enqueue(Reply(tool_calls=[ToolCallSpec("run_command", json.dumps({"command": command}), id="c1")]), Reply(text="done"))
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-bench",
        "WORKBENCH_LLM__BASE_URL": server.base_url,
        "WORKBENCH_LLM__MODEL": "m",
        "WORKBENCH_LLM__MAX_RETRIES": "0",
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--mode", "full-auto", "-p", "go", str(workspace)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    deadline = start + timeout
    peak = 0
    while True:
        peak = max(peak, _vm_hwm_kib(proc.pid))  # not wait4's ru_maxrss: it counts the forking parent
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - start, peak


def bench_rss(client, image: str, megabytes: int) -> dict[str, float]:
    """Peak RSS of ``workbench run`` printing ``megabytes`` MB vs printing one line (same run)."""
    from workbench.core.sandbox.policy import LABEL_WORKSPACE
    from workbench.scripted.server import ScriptedServer

    root = Path(tempfile.mkdtemp(prefix="wb-bench-rss-"))
    workspace = root / "ws"
    (workspace / ".workbench").mkdir(parents=True)
    (workspace / ".workbench" / "config.toml").write_text(
        f'[sandbox]\nimage = "{image}"\ncommand_timeout = 900\n\n[agent]\ntool_timeout = 900\n'
    )
    os.environ["WORKBENCH_HOME"] = str(root / "home")
    from helpers.trust import trust_workspace

    trust_workspace(workspace)
    try:
        with ScriptedServer(model="m") as server:
            code0, _, idle = _run_peak_rss(server, workspace, "echo small", 120)
            size = megabytes * 1024 * 1024
            code1, seconds, big = _run_peak_rss(server, workspace, f"head -c {size} /dev/zero | tr '\\000' x", 900)
            spooled = max((p.stat().st_size for p in (root / "home").rglob("spool/*.out")), default=0)
            if spooled != size:
                raise SystemExit(f"the command's output did not all arrive: spool holds {spooled:,} of {size:,} bytes")
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL_WORKSPACE}={workspace.resolve()}"}):
            c.remove(force=True)
        subprocess.run(["rm", "-rf", str(root)], check=False)
    if code0 or code1:
        raise SystemExit(f"workbench run failed: exit {code0} / {code1}")
    return {
        "idle": idle / 1024,
        "big": big / 1024,
        "delta": (big - idle) / 1024,
        "ratio": big / idle,
        "seconds": seconds,
        "mb_s": megabytes / seconds,
    }


def main() -> int:
    """Run both benchmarks and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default="workbench-test/busybox:latest")
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--exec-repeats", type=int, default=30)
    parser.add_argument("--only", choices=["logs", "exec", "pane", "rss"], help="run one benchmark only")
    parser.add_argument("--rss-mb", type=int, default=1000, help="MB printed by the memory benchmark")
    args = parser.parse_args()
    import docker

    client = docker.from_env()
    client.ping()
    if args.only in (None, "logs"):
        fol, cli, ratio = bench_logs(client, args.image, args.lines, args.repeats)
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"log ingest ({args.lines:,} lines, median of {args.repeats}): LogFollower {fol:,.0f} lines/s, "
            f"docker logs {cli:,.0f} lines/s, ratio {ratio:.2f} (target >= 0.5) "
            f"{'OK' if ratio >= 0.5 else 'MISSED'}; peak RSS {rss_mib:.0f} MiB"
        )
    if args.only in (None, "exec"):
        ours, theirs, ratio2 = bench_exec(client, args.image, args.exec_repeats)
        print(
            f"exec true (median of {args.exec_repeats}): run_command {ours * 1000:.1f} ms, docker exec "
            f"{theirs * 1000:.1f} ms, ratio {ratio2:.2f} (target <= 1.5) {'OK' if ratio2 <= 1.5 else 'MISSED'}"
        )
    if args.only in (None, "pane"):
        r = bench_pane(client, args.image, args.lines, args.repeats)
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ok = r["ratio"] >= 0.5 and r["p99"] < 50
        print(
            f"pane ingest ({args.lines:,} lines, median of {args.repeats}): Containers pane {r['pane']:,.0f} "
            f"lines/s, docker logs {r['cli']:,.0f} lines/s, ratio {r['ratio']:.2f} (target >= 0.5); frame gap "
            f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms (target < 50), max {r['max']:.1f} ms; peak RSS "
            f"{rss_mib:.0f} MiB; {'OK' if ok else 'MISSED'} (load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} CPUs)"
        )
    if args.only in (None, "rss"):
        m = bench_rss(client, args.image, args.rss_mb)
        print(
            f"memory ({args.rss_mb:,} MB of command output through `workbench run`): peak RSS idle "
            f"{m['idle']:.1f} MB, with output {m['big']:.1f} MB, delta {m['delta']:+.1f} MB, ratio "
            f"{m['ratio']:.2f} (target delta < +50 MB) {'OK' if m['delta'] < 50 else 'MISSED'}; "
            f"{m['mb_s']:.0f} MB/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
