"""Plugin tools as the agent sees them: ``mcp__<server>__<tool>`` function tools and their results.

The OpenAI function-tool format is ``{"type": "function", "function": {"name", "description",
"parameters"}}`` (https://platform.openai.com/docs/guides/function-calling); names must match
``^[a-zA-Z0-9_-]{1,64}$``, so other characters become ``_`` and over-long names are shortened
with a hash suffix. Results: text content is joined; other content becomes a labelled
placeholder such as ``[image: image/png, 1234 bytes]``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.mcp.plugins.sanitize import sanitize_text

_INVALID = re.compile(r"[^A-Za-z0-9_-]")
MAX_NAME = 64


def qualified_name(server: str, tool: str) -> str:
    """Return ``mcp__<server>__<tool>`` made valid for OpenAI function names (at most 64 chars)."""
    name = f"mcp__{_INVALID.sub('_', server)}__{_INVALID.sub('_', tool)}"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9]}_{digest}"
    return name


@dataclass(frozen=True)
class PluginTool:
    """One tool of an active plugin.

    Attributes:
        server: the plugin name.
        name: the tool name as the server names it.
        qualified_name: ``mcp__<server>__<tool>``.
        description: the description with control/invisible characters escaped.
        input_schema: the tool's JSON schema for its arguments.
        status: ``"approved"``, ``"changed"`` or ``"new"`` (see :mod:`.approvals`).
        diff: what changed since the approval (``""`` when approved).
        allowed: False when ``allowed_tools`` excludes it.
    """

    server: str
    name: str
    qualified_name: str
    description: str
    input_schema: dict[str, Any]
    status: str = "approved"
    diff: str = ""
    allowed: bool = True

    @property
    def enabled(self) -> bool:
        """True when the tool is offered to the agent (approved and allowed)."""
        return self.status == "approved" and self.allowed

    def definition(self) -> dict[str, Any]:
        """Return the raw-ish definition used for approvals (sanitized description)."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}

    def openai_tool(self) -> dict[str, Any]:
        """Return the OpenAI function-tool dict for this tool."""
        schema = dict(self.input_schema) if self.input_schema else {}
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        desc = f"[MCP plugin {self.server}] {self.description}".strip()
        return {
            "type": "function",
            "function": {"name": self.qualified_name, "description": desc, "parameters": schema},
        }


@dataclass(frozen=True)
class PluginToolResult:
    """What a tool call returns to the agent.

    Attributes:
        text: the content for the model (text joined by blank lines, placeholders for the rest).
        is_error: True for tool errors, protocol errors, timeouts and crashes.
        duration_s: wall-clock seconds of the call.
        structured: the tool's ``structuredContent``, if any.
    """

    text: str
    is_error: bool
    duration_s: float
    structured: Any = field(default=None, compare=False)


def _b64_size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data) * 3 // 4


def content_to_text(block: Any) -> str:
    """Render one MCP content block (``mcp.types`` model) as text or a labelled placeholder."""
    kind = getattr(block, "type", None)
    if kind == "text":
        text: str = block.text
        return text
    if kind in ("image", "audio"):
        return f"[{kind}: {block.mime_type}, {_b64_size(block.data)} bytes]"
    if kind == "resource_link":
        mime = f", {block.mime_type}" if getattr(block, "mime_type", None) else ""
        return f"[resource link: {block.uri} ({block.name}{mime})]"
    if kind == "resource":
        res = block.resource
        mime = getattr(res, "mime_type", None) or "unknown type"
        if hasattr(res, "text"):
            return f"[resource: {res.uri}, {mime}]\n{res.text}"
        return f"[resource: {res.uri}, {mime}, {_b64_size(res.blob)} bytes]"
    return f"[{kind or 'unknown'} content]"


def convert_result(result: Any, duration_s: float) -> PluginToolResult:
    """Turn an ``mcp.types.CallToolResult`` into a :class:`PluginToolResult`.

    When the server sent only ``structuredContent`` it is rendered as JSON.
    """
    parts = [content_to_text(block) for block in result.content]
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return PluginToolResult(
        text="\n\n".join(parts),
        is_error=bool(result.is_error),
        duration_s=duration_s,
        structured=result.structured_content,
    )


def tool_from_mcp(server: str, tool: Any) -> PluginTool:
    """Build a :class:`PluginTool` (status approved) from an ``mcp.types.Tool``."""
    return PluginTool(
        server=server,
        name=tool.name,
        qualified_name=qualified_name(server, tool.name),
        description=sanitize_text(tool.description or ""),
        input_schema=dict(tool.input_schema or {}),
    )
