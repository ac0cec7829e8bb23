"""The container log view without an engine: the fast line renderer matches the stock ``Log``."""

from __future__ import annotations

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Log

from workbench.ui.containers.format import COMMAND_MARK, STDERR_MARK
from workbench.ui.containers.logview import ContainerLog, _fast_strip

LINES = [
    "plain line 1",
    "x" * 200,  # wider than the view: cropped
    "",
    f"{STDERR_MARK}oops",
    f"{STDERR_MARK}" + "e" * 200,
    f"{STDERR_MARK}",
    f"{COMMAND_MARK}echo hi",  # stock path (bold cyan)
    "tab\there",  # stock path (tabs expanded)
    "wide 漢字 ✓",  # stock path (wide characters)
    "bell \x07 esc \x1b[31m",  # stock path (control characters replaced)
    f"{STDERR_MARK}wide 漢字",
]


class LogApp(App[None]):
    def __init__(self, max_lines: int = 100) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield ContainerLog(self.max_lines, id="log")


def cells(segments: list[Segment]) -> list[tuple[str, object, tuple[int, int] | None]]:
    """One (character, style, selection offset) per character, whatever the segment boundaries.

    The selection offset of a character is its segment's ``offset`` meta plus its index in the
    segment (as Textual's compositor computes it).
    """
    out = []
    for seg in segments:
        style = seg.style
        offset = style.meta.get("offset") if style is not None else None
        plain = style.clear_meta_and_links() if style is not None else None
        for i, ch in enumerate(seg.text):
            out.append((ch, plain, (offset[0] + i, offset[1]) if offset else None))
    return out


async def test_fast_render_matches_the_stock_log() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(ContainerLog)
        log.write_lines(LINES)
        await pilot.pause()
        width = log.size.width
        assert width > 10
        for y, line in enumerate(LINES):
            for scroll_x in (0, 3):
                ours = log._render_line(y, scroll_x, width)
                stock = Log._render_line(log, y, scroll_x, width)
                assert ours.cell_length == stock.cell_length == width, line
                assert cells(list(ours)) == cells(list(stock)), (line, scroll_x)
        fast = [y for y, line in enumerate(LINES) if _fast_strip(line, y, width, log.rich_style) is not None]
        assert fast == [0, 1, 2, 3, 4, 5]  # the rest took the stock path above
        # render_lines (scroll offset and width read once) gives the rows the stock per-row path gives
        region = Region(0, 0, width, log.size.height)
        ours_rows = log.render_lines(region)
        log._styles_cache.clear()
        log.render_line = lambda y: Log.render_line(log, y)  # type: ignore[method-assign]
        stock_rows = log.render_lines(region)
        del log.render_line
        assert [cells(list(r)) for r in ours_rows] == [cells(list(r)) for r in stock_rows]
        # the search term and the selection go through the stock path (highlighting)
        log.set_search("line")
        ours = log._render_line(0, 0, width)
        assert cells(list(ours)) == cells(list(Log._render_line(log, 0, 0, width)))
        assert any(seg.style and seg.style.reverse for seg in ours)


async def test_growing_log_keeps_scroll_range_and_scrollbar_in_step() -> None:
    app = LogApp(max_lines=10_000)
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(ContainerLog)
        log.write_lines([f"line {i:05d}" for i in range(50)])
        await pilot.pause()
        assert log.show_vertical_scrollbar and log.is_vertical_scroll_end
        layouts: list[bool] = []
        refresh = log.refresh

        def spy(*regions, **kwargs):
            layouts.append(kwargs.get("layout", False))
            return refresh(*regions, **kwargs)

        log.refresh = spy  # type: ignore[method-assign]
        for start in range(50, 1050, 250):  # taller only: no layout, the range follows
            log.write_lines([f"line {i:05d}" for i in range(start, start + 250)])
            assert log.virtual_size.height == start + 250
            assert log.vertical_scrollbar.window_virtual_size == start + 250
            assert log.scroll_offset.y == log.max_scroll_y == start + 250 - log.scrollable_content_region.height
        log.write_lines(["longer line 01050"])  # wider, still fits: no layout either
        assert log.virtual_size == (17, 1051)
        assert not any(layouts)
        await pilot.pause()
        assert log.is_vertical_scroll_end
        assert "line 01050" in log.lines[log.scroll_offset.y + log.scrollable_content_region.height - 1]
        log.write_lines(["w" * 300])  # wider than the view: laid out as usual
        assert any(layouts)
        await pilot.pause()
        assert log.virtual_size.width == 300 and log.horizontal_scrollbar.window_virtual_size == 300


async def test_status_line_is_plain_text_and_repaints_only() -> None:
    from workbench.ui.containers.following import StatusLine

    class StatusApp(App[None]):
        def compose(self) -> ComposeResult:
            yield StatusLine()

    app = StatusApp()
    async with app.run_test(size=(60, 5)) as pilot:
        line = app.query_one(StatusLine)
        layouts: list[bool] = []
        refresh = line.refresh

        def spy(*regions, **kwargs):
            layouts.append(kwargs.get("layout", False))
            return refresh(*regions, **kwargs)

        line.refresh = spy  # type: ignore[method-assign]
        line.text = "paused · search '[bold]x[/]'"
        await pilot.pause()
        assert str(line.render()) == "paused · search '[bold]x[/]'"  # no markup
        assert layouts and not any(layouts)
