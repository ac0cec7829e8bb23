"""A virtual list of styled text rows with a cursor, drawn with Textual's line API.

Only the visible rows are rendered, so a 3,000-line document costs the same to show as a short
one (Textual's ``Markdown`` builds one widget per block and ``OptionList`` lays out every option,
both far too slow for a 200-requirement spec). Rows may wrap; each keeps a stable index so callers
address rows, not screen lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar, overload

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from workbench.ui._textual_compat.scroll import LayoutSizedScrollView, set_virtual_size_quietly

_PLAIN = Style()

STYLE_NAMES: tuple[str, ...] = (
    "cursor",
    "cursor-focus",
    "gutter",
    "heading",
    "subheading",
    "keyword",
    "bold",
    "muted",
    "error",
    "warning",
    "ok",
    "progress",
    "add",
    "del",
    "hunk",
    "comment",
)
"""Style names a ``Row`` may use (``cursor``/``cursor-focus`` are applied by the view)."""


def theme_styles(variables: dict[str, str]) -> dict[str, Style]:
    """Return the Rich style of each name in ``STYLE_NAMES`` for a theme's CSS variables.

    Resolved from the theme (``App.theme_variables``) rather than through component classes:
    Textual computes every component class of every widget when it mounts, which made opening the
    review screen several times slower.
    """

    def colour(name: str, fallback: str) -> Color:
        try:
            return Color.parse(variables.get(name, fallback))
        except Exception:  # "auto 60%" and friends: not a plain colour
            return Color.parse(fallback)

    surface = colour("surface", "#1e1e1e")
    text = colour("foreground", "#e0e0e0")
    primary, secondary = colour("primary", "#0178d4"), colour("secondary", "#004578")
    accent, warning = colour("accent", "#fea62b"), colour("warning", "#fea62b")
    error, success = colour("error", "#b93c5b"), colour("success", "#4ebf71")
    muted = surface.blend(text, 0.6)
    secondary_text = (
        secondary if abs(secondary.brightness - surface.brightness) > 0.25 else surface.blend(secondary, 0.5).blend(text, 0.5)
    )
    return {
        "cursor": Style(bgcolor=(surface + colour("boost", "#ffffff0a")).rich_color),
        "cursor-focus": Style(bgcolor=surface.blend(accent, 0.35).rich_color),
        "gutter": Style(color=muted.rich_color),
        "heading": Style(color=primary.rich_color, bold=True),
        "subheading": Style(color=secondary_text.rich_color, bold=True),
        "keyword": Style(color=accent.rich_color, bold=True),
        "bold": Style(bold=True),
        "muted": Style(color=muted.rich_color),
        "error": Style(color=error.rich_color, bold=True),
        "warning": Style(color=warning.rich_color),
        "ok": Style(color=success.rich_color),
        "progress": Style(color=warning.rich_color, bold=True),
        "add": Style(color=success.rich_color),
        "del": Style(color=error.rich_color),
        "hunk": Style(color=secondary_text.rich_color),
        "comment": Style(color=accent.rich_color),
    }


@dataclass(slots=True)
class Row:
    """One logical row.

    Attributes:
        text: the text (one line; no newlines).
        style: a style name for the whole row (one of ``STYLE_NAMES``, e.g. ``"heading"``), or ``""``.
        spans: ``(start, end, style name)`` ranges of ``text`` styled on top of ``style``.
        key: what the row stands for (a line number, a task id...); with ``selectable_only`` the
            cursor stops only on rows whose key is not ``None``.
        gutter: text shown left of the row (line number, lint mark), padded to the gutter width.
        gutter_style: style name of the gutter.
    """

    text: str
    style: str = ""
    spans: tuple[tuple[int, int, str], ...] = ()
    key: Any = None
    gutter: str = ""
    gutter_style: str = "gutter"


class LazyRows(Sequence[Row]):
    """Rows made when first read: a long document shows ~50 of its 2,000+ rows, so the others
    need not be built to open it.

    A ``LineView`` lays rows out from ``texts`` and ``gutter_width`` alone; a row is made (once,
    then kept) when it is drawn or read.

    Args:
        texts: each row's text (its ``Row.text``), in order.
        make: ``make(index)`` returns row ``index`` (whose text is ``texts[index]``).
        gutter_width: the widest ``Row.gutter`` of all rows.
        find: ``find(key)`` returns the index of the first row with that key, or ``None``
            (without it ``index_of`` makes every row).
    """

    __slots__ = ("_find", "_make", "_rows", "gutter_width", "texts")

    def __init__(
        self, texts: list[str], make: Callable[[int], Row], gutter_width: int, find: Callable[[Any], int | None] | None = None
    ) -> None:
        self.texts = texts
        self.gutter_width = gutter_width
        self._make = make
        self._find = find
        self._rows: list[Row | None] = [None] * len(texts)

    def __len__(self) -> int:
        return len(self.texts)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.texts)))]
        row = self._rows[index]
        if row is None:
            row = self._rows[index] = self._make(index if index >= 0 else index + len(self.texts))
        return row

    def __iter__(self) -> Iterator[Row]:
        for index in range(len(self.texts)):
            yield self[index]

    def index_of(self, key: Any) -> int | None:
        """Return the first row index whose key equals ``key``."""
        if self._find is not None:
            return self._find(key)
        return next((i for i, row in enumerate(self) if row.key == key), None)


def _texts(rows: Sequence[Row]) -> Sequence[str]:
    """Each row's text, without making the rows of a ``LazyRows``."""
    return rows.texts if isinstance(rows, LazyRows) else [row.text for row in rows]


def _wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Return ``(start, end)`` slices of ``text`` no wider than ``width`` characters, split at spaces."""
    if len(text) <= width or width < 8:
        return [(0, len(text))]
    out: list[tuple[int, int]] = []
    pos, length = 0, len(text)
    while length - pos > width:
        cut = text.rfind(" ", pos + 1, pos + width + 1)
        if cut <= pos:
            cut = pos + width
            out.append((pos, cut))
            pos = cut
        else:
            out.append((pos, cut))
            pos = cut + 1
    out.append((pos, length))
    return out


class LineView(LayoutSizedScrollView, can_focus=True):
    """Styled rows with a cursor; Enter selects.

    Args:
        wrap: wrap long rows at the widget width (else crop them and scroll sideways).
        selectable_only: the cursor skips rows whose ``key`` is ``None``.
        empty: text shown when there are no rows.
    """

    DEFAULT_CSS = """
    LineView { height: 1fr; background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    cursor: reactive[int] = reactive(-1, always_update=True, init=False)
    """Index of the row under the cursor (-1: none)."""

    class Highlighted(Message):
        """The cursor moved to ``index`` (row ``key``)."""

        def __init__(self, view: LineView, index: int, key: Any) -> None:
            super().__init__()
            self.view = view
            self.index = index
            self.key = key

        @property
        def control(self) -> LineView:
            return self.view

    class Selected(Highlighted):
        """Enter was pressed (or a row double-clicked) on row ``index``."""

    def __init__(self, *, wrap: bool = False, selectable_only: bool = False, empty: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wrap = wrap
        self.selectable_only = selectable_only
        self.empty = empty
        self.rows: Sequence[Row] = []
        """The rows (a list, or ``LazyRows``)."""
        self._visual: list[tuple[int, int, int]] = []  # (row, start, end)
        self._first: list[int] = []  # row -> its first visual line
        self._gutter_width = 0
        self._layout_width = -1
        self._styles: dict[str, Style] | None = None
        self._styles_theme = ""
        self._strips: dict[tuple[int, bool], Strip] = {}
        """Rendered visual lines by ``(line, cursor on it)``, valid for ``_strips_for``."""
        self._strips_for: tuple[Any, ...] = ()
        """What the cached strips depend on besides the rows: base style, scroll x, width, focus, theme."""
        self._paint_base: Style | None = None
        """``rich_style`` for the ``render_lines`` call in progress (computing it walks every ancestor)."""

    # -- content -------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Row], cursor: int | None = None) -> None:
        """Replace the rows (a list or ``LazyRows``); the cursor goes to ``cursor`` (clamped) or stays where it was."""
        self.rows = rows
        if isinstance(rows, LazyRows):
            self._gutter_width = rows.gutter_width
        else:
            self._gutter_width = max((len(r.gutter) for r in rows), default=0)
        self._gutter_width += 1 if self._gutter_width else 0
        self._layout_width = -1
        self._strips.clear()
        self._relayout()
        wanted = self.cursor if cursor is None else cursor
        self.cursor = self._valid(min(max(wanted, 0), len(rows) - 1), 1) if rows else -1
        self.refresh()

    @property
    def key(self) -> Any:
        """The key of the row under the cursor (``None`` when there is none)."""
        return self.rows[self.cursor].key if 0 <= self.cursor < len(self.rows) else None

    def index_of(self, key: Any) -> int | None:
        """Return the first row index whose key equals ``key``."""
        if isinstance(self.rows, LazyRows):
            return self.rows.index_of(key)
        for index, row in enumerate(self.rows):
            if row.key == key:
                return index
        return None

    def text(self) -> str:
        """All rows' text joined by newlines (tests and copy)."""
        return "\n".join(_texts(self.rows))

    def _wrap_width(self) -> int:
        """The text width rows wrap at: the content width left of the gutter, minus the vertical
        scrollbar when the wrapped rows will need one (so its appearing does not wrap them again)."""
        region = self.scrollable_content_region.width
        styles = self.styles
        bar = styles.scrollbar_size_vertical if styles.overflow_y == "auto" and styles.scrollbar_gutter != "stable" else 0
        full = region + (bar if bar and self.show_vertical_scrollbar else 0)
        width = max(full - self._gutter_width, 1)
        if bar and full > bar:
            height = self.container_size.height
            lines = 0
            for text in _texts(self.rows):  # does it overflow at the full width? (then the bar shows)
                lines += 1 if len(text) <= width or width < 8 else len(_wrap(text, width))
                if lines > height:
                    return max(full - bar - self._gutter_width, 1)
        return width

    def _relayout(self, *, silent: bool = False) -> None:
        """Recompute the visual (wrapped) lines when the wrap width changed.

        With ``silent`` the new virtual size is set without a layout refresh (the caller is the
        layout itself, see ``layout_sized``).
        """
        if self.wrap and not self.size.width:
            # No width yet (rows set before the first layout): wrapped in ``layout_sized``.
            self._visual = []
            self._layout_width = -1
            self.virtual_size = Size(self._gutter_width + 1, len(self.rows))
            return
        width = self._wrap_width() if self.wrap else 0
        if width == self._layout_width and self._visual:
            return
        self._layout_width = width
        self._strips.clear()
        visual: list[tuple[int, int, int]] = []
        first: list[int] = []
        widest = 0
        wrap = self.wrap
        for index, text in enumerate(_texts(self.rows)):
            first.append(len(visual))
            if wrap and len(text) > width:
                visual.extend((index, s, e) for s, e in _wrap(text, width))
            else:
                visual.append((index, 0, len(text)))
                if len(text) > widest:
                    widest = len(text)
        self._visual, self._first = visual, first
        total_width = self._gutter_width + (width if self.wrap else widest)
        empty = self.empty.splitlines() if not self.rows else []
        if empty:
            total_width = max(total_width, max(len(e) for e in empty))
        size = Size(total_width, max(len(visual), len(empty)))
        if silent:
            set_virtual_size_quietly(self, size)
        else:
            self.virtual_size = size

    def layout_sized(self) -> None:
        # Wrap at the new width inside the layout pass that sets it, so the first paint shows the
        # wrapped rows (re-wrapping in ``on_resize`` would repaint the whole view once more).
        if self.wrap:  # with no rows too: the empty text's size (else ``on_resize`` repaints it)
            self._relayout(silent=True)

    def on_resize(self) -> None:
        if self.wrap:
            width = self._layout_width
            self._relayout()
            if self._layout_width != width:  # the size change itself already repainted the view
                self.refresh()

    # -- cursor --------------------------------------------------------------------------------
    def _valid(self, index: int, direction: int) -> int:
        """Return the nearest allowed row from ``index`` in ``direction`` (then the other way)."""
        if not self.selectable_only or not self.rows:
            return index
        for step in (direction, -direction):
            i = index
            while 0 <= i < len(self.rows):
                if self.rows[i].key is not None:
                    return i
                i += step
        return -1

    def move_cursor(self, index: int, direction: int = 1, *, top: bool = False) -> None:
        """Move the cursor to row ``index`` (or the nearest allowed row) and scroll it into view.

        Args:
            index: the row.
            direction: where to look first when ``index`` may not hold the cursor.
            top: scroll so the row is near the top of the view.
        """
        if not self.rows:
            return
        self.cursor = self._valid(min(max(index, 0), len(self.rows) - 1), direction)
        self.scroll_to_row(self.cursor, top=top)

    def scroll_to_row(self, index: int, *, top: bool = False) -> None:
        """Scroll so row ``index`` is visible (near the top with ``top``)."""
        if not (0 <= index < len(self._first)):
            return
        start = self._first[index]
        end = self._first[index + 1] if index + 1 < len(self._first) else len(self._visual)
        height = max(self.scrollable_content_region.height, 1)
        y = self.scroll_y
        if top:
            y = max(start - 1, 0)
        elif start < y:
            y = start
        elif end > y + height:
            y = end - height
        self.scroll_to(y=y, animate=False, immediate=True)

    def _refresh_row(self, index: int) -> None:
        if not (0 <= index < len(self._first)):
            return
        start = self._first[index]
        end = self._first[index + 1] if index + 1 < len(self._first) else len(self._visual)
        self.refresh(Region(0, start - int(self.scroll_y), self.size.width, end - start))

    def watch_cursor(self, old: int, new: int) -> None:
        if old != new:  # only the two rows change
            self._refresh_row(old)
            self._refresh_row(new)
        if 0 <= new < len(self.rows):
            self.post_message(self.Highlighted(self, new, self.rows[new].key))

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1, 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1, -1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + max(self.scrollable_content_region.height - 1, 1), 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - max(self.scrollable_content_region.height - 1, 1), -1)

    def action_first(self) -> None:
        self.move_cursor(0, 1)

    def action_last(self) -> None:
        self.move_cursor(len(self.rows) - 1, -1)

    def action_select(self) -> None:
        if 0 <= self.cursor < len(self.rows):
            self.post_message(self.Selected(self, self.cursor, self.rows[self.cursor].key))

    def on_click(self, event: Click) -> None:
        line = int(self.scroll_y) + event.y
        if 0 <= line < len(self._visual):
            self.move_cursor(self._visual[line][0])
            if event.chain >= 2:
                self.action_select()

    # -- rendering -----------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        styles = self._styles
        if styles is None or (self._paint_base is None and self._styles_theme != self.app.theme):
            styles = self._styles = theme_styles(self.app.theme_variables)
            self._styles_theme = self.app.theme
        if name == "cursor" and self.has_focus:
            name = "cursor-focus"
        return styles.get(name, _PLAIN)

    def on_focus(self) -> None:
        self._refresh_row(self.cursor)  # only the cursor row's style depends on focus

    def on_blur(self) -> None:
        self._refresh_row(self.cursor)

    def on_unmount(self) -> None:
        # Textual's ``StylesCache.get_inner_outer`` is an ``lru_cache`` on a method, so it keeps up
        # to 1,024 widgets' style caches (with every rendered strip) alive after they are removed:
        # drop the strips so a closed view frees them (else each open review screen leaked ~13,000
        # objects, and the garbage collector's full passes grew to 100+ ms).
        self._strips.clear()
        bars = (getattr(self, name, None) for name in ("_vertical_scrollbar", "_horizontal_scrollbar", "_scrollbar_corner"))
        for widget in (self, *bars, *self.ancestors[:-2]):  # up to the screen, not the screen and app
            styles_cache = getattr(widget, "_styles_cache", None)
            if styles_cache is not None:
                styles_cache.clear()

    def notify_style_update(self) -> None:
        self._strips.clear()
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._style("")  # picks up a theme change once per paint
        self._paint_base = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_base = None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self._paint_base
        if base is None:  # called outside ``render_lines``
            self._style("")
            base = self.rich_style
        line = scroll_y + y
        if line >= len(self._visual):
            empty_lines = self.empty.splitlines() if not self.rows else []
            if line < len(empty_lines):
                text = Text(empty_lines[line], style=base)
                text.stylize(self._style("muted"))
                # no segment without a style: Textual's NO_COLOR filter reads every segment's style
                segments = [Segment(seg.text, seg.style or base) for seg in text.render(self.app.console)]
                return Strip(segments).crop_extend(scroll_x, scroll_x + width, base)
            return Strip.blank(width, base)
        index = self._visual[line][0]
        on_cursor = index == self.cursor
        depends = (base, scroll_x, width, self.has_focus, self._styles_theme)
        if depends != self._strips_for:
            self._strips.clear()
            self._strips_for = depends
        strip = self._strips.get((line, on_cursor))
        if strip is None:
            if len(self._strips) > 4096:
                self._strips.clear()
            strip = self._strips[line, on_cursor] = self._render_visual(line, base, scroll_x, width)
        return strip

    def _render_visual(self, line: int, base: Style, scroll_x: int, width: int) -> Strip:
        """Render visual line ``line`` (an index into the wrapped lines) cropped to the view."""
        index, start, end = self._visual[line]
        row = self.rows[index]
        plain = base
        if index == self.cursor:
            base = base + self._style("cursor")
        segments: list[Segment] = []
        if self._gutter_width:
            gutter = (row.gutter if start == 0 else "").ljust(self._gutter_width)
            segments.append(Segment(gutter, base + self._style(row.gutter_style) if row.gutter_style else base))
        row_style = base + self._style(row.style) if row.style else base
        chunk = row.text[start:end]
        if not row.spans:
            segments.append(Segment(chunk, row_style))
        else:  # cut the chunk at span edges; later spans win where they overlap
            edges = {0, len(chunk)}
            for s, e, _name in row.spans:
                edges.update((min(max(s - start, 0), len(chunk)), min(max(e - start, 0), len(chunk))))
            cuts = sorted(edges)
            for a, b in pairwise(cuts):
                style = row_style
                for s, e, name in row.spans:
                    if s - start <= a and b <= e - start:
                        style = style + self._style(name)
                segments.append(Segment(chunk[a:b], style))
        length = sum(cell_len(segment.text) for segment in segments)
        if scroll_x == 0 and length <= width:  # the common case, built as one strip (each costs 7 caches)
            segments.append(Segment(" " * (width - length), base if index == self.cursor else plain))
            x = 0
            for i, (text, style, _control) in enumerate(segments):
                offset = Style.from_meta({"offset": (x, line)})
                segments[i] = Segment(text, style + offset if style else offset)
                x += len(text)
            return Strip(segments, width)
        strip = Strip(segments)
        if index == self.cursor:
            strip = strip.extend_cell_length(scroll_x + width, base)
        return strip.crop_extend(scroll_x, scroll_x + width, plain).apply_offsets(scroll_x, line)
