"""The supervisor's per-plugin record: state, pid, counters, tools, last error, stderr."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.mcp.plugins.plugin_config import PluginSpec
from workbench.core.mcp.plugins.process import StderrCapture
from workbench.core.mcp.plugins.supervisor_events import PluginState
from workbench.core.mcp.plugins.tools import PluginTool

if TYPE_CHECKING:
    from workbench.core.mcp.plugins.plugin_trust import TrustStatus


@dataclass(frozen=True)
class PluginFailure:
    """Why a plugin is in ERROR: ``reason`` (one line) and the last lines of its stderr."""

    reason: str
    stderr_tail: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.stderr_tail:
            return self.reason
        return self.reason + "\nlast stderr lines:\n" + "\n".join(f"  {line}" for line in self.stderr_tail)


@dataclass
class PluginCounters:
    """Tool-call statistics since the supervisor started (they survive restarts)."""

    calls: int = 0
    errors: int = 0
    total_latency_s: float = 0.0

    @property
    def mean_latency_s(self) -> float:
        """Mean call duration in seconds (0 before the first call)."""
        return self.total_latency_s / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class RecentCall:
    """One finished call, for the Plugins pane (``ts`` epoch seconds)."""

    tool: str
    duration_s: float
    is_error: bool
    ts: float


class PluginHandle:
    """Live view of one plugin. Read its attributes; change it through the supervisor.

    Attributes:
        spec: the configuration it runs with.
        state: current :class:`PluginState`.
        pid: process id of the running stdio plugin (None when not running or HTTP).
        started_at: epoch seconds of the last successful activation, None if not active.
        last_error: why it last went to ERROR (None if never).
        tools: tools from the last ``tools/list``, including pending and disallowed ones.
        counters: calls, errors and latency.
        restarts: automatic restarts since the last manual start.
        restart_delays: the delay (s) chosen before each automatic restart, in order.
        recent_calls: the last 50 calls.
        stderr_log: file holding the full stderr of every run.
    """

    def __init__(self, spec: PluginSpec, stderr_log: Path) -> None:
        self.spec = spec
        self.state = PluginState.REGISTERED
        self.pid: int | None = None
        self.started_at: float | None = None
        self.last_error: PluginFailure | None = None
        self.tools: list[PluginTool] = []
        self.counters = PluginCounters()
        self.restarts = 0
        self.restart_delays: list[float] = []
        self.recent_calls: deque[RecentCall] = deque(maxlen=50)
        self.stderr_log = stderr_log
        self._capture: StderrCapture | None = None
        self._session: Any = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._failure: asyncio.Future[str] | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._init_scope: Any = None
        self._trust: tuple[PluginSpec, TrustStatus] | None = None  # (spec checked, its status)
        self._pinned_files: dict[str, str | None] = {}  # files the command line ran at the last start

    @property
    def name(self) -> str:
        """The plugin (server) name."""
        return self.spec.name

    @property
    def uptime_s(self) -> float:
        """Seconds since activation (0 when not ACTIVE)."""
        if self.state != PluginState.ACTIVE or self.started_at is None:
            return 0.0
        return max(0.0, time.time() - self.started_at)

    @property
    def running(self) -> bool:
        """True while its supervision task runs (starting, active, stopping, or waiting to restart)."""
        return self._task is not None and not self._task.done()

    def stderr_tail(self, n: int = 20) -> list[str]:
        """Return the last ``n`` lines of stderr of the current (or last) run."""
        return self._capture.tail(n) if self._capture else []

    def enabled_tools(self) -> list[PluginTool]:
        """Tools offered to the agent: approved and allowed, while the plugin is ACTIVE."""
        if self.state != PluginState.ACTIVE:
            return []
        return [t for t in self.tools if t.enabled]

    async def wait_for(self, *states: PluginState, timeout: float | None = None) -> PluginState:
        """Wait until the state is one of ``states``; return it.

        Raises:
            TimeoutError: not reached within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while self.state not in states:
                self._changed.clear()
                await self._changed.wait()
        return self.state
