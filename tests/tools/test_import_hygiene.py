"""``import workbench.core.tools`` stays light (its UI-free contract: tests/test_import_contracts.py)."""

from __future__ import annotations

import subprocess
import sys


def test_package_init_is_light() -> None:
    code = (
        "import sys, workbench.core.tools; print('workbench.core.tools.write_tools' in sys.modules, 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
