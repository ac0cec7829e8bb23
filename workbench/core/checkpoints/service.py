"""Checkpoints as part of a session: automatic snapshots, the checkpoint list, rewind.

* Automatic: before the first change (a write or a command) of every turn, and at the end of a
  turn that changed files; manual with ``/checkpoint [LABEL]``. Each is a ``checkpoint.created``
  event linking the shadow commit to the event sequence number, with the files changed and a
  diffstat.
* Rewind restores **files**, the **conversation**, or **both** to a checkpoint. Restoring the
  conversation forks the session: a new session (``parent_id`` = the old one) gets a copy of the
  conversation up to the checkpoint; the old branch stays and can be reopened. Every rewind first
  takes a checkpoint, so it can itself be undone. Rewinding while the agent runs is refused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.event_payloads import CheckpointCreated, UserMessage
from workbench.core.events import FORK_KINDS, Event, EventKind

if TYPE_CHECKING:
    from workbench.core.chat.service import ChatService
    from workbench.core.checkpoints.repo import ShadowRepo

Scope = Literal["files", "conversation", "both"]


class RewindRefused(RuntimeError):
    """A rewind cannot run now (the agent is running, or the checkpoint is unknown)."""


@dataclass
class RewindResult:
    """What a rewind did.

    Attributes:
        scope: files, conversation or both.
        checkpoint: the checkpoint restored to.
        before: the checkpoint taken just before (restore it to undo the rewind).
        new_session: the forked session id (conversation rewinds).
        prompt: the prompt of the turn that followed the checkpoint (to edit and resend).
        written / deleted: workspace paths restored / removed.
        not_restored: ``[[path, reason]]`` the checkpoint could not store (size cap, unreadable):
            not restored.
        kept: ``[[path, reason]]`` present now, never captured and not in the checkpoint (created
            after it): left in place.
    """

    scope: str
    checkpoint: str
    before: str | None
    new_session: str | None
    prompt: str | None
    written: list[str]
    deleted: list[str]
    not_restored: list[list[str]] = field(default_factory=list)
    kept: list[list[str]] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """Lines naming what the rewind could not restore or left in place (``[]`` when none)."""
        from workbench.core.checkpoints.rewind_record import describe_skipped

        out = []
        if self.not_restored:
            out.append(
                "not restored: "
                + ", ".join(describe_skipped(p, r) for p, r in self.not_restored[:20])
                + (f" … (+{len(self.not_restored) - 20})" if len(self.not_restored) > 20 else "")
            )
        if self.kept:
            out.append(
                "kept (created after the checkpoint, never captured): "
                + ", ".join(describe_skipped(p, r) for p, r in self.kept[:20])
                + (f" … (+{len(self.kept) - 20})" if len(self.kept) > 20 else "")
            )
        return out


class CheckpointService:
    """Checkpoints of one chat's sessions.

    Args:
        chat: the chat service (session, event log, emit).
        repo: the workspace's shadow repository.
    """

    def __init__(self, chat: ChatService, repo: ShadowRepo) -> None:
        self.chat = chat
        self.repo = repo
        self._lock = asyncio.Lock()
        self.sandbox: Any = None
        """Returns the workspace's SandboxService when container snapshots are on (else None)."""

    async def checkpoint(self, label: str, *, turn_id: str | None = None, always: bool = True) -> CheckpointCreated | None:
        """Snapshot the workspace and record a ``checkpoint.created`` event.

        Args:
            label: shown in the rewind list.
            turn_id: the turn it belongs to.
            always: record an event even when nothing changed since the last snapshot.

        Returns:
            The event's typed payload (:class:`CheckpointCreated`), or None when ``always`` is False and nothing changed.
        """
        session = await self.chat.ensure_session()
        async with self._lock:
            seq = await self.chat.store.call(self.chat.store.sync.last_seq, session.id)
            cp = await self.repo.snapshot_async(label, {"event_seq": seq, "turn_id": turn_id}, session_id=session.id)
            if not always and not cp.files_changed:
                return None
            payload = {
                "checkpoint": cp.id,
                "label": label,
                "turn_id": turn_id,
                "event_seq": seq,
                "files_changed": [list(f) for f in cp.files_changed],
                "diffstat": list(cp.diffstat),
                "skipped": [list(s) for s in cp.skipped][:200],
                "container_image": await self._snapshot_container(session.id, cp.id),
            }
            event = Event(EventKind.CHECKPOINT_CREATED, session.id, payload)
            await self.chat.emit(event)
            return CheckpointCreated.of(event)

    async def _snapshot_container(self, session_id: str, checkpoint: str) -> str | None:
        """``docker commit`` the session's sandbox (``sandbox.snapshot_on_checkpoint``); None if off."""
        service = self.sandbox() if self.sandbox is not None else None
        if service is None:
            return None
        from workbench.core.sandbox.service import snapshot_container_sync

        try:
            return await asyncio.to_thread(snapshot_container_sync, service, session_id, checkpoint[:12])
        except Exception:  # no engine, container gone: the workspace checkpoint still stands
            return None

    async def list(self, session_id: str | None = None) -> list[Event]:
        """The ``checkpoint.created`` events of a session (the current one by default), oldest first."""
        sid = session_id or (self.chat.session.id if self.chat.session else None)
        if sid is None:
            return []
        return await self.chat.store.events(sid, kinds=[EventKind.CHECKPOINT_CREATED])

    async def diff(self, checkpoint: str, *, stat: bool = False) -> str:
        """Unified diff (or ``--stat``) between the checkpoint and the workspace now."""
        return await self.repo.diff_async(checkpoint, "worktree", stat=stat)

    async def rewind(self, checkpoint: str, scope: Scope, *, seq: int | None = None) -> RewindResult:
        """Restore files, conversation or both to ``checkpoint`` (see module doc).

        Args:
            checkpoint: the commit id (or a unique prefix).
            scope: ``files``, ``conversation`` or ``both``.
            seq: the ``checkpoint.created`` event to use when several share the commit (two
                checkpoints with no change between them); the latest one when None.

        Raises:
            RewindRefused: the agent is running, there is no session, or the checkpoint is not one
                of this session's.
        """
        chat = self.chat
        if chat.running:
            raise RewindRefused("the agent is running: wait for the turn to end (or press Esc) before rewinding")
        if chat.session is None:
            raise RewindRefused("no session to rewind")
        sid = chat.session.id
        events = await self.list(sid)
        match = [e for e in events if CheckpointCreated.of(e).checkpoint.startswith(checkpoint) and (seq is None or e.seq == seq)]
        if not match:
            raise RewindRefused(f"checkpoint {checkpoint!r} is not in session {sid}; list them with `workbench checkpoints`")
        target = match[-1]
        created = CheckpointCreated.of(target)
        cp_id = created.checkpoint
        await chat.emit(Event(EventKind.REWIND_STARTED, sid, {"checkpoint": cp_id, "scope": scope}))
        written: list[str] = []
        deleted: list[str] = []
        not_restored: list[list[str]] = []
        kept: list[list[str]] = []
        before_id: str | None = None
        if scope in ("files", "both"):
            async with self._lock:
                result = await self.repo.restore_async(cp_id, session_id=sid)
            before_id = result.before_restore.id
            written, deleted = result.written, result.deleted
            from workbench.core.checkpoints.rewind_record import uncaptured_changes

            not_restored, kept = uncaptured_changes(created.skipped or [], [list(x) for x in result.before_restore.skipped])
            await chat.emit(
                Event(
                    EventKind.CHECKPOINT_CREATED,
                    sid,
                    {
                        "checkpoint": before_id,
                        "label": f"before rewind to {cp_id[:10]}",
                        "turn_id": None,
                        "event_seq": target.seq,
                        "files_changed": [list(f) for f in result.before_restore.files_changed],
                        "diffstat": list(result.before_restore.diffstat),
                        "skipped": [list(x) for x in result.before_restore.skipped][:200],
                        "container_image": None,
                    },
                )
            )
            image = created.container_image
            service = self.sandbox() if self.sandbox is not None else None
            if image and service is not None:
                from workbench.core.sandbox.service import restore_container_sync

                info = await asyncio.to_thread(restore_container_sync, service, sid, image)
                await chat.emit(
                    Event(
                        EventKind.SANDBOX_CONTAINER,
                        sid,
                        {
                            "outcome": "restored",
                            "container": info.container.id,
                            "name": info.container.name,
                            "image": image,
                            "setup": [],
                            "reason": "rewind",
                        },
                    )
                )
        else:
            snap = await self.checkpoint(f"before rewind to {cp_id[:10]}")
            before_id = snap.checkpoint if snap else None
        new_session: str | None = None
        prompt: str | None = None
        if scope in ("conversation", "both"):
            fork_seq, prompt = await self._fork_point(sid, target)
            new_session = await self._fork(sid, fork_seq)
        restored = {
            "checkpoint": cp_id,
            "before_restore": before_id,
            "scope": scope,
            "new_session": new_session,
            "written": written[:500],
            "deleted": deleted[:500],
            "not_restored": not_restored[:200],
            "kept": kept[:200],
        }
        await chat.emit(Event(EventKind.CHECKPOINT_RESTORED, sid, restored))
        if new_session is not None:
            await chat.open(new_session)
            await chat.emit(Event(EventKind.CHECKPOINT_RESTORED, new_session, restored))
        return RewindResult(scope, cp_id, before_id, new_session, prompt, written, deleted, not_restored, kept)

    async def _fork_point(self, sid: str, target: Event) -> tuple[int, str | None]:
        """Where the conversation is cut, and the prompt to put back for editing.

        A checkpoint taken inside a turn ("before: ...") cuts before that turn's prompt; any other
        checkpoint cuts at its own position, and the next prompt is offered.
        """
        users = await self.chat.store.events(sid, kinds=[EventKind.USER_MESSAGE])
        created = CheckpointCreated.of(target)
        turn_id = created.turn_id
        for user in users:
            if turn_id and UserMessage.of(user).turn_id == turn_id:
                return user.seq - 1, UserMessage.of(user).text
        seq = int(created.event_seq)  # type: ignore[arg-type]
        later = [u for u in users if u.seq > seq]
        return seq, (UserMessage.of(later[0]).text if later else None)

    async def _fork(self, sid: str, fork_seq: int) -> str:
        store = self.chat.store
        new = await store.create_session(self.chat.workspace, parent_id=sid, fork_seq=fork_seq)
        old = await store.events(sid, kinds=FORK_KINDS)
        copies = [Event(e.kind, new.id, dict(e.payload, forked_from_seq=e.seq)) for e in old if e.seq <= fork_seq]
        if copies:
            await store.append_many(copies)
        return new.id


async def recover_interrupted_rewind(repo: ShadowRepo, store: Any = None, workspace: Any = None) -> str | None:
    """Complete a files restore that was cut midway (every file wholly old or wholly new) and,
    with ``store``, record every rewind a crashed process left unfinished (see
    :func:`workbench.core.checkpoints.rewind_record.recover_rewinds_sync`).

    Returns:
        A message for the user when something was recovered, else None.
    """
    from workbench.core.checkpoints.rewind_record import recover_rewinds_sync

    if store is None:
        pending = await asyncio.to_thread(repo.restore_pending)
        if not pending:
            return None
        target = await repo.recover_incomplete_restore_async()
        return (
            f"A rewind was interrupted; it was completed on start (workspace now equals checkpoint "
            f"{(target or '?')[:10]}). The state before it is kept as a checkpoint: undo from the rewind list."
        )
    messages = await store.call(recover_rewinds_sync, repo, store.sync, workspace or repo.workspace)
    return " ".join(messages) or None
