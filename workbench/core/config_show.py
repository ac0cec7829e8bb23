"""Render the effective configuration as TOML-like text for ``workbench config show``."""

from __future__ import annotations

import json
from typing import Any


def _value(v: Any) -> str:
    if v is None:
        return "# (unset)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v, ensure_ascii=False)


def render_toml(data: dict[str, Any]) -> str:
    """Return ``data`` (nested dicts of scalars/lists) as TOML tables; None shows as ``# (unset)``."""
    lines: list[str] = []

    def table(prefix: str, node: dict[str, Any]) -> None:
        scalars = {k: v for k, v in node.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in node.items() if isinstance(v, dict)}
        if prefix and scalars:
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            if v is None:
                lines.append(f"# {k} = (unset)")
            else:
                lines.append(f"{k} = {_value(v)}")
        if prefix and scalars:
            lines.append("")
        for k, v in tables.items():
            table(f"{prefix}.{k}" if prefix else k, v)

    files = data.pop("files", None)
    trust = data.pop("workspace_trust", None)
    if files:
        for f in files:
            state = "read" if f["exists"] else "not present"
            if f.get("trust") == "new":
                state = "IGNORED: not trusted"
            elif f.get("trust") == "changed":
                state = "changed since trusted: the trusted version applies"
            lines.append(f"# config file: {f['path']} ({state})")
        lines.append("")
    if trust and trust.get("ignored"):
        lines.append(f"# untrusted workspace files ignored: {', '.join(trust['ignored'])}")
        lines.append(f"# review and trust them with `{trust['command']}`")
        lines.append("")
    table("", data)
    return "\n".join(lines).rstrip() + "\n"
