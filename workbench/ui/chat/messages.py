"""Chat message widgets.

Finished messages are single ``Static`` widgets holding a Rich renderable (rendered once, cheap to
lay out); only the reply being streamed uses a Textual ``Markdown`` widget, and only for its last,
still-open part (see :class:`LiveReply`). This keeps the mounted widget count small and flat as the
conversation grows (see shared/PERFORMANCE.md).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from workbench.ui.chat.blocks import last_block_boundary

if TYPE_CHECKING:  # imported when first used: markdown-it, Pygments and Rich's Markdown cost ~50 ms at startup
    from textual.widgets import Markdown
    from textual.widgets._markdown import MarkdownStream

FREEZE_CHARS = 1500
"""When the open part of a streaming reply grows past this many characters, its finished blocks
are frozen into a static renderable and the live Markdown widget restarts with the remainder."""


def code_theme(widget: Static | Vertical) -> str:
    """The Pygments style for code blocks under the app's current theme."""
    return getattr(widget.app, "code_theme", "monokai")


class UserMessage(Static):
    """The user's prompt."""

    DEFAULT_CSS = """
    UserMessage { margin: 1 0 0 0; padding: 0 1; border-left: thick $primary; background: $boost; }
    """

    def __init__(self, text: str, seq: int = 0) -> None:
        super().__init__(Text(text), markup=False)
        self.seq = seq
        self.source = text


class MarkdownBlock(Static):
    """A finished piece of Markdown rendered once with Rich (code highlighted by Pygments)."""

    DEFAULT_CSS = "MarkdownBlock { padding: 0 1; }"

    def __init__(self, markdown: str, *, theme: str = "monokai") -> None:
        from rich.markdown import Markdown as RichMarkdown

        super().__init__(RichMarkdown(markdown, code_theme=theme, hyperlinks=False))
        self.source = markdown
        self._rendered: dict[int, tuple[Any, list[Strip]]] = {}
        """Rendered lines per content width, with the style they were rendered in."""

    def _lines(self, width: int) -> list[Strip]:
        """The Markdown rendered at ``width`` (rendered once per width and CSS style)."""
        style = self.visual_style
        cached = self._rendered.get(width)
        if cached is None or cached[0] != style:
            if len(self._rendered) > 2:  # a resize: keep memory bounded
                self._rendered.clear()
            lines = Visual.to_strips(self, self._render(), width, None, style)  # _render: Textual's cached Visual
            cached = self._rendered[width] = (style, lines)
        return cached[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The rendered height at ``width``: the number of rendered lines.

        Textual forgets a widget's measured height and its rendered lines on every repaint request
        (a focus change restyles the whole pane, a scrollbar appearing resizes it) and measures by
        rendering the whole Markdown, then renders it all again to paint: with a long conversation
        on screen that was most of each frame. The text never changes after construction, so one
        rendering per width serves both.
        """
        return len(self._lines(width)) if width > 0 else 0

    async def prerender(self, width: int) -> None:
        """Render the lines for content ``width`` on a worker thread (call once mounted).

        Rendering a few thousand characters of Markdown with Pygments takes tens to hundreds of
        milliseconds of pure Python; on a thread the interpreter hands the event loop the GIL every
        few milliseconds, so key presses and paints are not held up. The thread only reads the
        widget (its Visual and style are taken here, on the loop).
        """
        if width <= 0:
            return
        style = self.visual_style
        visual = self._render()
        lines = await asyncio.to_thread(Visual.to_strips, self, visual, width, None, style)
        if self.visual_style == style:
            self._rendered[width] = (style, lines)

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the rendered Markdown (see :meth:`get_content_height`)."""
        if self.text_selection is not None:  # selection highlighting: Textual's own path
            return super().render_line(y)
        width = self.size.width
        lines = self._lines(width)
        if 0 <= y < len(lines):
            return lines[y]
        return Strip.blank(width, self.visual_style.rich_style)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        """Replace the content (forgets the rendered lines)."""
        self._rendered = {}
        super().update(content, layout=layout)


class Thinking(Collapsible):
    """The model's reasoning (``reasoning_content``), collapsed by default."""

    DEFAULT_CSS = """
    Thinking { margin: 0 0 0 1; border: none; padding: 0; background: transparent; }
    Thinking Static { color: $text-muted; text-style: italic; }
    """

    def __init__(self, text: str = "") -> None:
        self._body = Static(Text(text), markup=False)
        self.text = text
        super().__init__(self._body, title="thinking", collapsed=True)

    def set_text(self, text: str) -> None:
        """Replace the reasoning text."""
        self.text = text
        self._body.update(Text(text))


class Note(Static):
    """A one-line note under a message: interrupted, error, usage."""

    DEFAULT_CSS = """
    Note { padding: 0 1; color: $text-muted; }
    Note.error { color: $error; text-style: bold; }
    Note.interrupted { color: $warning; }
    """


class AssistantMessage(Vertical):
    """A finished reply from the history (one Static; a Thinking block when there was reasoning)."""

    DEFAULT_CSS = "AssistantMessage { height: auto; margin: 1 0 0 0; }"

    def __init__(self, text: str, *, reasoning: str = "", interrupted: bool = False, seq: int = 0, theme: str = "monokai") -> None:
        super().__init__()
        self.seq = seq
        self.source = text
        self._reasoning = reasoning
        self._interrupted = interrupted
        self._theme = theme

    def compose(self) -> ComposeResult:
        if self._reasoning:
            yield Thinking(self._reasoning)
        yield MarkdownBlock(self.source, theme=self._theme)
        if self._interrupted:
            yield Note("⏹ interrupted: the reply was cut here", classes="interrupted")


class ErrorMessage(Note):
    """A turn's error, one line."""

    def __init__(self, message: str, seq: int = 0) -> None:
        super().__init__(Text("✖ " + message), classes="error", markup=False)
        self.seq = seq


_LIVE_MARKDOWN: type[Markdown] | None = None


def _live_markdown_class() -> type[Markdown]:
    """Textual's ``Markdown`` whose code blocks never guess their language.

    A fence without a language (or one whose info line has not fully arrived, or a fence that the
    incremental parse of a stream sees out of context) made Textual call Pygments' ``guess_lexer``
    on every update of the block: 100-450 ms each on a 2-core machine. Such blocks are shown as
    plain text, as the finished reply (Rich) shows them.
    """
    global _LIVE_MARKDOWN
    if _LIVE_MARKDOWN is None:
        from textual.widgets import Markdown
        from textual.widgets._markdown import MarkdownFence

        class LiveFence(MarkdownFence):
            """A code block highlighted with its declared language only (else as plain text)."""

            @classmethod
            def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Any:
                return super().highlight(code, language or "text", ansi=ansi, dark=dark)

        class LiveMarkdown(Markdown):
            """The open part of a streamed reply."""

            BLOCKS = {**Markdown.BLOCKS, "fence": LiveFence, "code_block": LiveFence}

        _LIVE_MARKDOWN = LiveMarkdown
    return _LIVE_MARKDOWN


class LiveReply(Vertical):
    """A reply being streamed.

    Text is fed through :meth:`Markdown.get_stream` into one ``Markdown`` widget holding only the
    open part of the reply; whenever that part passes :data:`FREEZE_CHARS`, its finished blocks
    are moved into a :class:`MarkdownBlock` (rendered once) and a fresh ``Markdown`` takes the rest.
    Cost per update therefore stays bounded however long the reply grows.
    """

    DEFAULT_CSS = """
    LiveReply { height: auto; margin: 1 0 0 0; }
    LiveReply > Markdown { margin: 0; padding: 0 1; background: transparent; }
    """

    def __init__(self, turn_id: str) -> None:
        super().__init__()
        self.turn_id = turn_id
        self.text = ""
        """All text received so far."""
        self.reasoning = ""
        self._open_start = 0
        self._markdown: Markdown | None = None
        self._stream: MarkdownStream | None = None
        self._thinking: Thinking | None = None
        self.finished = False

    async def on_mount(self) -> None:
        await self._new_open_part("")

    async def _new_open_part(self, text: str) -> None:
        live_markdown = _live_markdown_class()
        self._markdown = live_markdown(text)
        await self.mount(self._markdown)
        self._stream = live_markdown.get_stream(self._markdown)

    async def _stop_stream(self) -> None:
        """Stop the open part's stream (its pending text is appended first)."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        # MarkdownStream.stop() cancels its task and awaits it: a task cancelled before it ever ran
        # re-raises CancelledError into the caller (this happened when a reply ended right after a
        # freeze). One pass of the loop lets the task start.
        await asyncio.sleep(0)
        await stream.stop()

    async def add(self, text: str, reasoning: str) -> None:
        """Append streamed fragments (already committed to the log)."""
        if reasoning:
            self.reasoning += reasoning
            if self._thinking is None:
                self._thinking = Thinking(self.reasoning)
                await self.mount(self._thinking, before=0)
            else:
                self._thinking.set_text(self.reasoning)
        if not text:
            return
        self.text += text
        open_part = self.text[self._open_start :]
        if len(open_part) > FREEZE_CHARS:
            cut = last_block_boundary(open_part)
            if cut > FREEZE_CHARS // 3:
                # The finished blocks go straight to a static block; the live Markdown restarts
                # with the rest. Writing them to the live widget first would make it lay out
                # hundreds of block widgets whenever a large batch arrives (after a slow frame).
                await self._freeze(cut)
                return
        await self._stream.write(text)

    async def _static_block(self, markdown: str, *, before: Widget | None = None) -> MarkdownBlock:
        """Mount a hidden :class:`MarkdownBlock` and render it off the event loop.

        The caller shows it (``display = True``) in the same batch that removes what it replaces,
        so the text is on screen all along and no frame waits for the rendering.
        """
        block = MarkdownBlock(markdown, theme=code_theme(self))
        block.display = False
        await self.mount(block, before=before)
        await block.prerender(self.size.width - block.styles.gutter.width)
        return block

    async def _freeze(self, cut: int) -> None:
        open_part = self.text[self._open_start :]
        done, rest = open_part[:cut], open_part[cut:]
        await self._stop_stream()
        old = self._markdown
        block = await self._static_block(done, before=old)
        self._open_start += cut
        with self.app.batch_update():
            block.display = True
            await old.remove()
            await self._new_open_part(rest)

    async def finish(self, *, text: str | None = None, interrupted: bool = False, note: str | None = None) -> None:
        """End the stream: the open part becomes static; add an interrupted mark or a note."""
        if self.finished:
            return
        self.finished = True
        if text is not None and text != self.text and text.startswith(self.text):
            await self._stream.write(text[len(self.text) :])
            self.text = text
        await self._stop_stream()
        rest = self.text[self._open_start :]
        block = await self._static_block(rest) if rest else None
        with self.app.batch_update():
            if self._markdown is not None:
                await self._markdown.remove()
                self._markdown = None
            if block is not None:
                block.display = True
            if interrupted:
                await self.mount(Note("⏹ interrupted: what arrived is kept", classes="interrupted"))
            if note:
                await self.mount(Note(note))

    @property
    def rendered_text(self) -> str:
        """The Markdown source currently on screen (frozen blocks + open part)."""
        # Direct children only: ``query(MarkdownBlock)`` matches by class *name*, which would also
        # pick up the blocks inside Textual's own Markdown widget (also named MarkdownBlock).
        parts = [b.source for b in self.children if isinstance(b, MarkdownBlock)]
        if self._markdown is not None:
            parts.append(self._markdown.source)
        return "".join(parts)
