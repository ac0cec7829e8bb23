"""The streamed reply widget, the chat view's follow/anchor behaviour, and the Textual fixes."""

from __future__ import annotations

import gc
import random

from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static

from workbench.scripted.server import Reply, markdown_reply_corpus
from workbench.ui import _textual_compat, gcpolicy
from workbench.ui.chat import streaming
from workbench.ui.chat.messages import LiveReply
from workbench.ui.chat.streaming import StreamingMarkdown

from .conftest import make_app, wait_ready, wait_until


class _One(App[None]):
    def __init__(self, widget: StreamingMarkdown) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.widget


def _shown(widget: StreamingMarkdown) -> str:
    return "\n".join(line.text.rstrip() for line in widget._lines)


async def test_any_split_of_the_text_renders_like_the_whole(monkeypatch):
    """Fed in random fragments, the widget freezes chunks and shows exactly what one piece shows."""
    monkeypatch.setattr(streaming, "FREEZE_CHARS", 300)
    text = markdown_reply_corpus(2500, seed=7)
    rng = random.Random(3)
    streamed = StreamingMarkdown()
    app = _One(streamed)
    async with app.run_test(size=(90, 30)) as pilot:
        pos = 0
        while pos < len(text):
            step = rng.randint(1, 120)
            streamed.append(text[pos : pos + step])
            pos += step
            if rng.random() < 0.3:
                await pilot.pause()
        streamed.finish()
        await streamed.wait_rendered()
        await pilot.pause()
        assert streamed.rendered_source == text == streamed.source
        assert len(streamed._chunks) > 5  # finished blocks were frozen along the way
        # Each chunk is rendered once: the same chunks rendered in one go give the same lines.
        whole = StreamingMarkdown(text)
        whole._chunks, whole._tail = list(streamed._chunks), streamed._tail
        await app.query_one(VerticalScroll).mount(whole)
        await pilot.pause()
        assert _shown(whole) == _shown(streamed)
        shown = _shown(streamed)
        for line in ("Section 1:", "Section 2:", "def "):
            assert line in shown
        assert "```" not in shown  # fences are rendered as code blocks, not shown raw


async def test_resize_renders_again_and_selection_copies_what_is_shown():
    text = "# Title\n\nA paragraph that is long enough to wrap when the terminal gets narrow, " * 3
    widget = StreamingMarkdown(text)
    app = _One(widget)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        wide = len(widget._lines)
        await pilot.resize_terminal(40, 20)
        await pilot.pause()
        assert len(widget._lines) > wide
        from textual.selection import Selection

        selected = widget.get_selection(Selection(None, None))
        assert selected is not None and "Title" in selected[0]


async def test_reply_is_followed_and_scrolling_up_keeps_the_place(workspace, server):
    long_reply = markdown_reply_corpus(3000, seed=5)
    server.enqueue(Reply(text=long_reply, tokens_per_second=1500, chunk_chars=8))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_ready(app)
        view = app.query_one("#chat-view")
        await pilot.click("#prompt")
        for key in "go":
            await pilot.press(key)
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.max_scroll_y > 20)
        await pilot.pause(0.3)
        assert view.scroll_y >= view.max_scroll_y - 1  # following the end
        view.scroll_to(y=5, animate=False)  # the user scrolls up to read
        await pilot.pause(0.3)
        assert view.scroll_y == 5
        await wait_until(pilot, lambda: app.query(LiveReply) and app.query_one(LiveReply).finished)
        await pilot.pause(0.3)
        assert view.scroll_y == 5  # nothing moved under the reader
        assert app.query_one(LiveReply).rendered_text == long_reply


async def test_short_conversation_is_not_pushed_to_the_bottom(workspace, server):
    server.enqueue(Reply(text="short answer"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_ready(app)
        await pilot.click("#prompt")
        await pilot.press("h", "i", "enter")
        await wait_until(pilot, lambda: app.query(LiveReply) and app.query_one(LiveReply).rendered_text == "short answer")
        await pilot.pause()
        view = app.query_one("#chat-view")
        assert view.scroll_y == 0 and not view.is_anchored
        assert app.query_one(LiveReply).region.y < 10  # near the top, under the user's message


class _Panes(App[None]):
    CSS = "#left { width: 1fr; } #right { width: 30; } OptionList { height: 6; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="left"):
                yield Static("x", id="grow")
            yield OptionList(*[f"option {n}" for n in range(40)], id="right")


async def test_unrelated_layout_does_not_refresh_other_scrollbars_or_repaint_the_screen():
    _textual_compat.apply()
    app = _Panes()
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        options = app.query_one(OptionList)
        scrollbar = options.vertical_scrollbar
        refreshes = []
        original = scrollbar.refresh
        scrollbar.refresh = lambda *a, **k: (refreshes.append(1), original(*a, **k))[1]  # type: ignore[method-assign]
        compositor = app.screen._compositor
        full = []
        original_full = compositor.render_full_update
        compositor.render_full_update = lambda *a, **k: (full.append(1), original_full(*a, **k))[1]  # type: ignore[method-assign]
        grow = app.query_one("#grow", Static)
        left = app.query_one("#left", VerticalScroll)
        for n in range(1, 6):
            grow.update("line\n" * (n * 10))
            await pilot.pause()
            left.scroll_end(animate=False)
            await pilot.pause()
        assert refreshes == []
        assert full == []
        # the option list's own changes still reach its scrollbar
        options.add_options([f"more {n}" for n in range(40)])
        await pilot.pause()
        assert scrollbar.window_virtual_size == 80


def test_gc_policy_makes_full_collections_rarer():
    before = gc.get_threshold()
    try:
        assert gcpolicy.generational()  # CI's CPython (3.11-3.13) has the 3-generation collector
        assert gcpolicy.tune() is True
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2] and full == gcpolicy.FULL_EVERY
    finally:
        gc.set_threshold(*before)


def test_gc_policy_leaves_a_collector_reporting_no_threshold2_alone():
    """The incremental collector (3.14) reports ``threshold2`` as 0 and ignores it: not tuned."""
    before = gc.get_threshold()
    try:
        gc.set_threshold(before[0], before[1], 0)
        assert not gcpolicy.generational()
        assert gcpolicy.tune() is False
        assert gc.get_threshold() == (before[0], before[1], 0)
    finally:
        gc.set_threshold(*before)
