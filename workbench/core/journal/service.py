"""The journal service: keeps ``.workbench/journal/`` in step with the event log while the app runs.

:func:`start_journal` creates one :class:`JournalService` per :class:`JournalHost` (the product's
:class:`~workbench.core.runtime.Services`; kept in ``services.journal``, stopped by a closer), catches up with the log, then follows
the bus: after a committed event it waits :attr:`JournalService.debounce_s` (more events in that
window join the same update) and renders what is new. Reads run on the store thread, file IO in a
worker thread; the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from workbench.core.events import Event
from workbench.core.journal.entries import SKIPPED_KINDS
from workbench.core.journal.projector import JournalProjector, JournalUpdate, fetch_events
from workbench.core.tasks import spawn

if TYPE_CHECKING:
    from workbench.core.bus import EventBus
    from workbench.core.store import AsyncEventStore

log = logging.getLogger("workbench.core.journal")

DEBOUNCE_S = 0.3
"""Seconds to wait after an event before updating (a burst becomes one update)."""


class JournalHost(Protocol):
    """What the journal uses of the running services (the product's ``Services``; no import of it).

    Attributes:
        workspace: the workspace root (the journal is ``<workspace>/.workbench/journal``).
        store: the event log (read on its thread).
        bus: committed events, followed while the app runs.
        journal: where :func:`start_journal` keeps the service (None until then).
        closers: async callables run when the services close.
    """

    workspace: Path
    store: AsyncEventStore
    bus: EventBus
    journal: JournalService | None
    closers: list[Callable[[], Awaitable[None]]]


class JournalService:
    """Regenerates the journal of one workspace incrementally.

    Args:
        services: the running services (``workspace``, ``store``, ``bus`` are used).
        debounce_s: see :data:`DEBOUNCE_S`.
    """

    def __init__(self, services: JournalHost | Any, *, debounce_s: float = DEBOUNCE_S) -> None:
        self.workspace = services.workspace
        self.store = services.store
        self.bus = services.bus
        self.debounce_s = debounce_s
        self._projector: JournalProjector | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.last_update: JournalUpdate | None = None
        """The result of the latest update."""
        self.last_error: Exception | None = None
        """The latest error of a background update (None after a successful one)."""

    @property
    def journal_dir(self) -> Any:
        """``<workspace>/.workbench/journal``."""
        from workbench.core.journal.projector import journal_dir

        return journal_dir(self.workspace)

    async def update(self) -> JournalUpdate:
        """Render the events committed since the last update (all of them on the first run, or
        when ``agentJournal.md`` was edited or deleted).

        Raises:
            OSError: a journal file or the state file cannot be written (the message names it).
        """
        async with self._lock:
            if self._projector is None:
                from workbench.core.paths import workspace_data_dir

                state_dir = await asyncio.to_thread(workspace_data_dir, self.workspace)
                self._projector = JournalProjector(self.workspace, state_dir)
                redactor = getattr(getattr(self.store, "sync", None), "redactor", None)
                if redactor is not None:
                    self._projector.redactor = redactor
            projector = self._projector
            acquiring = asyncio.ensure_future(asyncio.to_thread(projector.acquire))
            try:
                fd = await asyncio.shield(acquiring)
            except asyncio.CancelledError:  # the thread may still get the lock: give it back then
                acquiring.add_done_callback(lambda f: None if f.cancelled() or f.exception() else projector.release(f.result()))
                raise
            try:
                after = await asyncio.to_thread(projector.prepare)
                events, sessions = await self.store.call(fetch_events, self.store.sync, self.workspace, after)
            except BaseException:
                projector.release(fd)
                raise
            # the lock is released when the writing thread is done, even if we are cancelled
            applying = asyncio.ensure_future(asyncio.to_thread(projector.apply, events, sessions))
            applying.add_done_callback(lambda _f: projector.release(fd))
            result = await asyncio.shield(applying)
            self.last_update = result
            return result

    def start(self) -> None:
        """Start following the bus (idempotent); the first update catches up with the log."""
        if self._task is None or self._task.done():
            self._task = spawn(self._follow(), name="workbench-journal")

    async def _follow(self) -> None:
        with self.bus.subscribe(lambda e: isinstance(e, Event) and e.kind not in SKIPPED_KINDS) as sub:
            await self._safe_update()
            while True:
                await sub.get()
                await asyncio.sleep(self.debounce_s)
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                await self._safe_update()

    async def _safe_update(self) -> None:
        try:
            await self.update()
            self.last_error = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the journal is a projection: never take the app down
            self.last_error = exc
            log.warning("journal update failed: %s", exc)

    async def aclose(self) -> None:
        """Stop following the bus and render what is left (best effort, at most 5 s)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        try:
            await asyncio.wait_for(self.update(), 5)
        except Exception as exc:  # the store may already be closing
            log.warning("final journal update failed: %s", exc)


def start_journal(services: JournalHost) -> JournalService:
    """Return the workspace's journal service, creating and starting it on the first call.

    Stores it in ``services.journal`` and registers :meth:`JournalService.aclose` in
    ``services.closers``. Call it on the services' event loop, once they are started.
    """
    svc = services.journal
    if svc is None:
        svc = JournalService(services)
        services.journal = svc
        services.closers.append(svc.aclose)
        svc.start()
    return svc
