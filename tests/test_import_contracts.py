"""The import contracts (STYLE.md, "Keep the core free of the UI").

* Statically: ``lint-imports`` checks the contracts in pyproject.toml ``[tool.importlinter]`` (the
  core never imports the UI, the CLI, the scripted server, ``textual`` or ``rich``; the UI never
  imports the event store or ``docker``). CI also runs it in ``scripts/lint``; this test makes
  ``./scripts/test`` enforce it too.
* At run time: every module under ``workbench.core`` (found by walking the package with
  :mod:`pkgutil`) is imported in a fresh interpreter, then ``sys.modules`` is checked, which also
  catches imports made by code that runs at import time.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept() -> None:
    """``lint-imports`` (import-linter) passes on the repository, and it really checked the contracts."""
    exe = Path(sys.executable).with_name("lint-imports")
    assert exe.exists(), f"{exe} missing: install the dev extra (pip install -e '.[test,dev]')"
    proc = subprocess.run([str(exe), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    counts = re.search(r"Contracts: (\d+) kept, (\d+) broken", proc.stdout)
    assert counts and int(counts[1]) >= 2 and counts[2] == "0", proc.stdout
    # No contract is kept by way of ignore_imports exceptions (the UI gets store types from core.runtime).
    assert "ignored import" not in proc.stdout, proc.stdout


CHECK = r"""
import importlib, json, pkgutil, sys
import workbench.core
names, failed = [], {}
for info in pkgutil.walk_packages(workbench.core.__path__, "workbench.core.", onerror=lambda n: failed.setdefault(n, "walk")):
    names.append(info.name)
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = f"{type(exc).__name__}: {exc}"
ui = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(json.dumps({"modules": names, "failed": failed, "ui": ui}))
"""


def test_core_never_imports_textual_or_rich() -> None:
    proc = subprocess.run([sys.executable, "-c", CHECK], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["failed"] == {}, result["failed"]
    names = set(result["modules"])
    # The walk really covers the core (a few modules that must be there).
    assert {
        "workbench.core.store.db",
        "workbench.core.config",
        "workbench.core.llm.client",
        "workbench.core.chat.service",
        "workbench.core.runtime",
        "workbench.core.bus",
    } <= names
    assert len(names) > 40
    assert result["ui"] == [], f"workbench.core pulled in UI modules: {result['ui'][:10]}"


def test_headless_entry_points_do_not_import_textual() -> None:
    """The headless commands' modules stay UI-free too (they are composed from the core only)."""
    code = (
        "import sys, workbench.cli, workbench.cli.commands.run, workbench.cli.commands.sessions, workbench.cli.commands.spec, "
        "workbench.cli.commands.export, workbench.cli.commands.plugins, workbench.cli.commands.mcp_serve\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
