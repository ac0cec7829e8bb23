"""Events: the single source of truth of a session.

Every state change is an :class:`Event` appended to the SQLite event log (see
:mod:`workbench.core.store`) *before* anything reacts to it; the chat history, the journal and the
panes are projections of the log.

An event is ``(seq, session_id, kind, ts, payload)``: ``seq`` is the log's global, strictly
increasing sequence number (assigned on append), ``ts`` a Unix timestamp in seconds (float, UTC),
``payload`` a JSON-serialisable dict whose keys depend on ``kind`` (documented on
:class:`EventKind`).

Readers never index the payload dict: :attr:`Event.data` is the payload as a typed, frozen
dataclass (one per kind, in :mod:`workbench.core.event_payloads`; an unknown kind from a newer
version reads as :class:`~workbench.core.event_payloads.UnknownPayload`, extra fields are
ignored, missing ones take their defaults), built once per event and cached. ``Cls.of(event)``
returns it typed for the checker. The kind groups the projections use are defined here once
(:data:`MESSAGE_KINDS`, :data:`CONVERSATION_KINDS`, :data:`FORK_KINDS`, :data:`TOOL_KINDS`, ...).
The JSON on disk is unchanged: ``payload`` is still the dict that was appended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.core.event_payloads import Payload


class EventKind:
    """The event kinds and their payloads.

    Attributes are plain strings so they compare and serialise cheaply.
    """

    SESSION_CREATED = "session.created"
    """``{"workspace": str, "title": str|None, "parent_id": str|None, "fork_seq": int|None}``"""
    SESSION_OPENED = "session.opened"
    """``{"pid": int, "model": str}``: a process took the session (resume or new)."""
    SESSION_CLOSED = "session.closed"
    """``{}``: the owning process closed the session cleanly."""
    SESSION_TITLED = "session.titled"
    """``{"title": str}``"""
    USER_MESSAGE = "user.message"
    """``{"turn_id": str, "text": str}``"""
    ASSISTANT_DELTA = "assistant.delta"
    """``{"turn_id": str, "text": str, "reasoning": str}``: a batch of streamed deltas (~50-100 ms)."""
    ASSISTANT_MESSAGE = "assistant.message"
    """``{"turn_id": str, "text": str, "reasoning": str, "finish_reason": str|None,
    "interrupted": bool, "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}|None,
    "model": str, "request_id": str|None}``: the reply as it ended (complete or interrupted)."""
    TURN_ERROR = "turn.error"
    """``{"turn_id": str, "message": str, "error_kind": str, "request_id": str|None}``"""
    TURN_CANCELLED = "turn.cancelled"
    """``{"turn_id": str, "reason": str}``"""
    TURN_FINISHED = "turn.finished"
    """``{"turn_id": str, "status": "done"|"error"|"cancelled"|"interrupted", "steps": int, "cost": float|None}``;
    ``interrupted`` (with ``recovered: true``) is written on the first open after the process died
    mid-turn (see :mod:`workbench.core.store.interrupted`)."""
    TOOL_CALL_REQUESTED = "tool.requested"
    """``{"turn_id", "step": int, "call_id", "name", "arguments": str (raw JSON)}``: written before
    anything is decided or run."""
    TOOL_CALL_APPROVED = "tool.approved"
    """``{"call_id", "name", "by": "mode"|"rule"|"session-rule"|"user"|"user-always", "rule": str|None,
    "edited": bool}``"""
    TOOL_CALL_DENIED = "tool.denied"
    """``{"call_id", "name", "by": "mode"|"rule"|"user"|"headless"|"invalid", "reason": str}``"""
    TOOL_CALL_STARTED = "tool.started"
    """``{"call_id", "name"}``: the tool is about to run. A started call with no ``tool.finished``
    after a crash has an unknown outcome and is never re-run by itself."""
    TOOL_CALL_FINISHED = "tool.finished"
    """``{"call_id", "name", "content": str (what the model receives, escaped by
    :func:`workbench.core.sanitize.sanitize`), "raw_content": str (the tool's own text, only when
    escaping changed it), "summary": str, "is_error": bool, "duration_ms": float, "changed_paths": [str], "diff": str|None,
    "outcome": "ok"|"error"|"timeout"|"cancelled"|"unknown"}``; ``unknown`` (with ``state``
    "started"|"requested" and ``recovered: true``) is written on the first open after a crash for a
    call that never recorded a result."""
    TOOL_CALLS_SKIPPED = "tool.skipped"
    """``{"turn_id", "step", "call_ids": [str], "reason": str}``: calls from a reply that did not
    finish cleanly (cut, malformed, ``finish_reason`` "length"); never executed."""
    PLAN_UPDATED = "plan.updated"
    """``{"items": [{"text": str, "status": "pending"|"in_progress"|"done"}]}``: the agent's whole
    checklist after an ``update_plan`` call (:mod:`workbench.core.tools.plan`)."""
    PROTECTED_CHANGE = "guard.protected"
    """``{"call_id", "name", "action": "reverted"|"approved", "changes": [{"path", "change":
    "created"|"deleted"|"modified"}], "failed": [str], "diff": str}``: a tool call changed
    protected paths (``.git/``, ``.workbench/config.toml``, ``.mcp.json``, ...); unless the user
    approved it, it was reverted (:mod:`workbench.core.guard`)."""
    APPROVAL_REQUESTED = "approval.requested"
    """``{"call_id", "name", "arguments": dict, "reason": str, "protected": bool}``"""
    SANDBOX_CONTAINER = "sandbox.container"
    """``{"outcome": "attached"|"started"|"created"|"recreated", "container", "name", "image",
    "setup": [{"command", "exit_code"}]}``: the session's sandbox container, found or made."""
    CHECKPOINT_CREATED = "checkpoint.created"
    """``{"checkpoint": sha, "label", "turn_id": str|None, "event_seq": int, "files_changed":
    [[status, path]], "diffstat": [files, insertions, deletions], "skipped": [[path, reason]],
    "container_image": str|None}``: a snapshot of the whole workspace (shadow git commit)."""
    CHECKPOINT_RESTORED = "checkpoint.restored"
    """``{"checkpoint", "before_restore", "scope": "files"|"conversation"|"both",
    "new_session": str|None, "written": [str], "deleted": [str], "not_restored": [[path, reason]],
    "kept": [[path, reason]], "recovered": bool}``: ``not_restored`` names files the checkpoint could
    not store (size cap, unreadable), ``kept`` uncaptured files created after it (left in place);
    ``recovered`` marks a rewind cut by a crash and written down on the next start."""
    REWIND_STARTED = "rewind.started"
    """``{"checkpoint", "scope"}``: written before a rewind touches anything (a crash between this
    and ``checkpoint.restored`` is completed on the next start)."""
    MODE_CHANGED = "mode.changed"
    """``{"mode": "ask"|"auto-edit"|"full-auto"|"read-only"}``"""
    MODEL_CHANGED = "model.changed"
    """``{"model": str}``"""
    CONTEXT_COMPACTED = "context.compacted"
    """``{"summary": str, "up_to_seq": int, "tokens_before": int, "reason": "auto"|"manual"}``"""
    SPEC_DRAFTED = "spec.drafted"
    """``{"spec", "doc", "sha256", "previous_sha256", "revision": bool, "comments", "who", "ts",
    "commit", "chars": int}`` (see :mod:`workbench.core.specs.workflow_events`)."""
    SPEC_APPROVED = "spec.approved"
    """``{"spec", "doc", "sha256", "commit", "who", "ts"}``"""
    SPEC_CHANGES_REQUESTED = "spec.changes_requested"
    """``{"spec", "doc", "sha256", "commit", "who", "ts", "note", "comments"}``"""
    SPEC_TASK_STATE = "spec.task_state"
    """``{"spec", "task", "title", "state", "previous", "reason"}``"""
    PLUGIN_STATE = "plugin.state"
    """``{"plugin", "old", "new", "pid", "reason", "stderr_tail", "ts"}`` (see
    :mod:`workbench.core.mcp.plugins.service`)."""
    PLUGIN_TOOLS_CHANGED = "plugin.tools_changed"
    """``{"plugin", "tools", "pending", "ts"}``"""
    PLUGIN_CALL = "plugin.call"
    """``{"plugin", "tool", "qualified_name", "duration_s", "is_error", "error", "ts"}``"""
    PLUGIN_RESTART = "plugin.restart"
    """``{"plugin", "attempt", "max_restarts", "delay_s", "ts"}``"""


#: Kinds that make up the visible conversation (what the chat history pages through).
MESSAGE_KINDS: tuple[str, ...] = (
    EventKind.USER_MESSAGE,
    EventKind.ASSISTANT_MESSAGE,
    EventKind.TURN_ERROR,
    EventKind.TOOL_CALL_REQUESTED,
    EventKind.TOOL_CALL_APPROVED,
    EventKind.TOOL_CALL_DENIED,
    EventKind.TOOL_CALL_STARTED,
    EventKind.TOOL_CALL_FINISHED,
    EventKind.TOOL_CALLS_SKIPPED,
    EventKind.CONTEXT_COMPACTED,
    EventKind.CHECKPOINT_CREATED,
    EventKind.CHECKPOINT_RESTORED,
)

#: Kinds the model's view of the conversation is rebuilt from.
CONVERSATION_KINDS: tuple[str, ...] = (
    EventKind.USER_MESSAGE,
    EventKind.ASSISTANT_MESSAGE,
    EventKind.TOOL_CALL_REQUESTED,
    EventKind.TOOL_CALL_FINISHED,
    EventKind.TOOL_CALL_DENIED,
    EventKind.TOOL_CALLS_SKIPPED,
    EventKind.CONTEXT_COMPACTED,
)

#: Kinds copied into a forked session (the conversation and what explains it).
FORK_KINDS: tuple[str, ...] = (
    EventKind.USER_MESSAGE,
    EventKind.ASSISTANT_MESSAGE,
    EventKind.TURN_ERROR,
    EventKind.TURN_CANCELLED,
    EventKind.TURN_FINISHED,
    EventKind.TOOL_CALL_REQUESTED,
    EventKind.TOOL_CALL_APPROVED,
    EventKind.TOOL_CALL_DENIED,
    EventKind.TOOL_CALL_STARTED,
    EventKind.TOOL_CALL_FINISHED,
    EventKind.TOOL_CALLS_SKIPPED,
    EventKind.CONTEXT_COMPACTED,
    EventKind.CHECKPOINT_CREATED,
    EventKind.MODE_CHANGED,
    EventKind.MODEL_CHANGED,
)

#: Kinds of one tool call's life (the chat pane's tool views).
TOOL_KINDS: tuple[str, ...] = (
    EventKind.TOOL_CALL_REQUESTED,
    EventKind.APPROVAL_REQUESTED,
    EventKind.TOOL_CALL_APPROVED,
    EventKind.TOOL_CALL_STARTED,
    EventKind.TOOL_CALL_DENIED,
    EventKind.TOOL_CALL_FINISHED,
    EventKind.TOOL_CALLS_SKIPPED,
)

#: Kinds the journal leaves out (streamed deltas: the whole reply follows as ``assistant.message``).
JOURNAL_SKIPPED_KINDS: frozenset[str] = frozenset({EventKind.ASSISTANT_DELTA})

#: Kinds after which the journal's ``masterGuide.md`` is rebuilt (sessions changed, a turn ended,
#: files rewound); a ``tool.finished`` that changed files and every ``spec.*`` event also do.
GUIDE_TRIGGER_KINDS: frozenset[str] = frozenset(
    {
        EventKind.SESSION_CREATED,
        EventKind.SESSION_OPENED,
        EventKind.SESSION_CLOSED,
        EventKind.SESSION_TITLED,
        EventKind.TURN_FINISHED,
        EventKind.CHECKPOINT_RESTORED,
    }
)

#: Every spec workflow kind (written by :mod:`workbench.core.specs.workflow_events`).
SPEC_KINDS: tuple[str, ...] = (
    EventKind.SPEC_DRAFTED,
    EventKind.SPEC_APPROVED,
    EventKind.SPEC_CHANGES_REQUESTED,
    EventKind.SPEC_TASK_STATE,
)

#: Every plugin kind (written by :mod:`workbench.core.mcp.plugins.service`).
PLUGIN_KINDS: tuple[str, ...] = (
    EventKind.PLUGIN_STATE,
    EventKind.PLUGIN_TOOLS_CHANGED,
    EventKind.PLUGIN_CALL,
    EventKind.PLUGIN_RESTART,
)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event log.

    Attributes:
        kind: one of :class:`EventKind` (or a kind of a newer version: read as ``UnknownPayload``).
        session_id: the session the event belongs to.
        payload: JSON-serialisable details (shape per kind), exactly as appended. Write it; read
            :attr:`data` instead.
        seq: global sequence number; 0 until the store assigns it.
        ts: Unix time in seconds when appended; 0.0 until then.
    """

    kind: str
    session_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    ts: float = 0.0
    _data: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def data(self) -> Payload:
        """The payload as its kind's typed dataclass (built on first read, then cached).

        Unknown kinds give :class:`~workbench.core.event_payloads.UnknownPayload`; fields the
        class does not know are ignored and missing ones take their defaults, so logs written by
        older or newer versions read without errors. Use ``Cls.of(event)`` for a checked type.
        """
        data: Payload | None = self._data
        if data is None:
            from workbench.core.event_payloads import payload_of  # the payload classes need EventKind

            data = payload_of(self.kind, self.payload)
            object.__setattr__(self, "_data", data)
        return data

    def to_json(self) -> str:
        """Return the event as one line of JSON (``{"seq", "ts", "session_id", "kind", "payload"}``)."""
        return json.dumps(
            {
                "seq": self.seq,
                "ts": self.ts,
                "session_id": self.session_id,
                "kind": self.kind,
                "payload": self.payload,
            },
            ensure_ascii=False,
        )
