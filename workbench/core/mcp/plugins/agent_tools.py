"""MCP plugin tools offered to the agent as ``mcp__<server>__<tool>``.

Each tool of an ACTIVE plugin (approved and allowed, see :meth:`PluginSupervisor.tools`) becomes a
:class:`~workbench.core.tools.base.Tool` of kind ``command``: it goes through the permission
modes and approvals like a shell command (ask by default), its call has the plugin's
``call_timeout``, text results go back to the model and non-text content as a labelled
placeholder; failures are error results. The supervisor records each call with its duration.
"""

from __future__ import annotations

from typing import Any

from workbench.core.tools.base import Proposal, Tool, ToolContext, ToolError, ToolResult, ToolSpec

PREFIX = "mcp__"


class PluginAgentTool(Tool):
    """One plugin tool as an agent tool.

    Args:
        supervisor: the :class:`~workbench.core.mcp.plugins.supervisor.PluginSupervisor`.
        tool: the :class:`~workbench.core.mcp.plugins.tools.PluginTool`.
    """

    def __init__(self, supervisor: Any, tool: Any) -> None:
        schema = tool.input_schema if isinstance(tool.input_schema, dict) else {"type": "object"}
        schema = dict(schema)
        schema.setdefault("type", "object")
        self.spec = ToolSpec(
            name=tool.qualified_name,
            description=f"[MCP plugin {tool.server}] {tool.description}"[:1024],
            parameters=schema,
            mutates=False,
            kind="command",
        )
        self._supervisor = supervisor

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """Plugin calls have no file preview."""
        return Proposal(path="", old_text=None, new_text=None, diff="", editable=False)

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Call the plugin tool; plugin failures come back as error results."""
        try:
            result = await self._supervisor.call_tool(self.spec.name, args)
        except Exception as exc:  # unknown/unavailable tool (changed since approval, plugin gone)
            raise ToolError(f"{self.spec.name} is unavailable: {exc}") from exc
        summary = f"{'error' if result.is_error else 'ok'} in {result.duration_s * 1000:.0f} ms"
        return ToolResult(result.text, summary, is_error=bool(result.is_error))


def plugin_agent_tools(supervisor: Any) -> list[Tool]:
    """The agent tools for every tool the supervisor offers now (invalid schemas are skipped)."""
    out: list[Tool] = []
    for tool in supervisor.tools():
        try:
            out.append(PluginAgentTool(supervisor, tool))
        except (ValueError, TypeError, Exception):  # a bad schema must not break the agent
            continue
    return out
