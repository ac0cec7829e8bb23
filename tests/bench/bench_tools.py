"""Benchmark of the built-in file tools (issue 3, "Performance"). Not a pytest test.

Run: ``.venv/bin/python tests/bench/bench_tools.py``. Prints medians and ratios measured in the
same run (absolute times vary between machines and runs; compare the ratios):

1. ``read_file`` tool on a 100 KB file (``validate_arguments`` + ``await tool.run``) next to a plain
   ``open().read()`` of the same file; target: overhead under 5 ms median.
2. ``grep`` tool over a generated 5,000-file tree next to ``grep -rn`` on the same tree; target:
   within 3x. Measured with the Python engine and, when ``rg`` is on PATH, with ripgrep.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workbench.core.tools.base import ToolContext, validate_arguments
from workbench.core.tools.grep import GrepTool
from workbench.core.tools.read_tools import ReadFileTool

READ_RUNS = 300
GREP_RUNS = 7
FILES = 5000
NEEDLE = "xyzzy_marker"


def median_ms(samples: list[float]) -> float:
    """Median of seconds samples, in milliseconds."""
    return statistics.median(samples) * 1000


def make_text_file(path: Path, size: int) -> None:
    """Write ~``size`` bytes of code-like lines."""
    rng = random.Random(1)
    words = ["def", "return", "self", "value", "import", "class", "for", "in", "if", "else", "None", "data"]
    lines, total = [], 0
    while total < size:
        line = "    " + " ".join(rng.choice(words) for _ in range(rng.randint(3, 10))) + "\n"
        lines.append(line)
        total += len(line)
    path.write_text("".join(lines)[:size])


def make_tree(root: Path) -> int:
    """Create ``FILES`` files in 50 folders (2 levels), ~2 KB each, the needle in every 100th file."""
    rng = random.Random(2)
    words = ["alpha", "beta", "gamma", "delta", "value", "return", "print", "items", "config"]
    planted = 0
    for i in range(FILES):
        folder = root / f"pkg{i % 10}" / f"mod{(i // 10) % 5}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(40)]
        if i % 100 == 0:
            lines[rng.randrange(40)] += f" {NEEDLE}"
            planted += 1
        (folder / f"file{i}.py").write_text("\n".join(lines) + "\n")
    return planted


async def bench_read(ws: Path) -> None:
    """Time the read_file tool against open().read() on a 100 KB file."""
    make_text_file(ws / "big.py", 100 * 1024)
    tool, ctx = ReadFileTool(), ToolContext(ws)
    raw = json.dumps({"path": "big.py"})
    plain, timed = [], []
    for _ in range(READ_RUNS):
        t0 = time.perf_counter()
        with open(ws / "big.py", encoding="utf-8") as handle:
            handle.read()
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = await tool.run(validate_arguments(tool.spec, raw), ctx)
        timed.append(time.perf_counter() - t0)
    assert not result.is_error
    p, t = median_ms(plain), median_ms(timed)
    print(
        f"read_file 100 KB: tool {t:.3f} ms median, open().read() {p:.3f} ms, ratio {t / p:.1f}x, "
        f"overhead {t - p:.3f} ms (target < 5 ms): {'OK' if t - p < 5 else 'OVER'}"
    )


async def bench_grep(tree: Path, planted: int) -> None:
    """Time the grep tool (each available engine) against grep -rn on the same tree."""
    ctx = ToolContext(tree)
    raw = json.dumps({"pattern": NEEDLE})
    ref = []
    for _ in range(GREP_RUNS):
        t0 = time.perf_counter()
        out = subprocess.run(["grep", "-rn", NEEDLE, "."], cwd=tree, capture_output=True, check=True)
        ref.append(time.perf_counter() - t0)
    assert out.stdout.count(b"\n") == planted
    r = median_ms(ref)
    print(f"grep -rn over {FILES} files: {r:.1f} ms median ({planted} matches)")
    engines = ["python"] + (["rg"] if shutil.which("rg") else [])
    for engine in engines:
        tool, times = GrepTool(engine=engine), []
        for _ in range(GREP_RUNS):
            t0 = time.perf_counter()
            result = await tool.run(validate_arguments(tool.spec, raw), ctx)
            times.append(time.perf_counter() - t0)
        assert result.content.count("\n") == planted + 1, result.content[:200]
        t = median_ms(times)
        verdict = "OK" if t / r <= 3 else "OVER"
        print(f"grep tool ({engine} engine): {t:.1f} ms median, ratio {t / r:.2f}x grep -rn (target <= 3x): {verdict}")
    print(f"ripgrep on PATH: {'yes, the default engine uses it' if shutil.which('rg') else 'no, Python engine used'}")


async def main() -> None:
    """Build the fixtures in a temp dir and run both benchmarks."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        await bench_read(ws)
        tree = Path(tmp) / "tree"
        tree.mkdir()
        planted = make_tree(tree)
        await bench_grep(tree, planted)


if __name__ == "__main__":
    asyncio.run(main())
