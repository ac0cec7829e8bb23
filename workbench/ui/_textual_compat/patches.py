"""Global fixes for Textual behaviours: two that repainted the whole screen, every frame, while a
reply streamed (Textual 8.2; each measured with the streaming benchmark, each about half of a
frame's time), and one in the key parser. Installed by :func:`workbench.ui._textual_compat.apply`.

Textual source read: 8.2.8. ``textual/_ansi_sequences.py:385`` (``"\x1b1": "¡"``),
``textual/_xterm_parser.py:411`` (``XTermParser._sequence_to_key_events``),
``textual/scroll_view.py:86`` (``ScrollView._size_updated``), ``textual/_compositor.py:365``
(``Compositor.reflow``, which sets ``_visible_map = None``) and ``:431``
(``Compositor.reflow_visible``). ``tests/ui/test_textual_compat.py`` checks each still behaves so.

**ESC + digit typed ``¡™£¢∞``.** tmux, xterm (``metaSendsEscape``), GNOME Terminal (VTE), Windows
Terminal and iTerm2 ("Option as Esc+") send ``alt+1`` as ``ESC 1``. Textual 8.2's table
``textual._ansi_sequences.ANSI_SEQUENCES_KEYS`` maps ``"\x1b1"`` … ``"\x1b0"`` to the characters a
US Mac keyboard types with Option+digit (``¡ ™ £ ¢ ∞ § ¶ • ª º``), so those keys reached the
prompt as text and no ``alt+digit`` binding could fire. :func:`install` wraps
``XTermParser._sequence_to_key_events`` so ``ESC`` + a digit is the key ``alt+<digit>`` (with no
character, so no input widget inserts it). A Mac keyboard that really types ``¡`` (Option not used
as Meta) sends the character itself, which is unaffected.

**Scrollbars refreshed on every layout.**

``textual.scroll_view.ScrollView._size_updated`` (Textual 8.2) compares the virtual size the
compositor passes in with the widget's own ``virtual_size``. A ``ScrollView`` sizes its own virtual
area (an ``OptionList``'s options, a ``TextArea``'s document, a ``DataTable``'s rows), so the two
differ on every layout pass, and every full layout of the screen re-runs ``_scroll_update`` for
every ``ScrollView`` on screen: each one's scrollbars are refreshed. Those scrollbars sit in the
side panes, so the dirty area of each frame spans the whole screen and the compositor re-renders
every widget, every frame. While a reply streams into the chat (a layout per frame, as the reply
grows), that was about half of each frame's time.

:func:`install` replaces the method with one that skips the update when nothing it depends on has
changed: the widget's size, its container size and its own virtual size since the scrollbars were
last updated. Anything else goes through Textual's own method unchanged.

**A scroll right after a layout repainted everything.** ``Compositor.reflow_visible`` (the fast
path for a scroll) finds what to repaint by comparing the new placement of the visible widgets with
the previous one, but a full ``reflow`` forgets the previous visible placement (``_visible_map =
None``), so the comparison is against nothing and every widget, the screen included, counts as
changed: a full-screen repaint. The chat scrolls to its end right after each layout while a reply
grows, so about one frame in four was a full repaint. The fix compares with the full placement
the last frame was painted from, which is what is on screen.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual._compositor import Compositor
from textual._xterm_parser import XTermParser
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


_ORIGINAL_REFLOW_VISIBLE = Compositor.reflow_visible


def _reflow_visible(self: Compositor, parent: Any, size: Size) -> Any:
    """``Compositor.reflow_visible`` comparing with what is on screen (see the module doc)."""
    if self._visible_map is None and self._full_map:
        self._visible_map = self._full_map
    return _ORIGINAL_REFLOW_VISIBLE(self, parent, size)


_ORIGINAL_SEQUENCE_TO_KEYS = XTermParser._sequence_to_key_events


def _sequence_to_key_events(self: XTermParser, sequence: str, alt: bool = False) -> Any:
    """``XTermParser._sequence_to_key_events`` reading ``ESC`` + digit as ``alt+digit`` (module doc)."""
    if len(sequence) == 2 and sequence[0] == "\x1b" and sequence[1] in "0123456789":
        yield events.Key(f"alt+{sequence[1]}", None)
        return
    yield from _ORIGINAL_SEQUENCE_TO_KEYS(self, sequence, alt)


def install() -> None:
    """Install the fixes (idempotent; the originals are kept in ``_ORIGINAL*``)."""
    sequence_to_keys: Any = _sequence_to_key_events
    XTermParser._sequence_to_key_events = sequence_to_keys  # type: ignore[method-assign]
    size_updated: Any = _size_updated
    ScrollView._size_updated = size_updated  # type: ignore[method-assign]
    reflow_visible: Any = _reflow_visible
    Compositor.reflow_visible = reflow_visible  # type: ignore[method-assign]
