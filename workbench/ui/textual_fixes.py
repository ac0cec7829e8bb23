"""A targeted fix for a Textual behaviour that repaints the whole screen while a reply streams.

``textual.scroll_view.ScrollView._size_updated`` (Textual 8.2) compares the virtual size the
compositor passes in with the widget's own ``virtual_size``. A ``ScrollView`` sizes its own virtual
area (an ``OptionList``'s options, a ``TextArea``'s document, a ``DataTable``'s rows), so the two
differ on every layout pass, and every full layout of the screen re-runs ``_scroll_update`` for
every ``ScrollView`` on screen: each one's scrollbars are refreshed. Those scrollbars sit in the
side panes, so the dirty area of each frame spans the whole screen and the compositor re-renders
every widget, every frame. While a reply streams into the chat (a layout per frame, as the reply
grows), that was about half of each frame's time.

:func:`apply` replaces the method with one that skips the update when nothing it depends on has
changed: the widget's size, its container size and its own virtual size since the scrollbars were
last updated. Anything else goes through Textual's own method unchanged.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.scroll_view import ScrollView

_ORIGINAL = ScrollView._size_updated
_SEEN = "_workbench_scrollbars_for"


def _size_updated(self: ScrollView, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
    """``ScrollView._size_updated`` without the spurious scrollbar refresh (see the module doc)."""
    own_virtual = self.virtual_size
    if (
        self._size == size
        and self._container_size == size - self.styles.gutter.totals
        and self._container_size == container_size
        and getattr(self, _SEEN, None) == own_virtual
    ):
        return False
    setattr(self, _SEEN, own_virtual)
    return _ORIGINAL(self, size, virtual_size, container_size, layout)


def apply() -> None:
    """Install the fix (idempotent). Called when the Workbench app module is imported."""
    method: Any = _size_updated
    ScrollView._size_updated = method  # type: ignore[method-assign]
