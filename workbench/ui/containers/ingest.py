"""Thread-safe hand-over of log lines from reader threads to the event loop, in large batches.

:class:`LineIngest` collects lines from any thread under a lock and drains them on the event loop
at most ~30 times a second, in one ``write`` call each (large batches, measured with
``tests/bench/bench_sandbox.py --only pane``). Its buffer is bounded by the view's ``max_lines``:
lines older than that would be pruned by the view at once, so dropping them early changes nothing
on screen (the full log is on disk).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable


class LineIngest:
    """Thread-safe, bounded collector of log lines, drained on the event loop in large batches.

    Args:
        loop: the event loop the drains run on.
        write: called on the loop with each batch (a list of lines).
        limit: most lines kept while waiting (older ones dropped: see the module docstring).
        interval: minimum seconds between two drains.
        high_water: pending lines above which a pushing reader thread pauses briefly (up to
            ``max_stall`` seconds) so the event loop gets the CPU and the GIL to draw frames
            (backpressure, as toolong does); the loop's own thread never pauses.
        max_stall: the longest pause of one push, in seconds.
        yield_s: a reader thread sleeps this long after each push (seconds): a CPU-bound reader
            otherwise keeps the GIL, and the loop waits for it after every ``select``.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        write: Callable[[list[str]], None],
        limit: int,
        interval: float = 1 / 30,
        high_water: int = 3_000,
        max_stall: float = 0.25,
        yield_s: float = 0.005,
    ) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._high_water = high_water
        self._max_stall = max_stall
        self._yield = yield_s
        self._write = write
        self._pending: deque[str] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._scheduled = False
        self._interval = interval
        self._last = 0.0
        self.received = 0
        """Lines pushed so far (from any thread)."""
        self.delivered = 0
        """Lines handed to ``write`` so far."""

    def push(self, lines: list[str]) -> None:
        """Add lines (from any thread); a drain is scheduled if none is pending."""
        if not lines:
            return
        with self._lock:
            self._pending.extend(lines)
            self.received += len(lines)
            backlog = len(self._pending)
            schedule = not self._scheduled
            self._scheduled = True
        if schedule:
            try:
                self._loop.call_soon_threadsafe(self._schedule)
            except RuntimeError:  # the loop closed (app exiting)
                return
        if threading.get_ident() == self._loop_thread:
            return
        if backlog > self._high_water:
            deadline = time.monotonic() + self._max_stall
            while len(self._pending) > self._high_water and time.monotonic() < deadline:
                time.sleep(0.002)
        elif self._yield:
            time.sleep(self._yield)  # hand the GIL to the event loop between batches

    def _schedule(self) -> None:
        delay = self._last + self._interval - time.monotonic()
        if delay > 0:
            self._loop.call_later(delay, self.drain)
        else:
            self.drain()

    def drain(self) -> None:
        """Hand every pending line to ``write`` now (on the loop)."""
        with self._lock:
            batch = list(self._pending)
            self._pending.clear()
            self._scheduled = False
            self.delivered += len(batch)
        self._last = time.monotonic()
        if batch:
            self._write(batch)
