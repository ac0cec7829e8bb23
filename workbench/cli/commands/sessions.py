"""``workbench sessions [--json]`` and ``workbench sessions show ID [--json]``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from workbench.core.events import EventKind
from workbench.core.paths import event_log_path
from workbench.core.store import EventStore, SessionNotFound


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def list_sessions(workspace: Path, *, as_json: bool) -> int:
    """Print the workspace's sessions (newest first); returns the exit code (0)."""
    store = EventStore(event_log_path(workspace))
    try:
        if store.recovery_message:
            print(f"workbench: {store.recovery_message}", file=sys.stderr)
        rows = store.sessions(workspace)
    finally:
        store.close()
    if as_json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
        return 0
    if not rows:
        print(f"No sessions yet in {workspace}. Start one with `workbench` or `workbench run -p PROMPT`.")
        return 0
    print(f"{'ID':<12}  {'CREATED':<16}  {'UPDATED':<16}  {'MSGS':>4}  {'STATUS':<7}  TITLE")
    for r in rows:
        print(
            f"{r.id:<12}  {_when(r.created):<16}  {_when(r.updated):<16}  {r.message_count:>4}  "
            f"{r.status:<7}  {r.title or '(untitled)'}"
        )
    return 0


def show_session(workspace: Path, session_id: str, *, as_json: bool) -> int:
    """Print one conversation; returns 0, or 2 when the id matches no session."""
    store = EventStore(event_log_path(workspace))
    try:
        if store.recovery_message:
            print(f"workbench: {store.recovery_message}", file=sys.stderr)
        try:
            info = store.session(session_id)
        except SessionNotFound as exc:
            print(f"workbench: {exc}", file=sys.stderr)
            return 2
        kinds = [EventKind.USER_MESSAGE, EventKind.ASSISTANT_MESSAGE, EventKind.TURN_ERROR, EventKind.TURN_CANCELLED,
                 EventKind.TOOL_CALL_REQUESTED, EventKind.TOOL_CALL_FINISHED, EventKind.TOOL_CALL_DENIED,
                 EventKind.TOOL_CALLS_SKIPPED, EventKind.PLAN_UPDATED]
        events = store.events(info.id, kinds=kinds)
        tail = store.interrupted_tail(info.id)
    finally:
        store.close()
    if tail is not None:
        events.append(tail)
    from workbench.core.tools.plan import latest_plan

    if as_json:
        print(
            json.dumps(
                {
                    "session": info.to_dict(),
                    "messages": [json.loads(e.to_json()) for e in events],
                    "plan": latest_plan(events),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(f"# {info.title or '(untitled)'}  [{info.id}]  {info.status}, {info.message_count} messages\n")
    for e in events:
        if e.kind == EventKind.USER_MESSAGE:
            print(f"## You\n\n{e.payload['text']}\n")
        elif e.kind == EventKind.ASSISTANT_MESSAGE:
            mark = " (interrupted)" if e.payload.get("interrupted") else ""
            print(f"## Assistant{mark}\n\n{e.payload.get('text', '')}\n")
        elif e.kind == EventKind.TURN_ERROR:
            print(f"> error: {e.payload['message']}\n")
        else:
            line = _tool_line(e) or _plan_lines(e)
            if line:
                print(line)
    return 0


def _tool_line(e) -> str:
    """One line per tool event of ``sessions show`` (request, result, denial, skip)."""
    p = e.payload
    if e.kind == EventKind.TOOL_CALL_REQUESTED:
        args = " ".join(str(p.get("arguments") or "").split())
        return f"- tool {p.get('name')} {args[:200]}" + ("…" if len(args) > 200 else "")
    if e.kind == EventKind.TOOL_CALL_FINISHED:
        if p.get("outcome") == "unknown":
            return f"  ⚠ {p.get('name')}: {p.get('summary') or 'outcome unknown'} (interrupted)\n"
        mark = "✔" if p.get("outcome") == "ok" else "✖"
        return f"  {mark} {p.get('name')}: {' '.join(str(p.get('summary') or p.get('outcome')).split())[:300]}\n"
    if e.kind == EventKind.TOOL_CALL_DENIED:
        return f"  ⊘ {p.get('name')} denied: {p.get('reason')}\n"
    if e.kind == EventKind.TOOL_CALLS_SKIPPED:
        return f"- skipped {len(p.get('call_ids') or [])} tool call(s): {p.get('reason')}\n"
    return ""


def _plan_lines(e) -> str:
    """The checklist of a ``plan.updated`` event for ``sessions show`` (empty for other kinds)."""
    if e.kind != EventKind.PLAN_UPDATED:
        return ""
    from workbench.core.tools.plan import checklist, progress

    items = e.payload.get("items") or []
    return "\n".join([f"- {progress(items) or 'plan cleared'}", *checklist(items, "  ")]) + "\n"
