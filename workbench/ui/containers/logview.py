"""The container log view: a bounded Textual ``Log`` fed in large batches from reader threads.

Measured (``/work/shared/PERFORMANCE.md`` "Log panes"): ``Log`` with ``max_lines`` and batches of
~1,000 lines keeps up with a container printing as fast as it can, ``RichLog`` does not. So:

* :class:`LineIngest` collects lines from any thread under a lock and drains them on the event
  loop at most ~30 times a second, in one ``write_lines`` call each (large batches). Its buffer is
  bounded by the view's ``max_lines``: lines older than that would be pruned by the ``Log`` at
  once, so dropping them early changes nothing on screen (the full log is on disk).
* :class:`ContainerLog` colours stderr lines (prefixed with :data:`STDERR_MARK`) and highlights
  the search term. Colouring happens per visible line at render time, so ingest stays cheap.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Callable

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Log

from workbench.ui.containers.format import COMMAND_MARK, STDERR_MARK


class LogHighlighter(Highlighter):
    """Styles stderr lines and command lines, and marks occurrences of the search term."""

    def __init__(self) -> None:
        self.term = ""
        """The search term to highlight (case-insensitive; "" for none)."""

    def highlight(self, text: Text) -> None:
        """Stylize ``text`` in place (one rendered line)."""
        plain = text.plain
        if plain.startswith(STDERR_MARK):
            text.stylize("bold red", 0, len(STDERR_MARK))
            text.stylize("red", len(STDERR_MARK))
        elif plain.startswith(COMMAND_MARK):
            text.stylize("bold cyan")
        if self.term:
            text.highlight_words([self.term], "reverse yellow", case_sensitive=False)


class ContainerLog(Log):
    """A ``Log`` whose stderr lines are red and whose search matches are highlighted.

    Args:
        max_lines: lines kept (older ones are dropped from the view; the file keeps them).
    """

    DEFAULT_CSS = """
    ContainerLog { height: 1fr; }
    """

    def __init__(self, max_lines: int, **kwargs) -> None:
        super().__init__(highlight=True, max_lines=max_lines, **kwargs)
        self.highlighter = LogHighlighter()

    def set_search(self, term: str) -> None:
        """Highlight ``term`` in the visible lines ("" to clear)."""
        assert isinstance(self.highlighter, LogHighlighter)
        self.highlighter.term = term
        self._render_line_cache.clear()
        self.refresh()

    def find(self, term: str, start: int, backwards: bool = False) -> int | None:
        """Return the index of the next line containing ``term`` (case-insensitive), wrapping around.

        Args:
            term: the text to look for.
            start: the line to start from (excluded).
            backwards: search upwards.

        Returns:
            The line index, or None when no line matches.
        """
        lines = self.lines
        n = len(lines)
        if not n or not term:
            return None
        needle = term.casefold()
        step = -1 if backwards else 1
        for k in range(1, n + 1):
            i = (start + step * k) % n
            if needle in lines[i].casefold():
                return i
        return None

    def show_line(self, index: int) -> None:
        """Scroll so that line ``index`` is in the middle of the view."""
        self.scroll_to(y=max(0, index - self.size.height // 2), animate=False, immediate=True)


class LineIngest:
    """Thread-safe, bounded collector of log lines, drained on the event loop in large batches.

    Args:
        loop: the event loop the drains run on.
        write: called on the loop with each batch (a list of lines).
        limit: most lines kept while waiting (older ones dropped: see the module docstring).
        interval: minimum seconds between two drains.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, write: Callable[[list[str]], None], limit: int,
                 interval: float = 1 / 30) -> None:
        self._loop = loop
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
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._schedule)
        except RuntimeError:  # the loop closed (app exiting)
            pass

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
