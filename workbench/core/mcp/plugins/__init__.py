"""MCP plugins: configuration, trust, supervision and tools for the agent.

Public names are exported lazily (PEP 562) so ``import workbench.core.mcp.plugins`` stays cheap; the
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
    "MCP_JSON": "plugin_config",
    "PluginServerConfig": "plugin_config",
    "PluginSettings": "plugin_config",
    "PluginSpec": "plugin_config",
    "PluginsConfig": "plugin_config",
    "load_specs": "plugin_config",
    "parse_mcp_json": "plugin_config",
    "TrustStore": "plugin_trust",
    "describe_for_approval": "plugin_trust",
    "spec_fingerprint": "plugin_trust",
    "ToolApprovals": "tool_approvals",
    "ToolReview": "tool_approvals",
    "build_plugin_env": "env",
    "sanitize_text": "sanitize",
    "PluginEvent": "supervisor_events",
    "PluginRestartScheduled": "supervisor_events",
    "PluginState": "supervisor_events",
    "PluginStateChanged": "supervisor_events",
    "PluginStderr": "supervisor_events",
    "PluginToolCalled": "supervisor_events",
    "PluginToolsChanged": "supervisor_events",
    "PluginFailure": "handle",
    "PluginHandle": "handle",
    "PluginSupervisor": "supervisor",
    "PluginTool": "tools",
    "PluginToolResult": "tools",
    "qualified_name": "tools",
    "plugin_runtime": "service",
    "reload_plugins": "service",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
