"""Plain data about containers (what the Containers pane shows) and how it is read from the SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .exec import CommandResult
from .policy import LABEL_SESSION, LABEL_WORKSPACE

EnsureOutcome = Literal["attached", "started", "created", "recreated"]
"""What :meth:`SandboxService.ensure` did: re-attached to a running container, started a stopped
one, created the session's first one, or created a new one because the previous one was gone."""


@dataclass(frozen=True)
class ContainerInfo:
    """One container of the workspace.

    Attributes:
        id: full container id.
        name: container name (without the leading ``/``).
        image: image name the container was created from.
        status: ``created``, ``running``, ``paused``, ``restarting``, ``exited``, ``dead``...
        started_at: when it last started (UTC), ``None`` if never.
        session: the ``workbench.session`` label.
        workspace: the ``workbench.workspace`` label.
    """

    id: str
    name: str
    image: str
    status: str
    started_at: datetime | None
    session: str
    workspace: str

    @property
    def running(self) -> bool:
        """Whether the container is running."""
        return self.status == "running"


@dataclass(frozen=True)
class SandboxInfo:
    """The result of :meth:`SandboxService.ensure`.

    Attributes:
        container: the session's container, running.
        outcome: what was done to get there (see :data:`EnsureOutcome`).
        setup: results of the ``[sandbox] setup`` commands run (only for a new container).
        orphans_killed: processes of earlier commands (a crashed session's) killed on re-attach;
            ``-1`` when the container had to be reset to end them.
        write_problem: why the sandbox user cannot write ``/workspace``, with the fix ("" = ok).
    """

    container: ContainerInfo
    outcome: EnsureOutcome
    setup: list[CommandResult] = field(default_factory=list)
    orphans_killed: int = 0
    write_problem: str = ""


@dataclass(frozen=True)
class ContainerStats:
    """One ``stats`` sample.

    Attributes:
        cpu_percent: CPU use in percent of one CPU (100.0 = one full CPU), over the last sample.
        memory_bytes: memory in use (page cache excluded), in bytes.
        memory_limit_bytes: the memory limit, in bytes.
        pids: number of processes.
    """

    cpu_percent: float
    memory_bytes: int
    memory_limit_bytes: int
    pids: int


def parse_time(value: str | None) -> datetime | None:
    """Parse the engine's RFC 3339 timestamps (nanoseconds allowed); ``None`` for the zero time."""
    if not value or value.startswith("0001-01-01"):
        return None
    text = value.rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    try:
        return datetime.fromisoformat(text + "+00:00")
    except ValueError:
        return None


def info_from_attrs(attrs: dict[str, Any]) -> ContainerInfo:
    """Build a :class:`ContainerInfo` from ``inspect`` data (``Container.attrs``)."""
    config = attrs.get("Config") or {}
    labels = config.get("Labels") or {}
    state = attrs.get("State") or {}
    return ContainerInfo(
        id=attrs["Id"],
        name=attrs.get("Name", "").lstrip("/"),
        image=config.get("Image", ""),
        status=state.get("Status", "unknown"),
        started_at=parse_time(state.get("StartedAt")) if state.get("Running") else None,
        session=labels.get(LABEL_SESSION, ""),
        workspace=labels.get(LABEL_WORKSPACE, ""),
    )


def stats_from_sample(sample: dict[str, Any]) -> ContainerStats:
    """Compute :class:`ContainerStats` from one ``GET /containers/{id}/stats?stream=false`` sample.

    CPU: ``(cpu_delta / system_delta) * online_cpus * 100`` as the Docker CLI does
    (https://docs.docker.com/reference/api/engine/version/v1.43/#tag/Container/operation/ContainerStats).
    Memory: ``usage`` minus page cache (``cache`` on cgroup v1, ``inactive_file`` on v2).
    """
    cpu = sample.get("cpu_stats") or {}
    pre = sample.get("precpu_stats") or {}
    cpu_delta = cpu.get("cpu_usage", {}).get("total_usage", 0) - pre.get("cpu_usage", {}).get("total_usage", 0)
    sys_delta = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    online = cpu.get("online_cpus") or len(cpu.get("cpu_usage", {}).get("percpu_usage") or []) or 1
    percent = (cpu_delta / sys_delta) * online * 100.0 if cpu_delta > 0 and sys_delta > 0 else 0.0
    mem = sample.get("memory_stats") or {}
    detail = mem.get("stats") or {}
    cache = detail.get("cache", detail.get("inactive_file", 0))
    usage = max(0, int(mem.get("usage", 0)) - int(cache))
    return ContainerStats(
        cpu_percent=round(percent, 2),
        memory_bytes=usage,
        memory_limit_bytes=int(mem.get("limit", 0)),
        pids=int((sample.get("pids_stats") or {}).get("current", 0)),
    )
