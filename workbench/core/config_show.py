"""Render the effective configuration as TOML for ``workbench config show`` (with tomlkit).

The output parses back with ``tomllib`` (TOML 1.0, https://toml.io/en/v1.0.0): keys that are not
bare keys (``"/tmp"``, ``"gpt-4.1"``) are quoted by tomlkit. TOML has no null, so an unset value
is shown as a comment line ``# key = (unset)`` (inside inline tables and arrays it is left out).
"""

from __future__ import annotations

from typing import Any


def _plain(value: Any) -> Any:
    """``value`` without ``None`` entries (for arrays and inline tables)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value if v is not None]
    return value


def render_toml(data: dict[str, Any]) -> str:
    """Return ``data`` (nested dicts of scalars/lists, ``None`` for unset) as a TOML document.

    A ``"files"`` entry (``[{"path", "exists", "trust"?}]``) becomes header comments naming the config
    files (and whether the workspace file is ignored for lack of trust); a ``"workspace_trust"``
    entry (``{"ignored": [...], "command": str}``) says what is ignored and how to trust it.
    """
    import tomlkit

    doc = tomlkit.document()
    data = dict(data)
    for f in data.pop("files", None) or []:
        state = "read" if f["exists"] else "not present"
        if f.get("trust") == "new":
            state = "IGNORED: not trusted"
        elif f.get("trust") == "changed":
            state = "changed since trusted: the trusted version applies"
        doc.add(tomlkit.comment(f"config file: {f['path']} ({state})"))
    trust = data.pop("workspace_trust", None) or {}
    if trust.get("ignored"):
        doc.add(tomlkit.comment(f"untrusted workspace files ignored: {', '.join(trust['ignored'])}"))
        doc.add(tomlkit.comment(f"review and trust them with `{trust['command']}`"))

    def fill(container: Any, node: dict[str, Any]) -> None:
        for key, value in node.items():
            if value is None:
                container.add(tomlkit.comment(f"{key} = (unset)"))
            elif not isinstance(value, dict):
                container.add(key, _plain(value))
        for key, value in node.items():
            if isinstance(value, dict):
                table = tomlkit.table(is_super_table=not any(not isinstance(v, dict) for v in value.values()) and bool(value))
                fill(table, value)
                container.add(key, table)

    fill(doc, data)
    return tomlkit.dumps(doc).strip() + "\n"
