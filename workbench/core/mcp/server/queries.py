"""What ``workbench mcp serve`` answers: specs, sessions, the journal, state recovery (blocking).

Plain functions over one workspace, without the ``mcp`` SDK, so they are testable on their own
and the server module stays a thin adapter. Each returns JSON-serialisable data (or text) and
raises typed errors (:class:`~workbench.core.specs.models.SpecError`,
:class:`~workbench.core.store.db.SessionNotFound`, ``ValueError``) whose messages name the fix.
They do blocking file and SQLite IO: call them from a worker thread.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workbench.core import event_payloads as P
from workbench.core.events import Event, EventKind

TEXT_LIMIT = 400

CHAT_KINDS: tuple[str, ...] = (EventKind.USER_MESSAGE, EventKind.ASSISTANT_MESSAGE, EventKind.TURN_ERROR)
"""The messages :func:`session_read` returns (``MESSAGE_KINDS`` also holds the tool-call and
checkpoint kinds the chat pane shows, which have no text of their own)."""
"""Characters of a message kept in journal entries (the full text is in ``session_read``)."""
WORKSPACE_SESSION = "workspace"
"""Pseudo-session of workspace-level events (plugins) in the event log."""


# -- specs -------------------------------------------------------------------------------------
def spec_list(workspace: Path) -> list[dict[str, Any]]:
    """List the specs: name, source, folder, each document's workflow state, task progress."""
    from workbench.core.specs.overview import spec_summaries

    return spec_summaries(workspace)


def spec_read(workspace: Path, name: str, doc: str) -> str:
    """Return the text of one document (``requirements``, ``design`` or ``tasks``) of spec ``name``.

    Raises:
        SpecNotFoundError: no such spec. ValueError: unknown document kind.
        FileNotFoundError: the spec has no such document yet.
    """
    from workbench.core.specs.discovery import find_spec

    path = find_spec(workspace, name).path(doc)
    if not path.is_file():
        raise FileNotFoundError(f"spec {name!r} has no {doc}.md yet ({path}); write it first")
    return path.read_text(encoding="utf-8", errors="replace")


def _select(workspace: Path, name: str | None) -> list[Any]:
    from workbench.core.specs.discovery import discover_specs, find_spec

    return [find_spec(workspace, name)] if name else discover_specs(workspace)


def spec_lint(workspace: Path, name: str | None = None) -> dict[str, Any]:
    """Parse and EARS-lint one spec (or all).

    Returns:
        ``{"specs": [{"name", "errors", "warnings", "problems": [{"file", "line", "severity",
        "code", "message"}]}], "errors": int, "warnings": int}``; each spec's problems errors first.
    """
    from workbench.core.specs.bundle import check_spec, load_spec
    from workbench.core.specs.codes import errors_first

    specs = []
    errors = warnings = 0
    for spec in _select(workspace, name):
        problems, _ = check_spec(load_spec(spec))
        own_errors = sum(p.severity == "error" for p in problems)
        errors += own_errors
        warnings += len(problems) - own_errors
        specs.append(
            {
                "name": spec.key,
                "errors": own_errors,
                "warnings": len(problems) - own_errors,
                "problems": [p.to_dict() for p in errors_first(problems)],
            }
        )
    return {"specs": specs, "errors": errors, "warnings": warnings}


def spec_trace(workspace: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Return each spec's ``TraceReport.to_dict()`` (both ways: criterion -> tasks/design, task -> criteria,
    design item -> criteria and tasks), plus ``name``."""
    from workbench.core.specs.bundle import check_spec, load_spec

    out = []
    for spec in _select(workspace, name):
        _, report = check_spec(load_spec(spec))
        out.append({"name": spec.key, **report.to_dict()})
    return out


def spec_set_task_state(workspace: Path, name: str, task_id: str, state: str) -> dict[str, Any]:
    """Set the checkbox of task ``task_id`` in spec ``name``'s ``tasks.md`` (one-line rewrite).

    Returns:
        ``{"spec", "task", "title", "state", "progress": {"done", "total"}}``.

    Raises:
        SpecNotFoundError, TaskNotFoundError, ValueError (unknown state), FileNotFoundError.
    """
    from workbench.core.specs.discovery import find_spec
    from workbench.core.specs.tasks import load_tasks, set_task_state

    spec = find_spec(workspace, name)
    path = spec.path("tasks")
    if not path.is_file():
        raise FileNotFoundError(f"spec {name!r} has no tasks.md ({path}); write the task list first")
    set_task_state(path, task_id, state)
    doc = load_tasks(path)
    task = doc.get(task_id)
    done, total = doc.progress()
    return {
        "spec": spec.key,
        "task": task_id,
        "title": task.title if task else "",
        "state": task.state if task else state,
        "progress": {"done": done, "total": total},
    }


# -- sessions and journal ----------------------------------------------------------------------
@contextmanager
def open_store(workspace: Path) -> Iterator[Any]:
    """Open the workspace's event log read/write for one query, and close it."""
    from workbench.core.runtime import event_log_path
    from workbench.core.store import EventStore

    store = EventStore(event_log_path(workspace))
    try:
        yield store
    finally:
        store.close()


def sessions_list(workspace: Path, limit: int = 50) -> list[dict[str, Any]]:
    """Return the workspace's sessions, most recently updated first (``SessionInfo.to_dict``)."""
    with open_store(workspace) as store:
        return [s.to_dict() for s in store.sessions(workspace)[:limit]]


def _message(e: Event, limit: int | None = None) -> dict[str, Any]:
    p = e.data  # UserMessage, AssistantMessage or TurnError (CHAT_KINDS)
    match p:
        case P.UserMessage():
            role, text = "user", p.text
        case P.AssistantMessage():
            role, text = "assistant", p.text
        case P.TurnError():
            role, text = "error", p.message
        case _:
            role, text = "error", ""
    text = str(text or "")
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"… [{len(text) - limit} more characters]"
    out = {"seq": e.seq, "ts": e.ts, "role": role, "text": text}
    if isinstance(p, P.AssistantMessage) and p.interrupted:
        out["interrupted"] = True
    return out


def session_read(workspace: Path, session_id: str, limit: int = 200) -> dict[str, Any]:
    """Return a session's conversation (the last ``limit`` messages: user, assistant, errors).

    Raises:
        SessionNotFound: no session with that id or unique prefix.
    """
    with open_store(workspace) as store:
        info = store.session(session_id)
        tail: deque[Event] = deque(maxlen=max(1, limit))
        for e in store.iter_events(info.id, kinds=CHAT_KINDS):
            tail.append(e)
        interrupted = store.interrupted_tail(info.id)
    messages = [_message(e) for e in tail]
    if interrupted is not None:
        messages.append(_message(interrupted))
    return {"session": info.to_dict(), "messages": messages}


def _summary(e: Event) -> str:
    if e.kind in CHAT_KINDS:
        return str(_message(e, TEXT_LIMIT)["text"])
    if e.kind.startswith("plugin."):
        p = e.data
        bits = [str(getattr(p, k)) for k in ("plugin", "new", "tool", "reason") if getattr(p, k, None) not in (None, "")]
        return " ".join(bits)
    text = ", ".join(f"{k}={v}" for k, v in e.payload.items() if isinstance(v, (str, int, float, bool)) and k != "turn_id")
    return text[:TEXT_LIMIT]


def journal_recent(workspace: Path, limit: int = 50, sessions: int = 5) -> list[dict[str, Any]]:
    """Return the latest events of the workspace, oldest first, each summarised in one line.

    Reads the ``sessions`` most recently updated sessions and the workspace pseudo-session
    (plugin events). Streaming deltas are left out (the finished message holds the text).

    Returns:
        ``[{"seq", "ts", "time", "session_id", "kind", "summary"}]``.
    """
    with open_store(workspace) as store:
        ids = [s.id for s in store.sessions(workspace)[:sessions]] + [WORKSPACE_SESSION]
        latest: list[Event] = []
        for sid in ids:
            tail: deque[Event] = deque(maxlen=limit)
            for e in store.iter_events(sid):
                if e.kind != EventKind.ASSISTANT_DELTA:
                    tail.append(e)
            latest.extend(tail)
    latest.sort(key=lambda e: e.seq)
    return [
        {
            "seq": e.seq,
            "ts": e.ts,
            "time": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.ts)),
            "session_id": e.session_id,
            "kind": e.kind,
            "summary": _summary(e),
        }
        for e in latest[-limit:]
    ]


def state_recovery(workspace: Path) -> str:
    """Return a short text: the latest session, its status, where it stopped and how to resume it."""
    with open_store(workspace) as store:
        sessions = store.sessions(workspace)
        if not sessions:
            return (
                f"No session in {workspace} yet. Start one with `workbench {workspace}` (TUI) or "
                f"`workbench run -p PROMPT {workspace}`."
            )
        s = sessions[0]
        messages = store.history_page(s.id, limit=2)
        interrupted = store.interrupted_tail(s.id)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.updated))
    status = {
        "open": "open (a Workbench process is using it now)",
        "crashed": "crashed (its process ended without closing it; the log holds everything written)",
        "closed": "closed cleanly",
        "new": "new (never opened)",
    }.get(s.status, s.status)
    lines = [
        f'Latest session: {s.id} "{s.title or "untitled"}"',
        f"Status: {status}; last activity {when}; {s.message_count} message(s); model {s.model or 'unknown'}.",
    ]
    for e in messages:
        m = _message(e, TEXT_LIMIT)
        lines.append(f"Last {m['role']} message: {m['text']}")
    if interrupted is not None:
        lines.append("The last reply was cut off (interrupted); resuming shows the partial text.")
    if len(sessions) > 1:
        lines.append(f"{len(sessions) - 1} older session(s): list them with the sessions_list tool.")
    lines.append(
        f"Resume it: `workbench resume {s.id} --path {workspace}` (or `workbench --continue {workspace}`);"
        f" continue headless: `workbench run --session {s.id} -p PROMPT {workspace}`."
    )
    return "\n".join(lines)
