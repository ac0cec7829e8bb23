"""Benchmark: parse + lint + trace of specs, against markdown-it-py alone (issues 6 and 20).

Three parts, in one run:

1. **Corpus** (issue 20): every spec folder under ``tests/specs/corpus`` (our fixtures) and under
   each ``--corpus PATH`` given (e.g. a scratch folder of real Kiro specs, never committed) is
   read, parsed, linted and traced (``load_spec`` + ``check_spec``); the wall time of the whole
   pass is compared with markdown-it-py alone reading and parsing the same files
   (``MarkdownIt("commonmark").parse``, block and inline rules). Targets: < 1 s wall and <= 1.5x
   markdown-it-py alone.
2. **Large spec** (issue 6): a generated spec with 200 requirements (4 criteria each) and 600
   tasks: parse + lint + trace under 100 ms (CPU median).
3. **Review screen** (issues 6 and 20): opening ``SpecReviewScreen`` on that spec with a
   generated design of >= 2,000 lines, to its first paint: under 300 ms.

Run: ``.venv/bin/python tests/bench/bench_specs.py [--runs N] [--corpus PATH ...]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workbench.core.specs.bundle import check_spec, load_spec
from workbench.core.specs.models import Spec

TARGET_MS = 100.0
CRITERIA = (
    "WHEN event {n} happens, THE Big_Service SHALL record entry {n} within 50 ms.",
    "WHILE mode {n} is active, THE Big_Service SHALL keep counter {n} below 100.",
    "IF input {n} is invalid, THEN THE Big_Service SHALL reject it with error E{n}.",
    "WHEN user {n} clicks save THEN the system SHALL store document {n} quickly",
)


def generate_design(requirements: int, min_lines: int = 2000) -> list[str]:
    """Return the lines of a design document of at least ``min_lines`` lines (generated, Kiro's layout).

    Every section Kiro writes, one component per requirement (prose, a bullet list, a fenced code
    block), and a correctness property per requirement citing its criteria
    (``**Validates: Requirements N.1, N.2**``).
    """
    lines = [
        "# Design Document",
        "",
        "## Overview",
        "",
        "A generated design for the benchmark.",
        "",
        "## Architecture",
        "",
        "```mermaid",
        "graph TD",
        "  A[Client] --> B[Big_Service]",
        "```",
        "",
        "## Components and Interfaces",
        "",
    ]
    n = 0
    while len(lines) < min_lines * 2 // 3:
        n += 1
        lines += [
            f"### Component {n}: Handler {n}",
            "",
            f"Handler {n} receives event {n}, validates it and stores entry {n}.",
            "",
            f"- Input: event {n} (JSON, at most 4 KiB)",
            f"- Output: entry {n} or error E{n}",
            "",
            "```python",
            f"def handle_{n}(event: dict) -> Entry:",
            f"    return store(event, key={n})",
            "```",
            "",
        ]
    lines += ["## Data Models", "", "| Field | Type |", "|---|---|", "| id | int |", "", "## Correctness Properties", ""]
    r = 0
    while len(lines) < min_lines:
        r = r % requirements + 1
        lines += [
            f"### Property {r}: Entry {r} is stored once",
            "",
            f"For any event {r}, storing it twice keeps one entry.",
            "",
            f"**Validates: Requirements {r}.1, {r}.2**",
            "",
        ]
    lines += [
        "## Error Handling",
        "",
        "Errors are returned as codes.",
        "",
        "## Testing Strategy",
        "",
        "Property-based tests for every property.",
        "",
    ]
    return lines


def generate(root: Path, requirements: int = 200, tasks_per_parent: int = 2, design_lines: int = 0) -> None:
    """Write requirements.md, design.md and tasks.md for the benchmark into ``root``."""
    req = [
        "# Requirements Document",
        "",
        "## Introduction",
        "",
        "A large generated spec.",
        "",
        "## Glossary",
        "",
        "- **Big_Service**: the system under test.",
        "",
        "## Requirements",
        "",
    ]
    for r in range(1, requirements + 1):
        req += [
            f"### Requirement {r}: Feature {r}",
            "",
            f"**User Story:** As user {r}, I want feature {r}, so that goal {r} is met.",
            "",
            "#### Acceptance Criteria",
            "",
        ]
        req += [f"{m}. {template.format(n=r)}" for m, template in enumerate(CRITERIA, start=1)]
        req.append("")
    (root / "requirements.md").write_text("\n".join(req), encoding="utf-8")

    design = ["# Design Document"]
    for section in (
        "Overview",
        "Architecture",
        "Components and Interfaces",
        "Data Models",
        "Correctness Properties",
        "Error Handling",
        "Testing Strategy",
    ):
        design += ["", f"## {section}", "", f"Text about {section.lower()}. " * 20]
    if design_lines:
        design = generate_design(requirements, design_lines)
    (root / "design.md").write_text("\n".join(design), encoding="utf-8")

    tasks = ["# Implementation Plan", ""]
    for t in range(1, requirements + 1):
        tasks += [f"- [{'x' if t % 3 == 0 else ' '}] {t}. Implement feature {t}", f"  - Build the parts of feature {t}"]
        for s in range(1, tasks_per_parent + 1):
            tasks += [
                f"  - [ ] {t}.{s} Part {s} of feature {t}",
                f"    - Detail for part {s}",
                f"    - _Requirements: {t}.{2 * s - 1}, {t}.{2 * s}_",
            ]
        tasks.append("")
    (root / "tasks.md").write_text("\n".join(tasks), encoding="utf-8")


def timings_ms(fn, runs: int) -> tuple[float, float, float]:
    """Return ``(wall median, wall min, CPU-time median)`` of ``fn()`` over ``runs`` calls, in ms.

    CPU time (``time.process_time``) is reported because the machines running this are shared
    and noisy: wall time includes waiting for a core, CPU time does not.
    """
    fn()  # warm-up (imports, regex compilation)
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def main() -> int:
    """Generate the spec, time the three stages and print them; exit 1 above the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--corpus", action="append", type=Path, default=[], help="also time every spec folder under PATH (repeatable)"
    )
    args = parser.parse_args()
    ok_corpus = corpus_section([FIXTURES, *args.corpus], max(3, args.runs // 3))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / ".workbench" / "specs" / "big"
        root.mkdir(parents=True)
        generate(root)
        spec = Spec("big", root, "workbench", Path(tmp))
        files = [spec.path(d) for d in ("requirements", "design", "tasks")]

        def read() -> None:
            for path in files:
                path.read_bytes().decode("utf-8")

        def full() -> tuple:
            return check_spec(load_spec(spec))

        problems, report = full()
        bundle = load_spec(spec)
        n_criteria = len(bundle.requirements.criteria())
        n_tasks = len(bundle.tasks.all_tasks)
        size_kb = sum(p.stat().st_size for p in files) / 1024
        t_read = timings_ms(read, args.runs)
        t_parse = timings_ms(lambda: load_spec(spec), args.runs)
        t_full = timings_ms(full, args.runs)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"spec: {len(bundle.requirements.requirements)} requirements, {n_criteria} criteria, "
        f"{n_tasks} tasks, {size_kb:.0f} KiB; {len(problems)} problems, "
        f"{len(report.uncovered)} uncovered; {args.runs} runs; load average {load:.2f}"
    )
    print(f"  {'':<24} {'wall median':>12} {'wall min':>10} {'CPU median':>11}")
    for label, (median, low, cpu) in (("read files", t_read), ("parse (load_spec)", t_parse), ("parse + lint + trace", t_full)):
        print(f"  {label:<24} {median:9.2f} ms {low:7.2f} ms {cpu:8.2f} ms")
    ok = t_full[2] < TARGET_MS
    print(
        f"  target: parse + lint + trace < {TARGET_MS:.0f} ms (CPU median): {'OK' if ok else 'OVER'}; "
        f"{t_full[2] / max(t_read[2], 1e-6):.0f}x the time to read the files"
    )
    ok_screen = review_screen_section(args.runs, t_read)
    return 0 if ok and ok_screen and ok_corpus else 1


# -- corpus: parse + lint + trace against markdown-it-py alone (issue 20) --------------------------
FIXTURES = Path(__file__).resolve().parents[1] / "specs" / "corpus"
CORPUS_WALL_S = 1.0
CORPUS_RATIO = 1.5
DOCS = ("requirements", "design", "tasks")


def find_specs(root: Path) -> list[Spec]:
    """Every folder under ``root`` holding a ``requirements.md``, ``design.md`` or ``tasks.md``."""
    folders = sorted({p.parent for doc in DOCS for p in Path(root).rglob(f"{doc}.md")})
    return [Spec(folder.name, folder, "kiro", folder) for folder in folders]


def corpus_pass(specs: list[Spec]) -> tuple[int, int]:
    """Read, parse, lint and trace every spec; return ``(problems, uncovered criteria)``."""
    from workbench.core.specs import _md

    _md.prose.cache_clear()  # no help from an earlier pass
    problems = uncovered = 0
    for spec in specs:
        found, report = check_spec(load_spec(spec))
        problems += len(found)
        uncovered += len(report.uncovered)
    return problems, uncovered


def markdown_it_pass(files: list[Path], md) -> int:
    """Read and parse every file with markdown-it-py alone; return the number of tokens."""
    return sum(len(md.parse(path.read_bytes().decode("utf-8", errors="replace"))) for path in files)


def corpus_section(roots: list[Path], runs: int) -> bool:
    """Time the corpus pass and markdown-it-py alone on the same files, interleaved; print both.

    Returns whether the median pass is under ``CORPUS_WALL_S`` and at most ``CORPUS_RATIO`` times
    markdown-it-py's median (``MarkdownIt("commonmark")``: block and inline rules, as a renderer
    would run it). The block-only parse the spec parsers use is printed too.
    """
    from markdown_it import MarkdownIt

    specs = [spec for root in roots for spec in find_specs(root)]
    files = [spec.path(doc) for spec in specs for doc in DOCS if spec.path(doc).is_file()]
    lines = sum(len(path.read_bytes().split(b"\n")) for path in files)
    full = MarkdownIt("commonmark")
    blocks = MarkdownIt("commonmark").disable(["inline", "text_join"])
    problems, uncovered = corpus_pass(specs)  # warm-up
    markdown_it_pass(files, full)
    markdown_it_pass(files, blocks)
    ours, alone, alone_blocks = [], [], []
    for _ in range(runs):  # interleaved, so that load on the machine hits all three alike
        for series, fn in (
            (ours, lambda: corpus_pass(specs)),
            (alone, lambda: markdown_it_pass(files, full)),
            (alone_blocks, lambda: markdown_it_pass(files, blocks)),
        ):
            start = time.perf_counter()
            fn()
            series.append(time.perf_counter() - start)
    t_ours, t_alone, t_blocks = (statistics.median(x) for x in (ours, alone, alone_blocks))
    ratio = t_ours / t_alone
    print(
        f"corpus: {len(specs)} specs, {len(files)} files, {lines} lines from {', '.join(map(str, roots))}; "
        f"{problems} problems, {uncovered} uncovered; {runs} runs (median wall)"
    )
    print(f"  parse + lint + trace (ours)         {t_ours * 1000:9.1f} ms")
    print(f"  markdown-it-py alone (commonmark)   {t_alone * 1000:9.1f} ms")
    print(f"  markdown-it-py alone (block rules)  {t_blocks * 1000:9.1f} ms")
    ok = t_ours < CORPUS_WALL_S and ratio <= CORPUS_RATIO
    print(
        f"  target: < {CORPUS_WALL_S:.0f} s wall and <= {CORPUS_RATIO}x markdown-it-py alone: "
        f"{ratio:.2f}x -> {'OK' if ok else 'OVER'}"
    )
    return ok


# -- review screen (issue 6: opening it on this spec under 300 ms) ------------------------------
SCREEN_TARGET_MS = 300.0
DESIGN_LINES = 2000


def spec_path_lines(path: Path) -> list[str]:
    """The lines of ``path``."""
    return path.read_text(encoding="utf-8").splitlines()


def review_screen_section(runs: int, t_read: tuple[float, float, float]) -> bool:
    """Time opening ``SpecReviewScreen`` on the generated spec; print it next to the file read time.

    Each run pushes a fresh screen in a headless Textual app (no file watcher) and stops the clock
    when the loaded spec has been painted: the push is awaited (the screen is mounted),
    ``screen.loaded`` is set, then one more refresh. Two series: "first open" drops
    ``load_review``'s cached check before each run, so the spec is parsed, linted and traced inside
    the measured time (the number the target is about); "re-open" keeps it (the files did not
    change), as when a spec is opened again. Returns whether the first-open CPU median is under
    ``SCREEN_TARGET_MS`` (CPU, as above: the machines are shared and wall time includes waiting for
    a core; both are printed).
    """
    import asyncio

    from textual.app import App

    from workbench.core.specs.review import ReviewStores, load_review
    from workbench.ui.specs.review_screen import SpecReviewScreen

    try:
        from workbench.core.specs.review import forget_checked
    except ImportError:  # a tree without the cached check (comparing before/after)

        def forget_checked() -> None:
            """Nothing is cached."""

    try:  # the process set-up the workbench app does (Textual fixes on import, GC policy once ready)
        import workbench.ui.app  # noqa: F401
        from workbench.ui import gcpolicy
    except ImportError:  # a tree without them (comparing before/after)
        gcpolicy = None

    async def measure(spec: Spec, stores: ReviewStores, cold: bool) -> list[tuple[float, float]]:
        app = App()
        out = []
        async with app.run_test(size=(160, 50)) as pilot:
            if gcpolicy is not None:
                gcpolicy.freeze_startup_objects()
                gcpolicy.tune()
            for _ in range(runs + 1):  # the first run is a warm-up (imports, CSS)
                if cold:
                    forget_checked()
                screen = SpecReviewScreen(spec, stores, watch=False)
                start, start_cpu = time.perf_counter(), time.process_time()
                await app.push_screen(screen)
                await screen.loaded.wait()
                await pilot.pause()
                out.append(((time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000))
                assert len(screen.view("tasks").rows) > 600 and len(screen.view("design").rows) >= DESIGN_LINES
                await app.pop_screen()
                await pilot.pause()
        return out[1:]

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("WORKBENCH_HOME", str(Path(tmp) / "home"))
        root = Path(tmp) / ".workbench" / "specs" / "big"
        root.mkdir(parents=True)
        generate(root, design_lines=DESIGN_LINES)
        design_lines = len(spec_path_lines(root / "design.md"))
        spec = Spec("big", root, "workbench", Path(tmp))
        stores = ReviewStores.for_workspace(Path(tmp))

        def cold_load() -> None:
            forget_checked()
            load_review(spec, stores)

        t_load = timings_ms(cold_load, runs)
        t_reload = timings_ms(lambda: load_review(spec, stores), runs)
        opens = {cold: asyncio.run(measure(spec, stores, cold)) for cold in (True, False)}

    def summary(results: list[tuple[float, float]]) -> tuple[float, float, float]:
        wall = [w for w, _ in results]
        return statistics.median(wall), min(wall), statistics.median([c for _, c in results])

    t_open, t_reopen = summary(opens[True]), summary(opens[False])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"review screen on a {design_lines}-line design ({runs} opens per series, headless 160x50; load average {load:.2f})")
    print(f"  {'':<32} {'wall median':>12} {'wall min':>10} {'CPU median':>11}")
    for label, (median, low, cpu_ms) in (
        ("read files", t_read),
        ("load_review (thread)", t_load),
        ("load_review, files unchanged", t_reload),
        ("open review screen (first open)", t_open),
        ("open review screen (re-open)", t_reopen),
    ):
        print(f"  {label:<32} {median:9.2f} ms {low:7.2f} ms {cpu_ms:8.2f} ms")
    ok = t_open[2] < SCREEN_TARGET_MS
    print(
        f"  target: open review screen < {SCREEN_TARGET_MS:.0f} ms (first open, CPU median): {'OK' if ok else 'OVER'}; "
        f"{t_open[0] / max(t_read[0], 1e-6):.0f}x the time to read the files"
    )
    return ok


if __name__ == "__main__":
    sys.exit(main())
