"""Text of the Containers pane: table columns and cells, sizes, uptimes, and the engine message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.sandbox.containers import ContainerInfo, ContainerStats
    from workbench.core.sandbox.engine import EngineStatus
    from workbench.core.sandbox.reattach import StaleContainer

COLUMNS: list[tuple[str, str]] = [
    ("name", "Name"),
    ("image", "Image"),
    ("status", "Status"),
    ("uptime", "Uptime"),
    ("cpu", "CPU %"),
    ("memory", "Memory"),
    ("session", "Session"),
]
"""Table columns as ``(key, label)``; the keys are the DataTable column keys."""

STDERR_MARK = "▌ "
"""Prefix of a stderr line in the log view (the view colours such lines)."""
COMMAND_MARK = "$ "
"""Prefix of a command typed in the pane (``!``), written before its output."""

EMPTY_TEXT = (
    "No sandbox containers for this workspace yet.\n\n"
    "The agent's run_command creates one per session on first use; press ! to run a command "
    "yourself (it creates the current session's container)."
)


def human_bytes(n: int) -> str:
    """Format a byte count with binary units: ``512 B``, ``3.2 MiB``, ``1.0 GiB``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


def uptime(started: datetime | None, now: datetime | None = None) -> str:
    """Format the time since ``started`` as ``45s``, ``12m 03s``, ``3h 07m``, ``2d 04h``; ``-`` if not running."""
    if started is None:
        return "-"
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - started).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600:02d}h"


def row_cells(info: ContainerInfo, stats: ContainerStats | None, session_status: str) -> dict[str, str]:
    """Return the cells of one container's row, by column key.

    Args:
        info: the container.
        stats: its last stats sample (None: not sampled yet, or not running).
        session_status: its session's status in the event log (``open``, ``crashed``, ...).
    """
    running = info.running
    cpu = f"{stats.cpu_percent:.1f}" if running and stats is not None else "-"
    memory = "-"
    if running and stats is not None:
        memory = human_bytes(stats.memory_bytes)
        if stats.memory_limit_bytes:
            memory += f" / {human_bytes(stats.memory_limit_bytes)}"
    return {
        "name": info.name,
        "image": info.image,
        "status": info.status,
        "uptime": uptime(info.started_at) if running else "-",
        "cpu": cpu,
        "memory": memory,
        "session": f"{info.session[:12]} ({session_status})",
    }


def engine_message(status: EngineStatus) -> str:
    """The pane's text when no engine answers: the reason, the fix, and that chat keeps working."""
    return (
        "No Docker engine is reachable, so there is no sandbox.\n\n"
        f"Reason: {status.reason}\n\n"
        f"Fix: {status.fix}\n\n"
        "Chat keeps working; run_command tells the agent the sandbox is unavailable. "
        "This pane checks again every few seconds."
    )


def stale_message(stale: list[StaleContainer]) -> str:
    """One line offering to prune the containers of ended or crashed sessions ("" when none)."""
    if not stale:
        return ""
    names = ", ".join(f"{s.container.name} ({s.session_status})" for s in stale[:3])
    more = f" and {len(stale) - 3} more" if len(stale) > 3 else ""
    return f"{len(stale)} container(s) of ended sessions: {names}{more}. Press p to prune."
