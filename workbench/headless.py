"""``workbench run -p PROMPT``: one turn through the same services, printed to stdout.

Plain output streams the reply text as it is committed to the log; ``--json`` prints every event
as one JSON object per line (JSON Lines, https://jsonlines.org). Exit codes: 0 done, 1 model/API
error (message on stderr), 2 bad usage or config.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from workbench.core.config import ConfigError, Settings
from workbench.core.events import Event, EventKind
from workbench.core.runtime import start_services
from workbench.core.store import SessionNotFound


async def run_prompt(
    workspace: Path, settings: Settings, prompt: str, *, session_id: str | None, as_json: bool
) -> int:
    """Send ``prompt`` and print the reply; return the exit code.

    Args:
        workspace: workspace root.
        settings: effective settings.
        prompt: the user's prompt.
        session_id: continue this session (id or unique prefix) instead of a new one.
        as_json: print JSON Lines events instead of the reply text.
    """
    from workbench.core.agent.approvals import deny_headless

    outcome = None
    try:
        services = await start_services(workspace, settings, approver=deny_headless)
    except ConfigError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    if services.store.recovery_message:
        print(f"workbench: {services.store.recovery_message}", file=sys.stderr)
    for notice in services.notices:  # recovered rewinds, disabled subsystems
        print(f"workbench: {notice}", file=sys.stderr)
    sub = services.bus.subscribe()
    printed_text = False

    async def printer() -> None:
        nonlocal printed_text
        async for event in sub:
            if not isinstance(event, Event):
                continue
            if as_json:
                out.write(event.to_json() + "\n")
                out.flush()
            elif event.kind == EventKind.ASSISTANT_DELTA and event.payload.get("text"):
                out.write(event.payload["text"])
                out.flush()
                printed_text = True
            elif event.kind == EventKind.TOOL_CALL_FINISHED:
                p = event.payload
                mark = "✔" if p.get("outcome") == "ok" else "✖"
                print(f"\n{mark} {p.get('name')}: {p.get('summary')}", file=sys.stderr, flush=True)
            elif event.kind == EventKind.TOOL_CALL_DENIED:
                p = event.payload
                print(f"\n⊘ {p.get('name')} denied: {p.get('reason')}", file=sys.stderr, flush=True)

    task = asyncio.create_task(printer())
    try:
        if session_id:
            try:
                await services.chat.open(session_id)
            except SessionNotFound as exc:
                print(f"workbench: {exc}", file=sys.stderr)
                return 2
            from workbench.core.sandbox.recovery import reattach_on_resume

            reattached = await reattach_on_resume(services)
            if reattached.outcome == "failed":
                print(f"workbench: {reattached.message}", file=sys.stderr)
        outcome = await services.chat.send(prompt)
        await asyncio.sleep(0)
        while not sub.queue.empty():
            await asyncio.sleep(0.01)
    finally:
        await services.aclose()
        await asyncio.sleep(0)
        while not sub.queue.empty():
            await asyncio.sleep(0.01)
        task.cancel()
        sub.close()
    if not as_json and printed_text:
        out.write("\n")
        out.flush()
    if outcome is not None and outcome.status == "error":
        print(f"workbench: {outcome.error}", file=sys.stderr)
        return 1
    return 0
