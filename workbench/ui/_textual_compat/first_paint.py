"""A screen whose first layout settles before it is painted, painted once instead of three times.

Textual behaviour worked around (source read: Textual 8.2.8). On ``push_screen`` Textual lays a
new screen out three times and paints it three times: the layout in ``ScreenResume`` (painted in
full), a second one on the screen's own ``Resize`` event that follows it, and a third after the
mount is awaited (``refresh(layout=True)`` of the whole screen), plus the full repaint
``ScreenResume`` asks for after its layout. With 1,000-row views the second paint redid nearly the
whole screen (about 30 ms, ``tests/bench/bench_specs.py``): the views found they need scrollbars
only when told their size, after the first layout, and every widget sized in that layout asked to
be repainted once more after the paint that had drawn it.

Private members used (all of Textual 8.2.8): ``Screen._refresh_layout(size, scroll)``
(``textual/screen.py:1316``), ``Screen._on_timer_update()`` (``:1236``), the ``_on_update``
message handler (``:1398``, marks the widget dirty), ``Screen._compositor`` with
``Compositor._full_map``/``widgets``/``layers``/``reflow`` (``textual/_compositor.py:287,365``),
``Widget._size_updated`` (``textual/widget.py:4110``), ``Widget._repaint_required``
(``textual/widget.py:439``), ``App._batch_count`` (``textual/app.py:789``) and
``textual._time.get_time``. ``tests/ui/test_textual_compat.py`` checks they still exist with these
signatures and that a plain screen is still painted more than once on its first show.
"""

from __future__ import annotations

from typing import Any

from textual import messages
from textual._time import get_time
from textual.screen import Screen

JUST_PAINTED_FOR = 0.25
"""Seconds at most that whole-screen repaints are dropped after the first full paint (see ``refresh``)."""


class FirstPaintScreen(Screen[None]):
    """A ``Screen`` that makes its first layout settle before it is painted and drops the repaints
    that first full paint already satisfied (see the module doc). Subclass it instead of ``Screen``;
    nothing else changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._laid_out = False
        """Whether the first layout (with its settling pass, see ``_refresh_layout``) was done."""
        self._painted: tuple[float, set[Any]] | None = None
        """When the first layout's full paint started and the widgets it painted (see ``_on_update``)."""
        self._just_painted = False
        """The first layout painted the whole screen and no update has run since (see ``refresh``)."""

    # Overrides Screen._refresh_layout (textual/screen.py:1316, Textual 8.2.8).
    def _refresh_layout(self, size: Any = None, scroll: bool = False) -> None:
        first = not self._laid_out and not scroll and self.is_attached and not self.app.is_inline
        layout_size = self.outer_size if size is None else size
        if not (first and layout_size):
            super()._refresh_layout(size, scroll)
            return
        self._laid_out = True
        # A pass that only sizes the widgets, so the views switch their scrollbars on before the
        # layout that is painted; undone (the compositor's placement restored) so that Textual's
        # own layout still finds every widget new and sends each its Show and Resize events.
        compositor = self._compositor
        placed, widgets = compositor._full_map, compositor.widgets
        compositor.reflow(self, layout_size)
        for widget, geometry in compositor.layers:
            widget._size_updated(geometry.region.size, geometry.virtual_size, geometry.container_size)
        compositor._full_map, compositor.widgets = placed, widgets
        started = get_time()
        super()._refresh_layout(size, scroll)
        if self.is_current and not self.app._batch_count:
            # The first layout of a screen is painted in full (every widget is new), so every
            # repaint asked for before it is done: those set in this layout (the widgets were
            # sized), those already queued (``_on_update``) and the screen's own until the next
            # update (``refresh``).
            self._painted = (started, set(compositor.widgets))
            for widget in compositor.widgets:
                widget._repaint_required = False
            self._just_painted = True
            # Normally cleared by the next update (the mount's layout); at the latest after this.
            self.set_timer(JUST_PAINTED_FOR, self._painted_settled)

    def _painted_settled(self) -> None:
        self._just_painted = False

    # Overrides Screen._on_timer_update (textual/screen.py:1236, Textual 8.2.8).
    def _on_timer_update(self) -> None:
        self._just_painted = False  # whatever is asked from now on is painted by this update or later
        super()._on_timer_update()

    # Runs before Screen._on_update (textual/screen.py:1398, Textual 8.2.8), which marks the widget dirty.
    def _on_update(self, message: messages.Update) -> None:  # type: ignore[override]  # Textual dispatches sync handlers too; this one runs first and may stop the message
        painted = self._painted
        if painted is not None and message.time < painted[0] and message.widget in painted[1]:
            message.stop()
            message.prevent_default()  # Textual's handler would mark the widget dirty again

    def refresh(self, *regions: Any, repaint: bool = True, layout: bool = False, recompose: bool = False) -> FirstPaintScreen:
        """Textual's ``refresh``, less repainting the whole screen between its first full paint
        and the next update (ScreenResume's ``refresh()`` and the mount's ``refresh(layout=True)``
        right after it; see ``_refresh_layout``). Widgets that change repaint themselves."""
        if self._just_painted and not regions and not recompose:
            if not layout:
                return self
            repaint = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
