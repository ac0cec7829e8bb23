"""The journal core never imports the UI libraries."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "workbench.core.journal", "workbench.core.journal.entries", "workbench.core.journal.agent_md",
    "workbench.core.journal.recovery", "workbench.core.journal.guide", "workbench.core.journal.files",
    "workbench.core.journal.projector", "workbench.core.journal.service", "workbench.core.journal.export",
    "workbench.export_cli",
]


def test_journal_core_imports_no_textual_or_rich():
    code = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}: importlib.import_module(m)\n"
        "from workbench.core.journal import start_journal, update_journal, export_session\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
