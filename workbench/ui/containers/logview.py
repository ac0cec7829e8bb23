"""The container log view: a bounded Textual ``Log`` fed in large batches from reader threads.

Measured (``/work/shared/PERFORMANCE.md`` "Log panes"): ``Log`` with ``max_lines`` and batches of
~1,000 lines keeps up with a container printing as fast as it can, ``RichLog`` does not. So:

* :class:`LineIngest` collects lines from any thread under a lock and drains them on the event
  loop at most ~30 times a second, in one ``write_lines`` call each (large batches). Its buffer is
  bounded by the view's ``max_lines``: lines older than that would be pruned by the ``Log`` at
  once, so dropping them early changes nothing on screen (the full log is on disk).
* :class:`ContainerLog` colours stderr lines (prefixed with :data:`STDERR_MARK`) and highlights
  the search term. Colouring happens per visible line at render time, so ingest stays cheap.
  Its ``write_lines`` is a fast path for lines that hold no newline (ours are split already): the
  stock one splits every line again, invalidates the render cache line by line and starts a
  thread worker per call to measure widths, about 100 ms per 10,000 lines here, which stalls
  frames (measured with ``tests/bench/bench_sandbox.py --only pane``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Callable

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
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
        self._line_style: Style | None = None

    def write_lines(self, lines, scroll_end: bool | None = None) -> "ContainerLog":  # type: ignore[override]
        """Append lines (each without a newline) and keep at most ``max_lines``.

        Args:
            lines: the lines; a line holding a newline is split like ``Log.write_lines`` does.
            scroll_end: scroll to the end after writing, or ``None`` to use ``auto_scroll``.

        Returns:
            The log.
        """
        batch = lines if isinstance(lines, list) else list(lines)
        if any("\n" in line or "\r" in line for line in batch):
            batch = [part for line in batch for part in line.splitlines()]
        if self.max_lines is not None and len(batch) > self.max_lines:
            batch = batch[-self.max_lines:]  # the rest would be pruned at once
        if not batch:
            return self
        at_end = self.is_vertical_scroll_end
        auto_scroll = self.auto_scroll if scroll_end is None else scroll_end
        self._lines.extend(batch)
        if self.max_lines is not None and len(self._lines) > self.max_lines:
            self._prune_max_lines()
        self._width = max(self._width, _widest(batch))
        self.virtual_size = Size(self._width, len(self._lines))
        if auto_scroll and at_end and not self.is_vertical_scrollbar_grabbed:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()
        return self

    def notify_style_update(self) -> None:
        """Forget the cached line style (a style of this widget or an ancestor changed)."""
        self._line_style = None
        super().notify_style_update()

    def _render_line(self, y: int, scroll_x: int, width: int) -> Strip:
        # As Log._render_line, with ``rich_style`` computed once per style change instead of per
        # line (it walks every ancestor: ~0.5 ms a call here, most of a frame's cost).
        rich_style = self._line_style
        if rich_style is None:
            rich_style = self._line_style = self.rich_style
        if y >= len(self._lines):
            return Strip.blank(width, rich_style)
        line = self._render_line_strip(y, rich_style)
        line = line.crop_extend(scroll_x, scroll_x + width, rich_style)
        return line.apply_offsets(scroll_x, y)

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


def _widest(lines: list[str]) -> int:
    """Cell width of the widest line (``len`` for plain ASCII without tabs, else as rendered)."""
    widest = 0
    for line in lines:
        if line.isascii() and "\t" not in line:
            width = len(line)
        else:
            width = cell_len(Log._process_line(line))
        if width > widest:
            widest = width
    return widest


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

    def __init__(self, loop: asyncio.AbstractEventLoop, write: Callable[[list[str]], None], limit: int,
                 interval: float = 1 / 30, high_water: int = 3_000, max_stall: float = 0.25,
                 yield_s: float = 0.005) -> None:
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
