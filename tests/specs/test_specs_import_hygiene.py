"""The spec core and CLI must not pull in textual or rich (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "workbench.core.specs",
    "workbench.core.specs.bundle",
    "workbench.core.specs.workflow",
    "workbench.core.specs.store",
    "workbench.specs_cli",
    "workbench.core.specs.review",
    "workbench.core.specs.overview",
    "workbench.core.specs.watch",
    "workbench.core.specs.comments",
    "workbench.core.specs.drafting",
    "workbench.core.specs.events",
    "workbench.core.specs.tasks_run",
]


@pytest.mark.parametrize("module", MODULES)
def test_no_ui_imports(module):
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "import workbench.core.specs as s; s.load_spec; s.ApprovalStore; "
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]; "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
