"""Helper run as a separate process by test_plugin_orphans: owns a supervisor, then gets SIGKILLed.

Usage: ``python owner_process.py LOG_DIR``. Starts ``healthy`` (and has it spawn a grandchild)
plus a stubborn ``hang_init``; prints one JSON line with the pids, then waits to be killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workbench.core.mcp.plugins import PluginSettings, PluginSpec, PluginState, PluginSupervisor

SERVERS = Path(__file__).parent / "servers"


async def main() -> None:
    settings = PluginSettings(init_timeout=120, auto_restart=False)
    specs = [
        PluginSpec("healthy", sys.executable, (str(SERVERS / "healthy.py"),), cwd=str(SERVERS), source="user", settings=settings),
        PluginSpec(
            "hang",
            sys.executable,
            (str(SERVERS / "hang_init.py"), "--stubborn"),
            cwd=str(SERVERS),
            source="user",
            settings=settings,
        ),
    ]
    sup = PluginSupervisor(specs, log_dir=Path(sys.argv[1]))
    asyncio.create_task(sup.start_all())
    healthy = sup.handles["healthy"]
    await healthy.wait_for(PluginState.ACTIVE, PluginState.ERROR, timeout=100)
    while sup.handles["hang"].pid is None:
        await asyncio.sleep(0.05)
    child = int((await sup.call_tool("mcp__healthy__spawn_child", {})).text)
    print(
        json.dumps({"healthy": healthy.pid, "hang": sup.handles["hang"].pid, "grandchild": child, "state": healthy.state.value}),
        flush=True,
    )
    await asyncio.sleep(3600)


asyncio.run(main())
