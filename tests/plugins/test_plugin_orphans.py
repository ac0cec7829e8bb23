"""No plugin process survives its owner being SIGKILLed (pdeathsig), nor a restart (orphan reaping)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from workbench.core.mcp.plugins import PluginSupervisor

from .conftest import eventually, pid_alive, server_spec

OWNER = Path(__file__).with_name("owner_process.py")


async def test_plugins_die_with_a_killed_owner_and_leftovers_are_reaped(tmp_path: Path) -> None:
    log_dir = tmp_path / "plugins"
    owner = await asyncio.create_subprocess_exec(
        sys.executable,
        str(OWNER),
        str(log_dir),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ},
    )
    try:
        line = await asyncio.wait_for(owner.stdout.readline(), 120)
    except BaseException:
        owner.kill()
        raise
    pids = json.loads(line)
    assert pids["state"] == "active"
    assert all(pid_alive(p) for p in (pids["healthy"], pids["hang"], pids["grandchild"]))
    recorded = json.loads((log_dir / "pids.json").read_text())
    assert {str(pids["healthy"]), str(pids["hang"])} <= set(recorded)

    owner.send_signal(signal.SIGKILL)
    await owner.wait()
    # The plugins' main processes die with their owner, even the one ignoring SIGTERM and EOF.
    assert await eventually(lambda: not pid_alive(pids["healthy"]) and not pid_alive(pids["hang"]), 10)
    # What a plugin started itself outlives it (same process group, new parent) ...
    assert pid_alive(pids["grandchild"])
    # ... until the next supervisor using this data dir starts: it reaps the dead owner's groups.
    sup = PluginSupervisor([server_spec("healthy", "healthy.py")], log_dir=log_dir)
    killed = await sup.reap_orphans()
    assert pids["healthy"] in killed
    assert await eventually(lambda: not pid_alive(pids["grandchild"]), 5)
    assert json.loads((log_dir / "pids.json").read_text()) == {}


async def test_live_owners_groups_are_not_reaped(tmp_path: Path) -> None:
    async with PluginSupervisor([server_spec("healthy", "healthy.py")], log_dir=tmp_path) as first:
        handle = await first.start("healthy")
        other = PluginSupervisor([], log_dir=tmp_path)
        assert await other.reap_orphans() == []
        assert pid_alive(handle.pid)
    assert json.loads((tmp_path / "pids.json").read_text()) == {}
