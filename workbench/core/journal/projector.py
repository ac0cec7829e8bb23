"""The journal projection, synchronous: new events in, three Markdown files out.

:class:`JournalProjector` owns the files of one workspace (``.workbench/journal/``) and the
state file; :meth:`JournalProjector.apply` renders a batch of new events. The async
:class:`~workbench.core.journal.service.JournalService` runs the reads on the store thread and
:meth:`apply` in a worker thread; :func:`update_journal` does the whole update in the calling
thread (CLI, scripts).

Idempotent: every writer holds the workspace's journal lock (``flock`` on ``journal.lock``) from
reading the persisted high-water mark (``last_seq`` in the state file) to saving the new one, and
an event at or below that mark is never rendered again; concurrent or repeated updates give the
same files as one update at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.event_payloads import ToolCallFinished
from workbench.core.events import GUIDE_TRIGGER_KINDS, Event, EventKind
from workbench.core.journal.agent_md import HEADER, render_events
from workbench.core.journal.files import (
    STATE_FILE,
    JournalState,
    append_text,
    content_hash,
    fingerprint,
    write_projection,
)
from workbench.core.journal.guide import render_master_guide
from workbench.core.journal.recovery import WORKSPACE_SESSION, render_state_recovery

AGENT_JOURNAL = "agentJournal.md"
MASTER_GUIDE = "masterGuide.md"
STATE_RECOVERY = "stateRecovery.md"
LOCK_FILE = "journal.lock"
"""Lock file beside the state file: one journal writer at a time, across threads and processes."""

GUIDE_TRIGGERS = GUIDE_TRIGGER_KINDS
"""(Defined in :mod:`workbench.core.events`.) Kinds after which ``masterGuide.md`` is rebuilt (sessions changed, a turn ended, files rewound);
a ``tool.finished`` that changed files and every ``spec.*`` event (a document's state) also do."""


def journal_dir(workspace: Path) -> Path:
    """Return ``<workspace>/.workbench/journal`` (not created)."""
    return Path(workspace) / ".workbench" / "journal"


@dataclass(frozen=True)
class JournalUpdate:
    """What one update did.

    Attributes:
        events: events rendered.
        last_seq: the last event seq now in the journal.
        rewrote: ``agentJournal.md`` was regenerated from the whole log (first run, or the file
            was edited or deleted).
        appended_bytes: bytes appended to ``agentJournal.md`` (0 when rewritten or nothing new).
        guide_written / recovery_written: whether those files were (re)written.
    """

    events: int
    last_seq: int
    rewrote: bool
    appended_bytes: int
    guide_written: bool
    recovery_written: bool


def fetch_events(store: Any, workspace: Path, after_seq: int) -> tuple[list[Event], list[Any]]:
    """Read the workspace's events with ``seq > after_seq`` and its session rows (store thread).

    Args:
        store: a synchronous :class:`~workbench.core.store.EventStore`.
        workspace: the workspace root.
        after_seq: the last seq already rendered (0 for everything).

    Returns:
        ``(events in seq order, sessions newest first)``. Uses the ``(session_id, seq)`` index per
        session, so reading one new event costs the same in a long log as in a short one.
    """
    sessions = store.sessions(workspace)
    events: list[Event] = []
    for sid in [s.id for s in sessions] + [WORKSPACE_SESSION]:
        events.extend(store.iter_events(sid, after_seq=after_seq))
    events.sort(key=lambda e: e.seq)
    return events, sessions


class JournalProjector:
    """The journal files of one workspace and their state.

    Args:
        workspace: the workspace root.
        state_dir: where ``journal_state.json`` lives (``workspace_data_dir(ws)``).
    """

    def __init__(self, workspace: Path, state_dir: Path) -> None:
        self.workspace = Path(workspace)
        self.dir = journal_dir(self.workspace)
        self.agent_path = self.dir / AGENT_JOURNAL
        self.guide_path = self.dir / MASTER_GUIDE
        self.recovery_path = self.dir / STATE_RECOVERY
        self.state_path = Path(state_dir) / STATE_FILE
        self.state: JournalState | None = None
        """Loaded by :meth:`prepare`."""
        from workbench.core.redact import Redactor

        self.redactor: Redactor = Redactor()
        """Applied to every text written (``masterGuide.md`` quotes workspace files, which may hold
        tokens; events are already redacted). Set to the session's configured redactor."""

    @property
    def lock_path(self) -> Path:
        """The lock file that makes one writer at a time (``journal.lock`` beside the state)."""
        return self.state_path.with_name(LOCK_FILE)

    def acquire(self) -> int:
        """Take the workspace's journal lock (blocking ``flock``); returns the descriptor to
        pass to :meth:`release`. Every writer (the app's service, ``update_journal``, another
        process) holds it from :meth:`prepare` to the end of :meth:`apply`."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        return fd

    @staticmethod
    def release(fd: int) -> None:
        """Release a lock taken by :meth:`acquire`."""
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """:meth:`acquire` / :meth:`release` as a context manager (blocking; for threads)."""
        fd = self.acquire()
        try:
            yield
        finally:
            self.release(fd)

    def prepare(self) -> int:
        """Load the persisted state and check ``agentJournal.md``; return the seq to read after.

        The state (with its high-water mark ``last_seq``, the last event applied) is read from
        disk on every call, so an update made meanwhile by another writer is never applied
        twice; call it with the lock held (:meth:`locked`). When the journal is missing or was
        changed by someone else, the state is reset so the next :meth:`apply` regenerates
        everything from seq 0.
        """
        self.state = JournalState.load(self.state_path)
        if self.state.journal is None or fingerprint(self.agent_path) != self.state.journal:
            self.state = JournalState()
        return self.state.last_seq

    def apply(self, events: list[Event], sessions: list[Any]) -> JournalUpdate:
        """Render ``events`` (those after :meth:`prepare`'s seq) into the three files.

        Args:
            events: new events in seq order.
            sessions: the workspace's session rows (newest first).
        """
        state = self.state
        assert state is not None, "call prepare() first"
        events = [e for e in events if e.seq > state.last_seq]  # never apply an event twice
        rewrite = state.journal is None
        text = self.redactor.text(render_events(events, state.cursor))
        appended = 0
        if rewrite:
            write_projection(self.agent_path, HEADER + text)
        elif text:
            append_text(self.agent_path, text)
            appended = len(text.encode("utf-8"))
        state.journal = fingerprint(self.agent_path)
        state.tracker.feed(events)
        if events:
            state.last_seq = events[-1].seq
        recovery = self.redactor.text(render_state_recovery(state.tracker, sessions, self.workspace, state.last_seq))
        recovery_written = self._write_if_changed(self.recovery_path, recovery, "recovery_sha256")
        wants_guide = rewrite or any(
            e.kind in GUIDE_TRIGGERS
            or e.kind.startswith("spec.")
            or (e.kind == EventKind.TOOL_CALL_FINISHED and ToolCallFinished.of(e).changed_paths)
            for e in events
        )
        guide_written = False
        if wants_guide or content_hash(self.guide_path) != state.guide_sha256:
            guide = self.redactor.text(render_master_guide(self.workspace, sessions))
            guide_written = self._write_if_changed(self.guide_path, guide, "guide_sha256")
        state.save(self.state_path)
        return JournalUpdate(len(events), state.last_seq, rewrite, appended, guide_written, recovery_written)

    def _write_if_changed(self, path: Path, text: str, attr: str) -> bool:
        import hashlib

        assert self.state is not None
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest == getattr(self.state, attr) and content_hash(path) == digest:
            return False
        write_projection(path, text)
        setattr(self.state, attr, digest)
        return True


def update_journal(workspace: Path, store: Any) -> JournalUpdate:
    """Bring the journal of ``workspace`` up to date in the calling thread.

    Args:
        workspace: the workspace root.
        store: a synchronous :class:`~workbench.core.store.EventStore` of that workspace.
    """
    from workbench.core.paths import workspace_data_dir

    projector = JournalProjector(Path(workspace).resolve(), workspace_data_dir(workspace))
    if getattr(store, "redactor", None) is not None:
        projector.redactor = store.redactor
    with projector.locked():
        after = projector.prepare()
        events, sessions = fetch_events(store, projector.workspace, after)
        return projector.apply(events, sessions)
