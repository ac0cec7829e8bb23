"""MCP plugins: configuration, trust, supervision and tools for the agent.

Public names are exported lazily (PEP 562) so ``import workbench.core.plugins`` stays cheap; the
``mcp`` SDK itself is imported only when a plugin starts.

Typical wiring::

    specs = load_specs(workspace, config.plugins)
    trust = TrustStore.for_workspace(workspace)
    sup = PluginSupervisor(specs, on_event=bus.publish, trust=trust,
                           approvals=ToolApprovals.for_workspace(workspace),
                           log_dir=workspace_data_dir(workspace) / "plugins")
    await sup.start_all()
    tools = sup.openai_tools()
    result = await sup.call_tool("mcp__files__read", {"path": "x"})
    await sup.aclose()
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PluginConfigError": "errors",
    "PluginError": "errors",
    "PluginNotFoundError": "errors",
    "PluginNotTrustedError": "errors",
    "ToolUnavailableError": "errors",
    "MCP_JSON": "config",
    "PluginServerConfig": "config",
    "PluginSettings": "config",
    "PluginSpec": "config",
    "PluginsConfig": "config",
    "load_specs": "config",
    "parse_mcp_json": "config",
    "TrustStore": "trust",
    "describe_for_approval": "trust",
    "spec_fingerprint": "trust",
    "ToolApprovals": "approvals",
    "ToolReview": "approvals",
    "build_plugin_env": "env",
    "sanitize_text": "sanitize",
    "PluginEvent": "events",
    "PluginRestartScheduled": "events",
    "PluginState": "events",
    "PluginStateChanged": "events",
    "PluginStderr": "events",
    "PluginToolCalled": "events",
    "PluginToolsChanged": "events",
    "PluginFailure": "handle",
    "PluginHandle": "handle",
    "PluginSupervisor": "supervisor",
    "PluginTool": "tools",
    "PluginToolResult": "tools",
    "qualified_name": "tools",
    "plugin_runtime": "runtime",
    "reload_plugins": "runtime",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
