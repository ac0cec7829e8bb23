"""``workbench.core.tools`` must not import ``textual`` or ``rich`` (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "workbench.core.tools",
    "workbench.core.tools.base",
    "workbench.core.tools.pathguard",
    "workbench.core.tools.read_tools",
    "workbench.core.tools.grep",
    "workbench.core.tools.write_tools",
    "workbench.core.tools.permissions",
]


def test_no_ui_imports() -> None:
    code = (
        "import sys, importlib\n"
        f"for m in {MODULES!r}: importlib.import_module(m)\n"
        "import workbench.core.tools as t; t.builtin_tools()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_package_init_is_light() -> None:
    code = "import sys, workbench.core.tools; print('workbench.core.tools.write_tools' in sys.modules, 'jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
