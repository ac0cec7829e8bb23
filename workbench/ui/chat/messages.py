"""Chat message widgets.

Finished messages are single ``Static`` widgets holding a Rich renderable (rendered once, cheap to
lay out); the reply being streamed is one :class:`~workbench.ui.chat.streaming.StreamingMarkdown`
that re-renders only its last, still-open block (see :class:`LiveReply`). This keeps the mounted widget count small and flat as the
conversation grows (see shared/PERFORMANCE.md).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.strip import Strip
from textual.visual import Visual
from textual.widgets import Collapsible, Static

from workbench.ui.chat.streaming import StreamingMarkdown


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
    """A one-line note under a message: interrupted, error, usage, a slash command's answer.

    Plain text, never markup: notes quote user and model text (``/help`` shows ``[ID]``).
    """

    DEFAULT_CSS = """
    Note { padding: 0 1; color: $text-muted; }
    Note.error { color: $error; text-style: bold; }
    Note.interrupted { color: $warning; }
    """

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)


class AssistantMessage(Vertical):
    """A finished reply from the history (one Static; a Thinking block when there was reasoning)."""

    DEFAULT_CSS = "AssistantMessage { height: auto; margin: 1 0 0 0; }"

    def __init__(
        self, text: str, *, reasoning: str = "", interrupted: bool = False, seq: int = 0, theme: str = "monokai"
    ) -> None:
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


class LiveReply(StreamingMarkdown):
    """A reply being streamed: one :class:`~workbench.ui.chat.streaming.StreamingMarkdown` (finished
    blocks rendered once, only the open one again, on a worker thread) mounted straight in the chat
    view, with its :class:`Thinking` block mounted just before it and its notes just after.

    No container wraps the three: a container around a growing widget is re-rendered and re-laid
    out with it on every frame (measured: about a tenth of each frame while a reply streams).
    """

    DEFAULT_CSS = """
    LiveReply { margin: 1 0 0 0; }
    LiveReply.-after-thinking { margin: 0; }
    """

    def __init__(self, turn_id: str) -> None:
        super().__init__()
        self.turn_id = turn_id
        self.reasoning = ""
        self.thinking: Thinking | None = None
        self.notes: list[Note] = []
        """Notes mounted after the reply (interrupted mark, usage)."""

    def on_mount(self) -> None:  # Textual also runs StreamingMarkdown.on_mount (handlers run per class)
        self.theme = code_theme(self)

    @property
    def text(self) -> str:
        """All text received so far."""
        return self.source

    async def add(self, text: str, reasoning: str) -> None:
        """Append streamed fragments (already committed to the log)."""
        if reasoning:
            self.reasoning += reasoning
            if self.thinking is None:
                self.thinking = Thinking(self.reasoning)
                self.thinking.styles.margin = (1, 0, 0, 1)
                self.add_class("-after-thinking")
                await self.parent.mount(self.thinking, before=self)
            else:
                self.thinking.set_text(self.reasoning)
        if text:
            self.append(text)

    async def finish(self, *, text: str | None = None, interrupted: bool = False, note: str | None = None) -> None:
        """End the stream: render the last of the text; add an interrupted mark or a note."""
        if self.finished:
            return
        received = self.source
        if text is not None and text != received and text.startswith(received):
            self.append(text[len(received) :])
        super().finish()
        if interrupted:
            await self._add_note(Note("⏹ interrupted: what arrived is kept", classes="interrupted"))
        if note:
            await self._add_note(Note(note))

    async def _add_note(self, note: Note) -> None:
        after = self.notes[-1] if self.notes else self
        self.notes.append(note)
        await self.parent.mount(note, after=after)

    @property
    def markdown(self) -> StreamingMarkdown:
        """The widget showing the reply's text (the reply itself)."""
        return self

    @property
    def rendered_text(self) -> str:
        """The Markdown source whose rendered lines are on the widget now."""
        return self.rendered_source
