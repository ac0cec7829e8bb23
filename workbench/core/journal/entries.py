"""One-line journal entries: what an event means, in a few words, and which filter it belongs to.

The Journal pane and the MCP/CLI views show one line per event; this module turns an
:class:`~workbench.core.events.Event` into a :class:`JournalEntry` (categories for the pane's
filters, a short summary). Streamed deltas have no entry (the finished message holds the text).
Pure functions, no IO.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from workbench.core import event_payloads as P
from workbench.core.events import JOURNAL_SKIPPED_KINDS, Event, EventKind

CHAT = "chat"
TOOL = "tool"
COMMAND = "command"
CHECKPOINT = "checkpoint"
SPEC = "spec"
PLUGIN = "plugin"
ERROR = "error"

CATEGORIES: tuple[str, ...] = (CHAT, TOOL, COMMAND, CHECKPOINT, SPEC, PLUGIN, ERROR)
"""The filter categories, in the order of the pane's keys ``1``-``7``."""

CHECKPOINT_CREATED = EventKind.CHECKPOINT_CREATED
"""Alias of ``EventKind.CHECKPOINT_CREATED`` (payload: ``event_payloads.CheckpointCreated``)."""
CHECKPOINT_RESTORED = EventKind.CHECKPOINT_RESTORED
"""Alias of ``EventKind.CHECKPOINT_RESTORED`` (payload: ``event_payloads.CheckpointRestored``)."""

COMMAND_TOOL = "run_command"
"""The tool whose calls are shell commands (category ``command``, exit codes shown)."""

SKIPPED_KINDS = JOURNAL_SKIPPED_KINDS
"""Kinds with no journal entry (defined in :mod:`workbench.core.events`)."""

_EXIT_RE = re.compile(r"\bexit (-?\d+)")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One line of the journal.

    Attributes:
        seq: the event's sequence number.
        ts: Unix time in seconds.
        session_id: the event's session.
        kind: the event kind.
        categories: filter categories (see :data:`CATEGORIES`); an entry shows when any is enabled.
        summary: one line of text (no newlines, at most ~160 characters).
        turn_id: the turn the event belongs to, when the payload says.
        checkpoint: the checkpoint commit of a ``checkpoint.*`` event.
    """

    seq: int
    ts: float
    session_id: str
    kind: str
    categories: frozenset[str]
    summary: str
    turn_id: str | None = None
    checkpoint: str | None = None


def one_line(text: Any, limit: int = 160) -> str:
    """Collapse whitespace to single spaces and cut to ``limit`` characters (``…`` marks a cut)."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def parse_arguments(raw: Any) -> dict[str, Any] | None:
    """Return a tool call's arguments as a dict (None when they are not a JSON object)."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def arguments_brief(name: str, raw: Any, limit: int = 100) -> str:
    """A short view of a call's arguments: the command, the path, or ``key=value`` pairs."""
    args = parse_arguments(raw)
    if args is None:
        return one_line(raw, limit)
    if name == COMMAND_TOOL and "command" in args:
        return one_line(args["command"], limit)
    parts = []
    for key in ("path", "source", "destination", "pattern"):
        if key in args:
            parts.append(str(args[key]))
    if not parts:
        parts = [f"{k}={one_line(v, 40)}" for k, v in args.items()]
    return one_line(" ".join(parts), limit)


def exit_code(summary: str) -> int | None:
    """The exit code named in a ``run_command`` result summary (``"exit 0 in 1.20 s"``), if any."""
    match = _EXIT_RE.search(summary or "")
    return int(match.group(1)) if match else None


def _tool_cats(name: str | None, *extra: str) -> frozenset[str]:
    return frozenset({COMMAND if name == COMMAND_TOOL else TOOL, *extra})


def _money(cost: Any) -> str:
    return f"${float(cost):.4f}" if isinstance(cost, (int, float)) else ""


def _generic(p: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={one_line(v, 40)}" for k, v in p.items() if isinstance(v, (str, int, float, bool)) and k not in ("turn_id", "ts")
    )


def _category_of_unknown(kind: str) -> str:
    prefix = kind.split(".", 1)[0]
    return {"spec": SPEC, "plugin": PLUGIN, "checkpoint": CHECKPOINT, "sandbox": COMMAND, "tool": TOOL}.get(prefix, CHAT)


def entry_for(event: Event) -> JournalEntry | None:
    """Return the journal line of ``event`` (None for streamed deltas).

    Args:
        event: a stored event (its ``seq`` and ``ts`` are used as they are).
    """
    kind = event.kind
    if kind in SKIPPED_KINDS:
        return None
    p = event.data  # the payload class of ``kind``: each case narrows it to that class
    cats: frozenset[str] = frozenset({CHAT})
    checkpoint = None
    match p:
        case P.SessionCreated():
            text = "session created"
            if p.parent_id:
                text += f" (fork of {p.parent_id} at event {p.fork_seq})"
        case P.SessionOpened():
            text = f"session opened (model {p.model or '?'})"
        case P.SessionClosed():
            text = "session closed"
        case P.SessionTitled():
            text = f"title: {p.title}"
        case P.UserMessage():
            text = f"you: {p.text}"
        case P.AssistantMessage():
            text = ("reply (interrupted): " if p.interrupted else "reply: ") + str(p.text or "")
            if not (p.text or "").strip():
                text = "reply (interrupted, empty)" if p.interrupted else "reply (tool calls only)"
        case P.TurnError():
            cats = frozenset({CHAT, ERROR})
            text = f"error ({p.error_kind}): {p.message}"
        case P.TurnCancelled():
            text = f"turn cancelled: {p.reason}"
        case P.TurnFinished():
            status = p.status
            cats = frozenset({CHAT, ERROR}) if status == "error" else cats
            cost = _money(p.cost)
            text = f"turn {status}: {p.steps} step(s)" + (f", {cost}" if cost else "")
        case P.ToolCallRequested():
            cats = _tool_cats(p.name)
            prefix = "$ " if p.name == COMMAND_TOOL else f"{p.name} "
            text = prefix + arguments_brief(p.name or "", p.arguments)
        case P.ToolCallApproved():
            cats = _tool_cats(p.name)
            text = f"approved {p.name} (by {p.by})" + (" after an edit" if p.edited else "")
        case P.ToolCallDenied():
            cats = _tool_cats(p.name)
            text = f"denied {p.name} (by {p.by}): {p.reason}"
        case P.ToolCallStarted():
            cats = _tool_cats(p.name)
            text = f"running {p.name}"
        case P.ToolCallFinished():
            cats = _tool_cats(p.name, *((ERROR,) if p.is_error else ()))
            text = f"{p.name}: {p.summary or p.outcome}"
            changed = p.changed_paths or []
            if changed:
                text += f" [changed {', '.join(changed[:3])}{'…' if len(changed) > 3 else ''}]"
        case P.ToolCallsSkipped():
            cats = frozenset({TOOL})
            text = f"skipped {len(p.call_ids or [])} call(s): {p.reason}"
        case P.ApprovalRequested():
            cats = _tool_cats(p.name)
            text = f"approval asked for {p.name}: {p.reason}"
        case P.SandboxContainer():
            cats = frozenset({COMMAND})
            text = f"container {p.name} {p.outcome} ({p.image})"
            failed = [s for s in p.setup or [] if s.get("exit_code") not in (0, None)]
            if failed:
                cats = frozenset({COMMAND, ERROR})
                text += f"; setup failed: {failed[0].get('command')} (exit {failed[0].get('exit_code')})"
        case P.PlanUpdated():  # update_plan (workbench.core.tools.plan)
            from workbench.core.tools.plan import progress

            items = p.items or []
            now = next((i.get("text") for i in items if i.get("status") == "in_progress"), None)
            text = (progress(items) or "plan cleared") + (f": now {now}" if now else "")
        case P.ModeChanged():
            text = f"mode: {p.mode}"
        case P.ModelChanged():
            text = f"model: {p.model}"
        case P.ContextCompacted():
            text = f"context compacted ({p.reason}, {p.tokens_before} tokens before)"
        case P.CheckpointCreated():
            cats = frozenset({CHECKPOINT})
            checkpoint = p.checkpoint
            stat = p.diffstat or [0, 0, 0]
            label = f" {p.label}" if p.label else ""
            text = f"checkpoint {str(checkpoint or '')[:8]}{label}: {stat[0]} file(s) +{stat[1]} -{stat[2]}"
        case P.CheckpointRestored():
            cats = frozenset({CHECKPOINT})
            checkpoint = p.checkpoint
            text = f"restored {p.scope} to {str(checkpoint or '')[:8]}"
            if p.new_session:
                text += f" (new session {p.new_session})"
        case P.SpecDrafted():
            cats = frozenset({SPEC})
            text = f"spec {p.spec}: {p.doc} {'revised' if p.revision else 'drafted'} ({p.chars} chars)"
        case P.SpecApproved():
            cats = frozenset({SPEC})
            text = f"spec {p.spec}: {p.doc} approved by {p.who}"
        case P.SpecChangesRequested():
            cats = frozenset({SPEC})
            text = f"spec {p.spec}: changes requested on {p.doc} by {p.who}" + (f": {p.note}" if p.note else "")
        case P.SpecTaskState():
            cats = frozenset({SPEC})
            text = f"spec {p.spec}: task {p.task} {p.previous} → {p.state} ({p.title})"
        case _ if kind.startswith("spec."):  # a spec kind of a newer version
            cats = frozenset({SPEC})
            text = f"{kind}: {_generic(event.payload)}"
        case _ if kind.startswith("plugin."):  # the plugin kinds share one generic line
            cats = frozenset({PLUGIN})
            if getattr(p, "new", None) == "error" or getattr(p, "is_error", False):
                cats = frozenset({PLUGIN, ERROR})
            bits = [
                str(getattr(p, k)) for k in ("plugin", "new", "tool", "reason", "error") if getattr(p, k, None) not in (None, "")
            ]
            text = f"{kind.split('.', 1)[1]}: " + " ".join(bits)
        case _:
            cats = frozenset({_category_of_unknown(kind)})
            text = f"{kind}: {_generic(event.payload)}"
    return JournalEntry(
        event.seq, event.ts, event.session_id, kind, cats, one_line(text), getattr(p, "turn_id", None), checkpoint
    )


def recent_entries(store: Any, workspace: Any, *, limit: int = 500, sessions: int = 5) -> list[JournalEntry]:
    """Return the latest ``limit`` entries of the workspace, oldest first (blocking: store thread).

    Reads the ``sessions`` most recently updated sessions plus the workspace pseudo-session
    (plugin events), each from at most ``limit * 8`` sequence numbers before its last event, so the
    cost does not grow with the length of the log.

    Args:
        store: a :class:`~workbench.core.store.EventStore` (synchronous; call on its thread).
        workspace: the workspace root.
        limit: entries at most.
        sessions: how many recent sessions to read.
    """
    ids = [s.id for s in store.sessions(workspace)[:sessions]] + ["workspace"]
    out: list[JournalEntry] = []
    for sid in ids:
        last = store.last_seq(sid)
        tail: list[JournalEntry] = []
        for event in store.iter_events(sid, after_seq=max(0, last - limit * 8)):
            entry = entry_for(event)
            if entry is not None:
                tail.append(entry)
        out.extend(tail[-limit:])
    out.sort(key=lambda e: e.seq)
    return out[-limit:]
