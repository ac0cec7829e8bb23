"""Rewinds are always undoable and never silent: recovery of cut rewinds, and what a rewind could
not restore.

* :func:`recover_rewinds` completes a files restore cut midway (the intent journal, see
  :mod:`.restore`) and writes down every rewind whose process died after ``rewind.started``: the
  pre-rewind checkpoint gets its ``checkpoint.created`` event (so ``workbench checkpoints`` lists
  it and ``workbench rewind`` accepts it) and the rewind its ``checkpoint.restored`` with
  ``recovered: true``. It returns one message per recovered rewind, for a TUI notification or a
  stderr line.
* :func:`describe_skipped` / :func:`uncaptured_changes` name the files a checkpoint could not
  store (over ``max_file_bytes``, unreadable): a rewind cannot restore them, and files created
  after the checkpoint that were never captured are kept and named.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.event_payloads import CheckpointCreated, RewindStarted
from workbench.core.events import Event, EventKind

if TYPE_CHECKING:
    from workbench.core.checkpoints.repo import ShadowRepo
    from workbench.core.store.db import EventStore

_SIZE = re.compile(r"larger than max_file_bytes \((\d+) > \d+ bytes\)")


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.0f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"  # pragma: no cover


def describe_skipped(path: str, reason: str) -> str:
    """``big.bin (52 MB, over max_file_bytes)`` from a capture's ``(path, reason)``."""
    m = _SIZE.match(reason or "")
    if m:
        return f"{path} ({_human(int(m.group(1)))}, over max_file_bytes)"
    return f"{path} ({reason})"


def could_not_store(reason: str) -> bool:
    """True for a skip reason that lost content: over the size cap or unreadable (not a file
    excluded on purpose by a pattern, nor a socket or FIFO)."""
    return bool(reason) and reason.startswith(("larger than max_file_bytes", "not readable", "cannot stat"))


def uncaptured_changes(target_skipped: list[Any], now_skipped: list[Any]) -> tuple[list[list[str]], list[list[str]]]:
    """What a files rewind cannot do, from the two checkpoints' ``skipped`` lists.

    Args:
        target_skipped: ``[[path, reason]]`` of the checkpoint restored to.
        now_skipped: ``[[path, reason]]`` of the pre-rewind checkpoint (the workspace now).

    Returns:
        ``(not_restored, kept)``: files whose content the target could not store (they keep
        whatever they are now, or stay missing), and files present now that were never captured
        and are not in the target (created after it): they are left in place, never deleted
        unbacked.
    """
    target_paths = {p for p, _ in target_skipped}
    not_restored = [[p, r] for p, r in target_skipped if could_not_store(r)]
    kept = [[p, r] for p, r in now_skipped if p not in target_paths and could_not_store(r)]
    return not_restored, kept


def _dangling_rewinds(store: EventStore, session_id: str) -> list[Event]:
    """``rewind.started`` events of a session with no ``checkpoint.restored`` after them."""
    out: list[Event] = []
    for e in store.events(session_id, kinds=[EventKind.REWIND_STARTED, EventKind.CHECKPOINT_RESTORED]):
        if e.kind == EventKind.REWIND_STARTED:
            out.append(e)
        else:
            out.clear()
    return out


def record_dangling_rewinds(store: EventStore, repo: ShadowRepo, workspace: Path, journal: dict[str, Any] | None) -> list[str]:
    """Write down the rewinds of crashed sessions that never recorded their end (store thread).

    Args:
        store: the synchronous event log.
        repo: the shadow repository (to find each pre-rewind checkpoint).
        workspace: the workspace root.
        journal: the restore intent journal that was just completed (None if none was pending).

    Returns:
        One message per rewind written down.
    """
    from workbench.core.store.interrupted import crashed_session_ids

    messages: list[str] = []
    crashed = set(crashed_session_ids(store))
    for info in store.sessions(workspace):
        if info.id not in crashed or not _dangling_rewinds(store, info.id):
            continue
        with store._transaction():  # re-read under the write lock: two recovering processes record once
            messages += _record_session(store, repo, info.id, journal)
    return messages


def _record_session(store: EventStore, repo: ShadowRepo, session_id: str, journal: dict[str, Any] | None) -> list[str]:
    """Record the dangling rewinds of one crashed session (call inside a store transaction)."""
    messages: list[str] = []
    for start in _dangling_rewinds(store, session_id):
        started = RewindStarted.of(start)
        target = started.checkpoint
        scope = started.scope or "files"
        known = {CheckpointCreated.of(e).checkpoint for e in store.events(session_id, kinds=[EventKind.CHECKPOINT_CREATED])}
        before = None
        if scope in ("files", "both"):
            candidates = [
                cp
                for cp in repo.list_checkpoints(session_id)
                if cp.meta.get("kind") == "before_restore"
                and cp.meta.get("restore_target") == target
                and cp.created_at.timestamp() >= start.ts - 2
            ]
            if journal and journal.get("target") == target:
                candidates = [cp for cp in candidates if cp.id == journal.get("pre_restore")] or candidates
            before = max(candidates, key=lambda cp: cp.created_at) if candidates else None
        if before is None:  # a conversation rewind, or cut before it took its checkpoint: no file was touched
            continue
        events: list[Event] = []
        if before.id not in known:
            events.append(
                Event(
                    EventKind.CHECKPOINT_CREATED,
                    session_id,
                    {
                        "checkpoint": before.id,
                        "label": f"before rewind to {str(target)[:10]} (interrupted)",
                        "turn_id": None,
                        "event_seq": start.seq,
                        "files_changed": [list(f) for f in before.files_changed],
                        "diffstat": list(before.diffstat),
                        "skipped": [list(s) for s in before.skipped][:200],
                        "container_image": None,
                        "recovered": True,
                    },
                )
            )
        done = journal is not None and journal.get("target") == target
        ops = ((journal or {}).get("ops") or []) if done else []
        events.append(
            Event(
                EventKind.CHECKPOINT_RESTORED,
                session_id,
                {
                    "checkpoint": target,
                    "before_restore": before.id,
                    "scope": scope,
                    "new_session": None,
                    "written": [o[1] for o in ops if o[0] == "write"][:500],
                    "deleted": [o[1] for o in ops if o[0] == "delete"][:500],
                    "recovered": True,
                },
            )
        )
        now = time.time()
        for event in events:
            store._insert(event, now)
        undo = f" Undo it with `workbench rewind {before.id[:12]} --files`."
        messages.append(
            f"A rewind of session {session_id} to checkpoint {str(target)[:10]} was interrupted; it was "
            + (
                "completed on start (the workspace now equals that checkpoint)."
                if done
                else "recorded on start (its files restore had finished or not begun)."
            )
            + f" The state before it is checkpoint {before.id[:12]}."
            + undo
        )
    return messages


def recover_rewinds_sync(repo: ShadowRepo, store: EventStore, workspace: Path) -> list[str]:
    """Complete a pending files restore and record cut rewinds (blocking; CLI commands).

    Returns:
        Messages for the user (empty when nothing was pending).

    Raises:
        RestoreConflictError / CheckpointError: the pending restore cannot be completed.
    """
    from workbench.core.checkpoints import restore as restore_mod

    journal = restore_mod.read_journal(repo.git_dir) if repo.restore_pending() else None
    target = repo.recover_incomplete_restore() if journal is not None else None
    messages = record_dangling_rewinds(store, repo, Path(workspace), journal)
    if target and journal is not None and not messages:
        messages.append(
            f"A rewind was interrupted; it was completed on start (the workspace now equals checkpoint "
            f"{target[:10]}). The state before it is checkpoint {str(journal.get('pre_restore'))[:12]}: "
            f"undo with `workbench rewind {str(journal.get('pre_restore'))[:12]} --files`."
        )
    return messages
