"""Batching of streamed deltas.

Tokens can arrive thousands of times per second; writing (and painting) each one would swamp the
log and the UI. Every delta event is one committed SQLite transaction, which costs a few pages of
``-wal`` (about 16 KiB at 4 KiB pages) and an ``fsync`` whatever its size, so the batcher keeps
the number of delta events per reply small while the first words still show at once:

* **time**: the first batch is handed over ``interval`` seconds (default 75 ms) after the first
  fragment; each following wait is ``growth`` times longer (1.5x), up to ``max_interval``
  (default 0.5 s). A short answer streams at the fast pace; a 20 KB reply becomes a dozen or so
  events, not one every 75 ms.
* **in-flight coalescing**: at most one write is in flight; fragments that arrive meanwhile join
  the next batch, and the next wait starts only when the write has finished.
* **slow disk**: the next wait is at least ``slow_factor`` times the last write's duration (4x,
  up to ``slow_cap`` = 2 s), so the log spends at most about a fifth of the time writing deltas.
* **tiny batches wait**: fewer than ``min_chars`` characters pending (a slow model) are held
  until ``max_interval`` has passed since the last batch.

A failed write (the disk is full) is kept: later :meth:`DeltaBatcher.add` and
:meth:`DeltaBatcher.close` calls raise it, so the turn stops instead of retrying every interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from workbench.core.tasks import spawn


class DeltaBatcher:
    """Collect fragments; hand them to ``flush`` in batches (see the module doc for the pacing).

    Args:
        flush: ``async (text, reasoning) -> None`` called with the accumulated fragments.
        interval: seconds before the first batch (and the shortest wait between batches).
        max_interval: longest wait between batches (default ``max(0.5, interval)``).
        growth: factor by which each wait grows over the previous one.
        min_chars: smaller batches are held until ``max_interval`` has passed.
        slow_factor: the wait is at least this many times the last write's duration...
        slow_cap: ...but that rule alone never makes it longer than this (seconds).
    """

    def __init__(
        self,
        flush: Callable[[str, str], Awaitable[None]],
        interval: float = 0.075,
        *,
        max_interval: float | None = None,
        growth: float = 1.5,
        min_chars: int = 32,
        slow_factor: float = 4.0,
        slow_cap: float = 2.0,
    ) -> None:
        self._flush_cb = flush
        self.interval = interval
        self.max_interval = max(interval, 0.5 if max_interval is None else max_interval)
        self.growth = growth
        self.min_chars = min_chars
        self.slow_factor = slow_factor
        self.slow_cap = slow_cap
        self._delay = interval
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._pending_chars = 0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._all_text: list[str] = []
        self._all_reasoning: list[str] = []
        self.batches = 0
        """Batches handed to ``flush`` so far."""
        self.error: BaseException | None = None
        """The exception of a failed ``flush`` (raised again by :meth:`add` and :meth:`close`)."""

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
        """Queue fragments; a batch is scheduled (see the module doc).

        Raises:
            Exception: the error of an earlier failed ``flush`` (e.g. ``LogWriteError``).
        """
        if self.error is not None:
            raise self.error
        if text:
            self._text.append(text)
            self._all_text.append(text)
        if reasoning:
            self._reasoning.append(reasoning)
            self._all_reasoning.append(reasoning)
        self._pending_chars += len(text) + len(reasoning)
        if self._task is None or self._task.done():
            self._task = spawn(self._later(), name="delta-batcher")

    async def _later(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(self._delay)
        if self._pending_chars < self.min_chars:
            await asyncio.sleep(max(0.0, started + self.max_interval - loop.time()))
        try:
            # Shielded: when close() cancels this timer mid-flush, the flush (already taken from
            # the buffers) still completes; close() then waits for it on the lock.
            await asyncio.shield(self.flush())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # kept for add()/close(): the turn stops on it
            self.error = exc

    async def flush(self) -> None:
        """Hand over everything pending now (no-op when nothing is pending)."""
        async with self._lock:
            if not self._text and not self._reasoning:
                return
            text, reasoning = "".join(self._text), "".join(self._reasoning)
            self._text.clear()
            self._reasoning.clear()
            self._pending_chars = 0
            loop = asyncio.get_running_loop()
            started = loop.time()
            await self._flush_cb(text, reasoning)
            took = loop.time() - started
            self.batches += 1
            self._delay = max(
                min(self.max_interval, self._delay * self.growth),
                min(self.slow_cap, took * self.slow_factor),
            )

    async def close(self) -> None:
        """Flush what is pending and stop the timer.

        Raises:
            Exception: the error of a failed ``flush`` (an earlier one, or this last one).
        """
        task = self._task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self.error is not None:
            raise self.error
        await self.flush()
