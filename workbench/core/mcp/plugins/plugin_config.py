"""Plugin configuration: the workspace's ``.mcp.json`` and the ``[plugins]`` config section.

``.mcp.json`` uses the format other MCP clients read (Claude Code, Cursor, VS Code)::

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."],
                  "env": {"DEBUG": "1", "TOKEN": "${MY_TOKEN}"}, "cwd": "."},
        "remote": {"type": "http", "url": "https://example.com/mcp", "headers": {"X-Key": "${KEY}"}},
        "legacy": {"type": "sse", "url": "http://127.0.0.1:8000/sse"}
    }}

``type`` is ``stdio`` (a ``command``), ``http`` (streamable HTTP, also spelled
``streamable-http``/``streamableHttp``) or ``sse`` (the older HTTP+SSE transport); unset, it is
inferred from ``command``/``url``. An entry of another type is skipped with a warning naming the
entry and the file; the other entries still load.

``${VAR}`` and ``${VAR:-default}`` in ``command``, ``args``, ``env``, ``url`` and ``headers`` are
replaced with host environment variables as Claude Code does (:mod:`workbench.core.mcp.plugins.expand`;
the explicit way to hand a host variable to a plugin, see :mod:`workbench.core.mcp.plugins.env`). A
missing variable without default, or an invalid entry, puts that one server in ERROR with the
message (it never starts); the others are unaffected. Unknown keys in a server entry are ignored
(other clients add their own, e.g. ``disabled``). Relative ``cwd`` values are resolved against the
workspace root.

The ``[plugins]`` TOML section (:class:`PluginsConfig`) holds user-level servers in the same
shape (``[plugins.servers.NAME]``), default settings (``[plugins.defaults]``) and per-plugin
overrides (``[plugins.settings.NAME]``), which apply to workspace servers too.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbench.core.mcp.plugins.errors import PluginConfigError

MCP_JSON = ".mcp.json"
"""File name of the workspace plugin list (at the workspace root)."""

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,48}$")
KNOWN_TYPES: tuple[str, ...] = ("stdio", "http", "streamable-http", "streamableHttp", "sse")
"""``type`` values of a server entry that Workbench runs; entries of other types are skipped."""
TEMPLATE_KEYS: tuple[str, ...] = ("type", "command", "args", "env", "cwd", "url", "headers")
"""Entry keys kept, unexpanded, in :attr:`PluginSpec.template` (what the trust fingerprint covers)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class PluginSettings(_Model):
    """How one plugin is supervised (``[plugins.defaults]`` or ``[plugins.settings.NAME]``)."""

    enabled: bool = True
    """Start this plugin with the others and offer its tools to the agent."""
    init_timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds allowed for the process to start and answer ``initialize`` and ``tools/list``."""
    call_timeout: float = Field(default=120.0, gt=0, le=3600)
    """Default seconds a single tool call may take before it returns an error result."""
    auto_restart: bool = True
    """Restart the plugin after a crash or a failed start, with exponential backoff."""
    max_restarts: int = Field(default=5, ge=0, le=100)
    """Consecutive automatic restarts before the plugin stays in ERROR."""
    restart_base_delay: float = Field(default=1.0, gt=0, le=600)
    """Seconds before the first automatic restart; doubled for each further one."""
    restart_max_delay: float = Field(default=60.0, gt=0, le=3600)
    """Upper bound of the restart delay in seconds."""
    allowed_tools: list[str] | None = None
    """Tool names (as the server names them) offered to the agent; unset means all tools."""


class PluginServerConfig(_Model):
    """One server entry: a ``command`` (stdio) or a ``url`` (streamable HTTP)."""

    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)

    type: Literal["stdio", "http", "streamable-http", "streamableHttp", "sse"] | None = None
    """Transport; inferred from ``command`` (stdio) or ``url`` (streamable HTTP) when unset."""
    command: str | None = None
    """Executable to run (looked up on the plugin's ``PATH``)."""
    args: list[str] = Field(default_factory=list)
    """Arguments passed to ``command``."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the process; ``${VAR}`` takes a host variable."""
    cwd: str | None = None
    """Working directory; relative to the workspace root; defaults to the workspace root."""
    url: str | None = None
    """Endpoint of a streamable-HTTP server (``https://host/mcp``) or an SSE server (``.../sse``)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """HTTP headers for ``url`` servers; ``${VAR}`` takes a host variable."""

    @model_validator(mode="after")
    def _one_transport(self) -> PluginServerConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("set exactly one of 'command' (a local process) or 'url' (an HTTP server)")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must start with http:// or https:// (got {self.url!r})")
        if self.type == "stdio" and not self.command:
            raise ValueError("type 'stdio' needs 'command' (a local process), not 'url'")
        if self.type not in (None, "stdio") and not self.url:
            raise ValueError(f"type {self.type!r} needs 'url' (an HTTP endpoint), not 'command'")
        return self

    @property
    def transport(self) -> Literal["stdio", "http", "sse"]:
        """The normalized transport: ``stdio``, ``http`` (streamable HTTP) or ``sse``."""
        if self.type == "sse":
            return "sse"
        return "http" if self.url else "stdio"


class PluginsConfig(_Model):
    """The ``[plugins]`` config section."""

    servers: dict[str, PluginServerConfig] = Field(default_factory=dict)
    """User-level servers (trusted by being in your config), same shape as ``.mcp.json``."""
    defaults: PluginSettings = Field(default_factory=PluginSettings)
    """Settings for every plugin unless overridden in ``settings``."""
    settings: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-plugin overrides of ``defaults`` keyed by server name (workspace or user servers)."""

    def settings_for(self, name: str, source: str = "[plugins]") -> PluginSettings:
        """Return ``defaults`` with the overrides for ``name`` applied.

        Raises:
            PluginConfigError: an override is not a valid :class:`PluginSettings` field.
        """
        override = self.settings.get(name)
        if not override:
            return self.defaults
        merged = self.defaults.model_dump() | dict(override)
        try:
            return PluginSettings.model_validate(merged)
        except ValidationError as exc:
            raise _from_validation(source, f"plugins.settings.{name}", exc) from None


@dataclass(frozen=True)
class PluginSpec:
    """Everything needed to start one plugin. Built by :func:`load_specs`.

    Attributes:
        name: server key (``[A-Za-z0-9_-]``, used in ``mcp__<name>__<tool>``).
        command: executable for stdio servers, None for HTTP servers.
        args: arguments for ``command``.
        env: extra environment (``${VAR}`` already expanded).
        cwd: absolute working directory, or None (HTTP servers).
        url: endpoint of a streamable-HTTP server, or None.
        source: ``"workspace"`` (``.mcp.json``, needs trust) or ``"user"`` (trusted by config).
        settings: supervision settings.
        headers: HTTP headers (``url`` servers only).
        origin: the file the entry came from, for messages.
        kind: ``"sse"`` for an SSE server; None infers ``stdio``/``http`` from ``command``/``url``.
        error: why this entry cannot run (invalid entry, missing ``${VAR}``); it is shown in
            ERROR and never started. None for a valid entry.
        template: the entry as written (``type``, ``command``, ``args``, ``env``, ``cwd``,
            ``url``, ``headers``, before ``${VAR}`` expansion); empty for specs built in code.
    """

    name: str
    command: str | None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    source: Literal["workspace", "user"] = "workspace"
    settings: PluginSettings = field(default_factory=PluginSettings)
    headers: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""
    kind: Literal["sse"] | None = None
    error: str | None = None
    template: Mapping[str, Any] = field(default_factory=dict)

    @property
    def transport(self) -> Literal["stdio", "http", "sse"]:
        """``"stdio"`` (a local process), ``"http"`` (streamable HTTP) or ``"sse"`` (HTTP+SSE)."""
        if self.kind == "sse":
            return "sse"
        return "http" if self.url else "stdio"


def expand_vars(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Expand ``${VAR}`` / ``${VAR:-default}`` in one string (see :mod:`.expand`); an unset
    variable without default becomes ``""`` here (entries use :func:`.expand.expand_entry`, which
    reports it instead)."""
    from workbench.core.mcp.plugins.expand import _REF, expand_string

    missing: list[str] = []
    out = expand_string(value, os.environ if environ is None else environ, missing)
    return _REF.sub(lambda m: "" if m.group(1) in missing else m.group(0), out) if missing else out


def _from_validation(source: Path | str, prefix: str, exc: ValidationError) -> PluginConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
    key = f"{prefix}.{loc}" if loc else prefix
    msg = err.get("msg", "invalid value").removeprefix("Value error, ")
    if err.get("type") == "missing":
        fix = f"add the '{loc}' key"
    else:
        fix = "correct the value (see the .mcp.json format: command, args, env, cwd or url)"
    return PluginConfigError(source, msg, fix, key=key)


def _check_name(source: Path | str, prefix: str, name: str) -> None:
    if not _NAME_RE.match(name):
        raise PluginConfigError(
            source,
            f"server name {name!r} may only contain letters, digits, '_' and '-' (at most 48)",
            "rename the server key",
            key=f"{prefix}.{name}",
        )


def read_mcp_json(path: Path, data: bytes | Literal[False] | None = False) -> dict[str, Any]:
    """Return the ``mcpServers`` object of a ``.mcp.json`` file as raw JSON (``{}`` if missing).

    Args:
        path: the file (named in errors).
        data: its content when already read (the trusted bytes, see :mod:`workbench.core.trust`;
            None: no trusted content, ``{}``); default: read ``path``.

    Raises:
        PluginConfigError: unreadable file, invalid JSON (with line and column), or no
            ``mcpServers`` object.
    """
    if data is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8") if data is False else data.decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise PluginConfigError(path, f"cannot read the file ({exc})", "make it a readable UTF-8 file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PluginConfigError(
            path,
            f"invalid JSON: {exc.msg}",
            "correct the JSON syntax at that position",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers", {}), dict):
        raise PluginConfigError(
            path,
            'expected an object with an "mcpServers" object',
            'use {"mcpServers": {"NAME": {"command": "...", "args": []}}}',
            key="mcpServers",
        )
    return dict(data.get("mcpServers", {}))


def _unknown_type(path: Path | str, prefix: str, name: str, entry: Any) -> str | None:
    """The warning for an entry whose ``type`` Workbench does not run, else None."""
    if isinstance(entry, dict) and "type" in entry and entry["type"] not in KNOWN_TYPES:
        return (
            f"{path}: {prefix}.{name}: unknown type {entry['type']!r} "
            f"(supported: stdio, http, sse); this server is skipped, the others still load"
        )
    return None


def _validate(path: Path | str, prefix: str, name: str, entry: Any) -> PluginServerConfig:
    if not isinstance(entry, dict):
        raise PluginConfigError(
            path,
            f"expected an object, got {type(entry).__name__}",
            'use {"command": "...", "args": [...]} or {"url": "https://..."}',
            key=f"{prefix}.{name}",
        )
    try:
        return PluginServerConfig.model_validate(entry)
    except ValidationError as exc:
        raise _from_validation(path, f"{prefix}.{name}", exc) from None


def parse_mcp_json(path: Path, warnings: list[str] | None = None) -> dict[str, PluginServerConfig]:
    """Parse a ``.mcp.json`` file strictly (``${VAR}`` not expanded).

    Args:
        path: the file; a missing file yields ``{}``.
        warnings: receives one message per skipped entry of an unknown ``type``.

    Returns:
        Server name -> entry, in file order (entries of unknown types left out).

    Raises:
        PluginConfigError: see :func:`read_mcp_json`, or an invalid entry (naming its key).
    """
    servers: dict[str, PluginServerConfig] = {}
    for name, entry in read_mcp_json(path).items():
        _check_name(path, "mcpServers", name)
        warning = _unknown_type(path, "mcpServers", name, entry)
        if warning:
            if warnings is not None:
                warnings.append(warning)
            continue
        servers[name] = _validate(path, "mcpServers", name, entry)
    return servers


def _template(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return {"invalid": repr(entry)}
    return {k: entry[k] for k in TEMPLATE_KEYS if k in entry}


def _to_spec(
    name: str,
    raw: Any,
    *,
    prefix: str,
    workspace: Path,
    source: Literal["workspace", "user"],
    settings: PluginSettings,
    origin: str,
    environ: Mapping[str, str] | None,
) -> PluginSpec:
    """Expand and validate one raw entry; an invalid one becomes a spec with ``error`` set."""
    from workbench.core.mcp.plugins.expand import MissingVariableError, expand_entry

    template = _template(raw)
    try:
        expanded = expand_entry(raw, environ) if isinstance(raw, dict) else raw
        entry = _validate(origin, prefix, name, expanded)
    except MissingVariableError as exc:
        error = str(
            PluginConfigError(
                origin,
                str(exc),
                "set the variable in the environment Workbench starts in, or write ${VAR:-default}",
                key=f"{prefix}.{name}",
            )
        )
        return PluginSpec(name, None, source=source, settings=settings, origin=origin, error=error, template=template)
    except PluginConfigError as exc:
        return PluginSpec(name, None, source=source, settings=settings, origin=origin, error=str(exc), template=template)
    cwd: str | None = None
    if entry.command:
        base = Path(entry.cwd).expanduser() if entry.cwd else workspace
        cwd = str((workspace / base).resolve() if not base.is_absolute() else base)
    return PluginSpec(
        name=name,
        command=entry.command,
        args=tuple(entry.args),
        env=dict(entry.env),
        cwd=cwd,
        url=entry.url,
        source=source,
        settings=settings,
        headers=dict(entry.headers),
        origin=origin,
        kind="sse" if entry.transport == "sse" else None,
        template=template,
    )


def load_specs(
    workspace: Path,
    plugins: PluginsConfig | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    warnings: list[str] | None = None,
) -> list[PluginSpec]:
    """Build the plugin list: user-level servers from ``[plugins]`` plus the workspace's ``.mcp.json``
    (only its trusted content: see :mod:`workbench.core.trust`).

    A workspace server with the same name as a user server replaces it (and then needs trust).
    One bad entry never hides the others: an entry of an unknown ``type`` (or with an invalid
    name) is skipped with a message in ``warnings``; an invalid entry or one with a missing
    ``${VAR}`` becomes a spec with :attr:`PluginSpec.error` set (shown in ERROR, never started).

    Args:
        workspace: the workspace root (holds ``.mcp.json``).
        plugins: the ``[plugins]`` section, or None for defaults.
        environ: host environment for ``${VAR}`` expansion (default ``os.environ``).
        warnings: receives the skipped-entry messages (each names the file and the entry).

    Returns:
        Specs sorted by name.

    Raises:
        PluginConfigError: ``.mcp.json`` is unreadable or not JSON / has no ``mcpServers``
            object (see :func:`read_mcp_json`), or a ``[plugins.settings]`` override is invalid.
    """
    plugins = plugins or PluginsConfig()
    workspace = Path(workspace).resolve()
    found: list[str] = [] if warnings is None else warnings
    specs: dict[str, PluginSpec] = {}
    for name, server in plugins.servers.items():
        _check_name("[plugins]", "plugins.servers", name)
        specs[name] = _to_spec(
            name,
            server.model_dump(exclude_defaults=True),
            prefix="plugins.servers",
            workspace=workspace,
            source="user",
            settings=plugins.settings_for(name),
            origin="[plugins] config",
            environ=environ,
        )
    mcp_json = workspace / MCP_JSON
    from workbench.core import trust

    for name, raw in read_mcp_json(mcp_json, trust.effective_bytes(workspace, trust.MCP_JSON)).items():
        if not _NAME_RE.match(name):
            found.append(
                f"{mcp_json}: mcpServers.{name}: server name {name!r} may only contain letters, "
                "digits, '_' and '-' (at most 48); this server is skipped"
            )
            continue
        warning = _unknown_type(mcp_json, "mcpServers", name, raw)
        if warning:
            found.append(warning)
            continue
        specs[name] = _to_spec(
            name,
            raw,
            prefix="mcpServers",
            workspace=workspace,
            source="workspace",
            settings=plugins.settings_for(name),
            origin=str(mcp_json),
            environ=environ,
        )
    if warnings is None:
        for message in found:
            logging.getLogger("workbench.core.mcp.plugins").warning("%s", message)
    return [specs[n] for n in sorted(specs)]
