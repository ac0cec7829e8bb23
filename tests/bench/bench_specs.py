"""Benchmark: parse + lint + trace of a large spec (issue 6 target: under 100 ms).

Generates a spec with 200 requirements (4 criteria each, in both EARS dialects and with some lint
findings) and 600 tasks (200 parents with 2 sub-tasks each) in a temporary folder, then prints
the median over repeated runs of:

* reading the three files (bytes -> str), the floor;
* parse (requirements, design, tasks);
* parse + EARS lint + traceability (``load_spec`` + ``check_spec``), the number the target is about.

Run: ``.venv/bin/python tests/bench/bench_specs.py [--runs N]``.
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

from workbench.core.specs.bundle import check_spec, load_spec  # noqa: E402
from workbench.core.specs.models import Spec  # noqa: E402

TARGET_MS = 100.0
CRITERIA = (
    "WHEN event {n} happens, THE Big_Service SHALL record entry {n} within 50 ms.",
    "WHILE mode {n} is active, THE Big_Service SHALL keep counter {n} below 100.",
    "IF input {n} is invalid, THEN THE Big_Service SHALL reject it with error E{n}.",
    "WHEN user {n} clicks save THEN the system SHALL store document {n} quickly",
)


def generate(root: Path, requirements: int = 200, tasks_per_parent: int = 2) -> None:
    """Write requirements.md, design.md and tasks.md for the benchmark into ``root``."""
    req = ["# Requirements Document", "", "## Introduction", "", "A large generated spec.", "",
           "## Glossary", "", "- **Big_Service**: the system under test.", "", "## Requirements", ""]
    for r in range(1, requirements + 1):
        req += [f"### Requirement {r}: Feature {r}", "",
                f"**User Story:** As user {r}, I want feature {r}, so that goal {r} is met.", "",
                "#### Acceptance Criteria", ""]
        req += [f"{m}. {template.format(n=r)}" for m, template in enumerate(CRITERIA, start=1)]
        req.append("")
    (root / "requirements.md").write_text("\n".join(req), encoding="utf-8")

    design = ["# Design Document"]
    for section in ("Overview", "Architecture", "Components and Interfaces", "Data Models",
                    "Correctness Properties", "Error Handling", "Testing Strategy"):
        design += ["", f"## {section}", "", f"Text about {section.lower()}. " * 20]
    (root / "design.md").write_text("\n".join(design), encoding="utf-8")

    tasks = ["# Implementation Plan", ""]
    for t in range(1, requirements + 1):
        tasks += [f"- [{'x' if t % 3 == 0 else ' '}] {t}. Implement feature {t}",
                  f"  - Build the parts of feature {t}"]
        for s in range(1, tasks_per_parent + 1):
            tasks += [f"  - [ ] {t}.{s} Part {s} of feature {t}",
                      f"    - Detail for part {s}",
                      f"    - _Requirements: {t}.{2 * s - 1}, {t}.{2 * s}_"]
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
    args = parser.parse_args()
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
    print(f"spec: {len(bundle.requirements.requirements)} requirements, {n_criteria} criteria, "
          f"{n_tasks} tasks, {size_kb:.0f} KiB; {len(problems)} problems, "
          f"{len(report.uncovered)} uncovered; {args.runs} runs; load average {load:.2f}")
    print(f"  {'':<24} {'wall median':>12} {'wall min':>10} {'CPU median':>11}")
    for label, (median, low, cpu) in (("read files", t_read), ("parse (load_spec)", t_parse),
                                      ("parse + lint + trace", t_full)):
        print(f"  {label:<24} {median:9.2f} ms {low:7.2f} ms {cpu:8.2f} ms")
    ok = t_full[2] < TARGET_MS
    print(f"  target: parse + lint + trace < {TARGET_MS:.0f} ms (CPU median): {'OK' if ok else 'OVER'}; "
          f"{t_full[2] / max(t_read[2], 1e-6):.0f}x the time to read the files")
    ok_screen = review_screen_section(args.runs, t_read)
    return 0 if ok and ok_screen else 1


# -- review screen (issue 6: opening it on this spec under 300 ms) ------------------------------
SCREEN_TARGET_MS = 300.0


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
                assert len(screen.view("tasks").rows) > 600 and len(screen.outline.rows) == 1000
                await app.pop_screen()
                await pilot.pause()
        return out[1:]

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("WORKBENCH_HOME", str(Path(tmp) / "home"))
        root = Path(tmp) / ".workbench" / "specs" / "big"
        root.mkdir(parents=True)
        generate(root)
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
    print(f"review screen ({runs} opens per series, headless 160x50; load average {load:.2f})")
    print(f"  {'':<32} {'wall median':>12} {'wall min':>10} {'CPU median':>11}")
    for label, (median, low, cpu_ms) in (("read files", t_read), ("load_review (thread)", t_load),
                                         ("load_review, files unchanged", t_reload),
                                         ("open review screen (first open)", t_open),
                                         ("open review screen (re-open)", t_reopen)):
        print(f"  {label:<32} {median:9.2f} ms {low:7.2f} ms {cpu_ms:8.2f} ms")
    ok = t_open[2] < SCREEN_TARGET_MS
    print(f"  target: open review screen < {SCREEN_TARGET_MS:.0f} ms (first open, CPU median): {'OK' if ok else 'OVER'}; "
          f"{t_open[0] / max(t_read[0], 1e-6):.0f}x the time to read the files")
    return ok


if __name__ == "__main__":
    sys.exit(main())
