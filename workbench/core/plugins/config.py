"""Plugin configuration: the workspace's ``.mcp.json`` and the ``[plugins]`` config section.

``.mcp.json`` uses the format other MCP clients read (Claude Code, Cursor, VS Code)::

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."],
                  "env": {"DEBUG": "1", "TOKEN": "${MY_TOKEN}"}, "cwd": "."},
        "remote": {"type": "http", "url": "https://example.com/mcp", "headers": {"X-Key": "${KEY}"}}
    }}

``${VAR}`` and ``${VAR:-default}`` in ``env`` and ``headers`` values are replaced with the host
environment variable (the explicit way to hand a host variable to a plugin, see
:mod:`workbench.core.plugins.env`). Unknown keys in a server entry are ignored (other clients add
their own, e.g. ``disabled``). Relative ``cwd`` values are resolved against the workspace root.

The ``[plugins]`` TOML section (:class:`PluginsConfig`) holds user-level servers in the same
shape (``[plugins.servers.NAME]``), default settings (``[plugins.defaults]``) and per-plugin
overrides (``[plugins.settings.NAME]``), which apply to workspace servers too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbench.core.plugins.errors import PluginConfigError

MCP_JSON = ".mcp.json"
"""File name of the workspace plugin list (at the workspace root)."""

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,48}$")
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


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

    type: Literal["stdio", "http", "streamable-http", "streamableHttp"] | None = None
    """Transport; inferred from ``command``/``url`` when unset. SSE is not supported."""
    command: str | None = None
    """Executable to run (looked up on the plugin's ``PATH``)."""
    args: list[str] = Field(default_factory=list)
    """Arguments passed to ``command``."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the process; ``${VAR}`` takes a host variable."""
    cwd: str | None = None
    """Working directory; relative to the workspace root; defaults to the workspace root."""
    url: str | None = None
    """Endpoint of a streamable-HTTP server (``https://host/mcp``)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """HTTP headers for ``url`` servers; ``${VAR}`` takes a host variable."""

    @model_validator(mode="after")
    def _one_transport(self) -> PluginServerConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("set exactly one of 'command' (a local process) or 'url' (an HTTP server)")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must start with http:// or https:// (got {self.url!r})")
        return self


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

    @property
    def transport(self) -> Literal["stdio", "http"]:
        """``"stdio"`` for a local process, ``"http"`` for a streamable-HTTP server."""
        return "http" if self.url else "stdio"


def expand_vars(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace ``${VAR}`` / ``${VAR:-default}`` with host environment values (missing -> default or "")."""
    env = os.environ if environ is None else environ

    def repl(match: re.Match[str]) -> str:
        found = env.get(match.group(1))
        return found if found else (match.group(2) or "")

    return _VAR_RE.sub(repl, value)


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


def parse_mcp_json(path: Path, data: bytes | None | Literal[False] = False) -> dict[str, PluginServerConfig]:
    """Parse a ``.mcp.json`` file.

    Args:
        path: the file; a missing file yields ``{}``.
        data: its content when already read (the trusted bytes, see :mod:`workbench.core.trust`;
            None: no trusted content, ``{}``); default: read ``path``.

    Returns:
        Server name -> entry, in file order.

    Raises:
        PluginConfigError: unreadable file, invalid JSON (with line and column), a missing
            ``mcpServers`` object, or an invalid entry (naming its key).
    """
    try:
        if data is None:
            return {}
        text = path.read_text(encoding="utf-8") if data is False else data.decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise PluginConfigError(path, f"cannot read the file ({exc})", "make it a readable UTF-8 file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PluginConfigError(
            path, f"invalid JSON: {exc.msg}", "correct the JSON syntax at that position",
            line=exc.lineno, column=exc.colno,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers", {}), dict):
        raise PluginConfigError(
            path, "expected an object with an \"mcpServers\" object",
            'use {"mcpServers": {"NAME": {"command": "...", "args": []}}}', key="mcpServers",
        )
    servers: dict[str, PluginServerConfig] = {}
    for name, entry in data.get("mcpServers", {}).items():
        _check_name(path, "mcpServers", name)
        if not isinstance(entry, dict):
            raise PluginConfigError(
                path, f"expected an object, got {type(entry).__name__}",
                'use {"command": "...", "args": [...]} or {"url": "https://..."}', key=f"mcpServers.{name}",
            )
        if entry.get("type") == "sse":
            raise PluginConfigError(
                path, "the SSE transport is not supported", "use a stdio command or a streamable-HTTP url",
                key=f"mcpServers.{name}.type",
            )
        try:
            servers[name] = PluginServerConfig.model_validate(entry)
        except ValidationError as exc:
            raise _from_validation(path, f"mcpServers.{name}", exc) from None
    return servers


def _to_spec(
    name: str,
    entry: PluginServerConfig,
    *,
    workspace: Path,
    source: Literal["workspace", "user"],
    settings: PluginSettings,
    origin: str,
    environ: Mapping[str, str] | None,
) -> PluginSpec:
    cwd: str | None = None
    if entry.command:
        base = Path(entry.cwd).expanduser() if entry.cwd else workspace
        cwd = str((workspace / base).resolve() if not base.is_absolute() else base)
    return PluginSpec(
        name=name,
        command=entry.command,
        args=tuple(entry.args),
        env={k: expand_vars(v, environ) for k, v in entry.env.items()},
        cwd=cwd,
        url=entry.url,
        source=source,
        settings=settings,
        headers={k: expand_vars(v, environ) for k, v in entry.headers.items()},
        origin=origin,
    )


def load_specs(
    workspace: Path,
    plugins: PluginsConfig | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> list[PluginSpec]:
    """Build the plugin list: user-level servers from ``[plugins]`` plus the workspace's ``.mcp.json``
    (only its trusted content: see :mod:`workbench.core.trust`).

    A workspace server with the same name as a user server replaces it (and then needs trust).

    Args:
        workspace: the workspace root (holds ``.mcp.json``).
        plugins: the ``[plugins]`` section, or None for defaults.
        environ: host environment for ``${VAR}`` expansion (default ``os.environ``).

    Returns:
        Specs sorted by name.

    Raises:
        PluginConfigError: see :func:`parse_mcp_json` and :meth:`PluginsConfig.settings_for`.
    """
    plugins = plugins or PluginsConfig()
    workspace = Path(workspace).resolve()
    specs: dict[str, PluginSpec] = {}
    for name, entry in plugins.servers.items():
        _check_name("[plugins]", "plugins.servers", name)
        specs[name] = _to_spec(
            name, entry, workspace=workspace, source="user",
            settings=plugins.settings_for(name), origin="[plugins] config", environ=environ,
        )
    mcp_json = workspace / MCP_JSON
    from workbench.core import trust

    for name, entry in parse_mcp_json(mcp_json, trust.effective_bytes(workspace, trust.MCP_JSON)).items():
        specs[name] = _to_spec(
            name, entry, workspace=workspace, source="workspace",
            settings=plugins.settings_for(name), origin=str(mcp_json), environ=environ,
        )
    return [specs[n] for n in sorted(specs)]
