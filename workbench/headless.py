"""``workbench run -p PROMPT``: one turn through the same services, printed to stdout.

Plain output streams the reply text as it is committed to the log; ``--json`` prints every event
as one JSON object per line (JSON Lines, https://jsonlines.org). Exit codes: 0 done, 1 model/API
error (message on stderr), 2 bad usage or config, 3 the event log cannot be written (disk full,
I/O error, read-only: one stderr line naming the log and the fix; nothing is lost or set aside, and
the session continues with ``--session ID`` once the cause is fixed).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from workbench.core.config import ConfigError, Settings
from workbench.core.events import Event, EventKind
from workbench.core.runtime import start_services
from workbench.core.store import LogWriteError, SessionNotFound
from workbench.core.tasks import spawn

EXIT_LOG_WRITE = 3
"""Exit code when the event log cannot be written (see :class:`LogWriteError`)."""

_DISK_WORDS = ("No space left", "disk is full", "Read-only file system", "readonly database",
               "Input/output error", "disk I/O error", "Disk quota")


class _DiskWarnings(logging.Filter):
    """Holds back warnings caused by a failing disk: the log's own error says it once."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if any(word in record.getMessage() for word in _DISK_WORDS):
            self.held.append(record)
            return False
        return True


def _log_write_error(exc: LogWriteError, session_id: str | None) -> int:
    more = f" Continue with: workbench run --session {session_id} -p PROMPT." if session_id else ""
    print(f"workbench: {exc}.{more}", file=sys.stderr)
    return EXIT_LOG_WRITE


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
    logger = logging.getLogger("workbench")
    handler = logging.StreamHandler(sys.stderr)
    disk = _DiskWarnings()
    handler.addFilter(disk)
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        code, failed = await _run(workspace, settings, prompt, session_id=session_id, as_json=as_json)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    if not failed and disk.held:  # the journal's disk failed, the log did not: say it once
        print(disk.held[0].getMessage(), file=sys.stderr)
    return code


async def _run(
    workspace: Path, settings: Settings, prompt: str, *, session_id: str | None, as_json: bool
) -> tuple[int, bool]:
    """Returns ``(exit code, whether a LogWriteError was reported)``."""
    from workbench.core.agent.approvals import deny_headless

    outcome = None
    try:
        services = await start_services(workspace, settings, approver=deny_headless)
    except ConfigError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2, False
    except LogWriteError as exc:
        return _log_write_error(exc, session_id), True
    out = sys.stdout
    if services.store.recovery_message:
        print(f"workbench: {services.store.recovery_message}", file=sys.stderr)
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

    task = spawn(printer(), name="headless-printer")
    write_error: LogWriteError | None = None
    try:
        if session_id:
            try:
                await services.chat.open(session_id)
            except SessionNotFound as exc:
                print(f"workbench: {exc}", file=sys.stderr)
                return 2, False
            from workbench.core.sandbox.recovery import reattach_on_resume

            reattached = await reattach_on_resume(services)
            if reattached.outcome == "failed":
                print(f"workbench: {reattached.message}", file=sys.stderr)
        outcome = await services.chat.send(prompt)
        await asyncio.sleep(0)
        while not sub.queue.empty():
            await asyncio.sleep(0.01)
    except LogWriteError as exc:  # the turn stopped; everything committed before stays
        write_error = exc
    finally:
        session = services.chat.session
        try:
            await services.aclose()
        except LogWriteError as exc:  # closing the session could not be recorded either
            write_error = write_error or exc
        await asyncio.sleep(0)
        while not sub.queue.empty():
            await asyncio.sleep(0.01)
        task.cancel()
        sub.close()
    if not as_json and printed_text:
        out.write("\n")
        out.flush()
    if write_error is not None:
        return _log_write_error(write_error, session.id if session else session_id), True
    if outcome is not None and outcome.status == "error":
        print(f"workbench: {outcome.error}", file=sys.stderr)
        return 1, False
    return 0, False
