"""The key line at the bottom of the main screen, with the essential keys first.

Textual's ``Footer`` lists the focused widget's keys first and the app's last, so in a narrow
terminal (80 columns) ``F1 Help`` and ``^q Quit`` were cut off. :class:`WorkbenchFooter` puts the
keys in :data:`ESSENTIAL` first and turns compact (less padding) below :data:`COMPACT_BELOW`
columns.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer

ESSENTIAL = ("help", "quit")
"""Actions whose keys are always shown first, in this order."""

COMPACT_BELOW = 120
"""Terminal width (columns) under which the footer drops its padding."""


class WorkbenchFooter(Footer):
    """``Footer`` showing :data:`ESSENTIAL` keys first, compact in narrow terminals."""

    def compose(self) -> ComposeResult:
        keys = list(super().compose())  # flat FooterKeys: Workbench defines no binding groups
        rank = {action: i for i, action in enumerate(ESSENTIAL)}
        first = sorted((k for k in keys if getattr(k, "action", None) in rank), key=lambda k: rank[k.action])
        yield from first + [k for k in keys if k not in first]

    def on_mount(self) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
