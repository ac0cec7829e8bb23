"""The specs benchmark runs and prints its comparison with markdown-it-py (no timing asserted)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_specs.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_specs", BENCH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_corpus_section_runs_on_the_fixtures_and_prints_the_ratio(capsys):
    bench = load_bench()
    specs = bench.find_specs(bench.FIXTURES)
    assert {s.name for s in specs} >= {"kiro-dialect", "kiro-real", "kiro-i18n", "good-ears"}
    bench.corpus_section([bench.FIXTURES], runs=1)
    out = capsys.readouterr().out
    assert re.search(r"corpus: \d+ specs, \d+ files, \d+ lines", out)
    assert re.search(r"parse \+ lint \+ trace \(ours\)\s+[\d.]+ ms", out)
    assert re.search(r"markdown-it-py alone \(commonmark\)\s+[\d.]+ ms", out)
    assert re.search(r"<= 1\.5x markdown-it-py alone: [\d.]+x -> (OK|OVER)", out)


def test_generated_design_has_2000_lines_and_every_section(tmp_path):
    bench = load_bench()
    lines = bench.generate_design(200, 2000)
    assert len(lines) >= 2000
    from workbench.core.specs.design import parse_design

    design = parse_design("\n".join(lines))
    assert design.missing == [] and design.problems == []
    assert len(design.links) > 100
