"""The tools offered to the model in a session."""

from __future__ import annotations

from typing import Any, Iterable

from workbench.core.tools.base import Tool


class ToolRegistry:
    """Tools by name, in the order they are offered.

    Args:
        tools: initial tools (e.g. :func:`workbench.core.tools.builtin_tools`).
    """

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        """Add or replace a tool (by ``tool.spec.name``)."""
        self._tools[tool.spec.name] = tool

    def remove(self, name: str) -> None:
        """Remove a tool if present."""
        self._tools.pop(name, None)

    def get(self, name: str) -> Tool | None:
        """Return the tool called ``name``, or None."""
        return self._tools.get(name)

    def names(self) -> list[str]:
        """Tool names in offering order."""
        return list(self._tools)

    def openai_tools(self) -> list[dict[str, Any]]:
        """The ``tools`` parameter of a Chat Completions request."""
        return [t.spec.to_openai() for t in self._tools.values()]

    def replace_prefix(self, prefix: str, tools: Iterable[Tool]) -> None:
        """Replace every tool whose name starts with ``prefix`` by ``tools`` (dynamic sets, e.g. MCP)."""
        for name in [n for n in self._tools if n.startswith(prefix)]:
            del self._tools[name]
        for tool in tools:
            self.add(tool)

    def __len__(self) -> int:
        return len(self._tools)
