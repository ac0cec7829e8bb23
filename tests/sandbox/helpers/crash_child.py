"""Child process of the recovery test: a real workbench core that runs ``sleep 30`` via the agent.

Usage: ``python crash_child.py WORKSPACE BASE_URL``. Prints the session id, then sends one prompt
in full-auto mode (the scripted server answers with a ``run_command`` tool call). The test kills
this process with SIGKILL while the command runs.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from workbench.core.config import load_settings
from workbench.core.runtime import start_services


async def main(workspace: Path, base_url: str) -> None:
    """Open a session, print its id, and send the prompt (never returns before the kill)."""
    overrides = {
        "llm": {
            "base_url": base_url,
            "model": "scripted-agent",
            "api_key": "sk-canary-crash-123456",
            "max_retries": 0,
            "timeout": 30,
        },
        "agent": {"mode": "full-auto"},
    }
    services = await start_services(workspace, load_settings(workspace, overrides))
    session = await services.chat.ensure_session()
    print(session.id, flush=True)
    await services.chat.send("run the slow command")
    print("turn ended (the test should have killed us)", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
