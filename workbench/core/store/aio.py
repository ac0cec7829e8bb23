"""Async facade over :class:`~workbench.core.store.db.EventStore`.

sqlite3 blocks, so every call runs on one dedicated worker thread (a single-thread executor keeps
the connection on one thread and the appends in order); the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from workbench.core.events import Event
from workbench.core.store.db import EventStore, SessionInfo

T = TypeVar("T")


class AsyncEventStore:
    """Awaitable wrapper: the same methods as :class:`EventStore`, run on a store thread.

    Args:
        path: the database file.

    Use :meth:`open` (a coroutine) to construct it: opening may move a corrupt file aside.
    """

    def __init__(self, store: EventStore, executor: ThreadPoolExecutor) -> None:
        self.sync = store
        """The underlying synchronous store (use only from the store thread)."""
        self._executor = executor

    @classmethod
    async def open(cls, path: Path) -> AsyncEventStore:
        """Open (or create) the log at ``path`` on a fresh store thread.

        Raises:
            LogWriteError: the disk is full, failing or read-only (see :mod:`.errors`).
            CorruptLogError: a damaged log could not be replaced.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-store")
        loop = asyncio.get_running_loop()
        try:
            store = await loop.run_in_executor(executor, EventStore, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(store, executor)

    @property
    def recovery_message(self) -> str | None:
        """See :attr:`EventStore.recovery_message`."""
        return self.sync.recovery_message

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the store thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    async def append(self, event: Event) -> Event:
        """Append one event (committed when this returns)."""
        return await self.call(self.sync.append, event)

    async def append_many(self, events: Iterable[Event]) -> list[Event]:
        """Append events in one transaction."""
        return await self.call(self.sync.append_many, list(events))

    async def create_session(self, workspace: Path, **kw: Any) -> SessionInfo:
        """See :meth:`EventStore.create_session`."""
        return await self.call(self.sync.create_session, workspace, **kw)

    async def session(self, id_or_prefix: str) -> SessionInfo:
        """See :meth:`EventStore.session`."""
        return await self.call(self.sync.session, id_or_prefix)

    async def sessions(self, workspace: Path | None = None) -> list[SessionInfo]:
        """See :meth:`EventStore.sessions`."""
        return await self.call(self.sync.sessions, workspace)

    async def events(self, session_id: str, **kw: Any) -> list[Event]:
        """See :meth:`EventStore.events`."""
        return await self.call(self.sync.events, session_id, **kw)

    async def history_page(self, session_id: str, **kw: Any) -> list[Event]:
        """See :meth:`EventStore.history_page`."""
        return await self.call(self.sync.history_page, session_id, **kw)

    async def interrupted_tail(self, session_id: str) -> Event | None:
        """See :meth:`EventStore.interrupted_tail`."""
        return await self.call(self.sync.interrupted_tail, session_id)

    async def close(self) -> None:
        """Close the database and stop the store thread."""
        await self.call(self.sync.close)
        self._executor.shutdown(wait=True)
