"""Running the HTTP stream and the SDK's chunk parsing on a background event loop.

The OpenAI SDK builds a pydantic object per streamed chunk (~0.5 ms each on a 2-core machine;
2,000 tokens/s in 8-character chunks is ~1,000 chunks/s). Done on the UI's event loop, that alone
would take half of every second and stall frames. :class:`BackgroundLoop` runs one event loop in a
daemon thread for all model streams; :func:`relay` moves the items of an async iterator running
there to the caller's loop in batches (one wake-up per batch, not per chunk).
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()

COALESCE = 0.010
"""Seconds: the consumer's loop is woken for new items at most once per this interval."""


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class BackgroundLoop:
    """One asyncio loop in a daemon thread, started on first use."""

    def __init__(self, name: str = "workbench-llm") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running background loop."""
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                threading.Thread(target=run, name=self._name, daemon=True).start()
                ready.wait()
                self._loop = loop
            return self._loop

    async def run(self, coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Await ``coro_factory()`` on the background loop from the caller's loop."""
        future = asyncio.run_coroutine_threadsafe(coro_factory(), self.loop)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise


async def relay(background: BackgroundLoop, make_iter: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
    """Iterate ``make_iter()`` on the background loop, yielding its items here.

    Exceptions raised there are raised here; cancelling the consumer (or closing this generator)
    cancels the producer, which closes the HTTP stream.
    """
    here = asyncio.get_running_loop()
    pending: collections.deque[Any] = collections.deque()
    wake = asyncio.Event()
    scheduled = threading.Event()

    def notify() -> None:
        scheduled.clear()
        wake.set()

    def push(item: Any) -> None:
        pending.append(item)
        if not scheduled.is_set():
            scheduled.set()
            here.call_soon_threadsafe(notify)

    async def produce() -> None:
        try:
            async for item in make_iter():
                push(item)
        except BaseException as exc:  # delivered to the consumer, including cancellation
            push(_Failure(exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
        else:
            push(_END)

    future = asyncio.run_coroutine_threadsafe(produce(), background.loop)
    last_wake = 0.0
    try:
        while True:
            if not pending:
                while not pending:
                    wake.clear()
                    if pending:
                        break
                    await wake.wait()
                # Let a few more items arrive before handing them over: at most one wake-up of
                # this loop per COALESCE seconds, not one per network chunk (1,000/s at 2,000
                # tokens/s), while adding at most COALESCE of latency (deltas are shown in
                # batches of 50-100 ms anyway).
                now = here.time()
                if now - last_wake < COALESCE:
                    await asyncio.sleep(COALESCE - (now - last_wake))
                last_wake = here.time()
            item = pending.popleft()
            if item is _END:
                return
            if isinstance(item, _Failure):
                if isinstance(item.exc, asyncio.CancelledError):
                    raise asyncio.CancelledError()
                raise item.exc
            yield item
    finally:
        if not future.done():
            future.cancel()
