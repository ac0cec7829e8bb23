"""Sandbox benchmarks on a real engine (ratios measured in one run; see PERFORMANCE.md "Docker").

1. Log ingest: a container printing 200,000 lines of ~80 chars. Lines/s through ``LogFollower``
   (attached before start) into a bounded buffer (``deque(maxlen=10_000)``, like the pane's
   ``Log(max_lines=...)``), divided by lines/s of ``docker logs CONTAINER > /dev/null`` of the same
   container. Target: >= 0.5. Peak RSS of this process is reported.
2. ``run_command("true")`` in a warm sandbox divided by ``docker exec CONTAINER true``. Target: <= 1.5.

Usage: ``.venv/bin/python tests/bench/bench_sandbox.py [--image TAG] [--lines N] [--repeats N]``.
Needs ``.ci/docker-setup.sh`` (engine + ``workbench-test/busybox``).
"""

from __future__ import annotations

import argparse
import collections
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workbench.core.sandbox.exec import run_command  # noqa: E402
from workbench.core.sandbox.logs import LogFollower  # noqa: E402
from workbench.core.sandbox.policy import SandboxSettings, container_config  # noqa: E402

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
                buffer.extend(batch)
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
            subprocess.run(["docker", "logs", container.id], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
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


def main() -> int:
    """Run both benchmarks and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default="workbench-test/busybox:latest")
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--exec-repeats", type=int, default=30)
    args = parser.parse_args()
    import docker

    client = docker.from_env()
    client.ping()
    fol, cli, ratio = bench_logs(client, args.image, args.lines, args.repeats)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"log ingest ({args.lines:,} lines, median of {args.repeats}): LogFollower {fol:,.0f} lines/s, "
          f"docker logs {cli:,.0f} lines/s, ratio {ratio:.2f} (target >= 0.5) "
          f"{'OK' if ratio >= 0.5 else 'MISSED'}; peak RSS {rss_mib:.0f} MiB")
    ours, theirs, ratio2 = bench_exec(client, args.image, args.exec_repeats)
    print(f"exec true (median of {args.exec_repeats}): run_command {ours * 1000:.1f} ms, docker exec "
          f"{theirs * 1000:.1f} ms, ratio {ratio2:.2f} (target <= 1.5) {'OK' if ratio2 <= 1.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
