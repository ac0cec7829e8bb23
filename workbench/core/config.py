"""Configuration: pydantic-settings models, sources and clear errors.

Sources, lowest to highest priority:

1. the user file ``<user config dir>/config.toml`` (:func:`workbench.core.paths.user_config_file`);
2. the workspace file ``<workspace>/.workbench/config.toml``, only the content the user trusted
   (:mod:`workbench.core.trust`; an untrusted file is ignored, a changed one applies as trusted);
3. ``WORKBENCH_...`` environment variables, ``__`` for nesting (``WORKBENCH_LLM__MODEL=...``);
4. command-line flags (``--model``, ``--base-url``, ``--provider``).

The standard ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` variables and each preset's key variable
(``DEEPSEEK_API_KEY`` ...) are honoured when the config does not set a key or URL (see
:meth:`LLMSettings.resolved`). Files are TOML (https://toml.io/en/v1.0.0). Any invalid file or value
raises :class:`ConfigError` naming the file (or variable), the key and what is allowed.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from workbench.core import paths
from workbench.core.checkpoints.settings import CheckpointSettings
from workbench.core.mcp.plugins.plugin_config import PluginsConfig
from workbench.core.sandbox.policy import SandboxSettings


class ConfigError(Exception):
    """Invalid configuration. ``str(exc)`` is the full message for the user (one problem per line)."""


@dataclass(frozen=True)
class Preset:
    """An OpenAI-compatible provider preset: default base URL, key variable and model."""

    base_url: str
    key_env: str
    model: str | None
    needs_key: bool = True


PRESETS: dict[str, Preset] = {
    "openai": Preset("https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4.1-mini"),
    "deepseek": Preset("https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "deepseek-chat"),
    "moonshot": Preset("https://api.moonshot.ai/v1", "MOONSHOT_API_KEY", "kimi-k2-turbo-preview"),
    "ollama": Preset("http://localhost:11434/v1", "OLLAMA_API_KEY", "llama3.1", needs_key=False),
    "vllm": Preset("http://localhost:8000/v1", "VLLM_API_KEY", None, needs_key=False),
}
"""Provider presets (base URLs from each provider's OpenAI-compatibility documentation)."""

ProviderName = Literal["openai", "deepseek", "moonshot", "ollama", "vllm"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, validate_assignment=True)


@dataclass(frozen=True)
class ResolvedLLM:
    """The endpoint actually used: base URL, model, key (may be None) and where each came from."""

    base_url: str
    model: str
    api_key: str | None
    provider: str | None
    key_source: str


class LLMSettings(_Section):
    """``[llm]``: the OpenAI-compatible endpoint."""

    provider: ProviderName | None = None
    """Preset for base URL, key variable and default model: openai, deepseek, moonshot, ollama, vllm."""
    base_url: str | None = None
    """Base URL of the OpenAI-compatible API (e.g. ``http://localhost:8000/v1``). Overrides the preset."""
    model: str | None = None
    """Model name sent to the API. Defaults to the preset's model."""
    api_key: SecretStr | None = None
    """API key. Prefer the provider's environment variable (e.g. ``OPENAI_API_KEY``)."""
    timeout: float = Field(default=60.0, gt=0)
    """Seconds to wait for the server (connect and between streamed chunks)."""
    max_retries: int = Field(default=2, ge=0, le=10)
    """Retries on 429/5xx/connection errors (the SDK honours ``Retry-After``)."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature; unset means the server's default."""
    label: str | None = None
    """Shown in the status bar instead of the model name (e.g. "scripted demo model")."""

    def resolved(self, environ: dict[str, str] | None = None, *, require_model: bool = True) -> ResolvedLLM:
        """Apply presets and the standard environment variables.

        Order for the base URL: ``base_url`` > preset > ``$OPENAI_BASE_URL`` > OpenAI's URL.
        Order for the key: ``api_key`` > the preset's key variable > ``$OPENAI_API_KEY``.

        With ``require_model=False`` an unknown model is returned as ``""`` instead of raising.

        Raises:
            ConfigError: no model can be determined (and ``require_model``).
        """
        env = os.environ if environ is None else environ
        preset = PRESETS.get(self.provider) if self.provider else None
        base_url = self.base_url or (preset.base_url if preset else None) or env.get("OPENAI_BASE_URL")
        base_url = base_url or PRESETS["openai"].base_url
        if self.api_key is not None:
            key, source = self.api_key.get_secret_value(), "config llm.api_key"
        elif preset and env.get(preset.key_env):
            key, source = env[preset.key_env], f"${preset.key_env}"
        elif env.get("OPENAI_API_KEY"):
            key, source = env["OPENAI_API_KEY"], "$OPENAI_API_KEY"
        else:
            key, source = None, "none"
        model = self.model or (preset.model if preset else None)
        if model is None and preset is None and base_url == PRESETS["openai"].base_url:
            model = PRESETS["openai"].model
        if not model and not require_model:
            model = ""
        elif not model:
            raise ConfigError(
                'llm.model: no model set. Set `model = "NAME"` under [llm] in .workbench/config.toml, '
                "WORKBENCH_LLM__MODEL, or pass --model NAME."
            )
        return ResolvedLLM(base_url.rstrip("/"), model, key, self.provider, source)


class UISettings(_Section):
    """``[ui]``: the terminal interface."""

    theme: str = "workbench-dark"
    """Theme name: one of the files in ``themes/`` (workbench-dark, workbench-light) or a Textual theme."""
    history_page: int = Field(default=40, ge=5, le=1000)
    """Messages shown when a session opens; older ones load on demand."""


class SpecsSettings(_Section):
    """``[specs]``: where spec documents live."""

    dir: Literal["auto", ".workbench/specs", ".kiro/specs"] = "auto"
    """Folder for new specs: ``auto`` uses ``.kiro/specs`` when the workspace has a ``.kiro`` folder (so Kiro sees them), else ``.workbench/specs``. Both folders are always read."""


class ChatSettings(_Section):
    """``[chat]``: how replies are streamed and stored."""

    delta_batch_ms: int = Field(default=75, ge=10, le=1000)
    """Streamed deltas are written to the event log and shown in batches of this many milliseconds."""
    system_prompt: str | None = None
    """Extra system prompt text added before the conversation."""


class AgentSettings(_Section):
    """``[agent]``: the tool-calling loop."""

    mode: Literal["ask", "auto-edit", "full-auto", "read-only"] = "ask"
    """Permission mode: ask (every write/command asks), auto-edit (file changes run, commands ask),
    full-auto (everything runs; commands only ever in the sandbox), read-only (no writes, no commands)."""
    max_steps: int = Field(default=25, ge=1, le=500)
    """Model calls per turn at most (each may request several tool calls)."""
    tool_timeout: float = Field(default=120.0, gt=0)
    """Seconds a single tool call may run before it is cancelled."""
    turn_budget: float = Field(default=1800.0, gt=0)
    """Wall-clock seconds a whole turn may take (model time included)."""
    compact_at: float = Field(default=0.8, gt=0.1, le=1.0)
    """Compact older turns when the prompt reaches this fraction of the model's context window."""
    keep_recent_turns: int = Field(default=4, ge=1, le=100)
    """Turns kept verbatim when older ones are summarised."""
    instructions_max_bytes: int = Field(default=65536, ge=0)
    """AGENTS.md / CLAUDE.md are added to the system prompt up to this size."""
    tool_budgets: dict[str, Annotated[int, Field(ge=64)]] = Field(default_factory=dict)
    """Tokens a tool result may take, by tool name, ``mcp`` (any MCP tool) or ``default``; e.g.
    ``{read_file = 8000, mcp = 2000}``. Unset keys keep the defaults (``workbench.core.agent.budgets``)."""


class PermissionSettings(_Section):
    """``[permissions]``: rules checked deny -> ask -> allow (deny always wins).

    A rule is ``TOOL`` or ``TOOL:PATTERN``; the pattern is a path glob (``**`` crosses ``/``) for
    file tools and a command prefix glob for ``run_command``. Example:
    ``allow = ["edit_file:src/**", "run_command:pytest*"]``, ``deny = ["write_file:**/*.pem"]``.
    """

    allow: list[str] = Field(default_factory=list)
    """Calls matching these run without asking (unless a deny or ask rule matches)."""
    ask: list[str] = Field(default_factory=list)
    """Calls matching these always ask."""
    deny: list[str] = Field(default_factory=list)
    """Calls matching these are refused; a bare tool name also hides the tool from the model."""

    @model_validator(mode="after")
    def _rules_parse(self) -> PermissionSettings:
        from workbench.core.tools.permissions import PermissionRuleError, PermissionRules

        try:
            PermissionRules.parse(self.allow, self.ask, self.deny, source="permissions")
        except PermissionRuleError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def rules(self) -> Any:
        """The parsed :class:`~workbench.core.tools.permissions.PermissionRules`."""
        from workbench.core.tools.permissions import PermissionRules

        return PermissionRules.parse(self.allow, self.ask, self.deny, source="permissions")


class ModelInfo(_Section):
    """``[models."NAME"]``: what Workbench knows about one model."""

    context_window: int = Field(default=128_000, ge=1024)
    """Tokens the model accepts (prompt + completion)."""
    input_price: float = Field(default=0.0, ge=0)
    """Price per million prompt tokens (any currency; shown as is)."""
    output_price: float = Field(default=0.0, ge=0)
    """Price per million completion tokens."""
    currency: str = "$"
    """Symbol shown before costs."""


class RedactSettings(_Section):
    """``[redact]``: secrets kept out of the event log (and so out of the journal, exports, screen)."""

    env: list[str] = Field(default_factory=list)
    """Names of environment variables whose values are redacted (API key variables are always)."""
    patterns: list[str] = Field(default_factory=list)
    """Extra regular expressions to redact."""


class WorkbenchConfig(_Section):
    """The whole configuration, as read from a TOML file."""

    llm: LLMSettings = Field(default_factory=LLMSettings)
    """The OpenAI-compatible endpoint."""
    ui: UISettings = Field(default_factory=UISettings)
    """The terminal interface."""
    chat: ChatSettings = Field(default_factory=ChatSettings)
    """Chat streaming."""
    agent: AgentSettings = Field(default_factory=AgentSettings)
    """The tool-calling loop."""
    permissions: PermissionSettings = Field(default_factory=PermissionSettings)
    """Allow / ask / deny rules for tool calls."""
    models: dict[str, ModelInfo] = Field(default_factory=dict)
    """Per-model context window and prices, keyed by model name."""
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    """The Docker sandbox."""
    checkpoints: CheckpointSettings = Field(default_factory=CheckpointSettings)
    """Workspace snapshots."""
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    """MCP servers (plugins)."""
    redact: RedactSettings = Field(default_factory=RedactSettings)
    """Secret redaction."""
    specs: SpecsSettings = Field(default_factory=SpecsSettings)
    """Spec documents."""


_FILE_LAYERS: ContextVar[list[dict[str, Any]]] = ContextVar("workbench_file_layers", default=[])  # noqa: B039 - never mutated: set() replaces it


class _DictSource(PydanticBaseSettingsSource):
    """A settings source returning a pre-loaded dict (one TOML file)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


class Settings(BaseSettings, WorkbenchConfig):
    """Effective settings: files, ``WORKBENCH_*`` environment and flags merged (see module doc)."""

    model_config = SettingsConfigDict(
        env_prefix="WORKBENCH_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
        validate_assignment=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        layers = [_DictSource(settings_cls, d) for d in reversed(_FILE_LAYERS.get())]
        return (init_settings, env_settings, *layers)


def _describe_errors(exc: ValidationError, where: str, model: type[BaseModel] = WorkbenchConfig) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            section: Any = model
            for part in err["loc"][:-1]:
                info = getattr(section, "model_fields", {}).get(str(part))
                section = info.annotation if info is not None else None
            allowed = ", ".join(sorted(getattr(section, "model_fields", {}))) or "none"
            lines.append(f"{where}: {loc}: unknown key. Allowed keys here: {allowed}.")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict) or "api_key" in loc else f" (got {got!r})"
            lines.append(f"{where}: {loc}: {err['msg']}{shown}.")
    return lines


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML config file; a missing file is an empty dict.

    Raises:
        ConfigError: the file is not valid TOML (the message names the file, line and column) or
            cannot be read.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_toml(data, path)


def parse_toml(data: bytes | None, path: Path) -> dict[str, Any]:
    """Parse TOML bytes read from ``path`` (None is an empty dict); errors as in :func:`read_toml`."""
    if data is None:
        return {}
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}. See https://toml.io for the syntax.") from exc


def config_files(workspace: Path) -> list[Path]:
    """Return the config files read for ``workspace``, lowest priority first.

    The workspace file applies only as far as the user trusted it (see :mod:`workbench.core.trust`).
    """
    return [paths.user_config_file(), paths.workspace_config_file(workspace)]


def _read_layer(workspace: Path, path: Path) -> dict[str, Any]:
    if path == paths.workspace_config_file(workspace):
        from workbench.core import trust

        data = parse_toml(trust.effective_bytes(workspace, trust.CONFIG), path)
        extra = _untrusted_redact_env(path)
        if extra:
            redact = data.setdefault("redact", {})
            if isinstance(redact, dict):
                env = redact.get("env")
                known = env if isinstance(env, list) else []
                redact["env"] = list(dict.fromkeys([*known, *extra]))
        return data
    return read_toml(path)


def _untrusted_redact_env(path: Path) -> list[str]:
    """Variable names in the workspace file's ``[redact] env``, read whether trusted or not.

    Naming a variable can only *add* masking, so it is safe before trust (SECURITY.md invariant 5
    must not wait for invariant 1). Only plain names are taken: ``[redact] patterns`` (regular
    expressions an attacker could make catastrophic) still wait for trust. A file that does not
    parse gives nothing here; the trusted layer reports its errors.
    """
    try:
        data = read_toml(path)
    except ConfigError:
        return []
    redact = data.get("redact")
    env = redact.get("env") if isinstance(redact, dict) else None
    if not isinstance(env, list):
        return []
    return [v for v in env if isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v)]


def load_settings(workspace: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Load the effective settings for ``workspace``.

    Args:
        workspace: the workspace root.
        overrides: nested dict from command-line flags (highest priority), e.g.
            ``{"llm": {"model": "x"}}``.

    Raises:
        ConfigError: any file or value is invalid; all problems found are listed.
    """
    layers: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in config_files(workspace):
        data = _read_layer(workspace, path)
        try:
            WorkbenchConfig.model_validate(data)
        except ValidationError as exc:
            problems += _describe_errors(exc, str(path))
        layers.append(data)
    if problems:
        raise ConfigError("\n".join(problems))
    token = _FILE_LAYERS.set(layers)
    try:
        return Settings(**(overrides or {}))
    except SettingsError as exc:  # e.g. WORKBENCH_LLM=abc: a whole table given as (bad) JSON
        match = re.search(r'field "([^"]+)"', str(exc))
        field = match.group(1) if match else "?"
        raise ConfigError(
            f"environment variable WORKBENCH_{field.upper()}: not a JSON object for the [{field}] table. "
            f"Set single keys instead, e.g. WORKBENCH_{field.upper()}__<KEY>=VALUE."
        ) from None
    except ValidationError as exc:
        lines = []
        for line in _describe_errors(exc, "environment/flags"):
            key = line.split(": ", 2)[1]
            env_name = "WORKBENCH_" + key.replace(".", "__").upper()
            where = f"environment variable {env_name}" if env_name in os.environ else "command-line flag"
            lines.append(line.replace("environment/flags", where, 1))
        raise ConfigError("\n".join(lines)) from exc
    finally:
        _FILE_LAYERS.reset(token)


def masked_dump(settings: WorkbenchConfig) -> dict[str, Any]:
    """Return the settings as a JSON-ready dict with secrets masked (``"********"``)."""
    data = settings.model_dump(mode="json")

    def walk(node: Any, model: Any) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            sub = getattr(model, key, None)
            if isinstance(sub, SecretStr):
                node[key] = "********" if sub.get_secret_value() else ""
            elif isinstance(sub, BaseModel):
                walk(value, sub)

    walk(data, settings)
    return data
