"""Tool approvals: a tool whose name, description or schema changed is disabled until re-approved.

A server can change what a tool does (or what its description tells the model) after the user
looked at it ("rug pull"). Each tool definition (name, description, input schema) is
fingerprinted. The first listing of a server the user trusted is the baseline and is approved as
is; afterwards a changed definition, or a tool name that was not there, is *pending*: not offered
to the agent until :meth:`ToolApprovals.approve` is called. :class:`ToolReview` carries a unified
diff of the old and new definitions for the UI (descriptions sanitized).

Stored next to the trust decisions: ``workspace_data_dir(ws)/tool_approvals.json``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from workbench.core.jsonfile import load_json, save_json
from workbench.core.mcp.plugins.sanitize import sanitize_text

ToolDefinition = dict[str, Any]
"""``{"name": str, "description": str, "input_schema": dict}``."""


def definition_fingerprint(definition: Mapping[str, Any]) -> str:
    """Return sha256 (hex) of the canonical JSON of name, description and input schema."""
    payload = {
        "name": definition.get("name"),
        "description": definition.get("description") or "",
        "input_schema": definition.get("input_schema") or {},
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _render(definition: Mapping[str, Any] | None) -> list[str]:
    if definition is None:
        return []
    lines = [f"name: {sanitize_text(str(definition.get('name')), keep_newlines=False)}", "description:"]
    desc = sanitize_text(str(definition.get("description") or ""))
    lines += [f"  {line}" for line in desc.splitlines()] or ["  "]
    lines.append("input_schema:")
    schema = json.dumps(definition.get("input_schema") or {}, indent=2, sort_keys=True, ensure_ascii=True)
    lines += [f"  {line}" for line in schema.splitlines()]
    return lines


def definition_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """Return a unified diff (``--- approved`` / ``+++ current``) of two tool definitions."""
    return "\n".join(difflib.unified_diff(_render(old), _render(new), "approved", "current", lineterm="", n=3))


@dataclass(frozen=True)
class ToolReview:
    """The approval status of one listed tool.

    Attributes:
        name: the tool name as the server names it.
        status: ``"approved"``, ``"changed"`` (definition differs from the approved one) or
            ``"new"`` (a name not approved before on this server).
        diff: unified diff for ``changed``/``new``, ``""`` when approved.
        definition: the current definition.
    """

    name: str
    status: Literal["approved", "changed", "new"]
    diff: str
    definition: ToolDefinition

    @property
    def approved(self) -> bool:
        """True when the tool may be offered to the agent."""
        return self.status == "approved"


class ToolApprovals:
    """Approved tool definitions per server, persisted as JSON.

    File shape: ``{"servers": {"<server>": {"<tool>": {"fingerprint": str, "definition": {...},
    "approved_at": float}}}}``.

    Args:
        path: the JSON file, usually ``workspace_data_dir(ws) / "tool_approvals.json"``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_workspace(cls, workspace: Path) -> ToolApprovals:
        """Return the store at ``workspace_data_dir(workspace)/tool_approvals.json``."""
        from workbench.core.paths import workspace_data_dir

        return cls(workspace_data_dir(workspace) / "tool_approvals.json")

    def _servers(self) -> dict[str, Any]:
        servers = load_json(self.path, what="plugin approvals").get("servers")
        return servers if isinstance(servers, dict) else {}

    def _write(self, server: str, records: dict[str, Any]) -> None:
        data = load_json(self.path, what="plugin approvals")
        servers = data.get("servers")
        if not isinstance(servers, dict):
            servers = {}
        servers[server] = records
        data["servers"] = servers
        save_json(self.path, data)

    def review(self, server: str, definitions: Iterable[ToolDefinition]) -> dict[str, ToolReview]:
        """Compare a server's current tool list with the approved definitions.

        The first listing of a server with no record is approved and stored as the baseline.

        Args:
            server: the server name.
            definitions: the listed tools (``name``, ``description``, ``input_schema``).

        Returns:
            Tool name -> :class:`ToolReview`, in listing order.
        """
        defs = list(definitions)
        records = self._servers().get(server)
        if not isinstance(records, dict):
            now = time.time()
            self._write(
                server, {d["name"]: {"fingerprint": definition_fingerprint(d), "definition": d, "approved_at": now} for d in defs}
            )
            return {d["name"]: ToolReview(d["name"], "approved", "", d) for d in defs}
        out: dict[str, ToolReview] = {}
        for d in defs:
            rec = records.get(d["name"])
            if rec is None:
                out[d["name"]] = ToolReview(d["name"], "new", definition_diff(None, d), d)
            elif rec.get("fingerprint") == definition_fingerprint(d):
                out[d["name"]] = ToolReview(d["name"], "approved", "", d)
            else:
                out[d["name"]] = ToolReview(d["name"], "changed", definition_diff(rec.get("definition"), d), d)
        return out

    def approve(self, server: str, definition: ToolDefinition) -> None:
        """Approve ``definition`` (as listed now) for ``server``; it replaces any earlier approval."""
        records = self._servers().get(server)
        records = records if isinstance(records, dict) else {}
        records[definition["name"]] = {
            "fingerprint": definition_fingerprint(definition),
            "definition": definition,
            "approved_at": time.time(),
        }
        self._write(server, records)

    def forget(self, server: str) -> None:
        """Drop every approval of ``server`` (its next listing becomes the new baseline)."""
        data = load_json(self.path, what="plugin approvals")
        servers = data.get("servers")
        if not isinstance(servers, dict):
            servers = {}
        servers.pop(server, None)
        data["servers"] = servers
        save_json(self.path, data)
