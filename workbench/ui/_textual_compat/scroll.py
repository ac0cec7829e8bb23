"""A ``ScrollView`` told its new size inside the layout pass, and setting its virtual size quietly.

Textual behaviour worked around (source read: Textual 8.2.8). A widget learns its new size from an
``on_resize`` event sent after the layout that set it; a view that wraps its lines at its width
re-wraps then, sets a new virtual size and repaints once more (a second paint of the whole view on
every open of the spec review, ``tests/bench/bench_specs.py``). Textual calls
``Widget._size_updated(size, virtual_size, container_size, layout)`` (``textual/scroll_view.py:86``
for a ``ScrollView``) inside the layout pass, so :class:`LayoutSizedScrollView` hooks it and calls
:meth:`LayoutSizedScrollView.layout_sized`, where the subclass may re-wrap.

Setting ``virtual_size`` from there (or for a pure growth of the scroll range) would ask for
another full layout; :func:`set_virtual_size_quietly` sets it without one and updates the
scrollbars the way ``ScrollView`` does after a layout, through the private
``Widget._scroll_update(virtual_size)`` (``textual/widget.py:4145``).
``tests/ui/test_textual_compat.py`` checks both hooks still exist with these signatures.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


class LayoutSizedScrollView(ScrollView):
    """A ``ScrollView`` whose :meth:`layout_sized` runs inside the layout pass that sized it."""

    # Overrides ScrollView._size_updated (textual/scroll_view.py:86, Textual 8.2.8).
    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        resized = super()._size_updated(size, virtual_size, container_size, layout)
        self.layout_sized()
        return resized

    def layout_sized(self) -> None:
        """Called inside each layout pass after the size was set (``self.size`` is the new one);
        set the virtual size here with :func:`set_virtual_size_quietly`. Does nothing by default."""


def set_virtual_size_quietly(widget: Widget, size: Size) -> None:
    """Set ``widget.virtual_size`` to ``size`` without a layout refresh, updating its scrollbars.

    Use only where no other widget can move (inside the layout pass, or when only the scroll range
    grows with the scrollbar already shown).
    """
    widget.set_reactive(type(widget).virtual_size, size)
    widget._scroll_update(size)
