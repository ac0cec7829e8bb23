"""Trust for workspace plugins: nothing from ``.mcp.json`` runs before the user approves it.

A cloned repository can ship a ``.mcp.json`` that runs anything. The first time, the UI shows
:func:`describe_for_approval` (the exact, untruncated command line and the environment keys) and
calls :meth:`TrustStore.trust` when the user accepts. The decision is stored per workspace in
``workspace_data_dir(ws)/trust.json`` (outside the workspace, which agent commands can write) and
keyed by a fingerprint of the command, its arguments, the environment KEYS, the working
directory and the URL: any change asks again. Environment values are not part of the
fingerprint (tokens rotate) and are never shown. User-level servers (``[plugins]`` in the user's
own config) are trusted by being there.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from pathlib import Path
from typing import Any

from workbench.core.plugins._jsonfile import read_json, write_json
from workbench.core.plugins.config import PluginSpec
from workbench.core.plugins.env import safe_keys
from workbench.core.plugins.sanitize import sanitize_text

_SECTION = "mcp_servers"


def spec_fingerprint(spec: PluginSpec) -> str:
    """Return ``sha256`` (hex) of what the user approves: command line, env keys, cwd, url, header keys."""
    payload = {
        "transport": spec.transport,
        "command": spec.command,
        "args": list(spec.args),
        "env_keys": sorted(spec.env),
        "cwd": spec.cwd,
        "url": spec.url,
        "header_keys": sorted(spec.headers),
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def command_line(spec: PluginSpec) -> str:
    """Return the shell-quoted command line (``shlex.join``), control/invisible characters escaped."""
    if spec.command is None:
        return ""
    return sanitize_text(shlex.join([spec.command, *spec.args]), keep_newlines=False)


def describe_for_approval(spec: PluginSpec) -> str:
    """Return the text shown when asking the user to trust a plugin (never truncated).

    Example::

        MCP server "files" from /ws/.mcp.json will run:
          npx -y @modelcontextprotocol/server-filesystem /ws
        working directory: /ws
        environment keys from the config: DEBUG, TOKEN (values not shown)
        environment keys copied from your environment: PATH, HOME, ...
    """
    origin = f" from {spec.origin}" if spec.origin else ""
    lines: list[str] = []
    if spec.url:
        lines.append(f'MCP server "{sanitize_text(spec.name)}"{origin} will connect to:')
        lines.append(f"  {sanitize_text(spec.url, keep_newlines=False)}")
        keys = ", ".join(sanitize_text(k, keep_newlines=False) for k in sorted(spec.headers)) or "none"
        lines.append(f"HTTP header keys: {keys} (values not shown)")
        return "\n".join(lines)
    lines.append(f'MCP server "{sanitize_text(spec.name)}"{origin} will run:')
    lines.append(f"  {command_line(spec)}")
    lines.append(f"working directory: {sanitize_text(spec.cwd or '', keep_newlines=False)}")
    keys = ", ".join(sanitize_text(k, keep_newlines=False) for k in sorted(spec.env)) or "none"
    lines.append(f"environment keys from the config: {keys} (values not shown)")
    lines.append(f"environment keys copied from your environment: {', '.join(safe_keys())}")
    return "\n".join(lines)


class TrustStore:
    """Remembered trust decisions for one workspace, in a JSON file.

    File shape (other top-level keys are preserved)::

        {"mcp_servers": {"<fingerprint>": {"name": str, "command_line": str, "url": str|null,
                                           "workspace": str, "trusted_at": float}}}

    Args:
        path: the JSON file, usually ``workspace_data_dir(ws) / "trust.json"``.
        workspace: the workspace root, recorded with each decision (informational).
    """

    def __init__(self, path: Path, workspace: Path | None = None) -> None:
        self.path = Path(path)
        self.workspace = str(Path(workspace).resolve()) if workspace else None

    @classmethod
    def for_workspace(cls, workspace: Path) -> TrustStore:
        """Return the store at ``workspace_data_dir(workspace)/trust.json``."""
        from workbench.core.paths import workspace_data_dir

        return cls(workspace_data_dir(workspace) / "trust.json", workspace)

    def _records(self) -> dict[str, Any]:
        section = read_json(self.path).get(_SECTION)
        return section if isinstance(section, dict) else {}

    def is_trusted(self, spec: PluginSpec) -> bool:
        """Return True for user-level specs and for workspace specs approved with this exact fingerprint."""
        if spec.source == "user":
            return True
        return spec_fingerprint(spec) in self._records()

    def trust(self, spec: PluginSpec) -> None:
        """Record the user's approval of ``spec`` (its current fingerprint)."""
        data = read_json(self.path)
        section = data.get(_SECTION) if isinstance(data.get(_SECTION), dict) else {}
        section[spec_fingerprint(spec)] = {
            "name": spec.name,
            "command_line": command_line(spec),
            "url": spec.url,
            "workspace": self.workspace,
            "trusted_at": time.time(),
        }
        data[_SECTION] = section
        write_json(self.path, data)

    def revoke(self, spec: PluginSpec) -> None:
        """Forget every approval recorded for a server named ``spec.name``."""
        data = read_json(self.path)
        section = data.get(_SECTION) if isinstance(data.get(_SECTION), dict) else {}
        data[_SECTION] = {fp: rec for fp, rec in section.items() if rec.get("name") != spec.name}
        write_json(self.path, data)
