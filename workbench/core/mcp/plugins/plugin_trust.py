"""Trust for workspace plugins: nothing from ``.mcp.json`` runs before the user approves it.

A cloned repository can ship a ``.mcp.json`` that runs anything, and an agent can rewrite the
script a trusted server runs. The user approves what :func:`describe_for_approval` shows (the
exact command line, working directory, every environment variable and header with its value —
secret-looking values masked unless revealed — and the workspace files the command line runs,
with their hashes). :meth:`TrustStore.trust` records the fingerprint of those facts
(:mod:`workbench.core.mcp.plugins.fingerprint`: command, args, cwd, url, env and header keys *and
values*, the content hash of each named workspace file). Any change means "changed since
trusted" (:meth:`TrustStore.status` says what changed) and the plugin does not start until it
is trusted again; the supervisor checks this before every start and automatic restart.

Decisions live in ``workspace_data_dir(ws)/trust.json`` (outside the workspace, which agent
commands can write), one record per server name, updated under a file lock. Records written by
an older Workbench (fingerprint of the command line and env keys only) are reported as needing
trust again. User-level servers (``[plugins]`` in the user's own config) are trusted by being there.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench.core.jsonfile import load_json, update_json
from workbench.core.mcp.plugins.env import safe_keys
from workbench.core.mcp.plugins.fingerprint import describe_changes, facts_fingerprint, spec_facts
from workbench.core.mcp.plugins.plugin_config import PluginSpec
from workbench.core.mcp.plugins.sanitize import sanitize_text

_SECTION = "mcp_trust"
_LEGACY_SECTION = "mcp_servers"
_SECRET_KEY = re.compile(r"(?i)(token|secret|passw|pwd|api[_-]?key|apikey|auth|credential|private|cookie|session|_key$|^key$)")


def looks_secret(key: str, value: str) -> bool:
    """True when an env/header value should be masked: a secret-sounding key, a token shape
    (:data:`workbench.core.redact.PATTERNS`) or the value of a known API-key variable."""
    from workbench.core.redact import PATTERNS

    if not value:
        return False
    if _SECRET_KEY.search(key):
        return True
    if any(p.search(value) for _, p in PATTERNS):
        return True
    return value in {os.environ.get(n) for n in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN") if os.environ.get(n)}


def shown_value(key: str, value: str, *, reveal: bool) -> str:
    """Return ``value`` for display: sanitized, or ``<hidden: N characters>`` when secret-looking."""
    if not reveal and looks_secret(key, value):
        return f"<hidden: {len(value)} characters>"
    return sanitize_text(value, keep_newlines=False)


@dataclass(frozen=True)
class TrustStatus:
    """Whether a spec may run, and why not.

    Attributes:
        state: ``user`` (user config), ``trusted`` (this exact fingerprint), ``untrusted`` (never
            trusted), ``changed`` (trusted before, something changed) or ``legacy`` (trusted by an
            older Workbench whose trust did not cover env values and file contents).
        changes: for ``changed``/``legacy``, one line per difference.
    """

    state: Literal["user", "trusted", "untrusted", "changed", "legacy"]
    changes: list[str] = field(default_factory=list)

    @property
    def trusted(self) -> bool:
        """True when the plugin may start."""
        return self.state in ("user", "trusted")

    def summary(self) -> str:
        """One line: ``changed since trusted: file srv.py: content changed; ...`` (or the state)."""
        if self.state == "changed":
            return "changed since trusted: " + "; ".join(self.changes)
        if self.state == "legacy":
            return "needs trust again: " + "; ".join(self.changes)
        return self.state


def spec_fingerprint(spec: PluginSpec, workspace: Path | str | None = None) -> str:
    """Return the sha256 (hex) of what the user approves (see :mod:`.fingerprint`). Blocking."""
    return facts_fingerprint(spec_facts(spec, workspace))


def command_line(spec: PluginSpec) -> str:
    """Return the shell-quoted command line (``shlex.join``), control/invisible characters escaped."""
    if spec.command is None:
        return ""
    return sanitize_text(shlex.join([spec.command, *spec.args]), keep_newlines=False)


def _values(title: str, values: dict[str, str], template: Any, *, reveal: bool) -> list[str]:
    raw = template if isinstance(template, dict) else {}
    if not values:
        return [f"{title}: none"]
    lines = [f"{title}:"]
    for key in sorted(values):
        shown = shown_value(key, values[key], reveal=reveal)
        written = raw.get(key)
        origin = (
            f"   (from {sanitize_text(str(written), keep_newlines=False)})"
            if isinstance(written, str) and written != values[key]
            else ""
        )
        lines.append(f"  {sanitize_text(key, keep_newlines=False)}={shown}{origin}")
    return lines


def describe_for_approval(
    spec: PluginSpec, *, reveal: bool = False, workspace: Path | str | None = None, changes: list[str] | None = None
) -> str:
    """Return the text shown when asking the user to trust a plugin (never truncated). Blocking.

    Args:
        spec: the plugin.
        reveal: show secret-looking env/header values instead of ``<hidden: N characters>``.
        workspace: the workspace root (for the files the command line runs).
        changes: what changed since the last trust, listed first.

    Example::

        MCP server "files" from /ws/.mcp.json will run:
          python srv.py
        working directory: /ws
        environment from the config:
          UPLOAD_URL=https://example.com
          TOKEN=<hidden: 40 characters>   (from ${GH_TOKEN})
        workspace files it runs (content is part of the trust):
          srv.py  sha256:1f2e...
        environment keys copied from your environment: PATH, HOME, ...
    """
    origin = f" from {spec.origin}" if spec.origin else ""
    lines: list[str] = []
    if changes:
        lines += ["Changed since you trusted it:"] + [f"  {c}" for c in changes] + [""]
    template = spec.template or {}
    if spec.error:
        return "\n".join([*lines, f'MCP server "{sanitize_text(spec.name)}"{origin} is invalid: {spec.error}'])
    if spec.url:
        kind = "SSE" if spec.transport == "sse" else "streamable HTTP"
        lines.append(f'MCP server "{sanitize_text(spec.name)}"{origin} will connect to ({kind}):')
        lines.append(f"  {sanitize_text(spec.url, keep_newlines=False)}")
        lines += _values("HTTP headers", dict(spec.headers), template.get("headers"), reveal=reveal)
        return "\n".join(lines)
    lines.append(f'MCP server "{sanitize_text(spec.name)}"{origin} will run:')
    lines.append(f"  {command_line(spec)}")
    lines.append(f"working directory: {sanitize_text(spec.cwd or '', keep_newlines=False)}")
    lines += _values("environment from the config", dict(spec.env), template.get("env"), reveal=reveal)
    files = spec_facts(spec, workspace)["files"]
    if files:
        lines.append("workspace files it runs (their content is part of the trust):")
        for path, digest in files.items():
            lines.append(f"  {sanitize_text(path, keep_newlines=False)}  {(digest or 'missing')[:23]}")
    lines.append(f"environment keys copied from your environment: {', '.join(safe_keys())}")
    return "\n".join(lines)


class TrustStore:
    """Remembered trust decisions for one workspace, in a JSON file.

    File shape (other top-level keys are preserved)::

        {"mcp_trust": {"<server name>": {"fingerprint": str, "facts": {...}, "command_line": str,
                                         "url": str|null, "workspace": str, "trusted_at": float}}}

    ``facts`` hold env and header values only as sha256 digests. A legacy ``mcp_servers``
    section (fingerprint -> record) is read to say "trust again", never to allow a start.

    Args:
        path: the JSON file, usually ``workspace_data_dir(ws) / "trust.json"``.
        workspace: the workspace root (files named on command lines are resolved inside it).
    """

    def __init__(self, path: Path, workspace: Path | None = None) -> None:
        self.path = Path(path)
        self.workspace = str(Path(workspace).resolve()) if workspace else None

    @classmethod
    def for_workspace(cls, workspace: Path) -> TrustStore:
        """Return the store at ``workspace_data_dir(workspace)/trust.json``."""
        from workbench.core.paths import workspace_data_dir

        return cls(workspace_data_dir(workspace) / "trust.json", workspace)

    def _section(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        section = data.get(name)
        return section if isinstance(section, dict) else {}

    def status(self, spec: PluginSpec) -> TrustStatus:
        """Compare ``spec`` (and the files it runs, read now) with the recorded decision. Blocking."""
        if spec.source == "user":
            return TrustStatus("user")
        data = load_json(self.path, what="plugin trust records")
        record = self._section(data, _SECTION).get(spec.name)
        facts = spec_facts(spec, self.workspace)
        if isinstance(record, dict):
            if record.get("fingerprint") == facts_fingerprint(facts):
                return TrustStatus("trusted")
            current = {f"env:{k}": shown_value(k, v, reveal=False) for k, v in spec.env.items()}
            current |= {f"headers:{k}": shown_value(k, v, reveal=False) for k, v in spec.headers.items()}
            changes = describe_changes(record.get("facts") or {}, facts, current)
            return TrustStatus("changed", changes or ["the trusted record does not match"])
        legacy = self._section(data, _LEGACY_SECTION)
        if any(isinstance(r, dict) and r.get("name") == spec.name for r in legacy.values()):
            return TrustStatus(
                "legacy",
                [
                    "trusted with an older Workbench whose trust did not cover environment values and "
                    "the scripts it runs; review it and trust it again"
                ],
            )
        return TrustStatus("untrusted")

    def is_trusted(self, spec: PluginSpec) -> bool:
        """True for user-level specs and for workspace specs whose facts match their trust record."""
        return self.status(spec).trusted

    def trust(self, spec: PluginSpec) -> None:
        """Record the user's approval of ``spec`` as it is now (replaces an earlier one). Blocking."""
        facts = spec_facts(spec, self.workspace)
        record = {
            "fingerprint": facts_fingerprint(facts),
            "facts": facts,
            "command_line": command_line(spec),
            "url": spec.url,
            "workspace": self.workspace,
            "trusted_at": time.time(),
        }

        def change(data: dict[str, Any]) -> None:
            data[_SECTION] = self._section(data, _SECTION) | {spec.name: record}
            legacy = self._section(data, _LEGACY_SECTION)
            if legacy:
                data[_LEGACY_SECTION] = {fp: r for fp, r in legacy.items() if r.get("name") != spec.name}

        update_json(self.path, change, what="plugin trust records")

    def trusted_files(self) -> list[str]:
        """Workspace-relative paths of the files trusted servers run (from the records; no hashing).

        These are protected paths for every writer (issue 21: "every workspace file that a
        trusted MCP server's command line runs"); sorted, without duplicates.
        """
        files: set[str] = set()
        for record in self._section(load_json(self.path, what="plugin trust records"), _SECTION).values():
            facts = record.get("facts") if isinstance(record, dict) else None
            if isinstance(facts, dict) and isinstance(facts.get("files"), dict):
                files.update(str(k) for k in facts["files"])
        return sorted(files)

    def revoke(self, spec: PluginSpec | str) -> bool:
        """Forget the approval of a server (a spec or its name); True if there was one."""
        name = spec if isinstance(spec, str) else spec.name
        found = False

        def change(data: dict[str, Any]) -> None:
            nonlocal found
            section = self._section(data, _SECTION)
            legacy = self._section(data, _LEGACY_SECTION)
            found = name in section or any(r.get("name") == name for r in legacy.values())
            section.pop(name, None)
            data[_SECTION] = section
            if legacy:
                data[_LEGACY_SECTION] = {fp: r for fp, r in legacy.items() if r.get("name") != name}

        update_json(self.path, change, what="plugin trust records")
        return found
