"""``workbench.core`` must never import ``textual`` or ``rich``: every module under it (found by
walking the package with :mod:`pkgutil`) is imported in a fresh interpreter, then ``sys.modules``
is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

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
    assert {"workbench.core.store.db", "workbench.core.config", "workbench.core.llm.client",
            "workbench.core.chat.service", "workbench.core.runtime", "workbench.core.bus"} <= names
    assert len(names) > 40
    assert result["ui"] == [], f"workbench.core pulled in UI modules: {result['ui'][:10]}"


def test_headless_entry_points_do_not_import_textual() -> None:
    """The headless commands' modules stay UI-free too (they are composed from the core only)."""
    code = (
        "import sys, workbench.cli, workbench.headless, workbench.sessions_cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
