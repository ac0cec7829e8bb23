"""Assembling streamed tool calls.

In the Chat Completions stream a tool call arrives as ``delta.tool_calls[i]`` fragments: the first
carries ``index``, ``id`` and ``function.name``; later ones append to ``function.arguments`` (see
https://platform.openai.com/docs/guides/function-calling#streaming).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.llm.stream import ToolCallDelta


@dataclass
class ToolCall:
    """A complete tool call: id, function name and the raw JSON arguments text."""

    id: str
    name: str
    arguments: str

    def to_openai(self) -> dict[str, Any]:
        """Return the ``tool_calls`` entry of an assistant message."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


class ToolCallAccumulator:
    """Joins :class:`ToolCallDelta` fragments by ``index`` into :class:`ToolCall` objects."""

    def __init__(self) -> None:
        self._calls: dict[int, ToolCall] = {}

    def add(self, delta: ToolCallDelta) -> None:
        """Merge one fragment."""
        call = self._calls.get(delta.index)
        if call is None:
            call = ToolCall(delta.id or "", delta.name or "", "")
            self._calls[delta.index] = call
        if delta.id and not call.id:
            call.id = delta.id
        if delta.name and not call.name:
            call.name = delta.name
        call.arguments += delta.arguments

    def calls(self, turn_id: str, step: int) -> list[ToolCall]:
        """Return the calls in index order; missing ids get a stable synthetic one."""
        out = []
        for index in sorted(self._calls):
            call = self._calls[index]
            if not call.id:
                call.id = f"call_{turn_id}_{step}_{index}"
            out.append(call)
        return out
