"""The plugin core imports the mcp SDK only when a plugin or server starts (its UI-free contract:
tests/test_import_contracts.py)."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "workbench.core.mcp.plugins",
    "workbench.core.mcp.plugins.plugin_config",
    "workbench.core.mcp.plugins.plugin_trust",
    "workbench.core.mcp.plugins.tool_approvals",
    "workbench.core.mcp.plugins.env",
    "workbench.core.mcp.plugins.supervisor_events",
    "workbench.core.mcp.plugins.tools",
    "workbench.core.mcp.plugins.process",
    "workbench.core.mcp.plugins.orphans",
    "workbench.core.mcp.plugins.handle",
    "workbench.core.mcp.plugins.supervisor",
    "workbench.core.mcp.plugins.connection",
]


def test_sdk_is_imported_lazily() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}: importlib.import_module(m)\n"
        "import workbench.core.mcp.plugins as p; p.PluginSupervisor; p.load_specs\n"
        "print(sorted(x for x in ('mcp',) if x in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_runtime_and_mcp_server_import_the_sdk_lazily() -> None:
    code = (
        "import importlib, sys\n"
        "for m in ('workbench.core.mcp.plugins.service', 'workbench.core.mcp.server', "
        "'workbench.core.mcp.server.queries', 'workbench.core.mcp.server.adapter', "
        "'workbench.cli.commands.plugins', 'workbench.cli.commands.mcp_serve'): importlib.import_module(m)\n"
        "print(sorted(x for x in ('mcp',) if x in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
