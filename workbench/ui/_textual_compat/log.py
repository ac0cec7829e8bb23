"""``Log`` with public hooks over its private line storage and line rendering.

Textual behaviour worked around (source read: Textual 8.2.8, ``textual/widgets/_log.py``).
``Log.write_lines`` splits every line again, invalidates the render cache line by line and starts
a thread worker per call to measure widths (about 100 ms per 10,000 lines); ``Log._render_line``
builds each line through a ``Text``, a highlighter copy, a console render and three ``Strip``
objects and caches nothing without a selection (``_render_line_strip``, ``:315``): ~25 ms a frame
while a container floods its log pane (``tests/bench/bench_sandbox.py --only pane``). The
container log (``ui/containers/logview.py``) appends lines and renders plain lines itself, which
needs these private members: ``Log._lines`` and ``Log._width`` (``:73-74``),
``Log._prune_max_lines()`` (``:143``), ``Log._render_line_cache`` (``:76``),
``Log._render_line(y, scroll_x, width)`` (``:294``), ``Log._render_line_strip(y, rich_style)``
(``:315``), ``Log._process_line(line)`` (``:119``) and ``Widget._scroll_update``
(see :mod:`.scroll`). ``tests/ui/test_textual_compat.py`` checks they exist with these signatures
and that the stock ``Log`` still renders without caching.
"""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widgets import Log


class HookedLog(Log):
    """A ``Log`` whose visible lines are rendered by :meth:`render_log_line`, with methods to
    append lines without the stock bookkeeping (see the module doc)."""

    def append_plain_lines(self, batch: list[str], widest: int) -> Size:
        """Append ``batch`` (lines without newlines; cell width of the widest is ``widest``),
        prune to ``max_lines`` and return the new virtual size (not set: the caller decides how)."""
        self._lines.extend(batch)
        if self.max_lines is not None and len(self._lines) > self.max_lines:
            self._prune_max_lines()
        self._width = max(self._width, widest)
        return Size(self._width, len(self._lines))

    def forget_rendered_lines(self) -> None:
        """Drop the cached rendered lines (after a change of highlighting)."""
        self._render_line_cache.clear()

    def stock_line_strip(self, y: int, rich_style: Style) -> Strip:
        """Line ``y`` rendered the stock way, uncropped (``Log._render_line_strip``)."""
        return self._render_line_strip(y, rich_style)

    @staticmethod
    def processed_line(line: str) -> str:
        """``line`` as the stock ``Log`` displays it (tabs expanded; ``Log._process_line``)."""
        return Log._process_line(line)

    # Overrides Log._render_line (textual/widgets/_log.py:294, Textual 8.2.8), which ``render_line`` calls.
    def _render_line(self, y: int, scroll_x: int, width: int) -> Strip:
        return self.render_log_line(y, scroll_x, width)

    def render_log_line(self, y: int, scroll_x: int, width: int) -> Strip:
        """Render log line ``y`` scrolled by ``scroll_x`` into ``width`` cells (default: stock)."""
        return Log._render_line(self, y, scroll_x, width)
