"""Benchmark: checkpoint after a one-file change in a 5,000-file workspace (issue 5, Performance).

Compares ``ShadowRepo.snapshot()`` with ``git add -A && git commit -q -m x`` of the same change in
a plain repository holding the same tree. Both sides are warmed up (first snapshot / first commit
done, stat caches filled), then each run changes one file and times one checkpoint. Prints the
medians in ms and their ratio (target: at most 1.5).

Run: ``.venv/bin/python tests/bench/bench_checkpoints.py [--files 5000] [--runs 15]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.core.checkpoints import ShadowRepo


def make_tree(root: Path, files: int) -> None:
    """Write ``files`` small source-like files in ~50 folders, plus a .gitignore."""
    (root / ".gitignore").write_text("*.log\n")
    for i in range(files):
        path = root / f"pkg{i % 50:02d}" / f"sub{i % 7}" / f"module_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# module {i}\n" + "def f():\n    return %d\n" % i * 5)


def plain_git_env() -> dict[str, str]:
    """Environment for the plain repository: no user config, fixed identity."""
    home = tempfile.mkdtemp(prefix="bench-home-")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@b",
    }


def main() -> int:
    """Run the benchmark and print the result; exit status 1 when the ratio is above the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--target", type=float, default=1.5)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-checkpoints-"))
    os.environ["WORKBENCH_HOME"] = str(base / "home")
    try:
        ws = base / "ws"
        plain = base / "plain"
        ws.mkdir()
        make_tree(ws, args.files)
        shutil.copytree(ws, plain)
        env = plain_git_env()

        def git(*a: str) -> None:
            subprocess.run(["git", *a], cwd=plain, env=env, check=True, capture_output=True)

        git("init", "-q")
        git("add", "-A")
        git("commit", "-q", "-m", "init")
        repo = ShadowRepo(ws)
        repo.snapshot("init")
        # fill the stat caches once more (racy-git entries from the initial writes)
        time.sleep(1.1)
        git("add", "-A")
        repo.snapshot("warm")

        shadow_ms: list[float] = []
        plain_ms: list[float] = []
        for run in range(args.runs):
            rel = f"pkg{run % 50:02d}/sub{run % 7}/module_{run}.py"
            for root in (ws, plain):
                with open(root / rel, "a") as fh:
                    fh.write(f"# edit {run}\n")
            t0 = time.perf_counter()
            cp = repo.snapshot(f"run {run}")
            shadow_ms.append((time.perf_counter() - t0) * 1000)
            assert cp.files_changed == [("M", rel)], cp.files_changed
            t0 = time.perf_counter()
            subprocess.run(["sh", "-c", "git add -A && git commit -q -m x"], cwd=plain, env=env, check=True)
            plain_ms.append((time.perf_counter() - t0) * 1000)

        s, p = statistics.median(shadow_ms), statistics.median(plain_ms)
        ratio = s / p
        print(f"workspace: {args.files} files, one-file change, median of {args.runs} runs")
        print(f"snapshot():                          {s:8.1f} ms")
        print(f"git add -A && git commit -q -m x:    {p:8.1f} ms")
        print(f"ratio: {ratio:.2f} (target <= {args.target})  {'OK' if ratio <= args.target else 'ABOVE TARGET'}")
        return 0 if ratio <= args.target else 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
