"""The container log view: a bounded Textual ``Log`` fed in large batches (see ``ingest.py``).

Measured (``tests/bench/bench_sandbox.py --only pane``): ``Log`` with ``max_lines`` and batches of
~1,000 lines keeps up with a container printing as fast as it can, ``RichLog`` does not.

:class:`ContainerLog` colours stderr lines (prefixed with :data:`STDERR_MARK`) and highlights the
search term. Colouring happens per visible line at render time, so ingest stays cheap.

* ``write_lines`` is a fast path for lines that hold no newline (ours are split already): the
  stock one splits every line again, invalidates the render cache line by line and starts a
  thread worker per call to measure widths, about 100 ms per 10,000 lines here, which stalls
  frames (measured with ``tests/bench/bench_sandbox.py --only pane``).
* Rendering: while a container floods the view, every frame shows ~40 new lines, and the stock
  ``Log`` builds each through a ``Text``, a highlighter copy, a console render and three
  ``Strip`` objects (Textual 8.2 does not cache them without a selection): ~25 ms a frame here,
  the largest part of the frame-gap p99. A printable ASCII line (optionally after the stderr
  mark) without a search term or selection is built as one or two ``Segment`` objects in one
  ``Strip``; anything else takes the stock path. Both give the same cells and styles (tested).

The private ``Log`` members this needs are reached through ``HookedLog`` (``ui/_textual_compat``).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Offset, Region, Size
from textual.strip import Strip

from workbench.core.sanitize import sanitize
from workbench.ui._textual_compat.log import HookedLog
from workbench.ui._textual_compat.scroll import set_virtual_size_quietly
from workbench.ui.containers.format import COMMAND_MARK, STDERR_MARK

_STDERR_MARK_STYLE = Style.parse("bold red")
_STDERR_STYLE = Style.parse("red")
_MARK_LENGTH = len(STDERR_MARK)
_MARK_CELLS = cell_len(STDERR_MARK)


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


class ContainerLog(HookedLog):
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
        self._frame: tuple[Offset, int] | None = None

    def write_lines(self, lines, scroll_end: bool | None = None) -> ContainerLog:  # type: ignore[override]
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
        batch = [sanitize(line) for line in batch]  # no escape sequence reaches the terminal (core.sanitize)
        if self.max_lines is not None and len(batch) > self.max_lines:
            batch = batch[-self.max_lines :]  # the rest would be pruned at once
        if not batch:
            return self
        at_end = self.is_vertical_scroll_end
        auto_scroll = self.auto_scroll if scroll_end is None else scroll_end
        self._grow(self.append_plain_lines(batch, _widest(batch)))
        if auto_scroll and at_end and not self.is_vertical_scrollbar_grabbed:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()
        return self

    def _grow(self, size: Size) -> None:
        """Set the virtual size; lay out the screen again only when that can move anything.

        Assigning ``virtual_size`` lays out the whole screen (30-90 ms a frame here while a
        container floods the view: once per batch until ``max_lines`` is reached, and whenever a
        longer line arrives). When the vertical scrollbar is shown already and stays (only the
        height grows), and the width is unchanged or every line fits the view's width before and
        after, nothing but this view's scroll range changes: update it and the scrollbars the way
        ``ScrollView`` does after a layout.
        """
        old = self.virtual_size
        if size == old:
            return
        view = self.scrollable_content_region.size
        same_x = size.width == old.width or (size.width <= view.width and old.width <= view.width)
        same_y = size.height == old.height or (
            size.height > old.height
            and self.show_vertical_scrollbar
            and (old.height > view.height or self.styles.overflow_y == "scroll")
        )
        if same_x and same_y:
            set_virtual_size_quietly(self, size)
        else:
            self.virtual_size = size

    def notify_style_update(self) -> None:
        """Forget the cached line style (a style of this widget or an ancestor changed)."""
        self._line_style = None
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        """Render the lines in ``crop``, reading the scroll offset and width once for all of them.

        ``Log.render_line`` reads both per line (``size`` walks up to the screen each time: more
        than the fast path's own cost per line).
        """
        self._frame = (self.scroll_offset, self.size.width)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        """Render view row ``y`` (see :meth:`render_lines`)."""
        frame = self._frame
        if frame is None:
            return super().render_line(y)
        (scroll_x, scroll_y), width = frame
        return self.render_log_line(scroll_y + y, scroll_x, width)

    def render_log_line(self, y: int, scroll_x: int, width: int) -> Strip:
        """As the stock ``Log._render_line``, with ``rich_style`` computed once per style change
        instead of per line (it walks every ancestor: ~0.5 ms a call here), and a fast path for
        plain lines."""
        rich_style = self._line_style
        if rich_style is None:
            rich_style = self._line_style = self.rich_style
        lines = self.lines
        if y >= len(lines):
            return Strip.blank(width, rich_style)
        if not scroll_x and not self._term and self.text_selection is None:
            strip = _fast_strip(lines[y], y, width, rich_style)
            if strip is not None:
                return strip
        line = self.stock_line_strip(y, rich_style)
        line = line.crop_extend(scroll_x, scroll_x + width, rich_style)
        return line.apply_offsets(scroll_x, y)

    @property
    def _term(self) -> str:
        highlighter = self.highlighter
        return highlighter.term if isinstance(highlighter, LogHighlighter) else ""

    def set_search(self, term: str) -> None:
        """Highlight ``term`` in the visible lines ("" to clear)."""
        assert isinstance(self.highlighter, LogHighlighter)
        self.highlighter.term = term
        self.forget_rendered_lines()
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


def _fast_strip(line: str, y: int, width: int, style: Style) -> Strip | None:
    """Render line ``y`` unscrolled into ``width`` cells as the stock ``Log`` would, or None.

    Handles a printable ASCII line, or :data:`STDERR_MARK` followed by one (cells equal
    characters there); a command line, tabs, control or wide characters return None (stock path).
    The segments carry the ``offset`` meta the stock path adds for text selection.
    """
    if line.isascii():
        if not line.isprintable() or line.startswith(COMMAND_MARK):
            return None
        text = line[:width] if len(line) >= width else line + " " * (width - len(line))
        return Strip([Segment(text, style + Style.from_meta({"offset": (0, y)}))], width)
    if not line.startswith(STDERR_MARK) or width <= _MARK_CELLS:
        return None
    rest = line[_MARK_LENGTH:]
    if not (rest.isascii() and rest.isprintable()):
        return None
    room = width - _MARK_CELLS
    text = rest[:room] if len(rest) >= room else rest + " " * (room - len(rest))
    return Strip(
        [
            Segment(STDERR_MARK, style + _STDERR_MARK_STYLE + Style.from_meta({"offset": (0, y)})),
            Segment(text[: len(rest)], style + _STDERR_STYLE + Style.from_meta({"offset": (_MARK_LENGTH, y)})),
            Segment(text[len(rest) :], style + Style.from_meta({"offset": (_MARK_LENGTH + len(rest), y)})),
        ]
        if len(rest) < room
        else [
            Segment(STDERR_MARK, style + _STDERR_MARK_STYLE + Style.from_meta({"offset": (0, y)})),
            Segment(text, style + _STDERR_STYLE + Style.from_meta({"offset": (_MARK_LENGTH, y)})),
        ],
        width,
    )


def _widest(lines: list[str]) -> int:
    """Cell width of the widest line (``len`` for plain ASCII without tabs, else as rendered)."""
    if not lines:
        return 0
    joined = "".join(lines)
    if joined.isascii() and "\t" not in joined:
        return max(map(len, lines))
    widest = 0
    for line in lines:
        if line.isascii() and "\t" not in line:
            width = len(line)
        else:
            width = cell_len(HookedLog.processed_line(line))
        if width > widest:
            widest = width
    return widest
