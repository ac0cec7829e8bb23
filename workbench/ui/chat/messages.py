"""Chat message widgets.

Finished messages are single ``Static`` widgets holding a Rich renderable (rendered once, cheap to
lay out); only the reply being streamed uses a Textual ``Markdown`` widget, and only for its last,
still-open part (see :class:`LiveReply`). This keeps the mounted widget count small and flat as the
conversation grows (see shared/PERFORMANCE.md).
"""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Markdown, Static

from workbench.ui.chat.blocks import last_block_boundary

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
        super().__init__(RichMarkdown(markdown, code_theme=theme, hyperlinks=False))
        self.source = markdown


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
        self._stream = None
        self._thinking: Thinking | None = None
        self.finished = False

    async def on_mount(self) -> None:
        await self._new_open_part("")

    async def _new_open_part(self, text: str) -> None:
        self._markdown = Markdown(text)
        await self.mount(self._markdown)
        self._stream = Markdown.get_stream(self._markdown)

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
        await self._stream.write(text)
        open_part = self.text[self._open_start :]
        if len(open_part) > FREEZE_CHARS:
            cut = last_block_boundary(open_part)
            if cut > FREEZE_CHARS // 3:
                await self._freeze(cut)

    async def _freeze(self, cut: int) -> None:
        open_part = self.text[self._open_start :]
        done, rest = open_part[:cut], open_part[cut:]
        await self._stream.stop()
        old = self._markdown
        block = MarkdownBlock(done, theme=code_theme(self))
        self._open_start += cut
        with self.app.batch_update():
            await self.mount(block, before=old)
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
        await self._stream.stop()
        rest = self.text[self._open_start :]
        with self.app.batch_update():
            if self._markdown is not None:
                await self._markdown.remove()
                self._markdown = None
            if rest:
                await self.mount(MarkdownBlock(rest, theme=code_theme(self)))
            if interrupted:
                await self.mount(Note("⏹ interrupted: what arrived is kept", classes="interrupted"))
            if note:
                await self.mount(Note(note))

    @property
    def rendered_text(self) -> str:
        """The Markdown source currently on screen (frozen blocks + open part)."""
        parts = [b.source for b in self.query(MarkdownBlock)]
        if self._markdown is not None:
            parts.append(self._markdown.source)
        return "".join(parts)
