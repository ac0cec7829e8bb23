"""``stateRecovery.md``: where the work stands, for a person or an agent picking it up.

A :class:`RecoveryTracker` folds events into a small state (persisted between updates, so an update
reads only the new events): the active session and its last prompt, the last checkpoint, the
sandbox containers, approvals asked and not answered, and tool calls with no result (computed
with :func:`workbench.core.agent.context.unfinished_calls` over the calls still open plus the new
events). :func:`render_state_recovery` turns it into Markdown with the exact resume command.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core import event_payloads as P
from workbench.core.agent.context import unfinished_calls
from workbench.core.event_payloads import ToolCallRequested
from workbench.core.events import TOOL_KINDS, Event, EventKind
from workbench.core.journal.entries import CHECKPOINT_RESTORED, arguments_brief, one_line

WORKSPACE_SESSION = "workspace"
"""Pseudo-session of workspace-level events (plugins)."""


@dataclass
class RecoveryTracker:
    """The state behind ``stateRecovery.md`` (JSON-ready; see :meth:`to_dict`).

    Attributes:
        active: the session with the latest event (not the workspace pseudo-session).
        sessions: ``{id: {"prompt", "turn_id", "turn_open", "last_seq", "last_ts"}}``.
        open_calls: ``{call_id: {"session", "name", "state", "seq", "args"}}``: no result yet.
        approvals: ``{call_id: {"session", "name", "reason", "seq"}}``: asked, not answered.
        checkpoint: the latest ``checkpoint.created`` / ``checkpoint.restored`` payload plus
            ``session``, ``seq``, ``ts``, ``event``.
        containers: ``{session id: sandbox.container payload + seq}``.
    """

    active: str | None = None
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkpoint: dict[str, Any] | None = None
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        return {
            "active": self.active,
            "sessions": self.sessions,
            "open_calls": self.open_calls,
            "approvals": self.approvals,
            "checkpoint": self.checkpoint,
            "containers": self.containers,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecoveryTracker:
        """Rebuild a tracker saved with :meth:`to_dict`."""
        return cls(
            data.get("active"),
            dict(data.get("sessions") or {}),
            dict(data.get("open_calls") or {}),
            dict(data.get("approvals") or {}),
            data.get("checkpoint"),
            dict(data.get("containers") or {}),
        )

    def feed(self, events: Iterable[Event]) -> None:
        """Fold new events (in seq order) into the state."""
        by_session: dict[str, list[Event]] = {}
        for e in events:
            by_session.setdefault(e.session_id, []).append(e)
            self._fold(e)
        for sid, evs in by_session.items():
            self._update_calls(sid, evs)

    def _fold(self, e: Event) -> None:
        p = e.data  # the payload class of e.kind: each isinstance/case narrows it to that class
        if e.session_id != WORKSPACE_SESSION:
            self.active = e.session_id
            info = self.sessions.setdefault(e.session_id, {"prompt": None, "turn_id": None, "turn_open": False})
            info["last_seq"], info["last_ts"] = e.seq, e.ts
            if isinstance(p, P.UserMessage):
                info.update(prompt=p.text, turn_id=p.turn_id, turn_open=True)
            elif isinstance(p, P.TurnFinished):
                info.update(turn_open=False, turn_status=p.status)
        match p:
            case P.ApprovalRequested() if p.call_id is not None:  # (a call id is always written)
                self.approvals[p.call_id] = {"session": e.session_id, "name": p.name, "reason": p.reason, "seq": e.seq}
            case P.ToolCallApproved() | P.ToolCallDenied() | P.ToolCallFinished() if p.call_id is not None:
                self.approvals.pop(p.call_id, None)
            case P.ToolCallsSkipped():
                for cid in p.call_ids or []:
                    self.approvals.pop(cid, None)
            case P.TurnFinished():  # a finished turn answers nothing any more
                for cid in [c for c, a in self.approvals.items() if a["session"] == e.session_id]:
                    self.approvals.pop(cid)
            case P.CheckpointCreated() | P.CheckpointRestored():  # kept as the stored dict (persisted as JSON)
                self.checkpoint = {**e.payload, "session": e.session_id, "seq": e.seq, "ts": e.ts, "event": e.kind}
            case P.SandboxContainer():
                self.containers[e.session_id] = {**e.payload, "seq": e.seq, "ts": e.ts}

    def _update_calls(self, sid: str, events: list[Event]) -> None:
        carried: list[Event] = []
        for cid, call in self.open_calls.items():
            if call["session"] != sid:
                continue
            carried.append(Event(EventKind.TOOL_CALL_REQUESTED, sid, {"call_id": cid, "name": call["name"]}, call["seq"]))
            if call["state"] == "started":
                carried.append(Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": cid, "name": call["name"]}, call["seq"]))
        args: dict[str | None, str] = {cid: c.get("args", "") for cid, c in self.open_calls.items()}
        for e in events:
            if e.kind == EventKind.TOOL_CALL_REQUESTED:
                req = ToolCallRequested.of(e)
                args[req.call_id] = arguments_brief(req.name or "", req.arguments)
        still = unfinished_calls(carried + [e for e in events if e.kind in TOOL_KINDS])
        for cid in [c for c, call in self.open_calls.items() if call["session"] == sid]:
            del self.open_calls[cid]
        for call in still:
            self.open_calls[call["call_id"]] = {
                "session": sid,
                "name": call["name"],
                "state": call["state"],
                "seq": call["seq"],
                "args": args.get(call["call_id"], ""),
            }


def _status_text(status: str | None) -> str:
    return {
        "open": "open (a Workbench process is using it now)",
        "crashed": "crashed (its process ended without closing it; everything written is in the log)",
        "closed": "closed cleanly",
        "new": "new (never opened)",
    }.get(status or "", status or "unknown")


def render_state_recovery(tracker: RecoveryTracker, sessions: list[Any], workspace: Path, last_seq: int) -> str:
    """Return the Markdown of ``stateRecovery.md``.

    Args:
        tracker: the folded state.
        sessions: the workspace's :class:`~workbench.core.store.SessionInfo` rows (newest first).
        workspace: the workspace root (for the resume command).
        last_seq: the last event included.
    """
    by_id = {s.id: s for s in sessions}
    active = tracker.active or (sessions[0].id if sessions else None)
    lines = [
        "# State recovery",
        "",
        f"Generated by Workbench from the event log (up to event {last_seq}). Read this first when picking the work up.",
        "",
        "## Active session",
        "",
    ]
    if active is None:
        lines += [f"No session yet. Start one with `workbench` in {workspace}.", ""]
    else:
        info, state = by_id.get(active), tracker.sessions.get(active, {})
        title = (info.title if info else None) or "untitled"
        lines.append(f"- Session: `{active}` “{one_line(title, 80)}”, {_status_text(info.status if info else None)}")
        if info is not None:
            lines.append(
                f"- {info.message_count} message(s), model {info.model or 'unknown'}, "
                f"{info.prompt_tokens} prompt / {info.completion_tokens} completion tokens"
            )
        if state.get("prompt"):
            lines.append(f"- Task (latest prompt): {one_line(state['prompt'], 300)}")
            if state.get("turn_open"):
                lines.append(
                    "- The latest turn has **no end recorded**: it is running, or was cut by a crash "
                    "(an interrupted reply is shown as such on resume)."
                )
            else:
                lines.append(f"- The latest turn ended: {state.get('turn_status') or 'done'}")
        lines.append("")
    lines += ["## Last checkpoint", ""]
    cp = tracker.checkpoint
    if cp is None:
        lines.append("None recorded yet.")
    else:
        sha = str(cp.get("checkpoint", ""))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(cp.get("ts", 0)))
        if cp["event"] == CHECKPOINT_RESTORED:
            lines.append(
                f"- Rewound ({cp.get('scope')}) to `{sha[:12]}` at {when}; the state before it is "
                f"checkpoint `{str(cp.get('before_restore') or '')[:12]}`"
            )
        else:
            label = f" “{cp['label']}”" if cp.get("label") else ""
            stat = cp.get("diffstat") or [0, 0, 0]
            lines.append(
                f"- `{sha[:12]}`{label} at {when} (session `{cp.get('session')}`, event {cp.get('event_seq') or cp.get('seq')}), "
                f"{stat[0]} file(s) changed"
            )
        lines.append(f"- Rewind to it: `workbench rewind {sha[:12]} --files` (or the rewind screen, `/rewind`)")
    lines += ["", "## Open containers", ""]
    if not tracker.containers:
        lines.append("None recorded.")
    for sid, c in tracker.containers.items():
        closed = by_id.get(sid) is not None and by_id[sid].status == "closed"
        lines.append(
            f"- `{c.get('name')}` ({c.get('image')}) of session `{sid}`, {c.get('outcome')}"
            + ("; the session is closed, the container may be stopped" if closed else "")
            + f". Check: `docker ps -a --filter name={c.get('name')}`"
        )
    lines += ["", "## Pending approvals", ""]
    if not tracker.approvals:
        lines.append("None.")
    for cid, a in tracker.approvals.items():
        lines.append(f"- `{a.get('name')}` (call `{cid}`, session `{a.get('session')}`): {one_line(a.get('reason'), 200)}")
    lines += ["", "## Unfinished tool calls", ""]
    if not tracker.open_calls:
        lines.append("None.")
    for cid, call in tracker.open_calls.items():
        if call["state"] == "started":
            what = "started with no result: **outcome unknown**, it is never re-run by itself; check the workspace before repeating it"
        else:
            what = "requested, never ran"
        args = f" {call['args']}" if call.get("args") else ""
        lines.append(f"- `{call['name']}`{args} (call `{cid}`, session `{call['session']}`, event {call['seq']}): {what}")
    lines += ["", "## Resume", ""]
    if active is None:
        lines.append(f"`workbench {workspace}`")
    else:
        lines += [
            f"`workbench resume {active}`",
            "",
            f"Run it in `{workspace}` (from elsewhere add `--path {workspace}`). Headless: "
            f"`workbench run --session {active} -p PROMPT {workspace}`.",
        ]
    return "\n".join(lines) + "\n"
