"""``workbench run -p PROMPT``: one turn through the same services, printed to stdout.

Plain output streams the reply text as it is committed to the log; ``--json`` prints every event
as one JSON object per line (JSON Lines, https://jsonlines.org) and ends with a ``result`` event
(:func:`result_event`). Nobody can approve in a headless run: calls that would ask are denied
(:class:`workbench.core.agent.unattended.UnattendedApprover`) and listed on stderr at the end.
Ctrl-C (SIGINT) cancels the turn, keeps the partial reply in the log (marked interrupted) and
exits 130. Exit codes: 0 done, 1 model/API error (message on stderr), 2 bad usage or config,
3 the event log cannot be written (disk full, I/O error, read-only: one stderr line naming the log
and the fix; nothing is lost or set aside, and the session continues with ``--session ID`` once the
cause is fixed), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from workbench.core.config import ConfigError, Settings
from workbench.core.event_payloads import AssistantDelta, ProtectedChange, ToolCallDenied, ToolCallFinished
from workbench.core.events import Event, EventKind
from workbench.core.runtime import start_services
from workbench.core.sanitize import json_line_safe
from workbench.core.store import LogWriteError, SessionNotFound
from workbench.core.tasks import spawn

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT, as shells report it)."""
EXIT_LOG_WRITE = 3
"""Exit code when the event log cannot be written (see :class:`LogWriteError`)."""

_DISK_WORDS = (
    "No space left",
    "disk is full",
    "Read-only file system",
    "readonly database",
    "Input/output error",
    "disk I/O error",
    "Disk quota",
)


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


def result_event(
    session_id: str | None, outcome: Any, status: str, duration: float, denied: list, exit_code: int | None = None
) -> str:
    """The last ``--json`` line: ``{"seq": null, "ts", "session_id", "kind": "result", "payload"}``.

    ``payload`` holds the run's totals: ``{"status": "done"|"error"|"interrupted", "exit_code":
    int (what the process exits with, see the module doc), "error": str|None, "turns": int
    (prompts answered: 1, or 0 when the turn never started), "steps": int (model calls),
    "tool_calls": int (calls run or denied), "tokens_in": int, "tokens_out": int, "cost":
    float|None, "duration_s": float, "denied": [{"tool", "reason", "how", "rule"}]}``; tokens are
    the turn's prompt and completion tokens over all model calls, ``cost`` comes from
    ``[models."NAME"]`` prices (None when unknown). This is the one place the result is built.
    """
    usage = (outcome.usage if outcome is not None else None) or {}
    payload = {
        "status": status,
        "exit_code": exit_code,
        "error": outcome.error if outcome is not None else None,
        "turns": 1 if outcome is not None and outcome.turn_id else 0,
        "steps": outcome.steps if outcome is not None else 0,
        "tool_calls": outcome.tool_calls if outcome is not None else 0,
        "tokens_in": int(usage.get("prompt_tokens") or 0),
        "tokens_out": int(usage.get("completion_tokens") or 0),
        "cost": outcome.cost if outcome is not None else None,
        "duration_s": round(duration, 3),
        "denied": [d.to_dict() for d in denied],
    }
    return json.dumps(
        {"seq": None, "ts": time.time(), "session_id": session_id, "kind": "result", "payload": payload}, ensure_ascii=False
    )


async def run_prompt(
    workspace: Path,
    settings: Settings,
    prompt: str,
    *,
    session_id: str | None,
    as_json: bool,
    answers: dict[str, str] | None = None,
) -> int:
    """Send ``prompt`` and print the reply; return the exit code.

    Args:
        workspace: workspace root.
        settings: effective settings.
        prompt: the user's prompt.
        session_id: continue this session (id or unique prefix) instead of a new one.
        as_json: print JSON Lines events instead of the reply text.
        answers: ``ask_user`` answers (``--answer``/``--answers``, :class:`~workbench.core.tools.ask.PresetAnswers`);
            a question none matches is declined with "no one can answer in this run".
    """
    logger = logging.getLogger("workbench")
    handler = logging.StreamHandler(sys.stderr)
    disk = _DiskWarnings()
    handler.addFilter(disk)
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        code = await _run(workspace, settings, prompt, session_id=session_id, as_json=as_json, answers=answers)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    if code != EXIT_LOG_WRITE and disk.held:  # the journal's disk failed, the log did not: say it once
        print(disk.held[0].getMessage(), file=sys.stderr)
    return code


async def _run(
    workspace: Path,
    settings: Settings,
    prompt: str,
    *,
    session_id: str | None,
    as_json: bool,
    answers: dict[str, str] | None = None,
) -> int:
    from workbench.core.agent.unattended import UnattendedApprover, denied_summary

    started = time.monotonic()
    approver = UnattendedApprover()
    outcome = None
    try:
        services = await start_services(workspace, settings, approver=approver)
    except ConfigError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    except LogWriteError as exc:
        return _log_write_error(exc, session_id)
    from workbench.core.tools.ask import PresetAnswers, set_answerer

    preset = PresetAnswers(answers)
    set_answerer(services.chat.registry, preset)  # ask_user: --answer, else declined
    out = sys.stdout
    if services.store.recovery_message:
        print(f"workbench: {services.store.recovery_message}", file=sys.stderr)
    for notice in services.notices:  # recovered rewinds, disabled subsystems
        print(f"workbench: {notice}", file=sys.stderr)
    from workbench.core.mcp.plugins.service import start_plugins_for_run

    try:  # trusted MCP plugins start now (and stop with the services), so mcp__ tools work headless
        plugin_lines = await start_plugins_for_run(services)
    except BaseException:
        await services.aclose()
        raise
    for line in plugin_lines:
        print(f"workbench: {line}", file=sys.stderr)
    sub = services.bus.subscribe()
    printed_text = False

    async def printer() -> None:
        nonlocal printed_text
        async for event in sub:
            if not isinstance(event, Event):
                continue
            if event.kind == EventKind.PROTECTED_CHANGE:  # stderr in both modes: the user must see it
                guard = ProtectedChange.of(event)
                paths = ", ".join(c.get("path", "?") for c in guard.changes or [])
                print(f"\n⊘ {guard.name} changed protected paths ({paths}): {guard.action}", file=sys.stderr, flush=True)
            if as_json:  # lossless, but no raw control, bidi or zero-width character reaches a terminal
                out.write(json_line_safe(event.to_json()) + "\n")
                out.flush()
            elif event.kind == EventKind.ASSISTANT_DELTA and AssistantDelta.of(event).text:
                out.write(AssistantDelta.of(event).text)
                out.flush()
                printed_text = True
            elif event.kind == EventKind.TOOL_CALL_FINISHED:
                done = ToolCallFinished.of(event)
                mark = "✔" if done.outcome == "ok" else "✖"
                print(f"\n{mark} {done.name}: {done.summary}", file=sys.stderr, flush=True)
            elif event.kind == EventKind.TOOL_CALL_DENIED:
                denied = ToolCallDenied.of(event)
                print(f"\n⊘ {denied.name} denied: {denied.reason}", file=sys.stderr, flush=True)

    async def drain() -> None:
        await asyncio.sleep(0)
        while not sub.queue.empty():
            await asyncio.sleep(0.01)

    task = spawn(printer(), name="headless-printer")
    status = "done"
    write_error: LogWriteError | None = None
    try:
        if session_id:
            try:
                await services.chat.open(session_id)
            except SessionNotFound as exc:
                print(f"workbench: {exc}", file=sys.stderr)
                return 2
            from workbench.core.sandbox.reattach import reattach_on_resume

            reattached = await reattach_on_resume(services)
            if reattached.message:  # re-attached/started/recreated (orphans killed) or failed: say which
                print(f"workbench: {reattached.message}", file=sys.stderr)
        try:
            outcome = await services.chat.send(prompt)
            status = outcome.status
        except asyncio.CancelledError:  # Ctrl-C: the turn kept what arrived (marked interrupted)
            status = "interrupted"
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        await drain()
    except LogWriteError as exc:  # the turn stopped; everything committed before stays
        write_error, status = exc, "error"
    finally:
        sid = services.chat.session.id if services.chat.session else None
        try:
            await services.aclose()
        except LogWriteError as exc:  # closing the session could not be recorded either
            write_error, status = write_error or exc, "error"
        await drain()
        task.cancel()
        sub.close()
    if not as_json and printed_text:
        out.write("\n")
        out.flush()
    if write_error is not None:
        code = EXIT_LOG_WRITE
    elif status == "interrupted":
        code = EXIT_INTERRUPTED
    elif outcome is not None and outcome.status == "error":
        code = 1
    else:
        code = 0
    if as_json:
        if write_error is not None:
            from workbench.core.agent.turn import TurnOutcome

            outcome = TurnOutcome("", "error", "", f"{write_error}.")
        out.write(json_line_safe(result_event(sid, outcome, status, time.monotonic() - started, approver.denied, code)) + "\n")
        out.flush()
    from workbench.core.tools.ask import unanswered_summary

    summary = "\n".join(x for x in (denied_summary(approver.denied), unanswered_summary(preset)) if x)
    if summary:
        print(summary, file=sys.stderr)
    if write_error is not None:
        return _log_write_error(write_error, sid or session_id)
    if status == "interrupted":
        where = f" (partial reply kept in session {sid})" if sid else ""
        print(f"workbench: interrupted by Ctrl-C{where}", file=sys.stderr)
    elif code == 1 and outcome is not None:  # code 1 means the turn ended with an error
        print(f"workbench: {outcome.error}", file=sys.stderr)
    return code
