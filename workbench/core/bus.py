"""In-process event bus: plain asyncio, one bounded queue per subscriber.

The bus carries events *after* they were appended to the log (see :mod:`workbench.core.events`).
Publishing never blocks the publisher: when a subscriber's queue is full, its oldest item is
dropped and its ``dropped`` counter grows (a slow pane must not stall the agent; it can re-read the
log). Threads (docker log readers) publish with :meth:`EventBus.publish_threadsafe`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any


class Subscription:
    """A subscriber's queue; iterate it with ``async for``.

    Args:
        bus: the bus it belongs to.
        predicate: which items to receive (all when None).
        maxsize: queue bound.
    """

    def __init__(self, bus: EventBus, predicate: Callable[[Any], bool] | None, maxsize: int) -> None:
        self._bus = bus
        self.predicate = predicate
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.dropped = 0
        """Items dropped because the queue was full."""

    def offer(self, item: Any) -> None:
        """Queue ``item`` without blocking (drops the oldest when full)."""
        if self.predicate is not None and not self.predicate(item):
            return
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except asyncio.QueueFull:
                try:
                    self.queue.get_nowait()
                    self.dropped += 1
                except asyncio.QueueEmpty:  # pragma: no cover
                    pass

    async def get(self) -> Any:
        """Wait for the next item."""
        return await self.queue.get()

    def close(self) -> None:
        """Stop receiving items."""
        self._bus.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Any]:
        while True:
            yield await self.queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Fan-out of events to subscribers living on one event loop."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def subscribe(self, predicate: Callable[[Any], bool] | None = None, *, maxsize: int = 10_000) -> Subscription:
        """Return a new subscription (call on the bus's event loop)."""
        self._loop = asyncio.get_running_loop()
        sub = Subscription(self, predicate, maxsize)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Remove a subscription (idempotent)."""
        if sub in self._subs:
            self._subs.remove(sub)

    def publish(self, item: Any) -> None:
        """Deliver ``item`` to every subscriber (call on the loop's thread)."""
        for sub in list(self._subs):
            sub.offer(item)

    def publish_threadsafe(self, item: Any) -> None:
        """Deliver ``item`` from another thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self.publish, item)
