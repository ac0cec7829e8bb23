"""The plugin core imports the mcp SDK only when a plugin or server starts (its UI-free contract:
tests/test_import_contracts.py)."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "workbench.core.plugins",
    "workbench.core.plugins.config",
    "workbench.core.plugins.trust",
    "workbench.core.plugins.approvals",
    "workbench.core.plugins.env",
    "workbench.core.plugins.events",
    "workbench.core.plugins.tools",
    "workbench.core.plugins.process",
    "workbench.core.plugins.orphans",
    "workbench.core.plugins.handle",
    "workbench.core.plugins.supervisor",
    "workbench.core.plugins.connection",
]


def test_sdk_is_imported_lazily() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}: importlib.import_module(m)\n"
        "import workbench.core.plugins as p; p.PluginSupervisor; p.load_specs\n"
        "print(sorted(x for x in ('mcp',) if x in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_runtime_and_mcp_server_import_the_sdk_lazily() -> None:
    code = (
        "import importlib, sys\n"
        "for m in ('workbench.core.plugins.runtime', 'workbench.core.mcpserver', "
        "'workbench.core.mcpserver.queries', 'workbench.core.mcpserver.server', "
        "'workbench.plugins_cli', 'workbench.mcp_server'): importlib.import_module(m)\n"
        "print(sorted(x for x in ('mcp',) if x in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
