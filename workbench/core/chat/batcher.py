"""Batching of streamed deltas.

Tokens can arrive thousands of times per second; writing (and painting) each one would swamp the
log and the UI. :class:`DeltaBatcher` collects text and reasoning fragments and hands them to an
async ``flush`` callback at most every ``interval`` seconds (default 75 ms), and on demand.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable


class DeltaBatcher:
    """Collect fragments; flush them together every ``interval`` seconds.

    Args:
        flush: ``async (text, reasoning) -> None`` called with the accumulated fragments.
        interval: seconds between flushes while fragments are pending.
    """

    def __init__(self, flush: Callable[[str, str], Awaitable[None]], interval: float = 0.075) -> None:
        self._flush_cb = flush
        self.interval = interval
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._all_text: list[str] = []
        self._all_reasoning: list[str] = []

    @property
    def text(self) -> str:
        """All text added so far (flushed or not)."""
        if len(self._all_text) > 1:  # joined once per read, not copied at every add
            self._all_text[:] = ["".join(self._all_text)]
        return self._all_text[0] if self._all_text else ""

    @property
    def reasoning(self) -> str:
        """All reasoning added so far."""
        if len(self._all_reasoning) > 1:
            self._all_reasoning[:] = ["".join(self._all_reasoning)]
        return self._all_reasoning[0] if self._all_reasoning else ""

    def add(self, text: str = "", reasoning: str = "") -> None:
        """Queue fragments; a flush is scheduled within ``interval`` seconds."""
        if text:
            self._text.append(text)
            self._all_text.append(text)
        if reasoning:
            self._reasoning.append(reasoning)
            self._all_reasoning.append(reasoning)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._later())

    async def _later(self) -> None:
        await asyncio.sleep(self.interval)
        # Shielded: when close() cancels this timer mid-flush, the flush (already taken from
        # the buffers) still completes; close() then waits for it on the lock.
        await asyncio.shield(self.flush())

    async def flush(self) -> None:
        """Hand over everything pending now (no-op when nothing is pending)."""
        async with self._lock:
            if not self._text and not self._reasoning:
                return
            text, reasoning = "".join(self._text), "".join(self._reasoning)
            self._text.clear()
            self._reasoning.clear()
            await self._flush_cb(text, reasoning)

    async def close(self) -> None:
        """Flush what is pending and stop the timer."""
        task = self._task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self.flush()
