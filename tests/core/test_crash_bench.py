"""CI runs 10 rounds of the crash benchmark (``tests/bench/bench_crash.py``): real ``workbench run``
/ ``workbench rewind`` processes SIGKILLed at random points; nothing acknowledged may be lost and
the log must pass ``PRAGMA integrity_check`` after every kill."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(240)

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_crash.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_crash", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_crash"] = module  # dataclasses look their module up
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_ten_kill_rounds_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))  # the bench points it at its own data dir
    totals = load_bench().run_bench(10, seed=13, root=tmp_path)
    assert totals.rounds == 10
    assert totals.kills == 10, totals  # the processes are held alive after their command: every round kills
    assert totals.acknowledged > 0
    assert totals.lost == 0, totals.problems
    assert totals.integrity_failures == 0, totals.problems
    assert totals.reopen_failures == 0, totals.problems
    assert totals.unsealed_turns == 0, totals.problems
    assert totals.journal_mismatches == 0, totals.problems
