"""``workbench sessions [--json]`` and ``workbench sessions show ID [--json]``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from workbench.core import event_payloads as P
from workbench.core.events import Event, EventKind
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
        kinds = [
            EventKind.USER_MESSAGE,
            EventKind.ASSISTANT_MESSAGE,
            EventKind.TURN_ERROR,
            EventKind.TURN_CANCELLED,
            EventKind.TOOL_CALL_REQUESTED,
            EventKind.TOOL_CALL_FINISHED,
            EventKind.TOOL_CALL_DENIED,
            EventKind.TOOL_CALLS_SKIPPED,
            EventKind.PLAN_UPDATED,
        ]
        events = store.events(info.id, kinds=kinds)
        totals = session_totals(info, store.events(info.id, kinds=[EventKind.ASSISTANT_MESSAGE, EventKind.TURN_FINISHED]))
        tail = store.interrupted_tail(info.id)
    finally:
        store.close()
    if tail is not None:
        events.append(tail)
    from workbench.core.tools.plan import latest_plan

    if as_json:
        from workbench.core.sanitize import json_line_safe  # lossless; raw tool output cannot act on a terminal

        print(
            json_line_safe(
                json.dumps(
                    {
                        "session": {**info.to_dict(), **totals},
                        "messages": [json.loads(e.to_json()) for e in events],
                        "plan": latest_plan(events),
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
        )
        return 0
    cost = "" if totals["cost"] is None else f", cost ${totals['cost']:.4f}"
    print(
        f"# {info.title or '(untitled)'}  [{info.id}]  {info.status}, {info.message_count} messages, "
        f"{info.prompt_tokens} tokens in / {info.completion_tokens} out{cost}\n"
    )
    for e in events:
        if e.kind == EventKind.USER_MESSAGE:
            print(f"## You\n\n{P.UserMessage.of(e).text}\n")
        elif e.kind == EventKind.ASSISTANT_MESSAGE:
            reply = P.AssistantMessage.of(e)
            mark = " (interrupted)" if reply.interrupted else ""
            print(f"## Assistant{mark}\n\n{reply.text}\n")
        elif e.kind == EventKind.TURN_ERROR:
            print(f"> error: {P.TurnError.of(e).message}\n")
        else:
            line = _tool_line(e) or _plan_lines(e)
            if line:
                print(line)
    return 0


def session_totals(info, events) -> dict:  # noqa: ANN001 - SessionInfo, list[Event]
    """Totals of a session for ``sessions show``: ``{"tokens_in", "tokens_out", "cost", "turns"}``.

    Args:
        info: the session row (its token sums come from the API's ``usage`` of every reply).
        events: the session's ``assistant.message`` and ``turn.finished`` events.

    ``cost`` is the price recorded when each turn ran (``turn.finished`` ``cost``, which includes
    compaction calls; for a turn that never finished or whose end was recovered after a crash, the
    sum of its replies' ``cost``), in the currency of the ``[models."NAME"]`` prices; None when no price was ever known. ``turns``
    counts the prompts answered (turns with a ``turn.finished``).
    """
    finished: dict[str, float | None] = {}
    replies: dict[str, list[float]] = {}
    for e in events:
        if e.kind == EventKind.TURN_FINISHED:
            done = P.TurnFinished.of(e)
            finished[done.turn_id or f"seq{e.seq}"] = done.cost
        elif e.kind == EventKind.ASSISTANT_MESSAGE and P.AssistantMessage.of(e).cost is not None:
            reply = P.AssistantMessage.of(e)
            replies.setdefault(reply.turn_id or "", []).append(float(reply.cost))  # type: ignore[arg-type]
    costs = [c for c in finished.values() if c is not None]
    costs += [sum(v) for turn, v in replies.items() if finished.get(turn) is None]
    return {
        "tokens_in": info.prompt_tokens,
        "tokens_out": info.completion_tokens,
        "cost": round(sum(costs), 10) if costs else None,
        "turns": len(finished),
    }


def _tool_line(e: Event) -> str:
    """One line per tool event of ``sessions show`` (request, result, denial, skip)."""
    p = e.data  # the payload class of e.kind: each case narrows it to that class
    match p:
        case P.ToolCallRequested():
            args = " ".join(str(p.arguments or "").split())
            return f"- tool {p.name} {args[:200]}" + ("…" if len(args) > 200 else "")
        case P.ToolCallFinished():
            if p.outcome == "unknown":
                return f"  ⚠ {p.name}: {p.summary or 'outcome unknown'} (interrupted)\n"
            mark = "✔" if p.outcome == "ok" else "✖"
            return f"  {mark} {p.name}: {' '.join(str(p.summary or p.outcome).split())[:300]}\n"
        case P.ToolCallDenied():
            return f"  ⊘ {p.name} denied: {p.reason}\n"
        case P.ToolCallsSkipped():
            return f"- skipped {len(p.call_ids or [])} tool call(s): {p.reason}\n"
    return ""


def _plan_lines(e) -> str:
    """The checklist of a ``plan.updated`` event for ``sessions show`` (empty for other kinds)."""
    if e.kind != EventKind.PLAN_UPDATED:
        return ""
    from workbench.core.tools.plan import checklist, progress

    items = P.PlanUpdated.of(e).items or []
    return "\n".join([f"- {progress(items) or 'plan cleared'}", *checklist(items, "  ")]) + "\n"
