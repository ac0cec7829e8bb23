"""One widget for a Markdown reply that is still arriving.

Textual's own ``Markdown`` widget mounts a child widget per block and re-parses, re-styles and
re-lays out all of them as text arrives (about 1,400 tokens/s at best, with paints near 470 ms on
a 2-core machine, growing with the document). :class:`StreamingMarkdown` instead keeps the reply
as a list of *finished chunks* (complete Markdown blocks, cut at a blank line outside a code fence,
see :func:`workbench.ui.chat.blocks.last_block_boundary`) plus one *open tail*:

* each finished chunk is rendered once (Rich's Markdown, code highlighted by Pygments) and its
  lines kept;
* only the open tail, at most about :data:`FREEZE_CHARS` characters unless a single block is
  longer, is rendered again when new text arrives;
* rendering runs on a worker thread, at most one at a time: text that arrives during a render is
  picked up by the next one, so a burst of deltas costs one render, not one per delta, and the
  event loop (keys, paints) never waits for Pygments;
* the widget is a single Line-API widget (``render_line``): the chat view lays out one widget
  whose height grows, not hundreds of block widgets.

Chunks are joined with one blank line (the cut points are blank lines); leading and trailing blank
lines of each rendered chunk are trimmed so the spacing does not depend on where the cuts fell.
"""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from rich.segment import Segment
from textual.geometry import Size
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import RichVisual, Visual
from textual.widget import Widget

from workbench.ui.chat.blocks import last_block_boundary

FREEZE_CHARS = 800
"""When the open tail passes this many characters, its finished blocks become a frozen chunk."""


class _Rendered(NamedTuple):
    """Lines rendered for one ``(width, style)``: per finished chunk, and for the tail."""

    key: tuple[int, Any]
    chunks: list[list[Strip]]
    tail: list[Strip]
    tail_source: str


def _is_blank(strip: Strip) -> bool:
    """Whether a rendered line is empty space (no text and no background, e.g. not code padding)."""
    for segment in strip:
        text, style, _ = segment
        if text.strip():
            return False
        if style is not None and style.bgcolor is not None and text:
            return False
    return True


def _trim(lines: list[Strip]) -> list[Strip]:
    """``lines`` without leading and trailing blank lines."""
    start, end = 0, len(lines)
    while start < end and _is_blank(lines[start]):
        start += 1
    while end > start and _is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


class StreamingMarkdown(Widget):
    """A Markdown document that grows at its end (a streamed reply), rendered incrementally.

    Call :meth:`append` with each fragment (any size, any split point) and :meth:`finish` once the
    text is complete. :attr:`source` is all text received; :attr:`rendered_source` is the text
    whose lines are currently on the widget (they differ while a render is under way).
    """

    DEFAULT_CSS = "StreamingMarkdown { height: auto; padding: 0 1; }"

    def __init__(self, text: str = "", *, theme: str = "monokai", id: str | None = None) -> None:
        super().__init__(id=id)
        self.theme = theme
        """The Pygments style for code blocks."""
        self._chunks: list[str] = []
        """Finished chunks (Markdown sources), in order."""
        self._tail = ""
        """The open tail: text after the last chunk."""
        self._rendered: _Rendered | None = None
        self._lines: list[Strip] = []
        """All rendered lines, flattened (what :meth:`render_line` shows)."""
        self._render_task: asyncio.Task[None] | None = None
        self._dirty = False
        self.finished = False
        self.rendered_source = ""
        if text:
            self.append(text)

    # -- text in ---------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """All Markdown received so far."""
        return "".join(self._chunks) + self._tail

    def append(self, text: str) -> None:
        """Add ``text`` at the end and schedule a render (returns at once)."""
        if not text:
            return
        self._tail += text
        if len(self._tail) > FREEZE_CHARS:
            cut = last_block_boundary(self._tail)
            if cut > 0:
                self._chunks.append(self._tail[:cut])
                self._tail = self._tail[cut:]
        self._schedule()

    def finish(self) -> None:
        """Mark the text complete (the last render still runs; see :meth:`wait_rendered`)."""
        self.finished = True
        self._schedule()

    async def wait_rendered(self) -> None:
        """Wait until the lines show all text appended so far."""
        while self._render_task is not None and not self._render_task.done():
            await asyncio.shield(self._render_task)

    # -- rendering -------------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._dirty = True
        if not self.is_mounted:
            return
        if self._render_task is None or self._render_task.done():
            self._render_task = asyncio.get_running_loop().create_task(self._render_loop())

    def on_mount(self) -> None:
        if self._dirty:
            self._schedule()

    def _key(self, width: int) -> tuple[int, Any]:
        return (width, self.visual_style)

    def _render_source(self, source: str, width: int, style: Any) -> list[Strip]:
        """Render one chunk of Markdown to trimmed lines (safe to call on a worker thread)."""
        from rich.markdown import Markdown as RichMarkdown

        visual = RichVisual(self, RichMarkdown(source, code_theme=self.theme, hyperlinks=False))
        return _trim(Visual.to_strips(self, visual, width, None, style, apply_selection=False))

    def _render_update(self, key: tuple[int, Any], old: _Rendered | None, chunks: list[str], tail: str) -> _Rendered:
        """New lines for ``chunks`` + ``tail``, reusing the lines of ``old`` where they still hold."""
        width, style = key
        done: list[list[Strip]] = list(old.chunks) if old is not None and old.key == key else []
        for source in chunks[len(done) :]:
            done.append(self._render_source(source, width, style))
        if old is not None and old.key == key and old.tail_source == tail:
            tail_lines = old.tail
        else:
            tail_lines = self._render_source(tail, width, style) if tail.strip() else []
        return _Rendered(key, done, tail_lines, tail)

    def _apply(self, rendered: _Rendered, chunks: list[str], tail: str) -> None:
        width = rendered.key[0]
        blank = Strip.blank(width)
        lines: list[Strip] = []
        for part in (*rendered.chunks, rendered.tail):
            if not part:
                continue
            if lines:
                lines.append(blank)
            lines.extend(part)
        self._rendered = rendered
        self._lines = lines
        self.rendered_source = "".join(chunks) + tail

    async def _render_loop(self) -> None:
        """Render on a worker thread until the lines catch up with the text."""
        while self._dirty and self.is_attached:
            width = self.content_size.width
            if width <= 0:
                return  # not laid out yet: on_resize starts the render again
            self._dirty = False
            key = self._key(width)
            chunks, tail = list(self._chunks), self._tail
            old = self._rendered
            rendered = await asyncio.to_thread(self._render_update, key, old, chunks, tail)
            if rendered.key != self._key(self.content_size.width):
                self._dirty = True  # resized or restyled meanwhile: render again
                continue
            height = len(self._lines)
            self._apply(rendered, chunks, tail)
            self.refresh(layout=len(self._lines) != height)

    def on_resize(self) -> None:
        if self._dirty:
            self._schedule()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The number of rendered lines at ``width`` (renders on the loop only on a new width/style)."""
        if width <= 0:
            return 0
        key = self._key(width)
        if self._rendered is None or self._rendered.key != key:
            chunks, tail = list(self._chunks), self._tail
            self._apply(self._render_update(key, self._rendered, chunks, tail), chunks, tail)
        return len(self._lines)

    def notify_style_update(self) -> None:
        """A theme or CSS change: render again (the style is part of the cache key)."""
        super().notify_style_update()
        self._dirty = True
        self.refresh(layout=True)

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the rendered reply, with the text selection highlighted."""
        width = self.content_size.width
        if not 0 <= y < len(self._lines):
            return Strip.blank(width, self.visual_style.rich_style)
        line = self._lines[y]
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            start, end = span
            end = line.cell_length if end == -1 else min(end, line.cell_length)
            if start < end:
                style = self.screen.get_component_rich_style("screen--selection")
                line = Strip.join(
                    [line.crop(0, start), Strip(Segment.apply_style(line.crop(start, end), post_style=style)), line.crop(end)]
                )
        return line

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text as it is shown (used by Textual's copy of a mouse selection)."""
        text = "\n".join(line.text.rstrip() for line in self._lines)
        return selection.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        """Repaint when the selection changes."""
        self.refresh()
