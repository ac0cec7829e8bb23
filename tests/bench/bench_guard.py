"""Benchmark of the protected-path check around a tool call (issue 21 item 2). Not a pytest test.

Run: ``.venv/bin/python tests/bench/bench_guard.py``. Builds a 5,000-file git workspace (committed,
so ``.git/index`` has 5,000 entries; sample hooks; ``AGENTS.md``, ``.mcp.json`` naming a server
script, ``.workbench/config.toml`` and ``.workbench/sandbox/Dockerfile``) and prints medians of:

1. the capture before a call (:meth:`ProtectedGuard.take`: stat + bytes of the protected set);
2. the check after a call (take again + compare), which is the target: < 5 ms median;
3. a bare ``os.stat`` of every path in the protected set, and the ratio of (2) to it.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workbench.core.guard import (
    ProtectedGuard,
    snapshot,
)

FILES = 5000
RUNS = 300


def median_ms(samples: list[float]) -> float:
    """Median of seconds samples, in milliseconds."""
    return statistics.median(samples) * 1000


def build(root: Path) -> None:
    """Create the workspace described in the module doc."""
    rng = random.Random(7)
    for i in range(FILES):
        d = root / f"pkg{i % 50}" / f"sub{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"m{i}.py").write_text(f"# module {i}\n" + "x = 1\n" * rng.randint(1, 20))
    (root / "AGENTS.md").write_text("# Agents\nBe careful.\n")
    (root / "srv.py").write_text("print('server')\n")
    (root / ".mcp.json").write_text('{"mcpServers": {"s": {"command": "python", "args": ["srv.py"]}}}\n')
    (root / ".workbench" / "sandbox").mkdir(parents=True)
    (root / ".workbench" / "config.toml").write_text('[agent]\nmode = "ask"\n')
    (root / ".workbench" / "sandbox" / "Dockerfile").write_text("FROM python:3.12-slim\n")
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", "-C", str(root)]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)


def main() -> None:
    """Build the workspace, measure, print."""
    with tempfile.TemporaryDirectory(prefix="bench-guard-") as tmp:
        root = Path(tmp).resolve()
        build(root)
        guard = ProtectedGuard(root)
        base = guard.take()
        paths = [os.path.join(root, rel) for rel in base.entries]
        index = root / ".git" / "index"
        print(f"workspace: {FILES} files; protected set: {len(paths)} entries; .git/index {index.stat().st_size} bytes")
        before, after, bare = [], [], []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            snap = guard.take()
            t1 = time.perf_counter()
            changes = snapshot.compare(snap, snapshot.take(root, snap.scripts))
            t2 = time.perf_counter()
            for p in paths:
                os.stat(p)
            t3 = time.perf_counter()
            assert not changes
            before.append(t1 - t0)
            after.append(t2 - t1)
            bare.append(t3 - t2)
        b, a, s = median_ms(before), median_ms(after), median_ms(bare)
        print(f"capture before a call:        {b:7.3f} ms median")
        print(f"check after a call:           {a:7.3f} ms median (target < 5 ms)")
        print(f"bare os.stat of the set:      {s:7.3f} ms median")
        print(f"ratio check / bare os.stat:   {a / s:7.1f}x")
        print(f"before + after per tool call: {b + a:7.3f} ms median")


if __name__ == "__main__":
    main()
