"""Typed errors raised by the plugin (MCP server) layer.

Every message names what failed (file, server key, tool) and the fix, so the UI can show
``str(exc)`` as is.
"""

from __future__ import annotations

from pathlib import Path


class PluginError(Exception):
    """Base class of all plugin errors."""


class PluginConfigError(PluginError):
    """A ``.mcp.json`` file or a ``[plugins]`` config section is invalid.

    Args:
        source: the file (or config section) the problem is in.
        problem: what is wrong.
        fix: how to fix it.
        key: the dotted key (``mcpServers.github.command``), or None for the whole file.
        line: 1-based line number when known (invalid JSON).
        column: 1-based column number when known.
    """

    def __init__(
        self,
        source: Path | str,
        problem: str,
        fix: str,
        *,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source = str(source)
        self.problem = problem
        self.fix = fix
        self.key = key
        self.line = line
        self.column = column
        where = self.source
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {problem}. Fix: {fix}")


class PluginNotTrustedError(PluginError):
    """A workspace plugin was started before the user approved it as it is now.

    Attributes:
        name: the server name.
        description: what it would run (:func:`~workbench.core.mcp.plugins.plugin_trust.describe_for_approval`).
        status: the :class:`~workbench.core.mcp.plugins.plugin_trust.TrustStatus` (None when unknown).
    """

    def __init__(self, name: str, description: str, status: object | None = None) -> None:
        self.name = name
        self.description = description
        self.status = status
        state = getattr(status, "state", "untrusted")
        why = {
            "changed": "changed since you trusted it",
            "legacy": "was trusted by an older Workbench and must be trusted again",
        }.get(state, "is not trusted yet")
        super().__init__(
            f"plugin {name!r} comes from the workspace's .mcp.json and {why}; review it and trust it "
            f"(workbench mcp trust {name}, or key t in the Plugins pane). It would run:\n{description}"
        )


class PluginNotFoundError(PluginError):
    """No plugin (or no tool) with that name is configured."""


class ToolUnavailableError(PluginError):
    """The tool exists but may not be called: not approved since it changed, not allowed by
    ``allowed_tools``, or its plugin is disabled."""
