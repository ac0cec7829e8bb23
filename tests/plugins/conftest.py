"""Fixtures for the plugin tests: real MCP servers (tests/plugins/servers) over stdio."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.core.mcp.plugins import PluginEvent, PluginSettings, PluginSpec, PluginStateChanged

SERVERS = Path(__file__).parent / "servers"


@pytest.fixture(autouse=True)
def _workbench_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "wbhome"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    return home


def server_spec(
    name: str,
    script: str,
    *args: str,
    source: str = "user",
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    **settings: object,
) -> PluginSpec:
    """A spec running ``python tests/plugins/servers/<script> args`` (user-level unless told)."""
    base = {"init_timeout": 30.0, "auto_restart": False}
    return PluginSpec(
        name=name,
        command=sys.executable,
        args=(str(SERVERS / script), *args),
        env=env or {},
        cwd=cwd or str(SERVERS),
        source=source,  # type: ignore[arg-type]
        settings=PluginSettings.model_validate(base | settings),
        origin="test",
    )


class Recorder:
    """Collects supervisor events."""

    def __init__(self) -> None:
        self.events: list[PluginEvent] = []

    def __call__(self, event: PluginEvent) -> None:
        self.events.append(event)

    def states(self, plugin: str) -> list[str]:
        """The sequence of states ``plugin`` went through (starting with the first ``new``)."""
        return [e.new.value for e in self.events if isinstance(e, PluginStateChanged) and e.plugin == plugin]

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def pid_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (read from /proc, no psutil)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def group_pids(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid`` (a /proc scan)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if fields[0] not in "ZX" and int(fields[2]) == pgid:
                out.append(int(entry))
    return out


async def eventually(pred: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``pred`` every 50 ms until it is true or ``timeout`` seconds pass; return its last value."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        await asyncio.sleep(0.05)
    return pred()
