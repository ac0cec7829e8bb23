"""Text for the Plugins pane: table cells and the detail of the selected plugin (plain strings)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from workbench.core.mcp.plugins.sanitize import sanitize_text

if TYPE_CHECKING:
    from workbench.core.mcp.plugins.handle import PluginHandle

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("state", "State"),
    ("pid", "PID"),
    ("uptime", "Uptime"),
    ("tools", "Tools"),
    ("calls", "Calls"),
    ("errors", "Errors"),
    ("latency", "Mean"),
)
"""``(column key, header)`` of the plugin table, in order."""

STDERR_LINES = 12
"""Lines of stderr shown in the detail."""
RECENT_CALLS = 10
"""Calls shown in the detail."""

EMPTY_TEXT = """No MCP servers (plugins) are configured for this workspace.

Add a .mcp.json file at the workspace root, in the format other MCP clients use:

  {"mcpServers": {
     "files": {"command": "npx",
               "args": ["-y", "@modelcontextprotocol/server-filesystem", "."]}}}

or user-level servers under [plugins.servers.NAME] in your config, then press l to reload.
Servers from .mcp.json start only after you trust their exact command line (key t)."""
"""What the pane says when no plugin is configured."""


def display_state(handle: PluginHandle, trusted: object) -> str:
    """Return the state cell: ``untrusted`` / ``changed`` (since trusted) / ``re-trust`` (trusted
    by an older Workbench) / ``disabled`` for plugins that are not running, else the state.

    ``trusted`` is a bool or a :class:`~workbench.core.mcp.plugins.plugin_trust.TrustStatus`.
    """
    state = getattr(trusted, "state", None)
    ok = trusted.trusted if state is not None else bool(trusted)  # type: ignore[attr-defined]
    if not handle.running and handle.state.value in ("registered", "stopped"):
        if not ok:
            return {"changed": "changed", "legacy": "re-trust"}.get(state or "", "untrusted")
        if not handle.spec.settings.enabled:
            return "disabled"
    return handle.state.value


def fmt_uptime(seconds: float) -> str:
    """Return ``"-"`` for 0, else ``"42s"``, ``"3m05s"`` or ``"2h07m"``."""
    if seconds <= 0:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def fmt_latency(seconds: float, calls: int) -> str:
    """Return ``"-"`` before the first call, else milliseconds (``"12 ms"``) or seconds (``"1.5 s"``)."""
    if not calls:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


def row_cells(handle: PluginHandle, trusted: object) -> dict[str, str]:
    """Return the table cells of one plugin keyed by column key (see :data:`COLUMNS`)."""
    pending = sum(1 for t in handle.tools if t.status != "approved")
    tools = str(len(handle.tools)) + (f" ({pending}!)" if pending else "")
    c = handle.counters
    return {
        "name": handle.name,
        "state": display_state(handle, trusted),
        "pid": str(handle.pid) if handle.pid and handle.running else "-",
        "uptime": fmt_uptime(handle.uptime_s),
        "tools": tools if handle.tools else "-",
        "calls": str(c.calls),
        "errors": str(c.errors),
        "latency": fmt_latency(c.mean_latency_s, c.calls),
    }


def _indent(text: str, prefix: str = "    ") -> list[str]:
    return [prefix + line for line in text.splitlines()] or [prefix]


def detail_text(handle: PluginHandle, trusted: bool, status: object | None = None) -> str:
    """Return the detail of the selected plugin: origin, error, tools (sanitized descriptions and
    schemas), recent calls and the stderr tail; for a plugin changed since it was trusted, what
    changed (``status``: its :class:`~workbench.core.mcp.plugins.plugin_trust.TrustStatus`)."""
    spec = handle.spec
    origin = ".mcp.json (workspace)" if spec.source == "workspace" else "[plugins] config (user)"
    lines = [
        f"{handle.name} · {display_state(handle, status if status is not None else trusted)} · from {origin} · {spec.transport}"
    ]
    state = getattr(status, "state", None)
    if not trusted and state in ("changed", "legacy") and not (handle.running or handle.state.value == "error"):
        title = "Changed since you trusted it" if state == "changed" else "Needs trust again"
        lines += ["", f"{title} (not started until you trust it again, key t):"]
        lines += [f"    {sanitize_text(c, keep_newlines=False)}" for c in getattr(status, "changes", [])]
        return "\n".join(lines)
    if not trusted:
        lines += [
            "",
            "Not trusted: this server comes from the workspace's .mcp.json and has never been approved",
            "with its current command line. Press t (or s) to review the exact command and trust it.",
        ]
        return "\n".join(lines)
    if handle.state.value == "error" and handle.last_error is not None:
        lines += ["", "Error:", *_indent(sanitize_text(str(handle.last_error)))]
    if handle.restarts:
        lines.append(f"automatic restarts: {handle.restarts} of {spec.settings.max_restarts}")
    pending = [t for t in handle.tools if t.status != "approved"]
    if pending:
        lines += [
            "",
            f"{len(pending)} tool(s) changed since approval, disabled until approved (key a): "
            + ", ".join(t.name for t in pending),
        ]
    lines += ["", f"Tools ({len(handle.tools)}):"]
    if not handle.tools:
        lines.append("    (none loaded: the tool list is read when the plugin becomes active)")
    for tool in handle.tools:
        flags = tool.status if tool.allowed else f"{tool.status}, not in allowed_tools"
        lines.append(f"  {tool.name}  [{flags}]")
        lines += _indent(tool.description or "(no description)")
        schema = json.dumps(tool.input_schema, ensure_ascii=True, sort_keys=True)
        lines += _indent(f"schema: {schema}")
    calls = list(handle.recent_calls)[-RECENT_CALLS:]
    lines += ["", f"Recent calls ({handle.counters.calls} in total):"]
    if not calls:
        lines.append("    (none yet)")
    for call in reversed(calls):
        when = time.strftime("%H:%M:%S", time.localtime(call.ts))
        outcome = "error" if call.is_error else "ok"
        lines.append(f"    {when}  {call.tool}  {fmt_latency(call.duration_s, 1)}  {outcome}")
    tail = handle.stderr_tail(STDERR_LINES)
    lines += ["", f"Stderr (last {STDERR_LINES} lines; full log: {handle.stderr_log}):"]
    lines += _indent(sanitize_text("\n".join(tail))) if tail else ["    (empty)"]
    return "\n".join(lines)
