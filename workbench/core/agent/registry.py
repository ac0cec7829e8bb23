"""The tools offered to the model in a session."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from workbench.core.tools.base import Tool


class ToolRegistry:
    """Tools by name, in the order they are offered.

    Args:
        tools: initial tools (e.g. :func:`workbench.core.tools.builtin_tools`).
    """

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self.hidden: Callable[[], Collection[str]] = frozenset
        """Names not offered to the model (whole-tool deny rules, ``--disallowed-tools``); such a
        tool stays registered so that a call of it anyway is refused by its rule, not "unknown"."""
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
        """The ``tools`` parameter of a Chat Completions request (hidden tools left out)."""
        hidden = self.hidden()
        return [t.spec.to_openai() for name, t in self._tools.items() if name not in hidden]

    def replace_prefix(self, prefix: str, tools: Iterable[Tool]) -> None:
        """Replace every tool whose name starts with ``prefix`` by ``tools`` (dynamic sets, e.g. MCP)."""
        for name in [n for n in self._tools if n.startswith(prefix)]:
            del self._tools[name]
        for tool in tools:
            self.add(tool)

    def __len__(self) -> int:
        return len(self._tools)
