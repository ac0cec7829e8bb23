"""Events the plugin supervisor reports (plain frozen dataclasses; no UI imports).

Each has ``kind`` (a stable string for the event log) and :meth:`PluginEvent.payload` (a
JSON-serialisable dict), so the app can append them to its log and bus as they are.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class PluginState(str, Enum):
    """Lifecycle: REGISTERED -> INITIALIZING -> ACTIVE -> STOPPING -> STOPPED; ERROR from any state."""

    REGISTERED = "registered"
    INITIALIZING = "initializing"
    ACTIVE = "active"
    STOPPING = "stopping"
    STOPPED = "stopped"
    ERROR = "error"


@dataclass(frozen=True)
class PluginEvent:
    """Base class: ``plugin`` is the server name, ``ts`` the wall-clock time (epoch seconds)."""

    plugin: str
    ts: float = field(default_factory=time.time, kw_only=True)
    kind = "plugin.event"

    def payload(self) -> dict[str, Any]:
        """Return the fields as a JSON-serialisable dict (enums as their values)."""
        data = asdict(self)
        return {k: (v.value if isinstance(v, Enum) else v) for k, v in data.items()}


@dataclass(frozen=True)
class PluginStateChanged(PluginEvent):
    """The plugin moved from ``old`` to ``new``. ``reason`` and ``stderr_tail`` are set for ERROR."""

    old: PluginState
    new: PluginState
    pid: int | None = None
    reason: str | None = None
    stderr_tail: list[str] = field(default_factory=list)
    kind = "plugin.state_changed"


@dataclass(frozen=True)
class PluginRestartScheduled(PluginEvent):
    """An automatic restart (``attempt`` of ``max_restarts``) will begin in ``delay_s`` seconds."""

    attempt: int
    max_restarts: int
    delay_s: float
    kind = "plugin.restart_scheduled"


@dataclass(frozen=True)
class PluginToolsChanged(PluginEvent):
    """The tool list was (re)loaded: ``tools`` offered, ``pending`` waiting for approval (name -> diff)."""

    tools: list[str]
    pending: dict[str, str] = field(default_factory=dict)
    kind = "plugin.tools_changed"


@dataclass(frozen=True)
class PluginToolCalled(PluginEvent):
    """One tool call finished (``is_error`` covers tool errors, timeouts and crashes)."""

    tool: str
    qualified_name: str
    duration_s: float
    is_error: bool
    error: str | None = None
    kind = "plugin.tool_called"


@dataclass(frozen=True)
class PluginStderr(PluginEvent):
    """New lines the plugin wrote to stderr (batched per read)."""

    lines: list[str]
    kind = "plugin.stderr"
